//! Experiment `theorem-limits`: where Theorems 3 and 4 break, and a statement for `r < n`.
//!
//! 1. `gap`: as the ratio `rho = l_2/l_1` of the target's eigenvalues approaches 1 (and for
//!    near-repeated pairs `l_2 = l_1 (1 − 10^{−j})`), the alpha each theorem requires, the
//!    alpha Proposition R requires, and the measured largest alpha at which the conclusion
//!    holds and at which every `Ŷ_k` is eps-reached, with a fitted law `a + b/(1 − rho)`.
//! 2. `split`: how much of Theorem 4's conservatism for random shapes comes from how `W(0)` is
//!    split into `alpha` and `Ū₀`, how much from the condition number and how much from the
//!    constants; Proposition R and the measurement do not depend on the split.
//! 3. `rank`: Proposition R (`mfflow::rank_deficient_bound`, proved) for `r < n` against the
//!    exact trajectory, on random shapes and on shapes found by an adversarial search that
//!    maximizes the error on the claimed windows, and against the withdrawn conjecture.
//!
//! The prose of the report is in `report.md` beside this crate; every number in it comes from
//! this run. This file is the table of contents: each part is a module with `measure`
//! (config and seeds → data) and `report` (data → CSV, figures, tables and checked sentences).

mod common;
mod config;
mod gap;
mod rank;
mod split;

use std::process::ExitCode;

fn main() -> ExitCode {
    mfflow_lab::run::main::<config::Config>(
        "theorem-limits",
        include_str!("../report.md"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"),
        |c| c.master_seed,
        |run| {
            run.part_in_memory("gap sweep", gap::measure, gap::report)?;
            run.part_in_memory("scale and shape", split::measure, split::report)?;
            run.part_in_memory("r < n", rank::measure, rank::report)?;
            Ok(())
        },
    )
}

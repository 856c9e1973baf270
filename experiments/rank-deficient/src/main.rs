//! Experiment `rank-deficient`: initializations that cannot see all of `Y`.
//!
//! With `r < n` columns, `W(0) = α Ū₀ Ū₀ᵀ` is singular, Theorem 4 does not apply, and only the
//! Woodbury (factor) form of the closed solution gives `W(t)`. This experiment measures:
//!
//! 1. eigenvalue curves for several `r`: learning proceeds one eigenvalue at a time up to
//!    `min(r, K)` and stops at the best rank-`r` approximation when `r < K`;
//! 2. the limits, and the ε-windows around every `Ŷ_k`, `k ≤ min(r, K)`, against the intervals
//!    that Theorem 4's formulas give for the full-rank shape the `r` columns are taken from;
//! 3. shapes with `r ≥ n` columns but rank `q < n`;
//! 4. a shape with no component along one eigenvector of `Y`: that mode is never learned
//!    (exactly), and how a component of size δ put back along it is learned after all;
//! 5. an ODE cross-check of a subset of the trajectories.
//!
//! The prose of the report is in `report.md` beside this crate. This file is the table of
//! contents: each part is a module with `measure` (config and seeds → data, saved as
//! `data/<part>.json`) and `report` (data → CSV, figures, tables and checked sentences), so
//! `--render-from DIR` re-renders the report without measuring.

mod config;
mod counterexamples;
mod curves;
mod missing;
mod ode;
mod setup;
mod wide;
mod windows;

use std::process::ExitCode;

fn main() -> ExitCode {
    mfflow_lab::run::main::<config::Config>(
        "rank-deficient",
        include_str!("../report.md"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"),
        |c| c.master_seed,
        |run| {
            run.part("setup", setup::measure, setup::report)?;
            run.part("curves", curves::measure, curves::report)?;
            run.part("limits and windows", windows::measure, windows::report)?;
            run.part(
                "counterexamples",
                counterexamples::measure,
                counterexamples::report,
            )?;
            run.part("low-rank wide shapes", wide::measure, wide::report)?;
            run.part("missing direction", missing::measure, missing::report)?;
            run.part("ode cross-check", ode::measure, ode::report)?;
            Ok(())
        },
    )
}

//! Experiment `deep-factorization`: incremental learning with depth `L > 2` (the talk's
//! Figure 2; Arora, Cohen, Hu & Luo 2019), exact where it can be and integrated where it cannot.
//!
//! The end-to-end matrix `W = W_L ⋯ W₁` (every factor `n × n`) follows gradient flow on
//! `1/2 ‖Y − W‖²_F`. Balanced spectral starts follow the scalar flow
//! `σ' = L σ^{2−2/L} (s − σ)` exactly (`mfflow::depth`, closed form for every integer `L`);
//! random starts are integrated (`mfflow::depth::integrate_factors`). Every start has the same
//! end-to-end size `‖W(0)‖₂ = α` (see `setup`). This experiment
//!
//! 1. draws learning curves for every depth at one α (`curves`);
//! 2. measures how sharp the transitions are (10–90 % rise time over the learning time) and
//!    how far apart successive learning times are (`curves`);
//! 3. measures how the first learning time scales with α, fits the exponent and compares it
//!    with the prediction of the balanced flow (`sweep`);
//! 4. measures how far a random start is from the balanced spectral prediction, against α
//!    (`sweep`);
//! 5. runs gradient descent from a random small start, in the spirit of the talk's Figure 2
//!    (`figure2`);
//! 6. checks the integrator against the exact flows and gradient descent against the
//!    integrator (`cross_check`).
//!
//! The prose of the report is in `report.md` beside this crate; every number in it comes from
//! this run. Each part is a module with `measure` (config and seeds → data) and `report` (data
//! → CSV, figures, tables and checked sentences).

mod config;
mod cross_check;
mod curves;
mod figure2;
mod setup;
mod sweep;

use std::process::ExitCode;

fn main() -> ExitCode {
    mfflow_lab::run::main::<config::Config>(
        "deep-factorization",
        include_str!("../report.md"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"),
        |c| c.master_seed,
        |run| {
            run.part_in_memory("curves", curves::measure, curves::report)?;
            run.part_in_memory("alpha sweep", sweep::measure, sweep::report)?;
            run.part_in_memory("figure 2", figure2::measure, figure2::report)?;
            run.part_in_memory("cross-check", cross_check::measure, cross_check::report)?;
            Ok(())
        },
    )
}

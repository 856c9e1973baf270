//! Experiment `asymmetric`: `1/2 ‖Y − U Vᵀ‖²_F` for rectangular `Y`, the paper's next step.
//!
//! For a balanced start (`UᵀU = VᵀV`), `W = Z Zᵀ/2` with `Z = [U; V]` solves the symmetric
//! equation with the indefinite target `Ȳ = [[0, Y], [Yᵀ, 0]]`, so `U Vᵀ = 2 W₁₂` is exact
//! (`mfflow::asymmetric`). This experiment
//!
//! 1. checks that exact solution against the (U, V) integrator and gradient descent, and the
//!    conservation of the imbalance;
//! 2. shows the incremental learning of the singular values of a rectangular target, with r
//!    below and above rank(Y), for several α;
//! 3. measures how far an unbalanced start drifts from the balanced exact solution with the
//!    same product at t = 0, as a function of α and of the imbalance;
//! 4. tests whether the symmetric intervals (16), with Theorem 3's constants applied to the
//!    positive eigenvalues of Ȳ (the singular values of Y), predict the measured windows.
//!
//! The prose of the report is in `report.md` beside this crate. This file is the table of
//! contents: each part is a module with `measure` (config and seeds → data, saved as
//! `data/<part>.json`) and `report` (data → CSV, figures, tables and checked sentences), so
//! `--render-from DIR` re-renders the report without measuring.

mod agreement;
mod config;
mod shapes;
mod singular_values;
mod unbalanced;
mod windows;

use std::process::ExitCode;

fn main() -> ExitCode {
    mfflow_lab::run::main::<config::Config>(
        "asymmetric",
        include_str!("../report.md"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"),
        |c| c.master_seed,
        |run| {
            run.part("agreement", agreement::measure, agreement::report)?;
            run.part(
                "singular values",
                singular_values::measure,
                singular_values::report,
            )?;
            run.part("unbalanced", unbalanced::measure, unbalanced::report)?;
            run.part("windows", windows::measure, windows::report)?;
            Ok(())
        },
    )
}

//! Experiment `gd-step-size`: incremental learning under gradient descent at the step sizes
//! people use, measured against the exact flow.
//!
//! Gradient descent `U ← U + η (Y − U Uᵀ) U` on `1/4 ‖Y − U Uᵀ‖²_F` is the explicit Euler
//! method for the flow (2). This experiment measures, against the exact flow of the core's
//! closed form,
//!
//! 1. learning times in iterations, against the flow's times divided by `η` and against the
//!    discrete prediction `t_i l_i / log(1 + η l_i)`;
//! 2. the stability limit `η l_1 = 1` and what lies beyond it up to divergence at
//!    `η l_1 = 2`: the bifurcation diagram of the scalar map and the matrix case beside it;
//! 3. whether incremental learning survives: the ε-windows of `Ŷ_k` in iterations, the largest
//!    `η` at which each still exists, and Theorems 3/4's intervals converted to iterations;
//! 4. the distance to the flow, and to the first-order modified equation;
//! 5. the assumptions: the loss normalisation, the step-size scaling, and this experiment's
//!    gradient-descent loop (run in the eigenbasis of `Y`) against the core's gradient descent.
//!
//! This file is the table of contents: each part is a module with `measure` (config and seeds →
//! data) and `report` (data → CSV, figures, tables and checked sentences).

mod basis_check;
mod config;
mod distance;
mod gd;
mod learning_times;
mod modified;
mod scalar;
mod setup;
mod stability;
mod windows;

use mfflow_lab::output::short;
use std::process::ExitCode;

fn main() -> ExitCode {
    mfflow_lab::run::main::<config::Config>(
        "gd-step-size",
        include_str!("../report.md"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"),
        |c| c.master_seed,
        |run| {
            run.part_in_memory("setup", setup::Setup::new, |s, _, r| {
                let l: Vec<String> = s.l().iter().map(|v| short(*v, 3)).collect();
                r.set("n", s.n().to_string());
                r.set("eigenvalues", l.join(", "));
                r.set("stability_limit", short(1.0 / s.l()[0], 3));
                Ok(())
            })?;
            run.part_in_memory(
                "learning times",
                learning_times::measure,
                learning_times::report,
            )?;
            run.part_in_memory("stability", stability::measure, stability::report)?;
            run.part_in_memory("windows", windows::measure, windows::report)?;
            run.part_in_memory("distance", distance::measure, distance::report)?;
            run.part_in_memory("basis check", basis_check::measure, basis_check::report)?;
            Ok(())
        },
    )
}

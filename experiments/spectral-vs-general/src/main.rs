//! Experiment `spectral-vs-general`: the paper's Figure 1 and Theorems 3–4.
//!
//! Under a small initialization `U(0) = √α Ū₀`, gradient flow learns the eigenvalues of `Y`
//! one at a time at times close to `log(1/α)/(2 lᵢ)`. This experiment
//!
//! 1. reproduces Figure 1 (eigenvalues of `W(t)` over time) under spectral initialization
//!    (`Ū₀ = Φ`, so `Φᵀ W̄₀ Φ = I`) and under a general random one of comparable size
//!    (`Ū₀` with i.i.d. `N(0, 1/n)` entries, so `E[W̄₀] = I`);
//! 2. measures how the transitions separate as α decreases: the transition times, and how close
//!    the trajectory comes to every best rank-k approximation `Ŷ_k`;
//! 3. tabulates Theorem 3 (spectral) and Theorem 4 (general) over several ε and α, with the
//!    measured maximum error on every interval `I_k`;
//! 4. measures how conservative each theorem is: the largest α at which the conclusion still
//!    holds, by bisection on `log α`, against the α the theorem asks for;
//! 5. cross-checks the closed form against the ODE integrator and gradient descent;
//! 6. draws the talk's learning-curve figures (one mode with its bounds; incremental learning
//!    emerging as alpha shrinks by factors e^-M).
//!
//! The prose of the report is in `report.md` beside this crate; every number in it comes from
//! this run.
//!
//! This file is the table of contents: each part is a module with `measure` (config and seeds →
//! data, saved as `data/<part>.json`) and `report` (data → CSV, figures, tables and checked
//! sentences), so `--render-from DIR` re-renders the report without measuring.

mod config;
mod cross_check;
mod figure1;
mod separation;
mod setup;
mod talk;
mod theorems;
mod tightness;

use mfflow_lab::output::short;
use std::process::ExitCode;

fn main() -> ExitCode {
    mfflow_lab::run::main::<config::Config>(
        "spectral-vs-general",
        include_str!("../report.md"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"),
        |c| c.master_seed,
        |run| {
            run.part(
                "setup",
                |c, s| Ok(setup::Setup::new(c, s)?.l().to_vec()),
                |l: &Vec<f64>, _, r| {
                    r.set("n", l.len().to_string());
                    let l: Vec<String> = l.iter().map(|v| short(*v, 3)).collect();
                    r.set("eigenvalues", l.join(", "));
                    Ok(())
                },
            )?;
            run.part("figure1", figure1::measure, figure1::report)?;
            run.part("separation", separation::measure, separation::report)?;
            run.part("theorem tables", theorems::measure, theorems::report)?;
            run.part("tightness", tightness::measure, tightness::report)?;
            run.part("cross-check", cross_check::measure, cross_check::report)?;
            run.part("talk", talk::measure, talk::report)?;
            Ok(())
        },
    )
}

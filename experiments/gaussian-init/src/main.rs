//! Experiment `gaussian-init`: random Gaussian initial shapes (the paper's Section III-C.1).
//!
//! Theorem 4 holds for a random shape `Ū₀` with probability `1 − δ` once `M_δ` bounds
//! `M = max(‖W̄₀‖, ‖W̄₀⁻¹‖)`, `W̄₀ = Ū₀ Ū₀ᵀ`, with that probability. This experiment measures:
//!
//! 1. the Monte Carlo distributions of `λ_max(W̄₀)`, `λ_min(W̄₀)` and `M` for `Ū₀` `n × r` with
//!    i.i.d. `N(0, 1)` entries, against the Marchenko–Pastur / Bai–Yin edges `(√r ± √n)²` and,
//!    at `r = n`, Edelman's law for `n λ_min`; the quantiles `M_δ` with distribution-free
//!    confidence intervals, also under the `N(0, 1/r)` normalisation and the best scaling;
//! 2. the largest `α` for which Theorem 4 applies with `M = M_δ`, against `n` and `r/n`;
//! 3. over random shapes, the probability that learning is incremental (the exact trajectory
//!    comes within ε of every `Ŷ_k`), and the probability that the theorem applies and its
//!    conclusion holds on its intervals, against `α`: how conservative the theorem is.
//!
//! The prose of the report is in `report.md` beside this crate. The parts are modules:
//! `spectra` (part 1, measurement) and `spectra_report`, `required_alpha` (part 2, read from the
//! part-1 summaries), `learning` (part 3); this file runs them in order.

use mfflow_lab::output::{short, Outputs};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::{cli, Result};
use std::process::ExitCode;

mod config;
mod learning;
mod required_alpha;
mod spectra;
mod spectra_report;

use config::*;
use learning::*;
use required_alpha::*;
use spectra::*;
use spectra_report::*;

const NAME: &str = "gaussian-init";
const TEMPLATE: &str = include_str!("../report.md");
/// Level of the Kolmogorov–Smirnov test against Edelman's law.
const KS_LEVEL: f64 = 0.05;
/// Standard deviations of the Wilson intervals of the measured proportions (95%).
const WILSON_Z: f64 = 1.96;

fn main() -> ExitCode {
    cli::main(
        NAME,
        concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"),
        run,
    )
}

fn run(args: &cli::Args) -> Result<()> {
    let (cfg, _) = mfflow_lab::config::load::<Config>(&args.config)?;
    let seeds = Seeds::new(cfg.master_seed);
    let out = Outputs::create(&args.out)?;
    let mut report = Report::new(TEMPLATE);
    report.set(
        "sizes",
        cfg.sizes
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    );
    report.set("ratios", list(&cfg.ratios));
    report.set("draws", cfg.draws.to_string());
    report.set(
        "confidence",
        format!("{}%", short(100.0 * cfg.confidence, 3)),
    );
    report.set("deltas", list(&cfg.deltas));
    report.set("target_eigenvalues", list(&cfg.target_eigenvalues));
    report.set("eps", short(cfg.eps, 3));

    let spectra = out.time("spectra", || sample_spectra(&cfg, &seeds))?;
    let summaries = summarize(&cfg, &spectra);
    out.time("report: spectra", || {
        report_spectra(&cfg, &summaries, &out, &mut report)
    })?;
    report_required_alpha(&cfg, &summaries, &out, &mut report)?;
    let learning = out.time("learning", || sample_learning(&cfg, &seeds))?;
    report_learning(&cfg, &summaries, &learning, &out, &mut report)?;
    let work = cfg.sizes.len() * cfg.draws;
    let trajectories: usize = learning
        .iter()
        .map(|c| c.shapes.len() * c.alphas.len())
        .sum();
    report.set(
        "work",
        format!(
            "{work} Gaussian shapes ({} spectra) in part 1, and {} shapes with {} exact trajectories in part 3",
            work * cfg.ratios.len(),
            learning.iter().map(|c| c.shapes.len()).sum::<usize>(),
            trajectories
        ),
    );
    out.finish(NAME, &report, &seeds, &cfg)
}

fn list(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| short(*v, 3))
        .collect::<Vec<_>>()
        .join(", ")
}

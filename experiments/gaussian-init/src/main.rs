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
//! The prose of the report is in `report.md` beside this crate. Each part's data is saved as
//! `data/<part>.json`, so `--render-from DIR` re-renders the report without measuring. The
//! parts are modules:
//! `spectra` (part 1, measurement) and `spectra_report`, `required_alpha` (part 2, read from the
//! part-1 summaries), `learning` (part 3); this file runs them in order.

use mfflow_lab::output::short;
use mfflow_lab::report::Report;
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

/// Level of the Kolmogorov–Smirnov test against Edelman's law.
const KS_LEVEL: f64 = 0.05;
/// Standard deviations of the Wilson intervals of the measured proportions (95%).
const WILSON_Z: f64 = 1.96;

fn main() -> ExitCode {
    mfflow_lab::run::main::<Config>(
        "gaussian-init",
        include_str!("../report.md"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"),
        |c| c.master_seed,
        |run| {
            let cfg = run.cfg.clone();
            run.part(
                "setup",
                |_, _| Ok(()),
                |_, _, report| {
                    setup(&cfg, report);
                    Ok(())
                },
            )?;
            let summaries = run.part(
                "spectra",
                |cfg, seeds| Ok(summarize(cfg, &sample_spectra(cfg, seeds)?)),
                |summaries, out, report| report_spectra(&cfg, summaries, out, report),
            )?;
            run.part(
                "required alpha",
                |_, _| Ok(()),
                |_, out, report| report_required_alpha(&cfg, &summaries, out, report),
            )?;
            run.part("learning", sample_learning, |cases, out, report| {
                report_learning(&cfg, &summaries, cases, out, report)?;
                work(&cfg, cases, report);
                Ok(())
            })?;
            Ok(())
        },
    )
}

/// The setup paragraph: sizes, ratios, draws, confidence, deltas, target and eps.
fn setup(cfg: &Config, report: &mut Report) {
    let sizes: Vec<String> = cfg.sizes.iter().map(|n| n.to_string()).collect();
    report.set("sizes", sizes.join(", "));
    report.set("ratios", list(&cfg.ratios));
    report.set("draws", cfg.draws.to_string());
    report.set(
        "confidence",
        format!("{}%", short(100.0 * cfg.confidence, 3)),
    );
    report.set("deltas", list(&cfg.deltas));
    report.set("target_eigenvalues", list(&cfg.target_eigenvalues));
    report.set("eps", short(cfg.eps, 3));
}

/// How much the run computed.
fn work(cfg: &Config, cases: &[LearningCase], report: &mut Report) {
    let work = cfg.sizes.len() * cfg.draws;
    let trajectories: usize = cases.iter().map(|c| c.shapes.len() * c.alphas.len()).sum();
    report.set(
        "work",
        format!(
            "{work} Gaussian shapes ({} spectra) in part 1, and {} shapes with {} exact trajectories in part 3",
            work * cfg.ratios.len(),
            cases.iter().map(|c| c.shapes.len()).sum::<usize>(),
            trajectories
        ),
    );
}

fn list(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| short(*v, 3))
        .collect::<Vec<_>>()
        .join(", ")
}

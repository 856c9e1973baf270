//! Section 5: this experiment's gradient-descent loop (in the eigenbasis of `Y`, every iterate
//! observed) against the core's `mfflow::gd::gradient_descent` (in the original basis), on the
//! same start and step.

use crate::config::Config;
use crate::gd::{self, to_mat, Watch};
use crate::setup::{Kind, Setup};
use mfflow::analysis::linspace;
use mfflow::metrics::max_abs_diff;
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;

/// Agreement required, relative to `‖Y‖`: the two loops differ only by rounding (a rotation by
/// `Φ` and a different order of operations, `~ n ε_mach` per step relative to the learned
/// directions), which the exponential growth of the small directions carries along; `1e-9` is
/// far above that and far below any effect this report measures.
const TOLERANCE: f64 = 1e-9;

pub struct Data {
    alpha: f64,
    eta_l1: f64,
    points: usize,
    /// Largest entrywise difference of `W` over the compared iterates, per start.
    diffs: Vec<(Kind, f64, u64)>,
    norm: f64,
}

pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds)?;
    let b = &cfg.basis_check;
    let l = setup.l();
    let n = l.len();
    let eta = b.eta_l1 / l[0];
    let mut diffs = Vec::new();
    for kind in Kind::BOTH {
        let half = setup.flow_half_times(&setup.trajectory(kind, b.alpha)?, b.alpha)?;
        let times = linspace(0.0, 1.5 * half[n - 1], b.points);
        let init = setup.init(kind, b.alpha)?;
        let core = mfflow::gd::gradient_descent(setup.target.y(), init.u0().as_ref(), eta, &times)?;
        let steps: Vec<u64> = core.iter().map(|(t, _)| (t / eta).round() as u64).collect();
        let mut sorted = steps.clone();
        sorted.sort_unstable();
        sorted.dedup();
        let ours = gd::run(
            l,
            &setup.factor(kind, b.alpha)?,
            eta,
            *sorted.last().unwrap_or(&0),
            &Watch {
                checkpoints: sorted.clone(),
                ..Watch::default()
            },
        )?;
        let mut worst = 0.0f64;
        for ((_, u), k) in core.iter().zip(&steps) {
            let w_core = u * u.transpose();
            let (_, w) = ours
                .checkpoints
                .iter()
                .find(|(s, _)| s == k)
                .expect("every step checkpointed");
            let phi = setup.target.phi();
            let w_ours = phi * to_mat(w, n) * phi.transpose();
            worst = worst.max(max_abs_diff(w_core.as_ref(), w_ours.as_ref()));
        }
        diffs.push((kind, worst, *sorted.last().unwrap_or(&0)));
    }
    Ok(Data {
        alpha: b.alpha,
        eta_l1: b.eta_l1,
        points: b.points,
        diffs,
        norm: setup.target.norm(),
    })
}

pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let rows: Vec<Vec<String>> = data
        .diffs
        .iter()
        .map(|(k, d, s)| vec![k.name().into(), s.to_string(), num(*d)])
        .collect();
    out.csv(
        "basis-check.csv",
        &["start", "steps", "max_abs_difference_of_W"],
        &rows,
    )?;
    let text: Vec<String> = data
        .diffs
        .iter()
        .map(|(k, d, s)| format!("{} start: {} over {} steps", k.name(), short(*d, 2), s))
        .collect();
    report.set("basis_diffs", text.join("; "));
    report.set("basis_alpha", short(data.alpha, 2));
    report.set("basis_eta", short(data.eta_l1, 2));
    report.set("basis_points", data.points.to_string());
    report.set("basis_tolerance", short(TOLERANCE, 1));
    report.check(
        "basis_agree",
        data.diffs
            .iter()
            .all(|(_, d, _)| *d <= TOLERANCE * data.norm),
        text.join("; "),
    );
    Ok(())
}

//! Section 1: learning times in iterations. Measured (first step at which `λ_i(W) ≥ l_i / 2`)
//! against the flow's half-time divided by `η` and against the discrete prediction
//! `t_i l_i / log(1 + η l_i)` (the flow's time spent at rate `l_i`, at the per-step rate of
//! gradient descent).

use crate::config::Config;
use crate::gd::{self, Watch};
use crate::setup::{discrete_iterations, Kind, Setup};
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Series};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::{lab_err, Result};
use rayon::prelude::*;

/// One eigenvalue of one run.
pub struct Row {
    kind: Kind,
    alpha: f64,
    eta_l1: f64,
    eta: f64,
    i: usize,
    l: f64,
    /// The flow's half-time.
    flow: f64,
    /// The measured GD half-time in iterations (`None`: not within the run).
    measured: Option<u64>,
    /// `t_i l_i / log(1 + η l_i)`.
    predicted: f64,
    /// `t_i / η`.
    naive: f64,
}

/// What section 1 measured.
pub struct Data {
    rows: Vec<Row>,
    alphas: Vec<f64>,
    etas: Vec<f64>,
    n: usize,
    l: Vec<f64>,
}

/// Runs gradient descent at every `(start, alpha, eta)`, in parallel (each run is sequential,
/// so the results do not depend on the thread count).
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds)?;
    let l = setup.l().to_vec();
    let lt = &cfg.learning_times;
    let mut flows = Vec::new();
    for &alpha in &lt.alphas {
        for kind in Kind::BOTH {
            let traj = setup.trajectory(kind, alpha)?;
            flows.push((kind, alpha, setup.flow_half_times(&traj, alpha)?));
        }
    }
    let jobs: Vec<(usize, f64)> = (0..flows.len())
        .flat_map(|f| lt.eta_l1.iter().map(move |&e| (f, e)))
        .collect();
    let runs: Vec<Vec<Row>> = jobs
        .par_iter()
        .map(|&(f, eta_l1)| -> Result<Vec<Row>> {
            let (kind, alpha, ref t) = flows[f];
            let eta = eta_l1 / l[0];
            let predicted: Vec<f64> = (0..l.len())
                .map(|i| discrete_iterations(t[i], l[i], eta))
                .collect();
            let steps = (1.5 * predicted.iter().copied().fold(0.0, f64::max)).ceil() as u64 + 10;
            let u0 = setup.factor(kind, alpha)?;
            let out = gd::run(
                &l,
                &u0,
                eta,
                steps,
                &Watch {
                    half_times: true,
                    ..Watch::default()
                },
            )
            .map_err(|e| lab_err!("learning_times.eta_l1 = {eta_l1}: {e}"))?;
            Ok((0..l.len())
                .map(|i| Row {
                    kind,
                    alpha,
                    eta_l1,
                    eta,
                    i,
                    l: l[i],
                    flow: t[i],
                    measured: out.half[i],
                    predicted: predicted[i],
                    naive: t[i] / eta,
                })
                .collect())
        })
        .collect::<Result<_>>()?;
    Ok(Data {
        rows: runs.into_iter().flatten().collect(),
        alphas: lt.alphas.clone(),
        etas: lt.eta_l1.clone(),
        n: l.len(),
        l,
    })
}

fn rel(a: f64, b: u64) -> f64 {
    (a - b as f64).abs() / b as f64
}

/// Writes `learning-times.csv`, the figures and the tables, and fills section 1.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let rows: Vec<Vec<String>> = data
        .rows
        .iter()
        .map(|r| {
            vec![
                r.kind.name().into(),
                num(r.alpha),
                num(r.eta_l1),
                (r.i + 1).to_string(),
                num(r.l),
                num(r.flow),
                r.measured.map_or("".into(), |m| m.to_string()),
                num(r.predicted),
                num(r.naive),
            ]
        })
        .collect();
    out.csv(
        "learning-times.csv",
        &[
            "start",
            "alpha",
            "eta_l1",
            "i",
            "l_i",
            "flow_half_time",
            "gd_half_time_iterations",
            "predicted_iterations",
            "flow_time_over_eta",
        ],
        &rows,
    )?;
    for kind in Kind::BOTH {
        figure(data, kind, out, report)?;
    }
    summary(data, report);
    detail(data, report);
    verdicts(data, report);
    Ok(())
}

fn figure(data: &Data, kind: Kind, out: &Outputs, report: &mut Report) -> Result<()> {
    let alpha = data.alphas[data.alphas.len() - 1];
    let mut plot = LinePlot::new(
        format!(
            "Delay of GD's learning times against the flow, {} start, alpha = {}",
            kind.name(),
            short(alpha, 2)
        ),
        "step size eta * l_1 (log scale)",
        "delay of GD: eta * (half-time in iterations) / t_i - 1, in %",
    );
    plot.log_x = true;
    for i in 0..data.n {
        let measured: Vec<(f64, f64)> = data
            .rows
            .iter()
            .filter(|r| r.kind == kind && r.alpha == alpha && r.i == i)
            .filter_map(|r| {
                r.measured
                    .map(|m| (r.eta_l1, 100.0 * (m as f64 * r.eta / r.flow - 1.0)))
            })
            .collect();
        plot.series
            .push(Series::markers(format!("measured, i = {}", i + 1), measured).coloured(i));
    }
    // The prediction as a smooth curve over the range of the sweep.
    let (lo, hi) = (data.etas[0].ln(), data.etas[data.etas.len() - 1].ln());
    for i in 0..data.n {
        let pts = (0..=200)
            .map(|j| {
                let x = (lo + (hi - lo) * j as f64 / 200.0).exp();
                let a = x * data.l[i] / data.l[0];
                (x, 100.0 * (a / a.ln_1p() - 1.0))
            })
            .collect();
        plot.series
            .push(Series::line(format!("predicted, i = {}", i + 1), pts).coloured(i));
    }
    report.figure(
        out,
        &format!("learning_times_{}", kind.name()),
        &plot,
        &format!(
            "{} start, alpha = {}: how much later than the flow gradient descent learns each eigenvalue: \
             the measured GD half-time times eta over the flow's half-time t_i, minus 1, in percent (dots), \
             against the discrete prediction eta l_i / log(1 + eta l_i) - 1 (lines). At 0 the naive \
             conversion t_i / eta would be exact. Data: learning-times.csv.",
            kind.name(),
            short(alpha, 2)
        ),
    )
}

fn summary(data: &Data, report: &mut Report) {
    let mut rows = Vec::new();
    for &alpha in &data.alphas {
        for kind in Kind::BOTH {
            let sel: Vec<&Row> = data
                .rows
                .iter()
                .filter(|r| r.kind == kind && r.alpha == alpha)
                .collect();
            let worst = |f: &dyn Fn(&Row, u64) -> f64| {
                sel.iter()
                    .filter_map(|r| r.measured.map(|m| f(r, m)))
                    .fold(0.0f64, f64::max)
            };
            let missing = sel.iter().filter(|r| r.measured.is_none()).count();
            rows.push(vec![
                kind.name().into(),
                short(alpha, 2),
                format!("{} %", short(100.0 * worst(&|r, m| rel(r.naive, m)), 3)),
                format!("{} %", short(100.0 * worst(&|r, m| rel(r.predicted, m)), 3)),
                short(worst(&|r, m| (r.predicted - m as f64).abs()), 3),
                missing.to_string(),
            ]);
        }
    }
    report.table(
        "learning_summary",
        &[
            "start",
            "alpha",
            "worst relative error of t_i / eta",
            "worst relative error of the discrete prediction",
            "worst error of the discrete prediction (iterations)",
            "half-times not reached",
        ],
        &rows,
    );
    let etas: Vec<String> = data.etas.iter().map(|e| short(*e, 2)).collect();
    report.set("learning_etas", etas.join(", "));
    let alphas: Vec<String> = data.alphas.iter().map(|a| short(*a, 2)).collect();
    report.set("learning_alphas", alphas.join(", "));
}

fn detail(data: &Data, report: &mut Report) {
    let eta_l1 = data.etas.iter().copied().fold(0.0, f64::max);
    let alpha = data.alphas[data.alphas.len() - 1];
    let rows: Vec<Vec<String>> = data
        .rows
        .iter()
        .filter(|r| r.eta_l1 == eta_l1 && r.alpha == alpha)
        .map(|r| {
            vec![
                r.kind.name().into(),
                (r.i + 1).to_string(),
                short(r.l, 3),
                short(r.eta * r.l, 3),
                short(r.naive, 4),
                short(r.predicted, 4),
                r.measured.map_or("not reached".into(), |m| m.to_string()),
            ]
        })
        .collect();
    report.table(
        "learning_detail",
        &[
            "start",
            "i",
            "l_i",
            "eta l_i",
            "t_i / eta",
            "predicted t_i l_i / log(1 + eta l_i)",
            "measured (iterations)",
        ],
        &rows,
    );
    report.set("detail_eta", short(eta_l1, 3));
    report.set("detail_alpha", short(alpha, 2));
}

fn verdicts(data: &Data, report: &mut Report) {
    let all = data.rows.iter().all(|r| r.measured.is_some());
    report.check(
        "all_learned",
        all,
        "every GD half-time reached within 1.5 times its prediction",
    );
    // Larger eigenvalues first, in iterations, at every step size below the limit.
    let mut ordered = true;
    for &alpha in &data.alphas {
        for kind in Kind::BOTH {
            for &e in &data.etas {
                let h: Vec<Option<u64>> = data
                    .rows
                    .iter()
                    .filter(|r| r.kind == kind && r.alpha == alpha && r.eta_l1 == e)
                    .map(|r| r.measured)
                    .collect();
                ordered &= h.iter().all(Option::is_some) && h.windows(2).all(|w| w[0] < w[1]);
            }
        }
    }
    report.check(
        "ordered",
        ordered,
        "GD half-times increase with i in every run",
    );
    // Where the discrete prediction beats t/eta: the smallest step of the sweep from which on
    // it is closer for every eigenvalue, start and alpha.
    let better_at = |e: f64| {
        data.rows
            .iter()
            .filter(|r| r.eta_l1 == e)
            .all(|r| match r.measured {
                Some(m) => (r.predicted - m as f64).abs() < (r.naive - m as f64).abs(),
                None => false,
            })
    };
    let mut etas = data.etas.clone();
    etas.sort_by(f64::total_cmp);
    let from = etas
        .iter()
        .rposition(|&e| !better_at(e))
        .map_or(Some(0), |p| (p + 1 < etas.len()).then_some(p + 1));
    report.check(
        "discrete_better",
        from.is_some(),
        "the discrete prediction is closer than t_i/eta at the largest steps",
    );
    report.set(
        "better_everywhere",
        if from == Some(0) {
            "at every step size of the sweep".to_string()
        } else {
            format!(
                "from eta l_1 = {} on (at smaller steps both are within a few iterations of the measurement and the other terms of the half-time decide)",
                from.map_or("-".into(), |p| short(etas[p], 2))
            )
        },
    );
    // The worst error in iterations over the whole sweep, and where the discrete prediction
    // is worst relative to the measurement.
    let worst_it = data
        .rows
        .iter()
        .filter_map(|r| r.measured.map(|m| (r.predicted - m as f64).abs()))
        .fold(0.0f64, f64::max);
    report.set("worst_iterations", short(worst_it, 3));
    report.check(
        "within_one_step",
        worst_it < 1.0,
        format!("largest |predicted - measured| = {worst_it} iterations"),
    );
    let worst_naive = data
        .rows
        .iter()
        .filter_map(|r| r.measured.map(|m| rel(r.naive, m)))
        .fold(0.0f64, f64::max);
    report.set("worst_naive", short(100.0 * worst_naive, 3));
}

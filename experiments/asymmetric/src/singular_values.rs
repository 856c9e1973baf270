//! Section 2: the singular values of `U Vᵀ(t)` over time, for `r` below and above `rank(Y)`
//! and several alphas, and the half-times against `log(1/alpha)/(2 sigma_i)`.

use crate::config::Config;
use crate::shapes::{balanced_shape, horizon, rectangular};
use mfflow::analysis::{crossing_time, linspace};
use mfflow::asymmetric::BalancedTrajectory;
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Marker, Series};
use mfflow_lab::report::{figure_markdown, Report};
use mfflow_lab::seeds::Seeds;
use mfflow_lab::{progress, Result};
use serde::{Deserialize, Serialize};

/// One `(r, alpha)`: the curves and the half-times.
#[derive(Serialize, Deserialize)]
pub struct Case {
    r: usize,
    alpha: f64,
    /// `min(r, rank)`: how many singular values can be learned.
    learned: usize,
    times: Vec<f64>,
    /// The `learned + 1` largest singular values at each time.
    sigma_t: Vec<Vec<f64>>,
    /// Time at which `sigma_i(U Vᵀ)` reaches `sigma_i(Y)/2`, `i < learned`.
    halves: Vec<Option<f64>>,
}

/// What section 2 measured.
#[derive(Serialize, Deserialize)]
pub struct Data {
    m: usize,
    n: usize,
    sigma: Vec<f64>,
    cases: Vec<Case>,
}

/// Evaluates the exact balanced trajectory of every `(r, alpha)`.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let sigma = cfg.singular_values[..cfg.rank].to_vec();
    let (y, _, _) = rectangular(cfg.m, cfg.n, &sigma, seeds, "learning-target");
    let bar = progress::bar(
        (cfg.r_values.len() * cfg.alphas.len()) as u64,
        "singular values",
    );
    let mut cases = Vec::new();
    for &r in &cfg.r_values {
        let (ub, vb) = balanced_shape(cfg.m, cfg.n, r, seeds, &format!("learning-shape-r{r}"));
        let learned = r.min(cfg.rank);
        for &alpha in &cfg.alphas {
            let bt = BalancedTrajectory::new(y.as_ref(), alpha, ub.as_ref(), vb.as_ref())?;
            let times = linspace(0.0, horizon(alpha, sigma[learned - 1]), cfg.time_points);
            // For a balanced pair the positive eigenvalues of W = Z Zᵀ/2 are the singular values
            // of U Vᵀ (U = P H, V = Q H with the same H), so W's spectrum is read directly.
            let eig = bt.symmetric().eigenvalues(&times)?;
            let halves = (0..learned)
                .map(|i| crossing_time(bt.symmetric(), i, sigma[i] / 2.0, &times))
                .collect::<std::result::Result<_, _>>()?;
            let sigma_t = eig
                .iter()
                .map(|e| e.iter().take(learned + 1).copied().collect())
                .collect();
            cases.push(Case {
                r,
                alpha,
                learned,
                times,
                sigma_t,
                halves,
            });
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    Ok(Data {
        m: cfg.m,
        n: cfg.n,
        sigma,
        cases,
    })
}

/// Writes one CSV and one figure per case and fills section 2.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let mut figures = Vec::new();
    for case in &data.cases {
        figures.push(case_figure(data, case, out)?);
    }
    report.set(
        "learning_setup",
        format!(
            "{} x {} target of rank {} with singular values {}",
            data.m,
            data.n,
            data.sigma.len(),
            data.sigma
                .iter()
                .map(|s| short(*s, 3))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    report.set("singular_value_figures", figures.join("\n\n"));
    half_time_table(data, report);
    let mut delays = Delays::default();
    for case in &data.cases {
        for (i, t) in case.halves.iter().enumerate() {
            let predicted = (1.0 / case.alpha).ln() / (2.0 * data.sigma[i]);
            delays.add(case.r, i, t.map(|t| (t, predicted)));
        }
    }
    delays.report(report);
    Ok(())
}

fn case_name(case: &Case) -> String {
    format!(
        "singular_values_r{}_alpha{}",
        case.r,
        short(case.alpha, 1).replace('.', "p")
    )
}

fn case_figure(data: &Data, case: &Case, out: &Outputs) -> Result<String> {
    let name = case_name(case);
    let k_show = case.learned + 1;
    let header: Vec<String> = std::iter::once("t".to_string())
        .chain((1..=k_show).map(|i| format!("sigma_{i}")))
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = case
        .times
        .iter()
        .zip(&case.sigma_t)
        .map(|(t, e)| {
            std::iter::once(num(*t))
                .chain(e.iter().map(|v| num(*v)))
                .collect()
        })
        .collect();
    out.csv(&format!("{name}.csv"), &header, &rows)?;
    let mut plot = LinePlot::new(
        format!(
            "Singular values of U V^T(t), {} x {} target of rank {}, r = {}, alpha = {}",
            data.m,
            data.n,
            data.sigma.len(),
            case.r,
            short(case.alpha, 1)
        ),
        "time t (units of 1/singular value of Y)",
        "singular value of U V^T (log scale)",
    );
    plot.log_y = true;
    // A singular value that is zero throughout (beyond the rank r of U V^T) has nothing to
    // draw on a log scale: it is said in the caption, not given a legend entry.
    let mut zero = Vec::new();
    for i in 0..k_show.min(case.sigma_t[0].len()) {
        if case.sigma_t.iter().all(|e| e[i] <= 0.0) {
            zero.push(format!("sigma_{}", i + 1));
            continue;
        }
        let pts = case
            .times
            .iter()
            .zip(&case.sigma_t)
            .map(|(t, e)| (*t, e[i]))
            .collect();
        plot.series
            .push(Series::line(format!("sigma_{}", i + 1), pts));
    }
    let zero = match zero.len() {
        0 => String::new(),
        _ => format!(
            " {} is exactly zero at every time (U V^T has rank at most r = {}), so it is not drawn.",
            zero.join(", "),
            case.r
        ),
    };
    for (i, s) in data.sigma.iter().enumerate() {
        plot.markers.push(Marker::Horizontal(*s, i));
    }
    plot.marker_label = "dashed: the singular values of Y".into();
    figure_markdown(
        out,
        &name,
        &plot,
        &format!(
            "r = {}, alpha = {}: the {k_show} largest singular values of U V^T(t) (at most min(r, rank) = {} can be learned).{zero} Dashed: the singular values of Y. Data: {name}.csv.",
            case.r,
            short(case.alpha, 1),
            case.learned
        ),
    )
}

fn half_time_table(data: &Data, report: &mut Report) {
    let mut rows = Vec::new();
    for case in &data.cases {
        let (r, a) = (case.r.to_string(), short(case.alpha, 1));
        for (i, t) in case.halves.iter().enumerate() {
            let predicted = (1.0 / case.alpha).ln() / (2.0 * data.sigma[i]);
            rows.push(vec![
                r.clone(),
                a.clone(),
                (i + 1).to_string(),
                short(data.sigma[i], 3),
                short(predicted, 4),
                t.map_or("not reached".into(), |t| short(t, 4)),
            ]);
        }
        // The first singular value beyond min(r, rank) at the end: 0 when r < rank.
        let last = case.sigma_t.last().expect("time points");
        rows.push(vec![
            r,
            a,
            format!("{} (not learnable)", case.learned + 1),
            data.sigma
                .get(case.learned)
                .map_or("0".into(), |s| short(*s, 3)),
            "-".into(),
            format!(
                "value at the end: {}",
                short(last.get(case.learned).copied().unwrap_or(0.0), 2)
            ),
        ]);
    }
    report.table(
        "half_time_table",
        &[
            "r",
            "alpha",
            "i",
            "sigma_i(Y)",
            "predicted log(1/alpha)/(2 sigma_i)",
            "measured: sigma_i(UV^T) = sigma_i/2",
        ],
        &rows,
    );
}

/// Measured half-times against `log(1/α)/(2σ_i)`: the ratios, and whether the delay
/// (measured − predicted) is the same at every α for each `(r, i)`, as the α-independent term
/// `log(σ_i/s_i)/(2σ_i)` the prediction leaves out would make it.
#[derive(Default)]
struct Delays {
    /// `(r, i)` → `(measured, predicted)` over the alphas (`None`: not reached).
    by_mode: std::collections::BTreeMap<(usize, usize), Vec<HalfTime>>,
}

/// A measured half-time with its prediction, or `None` when not reached.
type HalfTime = Option<(f64, f64)>;

impl Delays {
    fn add(&mut self, r: usize, i: usize, m: HalfTime) {
        self.by_mode.entry((r, i)).or_default().push(m);
    }

    fn report(&self, report: &mut Report) {
        let all: Vec<(f64, f64)> = self.by_mode.values().flatten().flatten().copied().collect();
        let ratios: Vec<f64> = all.iter().map(|(m, p)| m / p).collect();
        let delays: Vec<f64> = all.iter().map(|(m, p)| m - p).collect();
        let fmt = |v: &[f64]| {
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            format!("{} to {}", short(lo, 3), short(hi, 3))
        };
        report.set("half_time_ratios", fmt(&ratios));
        report.set("half_time_delays", fmt(&delays));
        let mut spread = 0.0f64;
        let mut complete = true;
        for runs in self.by_mode.values() {
            let d: Vec<f64> = runs.iter().flatten().map(|(m, p)| m - p).collect();
            complete &= d.len() == runs.len();
            let lo = d.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = d.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if hi > 0.0 {
                spread = spread.max((hi - lo) / hi);
            }
        }
        report.set("delay_spread", format!("{}%", short(100.0 * spread, 2)));
        report.check(
            "delay_constant",
            complete && spread < 0.05,
            format!("largest relative spread of the delay over alpha: {spread}"),
        );
    }
}

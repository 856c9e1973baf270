//! Sections 3 and 4: against alpha, the first learning time (its exponent measured and
//! compared with the prediction of the balanced flow) and how far a random start's learning
//! times and rise times are from the balanced spectral prediction.

use crate::config::Config;
use crate::setup::{crossings, Setup, LEVELS};
use mfflow::depth;
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Series};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::stats::least_squares_slope;
use mfflow_lab::Result;
use rayon::prelude::*;

/// One `(depth, alpha)`.
pub struct Point {
    depth: usize,
    alpha: f64,
    /// Balanced spectral start `σ_i(0) = α`: crossing times `[i][level]` (exact).
    balanced: Vec<Vec<f64>>,
    /// Random start, `‖W(0)‖₂ = α`: crossing times `[i][level]` (integrated; empty when α is
    /// not one of `random_alphas`).
    random: Vec<Vec<Option<f64>>>,
    /// Balanced prediction from the random start's own components `|u_iᵀ W(0) v_i|`: the
    /// learning time of each `i` (`None` when the component is not below `s_i/2`).
    projected: Vec<Option<f64>>,
}

/// What sections 3 and 4 measured.
pub struct Data {
    s: Vec<f64>,
    depths: Vec<usize>,
    fit_points: usize,
    points: Vec<Point>,
}

fn one(setup: &Setup, depth: usize, alpha: f64, with_random: bool) -> Result<Point> {
    let n = setup.n();
    let balanced: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            LEVELS
                .iter()
                .map(|&lv| setup.balanced_time(depth, i, alpha, lv))
                .collect::<Result<Vec<f64>>>()
        })
        .collect::<Result<_>>()?;
    if !with_random {
        return Ok(Point {
            depth,
            alpha,
            balanced,
            random: Vec::new(),
            projected: Vec::new(),
        });
    }
    let f0 = setup.random_start(depth, alpha);
    let random = crossings(setup, &f0, 3.0 * balanced[n - 1][LEVELS.len() - 1])?;
    let projected = setup
        .components(&f0)
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if c > 0.0 && c < 0.5 * setup.s[i] {
                Ok(Some(depth::time_to_reach(
                    depth,
                    setup.s[i],
                    c,
                    0.5 * setup.s[i],
                )?))
            } else {
                Ok(None)
            }
        })
        .collect::<Result<_>>()?;
    Ok(Point {
        depth,
        alpha,
        balanced,
        random,
        projected,
    })
}

/// Every depth at every alpha of the sweep (in parallel; each point is independent, so the
/// result does not depend on the thread count).
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds, &cfg.depths)?;
    let mut alphas = cfg.sweep_alphas.clone();
    alphas.extend(
        cfg.random_alphas
            .iter()
            .filter(|a| !cfg.sweep_alphas.contains(a)),
    );
    let jobs: Vec<(usize, f64, bool)> = cfg
        .depths
        .iter()
        .flat_map(|&l| {
            alphas
                .iter()
                .map(move |&a| (l, a, cfg.random_alphas.contains(&a)))
        })
        .collect();
    let bar = mfflow_lab::progress::bar(jobs.len() as u64, "alpha sweep");
    let points = jobs
        .par_iter()
        .map(|&(l, a, r)| {
            let p = one(&setup, l, a, r);
            bar.inc(1);
            p
        })
        .collect::<Result<Vec<_>>>()?;
    bar.finish_and_clear();
    Ok(Data {
        s: setup.s.clone(),
        depths: cfg.depths.clone(),
        fit_points: cfg.fit_points,
        points,
    })
}

/// The points of one depth, by increasing alpha (only those with a random start if `random`).
fn of_depth(data: &Data, depth: usize, random: bool) -> Vec<&Point> {
    let mut p: Vec<&Point> = data
        .points
        .iter()
        .filter(|p| p.depth == depth && (!random || !p.random.is_empty()))
        .collect();
    p.sort_by(|a, b| a.alpha.total_cmp(&b.alpha));
    p
}

/// The predicted exponent of the first learning time: `−(1 − 2/L)` (`L ≥ 3`, log-log slope)
/// or `1/(2 s₁)` (`L = 2`, slope against `log(1/α)`).
fn predicted(depth: usize, s1: f64) -> f64 {
    if depth == 2 {
        1.0 / (2.0 * s1)
    } else {
        -(1.0 - 2.0 / depth as f64)
    }
}

/// The fitted slope on the `fit` smallest alphas: log-log for `L ≥ 3`, against `log(1/α)` for
/// `L = 2`, of the learning time of singular value `i` given by `time`.
fn fitted(pts: &[&Point], fit: usize, time: impl Fn(&Point) -> Option<f64>) -> Option<f64> {
    let depth = pts[0].depth;
    let xy: Option<Vec<(f64, f64)>> = pts[..fit]
        .iter()
        .map(|p| {
            time(p).map(|t| {
                if depth == 2 {
                    ((1.0 / p.alpha).ln(), t)
                } else {
                    (p.alpha.ln(), t.ln())
                }
            })
        })
        .collect();
    least_squares_slope(&xy?)
}

/// Writes `sweep.csv` and the figures, and fills sections 3 and 4.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    write(data, out)?;
    exponent(data, out, report)?;
    distance(data, out, report)?;
    Ok(())
}

fn write(data: &Data, out: &Outputs) -> Result<()> {
    let mut rows = Vec::new();
    for p in &data.points {
        for i in 0..data.s.len() {
            let r = |k: usize| p.random.get(i).and_then(|r| r[k]).map_or("nan".into(), num);
            rows.push(vec![
                p.depth.to_string(),
                num(p.alpha),
                (i + 1).to_string(),
                num(p.balanced[i][0]),
                num(p.balanced[i][1]),
                num(p.balanced[i][2]),
                r(0),
                r(1),
                r(2),
                p.projected
                    .get(i)
                    .copied()
                    .flatten()
                    .map_or("nan".into(), num),
            ]);
        }
    }
    out.csv(
        "sweep.csv",
        &[
            "depth",
            "alpha",
            "i",
            "balanced_t10",
            "balanced_t50",
            "balanced_t90",
            "random_t10",
            "random_t50",
            "random_t90",
            "projected_t50",
        ],
        &rows,
    )
}

fn exponent(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let s1 = data.s[0];
    let mut plot = LinePlot::new(
        "First learning time against the initialization size",
        "alpha = ||W(0)||_2 (log scale)",
        "t_1: sigma_1 = s_1/2 (log scale)",
    );
    plot.log_x = true;
    plot.log_y = true;
    let mut rows = Vec::new();
    let mut ok_balanced = true;
    let mut ok_random = true;
    let mut ok_window = true;
    let mut worst_balanced = 0.0f64;
    for (k, &l) in data.depths.iter().enumerate() {
        let pts = of_depth(data, l, false);
        let rpts = of_depth(data, l, true);
        plot.series.push(
            Series::line(
                format!("L = {l} balanced (exact)"),
                pts.iter().map(|p| (p.alpha, p.balanced[0][1])).collect(),
            )
            .coloured(k),
        );
        plot.series.push(
            Series::markers(
                format!("L = {l} random (integrated)"),
                rpts.iter()
                    .filter_map(|p| p.random[0][1].map(|t| (p.alpha, t)))
                    .collect(),
            )
            .coloured(k),
        );
        let b = fitted(&pts, data.fit_points, |p| Some(p.balanced[0][1]));
        let bw = fitted(&rpts, data.fit_points, |p| Some(p.balanced[0][1]));
        let r = fitted(&rpts, data.fit_points, |p| p.random[0][1]);
        let pred = predicted(l, s1);
        // The measured exponent identifies the depth: it is closer to this depth's prediction
        // than to any other depth's (for L = 2: the slope is closer to 1/(2 s_1) than to
        // 1/(2 s_2), the rate of the next singular value).
        let rivals: Vec<f64> = if l == 2 {
            vec![1.0 / (2.0 * data.s[1])]
        } else {
            data.depths
                .iter()
                .filter(|&&d| d != l && d != 2)
                .map(|&d| predicted(d, s1))
                .collect()
        };
        let identifies = |m: Option<f64>| {
            m.is_some_and(|m| rivals.iter().all(|r| (m - pred).abs() < (m - r).abs()))
        };
        ok_balanced &= identifies(b);
        ok_random &= identifies(r);
        ok_window &= identifies(bw);
        if let Some(b) = b {
            worst_balanced = worst_balanced.max((b - pred).abs() / pred.abs());
        }
        let law = if l == 2 {
            "t_1 = slope * log(1/alpha) + c"
        } else {
            "t_1 ~ alpha^slope"
        };
        rows.push(vec![
            l.to_string(),
            law.to_string(),
            short(pred, 4),
            b.map_or("-".into(), |v| short(v, 4)),
            bw.map_or("-".into(), |v| short(v, 4)),
            r.map_or("-".into(), |v| short(v, 4)),
        ]);
    }
    report.table(
        "exponent_table",
        &[
            "L",
            "law",
            "predicted slope",
            "balanced (exact), smallest sweep alphas",
            "balanced (exact), random's alphas",
            "random (integrated)",
        ],
        &rows,
    );
    report.check(
        "exponent_balanced",
        ok_balanced,
        format!("fitted slopes per depth: {rows:?}"),
    );
    report.check(
        "exponent_random",
        ok_random,
        format!("fitted slopes per depth: {rows:?}"),
    );
    report.check(
        "exponent_window",
        ok_window,
        format!("fitted slopes per depth: {rows:?}"),
    );
    report.set("exponent_worst", short(100.0 * worst_balanced, 2));
    report.set("fit_points", data.fit_points.to_string());
    let range = |random: bool| {
        let a = of_depth(data, data.depths[0], random);
        (
            format!(
                "{} to {}",
                short(a[0].alpha, 2),
                short(a[a.len() - 1].alpha, 2)
            ),
            format!(
                "{} to {}",
                short(a[0].alpha, 2),
                short(a[data.fit_points - 1].alpha, 2)
            ),
        )
    };
    let (sweep, fit) = range(false);
    let (random_sweep, random_fit) = range(true);
    report.set("sweep_range", sweep);
    report.set("fit_range", fit);
    report.set("random_range", random_sweep);
    report.set("random_fit_range", random_fit);
    report.figure(
        out,
        "exponent_figure",
        &plot,
        "First learning time (sigma_1 reaches s_1/2) against the end-to-end initialization size, for every depth: lines, the balanced spectral start (exact); dots, the random start (integrated). Data: sweep.csv.",
    )
}

/// `max_i |a_i − b_i| / b_i` over the singular values where both exist.
fn worst_rel(a: impl Iterator<Item = Option<f64>>, b: impl Iterator<Item = Option<f64>>) -> f64 {
    a.zip(b)
        .filter_map(|(a, b)| Some((a? - b?).abs() / b?))
        .fold(0.0f64, f64::max)
}

fn distance(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let n = data.s.len();
    let mut times = LinePlot::new(
        "Random start against the balanced spectral prediction: learning times",
        "alpha = ||W(0)||_2 (log scale)",
        "max_i |t_i random - t_i predicted| / t_i predicted (log scale)",
    );
    times.log_x = true;
    times.log_y = true;
    let mut rises = LinePlot::new(
        "Random start against the balanced spectral prediction: rise times",
        "alpha = ||W(0)||_2 (log scale)",
        "max_i |rise_i random - rise_i balanced| / rise_i balanced (log scale)",
    );
    rises.log_x = true;
    rises.log_y = true;
    let mut rows = Vec::new();
    let mut rise_shrinks = true;
    let mut matched_small = Vec::new();
    let mut persists = true;
    let mut projected_small = Vec::new();
    for (k, &l) in data.depths.iter().enumerate() {
        let pts = of_depth(data, l, true);
        let matched: Vec<(f64, f64)> = pts
            .iter()
            .map(|p| {
                let d = worst_rel(
                    p.random.iter().map(|r| r[1]),
                    p.balanced.iter().map(|b| Some(b[1])),
                );
                (p.alpha, d)
            })
            .collect();
        let projected: Vec<(f64, f64)> = pts
            .iter()
            .map(|p| {
                let d = worst_rel(p.random.iter().map(|r| r[1]), p.projected.iter().copied());
                (p.alpha, d)
            })
            .collect();
        let rise: Vec<(f64, f64)> = pts
            .iter()
            .map(|p| {
                let d = worst_rel(
                    p.random.iter().map(|r| Some(r[2]? - r[0]?)),
                    p.balanced.iter().map(|b| Some(b[2] - b[0])),
                );
                (p.alpha, d)
            })
            .collect();
        times.series.push(
            Series::line(
                format!("L = {l}, matched size (sigma_i(0) = alpha)"),
                matched.clone(),
            )
            .coloured(k),
        );
        times.series.push(
            Series::markers(
                format!("L = {l}, own components |u_i^T W(0) v_i|"),
                projected.clone(),
            )
            .coloured(k),
        );
        rises
            .series
            .push(Series::line(format!("L = {l}"), rise.clone()).coloured(k));
        rise_shrinks &= rise[0].1 < rise[rise.len() - 1].1;
        matched_small.push((l, matched[0].1, matched[matched.len() - 1].1));
        if l >= 3 && matched.len() >= 2 {
            // Over the measured range the difference does not fall toward zero: at the
            // smallest alpha it is at least half of its value at the second-largest alpha.
            persists &= matched[0].1 >= 0.5 * matched[matched.len() - 2].1;
            projected_small.push(format!("{} at L = {l}", short(projected[0].1, 2)));
        }
        for (j, p) in pts.iter().enumerate() {
            rows.push(vec![
                l.to_string(),
                short(p.alpha, 2),
                short(matched[j].1, 3),
                short(projected[j].1, 3),
                short(rise[j].1, 3),
            ]);
        }
    }
    let _ = n;
    report.table(
        "distance_table",
        &[
            "L",
            "alpha",
            "learning times vs balanced, matched size",
            "learning times vs balanced from own components",
            "rise times vs balanced",
        ],
        &rows,
    );
    report.check(
        "rise_converges",
        rise_shrinks,
        "relative rise-time difference at the smallest alpha below that at the largest, every depth",
    );
    // L = 2: the matched-size learning-time difference falls with alpha (O(1)/log(1/alpha)).
    let shallow = matched_small.iter().find(|m| m.0 == 2);
    report.check(
        "shallow_converges",
        shallow.is_some_and(|m| m.1 < m.2),
        format!("(L, smallest-alpha, largest-alpha) matched distances: {matched_small:?}"),
    );
    let deep: Vec<String> = matched_small
        .iter()
        .filter(|m| m.0 >= 3)
        .map(|m| format!("{} at L = {}", short(m.1, 2), m.0))
        .collect();
    report.set("deep_matched", deep.join(", "));
    report.set("deep_projected", projected_small.join(", "));
    report.check(
        "deep_persists",
        persists,
        format!("matched distances (L, smallest alpha, largest alpha): {matched_small:?}"),
    );
    report.figure(
        out,
        "distance_times_figure",
        &times,
        "Largest relative difference between the random start's learning times and two balanced spectral predictions: lines, every sigma_i(0) = alpha (the matched size); dots, sigma_i(0) = the random W(0)'s own components along the target's singular pairs. Data: sweep.csv.",
    )?;
    report.figure(
        out,
        "distance_rise_figure",
        &rises,
        "Largest relative difference between the random start's 10-90 % rise times and the balanced spectral ones at the same alpha. Data: sweep.csv.",
    )
}

//! Sections 1 and 2: learning curves for every depth at one matched effective initialization,
//! their sharpness (10–90 % rise time against the learning time) and the gaps between
//! successive learning times.

use crate::config::Config;
use crate::setup::{crossings, singular_values, Setup, LEVELS};
use mfflow::analysis::linspace;
use mfflow::depth;
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Marker, Series};
use mfflow_lab::report::{figure_markdown, Report};
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;
use rayon::prelude::*;

/// Points of the sharpness figure's normalized time grid.
const SHARP_POINTS: usize = 400;

/// One depth's curves.
pub struct DepthCurves {
    depth: usize,
    times: Vec<f64>,
    /// `σ_i(t)` of the balanced spectral start (exact), per time.
    balanced: Vec<Vec<f64>>,
    /// Singular values of `W(t)` from the random start (integrated), per time.
    random: Vec<Vec<f64>>,
    /// Balanced crossing times of each level, `[i][level]`.
    balanced_cross: Vec<Vec<f64>>,
    /// Random crossing times, `[i][level]`.
    random_cross: Vec<Vec<Option<f64>>>,
    /// `σ₁/s₁` of the balanced start against `t / t₁(½)`.
    normalized: Vec<(f64, f64)>,
    /// The random start's components `|u_iᵀ W(0) v_i|`.
    components: Vec<f64>,
}

/// What sections 1 and 2 measured.
pub struct Data {
    alpha: f64,
    s: Vec<f64>,
    curves: Vec<DepthCurves>,
}

fn one_depth(setup: &Setup, depth: usize, alpha: f64, points: usize) -> Result<DepthCurves> {
    let n = setup.n();
    let balanced_cross: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            LEVELS
                .iter()
                .map(|&lv| setup.balanced_time(depth, i, alpha, lv))
                .collect::<Result<Vec<f64>>>()
        })
        .collect::<Result<_>>()?;
    let last = balanced_cross[n - 1][LEVELS.len() - 1];
    let f0 = setup.random_start(depth, alpha);
    let random_cross = crossings(setup, &f0, 3.0 * last)?;
    let components = setup.components(&f0);
    let random_last = random_cross[n - 1][LEVELS.len() - 1].unwrap_or(last);
    let horizon = 1.2 * last.max(random_last);
    let times = linspace(0.0, horizon, points);
    let balanced = times
        .iter()
        .map(|&t| setup.balanced(depth, alpha, t))
        .collect::<Result<_>>()?;
    let random = setup
        .integrate(&f0, &times)?
        .iter()
        .map(|f| singular_values(&depth::end_to_end(f)))
        .collect();
    let half = balanced_cross[0][1];
    let normalized = linspace(0.0, 2.0, SHARP_POINTS)
        .into_iter()
        .map(|x| {
            Ok((
                x,
                depth::sigma_at(depth, setup.s[0], alpha, x * half)? / setup.s[0],
            ))
        })
        .collect::<Result<_>>()?;
    Ok(DepthCurves {
        depth,
        times,
        balanced,
        random,
        balanced_cross,
        random_cross,
        normalized,
        components,
    })
}

/// Evaluates the balanced start exactly and integrates the random start for every depth.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds, &cfg.depths)?;
    let curves = cfg
        .depths
        .par_iter()
        .map(|&l| one_depth(&setup, l, cfg.curves_alpha, cfg.time_points))
        .collect::<Result<Vec<_>>>()?;
    Ok(Data {
        alpha: cfg.curves_alpha,
        s: setup.s.clone(),
        curves,
    })
}

/// Writes the CSVs and figures and fills sections 1 and 2.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    write(data, out)?;
    curve_figures(data, out, report)?;
    sharpness_figure(data, out, report)?;
    sharpness(data, report);
    gaps(data, report);
    ordered(data, report);
    report.set("curves_alpha", short(data.alpha, 2));
    let s: Vec<String> = data.s.iter().map(|v| short(*v, 3)).collect();
    report.set("singular_values", s.join(", "));
    report.set("n", data.s.len().to_string());
    let d: Vec<String> = data.curves.iter().map(|c| c.depth.to_string()).collect();
    report.set("depths", d.join(", "));
    Ok(())
}

fn write(data: &Data, out: &Outputs) -> Result<()> {
    let n = data.s.len();
    for c in &data.curves {
        let mut header = vec!["t".to_string()];
        header.extend((1..=n).map(|i| format!("balanced_sigma_{i}")));
        header.extend((1..=n).map(|i| format!("random_sigma_{i}")));
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let rows: Vec<Vec<String>> = c
            .times
            .iter()
            .enumerate()
            .map(|(k, t)| {
                std::iter::once(num(*t))
                    .chain(c.balanced[k].iter().map(|v| num(*v)))
                    .chain(c.random[k].iter().map(|v| num(*v)))
                    .collect()
            })
            .collect();
        out.csv(&format!("curves-L{}.csv", c.depth), &header, &rows)?;
    }
    let mut rows = Vec::new();
    for c in &data.curves {
        for i in 0..n {
            for (k, lv) in LEVELS.iter().enumerate() {
                rows.push(vec![
                    c.depth.to_string(),
                    (i + 1).to_string(),
                    num(*lv),
                    num(c.balanced_cross[i][k]),
                    c.random_cross[i][k].map_or("nan".into(), num),
                ]);
            }
        }
    }
    out.csv(
        "crossings.csv",
        &["depth", "i", "level", "balanced_time", "random_time"],
        &rows,
    )
}

fn curve_figures(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let mut figures = Vec::new();
    for c in &data.curves {
        let mut plot = LinePlot::new(
            format!(
                "Depth L = {}: singular values of W(t), ||W(0)||_2 = {}",
                c.depth,
                short(data.alpha, 2)
            ),
            "time t (units of 1/singular value of Y)",
            "singular value of W(t)",
        );
        for i in 0..data.s.len() {
            let pts = |v: &Vec<Vec<f64>>| -> Vec<(f64, f64)> {
                c.times.iter().zip(v).map(|(t, e)| (*t, e[i])).collect()
            };
            plot.series.push(
                Series::line(
                    format!("sigma_{} balanced spectral (exact)", i + 1),
                    pts(&c.balanced),
                )
                .coloured(i),
            );
            plot.series.push(
                Series::markers(
                    format!("sigma_{} random (integrated)", i + 1),
                    pts(&c.random),
                )
                .coloured(i),
            );
            plot.markers.push(Marker::Horizontal(data.s[i], i));
        }
        plot.marker_label = "dashed: the targets s_i".into();
        figures.push(figure_markdown(
            out,
            &format!("curves_L{}", c.depth),
            &plot,
            &format!(
                "Depth {}: lines, the exact balanced spectral flow; dots, a random Gaussian start of the same end-to-end size, integrated. Data: curves-L{}.csv.",
                c.depth, c.depth
            ),
        )?);
    }
    report.set("curve_figures", figures.join("\n\n"));
    Ok(())
}

fn sharpness_figure(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let mut plot = LinePlot::new(
        format!(
            "Sharper transitions with depth: sigma_1(t)/s_1, ||W(0)||_2 = {}",
            short(data.alpha, 2)
        ),
        "t / t_1 (time over the first learning time)",
        "sigma_1(t) / s_1",
    );
    for (k, c) in data.curves.iter().enumerate() {
        plot.series
            .push(Series::line(format!("L = {}", c.depth), c.normalized.clone()).coloured(k));
    }
    report.figure(
        out,
        "sharpness_figure",
        &plot,
        "The largest singular value of the balanced spectral flow (exact) against time in units of its own learning time t_1 (sigma_1 = s_1/2), for every depth at the same end-to-end initialization.",
    )
}

/// Rise (10–90 %) over learning time for one set of crossing times `[level]`.
fn rise_ratio(cross: &[f64]) -> (f64, f64) {
    let rise = cross[2] - cross[0];
    (rise, rise / cross[1])
}

fn sharpness(data: &Data, report: &mut Report) {
    let n = data.s.len();
    let mut rows = Vec::new();
    let mut balanced_ratios: Vec<Vec<f64>> = Vec::new();
    let mut random_ratios: Vec<Vec<Option<f64>>> = Vec::new();
    for c in &data.curves {
        let mut b = Vec::new();
        let mut r = Vec::new();
        for i in 0..n {
            let (rise, ratio) = rise_ratio(&c.balanced_cross[i]);
            let random: Option<Vec<f64>> = c.random_cross[i].iter().copied().collect();
            let (rr, rratio) = match &random {
                Some(x) => {
                    let (a, b) = rise_ratio(x);
                    (short(a, 3), Some((short(x[1], 4), b)))
                }
                None => ("not reached".into(), None),
            };
            b.push(ratio);
            r.push(rratio.as_ref().map(|x| x.1));
            rows.push(vec![
                c.depth.to_string(),
                (i + 1).to_string(),
                short(c.balanced_cross[i][1], 4),
                short(rise, 3),
                short(ratio, 3),
                rratio.as_ref().map_or("-".into(), |x| x.0.clone()),
                rr,
                rratio.map_or("-".into(), |x| short(x.1, 3)),
            ]);
        }
        balanced_ratios.push(b);
        random_ratios.push(r);
    }
    report.table(
        "sharpness_table",
        &[
            "L",
            "i",
            "balanced t_i (sigma_i = s_i/2)",
            "balanced rise 10-90 %",
            "balanced rise / t_i",
            "random t_i",
            "random rise 10-90 %",
            "random rise / t_i",
        ],
        &rows,
    );
    let decreasing =
        |ratios: &[Vec<f64>]| (0..n).all(|i| ratios.windows(2).all(|w| w[1][i] < w[0][i]));
    report.check(
        "sharper_with_depth",
        decreasing(&balanced_ratios),
        format!("balanced rise/t_i per depth: {balanced_ratios:?}"),
    );
    // Where both depths' random rises were measured.
    let random_decreasing = (0..n).all(|i| {
        random_ratios.windows(2).all(|w| match (w[0][i], w[1][i]) {
            (Some(a), Some(b)) => b < a,
            _ => true,
        })
    });
    report.check(
        "random_sharper_with_depth",
        random_decreasing,
        format!("random rise/t_i per depth: {random_ratios:?}"),
    );
    let unreached: Vec<String> = data
        .curves
        .iter()
        .filter_map(|c| {
            let missing: Vec<String> = (0..n)
                .filter(|&i| c.random_cross[i].iter().any(Option::is_none))
                .map(|i| {
                    format!(
                        "sigma_{} at L = {}, whose component |u_i^T W(0) v_i| is {} alpha",
                        i + 1,
                        c.depth,
                        short(c.components[i] / data.alpha, 2)
                    )
                })
                .collect();
            (!missing.is_empty()).then(|| missing.join("; "))
        })
        .collect();
    report.set(
        "random_unreached",
        if unreached.is_empty() {
            "Every singular value of every random start completes its rise within the horizon.".to_string()
        } else {
            format!(
                "Some singular values of the random starts do not reach `0.9 s_i` within nine times the balanced horizon ({}); at depth a start's components along the smaller singular pairs decide how late they are learned (section 4).",
                unreached.join(", ")
            )
        },
    );
    // Largest and smallest balanced ratio of the first singular value, for the prose.
    let first: Vec<f64> = balanced_ratios.iter().map(|r| r[0]).collect();
    report.set("ratio_shallow", short(first[0], 2));
    report.set("ratio_deep", short(first[first.len() - 1], 2));
    report.set("depth_shallow", data.curves[0].depth.to_string());
    report.set(
        "depth_deep",
        data.curves[data.curves.len() - 1].depth.to_string(),
    );
}

fn gaps(data: &Data, report: &mut Report) {
    let n = data.s.len();
    let mut rows = Vec::new();
    let mut separations: Vec<Vec<f64>> = Vec::new();
    let mut worst_ratio_dev = 0.0f64;
    for c in &data.curves {
        let mut sep = Vec::new();
        for i in 0..n - 1 {
            let (ta, tb) = (c.balanced_cross[i][1], c.balanced_cross[i + 1][1]);
            let gap = tb - ta;
            let ratio = tb / ta;
            let limit = data.s[i] / data.s[i + 1];
            worst_ratio_dev = worst_ratio_dev.max((ratio - limit).abs() / limit);
            // Separation in units of the slower transition's own rise time.
            let rise = c.balanced_cross[i + 1][2] - c.balanced_cross[i + 1][0];
            sep.push(gap / rise);
            rows.push(vec![
                c.depth.to_string(),
                format!("{} -> {}", i + 1, i + 2),
                short(gap, 3),
                short(ratio, 3),
                short(limit, 3),
                short(gap / rise, 3),
            ]);
        }
        separations.push(sep);
    }
    report.table(
        "gaps_table",
        &[
            "L",
            "i -> i+1",
            "gap t_(i+1) - t_i",
            "ratio t_(i+1)/t_i",
            "small-alpha limit s_i/s_(i+1)",
            "gap / rise time of sigma_(i+1)",
        ],
        &rows,
    );
    let growing = (0..n - 1).all(|i| separations.windows(2).all(|w| w[1][i] > w[0][i]));
    report.check(
        "separation_grows",
        growing,
        format!("gap/rise per depth: {separations:?}"),
    );
    report.set("ratio_deviation", short(100.0 * worst_ratio_dev, 2));
}

/// Larger targets first: the learning times increase with `i`, for the balanced start and,
/// among the singular values it learns within the horizon, for the random one.
fn ordered(data: &Data, report: &mut Report) {
    let balanced = data
        .curves
        .iter()
        .all(|c| c.balanced_cross.windows(2).all(|w| w[0][1] < w[1][1]));
    let random = data.curves.iter().all(|c| {
        let reached: Vec<f64> = c.random_cross.iter().filter_map(|r| r[1]).collect();
        reached.windows(2).all(|w| w[0] < w[1])
    });
    report.check(
        "curves_ordered",
        balanced && random,
        "learning times increase with i for both starts at every depth",
    );
    // Random later than balanced for every learned singular value, and the first singular
    // value's delay factor growing with depth.
    let later = data.curves.iter().all(|c| {
        (0..data.s.len()).all(|i| c.random_cross[i][1].is_none_or(|t| t > c.balanced_cross[i][1]))
    });
    let delays: Vec<Option<f64>> = data
        .curves
        .iter()
        .map(|c| c.random_cross[0][1].map(|t| t / c.balanced_cross[0][1]))
        .collect();
    let growing = delays.windows(2).all(|w| match (w[0], w[1]) {
        (Some(a), Some(b)) => b > a,
        _ => false,
    });
    report.check(
        "random_later",
        later && growing,
        format!("random/balanced first learning time per depth: {delays:?}"),
    );
    let d: Vec<String> = data
        .curves
        .iter()
        .zip(&delays)
        .map(|(c, d)| {
            format!(
                "{} at L = {}",
                d.map_or("-".into(), |d| short(d, 3)),
                c.depth
            )
        })
        .collect();
    report.set("delays", d.join(", "));
}

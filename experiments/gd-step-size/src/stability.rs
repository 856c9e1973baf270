//! Section 2: the stability limit `η l_1 = 1` and beyond. The bifurcation diagram of the scalar
//! map, gradient descent on the matrix problem at the same `η l_1` (both starts), and the
//! divergence thresholds of both, by bisection on `η`.

use crate::config::Config;
use crate::gd::{self, Watch};
use crate::scalar::{self, Orbit};
use crate::setup::{discrete_iterations, Kind, Setup};
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Marker, Series};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;
use rayon::prelude::*;

/// How close to 2 a measured divergence threshold must be: above 2 the escape from the
/// chaotic band takes a transient that grows without bound as `a → 2` (crisis), so a run of a
/// few thousand steps sees escape only from slightly above 2.
const THRESHOLD_RESOLUTION: f64 = 1e-3;

/// Points of the fine scan of the scalar map's verdict (bounded or diverged) between 2 and
/// twice the bisection's distance from 2.
const SCAN_POINTS: usize = 401;

/// Two values of a tail closer than this (relative to `l`) count as the same point.
const SAME_POINT: f64 = 1e-6;

/// One matrix run.
pub struct MatrixRun {
    kind: Kind,
    eta_l1: f64,
    steps: u64,
    diverged_at: Option<u64>,
    /// GD half-times (iterations).
    half: Vec<Option<u64>>,
    /// Per step of the tail, `W̃_kk / l_k` for every k.
    components: Vec<Vec<f64>>,
    /// Largest Frobenius norm over the tail of `W̃ − Y` outside the first row and column
    /// (what the smaller eigenvalues do while the first one oscillates).
    rest_deviation: Option<f64>,
    /// Largest `|W̃_1j|`, `j > 1`, over the tail (coupling of the oscillation to the rest).
    coupling: Option<f64>,
}

/// What section 2 measured.
pub struct Data {
    alpha: f64,
    l: Vec<f64>,
    tail: usize,
    /// `(a, orbit)` of the scalar map from `v0 = alpha / l_1`.
    scalar: Vec<(f64, Orbit)>,
    matrix: Vec<MatrixRun>,
    /// Bisection brackets `[bounded, diverged]` of the divergence threshold in `η l_1`:
    /// scalar map, then each start.
    thresholds: Vec<(String, Option<(f64, f64)>)>,
    scalar_steps: u64,
    /// The scalar map's verdict on a fine grid of `[2, 2 + 2 (bracket − 2)]`: the grid's upper
    /// end, the number of switches between bounded and diverged along it, the smallest diverged
    /// and the largest bounded `η l`.
    scan: Option<Scan>,
}

/// See [`Data::scan`].
pub struct Scan {
    hi: f64,
    switches: usize,
    first_diverged: Option<f64>,
    last_bounded: Option<f64>,
}

fn grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
        .collect()
}

/// Steps of a matrix run at `η`: learning every eigenvalue (1.5 times its discrete
/// prediction), then the transient, then the tail.
fn matrix_steps(flow: &[f64], l: &[f64], eta: f64, cfg: &Config) -> u64 {
    let learn = flow
        .iter()
        .zip(l)
        .map(|(t, li)| discrete_iterations(*t, *li, eta))
        .fold(0.0, f64::max);
    (1.5 * learn).ceil() as u64 + (cfg.stability.transient + cfg.stability.tail) as u64
}

fn matrix_run(
    setup: &Setup,
    kind: Kind,
    alpha: f64,
    flow: &[f64],
    eta_l1: f64,
    cfg: &Config,
) -> Result<MatrixRun> {
    let l = setup.l();
    let n = l.len();
    let eta = eta_l1 / l[0];
    let steps = matrix_steps(flow, l, eta, cfg);
    let out = gd::run(
        l,
        &setup.factor(kind, alpha)?,
        eta,
        steps,
        &Watch {
            half_times: true,
            tail: cfg.stability.tail,
            ..Watch::default()
        },
    )?;
    let complete = out.diverged_at.is_none();
    let components = if complete {
        out.tail
            .iter()
            .map(|w| (0..n).map(|k| w[k * n + k] / l[k]).collect())
            .collect()
    } else {
        Vec::new()
    };
    let rest_deviation = complete.then(|| {
        out.tail
            .iter()
            .map(|w| {
                let mut s = 0.0;
                for i in 1..n {
                    for j in 1..n {
                        let d = w[i * n + j] - if i == j { l[i] } else { 0.0 };
                        s += d * d;
                    }
                }
                s.sqrt()
            })
            .fold(0.0f64, f64::max)
    });
    let coupling = complete.then(|| {
        out.tail
            .iter()
            .flat_map(|w| (1..n).map(move |j| w[j].abs()))
            .fold(0.0f64, f64::max)
    });
    Ok(MatrixRun {
        kind,
        eta_l1,
        steps,
        diverged_at: out.diverged_at,
        half: out.half,
        components,
        rest_deviation,
        coupling,
    })
}

/// Bisection on `η l_1` between a value at which `diverges` is false and one at which it is
/// true.
fn bisect(
    mut lo: f64,
    mut hi: f64,
    steps: usize,
    diverges: impl Fn(f64) -> Result<bool>,
) -> Result<(f64, f64)> {
    for _ in 0..steps {
        let mid = 0.5 * (lo + hi);
        if diverges(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok((lo, hi))
}

/// The bracket `[last bounded, first diverged]` along a sorted sweep, if the sweep is bounded
/// then diverged (a single switch).
fn bracket(sweep: &[(f64, bool)]) -> Option<(f64, f64)> {
    let first = sweep.iter().position(|s| s.1)?;
    (first > 0 && sweep[first..].iter().all(|s| s.1)).then(|| (sweep[first - 1].0, sweep[first].0))
}

pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds)?;
    let st = &cfg.stability;
    let l = setup.l().to_vec();
    let alpha = st.alpha;
    // The scalar map of the top direction of a spectral start: v0 = alpha / l_1.
    let v0 = alpha / l[0];
    let scalar_steps =
        scalar::learning_steps(v0, st.eta_l1_min.min(1.0)) + (st.transient + st.tail) as u64;
    let scalar: Vec<(f64, Orbit)> = grid(st.eta_l1_min, st.eta_l1_max, st.scalar_points)
        .into_iter()
        .map(|a| (a, scalar::orbit(v0, a, scalar_steps, st.tail)))
        .collect();
    let mut flows = Vec::new();
    for kind in Kind::BOTH {
        flows.push(setup.flow_half_times(&setup.trajectory(kind, alpha)?, alpha)?);
    }
    let jobs: Vec<(usize, f64)> = (0..2)
        .flat_map(|k| {
            grid(st.eta_l1_min, st.eta_l1_max, st.matrix_points)
                .into_iter()
                .map(move |a| (k, a))
        })
        .collect();
    let matrix: Vec<MatrixRun> = jobs
        .par_iter()
        .map(|&(k, a)| matrix_run(&setup, Kind::BOTH[k], alpha, &flows[k], a, cfg))
        .collect::<Result<_>>()?;
    // Divergence thresholds by bisection inside the sweep's bracket.
    let mut thresholds = Vec::new();
    let sweep: Vec<(f64, bool)> = scalar
        .iter()
        .map(|(a, o)| (*a, matches!(o, Orbit::Escaped(_))))
        .collect();
    let scalar_bracket = match bracket(&sweep) {
        Some((lo, hi)) => Some(bisect(lo, hi, st.bisection_steps, |a| {
            Ok(matches!(
                scalar::orbit(v0, a, scalar_steps, st.tail),
                Orbit::Escaped(_)
            ))
        })?),
        None => None,
    };
    thresholds.push(("scalar map".to_string(), scalar_bracket));
    // Is the finite run's verdict monotone in eta l above 2? A fine scan up to twice the
    // bracket's distance from 2.
    let scan = scalar_bracket.map(|(_, hi)| {
        let top = 2.0 + 2.0 * (hi - 2.0).max(0.0);
        let verdicts: Vec<(f64, bool)> = grid(2.0, top, SCAN_POINTS)
            .into_iter()
            .map(|a| {
                let escaped = matches!(
                    scalar::orbit(v0, a, scalar_steps, st.tail),
                    Orbit::Escaped(_)
                );
                (a, escaped)
            })
            .collect();
        Scan {
            hi: top,
            switches: verdicts.windows(2).filter(|w| w[0].1 != w[1].1).count(),
            first_diverged: verdicts.iter().find(|v| v.1).map(|v| v.0),
            last_bounded: verdicts.iter().rev().find(|v| !v.1).map(|v| v.0),
        }
    });
    let brackets: Vec<Option<(f64, f64)>> = (0..2)
        .into_par_iter()
        .map(|k| -> Result<Option<(f64, f64)>> {
            let kind = Kind::BOTH[k];
            let sweep: Vec<(f64, bool)> = matrix
                .iter()
                .filter(|m| m.kind == kind)
                .map(|m| (m.eta_l1, m.diverged_at.is_some()))
                .collect();
            match bracket(&sweep) {
                Some((lo, hi)) => Ok(Some(bisect(lo, hi, st.bisection_steps, |a| {
                    Ok(matrix_run(&setup, kind, alpha, &flows[k], a, cfg)?
                        .diverged_at
                        .is_some())
                })?)),
                None => Ok(None),
            }
        })
        .collect::<Result<_>>()?;
    for (k, b) in brackets.into_iter().enumerate() {
        thresholds.push((format!("matrix, {} start", Kind::BOTH[k].name()), b));
    }
    Ok(Data {
        alpha,
        l,
        tail: st.tail,
        scalar,
        matrix,
        thresholds,
        scalar_steps,
        scan,
    })
}

/// Distinct values of a tail (within [`SAME_POINT`]), sorted.
fn distinct(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.dedup_by(|a, b| (*a - *b).abs() <= SAME_POINT * b.abs().max(1.0));
    v
}

pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    write(data, out)?;
    figure(data, out, report)?;
    table(data, report);
    verdicts(data, report);
    Ok(())
}

fn write(data: &Data, out: &Outputs) -> Result<()> {
    let mut rows = Vec::new();
    for (a, o) in &data.scalar {
        match o {
            Orbit::Escaped(k) => rows.push(vec![num(*a), "".into(), k.to_string()]),
            Orbit::Tail(t) => {
                for v in distinct(t) {
                    rows.push(vec![num(*a), num(v), "".into()]);
                }
            }
        }
    }
    out.csv(
        "bifurcation-scalar.csv",
        &["eta_l", "w_over_l_on_the_attractor", "escaped_at_step"],
        &rows,
    )?;
    let n = data.l.len();
    let mut header = vec![
        "start".to_string(),
        "eta_l1".into(),
        "steps".into(),
        "diverged_at_step".into(),
    ];
    header.extend((1..=n).map(|i| format!("half_time_{i}")));
    header.extend((1..=n).map(|k| format!("component_{k}_min")));
    header.extend((1..=n).map(|k| format!("component_{k}_max")));
    header.push("period_of_component_1".into());
    header.push("rest_deviation".into());
    header.push("coupling".into());
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = data
        .matrix
        .iter()
        .map(|m| {
            let mut r = vec![
                m.kind.name().to_string(),
                num(m.eta_l1),
                m.steps.to_string(),
                m.diverged_at.map_or("".into(), |d| d.to_string()),
            ];
            r.extend(
                m.half
                    .iter()
                    .map(|h| h.map_or("".into(), |h| h.to_string())),
            );
            for pick in [f64::min, f64::max] {
                for k in 0..n {
                    r.push(if m.components.is_empty() {
                        "".into()
                    } else {
                        num(m.components.iter().map(|c| c[k]).fold(
                            if pick(0.0, 1.0) == 0.0 {
                                f64::INFINITY
                            } else {
                                f64::NEG_INFINITY
                            },
                            pick,
                        ))
                    });
                }
            }
            r.push(period_of(m).map_or("".into(), |p| p.to_string()));
            r.push(m.rest_deviation.map_or("".into(), num));
            r.push(m.coupling.map_or("".into(), num));
            r
        })
        .collect();
    out.csv("stability-matrix.csv", &header, &rows)
}

fn period_of(m: &MatrixRun) -> Option<usize> {
    if m.components.is_empty() {
        return None;
    }
    let top: Vec<f64> = m.components.iter().map(|c| c[0]).collect();
    scalar::period(&top, SAME_POINT)
}

fn figure(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let mut plot = LinePlot::new(
        "Beyond the stability limit: the attractor of GD along phi_1",
        "step size eta * l_1 (scalar map: eta * l)",
        "w / l on the attractor (last iterates)",
    );
    let scalar: Vec<(f64, f64)> = data
        .scalar
        .iter()
        .flat_map(|(a, o)| match o {
            Orbit::Tail(t) => distinct(t).into_iter().map(|v| (*a, v)).collect(),
            Orbit::Escaped(_) => Vec::new(),
        })
        .collect();
    plot.series
        .push(Series::markers("scalar map v <- v (1 + a (1 - v))^2", scalar).coloured(0));
    for (c, kind) in [Kind::General].iter().enumerate() {
        let pts: Vec<(f64, f64)> = data
            .matrix
            .iter()
            .filter(|m| m.kind == *kind)
            .flat_map(|m| {
                let top: Vec<f64> = m.components.iter().map(|c| c[0]).collect();
                distinct(&top).into_iter().map(move |v| (m.eta_l1, v))
            })
            .collect();
        plot.series.push(
            Series::markers(
                format!(
                    "matrix GD, {} start: W_11 / l_1 in the eigenbasis",
                    kind.name()
                ),
                pts,
            )
            .coloured(c + 1),
        );
    }
    let second: Vec<(f64, f64)> = data
        .matrix
        .iter()
        .filter(|m| m.kind == Kind::General)
        .flat_map(|m| {
            let c: Vec<f64> = m.components.iter().map(|c| c[1]).collect();
            distinct(&c).into_iter().map(move |v| (m.eta_l1, v))
        })
        .collect();
    plot.series
        .push(Series::markers("matrix GD, general start: W_22 / l_2", second).coloured(2));
    plot.markers.push(Marker::Vertical(1.0, 6));
    plot.markers.push(Marker::Vertical(2.0, 7));
    plot.markers.push(Marker::Horizontal(1.0, 6));
    plot.marker_label =
        "dashed: the stability limit eta l_1 = 1, divergence of the scalar map at 2, and w = l"
            .into();
    report.figure(
        out,
        "bifurcation",
        &plot,
        &format!(
            "Bifurcation diagram: for each step size, the distinct values of w / l over the last {} \
             iterates (after learning and a transient), from a small start (alpha = {}). Blue: the scalar \
             map; orange: the component of W along the top eigenvector of Y under gradient descent on the \
             matrix problem from the general start (the spectral start decouples into the scalar map; its \
             values are in stability-matrix.csv); green: the second component (general start). Nothing is drawn \
             where the run diverged. Data: bifurcation-scalar.csv, stability-matrix.csv.",
            data.tail,
            short(data.alpha, 2)
        ),
    )
}

fn table(data: &Data, report: &mut Report) {
    let every = (data.matrix.len() / 2 / 12).max(1);
    let rows: Vec<Vec<String>> = data
        .matrix
        .iter()
        .filter(|m| m.kind == Kind::General)
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(_, m)| row(m))
        .collect();
    report.table(
        "stability_table",
        &[
            "eta l_1",
            "outcome",
            "period of W_11",
            "range of W_11 / l_1 on the tail",
            "max over the tail of ||(W - Y) without row/column 1||_F",
            "max |W_1j|, j > 1",
            "half-times in order",
        ],
        &rows,
    );
    let rows: Vec<Vec<String>> = data
        .thresholds
        .iter()
        .map(|(name, b)| {
            vec![
                name.clone(),
                match b {
                    Some((lo, hi)) => format!(
                        "bounded at {}, diverged at {}",
                        digits(*lo, *hi).0,
                        digits(*lo, *hi).1
                    ),
                    None => "no single switch from bounded to diverged in the sweep".into(),
                },
            ]
        })
        .collect();
    report.table(
        "threshold_table",
        &[
            "dynamics",
            "divergence threshold in eta l_1 (bisection bracket)",
        ],
        &rows,
    );
    report.set("scalar_steps", data.scalar_steps.to_string());
    report.set("stability_alpha", short(data.alpha, 2));
}

/// `lo` and `hi` with enough significant digits to tell them apart.
pub fn digits(lo: f64, hi: f64) -> (String, String) {
    let sig = if hi > lo {
        ((lo.abs().max(hi.abs()) / (hi - lo)).log10().ceil() as usize + 2).clamp(3, 16)
    } else {
        16
    };
    (short(lo, sig), short(hi, sig))
}

fn row(m: &MatrixRun) -> Vec<String> {
    let ordered = m.half.iter().all(Option::is_some) && m.half.windows(2).all(|w| w[0] < w[1]);
    match m.diverged_at {
        Some(d) => vec![
            short(m.eta_l1, 3),
            format!("diverged at step {d}"),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            if ordered { "yes" } else { "no" }.into(),
        ],
        None => {
            let top: Vec<f64> = m.components.iter().map(|c| c[0]).collect();
            let lo = top.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = top.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            vec![
                short(m.eta_l1, 3),
                "bounded".into(),
                period_of(m).map_or(format!("none <= {}", m.components.len() / 4), |p| {
                    p.to_string()
                }),
                format!("[{}, {}]", short(lo, 4), short(hi, 4)),
                short(m.rest_deviation.unwrap_or(f64::NAN), 2),
                short(m.coupling.unwrap_or(f64::NAN), 2),
                if ordered { "yes" } else { "no" }.into(),
            ]
        }
    }
}

fn verdicts(data: &Data, report: &mut Report) {
    // The scalar map: period 1 below the limit, period 2 just above it.
    let periods: Vec<(f64, Option<usize>)> = data
        .scalar
        .iter()
        .filter_map(|(a, o)| match o {
            Orbit::Tail(t) => Some((*a, scalar::period(t, SAME_POINT))),
            Orbit::Escaped(_) => None,
        })
        .collect();
    let below = periods.iter().filter(|p| p.0 < 1.0).all(|p| p.1 == Some(1));
    let first_above = periods.iter().find(|p| p.0 > 1.0).map(|p| p.1);
    report.check(
        "period_doubling",
        below && first_above == Some(Some(2)),
        format!("period 1 below eta l = 1: {below}; first period above: {first_above:?}"),
    );
    // Where period 2 gives way: the first grid point above 1 whose period is not 2, its
    // period, and the first grid point where no period (up to tail/4) is found.
    let after_two = periods.iter().find(|p| p.0 > 1.0 && p.1 != Some(2));
    let no_period = periods
        .iter()
        .find(|p| p.0 > 1.0 && p.1.is_none())
        .map(|p| p.0);
    report.set(
        "period_two_until",
        match after_two {
            Some((a, Some(p))) => format!("eta l = {}, where the period is {p}", short(*a, 3)),
            Some((a, None)) => format!("eta l = {}, where no period is found", short(*a, 3)),
            None => "the end of the sweep".into(),
        },
    );
    report.set(
        "no_period_from",
        no_period.map_or("nowhere on the sweep".into(), |a| {
            format!("from eta l = {} on", short(a, 3))
        }),
    );
    report.set("max_period", (data.tail / 4).to_string());
    // Periodic windows inside the chaotic range: step sizes past the first without a period
    // at which a period is found again.
    let windows: Vec<String> = periods
        .iter()
        .filter(|p| no_period.is_some_and(|a| p.0 > a))
        .filter_map(|p| p.1.map(|q| format!("period {q} at {}", short(p.0, 3))))
        .collect();
    report.set(
        "periodic_windows",
        if windows.is_empty() {
            "none on the sweep".into()
        } else {
            windows.join(", ")
        },
    );
    // A finite run cannot see the escape just above 2 (its transient outlasts the run), so the
    // measured threshold is at or slightly above 2: within THRESHOLD_RESOLUTION counts.
    let near_two = |b: &Option<(f64, f64)>| matches!(b, Some((lo, hi)) if (lo - 2.0).abs() <= THRESHOLD_RESOLUTION && (hi - 2.0).abs() <= THRESHOLD_RESOLUTION);
    let scalar_ok = near_two(&data.thresholds[0].1);
    let deviation: Vec<String> = data
        .thresholds
        .iter()
        .map(|(name, b)| match b {
            Some((lo, hi)) => format!("{name}: {}", short(0.5 * (lo + hi) - 2.0, 2)),
            None => format!("{name}: no bracket"),
        })
        .collect();
    report.set("threshold_deviation", deviation.join("; "));
    report.set("threshold_resolution", short(THRESHOLD_RESOLUTION, 1));
    report.check(
        "scalar_threshold",
        scalar_ok,
        format!("scalar bracket {:?}", data.thresholds[0].1),
    );
    // The brackets' spread against their widths, and the fine scan of the scalar verdict.
    let mids: Vec<f64> = data
        .thresholds
        .iter()
        .filter_map(|(_, b)| b.map(|(lo, hi)| 0.5 * (lo + hi)))
        .collect();
    let spread = mids.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        - mids.iter().copied().fold(f64::INFINITY, f64::min);
    let width = data
        .thresholds
        .iter()
        .filter_map(|(_, b)| b.map(|(lo, hi)| hi - lo))
        .fold(0.0f64, f64::max);
    report.set("threshold_spread", short(spread, 2));
    report.set("bracket_width", short(width, 2));
    report.set("scan_points", SCAN_POINTS.to_string());
    match &data.scan {
        Some(sc) => {
            report.check(
                "verdict_not_monotone",
                sc.switches > 1,
                format!("{} switches on [2, {}]", sc.switches, sc.hi),
            );
            report.set("scan_hi", short(sc.hi - 2.0, 2));
            report.set("scan_switches", sc.switches.to_string());
            report.set(
                "scan_first_diverged",
                sc.first_diverged
                    .map_or("nowhere".into(), |a| format!("2 + {}", short(a - 2.0, 2))),
            );
            report.set(
                "scan_last_bounded",
                sc.last_bounded
                    .map_or("nowhere".into(), |a| format!("2 + {}", short(a - 2.0, 2))),
            );
        }
        None => {
            report.check("verdict_not_monotone", false, "no scalar bracket to scan");
            for key in [
                "scan_hi",
                "scan_switches",
                "scan_first_diverged",
                "scan_last_bounded",
            ] {
                report.set(key, "-".to_string());
            }
        }
    }
    report.set(
        "scalar_threshold",
        data.thresholds[0]
            .1
            .map_or("no bracket".into(), |(lo, hi)| {
                let (a, b) = digits(lo, hi);
                format!("[{a}, {b}]")
            }),
    );
    // Matrix: between the limit and divergence, the smaller eigenvalues still converge (the
    // rest of W sits at its target) and are learned in order, under both starts.
    let tol = 1e-6 * data.l[0];
    let between: Vec<&MatrixRun> = data
        .matrix
        .iter()
        .filter(|m| m.eta_l1 > 1.0 && m.diverged_at.is_none())
        .collect();
    let periodic: Vec<&&MatrixRun> = between.iter().filter(|m| period_of(m).is_some()).collect();
    let rest_ok = !periodic.is_empty()
        && periodic
            .iter()
            .all(|m| m.rest_deviation.is_some_and(|d| d <= tol));
    let exceptions: Vec<String> = between
        .iter()
        .filter(|m| m.rest_deviation.is_none_or(|d| d > tol))
        .map(|m| {
            format!(
                "{} {} ({})",
                m.kind.name(),
                short(m.eta_l1, 4),
                if period_of(m).is_some() {
                    "periodic"
                } else {
                    "no period found"
                }
            )
        })
        .collect();
    report.check(
        "rest_exceptions",
        !exceptions.is_empty(),
        exceptions.join("; "),
    );
    // How low the top component comes on the tail, per run: in the runs where the rest mixes,
    // and in the runs without a period where it does not.
    let top_min = |m: &MatrixRun| {
        m.components
            .iter()
            .map(|c| c[0])
            .fold(f64::INFINITY, f64::min)
    };
    let mixing: Vec<f64> = between
        .iter()
        .filter(|m| m.rest_deviation.is_none_or(|d| d > tol))
        .map(|m| top_min(m))
        .collect();
    let calm: Vec<f64> = between
        .iter()
        .filter(|m| period_of(m).is_none() && m.rest_deviation.is_some_and(|d| d <= tol))
        .map(|m| top_min(m))
        .collect();
    let range = |v: &[f64]| {
        format!(
            "{} to {}",
            short(v.iter().copied().fold(f64::INFINITY, f64::min), 2),
            short(v.iter().copied().fold(f64::NEG_INFINITY, f64::max), 2)
        )
    };
    report.set("exception_lowest", range(&mixing));
    report.set(
        "calm_lowest",
        short(calm.iter().copied().fold(f64::INFINITY, f64::min), 2),
    );
    report.set("calm_runs", calm.len().to_string());
    // The spectral start stays diagonal in the eigenbasis in exact arithmetic: a coupling of
    // the top direction to the rest there grew from rounding.
    let spectral_coupling = |m: &&&MatrixRun| m.kind == Kind::Spectral && m.coupling.is_some();
    let spectral_calm = between
        .iter()
        .filter(spectral_coupling)
        .filter(|m| period_of(m).is_some())
        .map(|m| m.coupling.unwrap_or(f64::NAN))
        .fold(0.0f64, f64::max);
    let spectral_mixing: Vec<String> = between
        .iter()
        .filter(spectral_coupling)
        .filter(|m| m.coupling.is_some_and(|c| c > tol))
        .map(|m| {
            format!(
                "{} ({})",
                short(m.eta_l1, 4),
                short(m.coupling.unwrap_or(f64::NAN), 2)
            )
        })
        .collect();
    report.check(
        "spectral_mixing",
        !spectral_mixing.is_empty(),
        spectral_mixing.join("; "),
    );
    report.set("spectral_mixing", spectral_mixing.join(", "));
    report.set("spectral_calm_coupling", short(spectral_calm, 2));
    report.set(
        "rest_exceptions",
        if exceptions.is_empty() {
            "none".into()
        } else {
            exceptions.join("; ")
        },
    );
    report.set("periodic_runs", periodic.len().to_string());
    report.check(
        "rest_learned",
        rest_ok,
        format!(
            "largest rest deviation beyond the limit: {:?}",
            between
                .iter()
                .map(|m| m.rest_deviation.unwrap_or(f64::NAN))
                .fold(0.0f64, f64::max)
        ),
    );
    report.set("rest_tolerance", short(tol, 2));
    report.set(
        "rest_measured",
        short(
            periodic
                .iter()
                .map(|m| m.rest_deviation.unwrap_or(f64::NAN))
                .fold(0.0f64, f64::max),
            2,
        ),
    );
    let ordered = between
        .iter()
        .all(|m| m.half.iter().all(Option::is_some) && m.half.windows(2).all(|w| w[0] < w[1]));
    report.check(
        "ordered_beyond",
        ordered,
        "half-times ordered beyond the limit",
    );
    let compared = data
        .matrix
        .iter()
        .filter(|m| m.kind == Kind::General && m.diverged_at.is_none())
        .filter(|m| {
            data.scalar.iter().any(|(a, o)| {
                (a - m.eta_l1).abs() < 1e-12
                    && matches!(o, Orbit::Tail(t) if matches!(scalar::period(t, SAME_POINT), Some(1 | 2 | 4)))
            })
        })
        .count();
    report.set("matched_points", compared.to_string());
    let general_top_matches_scalar = compared > 0
        && data
            .matrix
            .iter()
            .filter(|m| m.kind == Kind::General && m.diverged_at.is_none())
            .all(|m| {
                let top: Vec<f64> = m.components.iter().map(|c| c[0]).collect();
                match data
                    .scalar
                    .iter()
                    .find(|(a, _)| (a - m.eta_l1).abs() < 1e-12)
                {
                    Some((_, Orbit::Tail(t)))
                        if matches!(scalar::period(t, SAME_POINT), Some(1 | 2 | 4)) =>
                    {
                        let (a, b) = (distinct(&top), distinct(t));
                        a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| (x - y).abs() <= 1e-4)
                    }
                    _ => true,
                }
            });
    report.check(
        "matrix_like_scalar",
        general_top_matches_scalar,
        "general start's W_11 attractor equals the scalar map's where both grids meet",
    );
    let matrix_same = data.thresholds[1..].iter().all(|(_, b)| near_two(b));
    report.check(
        "matrix_threshold",
        matrix_same,
        format!("matrix brackets {:?}", &data.thresholds[1..]),
    );
}

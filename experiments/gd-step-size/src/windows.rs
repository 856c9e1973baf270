//! Section 3: does incremental learning survive a finite step? The ε-windows of `Ŷ_k` under
//! gradient descent (in iterations) against the flow's windows, the largest `η` at which each
//! window still exists (bisection on `η`), and Theorems 3/4's intervals converted to iterations.

use crate::config::Config;
use crate::gd::{self, Watch};
use crate::setup::{discrete_iterations, Kind, Setup};
use mfflow::analysis::{linspace, windows_within};
use mfflow::theorems::{theorem3, theorem4, Interval};
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Series};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;
use rayon::prelude::*;

/// A converted interval in iterations (`None`: empty) and GD's largest error on it.
type Measured = (Option<(u64, u64)>, Option<f64>);
/// The bracket of the largest `η l_1` at which a window exists, with the step sizes of the
/// sweep where it is present again, and the first step below the limit at which it is present
/// again on a fine scan above the bracket; or why there is no bracket.
type Largest = std::result::Result<(f64, f64, Vec<String>, Option<f64>), String>;

/// Points of the fine scan between a bracket below the limit and `η l_1 = 1`: a window shorter
/// than a step can be stepped over at one `η` and hit at a larger one, also between the sweep's
/// step sizes.
const REOPEN_SCAN: usize = 200;

/// Grid points the core measures the flow's error on per theorem interval.
const THEOREM_GRID: usize = 101;

/// The flow at one `(start, alpha)`.
pub struct Flow {
    kind: Kind,
    alpha: f64,
    /// Half-times of the flow.
    half: Vec<f64>,
    /// Per `k`: the flow's windows (time).
    windows: Vec<Vec<(f64, f64)>>,
    /// Whether the theorem (3 spectral, 4 general) applies, and its intervals.
    applies: bool,
    intervals: Vec<Interval>,
    /// The flow's own largest error on the theorem's intervals (the core's measurement).
    flow_max_error: Option<f64>,
}

/// One GD run at `(start, alpha, eta)`.
pub struct GdRun {
    flow: usize,
    eta_l1: f64,
    eta: f64,
    /// Per `k`: GD windows in iterations.
    windows: Vec<Vec<(u64, u64)>>,
    /// Per `k` (when the theorem applies and `η l_1 < 1`): the converted interval in
    /// iterations (`None`: empty) and the largest GD error on it; the same for `I_k / η`.
    converted: Vec<Measured>,
    naive: Vec<Measured>,
}

/// What section 3 measured.
pub struct Data {
    eps: f64,
    n: usize,
    l: Vec<f64>,
    etas: Vec<f64>,
    flows: Vec<Flow>,
    runs: Vec<GdRun>,
    /// Per `(flow, k)`: the bracket `[exists, does not]` of the largest `η l_1` at which the GD
    /// window of `Ŷ_k` exists; `Err(text)` when the sweep has no single switch.
    largest: Vec<(usize, usize, Largest)>,
    /// Bracket `[within, not within]` of the largest `η l_1` at which the top component's
    /// period-2 cycle stays within `ε` of `l_1` (scalar map of the top direction); `None` if it
    /// still does at `η l_1 = 2`.
    cycle_within_eps: Option<(f64, f64)>,
}

fn steps_range(a: f64, b: f64) -> Option<(u64, u64)> {
    let (first, last) = (a.max(0.0).ceil(), b.floor());
    (first <= last).then_some((first as u64, last as u64))
}

fn gd_run(setup: &Setup, flows: &[Flow], f: usize, eta_l1: f64, eps: f64) -> Result<GdRun> {
    let flow = &flows[f];
    let l = setup.l();
    let n = l.len();
    let eta = eta_l1 / l[0];
    let with_theorem = flow.applies && eta_l1 < 1.0;
    let (mut converted, mut naive) = (Vec::new(), Vec::new());
    if with_theorem {
        for iv in &flow.intervals {
            let k = iv.k;
            let start = discrete_iterations(iv.start, l[k - 1], eta);
            let end = match iv.end {
                Some(e) => discrete_iterations(e, l[k], eta),
                None => start * (1.0 + mfflow::theorems::UNBOUNDED_STRETCH),
            };
            converted.push(steps_range(start, end));
            let nend = match iv.end {
                Some(e) => e / eta,
                None => iv.start / eta * (1.0 + mfflow::theorems::UNBOUNDED_STRETCH),
            };
            naive.push(steps_range(iv.start / eta, nend));
        }
    }
    let learn = flow
        .half
        .iter()
        .zip(l)
        .map(|(t, li)| discrete_iterations(*t, *li, eta))
        .fold(0.0, f64::max);
    let last_interval = converted
        .iter()
        .chain(&naive)
        .flatten()
        .map(|r| r.1)
        .max()
        .unwrap_or(0);
    let steps = ((1.5 * learn).ceil() as u64 + 10).max(last_interval);
    let intervals: Vec<(usize, u64, u64)> = converted
        .iter()
        .chain(&naive)
        .enumerate()
        .filter_map(|(j, r)| r.map(|(a, b)| (j % n + 1, a, b)))
        .collect();
    let out = gd::run(
        l,
        &setup.factor(flow.kind, flow.alpha)?,
        eta,
        steps,
        &Watch {
            windows: Some(eps),
            intervals: intervals.clone(),
            ..Watch::default()
        },
    )?;
    // Give each interval its measured maximum back, in order.
    let mut maxima = out.interval_max.into_iter();
    let mut attach = |rs: &[Option<(u64, u64)>]| -> Vec<Measured> {
        rs.iter()
            .map(|r| (*r, r.and_then(|_| maxima.next().flatten())))
            .collect()
    };
    let converted = attach(&converted);
    let naive = attach(&naive);
    // A diverged run's windows end where it diverged; its intervals beyond that are unmeasured.
    Ok(GdRun {
        flow: f,
        eta_l1,
        eta,
        windows: out.windows,
        converted,
        naive,
    })
}

/// A GD window of `Ŷ_k` exists when some stretch of at least [`MIN_WINDOW_STEPS`] consecutive
/// iterates is within eps: beyond the stability limit a chaotic orbit passes through the
/// eps-ball for single iterations, which is no plateau.
fn exists(run: &GdRun, k: usize) -> bool {
    run.windows[k - 1]
        .iter()
        .any(|(a, b)| b - a + 1 >= MIN_WINDOW_STEPS)
}

/// Consecutive iterates within eps that make a window (see [`exists`]).
pub const MIN_WINDOW_STEPS: u64 = 2;

pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds)?;
    let w = &cfg.windows;
    let l = setup.l().to_vec();
    let n = l.len();
    let mut flows = Vec::new();
    for &alpha in &w.alphas {
        for kind in Kind::BOTH {
            let traj = setup.trajectory(kind, alpha)?;
            let half = setup.flow_half_times(&traj, alpha)?;
            let horizon = 1.5 * half[n - 1];
            let grid = linspace(0.0, horizon, w.flow_grid);
            let windows = (1..=n)
                .map(|k| windows_within(&traj, k, w.eps, &grid))
                .collect::<std::result::Result<_, _>>()?;
            let init = setup.init(kind, alpha)?;
            let verdict = match kind {
                Kind::Spectral => theorem3(&setup.target, &init, w.eps, THEOREM_GRID)?,
                Kind::General => theorem4(&setup.target, &init, w.eps, THEOREM_GRID)?,
            };
            flows.push(Flow {
                kind,
                alpha,
                half,
                windows,
                applies: verdict.applies,
                flow_max_error: verdict.max_error.iter().flatten().copied().reduce(f64::max),
                intervals: verdict.intervals,
            });
        }
    }
    let mut etas = w.eta_l1.clone();
    etas.sort_by(f64::total_cmp);
    let jobs: Vec<(usize, f64)> = (0..flows.len())
        .flat_map(|f| etas.iter().map(move |&e| (f, e)))
        .collect();
    let runs: Vec<GdRun> = jobs
        .par_iter()
        .map(|&(f, e)| gd_run(&setup, &flows, f, e, w.eps))
        .collect::<Result<_>>()?;
    // The largest eta at which each window exists: bisection inside the sweep's bracket.
    let pairs: Vec<(usize, usize)> = (0..flows.len())
        .flat_map(|f| (1..=n).map(move |k| (f, k)))
        .collect();
    let largest = pairs
        .par_iter()
        .map(|&(f, k)| -> Result<(usize, usize, Largest)> {
            let sweep: Vec<(f64, bool)> = runs
                .iter()
                .filter(|r| r.flow == f)
                .map(|r| (r.eta_l1, exists(r, k)))
                .collect();
            let switch = sweep.iter().position(|s| !s.1);
            let bracket = match switch {
                None => Err(format!(
                    "exists at every eta l_1 of the sweep (up to {})",
                    short(sweep[sweep.len() - 1].0, 3)
                )),
                Some(0) => Err(format!(
                    "exists at no eta l_1 of the sweep (from {})",
                    short(sweep[0].0, 3)
                )),
                Some(p) => {
                    // Bisection inside the first switch; a reappearance at larger steps is
                    // reported beside the bracket.
                    let (mut lo, mut hi) = (sweep[p - 1].0, sweep[p].0);
                    for _ in 0..cfg.windows.bisection_steps {
                        let mid = 0.5 * (lo + hi);
                        if exists(&gd_run(&setup, &flows, f, mid, w.eps)?, k) {
                            lo = mid;
                        } else {
                            hi = mid;
                        }
                    }
                    let again: Vec<String> = sweep[p..]
                        .iter()
                        .filter(|s| s.1)
                        .map(|s| short(s.0, 3))
                        .collect();
                    // Is it present again below the limit, between the sweep's step sizes?
                    let mut reopen = None;
                    if hi < 1.0 {
                        for j in 1..REOPEN_SCAN {
                            let e = hi + (1.0 - hi) * j as f64 / REOPEN_SCAN as f64;
                            if exists(&gd_run(&setup, &flows, f, e, w.eps)?, k) {
                                reopen = Some(e);
                                break;
                            }
                        }
                    }
                    Ok((lo, hi, again, reopen))
                }
            };
            Ok((f, k, bracket))
        })
        .collect::<Result<_>>()?;
    // The top component's cycle just above the limit: within eps of l_1 up to where? (The
    // cycle is born with zero amplitude at eta l_1 = 1; its half-width grows like
    // sqrt(eta l_1 - 1).) 200 000 steps: near a = 1 + d the cycle attracts at a rate 1 - O(d).
    let cycle_within_eps = crate::scalar::cycle_within(w.eps / l[0], 2.0, 200_000, 40);
    Ok(Data {
        eps: w.eps,
        n,
        l,
        etas,
        flows,
        runs,
        largest,
        cycle_within_eps,
    })
}

/// The longest window, `(start, end)`, in iterations.
fn longest(ws: &[(u64, u64)]) -> Option<(u64, u64)> {
    ws.iter()
        .copied()
        .max_by_key(|(a, b)| (b - a, std::cmp::Reverse(*a)))
}

fn longest_f(ws: &[(f64, f64)]) -> Option<(f64, f64)> {
    ws.iter()
        .copied()
        .fold(None, |m: Option<(f64, f64)>, w| match m {
            Some(m) if m.1 - m.0 >= w.1 - w.0 => Some(m),
            _ => Some(w),
        })
}

pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    write(data, out)?;
    for kind in Kind::BOTH {
        figure(data, kind, out, report)?;
    }
    largest_table(data, report);
    iterations_table(data, report);
    theorem_table(data, report);
    Ok(())
}

fn write(data: &Data, out: &Outputs) -> Result<()> {
    let mut rows = Vec::new();
    for r in &data.runs {
        let f = &data.flows[r.flow];
        for k in 1..=data.n {
            let gd = longest(&r.windows[k - 1]);
            let fl = longest_f(&f.windows[k - 1]);
            rows.push(vec![
                f.kind.name().into(),
                num(f.alpha),
                num(r.eta_l1),
                k.to_string(),
                r.windows[k - 1].len().to_string(),
                gd.map_or("".into(), |w| w.0.to_string()),
                gd.map_or("".into(), |w| w.1.to_string()),
                fl.map_or("".into(), |w| num(w.0)),
                fl.map_or("".into(), |w| num(w.1)),
                r.converted
                    .get(k - 1)
                    .and_then(|c| c.0)
                    .map_or("".into(), |c| format!("{}..{}", c.0, c.1)),
                r.converted
                    .get(k - 1)
                    .and_then(|c| c.1)
                    .map_or("".into(), num),
                r.naive
                    .get(k - 1)
                    .and_then(|c| c.0)
                    .map_or("".into(), |c| format!("{}..{}", c.0, c.1)),
                r.naive.get(k - 1).and_then(|c| c.1).map_or("".into(), num),
            ]);
        }
    }
    out.csv(
        "windows.csv",
        &[
            "start",
            "alpha",
            "eta_l1",
            "k",
            "gd_windows",
            "gd_longest_first_step",
            "gd_longest_last_step",
            "flow_window_start",
            "flow_window_end",
            "theorem_interval_converted_steps",
            "gd_max_error_on_converted",
            "theorem_interval_over_eta_steps",
            "gd_max_error_on_interval_over_eta",
        ],
        &rows,
    )
}

fn figure(data: &Data, kind: Kind, out: &Outputs, report: &mut Report) -> Result<()> {
    // The alpha of the figure: the second of the sweep (or the only one).
    let alphas: Vec<f64> = data
        .flows
        .iter()
        .filter(|f| f.kind == kind)
        .map(|f| f.alpha)
        .collect();
    let alpha = alphas[1.min(alphas.len() - 1)];
    let f = data
        .flows
        .iter()
        .position(|f| f.kind == kind && f.alpha == alpha)
        .expect("flow present");
    let flow = &data.flows[f];
    let mut plot = LinePlot::new(
        format!(
            "Length of the eps-window of Yhat_k, {} start, alpha = {}",
            kind.name(),
            short(alpha, 2)
        ),
        "step size eta * l_1",
        "window length, in time (iterations * eta)",
    );
    for k in 1..data.n {
        let pts: Vec<(f64, f64)> = data
            .runs
            .iter()
            .filter(|r| r.flow == f)
            .filter_map(|r| {
                longest(&r.windows[k - 1])
                    .filter(|(a, b)| b - a + 1 >= MIN_WINDOW_STEPS)
                    .map(|(a, b)| (r.eta_l1, (b - a + 1) as f64 * r.eta))
            })
            .collect();
        plot.series
            .push(Series::markers(format!("GD, k = {k}"), pts).coloured(k - 1));
    }
    for k in 1..data.n {
        if let Some((s, e)) = longest_f(&flow.windows[k - 1]) {
            // Start at rate l_k, end at rate l_{k+1}, each converted to iterations, times eta.
            let pts = (0..=100)
                .map(|j| {
                    let x = data.etas[0]
                        + (data.etas[data.etas.len() - 1] - data.etas[0]) * j as f64 / 100.0;
                    let eta = x / data.l[0];
                    let len = eta
                        * (discrete_iterations(e, data.l[k], eta)
                            - discrete_iterations(s, data.l[k - 1], eta));
                    (x, len)
                })
                .filter(|p| p.1 > 0.0)
                .collect();
            plot.series
                .push(Series::line(format!("flow window converted, k = {k}"), pts).coloured(k - 1));
        }
    }
    report.figure(
        out,
        &format!("windows_{}", kind.name()),
        &plot,
        &format!(
            "{} start, alpha = {}, eps = {}: the length (in time units, iterations times eta) of the \
             longest window in which gradient descent is within eps of Yhat_k (dots), against the \
             flow's window with its start converted at the per-step rate of l_k and its end at that of \
             l_(k+1) (lines; at eta -> 0 the flow's own length). A missing dot: no window at that step \
             size. The last rank (Yhat_K = Y) is convergence and is left out. Data: windows.csv.",
            kind.name(),
            short(alpha, 2),
            short(data.eps, 2)
        ),
    )
}

fn largest_table(data: &Data, report: &mut Report) {
    let mut rows = Vec::new();
    for (f, k, b) in &data.largest {
        let flow = &data.flows[*f];
        let fl = longest_f(&flow.windows[k - 1]);
        rows.push(vec![
            flow.kind.name().into(),
            short(flow.alpha, 2),
            k.to_string(),
            fl.map_or("none".into(), |w| short(w.1 - w.0, 3)),
            match b {
                Ok((lo, hi, again, reopen)) => {
                    let (a, b) = crate::stability::digits(*lo, *hi);
                    let mut text = format!("in [{a}, {b})");
                    if let Some(e) = reopen {
                        text.push_str(&format!(
                            "; present again below the limit from {} (fine scan)",
                            short(*e, 3)
                        ));
                    }
                    if !again.is_empty() {
                        text.push_str(&format!("; present again at {}", again.join(", ")));
                    }
                    text
                }
                Err(text) => text.clone(),
            },
        ]);
    }
    report.table(
        "largest_table",
        &[
            "start",
            "alpha",
            "k",
            "flow window length (time)",
            "end of the first stretch of eta l_1 at which the GD window exists",
        ],
        &rows,
    );
    report.set("windows_eps", short(data.eps, 2));
    report.set("reopen_scan", REOPEN_SCAN.to_string());
    report.set("min_window_steps", MIN_WINDOW_STEPS.to_string());
    let etas: Vec<String> = data.etas.iter().map(|e| short(*e, 2)).collect();
    report.set("windows_etas", etas.join(", "));
    // Windows beyond the stability limit: some window (k < K) exists at eta l_1 > 1.
    let beyond = data
        .largest
        .iter()
        .filter(|(_, k, _)| *k < data.n)
        .any(|(_, _, b)| matches!(b, Ok((lo, _, _, _)) if *lo > 1.0));
    report.check(
        "window_beyond_limit",
        beyond,
        "some window k < K still exists beyond eta l_1 = 1",
    );
    // Which of them the small cycle explains: the cycle of the top component stays within eps
    // of l_1 only up to `cycle_hi`; a window that exists beyond that can only be transient
    // (before the top component reaches its cycle, or a chaotic orbit lingering near l_1).
    let cycle_hi = data.cycle_within_eps.map_or(2.0, |c| c.1);
    report.set(
        "cycle_within_eps",
        data.cycle_within_eps
            .map_or("2 (the whole range)".into(), |(lo, hi)| {
                let (a, b) = crate::stability::digits(lo, hi);
                format!("[{a}, {b}]")
            }),
    );
    let transient: Vec<String> = data
        .largest
        .iter()
        .filter(|(_, k, _)| *k < data.n)
        .filter_map(|(f, k, b)| match b {
            Ok((lo, _, _, _)) if *lo > cycle_hi => Some(format!(
                "k = {k} ({}, alpha {}) up to {}",
                data.flows[*f].kind.name(),
                short(data.flows[*f].alpha, 2),
                short(*lo, 4)
            )),
            _ => None,
        })
        .collect();
    report.check(
        "transient_windows",
        !transient.is_empty(),
        transient.join("; "),
    );
    report.set("transient_windows", transient.join("; "));
    // Y itself (k = K) is reached only while GD converges.
    let last: Vec<String> = data
        .largest
        .iter()
        .filter(|(_, k, _)| *k == data.n)
        .map(|(f, _, b)| {
            format!(
                "{} alpha {}: {}",
                data.flows[*f].kind.name(),
                short(data.flows[*f].alpha, 2),
                match b {
                    Ok((lo, hi, again, _)) => {
                        let (a, b) = crate::stability::digits(*lo, *hi);
                        if again.is_empty() {
                            format!("[{a}, {b})")
                        } else {
                            format!("[{a}, {b}), present again at {}", again.join(", "))
                        }
                    }
                    Err(t) => t.clone(),
                }
            )
        })
        .collect();
    report.set("last_window", last.join("; "));
    // Windows that the flow has but GD loses somewhere below the stability limit.
    let lost_below: Vec<String> = data
        .largest
        .iter()
        .filter(|(_, k, b)| *k < data.n && matches!(b, Ok((_, hi, _, _)) if *hi <= 1.0))
        .map(|(f, k, b)| {
            let hi = b.as_ref().map(|x| x.1).unwrap_or(f64::NAN);
            let reopen = b.as_ref().ok().and_then(|x| x.3);
            format!(
                "k = {k} ({}, alpha {}) from eta l_1 = {}{}",
                data.flows[*f].kind.name(),
                short(data.flows[*f].alpha, 2),
                short(hi, 4),
                reopen.map_or(String::new(), |e| format!(
                    " (present again from {})",
                    short(e, 3)
                ))
            )
        })
        .collect();
    report.check("lost_below", !lost_below.is_empty(), lost_below.join("; "));
    report.set("lost_below", lost_below.join("; "));
}

/// The windows in iterations at the figure's alpha, at the smallest, a middle and the largest
/// step below the limit: GD's longest window against the flow's divided by `η` and converted
/// at the discrete rates.
fn iterations_table(data: &Data, report: &mut Report) {
    let below: Vec<f64> = data.etas.iter().copied().filter(|e| *e < 1.0).collect();
    let picks: Vec<f64> = match below.len() {
        0 => Vec::new(),
        1 | 2 => below.clone(),
        m => vec![below[0], below[m / 2], below[m - 1]],
    };
    let alpha = data.flows[2.min(data.flows.len() - 1)].alpha;
    let mut rows = Vec::new();
    for (f, flow) in data.flows.iter().enumerate() {
        if flow.alpha != alpha {
            continue;
        }
        for r in data
            .runs
            .iter()
            .filter(|r| r.flow == f && picks.contains(&r.eta_l1))
        {
            for k in 1..data.n {
                let gd = longest(&r.windows[k - 1])
                    .filter(|(a, b)| b - a + 1 >= MIN_WINDOW_STEPS)
                    .map_or("none".to_string(), |(a, b)| format!("{a} .. {b}"));
                let (naive, converted) = match longest_f(&flow.windows[k - 1]) {
                    Some((s, e)) => (
                        format!("{} .. {}", short(s / r.eta, 4), short(e / r.eta, 4)),
                        format!(
                            "{} .. {}",
                            short(discrete_iterations(s, data.l[k - 1], r.eta), 4),
                            short(discrete_iterations(e, data.l[k], r.eta), 4)
                        ),
                    ),
                    None => ("none".into(), "none".into()),
                };
                rows.push(vec![
                    flow.kind.name().into(),
                    short(r.eta_l1, 2),
                    k.to_string(),
                    gd,
                    naive,
                    converted,
                ]);
            }
        }
    }
    report.table(
        "iterations_table",
        &[
            "start",
            "eta l_1",
            "k",
            "GD window (iterations)",
            "flow window / eta",
            "flow window converted (start at rate l_k, end at rate l_(k+1))",
        ],
        &rows,
    );
    report.set("iterations_alpha", short(alpha, 2));
    // Window lengths in time units at the smallest and at the largest step below the limit.
    let (Some(&small), Some(&large)) = (below.first(), below.last()) else {
        report.set(
            "window_trend",
            "no step below the limit in the sweep".to_string(),
        );
        return;
    };
    let length = |f: usize, e: f64, k: usize| {
        data.runs
            .iter()
            .find(|r| r.flow == f && r.eta_l1 == e)
            .and_then(|r| {
                longest(&r.windows[k - 1])
                    .filter(|(a, b)| b - a + 1 >= MIN_WINDOW_STEPS)
                    .map(|(a, b)| (b - a + 1) as f64 * r.eta)
            })
    };
    // A GD window's length is a whole number of steps: lengths at the two step sizes are told
    // apart only beyond one step at each.
    let resolution = (small + large) / data.l[0];
    let (mut both, mut shorter, mut longer, mut lost) = (0usize, 0usize, 0usize, 0usize);
    for f in 0..data.flows.len() {
        for k in 1..data.n {
            match (length(f, small, k), length(f, large, k)) {
                (Some(a), Some(b)) => {
                    both += 1;
                    if b < a - resolution {
                        shorter += 1;
                    } else if b > a + resolution {
                        longer += 1;
                    }
                }
                (Some(_), None) => lost += 1,
                _ => {}
            }
        }
    }
    report.set(
        "window_trend",
        format!(
            "of the {} intermediate windows (start, alpha, k < K) present at both eta l_1 = {} and eta l_1 = {}, \
             {} are shorter in time units at the larger step, {} are longer, and {} agree to within one step at \
             each size ({} in time); {} present at the smaller step are gone at the larger",
            both,
            short(small, 2),
            short(large, 2),
            shorter,
            longer,
            both - shorter - longer,
            short(resolution, 2),
            lost
        ),
    );
    // The lines of the figures: the flow's window converted at the discrete rates, at the
    // smallest and the largest step below the limit.
    let converted = |f: usize, k: usize, eta_l1: f64| {
        longest_f(&data.flows[f].windows[k - 1]).map(|(s, e)| {
            let eta = eta_l1 / data.l[0];
            eta * (discrete_iterations(e, data.l[k], eta)
                - discrete_iterations(s, data.l[k - 1], eta))
        })
    };
    let (mut count, mut rising) = (0usize, Vec::new());
    for (f, flow) in data.flows.iter().enumerate() {
        for k in 1..data.n {
            if let (Some(a), Some(b)) = (converted(f, k, small), converted(f, k, large)) {
                count += 1;
                if b > a {
                    rising.push(format!(
                        "{} alpha {} k = {k}",
                        flow.kind.name(),
                        short(flow.alpha, 2)
                    ));
                }
            }
        }
    }
    report.set(
        "converted_trend",
        format!(
            "of the {count} intermediate flow windows (start, alpha, k < K), {} get shorter from eta l_1 = {} to {} \
             and {} get longer{}",
            count - rising.len(),
            short(small, 2),
            short(large, 2),
            rising.len(),
            if rising.is_empty() {
                String::new()
            } else {
                format!(" ({})", rising.join("; "))
            }
        ),
    );
}

fn theorem_table(data: &Data, report: &mut Report) {
    let mut rows = Vec::new();
    let mut violations = Vec::new();
    let mut naive_failures = 0usize;
    let mut any = false;
    for (f, flow) in data.flows.iter().enumerate() {
        if !flow.applies {
            continue;
        }
        any = true;
        let runs: Vec<&GdRun> = data
            .runs
            .iter()
            .filter(|r| r.flow == f && r.eta_l1 < 1.0)
            .collect();
        let all_nonempty = |r: &GdRun| r.converted.iter().all(|c| c.0.is_some());
        let holds = |cs: &[Measured]| cs.iter().all(|c| c.1.is_none_or(|e| e <= data.eps));
        for r in &runs {
            if !holds(&r.converted) {
                let worst = r
                    .converted
                    .iter()
                    .filter_map(|c| c.1)
                    .fold(0.0f64, f64::max);
                violations.push(format!(
                    "{} start, alpha {}, eta l_1 {} (largest error {})",
                    flow.kind.name(),
                    short(flow.alpha, 2),
                    short(r.eta_l1, 3),
                    short(worst, 3)
                ));
            }
            if !holds(&r.naive) {
                naive_failures += 1;
            }
        }
        let largest = |p: &dyn Fn(&GdRun) -> bool| {
            runs.iter()
                .filter(|r| p(r))
                .map(|r| r.eta_l1)
                .fold(None, |m: Option<f64>, e| Some(m.map_or(e, |m| m.max(e))))
                .map_or("none".to_string(), |e| short(e, 3))
        };
        let first_naive_fail = runs
            .iter()
            .find(|r| !holds(&r.naive))
            .map_or("none".to_string(), |r| short(r.eta_l1, 3));
        rows.push(vec![
            flow.kind.name().into(),
            short(flow.alpha, 2),
            flow.flow_max_error.map_or("-".into(), |e| short(e, 3)),
            largest(&all_nonempty),
            largest(&|r| all_nonempty(r) && holds(&r.converted)),
            first_naive_fail,
        ]);
    }
    report.table(
        "theorem_table",
        &[
            "start",
            "alpha (theorem applies to the flow)",
            "the flow's largest error on the I_k",
            "largest eta l_1 of the sweep with every converted interval nonempty",
            "largest eta l_1 with GD within eps on all of them",
            "smallest eta l_1 at which GD leaves eps on some I_k / eta",
        ],
        &rows,
    );
    report.check(
        "theorem_any",
        any,
        "the theorem applies at some alpha of the sweep",
    );
    report.check(
        "converted_hold",
        violations.is_empty(),
        violations.join("; "),
    );
    report.set(
        "converted_violations",
        if violations.is_empty() {
            "none".into()
        } else {
            violations.join("; ")
        },
    );
    report.check(
        "naive_fails",
        naive_failures > 0,
        format!("{naive_failures} runs"),
    );
    let tight: Vec<String> = data
        .flows
        .iter()
        .filter(|f| f.applies)
        .filter_map(|f| f.flow_max_error.map(|e| short(e / data.eps, 3)))
        .collect();
    report.set("flow_error_over_eps", tight.join(", "));
}

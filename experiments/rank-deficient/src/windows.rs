//! Section 2: the limits far past every transition, and the eps-windows around each `Ŷ_k`
//! against the intervals Theorem 4 gives for the full-rank shape.

use crate::config::Config;
use crate::setup::Setup;
use mfflow::analysis::{errors_to_rank_k, linspace, windows_within};
use mfflow::theorems::{self, Interval};
use mfflow::Init;
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::{progress, Result};
use serde::{Deserialize, Serialize};

/// One number of columns `r`.
#[derive(Serialize, Deserialize)]
pub struct Rank {
    r: usize,
    /// Rank of `W(0)` as detected by the closed form.
    rank: usize,
    /// `min(r, K)`.
    learned: usize,
    /// `‖W(t) − Ŷ_min(r,K)‖₂` and the next eigenvalue of `W`, at ten horizons.
    limit: f64,
    next: f64,
    /// For `k = 1..=learned`, the windows where `‖W(t) − Ŷ_k‖ ≤ ε` on `[0, horizon]`.
    windows: Vec<Vec<(f64, f64)>>,
}

/// What section 2 measured.
#[derive(Serialize, Deserialize)]
pub struct Data {
    eps: f64,
    n: usize,
    horizon: f64,
    conjecture_tolerance: f64,
    /// Theorem 4 for the full-rank shape: why it does not apply, `M`, its intervals.
    t4_reason: Option<String>,
    t4_m: Option<f64>,
    #[serde(with = "mfflow_lab::saved::intervals")]
    intervals: Vec<Interval>,
    ranks: Vec<Rank>,
    /// The full-rank shape's eigenvalues along the null space of `Y` (`λ_{K+1..n}`), at the
    /// horizon and at `t = c/α` for each `c` of [`DECAY_MULTIPLES`]: `(t, eigenvalues)`.
    null_decay: Vec<(f64, Vec<f64>)>,
}

/// The times `t = c/α` at which the null-space eigenvalues are measured: by (13) they behave
/// like `1/(μ + 2t)` with `μ ~ 1/(α s)`, so they decay only once `t` is of order `1/α`.
const DECAY_MULTIPLES: [f64; 5] = [1e-4, 1e-2, 1.0, 1e2, 1e4];

/// Measures the limits and the windows of every rank.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds)?;
    let grid = linspace(0.0, setup.horizon, cfg.time_points);
    // Theorem 4 for the full-rank shape the columns are taken from.
    let full = Init::new(cfg.alpha, setup.full_shape.as_ref())?;
    let t4 = theorems::theorem4(&setup.target, &full, cfg.eps, 0)?;
    let bar = progress::bar(cfg.ranks.len() as u64, "ranks");
    let mut ranks = Vec::new();
    for &r in &cfg.ranks {
        let traj = setup.trajectory(&setup.shape(r), cfg.alpha)?;
        let learned = r.min(setup.k_rank);
        // Limit: far past every transition (10 horizons).
        let far = 10.0 * setup.horizon;
        let eig = traj.eigenvalues(&[far])?.remove(0);
        let windows = (1..=learned)
            .map(|k| windows_within(&traj, k, cfg.eps, &grid))
            .collect::<std::result::Result<_, _>>()?;
        ranks.push(Rank {
            r,
            rank: traj.rank(),
            learned,
            limit: errors_to_rank_k(&traj, learned, &[far])?[0],
            next: eig.get(learned).copied().unwrap_or(0.0),
            windows,
        });
        bar.inc(1);
    }
    bar.finish_and_clear();
    let null_decay = null_decay(&setup, cfg.alpha)?;
    Ok(Data {
        eps: cfg.eps,
        n: setup.target.n(),
        horizon: setup.horizon,
        conjecture_tolerance: cfg.conjecture_tolerance,
        t4_reason: t4.reason.clone(),
        t4_m: t4.m,
        intervals: t4.intervals.clone(),
        ranks,
        null_decay,
    })
}

/// The null-space eigenvalues of the full-rank shape's `W(t)` at the horizon and far past it.
fn null_decay(setup: &Setup, alpha: f64) -> Result<Vec<(f64, Vec<f64>)>> {
    let traj = setup.trajectory(&setup.full_shape, alpha)?;
    let times: Vec<f64> = std::iter::once(setup.horizon)
        .chain(DECAY_MULTIPLES.iter().map(|c| c / alpha))
        .collect();
    let eig = traj.eigenvalues(&times)?;
    Ok(times
        .into_iter()
        .zip(eig)
        .map(|(t, e)| (t, e[setup.k_rank..].to_vec()))
        .collect())
}

/// Writes `windows.csv` and fills section 2.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let csv: Vec<Vec<String>> = data
        .ranks
        .iter()
        .flat_map(|rk| {
            rk.windows.iter().enumerate().flat_map(move |(k, ws)| {
                ws.iter().map(move |&(a, b)| {
                    // A window still open at the end of the search has no measured end.
                    let end = if is_open(b, data.horizon) {
                        "open".into()
                    } else {
                        num(b)
                    };
                    vec![rk.r.to_string(), (k + 1).to_string(), num(a), end]
                })
            })
        })
        .collect();
    out.csv(
        "windows.csv",
        &["r", "k", "window_start", "window_end"],
        &csv,
    )?;
    theorem4_text(data, report);
    limits(data, report);
    decay(data, report);
    windows_table(data, report);
    report.set("schedule_shift", schedule_shift(data));
    Ok(())
}

fn theorem4_text(data: &Data, report: &mut Report) {
    let text = match (&data.t4_reason, data.t4_m) {
        (None, Some(m)) => format!("applies to the full-rank shape (M = {})", short(m, 3)),
        (Some(why), Some(m)) => format!(
            "does not apply to the full-rank shape (M = {}): {why}",
            short(m, 3)
        ),
        (Some(why), None) => format!("does not apply to the full-rank shape: {why}"),
        (None, None) => "applies".into(),
    };
    report.set("theorem4_full", text);
}

fn limits(data: &Data, report: &mut Report) {
    let rows: Vec<Vec<String>> = data
        .ranks
        .iter()
        .map(|rk| {
            vec![
                rk.r.to_string(),
                rk.rank.to_string(),
                rk.learned.to_string(),
                short(rk.limit, 2),
                short(rk.next, 2),
            ]
        })
        .collect();
    report.table(
        "limit_table",
        &[
            "r (columns)",
            "rank of W(0)",
            "min(r, K)",
            "||W(t) - Yhat_min(r,K)||_2 at t = 10 x horizon",
            "next eigenvalue of W",
        ],
        &rows,
    );
    let worst = data.ranks.iter().map(|rk| rk.limit).fold(0.0f64, f64::max);
    report.set("worst_limit", short(worst, 2));
    report.check(
        "limits_reached",
        worst <= data.eps,
        format!("largest distance to Yhat_min(r,K) far past the transitions: {worst:e}"),
    );
}

/// The null-space part's algebraic decay: `2 t λ_{K+j}(t)` against its limit 1.
fn decay(data: &Data, report: &mut Report) {
    let rows: Vec<Vec<String>> = data
        .null_decay
        .iter()
        .map(|(t, e)| {
            let mut row = vec![short(*t, 3)];
            row.extend(
                e.iter()
                    .map(|v| format!("{} ({})", short(*v, 3), short(2.0 * t * v, 3))),
            );
            row
        })
        .collect();
    let k = data.n - data.null_decay[0].1.len();
    let mut header = vec!["t".to_string()];
    header.extend((k + 1..=data.n).map(|i| format!("lambda_{i} (2 t lambda_{i})")));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    report.table("decay_table", &header, &rows);
    // Flat up to the horizon and well past it, then 1/(2t).
    let (first, rest) = data.null_decay.split_first().expect("horizon row");
    let flat = |e: &[f64]| {
        e.iter()
            .zip(&first.1)
            .all(|(v, v0)| (v / v0 - 1.0).abs() <= 0.01)
    };
    let still = rest.iter().take_while(|(_, e)| flat(e)).last().map(|r| r.0);
    let (t_last, e_last) = rest.last().expect("decay times");
    let limit = e_last
        .iter()
        .map(|v| (2.0 * t_last * v - 1.0).abs())
        .fold(0.0f64, f64::max);
    report.set(
        "decay_flat_until",
        still.map_or("-".into(), |t| short(t, 2)),
    );
    report.set("decay_last_t", short(*t_last, 2));
    report.set("decay_limit_error", short(limit, 2));
    report.check(
        "decay_algebraic",
        still.is_some() && limit <= 0.01,
        format!("null-space eigenvalues: flat until {still:?}, |2 t lambda - 1| = {limit:e} at t = {t_last:e}"),
    );
}

/// Whether the single window of `k` contains the interval (up to the horizon); `None` when
/// the interval is empty.
fn contains(data: &Data, k: usize, windows: &[(f64, f64)]) -> Option<bool> {
    let iv = data.intervals.get(k - 1)?;
    if iv.is_empty() {
        return None;
    }
    let end = iv.end.unwrap_or(data.horizon).min(data.horizon);
    Some(windows.len() == 1 && windows[0].0 <= iv.start && windows[0].1 >= end)
}

/// Whether a window ending at `b` is still open at the end of the search, `horizon`.
fn is_open(b: f64, horizon: f64) -> bool {
    b >= horizon * (1.0 - 1e-12)
}

fn window_text(w: &[(f64, f64)], end: f64) -> String {
    if w.is_empty() {
        return "never".into();
    }
    w.iter()
        .map(|(a, b)| {
            if is_open(*b, end) {
                format!("[{}, end]", short(*a, 4))
            } else {
                format!("[{}, {}]", short(*a, 4), short(*b, 4))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn windows_table(data: &Data, report: &mut Report) {
    let (mut rows, mut contained, mut compared) = (Vec::new(), 0usize, 0usize);
    for rk in &data.ranks {
        for (k, ws) in (1..).zip(&rk.windows) {
            let c = contains(data, k, ws);
            compared += c.is_some() as usize;
            contained += (c == Some(true)) as usize;
            let interval = data.intervals.get(k - 1);
            rows.push(vec![
                rk.r.to_string(),
                k.to_string(),
                window_text(ws, data.horizon),
                interval.map_or("-".into(), |iv| match iv.end {
                    Some(e) => format!("[{}, {}]", short(iv.start, 4), short(e, 4)),
                    None => format!("[{}, inf)", short(iv.start, 4)),
                }),
                c.map_or("(empty I_k)".into(), |c| {
                    let word = if c { "yes" } else { "no" };
                    match interval.and_then(|iv| iv.end) {
                        None => format!("{word} (up to the horizon)"),
                        Some(_) => word.to_string(),
                    }
                }),
            ]);
        }
    }
    report.table(
        "window_table",
        &[
            "r",
            "k",
            "measured windows where ||W(t) - Yhat_k|| <= eps",
            "Theorem 4 interval I_k (full-rank shape)",
            "window contains I_k",
        ],
        &rows,
    );
    report.set("horizon", short(data.horizon, 4));
    report.set("contained", format!("{contained} of {compared}"));
    report.check(
        "all_contained",
        compared > 0 && contained == compared,
        format!("{contained} of {compared} windows contain the full-rank interval"),
    );
}

/// How far the window starts move with `r`, against the full-rank shape's.
fn schedule_shift(data: &Data) -> String {
    let starts: Vec<Vec<Option<f64>>> = data
        .ranks
        .iter()
        .map(|rk| rk.windows.iter().map(|w| w.first().map(|w| w.0)).collect())
        .collect();
    let tolerance = data.conjecture_tolerance;
    let Some(fi) = data.ranks.iter().position(|rk| rk.r == data.n) else {
        return "The ranks do not include r = n, so window starts are not compared with the full-rank shape's.".to_string();
    };
    let mut worst = 0.0f64;
    let mut count = 0;
    for (ri, row) in starts.iter().enumerate() {
        if ri == fi {
            continue;
        }
        for (k, s) in row.iter().enumerate() {
            if let (Some(s), Some(Some(f))) = (s, starts[fi].get(k)) {
                worst = worst.max((s - f).abs() / f);
                count += 1;
            }
        }
    }
    if count == 0 {
        "No window start could be compared with the full-rank shape's.".to_string()
    } else if worst <= tolerance {
        format!(
            "The windows also begin on the full-rank schedule: across the {count} (r, k) pairs with r < n, \
             within {} % (tolerance {} %) of where they begin for the full-rank shape.",
            short(worst * 100.0, 2),
            short(tolerance * 100.0, 2)
        )
    } else {
        format!(
            "The windows do not begin on exactly the full-rank schedule: across the {count} (r, k) pairs with \
             r < n, a window begins up to {} % away from where it begins for the full-rank shape (more than the \
             tolerance of {} %), so no claim about the exact schedule is made.",
            short(worst * 100.0, 2),
            short(tolerance * 100.0, 2)
        )
    }
}

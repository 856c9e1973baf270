//! Section 4: how conservative the theorems are. For each eps, the alpha the theorem asks for
//! against the largest alpha at which (a) its conclusion holds on its own intervals and (b)
//! every `Ŷ_k` is approached within eps somewhere, both by bisection on `log(alpha)`.

use crate::config::Config;
use crate::setup::{verdict, Kind, Setup};
use mfflow::analysis::{linspace, min_error_to_rank_k};
use mfflow::theorems::{self, Interval};
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::{lab_err, progress, Result};
use serde::{Deserialize, Serialize};

/// One `(initialization, eps)`.
#[derive(Serialize, Deserialize)]
pub struct Row {
    kind: Kind,
    eps: f64,
    /// The alpha the theorem asks for, and whether its alpha bound or the separation
    /// condition binds.
    required: f64,
    separation_binds: bool,
    /// The largest alpha for (a) and (b), if any.
    on_intervals: Option<f64>,
    any_window: Option<f64>,
}

/// What section 4 measured.
#[derive(Serialize, Deserialize)]
pub struct Data {
    bisection_steps: usize,
    rows: Vec<Row>,
}

/// Bisects both limits for each initialization and eps.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds)?;
    let l = setup.l();
    let k_rank = setup.target.positive_rank();
    let rho = (1..k_rank).map(|k| l[k] / l[k - 1]).fold(0.0f64, f64::max);
    let bar = progress::bar((cfg.eps.len() * 2) as u64, "tightness bisection");
    let mut rows = Vec::new();
    for kind in Kind::BOTH {
        for &eps in &cfg.eps {
            rows.push(row(cfg, &setup, kind, eps, rho)?);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    Ok(Data {
        bisection_steps: cfg.bisection_steps,
        rows,
    })
}

fn row(cfg: &Config, setup: &Setup, kind: Kind, eps: f64, rho: f64) -> Result<Row> {
    // The constants do not depend on alpha: read them off a verdict without measuring.
    let v = verdict(setup, kind, 1e-300, eps, 0)?;
    let (Some(c), Some(big_c), Some(bound)) = (v.c_eps, v.big_c_eps, v.alpha_bound) else {
        return Err(lab_err!(
            "{} theorem does not apply at all: {:?}",
            kind.name(),
            v.reason
        ));
    };
    // The separation condition holds for alpha < alpha_sep, with
    // (ln c − ln a)/(ln C − ln a) = rho  ⇔  ln a = (ln c − rho ln C)/(1 − rho).
    let alpha_sep = ((c.ln() - rho * big_c.ln()) / (1.0 - rho)).exp();
    // Strictly below both bounds (the separation condition is a strict inequality).
    let required = bound.min(alpha_sep * (1.0 - 1e-9));
    let on_intervals = bisect(required, cfg.bisection_steps, |a| {
        conclusion_holds(setup, kind, a, eps, c, big_c, cfg.grid_points)
    })?;
    let any_window = bisect(required, cfg.bisection_steps, |a| {
        windows_exist(setup, kind, a, eps, cfg.time_points)
    })?;
    Ok(Row {
        kind,
        eps,
        required,
        separation_binds: bound > alpha_sep,
        on_intervals,
        any_window,
    })
}

/// Whether the conclusion `‖W(t) − Ŷ_k‖ ≤ ε on every I_k` holds at α with the theorem's
/// constants, every I_k being nonempty.
fn conclusion_holds(
    setup: &Setup,
    kind: Kind,
    alpha: f64,
    eps: f64,
    c: f64,
    big_c: f64,
    grid: usize,
) -> Result<bool> {
    let l = setup.l();
    let ivs = theorems::intervals(l, setup.target.positive_rank(), alpha, c, big_c);
    if ivs.iter().any(Interval::is_empty) {
        return Ok(false);
    }
    let errors = theorems::measure(&setup.target, &setup.init(kind, alpha)?, &ivs, grid)?;
    Ok(errors.iter().all(|e| e.is_some_and(|e| e <= eps)))
}

/// Whether every `Ŷ_k` is approached within ε somewhere along the trajectory.
fn windows_exist(setup: &Setup, kind: Kind, alpha: f64, eps: f64, points: usize) -> Result<bool> {
    let l = setup.l();
    let traj = setup.trajectory(kind, alpha)?;
    let grid = linspace(0.0, setup.horizon(alpha), points);
    for k in 1..l.len() {
        if min_error_to_rank_k(&traj, k, &grid)? > eps {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The largest α in `[lo, 1]` at which `holds` is true, by bisection on log α, given that it
/// holds at `lo`. `None` if it does not hold at `lo`.
fn bisect(
    lo: f64,
    steps: usize,
    mut holds: impl FnMut(f64) -> Result<bool>,
) -> Result<Option<f64>> {
    if !holds(lo)? {
        return Ok(None);
    }
    if holds(1.0)? {
        return Ok(Some(1.0));
    }
    let (mut a, mut b) = (lo.ln(), 0.0f64);
    for _ in 0..steps {
        let mid = 0.5 * (a + b);
        if holds(mid.exp())? {
            a = mid;
        } else {
            b = mid;
        }
    }
    Ok(Some(a.exp()))
}

/// Writes `tightness.csv` and fills section 4.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let csv: Vec<Vec<String>> = data
        .rows
        .iter()
        .map(|r| {
            vec![
                r.kind.name().into(),
                num(r.eps),
                num(r.required),
                r.on_intervals.map_or("".into(), num),
                r.any_window.map_or("".into(), num),
            ]
        })
        .collect();
    out.csv(
        "tightness.csv",
        &[
            "initialization",
            "eps",
            "alpha_required",
            "alpha_max_theorem_intervals",
            "alpha_max_any_window",
        ],
        &csv,
    )?;
    table(data, report);
    ranges(data, report);
    Ok(())
}

fn opt(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| short(v, 3))
}

fn table(data: &Data, report: &mut Report) {
    let rows: Vec<Vec<String>> = data
        .rows
        .iter()
        .map(|r| {
            let ratio = |m: Option<f64>| m.map_or("-".into(), |m| short(m / r.required, 3));
            vec![
                r.kind.name().into(),
                short(r.eps, 2),
                short(r.required, 3),
                if r.separation_binds {
                    "separation"
                } else {
                    "alpha bound"
                }
                .into(),
                opt(r.on_intervals),
                ratio(r.on_intervals),
                opt(r.any_window),
                ratio(r.any_window),
            ]
        })
        .collect();
    report.table(
        "tightness_table",
        &[
            "initialization",
            "eps",
            "alpha the theorem asks for",
            "binding condition",
            "largest alpha: conclusion on the theorem's I_k",
            "ratio",
            "largest alpha: every Yhat_k approached within eps",
            "ratio",
        ],
        &rows,
    );
}

fn ranges(data: &Data, report: &mut Report) {
    let range = |r: &[f64]| {
        let (lo, hi) = r.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
        if r.is_empty() {
            "(could not be measured)".to_string()
        } else if short(lo, 2) == short(hi, 2) {
            format!("{} times the required alpha in every case", short(lo, 2))
        } else {
            format!(
                "from {} to {} times the required alpha",
                short(lo, 2),
                short(hi, 2)
            )
        }
    };
    let ratios: Vec<f64> = data
        .rows
        .iter()
        .filter_map(|r| r.on_intervals.map(|m| m / r.required))
        .collect();
    let windows: Vec<f64> = data
        .rows
        .iter()
        .filter_map(|r| r.any_window.map(|m| m / r.required))
        .collect();
    let limited = data
        .rows
        .iter()
        .filter(|r| {
            r.separation_binds && r.on_intervals.is_some_and(|m| m / r.required < 1.0 + 1e-6)
        })
        .count();
    report.set("tightness_range", range(&ratios));
    report.set("window_range", range(&windows));
    report.set(
        "limited_by_separation",
        format!("{limited} of {}", data.rows.len()),
    );
    report.set("bisection_steps", data.bisection_steps.to_string());
}

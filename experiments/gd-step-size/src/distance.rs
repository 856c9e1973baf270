//! Section 4: how far gradient descent is from the flow, `max_k ‖W_GD(k) − W(k η)‖₂`, and from
//! the first-order modified equation (backward error analysis), against `η`.

use crate::config::Config;
use crate::gd::{self, to_mat, Factor, Watch};
use crate::modified;
use crate::setup::{Kind, Setup};
use mfflow::metrics::spectral_norm_symmetric;
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Marker, Series};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::stats::least_squares_slope;
use mfflow_lab::Result;
use rayon::prelude::*;

/// Step sizes (the smallest of the sweep) the orders of convergence are fitted on.
const FIT_POINTS: usize = 4;
/// "Most of the deviation": the correction removes at least this fraction of it.
const MOST: f64 = 0.9;

/// One run.
pub struct Row {
    kind: Kind,
    eta_l1: f64,
    steps: u64,
    compared: usize,
    /// `max ‖W_GD − W_flow‖₂` and the time where it is largest.
    flow: (f64, f64),
    /// `max ‖W_GD − W_modified‖₂` and the time where it is largest.
    modified: (f64, f64),
}

/// What section 4 measured.
pub struct Data {
    alpha: f64,
    horizon: Vec<f64>,
    rows: Vec<Row>,
}

fn run_one(
    setup: &Setup,
    kind: Kind,
    alpha: f64,
    horizon: f64,
    eta_l1: f64,
    cfg: &Config,
) -> Result<Row> {
    let l = setup.l();
    let n = l.len();
    let eta = eta_l1 / l[0];
    let steps = (horizon / eta).round().max(1.0) as u64;
    let c = cfg.distance.checkpoints as u64;
    let mut checkpoints: Vec<u64> = (0..=c.min(steps))
        .map(|j| j * steps / c.min(steps))
        .collect();
    checkpoints.dedup();
    let u0 = setup.factor(kind, alpha)?;
    let out = gd::run(
        l,
        &u0,
        eta,
        steps,
        &Watch {
            checkpoints: checkpoints.clone(),
            ..Watch::default()
        },
    )?;
    let times: Vec<f64> = out
        .checkpoints
        .iter()
        .map(|(k, _)| *k as f64 * eta)
        .collect();
    let exact = setup.trajectory(kind, alpha)?.w_eigenbasis(&times)?;
    let h_max = cfg.distance.rk4_step_l1 / l[0];
    let mut u: Factor = u0;
    let mut t_prev = 0.0;
    let (mut flow, mut modif) = ((0.0f64, 0.0f64), (0.0f64, 0.0f64));
    for ((k, w), exact) in out.checkpoints.iter().zip(&exact) {
        let t = *k as f64 * eta;
        if t > t_prev {
            let sub = ((t - t_prev) / h_max).ceil() as u64;
            modified::advance(l, &mut u, eta, t - t_prev, sub);
            t_prev = t;
        }
        let gd_w = to_mat(w, n);
        let d = spectral_norm_symmetric((&gd_w - exact).as_ref())?;
        if d > flow.0 {
            flow = (d, t);
        }
        let mut wm = vec![0.0; n * n];
        u.gram_into(&mut wm);
        let d = spectral_norm_symmetric((&gd_w - to_mat(&wm, n)).as_ref())?;
        if d > modif.0 {
            modif = (d, t);
        }
    }
    Ok(Row {
        kind,
        eta_l1,
        steps,
        compared: out.checkpoints.len(),
        flow,
        modified: modif,
    })
}

pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds)?;
    let alpha = cfg.distance.alpha;
    let n = setup.n();
    let mut horizon = Vec::new();
    for kind in Kind::BOTH {
        let half = setup.flow_half_times(&setup.trajectory(kind, alpha)?, alpha)?;
        horizon.push(1.5 * half[n - 1]);
    }
    let mut etas = cfg.distance.eta_l1.clone();
    etas.sort_by(f64::total_cmp);
    let jobs: Vec<(usize, f64)> = (0..2)
        .flat_map(|k| etas.iter().map(move |&e| (k, e)))
        .collect();
    let rows = jobs
        .par_iter()
        .map(|&(k, e)| run_one(&setup, Kind::BOTH[k], alpha, horizon[k], e, cfg))
        .collect::<Result<_>>()?;
    Ok(Data {
        alpha,
        horizon,
        rows,
    })
}

fn slope(rows: &[&Row], pick: impl Fn(&Row) -> f64) -> Option<f64> {
    let pts: Vec<(f64, f64)> = rows
        .iter()
        .take(FIT_POINTS)
        .map(|r| (r.eta_l1.ln(), pick(r).ln()))
        .collect();
    (pts.len() == FIT_POINTS)
        .then(|| least_squares_slope(&pts))
        .flatten()
}

pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let rows: Vec<Vec<String>> = data
        .rows
        .iter()
        .map(|r| {
            vec![
                r.kind.name().into(),
                num(r.eta_l1),
                r.steps.to_string(),
                r.compared.to_string(),
                num(r.flow.0),
                num(r.flow.1),
                num(r.modified.0),
                num(r.modified.1),
            ]
        })
        .collect();
    out.csv(
        "distance.csv",
        &[
            "start",
            "eta_l1",
            "steps",
            "iterates_compared",
            "max_distance_to_flow",
            "at_time",
            "max_distance_to_modified_equation",
            "at_time_modified",
        ],
        &rows,
    )?;
    let mut plot = LinePlot::new(
        format!(
            "Distance of GD to the flow, alpha = {}",
            short(data.alpha, 2)
        ),
        "step size eta * l_1 (log scale)",
        "max over the run of ||W_GD(k) - W(k eta)||_2 (log scale)",
    );
    plot.log_x = true;
    plot.log_y = true;
    // The two starts give distances within a few per cent of each other: the spectral start is
    // drawn as lines and the general start as dots of the same colours, so that neither hides
    // the other.
    for kind in Kind::BOTH {
        let sel: Vec<&Row> = data.rows.iter().filter(|r| r.kind == kind).collect();
        let flow: Vec<(f64, f64)> = sel.iter().map(|r| (r.eta_l1, r.flow.0)).collect();
        let modified: Vec<(f64, f64)> = sel.iter().map(|r| (r.eta_l1, r.modified.0)).collect();
        let (flow_name, modified_name) = (
            format!("to the flow, {} start", kind.name()),
            format!("to the modified equation, {} start", kind.name()),
        );
        let (flow, modified) = match kind {
            Kind::Spectral => (
                Series::line(flow_name, flow),
                Series::line(modified_name, modified),
            ),
            Kind::General => (
                Series::markers(flow_name, flow),
                Series::markers(modified_name, modified),
            ),
        };
        plot.series.push(flow.coloured(0));
        plot.series.push(modified.coloured(1));
    }
    // How far apart the two starts are, per quantity, over the common step sizes.
    let spread = |pick: fn(&Row) -> f64| {
        data.rows
            .iter()
            .filter(|r| r.kind == Kind::Spectral)
            .filter_map(|s| {
                data.rows
                    .iter()
                    .find(|g| g.kind == Kind::General && g.eta_l1 == s.eta_l1)
                    .map(|g| (pick(g) / pick(s) - 1.0).abs())
            })
            .fold(0.0f64, f64::max)
    };
    let (flow_spread, modified_spread) = (spread(|r| r.flow.0), spread(|r| r.modified.0));
    plot.markers.push(Marker::Vertical(1.0, 6));
    plot.marker_label = "dashed: the stability limit eta l_1 = 1".into();
    report.figure(
        out,
        "distance",
        &plot,
        &format!(
            "Largest spectral-norm distance between the GD iterate and the exact flow at the same \
             time k eta (blue), and between the GD iterate and the first-order modified equation \
             (orange), over the run (up to 1.5 times the flow's last half-time; at most {} evenly spaced \
             iterates compared per run). Spectral start: lines; general start: dots. The two starts \
             give nearly the same distances (at every step size within {} % of each other for the \
             flow, {} % for the modified equation), so the dots sit on the lines. Data: distance.csv.",
            data.rows.iter().map(|r| r.compared).max().unwrap_or(0),
            short(100.0 * flow_spread, 2),
            short(100.0 * modified_spread, 2)
        ),
    )?;
    let mut table = Vec::new();
    let mut slopes = Vec::new();
    let mut most_until = Vec::new();
    for kind in Kind::BOTH {
        let sel: Vec<&Row> = data.rows.iter().filter(|r| r.kind == kind).collect();
        for r in &sel {
            table.push(vec![
                kind.name().into(),
                short(r.eta_l1, 2),
                short(r.flow.0, 3),
                short(r.flow.1, 3),
                short(r.modified.0, 3),
                format!("{} %", short(100.0 * (1.0 - r.modified.0 / r.flow.0), 3)),
            ]);
        }
        slopes.push((
            kind,
            slope(&sel, |r| r.flow.0),
            slope(&sel, |r| r.modified.0),
        ));
        // The largest eta up to which (from the smallest on) the correction removes MOST.
        let until = sel
            .iter()
            .take_while(|r| r.modified.0 <= (1.0 - MOST) * r.flow.0)
            .last()
            .map(|r| r.eta_l1);
        most_until.push((kind, until));
    }
    report.table(
        "distance_table",
        &[
            "start",
            "eta l_1",
            "max distance to the flow",
            "at time",
            "max distance to the modified equation",
            "share of the deviation the correction removes",
        ],
        &table,
    );
    let fmt = |s: Option<f64>| s.map_or("-".into(), |s| short(s, 3));
    let text: Vec<String> = slopes
        .iter()
        .map(|(k, f, m)| {
            format!(
                "{}: {} (flow), {} (modified equation)",
                k.name(),
                fmt(*f),
                fmt(*m)
            )
        })
        .collect();
    report.set("slopes", text.join("; "));
    let first_order = slopes.iter().all(|(_, f, m)| {
        f.is_some_and(|f| (f - 1.0).abs() < 0.1) && m.is_some_and(|m| (m - 2.0).abs() < 0.2)
    });
    report.check(
        "orders",
        first_order,
        format!("slopes {text:?} (want 1 +- 0.1 and 2 +- 0.2)"),
    );
    report.set("fit_points", FIT_POINTS.to_string());
    report.set("most", short(100.0 * MOST, 2));
    let text: Vec<String> = most_until
        .iter()
        .map(|(k, u)| {
            format!(
                "{} start: {}",
                k.name(),
                u.map_or("at no step size of the sweep".into(), |u| format!(
                    "up to eta l_1 = {}",
                    short(u, 3)
                ))
            )
        })
        .collect();
    report.set("most_until", text.join("; "));
    report.check(
        "most_explained",
        most_until.iter().all(|(_, u)| u.is_some()),
        text.join("; "),
    );
    // Near and beyond the limit the distance is of the size of Y itself.
    let big: Vec<String> = data
        .rows
        .iter()
        .filter(|r| r.eta_l1 >= 0.5)
        .map(|r| {
            format!(
                "{} {}: {}",
                r.kind.name(),
                short(r.eta_l1, 2),
                short(r.flow.0, 3)
            )
        })
        .collect();
    report.set("large_step_distances", big.join("; "));
    // Where the first-order modified equation is farther from GD than the flow itself.
    let worse: Vec<String> = data
        .rows
        .iter()
        .filter(|r| r.modified.0 > r.flow.0)
        .map(|r| format!("{} {}", r.kind.name(), short(r.eta_l1, 2)))
        .collect();
    report.check("modified_worse", !worse.is_empty(), worse.join("; "));
    report.set("modified_worse", worse.join(", "));
    let horizons: Vec<String> = data.horizon.iter().map(|h| short(*h, 3)).collect();
    report.set("distance_horizon", horizons.join(" and "));
    report.set("distance_alpha", short(data.alpha, 2));
    Ok(())
}

//! Section 4: a shape with no component along one eigenvector of `Y` (that mode is never
//! learned, exactly), and the same shape with a component of size `delta` put back.

use crate::config::Config;
use mfflow::analysis::linspace;
use mfflow::{metrics, Form, Init, Mat, Target, Trajectory};
use mfflow_lab::instances::gaussian;
use mfflow_lab::output::{short, Outputs};
use mfflow_lab::plot::{LinePlot, Marker, Series};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;
use serde::{Deserialize, Serialize};

/// One leak size.
#[derive(Serialize, Deserialize)]
pub struct Leak {
    delta: f64,
    /// `(t, W̃_jj(t))` on the time grid.
    curve: Vec<(f64, f64)>,
    /// Linear-phase prediction and measured time at which `W̃_jj` reaches `l_j / 2`.
    predicted: f64,
    measured: Option<f64>,
}

/// What section 4 measured.
#[derive(Serialize, Deserialize)]
pub struct Data {
    /// 0-based index and eigenvalue of the missing direction.
    j: usize,
    lj: f64,
    /// With no component at all: the largest entry of row `j` of `W̃(t)`, and the distance far
    /// past every transition to `Y` with `l_j` removed.
    row_max: f64,
    limit: f64,
    leaks: Vec<Leak>,
}

/// The shape (in the eigenbasis of a diagonal target) with row `j` scaled by `delta`.
fn shape_with(target: &Target, base: &Mat<f64>, j: usize, delta: f64) -> Mat<f64> {
    let n = base.nrows();
    let eig_shape = Mat::from_fn(n, n, |i, c| {
        if i == j {
            delta * base[(j, c)]
        } else {
            base[(i, c)]
        }
    });
    target.from_eigenbasis(eig_shape.as_ref())
}

/// The time at which `W̃_jj` first reaches `level`, refined by bisection on the trajectory.
fn crossing(
    traj: &Trajectory,
    j: usize,
    level: f64,
    times: &[f64],
    ws: &[Mat<f64>],
) -> Result<Option<f64>> {
    let jj = |t: f64| -> Result<f64> { Ok(traj.w_eigenbasis(&[t])?[0][(j, j)]) };
    Ok(match ws.iter().position(|w| w[(j, j)] >= level) {
        None => None,
        Some(0) => Some(0.0),
        Some(p) => {
            let (mut lo, mut hi) = (times[p - 1], times[p]);
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if jj(mid)? >= level {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            Some(0.5 * (lo + hi))
        }
    })
}

/// Measures the exactly missing direction and every leak size.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    // A diagonal target: its eigenbasis is exact, so "no component along e_j" is exact in f64.
    let target = Target::diagonal(&cfg.eigenvalues)?;
    let l = target.eigenvalues().to_vec();
    let n = l.len();
    let j = cfg.missing_direction - 1;
    let lj = l[j];
    let base = gaussian(
        n,
        n,
        1.0 / (n as f64).sqrt(),
        &mut seeds.stream("missing-direction-shape"),
    );
    let leak_norm2: f64 = (0..n).map(|c| base[(j, c)] * base[(j, c)]).sum();
    let k_rank = target.positive_rank();
    // Past the latest transition: the smallest leak's mode, and the smallest eigenvalue's.
    let smallest_leak = cfg.leak_sizes.iter().fold(1.0f64, |m, d| m.min(*d));
    let horizon = (1.5 * (1.0 / (cfg.alpha * smallest_leak * smallest_leak)).ln() / (2.0 * lj))
        .max(1.5 * (1.0 / cfg.alpha).ln().max(2.0) / (2.0 * l[k_rank - 1]));
    let times = linspace(0.0, horizon, cfg.time_points);
    let trajectory = |delta: f64| -> Result<Trajectory> {
        let shape = shape_with(&target, &base, j, delta);
        Ok(Trajectory::new(
            &target,
            &Init::new(cfg.alpha, shape.as_ref())?,
            Form::Auto,
        )?)
    };
    let exact = trajectory(0.0)?;
    let row_max = exact
        .w_eigenbasis(&times)?
        .iter()
        .map(|w| (0..n).map(|c| w[(j, c)].abs()).fold(0.0f64, f64::max))
        .fold(0.0f64, f64::max);
    let far = exact.w_eigenbasis(&[10.0 * horizon])?.remove(0);
    let without_j = Mat::from_fn(n, n, |a, b| if a == b && a != j { l[a] } else { 0.0 });
    let limit = metrics::spectral_norm_symmetric((&far - &without_j).as_ref())?;
    let mut leaks = Vec::new();
    for &delta in &cfg.leak_sizes {
        let traj = trajectory(delta)?;
        let ws = traj.w_eigenbasis(&times)?;
        leaks.push(Leak {
            delta,
            curve: times
                .iter()
                .zip(&ws)
                .map(|(t, w)| (*t, w[(j, j)]))
                .collect(),
            // Linear phase: W̃_jj grows like α δ² ‖row‖² e^{2 l_j t}.
            predicted: (lj / (2.0 * cfg.alpha * delta * delta * leak_norm2)).ln() / (2.0 * lj),
            measured: crossing(&traj, j, lj / 2.0, &times, &ws)?,
        });
    }
    Ok(Data {
        j,
        lj,
        row_max,
        limit,
        leaks,
    })
}

/// Fills section 4: the figure, the leak table and the values of the exactly missing mode.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let (j, lj) = (data.j, data.lj);
    report.set("missing_index", (j + 1).to_string());
    report.set("missing_value", short(lj, 3));
    report.set("missing_row_max", short(data.row_max, 2));
    report.set("missing_limit", short(data.limit, 2));
    let mut plot = LinePlot::new(
        format!(
            "Component of W(t) along the eigenvector of l_{} = {}",
            j + 1,
            short(lj, 3)
        ),
        "time t (units of 1/eigenvalue of Y)",
        "e_j^T Phi^T W(t) Phi e_j (log scale)",
    );
    plot.log_y = true;
    plot.markers.push(Marker::Horizontal(lj, 6));
    plot.marker_label = "dashed: the eigenvalue of the missing direction".into();
    for (c, leak) in data.leaks.iter().enumerate() {
        plot.series.push(
            Series::line(
                format!("leak delta = {}", short(leak.delta, 1)),
                leak.curve.clone(),
            )
            .coloured(c),
        );
    }
    report.figure(
        out,
        "missing_figure",
        &plot,
        &format!(
            "The diagonal entry of W(t) in the eigenbasis along the eigenvector of l_{} = {}, for shapes whose \
             component along it has size delta (times a fixed Gaussian row). With delta = 0 it is exactly 0 for all t \
             (not drawn on a log axis). Dashed: l_{}.",
            j + 1,
            short(lj, 3),
            j + 1
        ),
    )?;
    let rows: Vec<Vec<String>> = data
        .leaks
        .iter()
        .map(|leak| {
            vec![
                short(leak.delta, 1),
                short(leak.predicted, 4),
                leak.measured.map_or("not reached".into(), |t| short(t, 4)),
                leak.measured.map_or("-".into(), |t| {
                    short((t - leak.predicted).abs() / leak.predicted, 2)
                }),
            ]
        })
        .collect();
    report.table(
        "leak_table",
        &[
            "delta",
            "predicted log(l_j / (2 alpha delta^2 |row|^2)) / (2 l_j)",
            "measured: W_jj reaches l_j/2",
            "relative difference",
        ],
        &rows,
    );
    Ok(())
}

//! Section 5: the closed form against the adaptive ODE integrator and gradient descent.

use crate::config::Config;
use crate::setup::{Kind, Setup};
use mfflow::analysis::linspace;
use mfflow::ode::{integrate_factor, OdeOptions};
use mfflow::{gd, metrics, Form, Mat, Trajectory};
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;
use serde::{Deserialize, Serialize};

/// What section 5 measured.
#[derive(Serialize, Deserialize)]
pub struct Data {
    alpha: f64,
    points: usize,
    /// The integrator's largest difference and its steps.
    ode: (f64, usize),
    /// `(eta, largest difference)` of gradient descent, compared at the times it reaches.
    gd: Vec<(f64, f64)>,
}

fn largest(a: &[Mat<f64>], b: &[Mat<f64>]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| metrics::max_abs_diff(x.as_ref(), y.as_ref()))
        .fold(0.0f64, f64::max)
}

/// Runs both references on the general initialization.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds)?;
    let cc = &cfg.cross_check;
    let init = setup.init(Kind::General, cc.alpha)?;
    let traj = Trajectory::new(&setup.target, &init, Form::Auto)?;
    let times = linspace(0.0, setup.horizon(cc.alpha), cc.points);
    let exact = traj.w(&times)?;
    let (us, stats) = integrate_factor(
        setup.target.y(),
        init.u0().as_ref(),
        &times,
        OdeOptions::default(),
    )?;
    let ws: Vec<Mat<f64>> = us.iter().map(|u| u * u.transpose()).collect();
    let ode = (largest(&ws, &exact), stats.accepted + stats.rejected);
    let mut gd_diffs = Vec::new();
    for &eta in &cc.etas {
        let iterates = gd::gradient_descent(setup.target.y(), init.u0().as_ref(), eta, &times)?;
        let reached: Vec<f64> = iterates.iter().map(|(t, _)| *t).collect();
        let ws: Vec<Mat<f64>> = iterates.iter().map(|(_, u)| u * u.transpose()).collect();
        gd_diffs.push((eta, largest(&ws, &traj.w(&reached)?)));
    }
    Ok(Data {
        alpha: cc.alpha,
        points: cc.points,
        ode,
        gd: gd_diffs,
    })
}

/// Writes `cross-check.csv` and fills section 5.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let mut rows = vec![vec![
        "adaptive DP5(4), rtol 1e-12".to_string(),
        format!("{} steps", data.ode.1),
        short(data.ode.0, 2),
    ]];
    let mut csv = vec![vec!["ode".to_string(), "".into(), num(data.ode.0)]];
    for &(eta, d) in &data.gd {
        rows.push(vec![
            format!("gradient descent, eta = {}", short(eta, 2)),
            "-".into(),
            short(d, 2),
        ]);
        csv.push(vec!["gd".into(), num(eta), num(d)]);
    }
    out.csv(
        "cross-check.csv",
        &["method", "eta", "max_abs_difference_to_closed_form"],
        &csv,
    )?;
    report.table(
        "cross_check_table",
        &[
            "reference",
            "cost",
            "max over t and entries of |W_ref - W_closed_form|",
        ],
        &rows,
    );
    report.set("cross_alpha", short(data.alpha, 2));
    report.set("cross_points", data.points.to_string());
    let order = match data.gd.as_slice() {
        [(e0, d0), (e1, d1), ..] => format!(
            "the measured order of convergence in eta is {}",
            short((d0 / d1).ln() / (e0 / e1).ln(), 3)
        ),
        _ => "a single eta was run, so no order of convergence is measured".into(),
    };
    report.set("gd_order", order);
    Ok(())
}

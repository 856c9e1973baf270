//! Section 5: the closed form against the adaptive ODE integrator, and the closed form's two
//! routes against each other where both apply.

use crate::config::Config;
use crate::setup::Setup;
use mfflow::analysis::linspace;
use mfflow::ode::{integrate_factor, OdeOptions};
use mfflow::{metrics, Form, Init, Mat, Trajectory};
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;
use serde::{Deserialize, Serialize};

/// The looser integrator tolerance, to see how the integrator's error scales.
const LOOSE_RTOL: f64 = 1e-9;

/// One rank.
#[derive(Serialize, Deserialize)]
pub struct Check {
    r: usize,
    #[serde(with = "mfflow_lab::saved::form")]
    form: Form,
    steps: usize,
    /// Largest entrywise difference to the integrator at the default and the loose `rtol`.
    difference: f64,
    loose: f64,
    /// Largest entrywise difference between the inverse and the factor form, where the inverse
    /// form was used.
    routes: Option<f64>,
}

/// What section 5 measured.
#[derive(Serialize, Deserialize)]
pub struct Data {
    points: usize,
    checks: Vec<Check>,
}

fn largest_difference(a: &[Mat<f64>], b: &[Mat<f64>]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| metrics::max_abs_diff(x.as_ref(), y.as_ref()))
        .fold(0.0f64, f64::max)
}

/// Integrates every ODE rank at two tolerances and evaluates the other closed-form route.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds)?;
    let times = linspace(0.0, setup.horizon, cfg.ode_points);
    let mut checks = Vec::new();
    for &r in &cfg.ode_ranks {
        let init = Init::new(cfg.alpha, setup.shape(r).as_ref())?;
        let traj = Trajectory::new(&setup.target, &init, Form::Auto)?;
        let exact = traj.w(&times)?;
        let ode = |rtol: f64| -> Result<(f64, usize)> {
            let options = OdeOptions {
                rtol,
                ..OdeOptions::default()
            };
            let (us, stats) =
                integrate_factor(setup.target.y(), init.u0().as_ref(), &times, options)?;
            let ws: Vec<Mat<f64>> = us.iter().map(|u| u * u.transpose()).collect();
            Ok((
                largest_difference(&ws, &exact),
                stats.accepted + stats.rejected,
            ))
        };
        let (difference, steps) = ode(OdeOptions::default().rtol)?;
        let routes = if traj.form() == Form::Inverse {
            let other = Trajectory::new(&setup.target, &init, Form::Factor)?.w(&times)?;
            Some(largest_difference(&other, &exact))
        } else {
            None
        };
        checks.push(Check {
            r,
            form: traj.form(),
            steps,
            difference,
            loose: ode(LOOSE_RTOL)?.0,
            routes,
        });
    }
    Ok(Data {
        points: cfg.ode_points,
        checks,
    })
}

/// Writes `ode-cross-check.csv` and fills section 5.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let form = |f: Form| {
        if f == Form::Inverse {
            "inverse"
        } else {
            "factor"
        }
    };
    let csv: Vec<Vec<String>> = data
        .checks
        .iter()
        .map(|c| vec![c.r.to_string(), form(c.form).into(), num(c.difference)])
        .collect();
    out.csv(
        "ode-cross-check.csv",
        &["r", "closed_form_route", "max_abs_difference"],
        &csv,
    )?;
    let rows: Vec<Vec<String>> = data
        .checks
        .iter()
        .map(|c| {
            vec![
                c.r.to_string(),
                form(c.form).into(),
                c.steps.to_string(),
                short(c.difference, 2),
            ]
        })
        .collect();
    report.table(
        "ode_table",
        &[
            "r",
            "closed-form route",
            "ODE steps (rtol 1e-12)",
            "max over t and entries of |W_ode - W_closed_form|",
        ],
        &rows,
    );
    let worst = data
        .checks
        .iter()
        .map(|c| c.difference)
        .fold(0.0f64, f64::max);
    let loose = data.checks.iter().map(|c| c.loose).fold(0.0f64, f64::max);
    let routes = data.checks.iter().filter_map(|c| c.routes).reduce(f64::max);
    report.set("ode_worst", short(worst, 2));
    report.set("ode_points", data.points.to_string());
    report.set("ode_loose_worst", short(loose, 2));
    report.set("ode_loose_rtol", format!("{LOOSE_RTOL:e}"));
    report.set(
        "routes_gap",
        routes.map_or("(no rank used the inverse form)".into(), |g| short(g, 2)),
    );
    report.check(
        "ode_is_integrator",
        routes.is_some_and(|g| g <= 1e-3 * worst),
        format!("closed-form routes differ by {routes:?}, the ODE by {worst:e}"),
    );
    Ok(())
}

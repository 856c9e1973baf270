//! Section 1: the exact balanced solution against the (U, V) integrator and gradient descent.

use crate::config::Config;
use crate::shapes::{balanced_shape, horizon, max_product_diff, rectangular, scaled};
use mfflow::analysis::linspace;
use mfflow::asymmetric::{gradient_descent_pair, imbalance, integrate_pair, BalancedTrajectory};
use mfflow::ode::OdeOptions;
use mfflow::{metrics, Mat};
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;
use serde::{Deserialize, Serialize};

/// The tolerance the integrator is run at, and the agreement expected from it.
const RTOL: f64 = 1e-12;
const EXPECTED: f64 = 1e-10;

/// One instance `[m, n, rank, r]` of the config, measured.
#[derive(Serialize, Deserialize)]
pub struct Instance {
    dims: [usize; 4],
    /// Largest entrywise difference of the products, integrator against exact.
    ode: f64,
    /// Integrator steps (accepted and rejected).
    steps: usize,
    /// Imbalance drift relative to `‖UᵀU‖`.
    drift: f64,
    /// Gradient descent's largest difference at `eta` and `eta / 2`.
    gd: (f64, f64),
}

/// What section 1 measured.
#[derive(Serialize, Deserialize)]
pub struct Data {
    alpha: f64,
    eta: f64,
    instances: Vec<Instance>,
}

/// Integrates every instance and runs gradient descent at two step sizes.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let instances = cfg
        .agreement_instances
        .iter()
        .enumerate()
        .map(|(i, &dims)| instance(cfg, seeds, i, dims))
        .collect::<Result<_>>()?;
    Ok(Data {
        alpha: cfg.agreement_alpha,
        eta: cfg.gd_eta,
        instances,
    })
}

fn instance(cfg: &Config, seeds: &Seeds, i: usize, dims: [usize; 4]) -> Result<Instance> {
    let [m, n, rank, r] = dims;
    let alpha = cfg.agreement_alpha;
    let sigma = &cfg.singular_values[..rank];
    let (y, _, _) = rectangular(m, n, sigma, seeds, &format!("agreement-{i}-target"));
    let (ub, vb) = balanced_shape(m, n, r, seeds, &format!("agreement-{i}-shape"));
    let exact = BalancedTrajectory::new(y.as_ref(), alpha, ub.as_ref(), vb.as_ref())?;
    let times = linspace(0.0, horizon(alpha, sigma[rank - 1]), cfg.agreement_points);
    let products = exact.product(&times)?;
    let root = alpha.sqrt();
    let (u0, v0) = (scaled(&ub, root), scaled(&vb, root));
    let options = OdeOptions {
        rtol: RTOL,
        ..OdeOptions::default()
    };
    let (pairs, stats) = integrate_pair(y.as_ref(), u0.as_ref(), v0.as_ref(), &times, options)?;
    // Conservation: ‖Δ(t) − Δ(0)‖ relative to ‖UᵀU(t)‖ (Δ(0) = 0 up to rounding).
    let d0 = imbalance(u0.as_ref(), v0.as_ref());
    let drift = pairs
        .iter()
        .map(|(u, v)| {
            let d = imbalance(u.as_ref(), v.as_ref());
            let size = metrics::max_abs_diff(
                (u.transpose() * u).as_ref(),
                Mat::<f64>::zeros(r, r).as_ref(),
            );
            metrics::max_abs_diff(d.as_ref(), d0.as_ref()) / size.max(f64::MIN_POSITIVE)
        })
        .fold(0.0f64, f64::max);
    let gd = |eta: f64| -> Result<f64> {
        let its = gradient_descent_pair(y.as_ref(), u0.as_ref(), v0.as_ref(), eta, &times)?;
        let reached: Vec<f64> = its.iter().map(|(t, _, _)| *t).collect();
        let at = exact.product(&reached)?;
        Ok(its
            .iter()
            .zip(&at)
            .map(|((_, u, v), p)| metrics::max_abs_diff((u * v.transpose()).as_ref(), p.as_ref()))
            .fold(0.0, f64::max))
    };
    Ok(Instance {
        dims,
        ode: max_product_diff(&pairs, &products),
        steps: stats.accepted + stats.rejected,
        drift,
        gd: (gd(cfg.gd_eta)?, gd(cfg.gd_eta / 2.0)?),
    })
}

/// Writes `agreement.csv` and fills section 1.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let csv: Vec<Vec<String>> = data
        .instances
        .iter()
        .map(|s| {
            let [m, n, rank, r] = s.dims;
            vec![
                m.to_string(),
                n.to_string(),
                rank.to_string(),
                r.to_string(),
                num(s.ode),
                num(s.drift),
                num(s.gd.0),
                num(s.gd.1),
            ]
        })
        .collect();
    out.csv(
        "agreement.csv",
        &[
            "m",
            "n",
            "rank",
            "r",
            "ode_max_abs_diff",
            "imbalance_drift_relative",
            "gd_diff_eta",
            "gd_diff_eta_half",
        ],
        &csv,
    )?;
    table(data, report);
    verdicts(data, report);
    Ok(())
}

fn table(data: &Data, report: &mut Report) {
    let rows: Vec<Vec<String>> = data
        .instances
        .iter()
        .map(|s| {
            let [m, n, rank, r] = s.dims;
            vec![
                format!("{m} x {n}"),
                rank.to_string(),
                r.to_string(),
                format!("{} ({} steps)", short(s.ode, 2), s.steps),
                short(s.drift, 2),
                short(s.gd.0, 2),
                short(s.gd.1, 2),
                short((s.gd.0 / s.gd.1).log2(), 3),
            ]
        })
        .collect();
    let h1 = format!("GD, eta = {}", short(data.eta, 2));
    let h2 = format!("GD, eta = {}", short(data.eta / 2.0, 2));
    report.table(
        "agreement_table",
        &[
            "Y",
            "rank(Y)",
            "r",
            "max |UV^T_ode - UV^T_exact| (ODE steps)",
            "imbalance drift (relative)",
            &h1,
            &h2,
            "order in eta",
        ],
        &rows,
    );
}

fn verdicts(data: &Data, report: &mut Report) {
    let worst_ode = data.instances.iter().map(|s| s.ode).fold(0.0f64, f64::max);
    let worst_drift = data
        .instances
        .iter()
        .map(|s| s.drift)
        .fold(0.0f64, f64::max);
    let orders: Vec<f64> = data
        .instances
        .iter()
        .map(|s| (s.gd.0 / s.gd.1).log2())
        .collect();
    report.set("agreement_alpha", short(data.alpha, 2));
    report.set("agreement_worst", short(worst_ode, 2));
    report.set(
        "agreement_verdict",
        if worst_ode <= EXPECTED {
            "within"
        } else {
            "**outside**"
        },
    );
    report.set("drift_worst", short(worst_drift, 2));
    report.check(
        "gd_first_order",
        orders.iter().all(|o| (0.8..=1.2).contains(o)),
        format!("log2 ratios of GD distances at eta and eta/2: {orders:?}"),
    );
}

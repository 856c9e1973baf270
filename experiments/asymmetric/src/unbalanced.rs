//! Section 3: unbalanced starts against two exact balanced solutions, as functions of alpha and
//! of the relative imbalance rho.

use crate::config::Config;
use crate::shapes::{
    balanced_shape, horizon, max_product_diff, positive_block, rectangular, scaled,
};
use mfflow::analysis::linspace;
use mfflow::asymmetric::{imbalance, integrate_pair, BalancedTrajectory};
use mfflow::ode::OdeOptions;
use mfflow::{metrics, Mat};
use mfflow_lab::instances::gaussian;
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Series};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::stats::least_squares_slope;
use mfflow_lab::{lab_err, Result};
use serde::{Deserialize, Serialize};

/// One `(alpha, rho)`.
#[derive(Serialize, Deserialize)]
pub struct Start {
    alpha: f64,
    rho: f64,
    /// `‖U₀ᵀU₀ − V₀ᵀV₀‖₂`.
    imbalance: f64,
    /// Largest entrywise distance of the products to (a), the balanced start with the same
    /// initial product, and (b), the projected balanced start.
    same_product: f64,
    projected: f64,
    /// Drift of the imbalance along the integration, relative to the imbalance.
    drift: f64,
}

/// What section 3 measured.
#[derive(Serialize, Deserialize)]
pub struct Data {
    alphas: Vec<f64>,
    rhos: Vec<f64>,
    /// In the order alpha-major, rho-minor.
    starts: Vec<Start>,
}

/// Integrates every unbalanced start and evaluates both balanced solutions.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let sigma = &cfg.singular_values[..cfg.rank];
    let (m, n) = (cfg.m, cfg.n);
    let r = m.min(n);
    let (y, py, qy) = rectangular(m, n, sigma, seeds, "learning-target");
    let (ub, vb) = balanced_shape(m, n, r, seeds, "unbalanced-base");
    let g = gaussian(
        n,
        r,
        1.0 / (r as f64).sqrt(),
        &mut seeds.stream("unbalanced-perturbation"),
    );
    let mut starts = Vec::new();
    for &alpha in &cfg.unbalanced_alphas {
        let times = linspace(
            0.0,
            horizon(alpha, sigma[cfg.rank - 1]),
            cfg.unbalanced_points,
        );
        for &rho in &cfg.rhos {
            let root = alpha.sqrt();
            let u0 = scaled(&ub, root);
            let v0 = scaled(&(&vb + scaled(&g, rho)), root);
            let d0 = imbalance(u0.as_ref(), v0.as_ref());
            let (pairs, _) = integrate_pair(
                y.as_ref(),
                u0.as_ref(),
                v0.as_ref(),
                &times,
                OdeOptions::default(),
            )?;
            let same = same_product_start(&u0, &v0)?;
            let same = BalancedTrajectory::new(y.as_ref(), 1.0, same.0.as_ref(), same.1.as_ref())?;
            // The balanced start obtained by projecting (U0; V0) onto the positive eigenspace
            // of Ȳ (the paper's Section IV remark): Z_p = Φ₊ Φ₊ᵀ Z0, Φ₊ = [P_Y; Q_Y]/√2, i.e.
            // U_p = P_Y C, V_p = Q_Y C with C = (P_Yᵀ U0 + Q_Yᵀ V0)/2 (balanced: U_pᵀU_p = CᵀC
            // = V_pᵀV_p).
            let c = positive_block(&py, &qy, &u0, &v0);
            let (up, vp) = (&py * &c, &qy * &c);
            let proj = BalancedTrajectory::new(y.as_ref(), 1.0, up.as_ref(), vp.as_ref())?;
            let drift = pairs
                .iter()
                .map(|(u, v)| {
                    metrics::max_abs_diff(imbalance(u.as_ref(), v.as_ref()).as_ref(), d0.as_ref())
                })
                .fold(0.0f64, f64::max)
                / metrics::max_abs_diff(d0.as_ref(), Mat::<f64>::zeros(r, r).as_ref())
                    .max(f64::MIN_POSITIVE);
            starts.push(Start {
                alpha,
                rho,
                imbalance: metrics::spectral_norm_symmetric(d0.as_ref())?,
                same_product: max_product_diff(&pairs, &same.product(&times)?),
                projected: max_product_diff(&pairs, &proj.product(&times)?),
                drift,
            });
        }
    }
    Ok(Data {
        alphas: cfg.unbalanced_alphas.clone(),
        rhos: cfg.rhos.clone(),
        starts,
    })
}

/// The balanced pair with the same product: `U0 V0ᵀ = A Σ Bᵀ`, `U_b = A Σ^½`, `V_b = B Σ^½`.
fn same_product_start(u0: &Mat<f64>, v0: &Mat<f64>) -> Result<(Mat<f64>, Mat<f64>)> {
    let p0 = u0 * v0.transpose();
    let svd = p0.thin_svd().map_err(|e| lab_err!("SVD failed: {e:?}"))?;
    let s = svd.S().column_vector();
    let k = (0..s.nrows()).filter(|&i| s[i] > 1e-14 * s[0]).count();
    let ua = Mat::from_fn(u0.nrows(), k, |i, j| svd.U()[(i, j)] * s[j].sqrt());
    let vb = Mat::from_fn(v0.nrows(), k, |i, j| svd.V()[(i, j)] * s[j].sqrt());
    Ok((ua, vb))
}

/// Writes `unbalanced.csv` and fills section 3.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let csv: Vec<Vec<String>> = data
        .starts
        .iter()
        .map(|s| {
            [
                s.alpha,
                s.rho,
                s.imbalance,
                s.same_product,
                s.projected,
                s.drift,
            ]
            .map(num)
            .to_vec()
        })
        .collect();
    out.csv(
        "unbalanced.csv",
        &[
            "alpha",
            "rho",
            "imbalance_norm",
            "max_product_deviation_same_product",
            "max_product_deviation_projected",
            "imbalance_drift_relative",
        ],
        &csv,
    )?;
    figure(data, out, report)?;
    table(data, report);
    slopes(data, report);
    let worst = data.starts.iter().map(|s| s.drift).fold(0.0f64, f64::max);
    report.set("conservation_worst", short(worst, 2));
    let smallest = data.alphas.iter().copied().fold(f64::INFINITY, f64::min)
        * data.rhos.iter().copied().fold(f64::INFINITY, f64::min);
    report.set("smallest_imbalance", short(smallest, 1));
    Ok(())
}

/// `(alpha, deviation)` for one rho, `projected` or same-product.
fn curve(data: &Data, rho: f64, projected: bool) -> Vec<(f64, f64)> {
    data.starts
        .iter()
        .filter(|s| s.rho == rho)
        .map(|s| {
            (
                s.alpha,
                if projected {
                    s.projected
                } else {
                    s.same_product
                },
            )
        })
        .collect()
}

fn figure(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let mut plot = LinePlot::new(
        "Unbalanced start: distance to two balanced exact solutions",
        "initialization scale alpha (log scale)",
        "max over t of |U V^T - (U V^T)_balanced| (log scale)",
    );
    plot.log_x = true;
    plot.log_y = true;
    for (ri, &rho) in data.rhos.iter().enumerate() {
        plot.series.push(
            Series::line(
                format!("same U0 V0^T, rho = {}", short(rho, 1)),
                curve(data, rho, false),
            )
            .coloured(ri),
        );
        plot.series.push(
            Series::markers(
                format!("projected start, rho = {}", short(rho, 1)),
                curve(data, rho, true),
            )
            .coloured(ri),
        );
    }
    report.figure(out, "unbalanced_figure", &plot, "For each imbalance scale rho, the largest entrywise distance over time between the product of the integrated unbalanced flow and an exact balanced solution: lines, the balanced start with the same product at t = 0; markers, the balanced start obtained by projecting (U0; V0) onto the positive eigenspace of Ybar (where markers for different rho coincide, the one drawn last hides the others; the table has every value). Data: unbalanced.csv.")
}

fn table(data: &Data, report: &mut Report) {
    let rows: Vec<Vec<String>> = data
        .starts
        .iter()
        .map(|s| {
            vec![
                short(s.alpha, 1),
                short(s.rho, 1),
                short(s.imbalance, 2),
                short(s.same_product, 2),
                short(s.projected, 2),
                short(s.drift, 2),
            ]
        })
        .collect();
    report.table(
        "unbalanced_table",
        &[
            "alpha",
            "rho",
            "||U0^T U0 - V0^T V0||_2",
            "max over t of |UV^T - (UV^T)_balanced|, same U0 V0^T",
            "the same, projected balanced start",
            "imbalance drift along the integration (relative)",
        ],
        &rows,
    );
}

/// Least-squares slope of `log y` against `log x`, if there are two positive points.
fn log_slope(pts: &[(f64, f64)]) -> Option<f64> {
    let logs: Vec<(f64, f64)> = pts
        .iter()
        .filter(|p| p.1 > 0.0)
        .map(|&(x, y)| (x.ln(), y.ln()))
        .collect();
    least_squares_slope(&logs)
}

fn slopes(data: &Data, report: &mut Report) {
    let in_alpha = |projected: bool, test: fn(f64) -> bool| {
        let mut all = true;
        let text: Vec<String> = data
            .rhos
            .iter()
            .map(|&rho| match log_slope(&curve(data, rho, projected)) {
                Some(s) => {
                    all &= test(s);
                    format!("{} for rho = {}", short(s, 3), short(rho, 1))
                }
                None => {
                    all = false;
                    format!("(none) for rho = {}", short(rho, 1))
                }
            })
            .collect();
        (text, all)
    };
    let (same, same_flat) = in_alpha(false, |s| s.abs() < 0.1);
    let (proj, proj_falls) = in_alpha(true, |s| s > 0.25);
    let in_rho: Vec<String> = data
        .alphas
        .iter()
        .filter_map(|&alpha| {
            let pts: Vec<(f64, f64)> = data
                .starts
                .iter()
                .filter(|s| s.alpha == alpha)
                .map(|s| (s.rho, s.same_product))
                .collect();
            log_slope(&pts).map(|s| format!("{} at alpha = {}", short(s, 3), short(alpha, 1)))
        })
        .collect();
    report.set("unbalanced_slopes", same.join(", "));
    report.set("rho_slopes", in_rho.join(", "));
    report.set("projected_slopes", proj.join(", "));
    report.check(
        "same_product_flat",
        same_flat,
        format!("slopes in alpha (same product): {}", same.join(", ")),
    );
    report.check(
        "projected_falls",
        proj_falls,
        format!("slopes in alpha (projected): {}", proj.join(", ")),
    );
}

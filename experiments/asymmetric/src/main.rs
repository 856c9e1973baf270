//! Experiment `asymmetric`: `1/2 ‖Y − U Vᵀ‖²_F` for rectangular `Y`, the paper's next step.
//!
//! For a balanced start (`UᵀU = VᵀV`), `W = Z Zᵀ/2` with `Z = [U; V]` solves the symmetric
//! equation with the indefinite target `Ȳ = [[0, Y], [Yᵀ, 0]]`, so `U Vᵀ = 2 W₁₂` is exact
//! (`mfflow::asymmetric`). This experiment
//!
//! 1. checks that exact solution against the (U, V) integrator and gradient descent, and the
//!    conservation of the imbalance;
//! 2. shows the incremental learning of the singular values of a rectangular target, with r
//!    below and above rank(Y), for several α;
//! 3. measures how far an unbalanced start drifts from the balanced exact solution with the
//!    same product at t = 0, as a function of α and of the imbalance;
//! 4. tests whether the symmetric intervals (16), with Theorem 3's constants applied to the
//!    positive eigenvalues of Ȳ (the singular values of Y), predict the measured windows.
//!
//! The prose of the report is in `report.md` beside this crate.

use mfflow::analysis::{crossing_time, linspace, windows_within};
use mfflow::asymmetric::{
    balanced_pair, gradient_descent_pair, imbalance, integrate_pair, BalancedTrajectory,
};
use mfflow::ode::OdeOptions;
use mfflow::{metrics, theorems, Mat};
use mfflow_lab::config::{self, positive, Validate};
use mfflow_lab::instances::{gaussian, orthonormal};
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Marker, Series};
use mfflow_lab::report::{figure_markdown, Report};
use mfflow_lab::seeds::Seeds;
use mfflow_lab::stats::least_squares_slope;
use mfflow_lab::{cli, lab_err, progress, Result};
use serde::{Deserialize, Serialize};
use std::process::ExitCode;

const NAME: &str = "asymmetric";
const TEMPLATE: &str = include_str!("../report.md");

/// The experiment's parameters (`config.toml`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Config {
    master_seed: u64,
    singular_values: Vec<f64>,
    agreement_instances: Vec<[usize; 4]>,
    agreement_alpha: f64,
    agreement_points: usize,
    gd_eta: f64,
    m: usize,
    n: usize,
    rank: usize,
    r_values: Vec<usize>,
    alphas: Vec<f64>,
    time_points: usize,
    unbalanced_alphas: Vec<f64>,
    rhos: Vec<f64>,
    unbalanced_points: usize,
    eps: f64,
    window_alphas: Vec<f64>,
}

impl Validate for Config {
    fn validate(&self) -> std::result::Result<(), String> {
        positive("singular_values", &self.singular_values)?;
        if self.singular_values.windows(2).any(|w| w[0] <= w[1]) {
            return Err("singular_values: must be strictly decreasing".into());
        }
        let max_rank = self.singular_values.len();
        for (i, &[m, n, rank, r]) in self.agreement_instances.iter().enumerate() {
            if m == 0 || n == 0 || r == 0 || rank == 0 || rank > m.min(n) || rank > max_rank {
                return Err(format!(
                    "agreement_instances[{i}]: [m, n, rank, r] needs m, n, r >= 1 and 1 <= rank <= min(m, n, {max_rank})"
                ));
            }
        }
        if self.rank == 0 || self.rank > self.m.min(self.n) || self.rank > max_rank {
            return Err(format!(
                "rank: must be in 1..={}",
                self.m.min(self.n).min(max_rank)
            ));
        }
        if let Some(bad) = self.r_values.iter().find(|&&r| r == 0) {
            return Err(format!("r_values: must be >= 1, got {bad}"));
        }
        positive("agreement_alpha", &[self.agreement_alpha])?;
        positive("gd_eta", &[self.gd_eta])?;
        positive("alphas", &self.alphas)?;
        positive("unbalanced_alphas", &self.unbalanced_alphas)?;
        positive("rhos", &self.rhos)?;
        positive("window_alphas", &self.window_alphas)?;
        positive("eps", &[self.eps])?;
        if self.eps > self.singular_values[self.rank - 1] {
            return Err(format!(
                "eps: must be <= the smallest learned singular value {}",
                self.singular_values[self.rank - 1]
            ));
        }
        for (key, v, min) in [
            ("agreement_points", self.agreement_points, 2),
            ("time_points", self.time_points, 10),
            ("unbalanced_points", self.unbalanced_points, 2),
        ] {
            if v < min {
                return Err(format!("{key}: must be >= {min}, got {v}"));
            }
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    cli::main(
        NAME,
        concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"),
        run,
    )
}

/// `Y = P diag(σ) Qᵀ` with random orthonormal `P`, `Q`; returns `(Y, P, Q)`.
fn rectangular(
    m: usize,
    n: usize,
    sigma: &[f64],
    seeds: &Seeds,
    tag: &str,
) -> (Mat<f64>, Mat<f64>, Mat<f64>) {
    let k = sigma.len();
    let p = orthonormal(m, k, &mut seeds.stream(&format!("{tag}-left")));
    let q = orthonormal(n, k, &mut seeds.stream(&format!("{tag}-right")));
    let y = Mat::from_fn(m, n, |i, j| {
        (0..k).map(|c| p[(i, c)] * sigma[c] * q[(j, c)]).sum()
    });
    (y, p, q)
}

/// A general balanced shape with r columns: `Ū = P S`, `V̄ = Q S`, `P`, `Q` random orthonormal
/// with `k = min(m, n, r)` columns, `S` Gaussian `N(0, 1/r)`.
fn balanced_shape(m: usize, n: usize, r: usize, seeds: &Seeds, tag: &str) -> (Mat<f64>, Mat<f64>) {
    let k = m.min(n).min(r);
    let p = orthonormal(m, k, &mut seeds.stream(&format!("{tag}-p")));
    let q = orthonormal(n, k, &mut seeds.stream(&format!("{tag}-q")));
    let s = gaussian(
        k,
        r,
        1.0 / (r as f64).sqrt(),
        &mut seeds.stream(&format!("{tag}-s")),
    );
    balanced_pair(p.as_ref(), q.as_ref(), s.as_ref())
}

fn scaled(a: &Mat<f64>, c: f64) -> Mat<f64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| c * a[(i, j)])
}

fn run(args: &cli::Args) -> Result<()> {
    let (cfg, _) = config::load::<Config>(&args.config)?;
    let seeds = Seeds::new(cfg.master_seed);
    let out = Outputs::create(&args.out)?;
    let mut report = Report::new(TEMPLATE);
    out.time("agreement", || agreement(&cfg, &seeds, &out, &mut report))?;
    out.time("singular values", || {
        singular_values(&cfg, &seeds, &out, &mut report)
    })?;
    out.time("unbalanced", || unbalanced(&cfg, &seeds, &out, &mut report))?;
    out.time("windows", || windows(&cfg, &seeds, &out, &mut report))?;
    out.finish(NAME, &report, &seeds, &cfg)
}

/// A horizon past every transition: 3 log(1/α) / (2 σ_min) (with few columns the transitions
/// come up to ~1.5 times later than log(1/α)/(2 σ), see section 2's table).
fn horizon(alpha: f64, sigma_min: f64) -> f64 {
    3.0 * (1.0 / alpha).ln().max(2.0) / (2.0 * sigma_min)
}

fn max_product_diff(pairs: &[(Mat<f64>, Mat<f64>)], exact: &[Mat<f64>]) -> f64 {
    pairs
        .iter()
        .zip(exact)
        .map(|((u, v), p)| metrics::max_abs_diff((u * v.transpose()).as_ref(), p.as_ref()))
        .fold(0.0, f64::max)
}

/// Section 1: balanced closed form against the integrator and gradient descent.
fn agreement(cfg: &Config, seeds: &Seeds, out: &Outputs, report: &mut Report) -> Result<()> {
    let alpha = cfg.agreement_alpha;
    let mut rows = Vec::new();
    let mut csv = Vec::new();
    let (mut worst_ode, mut worst_drift) = (0.0f64, 0.0f64);
    for (i, &[m, n, rank, r]) in cfg.agreement_instances.iter().enumerate() {
        let sigma = &cfg.singular_values[..rank];
        let (y, _, _) = rectangular(m, n, sigma, seeds, &format!("agreement-{i}-target"));
        let (ub, vb) = balanced_shape(m, n, r, seeds, &format!("agreement-{i}-shape"));
        let exact = BalancedTrajectory::new(y.as_ref(), alpha, ub.as_ref(), vb.as_ref())?;
        let times = linspace(0.0, horizon(alpha, sigma[rank - 1]), cfg.agreement_points);
        let products = exact.product(&times)?;
        let root = alpha.sqrt();
        let (u0, v0) = (scaled(&ub, root), scaled(&vb, root));
        let options = OdeOptions {
            rtol: 1e-12,
            ..OdeOptions::default()
        };
        let (pairs, stats) = integrate_pair(y.as_ref(), u0.as_ref(), v0.as_ref(), &times, options)?;
        let ode = max_product_diff(&pairs, &products);
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
                .map(|((_, u, v), p)| {
                    metrics::max_abs_diff((u * v.transpose()).as_ref(), p.as_ref())
                })
                .fold(0.0, f64::max))
        };
        let (g1, g2) = (gd(cfg.gd_eta)?, gd(cfg.gd_eta / 2.0)?);
        worst_ode = worst_ode.max(ode);
        worst_drift = worst_drift.max(drift);
        rows.push(vec![
            format!("{m} x {n}"),
            rank.to_string(),
            r.to_string(),
            format!(
                "{} ({} steps)",
                short(ode, 2),
                stats.accepted + stats.rejected
            ),
            short(drift, 2),
            short(g1, 2),
            short(g2, 2),
            short((g1 / g2).log2(), 3),
        ]);
        csv.push(vec![
            m.to_string(),
            n.to_string(),
            rank.to_string(),
            r.to_string(),
            num(ode),
            num(drift),
            num(g1),
            num(g2),
        ]);
    }
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
    let eta = short(cfg.gd_eta, 2);
    let eta2 = short(cfg.gd_eta / 2.0, 2);
    let h1 = format!("GD, eta = {eta}");
    let h2 = format!("GD, eta = {eta2}");
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
    report.set("agreement_alpha", short(alpha, 2));
    report.set("agreement_worst", short(worst_ode, 2));
    report.set(
        "agreement_verdict",
        if worst_ode <= 1e-10 {
            "within"
        } else {
            "**outside**"
        }
        .to_string(),
    );
    report.set("drift_worst", short(worst_drift, 2));
    Ok(())
}

/// Section 2: the singular values of U V^T over time.
fn singular_values(cfg: &Config, seeds: &Seeds, out: &Outputs, report: &mut Report) -> Result<()> {
    let sigma = &cfg.singular_values[..cfg.rank];
    let (y, _, _) = rectangular(cfg.m, cfg.n, sigma, seeds, "learning-target");
    let mut figures = Vec::new();
    let mut rows = Vec::new();
    let bar = progress::bar(
        (cfg.r_values.len() * cfg.alphas.len()) as u64,
        "singular values",
    );
    for &r in &cfg.r_values {
        let (ub, vb) = balanced_shape(cfg.m, cfg.n, r, seeds, &format!("learning-shape-r{r}"));
        let learned = r.min(cfg.rank);
        for &alpha in &cfg.alphas {
            let bt = BalancedTrajectory::new(y.as_ref(), alpha, ub.as_ref(), vb.as_ref())?;
            let times = linspace(0.0, horizon(alpha, sigma[learned - 1]), cfg.time_points);
            // For a balanced pair the positive eigenvalues of W = Z Zᵀ/2 are the singular values
            // of U Vᵀ (U = P H, V = Q H with the same H), so W's spectrum is read directly.
            let eig = bt.symmetric().eigenvalues(&times)?;
            let k_show = learned + 1;
            let mut plot = LinePlot::new(
                format!(
                    "Singular values of U V^T(t), {} x {} target of rank {}, r = {r}, alpha = {}",
                    cfg.m,
                    cfg.n,
                    cfg.rank,
                    short(alpha, 1)
                ),
                "time t (units of 1/singular value of Y)",
                "singular value of U V^T (log scale)",
            );
            plot.log_y = true;
            for i in 0..k_show.min(eig[0].len()) {
                let pts = times.iter().zip(&eig).map(|(t, e)| (*t, e[i])).collect();
                plot.series
                    .push(Series::line(format!("sigma_{}", i + 1), pts));
            }
            for (i, s) in sigma.iter().enumerate() {
                plot.markers.push(Marker::Horizontal(*s, i));
            }
            let name = format!(
                "singular_values_r{r}_alpha{}",
                short(alpha, 1).replace('.', "p")
            );
            let header: Vec<String> = std::iter::once("t".to_string())
                .chain((1..=k_show).map(|i| format!("sigma_{i}")))
                .collect();
            let header: Vec<&str> = header.iter().map(String::as_str).collect();
            let data: Vec<Vec<String>> = times
                .iter()
                .zip(&eig)
                .map(|(t, e)| {
                    std::iter::once(num(*t))
                        .chain(e.iter().take(k_show).map(|v| num(*v)))
                        .collect()
                })
                .collect();
            out.csv(&format!("{name}.csv"), &header, &data)?;
            figures.push(figure_markdown(
                out,
                &name,
                &plot,
                &format!(
                    "r = {r}, alpha = {}: the {k_show} largest singular values of U V^T(t) (at most min(r, rank) = {learned} can be learned). Dashed: the singular values of Y. Data: {name}.csv.",
                    short(alpha, 1)
                ),
            )?);
            for i in 0..learned {
                let t = crossing_time(bt.symmetric(), i, sigma[i] / 2.0, &times)?;
                let predicted = (1.0 / alpha).ln() / (2.0 * sigma[i]);
                rows.push(vec![
                    r.to_string(),
                    short(alpha, 1),
                    (i + 1).to_string(),
                    short(sigma[i], 3),
                    short(predicted, 4),
                    t.map_or("not reached".into(), |t| short(t, 4)),
                ]);
            }
            // The first singular value beyond min(r, rank) at the end: 0 when r < rank.
            let last = eig.last().expect("time points");
            rows.push(vec![
                r.to_string(),
                short(alpha, 1),
                format!("{} (not learnable)", learned + 1),
                if learned < sigma.len() {
                    short(sigma[learned], 3)
                } else {
                    "0".into()
                },
                "-".into(),
                format!(
                    "value at the end: {}",
                    short(last.get(learned).copied().unwrap_or(0.0), 2)
                ),
            ]);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    report.set(
        "learning_setup",
        format!(
            "{} x {} target of rank {} with singular values {}",
            cfg.m,
            cfg.n,
            cfg.rank,
            sigma
                .iter()
                .map(|s| short(*s, 3))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    report.set("singular_value_figures", figures.join("\n\n"));
    report.table(
        "half_time_table",
        &[
            "r",
            "alpha",
            "i",
            "sigma_i(Y)",
            "predicted log(1/alpha)/(2 sigma_i)",
            "measured: sigma_i(UV^T) = sigma_i/2",
        ],
        &rows,
    );
    Ok(())
}

/// Section 3: unbalanced starts against the balanced solution with the same initial product.
fn unbalanced(cfg: &Config, seeds: &Seeds, out: &Outputs, report: &mut Report) -> Result<()> {
    let sigma = &cfg.singular_values[..cfg.rank];
    let (m, n) = (cfg.m, cfg.n);
    let r = m.min(n);
    let (y, _, _) = rectangular(m, n, sigma, seeds, "learning-target");
    let (ub, vb) = balanced_shape(m, n, r, seeds, "unbalanced-base");
    let g = gaussian(
        n,
        r,
        1.0 / (r as f64).sqrt(),
        &mut seeds.stream("unbalanced-perturbation"),
    );
    let mut rows = Vec::new();
    let mut csv = Vec::new();
    let mut curves: Vec<Vec<(f64, f64)>> = vec![Vec::new(); cfg.rhos.len()];
    let mut worst_conservation = 0.0f64;
    for &alpha in &cfg.unbalanced_alphas {
        for (ri, &rho) in cfg.rhos.iter().enumerate() {
            let root = alpha.sqrt();
            let u0 = scaled(&ub, root);
            let v0 = scaled(&(&vb + scaled(&g, rho)), root);
            let d0 = imbalance(u0.as_ref(), v0.as_ref());
            let d0_norm = metrics::spectral_norm_symmetric(d0.as_ref())?;
            // The balanced pair with the same product: U0 V0ᵀ = A Σ Bᵀ, U_b = A Σ^½, V_b = B Σ^½.
            let p0 = &u0 * v0.transpose();
            let svd = p0.thin_svd().map_err(|e| lab_err!("SVD failed: {e:?}"))?;
            let s = svd.S().column_vector();
            let k = (0..s.nrows()).filter(|&i| s[i] > 1e-14 * s[0]).count();
            let ua = Mat::from_fn(m, k, |i, j| svd.U()[(i, j)] * s[j].sqrt());
            let vbal = Mat::from_fn(n, k, |i, j| svd.V()[(i, j)] * s[j].sqrt());
            let balanced = BalancedTrajectory::new(y.as_ref(), 1.0, ua.as_ref(), vbal.as_ref())?;
            let times = linspace(
                0.0,
                horizon(alpha, sigma[cfg.rank - 1]),
                cfg.unbalanced_points,
            );
            let exact = balanced.product(&times)?;
            let (pairs, _) = integrate_pair(
                y.as_ref(),
                u0.as_ref(),
                v0.as_ref(),
                &times,
                OdeOptions::default(),
            )?;
            let deviation = max_product_diff(&pairs, &exact);
            let conservation = pairs
                .iter()
                .map(|(u, v)| {
                    metrics::max_abs_diff(imbalance(u.as_ref(), v.as_ref()).as_ref(), d0.as_ref())
                })
                .fold(0.0f64, f64::max)
                / metrics::max_abs_diff(d0.as_ref(), Mat::<f64>::zeros(r, r).as_ref())
                    .max(f64::MIN_POSITIVE);
            worst_conservation = worst_conservation.max(conservation);
            curves[ri].push((alpha, deviation));
            rows.push(vec![
                short(alpha, 1),
                short(rho, 1),
                short(d0_norm, 2),
                short(deviation, 2),
                short(conservation, 2),
            ]);
            csv.push(vec![
                num(alpha),
                num(rho),
                num(d0_norm),
                num(deviation),
                num(conservation),
            ]);
        }
    }
    out.csv(
        "unbalanced.csv",
        &[
            "alpha",
            "rho",
            "imbalance_norm",
            "max_product_deviation",
            "imbalance_drift_relative",
        ],
        &csv,
    )?;
    let mut plot = LinePlot::new(
        "Unbalanced start: distance to the balanced exact solution",
        "initialization scale alpha (log scale)",
        "max over t of |U V^T - (U V^T)_balanced| (log scale)",
    );
    plot.log_x = true;
    plot.log_y = true;
    let mut slopes = Vec::new();
    for (ri, &rho) in cfg.rhos.iter().enumerate() {
        // Least-squares slope of log(deviation) against log(alpha).
        let pts: Vec<(f64, f64)> = curves[ri]
            .iter()
            .filter(|p| p.1 > 0.0)
            .map(|&(a, d)| (a.ln(), d.ln()))
            .collect();
        if let Some(slope) = least_squares_slope(&pts) {
            slopes.push(format!("{} for rho = {}", short(slope, 3), short(rho, 1)));
        }
        plot.series.push(Series::line(
            format!("rho = {}", short(rho, 1)),
            curves[ri].clone(),
        ));
    }
    report.figure(out, "unbalanced_figure", &plot, "For each imbalance scale rho, the largest entrywise distance over time between the product of the integrated unbalanced flow and the exact balanced solution with the same product at t = 0. Data: unbalanced.csv.")?;
    report.table(
        "unbalanced_table",
        &[
            "alpha",
            "rho",
            "||U0^T U0 - V0^T V0||_2",
            "max over t of |UV^T - (UV^T)_balanced|",
            "imbalance drift along the integration (relative)",
        ],
        &rows,
    );
    report.set("unbalanced_slopes", slopes.join(", "));
    // How the deviation scales with rho at fixed alpha (slope of log deviation vs log rho).
    let mut rho_slopes = Vec::new();
    for (ai, &alpha) in cfg.unbalanced_alphas.iter().enumerate() {
        let pts: Vec<(f64, f64)> = cfg
            .rhos
            .iter()
            .enumerate()
            .filter(|(ri, _)| curves[*ri][ai].1 > 0.0)
            .map(|(ri, &rho)| (rho.ln(), curves[ri][ai].1.ln()))
            .collect();
        if let Some(slope) = least_squares_slope(&pts) {
            rho_slopes.push(format!(
                "{} at alpha = {}",
                short(slope, 3),
                short(alpha, 1)
            ));
        }
    }
    report.set("rho_slopes", rho_slopes.join(", "));
    report.set("conservation_worst", short(worst_conservation, 2));
    Ok(())
}

/// Section 4: do the symmetric intervals, applied to Ȳ, predict the windows?
fn windows(cfg: &Config, seeds: &Seeds, out: &Outputs, report: &mut Report) -> Result<()> {
    let sigma = &cfg.singular_values[..cfg.rank];
    let (y, p, q) = rectangular(cfg.m, cfg.n, sigma, seeds, "learning-target");
    // Spectral balanced start: Ū = P, V̄ = Q (s_i = 1 on every positive eigen-direction of Ȳ).
    let s = Mat::<f64>::identity(cfg.rank, cfg.rank);
    let (ub, vb) = balanced_pair(p.as_ref(), q.as_ref(), s.as_ref());
    let mut rows = Vec::new();
    let mut csv = Vec::new();
    let (mut contained, mut compared) = (0usize, 0usize);
    for &alpha in &cfg.window_alphas {
        let bt = BalancedTrajectory::new(y.as_ref(), alpha, ub.as_ref(), vb.as_ref())?;
        // Theorem 3's constants with l = σ and s = 1: c = ε, C = σ₁²/ε.
        let (c, big_c) = (cfg.eps, sigma[0] * sigma[0] / cfg.eps);
        let intervals = theorems::intervals(sigma, cfg.rank, alpha, c, big_c);
        let t_end = 1.5 * intervals.last().map_or(1.0, |iv| iv.start);
        let grid = linspace(0.0, t_end, cfg.time_points);
        for iv in &intervals {
            let measured = windows_within(bt.symmetric(), iv.k, cfg.eps, &grid)?;
            let contains = if iv.is_empty() {
                None
            } else {
                let end = iv.end.unwrap_or(t_end).min(t_end);
                Some(measured.iter().any(|&(a, b)| a <= iv.start && b >= end))
            };
            if let Some(c) = contains {
                compared += 1;
                contained += c as usize;
            }
            let text = |w: &[(f64, f64)]| {
                if w.is_empty() {
                    "never".to_string()
                } else {
                    w.iter()
                        .map(|(a, b)| format!("[{}, {}]", short(*a, 4), short(*b, 4)))
                        .collect::<Vec<_>>()
                        .join(" ")
                }
            };
            rows.push(vec![
                short(alpha, 1),
                iv.k.to_string(),
                match iv.end {
                    Some(e) => format!("[{}, {}]", short(iv.start, 4), short(e, 4)),
                    None => format!("[{}, inf)", short(iv.start, 4)),
                },
                text(&measured),
                contains.map_or("(empty I_k)".into(), |c| {
                    if c {
                        "yes".into()
                    } else {
                        "no".into()
                    }
                }),
            ]);
            for (a, b) in &measured {
                csv.push(vec![num(alpha), iv.k.to_string(), num(*a), num(*b)]);
            }
        }
    }
    out.csv(
        "windows.csv",
        &["alpha", "k", "window_start", "window_end"],
        &csv,
    )?;
    report.table(
        "window_table",
        &[
            "alpha",
            "k",
            "interval I_k from (16) with Theorem 3's constants on sigma(Y)",
            "measured windows where ||W - Ybar_k|| <= eps",
            "window contains I_k",
        ],
        &rows,
    );
    report.set("window_eps", short(cfg.eps, 2));
    report.set("window_contained", format!("{contained} of {compared}"));
    report.set(
        "window_verdict",
        if compared > 0 && contained == compared {
            "In every comparison the measured window contains the interval: the symmetric intervals, applied to the positive spectrum of Ybar, predict where U V^T is within 2 eps of the best rank-k approximation of Y (since ||U V^T - Y_k|| = 2 ||(W - Ybar_k)_12|| <= 2 ||W - Ybar_k||)."
        } else if compared > 0 {
            "In some comparisons the measured window does not contain the interval: the symmetric intervals do not carry over as they are."
        } else {
            "Every interval is empty at these alphas: nothing to compare."
        }
        .to_string(),
    );
    Ok(())
}

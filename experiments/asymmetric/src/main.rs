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
use mfflow_lab::config::{self, alphas, count, positive, Validate, MAX_POINTS};
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
    general_window_draws: usize,
    general_window_alphas: Vec<f64>,
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
        alphas("agreement_alpha", &[self.agreement_alpha])?;
        positive("gd_eta", &[self.gd_eta])?;
        if !(1e-5..=0.1).contains(&self.gd_eta) {
            return Err(format!(
                "gd_eta: must be in [1e-5, 0.1] (smaller steps take millions of iterations), got {:e}",
                self.gd_eta
            ));
        }
        alphas("alphas", &self.alphas)?;
        alphas("unbalanced_alphas", &self.unbalanced_alphas)?;
        positive("rhos", &self.rhos)?;
        alphas("window_alphas", &self.window_alphas)?;
        alphas("general_window_alphas", &self.general_window_alphas)?;
        if !(1..=20).contains(&self.general_window_draws) {
            return Err(format!(
                "general_window_draws: must be in 1..=20, got {}",
                self.general_window_draws
            ));
        }
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
            count(key, v, min, MAX_POINTS)?;
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
    // At least 8 in place of log(1/α): at large α the α-independent delay of a general start
    // (log(σ/s)/(2σ), section 2) is comparable to log(1/α)/(2σ) itself.
    3.0 * (1.0 / alpha).ln().max(8.0) / (2.0 * sigma_min)
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
    let mut delays = Delays::default();
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
                plot.marker_label = "dashed: the singular values of Y".into();
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
                delays.add(r, i, t.map(|t| (t, predicted)));
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
    delays.report(report);
    Ok(())
}

/// Measured half-times against `log(1/α)/(2σ_i)`: the ratios, and whether the delay
/// (measured − predicted) is the same at every α for each `(r, i)`, as the α-independent term
/// `log(σ_i/s_i)/(2σ_i)` the prediction leaves out would make it.
#[derive(Default)]
struct Delays {
    /// `(r, i)` → `(measured, predicted)` over the alphas (`None`: not reached).
    by_mode: std::collections::BTreeMap<(usize, usize), Vec<Option<(f64, f64)>>>,
}

impl Delays {
    fn add(&mut self, r: usize, i: usize, m: Option<(f64, f64)>) {
        self.by_mode.entry((r, i)).or_default().push(m);
    }

    fn report(&self, report: &mut Report) {
        let all: Vec<(f64, f64)> = self.by_mode.values().flatten().flatten().copied().collect();
        let ratios: Vec<f64> = all.iter().map(|(m, p)| m / p).collect();
        let delays: Vec<f64> = all.iter().map(|(m, p)| m - p).collect();
        let fmt = |v: &[f64]| {
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            format!("{} to {}", short(lo, 3), short(hi, 3))
        };
        report.set("half_time_ratios", fmt(&ratios));
        report.set("half_time_delays", fmt(&delays));
        let mut spread = 0.0f64;
        let mut complete = true;
        for runs in self.by_mode.values() {
            let d: Vec<f64> = runs.iter().flatten().map(|(m, p)| m - p).collect();
            complete &= d.len() == runs.len();
            let lo = d.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = d.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if hi > 0.0 {
                spread = spread.max((hi - lo) / hi);
            }
        }
        report.set("delay_spread", format!("{}%", short(100.0 * spread, 2)));
        report.check(
            "delay_constant",
            complete && spread < 0.05,
            format!("largest relative spread of the delay over alpha: {spread}"),
        );
    }
}

/// Section 3: unbalanced starts against the balanced solution with the same initial product.
fn unbalanced(cfg: &Config, seeds: &Seeds, out: &Outputs, report: &mut Report) -> Result<()> {
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
    let mut rows = Vec::new();
    let mut csv = Vec::new();
    let mut curves: Vec<Vec<(f64, f64)>> = vec![Vec::new(); cfg.rhos.len()];
    let mut projected: Vec<Vec<(f64, f64)>> = vec![Vec::new(); cfg.rhos.len()];
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
            // The balanced start obtained by projecting (U0; V0) onto the positive eigenspace
            // of Ȳ (the paper's Section IV remark): Z_p = Φ₊ Φ₊ᵀ Z0, Φ₊ = [P_Y; Q_Y]/√2, i.e.
            // U_p = P_Y C, V_p = Q_Y C with C = (P_Yᵀ U0 + Q_Yᵀ V0)/2 (balanced: U_pᵀU_p = CᵀC
            // = V_pᵀV_p).
            let c = positive_block(&py, &qy, &u0, &v0);
            let (up, vp) = (&py * &c, &qy * &c);
            let proj = BalancedTrajectory::new(y.as_ref(), 1.0, up.as_ref(), vp.as_ref())?;
            let deviation_proj = max_product_diff(&pairs, &proj.product(&times)?);
            projected[ri].push((alpha, deviation_proj));
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
                short(deviation_proj, 2),
                short(conservation, 2),
            ]);
            csv.push(vec![
                num(alpha),
                num(rho),
                num(d0_norm),
                num(deviation),
                num(deviation_proj),
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
            "max_product_deviation_same_product",
            "max_product_deviation_projected",
            "imbalance_drift_relative",
        ],
        &csv,
    )?;
    let mut plot = LinePlot::new(
        "Unbalanced start: distance to two balanced exact solutions",
        "initialization scale alpha (log scale)",
        "max over t of |U V^T - (U V^T)_balanced| (log scale)",
    );
    plot.log_x = true;
    plot.log_y = true;
    let (slopes, same_flat) = alpha_slopes(cfg, &curves, |s| s.abs() < 0.1);
    let (proj_slopes, proj_falls) = alpha_slopes(cfg, &projected, |s| s > 0.25);
    for (ri, &rho) in cfg.rhos.iter().enumerate() {
        plot.series.push(
            Series::line(
                format!("same U0 V0^T, rho = {}", short(rho, 1)),
                curves[ri].clone(),
            )
            .coloured(ri),
        );
        plot.series.push(
            Series::markers(
                format!("projected start, rho = {}", short(rho, 1)),
                projected[ri].clone(),
            )
            .coloured(ri),
        );
    }
    report.figure(out, "unbalanced_figure", &plot, "For each imbalance scale rho, the largest entrywise distance over time between the product of the integrated unbalanced flow and an exact balanced solution: lines, the balanced start with the same product at t = 0; markers, the balanced start obtained by projecting (U0; V0) onto the positive eigenspace of Ybar (where markers for different rho coincide, the one drawn last hides the others; the table has every value). Data: unbalanced.csv.")?;
    report.set("projected_slopes", proj_slopes.join(", "));
    report.check(
        "same_product_flat",
        same_flat,
        format!("slopes in alpha (same product): {}", slopes.join(", ")),
    );
    report.check(
        "projected_falls",
        proj_falls,
        format!("slopes in alpha (projected): {}", proj_slopes.join(", ")),
    );
    report.set(
        "smallest_imbalance",
        short(
            cfg.unbalanced_alphas
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min)
                * cfg.rhos.iter().copied().fold(f64::INFINITY, f64::min),
            1,
        ),
    );
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

/// The comparisons of section 4 so far: table rows, CSV rows and counts.
#[derive(Default)]
struct WindowComparison {
    rows: Vec<Vec<String>>,
    csv: Vec<Vec<String>>,
    contained: usize,
    compared: usize,
}

impl WindowComparison {
    /// Measures the windows of `bt` around each `Ȳ_k` on `[0, t_end]` and compares each with
    /// its interval. A window still open at `t_end` is printed as open (`≥ t_end`), and an
    /// unbounded interval is compared up to `t_end` only.
    fn add(
        &mut self,
        label: &str,
        bt: &BalancedTrajectory,
        intervals: &[theorems::Interval],
        eps: f64,
        grid: &[f64],
    ) -> Result<()> {
        let t_end = *grid.last().expect("grid non-empty");
        for iv in intervals {
            let measured = windows_within(bt.symmetric(), iv.k, eps, grid)?;
            let contains = (!iv.is_empty()).then(|| {
                let end = iv.end.unwrap_or(t_end).min(t_end);
                measured.iter().any(|&(a, b)| a <= iv.start && b >= end)
            });
            if let Some(c) = contains {
                self.compared += 1;
                self.contained += c as usize;
            }
            let open = |b: f64| b >= t_end * (1.0 - 1e-12);
            let text = if measured.is_empty() {
                "never".to_string()
            } else {
                measured
                    .iter()
                    .map(|&(a, b)| {
                        if open(b) {
                            format!("[{}, ≥ {} (horizon))", short(a, 4), short(t_end, 4))
                        } else {
                            format!("[{}, {}]", short(a, 4), short(b, 4))
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            self.rows.push(vec![
                label.to_string(),
                iv.k.to_string(),
                match iv.end {
                    Some(e) => format!("[{}, {}]", short(iv.start, 4), short(e, 4)),
                    None => format!("[{}, inf)", short(iv.start, 4)),
                },
                text,
                contains.map_or("(empty I_k)".into(), |c| {
                    let yes = if c { "yes" } else { "no" };
                    if iv.end.is_none() {
                        format!("{yes} (up to the horizon)")
                    } else {
                        yes.to_string()
                    }
                }),
            ]);
            for &(a, b) in &measured {
                self.csv.push(vec![
                    label.to_string(),
                    iv.k.to_string(),
                    num(a),
                    if open(b) { "open".into() } else { num(b) },
                ]);
            }
        }
        Ok(())
    }

    fn header(interval: &str) -> [String; 5] {
        [
            "start, alpha".into(),
            "k".into(),
            interval.into(),
            "measured windows where ||W - Ybar_k|| <= eps".into(),
            "window contains I_k".into(),
        ]
    }
}

/// Least-squares slopes of `log(deviation)` against `log(alpha)`, one per rho, as text, and
/// whether every slope passes `test`.
fn alpha_slopes(
    cfg: &Config,
    curves: &[Vec<(f64, f64)>],
    test: impl Fn(f64) -> bool,
) -> (Vec<String>, bool) {
    let mut all = true;
    let mut text = Vec::new();
    for (ri, &rho) in cfg.rhos.iter().enumerate() {
        let pts: Vec<(f64, f64)> = curves[ri]
            .iter()
            .filter(|p| p.1 > 0.0)
            .map(|&(a, d)| (a.ln(), d.ln()))
            .collect();
        match least_squares_slope(&pts) {
            Some(slope) => {
                all &= test(slope);
                text.push(format!("{} for rho = {}", short(slope, 3), short(rho, 1)));
            }
            None => all = false,
        }
    }
    (text, all)
}

/// Section 4: do the symmetric intervals, applied to Ȳ, predict the windows? First with a
/// spectral balanced start (Theorem 3's setting transplanted), then with general balanced
/// starts (Theorem 4's constants from the shape's block on the positive eigenspace of Ȳ).
fn windows(cfg: &Config, seeds: &Seeds, out: &Outputs, report: &mut Report) -> Result<()> {
    let sigma = &cfg.singular_values[..cfg.rank];
    let (y, p, q) = rectangular(cfg.m, cfg.n, sigma, seeds, "learning-target");
    // Spectral balanced start: Ū = P, V̄ = Q (s_i = 1 on every positive eigen-direction of Ȳ).
    let s = Mat::<f64>::identity(cfg.rank, cfg.rank);
    let (ub, vb) = balanced_pair(p.as_ref(), q.as_ref(), s.as_ref());
    let mut spectral = WindowComparison::default();
    for &alpha in &cfg.window_alphas {
        let bt = BalancedTrajectory::new(y.as_ref(), alpha, ub.as_ref(), vb.as_ref())?;
        // Theorem 3's constants with l = σ and s = 1: c = ε, C = σ₁²/ε.
        let (c, big_c) = (cfg.eps, sigma[0] * sigma[0] / cfg.eps);
        let intervals = theorems::intervals(sigma, cfg.rank, alpha, c, big_c);
        let t_end = 1.5 * intervals.last().map_or(1.0, |iv| iv.start);
        let grid = linspace(0.0, t_end, cfg.time_points);
        spectral.add(
            &format!("spectral, {}", short(alpha, 1)),
            &bt,
            &intervals,
            cfg.eps,
            &grid,
        )?;
    }
    let general = general_windows(cfg, seeds, &y, &p, &q)?;
    let mut csv = spectral.csv.clone();
    csv.extend(general.csv.iter().cloned());
    out.csv(
        "windows.csv",
        &["start_alpha", "k", "window_start", "window_end"],
        &csv,
    )?;
    let h =
        WindowComparison::header("interval I_k from (16) with Theorem 3's constants on sigma(Y)");
    report.table(
        "window_table",
        &h.each_ref().map(String::as_str),
        &spectral.rows,
    );
    let h = WindowComparison::header(
        "interval I_k from (16) with Theorem 4's constants (M of the positive block)",
    );
    report.table(
        "general_window_table",
        &h.each_ref().map(String::as_str),
        &general.rows,
    );
    report.set("window_eps", short(cfg.eps, 2));
    for (key, c) in [("window", &spectral), ("general_window", &general)] {
        report.set(
            format!("{key}_contained").as_str(),
            format!("{} of {}", c.contained, c.compared),
        );
        report.check(
            &format!("{key}_all"),
            c.compared > 0 && c.contained == c.compared,
            format!(
                "{} of {} windows contain their interval",
                c.contained, c.compared
            ),
        );
    }
    Ok(())
}

/// General balanced starts `Ū = P S`, `V̄ = Q S` (random `P`, `Q`, Gaussian `S`): Theorem 4's
/// constants computed from `M = max(‖B‖, ‖B⁻¹‖)`, `B = Φ₊ᵀ W̄₀ Φ₊` the shape's block on the
/// positive eigenspace of `Ȳ` (`Φ₊ = [P_Y; Q_Y]/√2`), against the measured windows: a test of the
/// transplanted theorem that does not reduce to the scalar flow.
fn general_windows(
    cfg: &Config,
    seeds: &Seeds,
    y: &Mat<f64>,
    py: &Mat<f64>,
    qy: &Mat<f64>,
) -> Result<WindowComparison> {
    let sigma = &cfg.singular_values[..cfg.rank];
    let r = cfg.m.min(cfg.n);
    let mut cmp = WindowComparison::default();
    for d in 0..cfg.general_window_draws {
        let (ub, vb) = balanced_shape(cfg.m, cfg.n, r, seeds, &format!("window-shape-{d}"));
        let c_bar = positive_block(py, qy, &ub, &vb);
        let block = &c_bar * c_bar.transpose();
        let eig = metrics::eigenvalues_symmetric(block.as_ref())?;
        let (top, bottom) = (eig[0], eig[eig.len() - 1]);
        if bottom <= 0.0 {
            return Err(lab_err!("window-shape-{d}: the positive block is singular"));
        }
        let m = top.max(1.0 / bottom);
        let (c, big_c) = (
            cfg.eps / (16.0 * m * m),
            16.0 * sigma[0] * sigma[0] * m * m / cfg.eps,
        );
        for &alpha in &cfg.general_window_alphas {
            let bt = BalancedTrajectory::new(y.as_ref(), alpha, ub.as_ref(), vb.as_ref())?;
            let intervals = theorems::intervals(sigma, cfg.rank, alpha, c, big_c);
            let t_end = 1.5 * intervals.last().map_or(1.0, |iv| iv.start);
            let grid = linspace(0.0, t_end, cfg.time_points);
            let label = format!("general {d} (M = {}), {}", short(m, 3), short(alpha, 1));
            cmp.add(&label, &bt, &intervals, cfg.eps, &grid)?;
        }
    }
    Ok(cmp)
}

/// `Φ₊ᵀ Z̄ / √2` scaled so that `Φ₊ᵀ W̄₀ Φ₊ = C Cᵀ` for `W̄₀ = Z̄ Z̄ᵀ/2`, `Z̄ = [Ū; V̄]`:
/// `C = (P_Yᵀ Ū + Q_Yᵀ V̄) / 2`.
fn positive_block(py: &Mat<f64>, qy: &Mat<f64>, u: &Mat<f64>, v: &Mat<f64>) -> Mat<f64> {
    let sum = py.transpose() * u + qy.transpose() * v;
    scaled(&sum, 0.5)
}

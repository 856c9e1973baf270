//! Section 6: the integrator against the exact flows (the balanced depth-L closed form in
//! random bases, and the paper's closed form at L = 2), and gradient descent against the
//! integrator.

use crate::config::Config;
use crate::setup::{singular_values, Setup, LEVELS};
use mfflow::analysis::linspace;
use mfflow::depth::{self, Factors};
use mfflow::{Form, Init, Mat, Target, Trajectory};
use mfflow_lab::instances::{gaussian, orthonormal};
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;

/// Depth of the gradient-descent check.
const GD_DEPTH: usize = 3;

/// What section 6 measured.
pub struct Data {
    alpha: f64,
    points: usize,
    rtol: f64,
    /// Per depth: the largest time shift `|t(σ_ode) − t| / t_i` and the accepted steps.
    balanced: Vec<(usize, f64, usize)>,
    /// L = 2 against `Trajectory`: largest `|W_ode − W|` entry and largest relative difference
    /// of the smallest eigenvalue.
    paper: (f64, f64),
    /// `(eta, largest |W_gd − W_ode|)`.
    gd: Vec<(f64, f64)>,
}

/// Runs the three checks.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let cc = &cfg.cross_check;
    let setup = Setup::new(cfg, seeds, &[GD_DEPTH])?;
    let n = setup.n();
    let alpha = cc.alpha;
    let mut balanced = Vec::new();
    for &l in &cfg.depths {
        let mut rng = seeds.indexed("hidden-bases", l as u64);
        let hidden: Vec<Mat<f64>> = (0..l - 1).map(|_| orthonormal(n, n, &mut rng)).collect();
        let f0 = depth::balanced_spectral_factors(
            setup.u.as_ref(),
            setup.v.as_ref(),
            &vec![alpha; n],
            &hidden,
        );
        let last = setup.balanced_time(l, n - 1, alpha, LEVELS[LEVELS.len() - 1])?;
        let times = linspace(0.0, 1.2 * last, cc.points);
        let (fs, stats) = depth::integrate_factors(setup.y.as_ref(), &f0, &times, setup.options)?;
        let mut worst = 0.0f64;
        for (f, &t) in fs.iter().zip(&times) {
            let sv = singular_values(&depth::end_to_end(f));
            for i in 0..n {
                let ti = setup.balanced_time(l, i, alpha, 0.5)?;
                let s = setup.s[i];
                // Compared as a time shift where σ is strictly inside (α, s); elsewhere (σ
                // within 1e-9 of s) as a difference of values in units of s.
                let shift = if sv[i] > alpha && sv[i] < s * (1.0 - 1e-9) {
                    (depth::time_to_reach(l, s, alpha, sv[i])? - t).abs() / ti
                } else {
                    (sv[i] - depth::sigma_at(l, s, alpha, t)?).abs() / s
                };
                worst = worst.max(shift);
            }
        }
        balanced.push((l, worst, stats.accepted));
    }
    // L = 2 with W₁ = W₂ᵀ and a symmetric PSD target: the paper's flow (2).
    let us = Mat::from_fn(n, n, |i, j| setup.u[(i, j)] * setup.s[j]);
    let ysym = &us * setup.u.transpose();
    let ysym = Mat::from_fn(n, n, |i, j| 0.5 * (ysym[(i, j)] + ysym[(j, i)]));
    let shape = gaussian(
        n,
        n,
        1.0 / (n as f64).sqrt(),
        &mut seeds.stream("symmetric-shape"),
    );
    let traj = Trajectory::new(
        &Target::new(ysym.as_ref())?,
        &Init::new(alpha, shape.as_ref())?,
        Form::Auto,
    )?;
    let horizon = 1.5 * (1.0 / alpha).ln() / (2.0 * setup.s[n - 1]);
    let times = linspace(0.0, horizon, cc.points);
    let u0 = Mat::from_fn(n, n, |i, j| alpha.sqrt() * shape[(i, j)]);
    let f0: Factors = vec![u0.transpose().to_owned(), u0];
    let fs = depth::integrate_factors(ysym.as_ref(), &f0, &times, setup.options)?.0;
    let exact = traj.w(&times)?;
    let eig = traj.eigenvalues(&times)?;
    let mut paper = (0.0f64, 0.0f64);
    for ((f, w), e) in fs.iter().zip(&exact).zip(&eig) {
        let prod = depth::end_to_end(f);
        let diff = (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .map(|(i, j)| (prod[(i, j)] - w[(i, j)]).abs())
            .fold(0.0f64, f64::max);
        let sv = singular_values(&prod);
        paper.0 = paper.0.max(diff);
        paper.1 = paper.1.max((sv[n - 1] - e[n - 1]).abs() / e[n - 1]);
    }
    // Gradient descent against the integrator from a random start.
    let f0 = setup.random_start(GD_DEPTH, alpha);
    let last = setup.balanced_time(GD_DEPTH, n - 1, alpha, LEVELS[LEVELS.len() - 1])?;
    let times = linspace(0.0, 1.2 * last, cc.points);
    let mut gd = Vec::new();
    for &eta in &cc.etas {
        let iterates = depth::gradient_descent(setup.y.as_ref(), &f0, eta, &times)?;
        let reached: Vec<f64> = iterates.iter().map(|(t, _)| *t).collect();
        let flow = setup.integrate(&f0, &reached)?;
        let d = iterates
            .iter()
            .zip(&flow)
            .map(|((_, g), f)| {
                let (a, b) = (depth::end_to_end(g), depth::end_to_end(f));
                (0..n)
                    .flat_map(|i| (0..n).map(move |j| (i, j)))
                    .map(|(i, j)| (a[(i, j)] - b[(i, j)]).abs())
                    .fold(0.0f64, f64::max)
            })
            .fold(0.0f64, f64::max);
        gd.push((eta, d));
    }
    Ok(Data {
        alpha,
        points: cc.points,
        rtol: cfg.rtol,
        balanced,
        paper,
        gd,
    })
}

/// Writes `cross-check.csv` and fills section 6.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let mut rows = Vec::new();
    let mut csv = Vec::new();
    for &(l, worst, steps) in &data.balanced {
        rows.push(vec![
            format!("integrator vs exact balanced flow, L = {l}"),
            format!("{steps} steps"),
            format!("{} (time shift / t_i)", short(worst, 2)),
        ]);
        csv.push(vec![format!("balanced-L{l}"), "".into(), num(worst)]);
    }
    rows.push(vec![
        "integrator vs paper's closed form, L = 2, W_1 = W_2^T".into(),
        "-".into(),
        format!(
            "{} (max entry of W), {} (smallest eigenvalue, relative)",
            short(data.paper.0, 2),
            short(data.paper.1, 2)
        ),
    ]);
    csv.push(vec![
        "paper-L2-entries".into(),
        "".into(),
        num(data.paper.0),
    ]);
    csv.push(vec![
        "paper-L2-smallest".into(),
        "".into(),
        num(data.paper.1),
    ]);
    for &(eta, d) in &data.gd {
        rows.push(vec![
            format!(
                "gradient descent vs integrator, L = {GD_DEPTH}, eta = {}",
                short(eta, 2)
            ),
            "-".into(),
            format!("{} (max entry of W)", short(d, 2)),
        ]);
        csv.push(vec!["gd".into(), num(eta), num(d)]);
    }
    out.csv("cross-check.csv", &["check", "eta", "difference"], &csv)?;
    report.table(
        "cross_check_table",
        &["check", "cost", "largest difference over the grid"],
        &rows,
    );
    report.set("cross_alpha", short(data.alpha, 2));
    report.set("cross_points", data.points.to_string());
    report.set("rtol", short(data.rtol, 2));
    // The a-priori model of `mfflow::depth::integrate_factors`: an α-level component of size
    // α^{1/L} inside learned hidden entries of size one is resolved to rtol / α^{1/L} of itself
    // per step, so over `steps` steps to about steps · rtol / α^{1/L}; in the slow phase a
    // relative error δ of σ is a time shift of δ σ^{1−p}/(L s) ≤ δ t_i.
    let bound = |l: usize, steps: usize| steps as f64 * data.rtol / data.alpha.powf(1.0 / l as f64);
    let within = data.balanced.iter().all(|&(l, w, st)| w <= bound(l, st));
    let worst = data
        .balanced
        .iter()
        .map(|&(l, w, st)| w / bound(l, st))
        .fold(0.0f64, f64::max);
    report.check(
        "integrator_resolves",
        within,
        format!(
            "balanced time shifts (L, shift, steps): {:?}, rtol {:e}",
            data.balanced, data.rtol
        ),
    );
    report.set("integrator_fraction", short(worst, 2));
    report.check(
        "paper_agrees",
        data.paper.1 <= 1e3 * data.rtol / data.alpha.sqrt(),
        format!("smallest eigenvalue relative difference {:e}", data.paper.1),
    );
    report.set("paper_bound", short(1e3 * data.rtol / data.alpha.sqrt(), 2));
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

//! Experiment `spectral-vs-general`: the paper's Figure 1 and Theorems 3–4.
//!
//! Under a small initialization `U(0) = √α Ū₀`, gradient flow learns the eigenvalues of `Y`
//! one at a time at times close to `log(1/α)/(2 lᵢ)`. This experiment
//!
//! 1. reproduces Figure 1 (eigenvalues of `W(t)` over time) under spectral initialization
//!    (`Ū₀ = Φ`, so `Φᵀ W̄₀ Φ = I`) and under a general random one of comparable size
//!    (`Ū₀` with i.i.d. `N(0, 1/n)` entries, so `E[W̄₀] = I`);
//! 2. measures how the transitions separate as α decreases: the transition times, and how close
//!    the trajectory comes to every best rank-k approximation `Ŷ_k`;
//! 3. tabulates Theorem 3 (spectral) and Theorem 4 (general) over several ε and α, with the
//!    measured maximum error on every interval `I_k`;
//! 4. measures how conservative each theorem is: the largest α at which the conclusion still
//!    holds, by bisection on `log α`, against the α the theorem asks for;
//! 5. cross-checks the closed form against the ODE integrator and gradient descent.
//!
//! The prose of the report is in `report.md` beside this crate; every number in it comes from
//! this run.

use mfflow::analysis::{crossing_time, linspace, min_error_to_rank_k};
use mfflow::ode::{integrate_factor, OdeOptions};
use mfflow::theorems::{self, Interval, Verdict};
use mfflow::{gd, metrics, Form, Init, Mat, Target, Trajectory};
use mfflow_lab::config::{self, alphas, count, positive, Validate, MAX_POINTS};
use mfflow_lab::instances::{gaussian, random_basis_target};
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Marker, Series};
use mfflow_lab::report::{figure_markdown, Report};
use mfflow_lab::seeds::Seeds;
use mfflow_lab::{cli, lab_err, progress, Result};
use serde::{Deserialize, Serialize};
use std::process::ExitCode;

const NAME: &str = "spectral-vs-general";
const TEMPLATE: &str = include_str!("../report.md");

/// The experiment's parameters (`config.toml`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Config {
    master_seed: u64,
    eigenvalues: Vec<f64>,
    figure_alpha: f64,
    panel_alphas: Vec<f64>,
    time_points: usize,
    sweep_alphas: Vec<f64>,
    eps: Vec<f64>,
    theorem_alphas: Vec<f64>,
    grid_points: usize,
    bisection_steps: usize,
    cross_check: CrossCheck,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct CrossCheck {
    alpha: f64,
    etas: Vec<f64>,
    points: usize,
}

impl Validate for Config {
    fn validate(&self) -> std::result::Result<(), String> {
        positive("eigenvalues", &self.eigenvalues)?;
        let mut sorted = self.eigenvalues.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err("eigenvalues: must be distinct (both theorems need it)".into());
        }
        alphas("figure_alpha", &[self.figure_alpha])?;
        alphas("panel_alphas", &self.panel_alphas)?;
        alphas("sweep_alphas", &self.sweep_alphas)?;
        let mut sweep = self.sweep_alphas.clone();
        sweep.sort_by(f64::total_cmp);
        if let Some(w) = sweep.windows(2).find(|w| w[1] > 10.0 * w[0] * (1.0 + 1e-9)) {
            return Err(format!(
                "sweep_alphas: must include every decade of its range (no gap wider than a factor 10), but jumps from {:e} to {:e}",
                w[0], w[1]
            ));
        }
        alphas("theorem_alphas", &self.theorem_alphas)?;
        positive("eps", &self.eps)?;
        let bound = sorted[sorted.len() - 1].min(1.0);
        if let Some(e) = self.eps.iter().find(|&&e| e > bound) {
            return Err(format!(
                "eps: {e} exceeds min(l_K, 1) = {bound}, where Theorem 4 stops applying"
            ));
        }
        count("time_points", self.time_points, 10, MAX_POINTS)?;
        count("grid_points", self.grid_points, 2, MAX_POINTS)?;
        if !(1..=200).contains(&self.bisection_steps) {
            return Err(format!(
                "bisection_steps: must be in 1..=200, got {}",
                self.bisection_steps
            ));
        }
        alphas("cross_check.alpha", &[self.cross_check.alpha])?;
        positive("cross_check.etas", &self.cross_check.etas)?;
        if let Some(eta) = self
            .cross_check
            .etas
            .iter()
            .find(|e| !(1e-5..=0.1).contains(*e))
        {
            return Err(format!(
                "cross_check.etas: every step must be in [1e-5, 0.1] (smaller ones take millions of steps), got {eta:e}"
            ));
        }
        count("cross_check.points", self.cross_check.points, 2, MAX_POINTS)?;
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

/// The two initializations compared throughout.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Spectral,
    General,
}

impl Kind {
    const BOTH: [Kind; 2] = [Kind::Spectral, Kind::General];

    fn name(self) -> &'static str {
        match self {
            Kind::Spectral => "spectral",
            Kind::General => "general",
        }
    }
}

/// The target and the two α-free shapes.
struct Setup {
    target: Target,
    spectral_shape: Mat<f64>,
    general_shape: Mat<f64>,
}

impl Setup {
    fn new(cfg: &Config, seeds: &Seeds) -> Result<Self> {
        let n = cfg.eigenvalues.len();
        let target = random_basis_target(&cfg.eigenvalues, &mut seeds.stream("target-basis"))?;
        // Spectral: Ū₀ = Φ (the target's own computed eigenvectors), so Φᵀ W̄₀ Φ = I.
        let spectral_shape = target.phi().to_owned();
        // General: i.i.d. N(0, 1/n), so that E[Ū₀ Ū₀ᵀ] = I, the same size as the spectral shape.
        let general_shape = gaussian(
            n,
            n,
            1.0 / (n as f64).sqrt(),
            &mut seeds.stream("general-shape"),
        );
        Ok(Self {
            target,
            spectral_shape,
            general_shape,
        })
    }

    fn init(&self, kind: Kind, alpha: f64) -> Result<Init> {
        let shape = match kind {
            Kind::Spectral => &self.spectral_shape,
            Kind::General => &self.general_shape,
        };
        Ok(Init::new(alpha, shape.as_ref())?)
    }

    fn trajectory(&self, kind: Kind, alpha: f64) -> Result<Trajectory> {
        Ok(Trajectory::new(
            &self.target,
            &self.init(kind, alpha)?,
            Form::Auto,
        )?)
    }

    fn l(&self) -> &[f64] {
        self.target.eigenvalues()
    }

    /// A horizon that covers every transition: 1.5 × the predicted last one.
    fn horizon(&self, alpha: f64) -> f64 {
        let l_k = self.l()[self.l().len() - 1];
        1.5 * (1.0 / alpha).ln().max(2.0) / (2.0 * l_k)
    }
}

fn verdict(setup: &Setup, kind: Kind, alpha: f64, eps: f64, grid: usize) -> Result<Verdict> {
    let init = setup.init(kind, alpha)?;
    Ok(match kind {
        Kind::Spectral => theorems::theorem3(&setup.target, &init, eps, grid)?,
        Kind::General => theorems::theorem4(&setup.target, &init, eps, grid)?,
    })
}

fn main_body(args: &cli::Args) -> Result<()> {
    let (cfg, _) = config::load::<Config>(&args.config)?;
    let seeds = Seeds::new(cfg.master_seed);
    let out = Outputs::create(&args.out)?;
    let setup = Setup::new(&cfg, &seeds)?;
    let mut report = Report::new(TEMPLATE);
    let l = setup.l().to_vec();
    let n = l.len();
    report.set("n", n.to_string());
    report.set(
        "eigenvalues",
        l.iter()
            .map(|v| short(*v, 3))
            .collect::<Vec<_>>()
            .join(", "),
    );

    out.time("figure1", || figure1(&cfg, &setup, &out, &mut report))?;
    out.time("figure1 panels", || {
        figure1_panels(&cfg, &setup, &out, &mut report)
    })?;
    out.time("separation", || separation(&cfg, &setup, &out, &mut report))?;
    out.time("theorem tables", || {
        theorem_tables(&cfg, &setup, &out, &mut report)
    })?;
    out.time("tightness", || tightness(&cfg, &setup, &out, &mut report))?;
    out.time("cross-check", || {
        cross_check(&cfg, &setup, &out, &mut report)
    })?;

    out.finish(NAME, &report, &seeds, &cfg)
}

fn run(args: &cli::Args) -> Result<()> {
    main_body(args)
}

/// Section 1: Figure 1 under both initializations, and measured vs predicted transition times.
fn figure1(cfg: &Config, setup: &Setup, out: &Outputs, report: &mut Report) -> Result<()> {
    let alpha = cfg.figure_alpha;
    let l = setup.l();
    let n = l.len();
    let times = linspace(0.0, setup.horizon(alpha), cfg.time_points);
    let predicted: Vec<f64> = l.iter().map(|li| (1.0 / alpha).ln() / (2.0 * li)).collect();
    let mut rows_half = Vec::new();
    let mut halves = Vec::new();
    let mut worst_rel = 0.0f64;
    for kind in Kind::BOTH {
        let traj = setup.trajectory(kind, alpha)?;
        let eig = traj.eigenvalues(&times)?;
        let mut header = vec!["t".to_string()];
        header.extend((1..=n).map(|i| format!("lambda_{i}")));
        let rows: Vec<Vec<String>> = times
            .iter()
            .zip(&eig)
            .map(|(t, e)| {
                std::iter::once(num(*t))
                    .chain(e.iter().map(|v| num(*v)))
                    .collect()
            })
            .collect();
        let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
        out.csv(&format!("figure1-{}.csv", kind.name()), &header_refs, &rows)?;
        for log in [false, true] {
            let plot = eigenvalue_plot(l, &times, &eig, alpha, kind.name(), log);
            let (suffix, scale) = if log { ("_log", "log") } else { ("", "linear") };
            report.figure(
                out,
                &format!("figure1_{}{suffix}", kind.name()),
                &plot,
                &format!(
                    "Eigenvalues of W(t) under {} initialization, {scale} scale. Dashed horizontal lines: the targets l_i; \
                     dashed vertical lines: the predicted transition times log(1/alpha)/(2 l_i). Data: figure1-{}.csv.",
                    kind.name(),
                    kind.name()
                ),
            )?;
        }
        for i in 0..n {
            let measured = crossing_time(&traj, i, l[i] / 2.0, &times)?;
            halves.push(measured);
            let (m, rel) = match measured {
                Some(t) => {
                    let rel = (t - predicted[i]).abs() / predicted[i];
                    worst_rel = worst_rel.max(rel);
                    (short(t, 4), short(rel, 2))
                }
                None => ("not reached".into(), "-".into()),
            };
            rows_half.push(vec![
                kind.name().into(),
                (i + 1).to_string(),
                short(l[i], 3),
                short(predicted[i], 4),
                m,
                rel,
            ]);
        }
    }
    report.set("figure_alpha", short(alpha, 2));
    report.table(
        "half_times",
        &[
            "initialization",
            "i",
            "l_i",
            "predicted log(1/alpha)/(2 l_i)",
            "measured t: lambda_i = l_i/2",
            "relative difference",
        ],
        &rows_half,
    );
    report.set("half_time_worst", short(worst_rel * 100.0, 2));
    // Larger targets first: the measured half-times increase with i, under both kinds.
    let ordered = halves
        .chunks(n)
        .all(|t| t.iter().all(Option::is_some) && t.windows(2).all(|w| w[0] < w[1]));
    report.check(
        "larger_first",
        ordered,
        "measured half-times increase with i for both initializations",
    );
    Ok(())
}

/// The eigenvalues of `W(t)` against `t`, with the targets and the predicted transition times
/// as dashed lines, on a linear or a logarithmic scale.
fn eigenvalue_plot(
    l: &[f64],
    times: &[f64],
    eig: &[Vec<f64>],
    alpha: f64,
    kind: &str,
    log: bool,
) -> LinePlot {
    let mut plot = LinePlot::new(
        format!(
            "Eigenvalues of W(t), {kind} initialization, alpha = {}",
            short(alpha, 2)
        ),
        "time t (units of 1/eigenvalue of Y)",
        if log {
            "eigenvalue of W(t) (log scale)"
        } else {
            "eigenvalue of W(t)"
        },
    );
    plot.log_y = log;
    for (i, li) in l.iter().enumerate() {
        let pts = times.iter().zip(eig).map(|(t, e)| (*t, e[i])).collect();
        plot.series.push(Series::line(
            format!("lambda_{} (target {})", i + 1, short(*li, 3)),
            pts,
        ));
        plot.markers.push(Marker::Horizontal(*li, i));
        plot.marker_label =
            "dashed: targets l_i (horizontal), predicted transition times (vertical), in the colour of their curve".into();
        plot.markers
            .push(Marker::Vertical((1.0 / alpha).ln() / (2.0 * li), i));
    }
    plot
}

/// The paper's Figure 1, right-hand panels: the spectral-initialization curves on a linear
/// scale at decreasing alpha, each over its own horizon, showing the transitions separate.
fn figure1_panels(cfg: &Config, setup: &Setup, out: &Outputs, report: &mut Report) -> Result<()> {
    let mut figures = Vec::new();
    for &alpha in &cfg.panel_alphas {
        let times = linspace(0.0, setup.horizon(alpha), cfg.time_points);
        let eig = setup
            .trajectory(Kind::Spectral, alpha)?
            .eigenvalues(&times)?;
        let plot = eigenvalue_plot(setup.l(), &times, &eig, alpha, "spectral", false);
        let name = format!("figure1_panel_alpha{}", short(alpha, 1).replace('.', "p"));
        figures.push(figure_markdown(
            out,
            &name,
            &plot,
            &format!(
                "Spectral initialization at alpha = {}, linear scale, over 1.5 times the predicted last transition. \
                 Dashed: targets and predicted transition times.",
                short(alpha, 1)
            ),
        )?);
    }
    report.set("figure1_panels", figures.join("\n\n"));
    report.set(
        "panel_alphas",
        cfg.panel_alphas
            .iter()
            .map(|a| short(*a, 1))
            .collect::<Vec<_>>()
            .join(", "),
    );
    Ok(())
}

/// Section 2: how the transitions separate as α decreases.
fn separation(cfg: &Config, setup: &Setup, out: &Outputs, report: &mut Report) -> Result<()> {
    let l = setup.l();
    let n = l.len();
    let eps = cfg.eps[cfg.eps.len() - 1];
    let bar = progress::bar((cfg.sweep_alphas.len() * 2) as u64, "separation sweep");
    let mut rows = Vec::new();
    // min distance per (kind, k) over the sweep
    let mut curves: Vec<Vec<(f64, f64)>> = vec![Vec::new(); 2 * (n - 1)];
    let mut largest_ok: [Option<f64>; 2] = [None, None];
    for &alpha in &cfg.sweep_alphas {
        for (ki, kind) in Kind::BOTH.into_iter().enumerate() {
            let traj = setup.trajectory(kind, alpha)?;
            let grid = linspace(0.0, setup.horizon(alpha), cfg.time_points);
            let mut all_ok = true;
            for k in 1..n {
                let d = min_error_to_rank_k(&traj, k, &grid)?;
                all_ok &= d <= eps;
                curves[ki * (n - 1) + (k - 1)].push((alpha, d));
                rows.push(vec![num(alpha), kind.name().into(), k.to_string(), num(d)]);
            }
            if all_ok && largest_ok[ki].is_none_or(|a| alpha > a) {
                largest_ok[ki] = Some(alpha);
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    // Single crossing: along the sweep (sorted by alpha) every distance moves one way.
    let monotone = curves.iter().all(|c| {
        let mut c = c.clone();
        c.sort_by(|a, b| a.0.total_cmp(&b.0));
        c.windows(2).all(|w| w[0].1 <= w[1].1)
    });
    report.check(
        "sweep_monotone",
        monotone,
        "min distance to each Yhat_k increases with alpha along the sweep",
    );
    out.csv(
        "separation.csv",
        &["alpha", "initialization", "k", "min_t_error_to_Yhat_k"],
        &rows,
    )?;
    let mut plot = LinePlot::new(
        "How close W(t) comes to each best rank-k approximation",
        "initialization scale alpha (log scale)",
        "min over t of ||W(t) - Yhat_k||_2 (log scale)",
    );
    plot.log_x = true;
    plot.log_y = true;
    for (ki, kind) in Kind::BOTH.into_iter().enumerate() {
        for k in 1..n {
            let pts = curves[ki * (n - 1) + (k - 1)].clone();
            let name = format!("k = {k}, {}", kind.name());
            plot.series.push(match kind {
                Kind::Spectral => Series::line(name, pts).coloured(k - 1),
                Kind::General => Series::markers(name, pts).coloured(k - 1),
            });
        }
    }
    plot.markers.push(Marker::Horizontal(eps, 6));
    plot.marker_label = format!("dashed: eps = {}", short(eps, 2));
    report.figure(
        out,
        "separation",
        &plot,
        &format!(
            "For each alpha, the smallest spectral-norm distance between W(t) and the best rank-k \
             approximation of Y over a dense time grid (lines: spectral, dots: general). Dashed: eps = {}. \
             Data: separation.csv.",
            short(eps, 2)
        ),
    )?;
    report.set("separation_eps", short(eps, 2));
    let describe = |a: Option<f64>| match a {
        Some(a) => format!("alpha <= {}", short(a, 2)),
        None => "no alpha of the sweep".into(),
    };
    report.set("separation_spectral", describe(largest_ok[0]));
    report.set("separation_general", describe(largest_ok[1]));
    report.set(
        "sweep_alphas",
        cfg.sweep_alphas
            .iter()
            .map(|a| short(*a, 1))
            .collect::<Vec<_>>()
            .join(", "),
    );
    Ok(())
}

fn interval_text(iv: &Interval) -> String {
    match iv.end {
        Some(e) => format!("[{}, {}]", short(iv.start, 3), short(e, 3)),
        None => format!("[{}, inf)", short(iv.start, 3)),
    }
}

fn opt(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| short(v, 3))
}

fn flag(x: Option<bool>) -> String {
    x.map_or("-".into(), |b| if b { "yes".into() } else { "no".into() })
}

/// Section 3: Theorem 3 (spectral) and Theorem 4 (general) tables.
fn theorem_tables(cfg: &Config, setup: &Setup, out: &Outputs, report: &mut Report) -> Result<()> {
    for (kind, key) in [(Kind::Spectral, "theorem3"), (Kind::General, "theorem4")] {
        let mut rows = Vec::new();
        let mut csv = Vec::new();
        let (mut applicable, mut worst_ratio, mut violations) = (0usize, 0.0f64, 0usize);
        for &eps in &cfg.eps {
            for &alpha in &cfg.theorem_alphas {
                let v = verdict(setup, kind, alpha, eps, cfg.grid_points)?;
                let errors: Vec<String> = v.max_error.iter().map(|e| opt(*e)).collect();
                if v.applies {
                    applicable += 1;
                    for e in v.max_error.iter().flatten() {
                        worst_ratio = worst_ratio.max(e / eps);
                    }
                }
                if v.violated(eps) {
                    violations += 1;
                }
                let intervals: Vec<String> = v.intervals.iter().map(interval_text).collect();
                let mut row = vec![
                    short(eps, 2),
                    short(alpha, 1),
                    opt(v.c_eps),
                    opt(v.big_c_eps),
                ];
                if kind == Kind::General {
                    row.push(opt(v.m));
                }
                row.extend([
                    opt(v.alpha_bound),
                    flag(v.alpha_ok),
                    flag(v.separation_ok),
                    if v.applies {
                        "**yes**".into()
                    } else {
                        "no".into()
                    },
                    intervals.join(" "),
                    errors.join(", "),
                ]);
                rows.push(row);
                for (iv, e) in v.intervals.iter().zip(&v.max_error) {
                    csv.push(vec![
                        num(eps),
                        num(alpha),
                        v.applies.to_string(),
                        iv.k.to_string(),
                        num(iv.start),
                        iv.end.map_or("inf".into(), num),
                        e.map_or("".into(), num),
                    ]);
                }
            }
        }
        out.csv(
            &format!("{key}.csv"),
            &[
                "eps",
                "alpha",
                "applies",
                "k",
                "interval_start",
                "interval_end",
                "max_error",
            ],
            &csv,
        )?;
        let mut header = vec!["eps", "alpha", "c_eps", "C_eps"];
        if kind == Kind::General {
            header.push("M");
        }
        header.extend([
            "alpha bound",
            "alpha ok",
            "separation ok",
            "applies",
            "intervals I_1 .. I_K",
            "measured max error on each I_k",
        ]);
        report.table(&format!("{key}_table"), &header, &rows);
        let verdict_text = if violations > 0 {
            format!(
                "**VIOLATION: in {violations} row(s) the theorem applies but the measured error exceeds eps.** \
                 This contradicts the paper or reveals a bug and must be investigated."
            )
        } else if applicable > 0 {
            format!(
                "The theorem applies in {applicable} of {} rows, and in every one of them the measured error \
                 on every I_k is at most eps (largest ratio error/eps: {}).",
                rows.len(),
                short(worst_ratio, 2)
            )
        } else {
            format!("The theorem applies in none of the {} rows.", rows.len())
        };
        report.set(&format!("{key}_verdict"), verdict_text);
    }
    report.set("grid_points", cfg.grid_points.to_string());
    Ok(())
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

/// Section 4: how conservative the theorems are.
fn tightness(cfg: &Config, setup: &Setup, out: &Outputs, report: &mut Report) -> Result<()> {
    let l = setup.l();
    let k_rank = setup.target.positive_rank();
    let rho = (1..=k_rank)
        .map(|k| if k < k_rank { l[k] / l[k - 1] } else { 0.0 })
        .fold(0.0f64, f64::max);
    let mut rows = Vec::new();
    let mut csv = Vec::new();
    let mut ratios = Vec::new();
    let mut window_ratios = Vec::new();
    let mut limited_by_separation = 0usize;
    let bar = progress::bar((cfg.eps.len() * 2) as u64, "tightness bisection");
    for kind in Kind::BOTH {
        for &eps in &cfg.eps {
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
            let binding = if bound <= alpha_sep {
                "alpha bound"
            } else {
                "separation"
            };
            let measured = bisect(required, cfg.bisection_steps, |a| {
                conclusion_holds(setup, kind, a, eps, c, big_c, cfg.grid_points)
            })?;
            let any_window = bisect(required, cfg.bisection_steps, |a| {
                windows_exist(setup, kind, a, eps, cfg.time_points)
            })?;
            let ratio = |m: Option<f64>| m.map_or("-".into(), |m| short(m / required, 3));
            if let Some(m) = measured {
                ratios.push(m / required);
                if binding == "separation" && m / required < 1.0 + 1e-6 {
                    limited_by_separation += 1;
                }
            }
            if let Some(m) = any_window {
                window_ratios.push(m / required);
            }
            rows.push(vec![
                kind.name().into(),
                short(eps, 2),
                short(required, 3),
                binding.into(),
                opt(measured),
                ratio(measured),
                opt(any_window),
                ratio(any_window),
            ]);
            csv.push(vec![
                kind.name().into(),
                num(eps),
                num(required),
                measured.map_or("".into(), num),
                any_window.map_or("".into(), num),
            ]);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
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
    report.set("tightness_range", range(&ratios));
    report.set("window_range", range(&window_ratios));
    report.set(
        "limited_by_separation",
        format!("{limited_by_separation} of {}", rows.len()),
    );
    report.set("bisection_steps", cfg.bisection_steps.to_string());
    Ok(())
}

/// Section 5: the closed form against the ODE integrator and gradient descent.
fn cross_check(cfg: &Config, setup: &Setup, out: &Outputs, report: &mut Report) -> Result<()> {
    let cc = &cfg.cross_check;
    let init = setup.init(Kind::General, cc.alpha)?;
    let traj = Trajectory::new(&setup.target, &init, Form::Auto)?;
    let times = linspace(0.0, setup.horizon(cc.alpha), cc.points);
    let exact = traj.w(&times)?;
    let diff = |a: &Mat<f64>, b: &Mat<f64>| metrics::max_abs_diff(a.as_ref(), b.as_ref());
    let (us, stats) = integrate_factor(
        setup.target.y(),
        init.u0().as_ref(),
        &times,
        OdeOptions::default(),
    )?;
    let ode_diff = us
        .iter()
        .zip(&exact)
        .map(|(u, w)| diff(&(u * u.transpose()), w))
        .fold(0.0f64, f64::max);
    let mut rows = vec![vec![
        "adaptive DP5(4), rtol 1e-12".to_string(),
        format!("{} steps", stats.accepted + stats.rejected),
        short(ode_diff, 2),
    ]];
    let mut csv = vec![vec!["ode".to_string(), "".into(), num(ode_diff)]];
    let mut gd_diffs = Vec::new();
    for &eta in &cc.etas {
        let iterates = gd::gradient_descent(setup.target.y(), init.u0().as_ref(), eta, &times)?;
        let reached: Vec<f64> = iterates.iter().map(|(t, _)| *t).collect();
        let exact_at = traj.w(&reached)?;
        let d = iterates
            .iter()
            .zip(&exact_at)
            .map(|((_, u), w)| diff(&(u * u.transpose()), w))
            .fold(0.0f64, f64::max);
        gd_diffs.push(d);
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
    report.set("cross_alpha", short(cc.alpha, 2));
    report.set("cross_points", cc.points.to_string());
    let order = if gd_diffs.len() >= 2 {
        let (e0, e1) = (cc.etas[0], cc.etas[1]);
        let slope = (gd_diffs[0] / gd_diffs[1]).ln() / (e0 / e1).ln();
        format!(
            "the measured order of convergence in eta is {}",
            short(slope, 3)
        )
    } else {
        "a single eta was run, so no order of convergence is measured".into()
    };
    report.set("gd_order", order);
    Ok(())
}

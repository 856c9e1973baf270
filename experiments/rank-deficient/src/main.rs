//! Experiment `rank-deficient`: initializations that cannot see all of `Y`.
//!
//! With `r < n` columns, `W(0) = α Ū₀ Ū₀ᵀ` is singular, Theorem 4 does not apply, and only the
//! Woodbury (factor) form of the closed solution gives `W(t)`. This experiment measures:
//!
//! 1. eigenvalue curves for several `r`: learning proceeds one eigenvalue at a time up to
//!    `min(r, K)` and stops at the best rank-`r` approximation when `r < K`;
//! 2. the limits, and the ε-windows around every `Ŷ_k`, `k ≤ min(r, K)`, against the intervals
//!    that Theorem 4's formulas give for the full-rank shape the `r` columns are taken from;
//! 3. shapes with `r ≥ n` columns but rank `q < n`;
//! 4. a shape with no component along one eigenvector of `Y`: that mode is never learned
//!    (exactly), and how a component of size δ put back along it is learned after all;
//! 5. an ODE cross-check of a subset of the trajectories.
//!
//! The prose of the report is in `report.md` beside this crate.

use mfflow::analysis::{errors_to_rank_k, linspace, windows_within};
use mfflow::ode::{integrate_factor, OdeOptions};
use mfflow::theorems;
use mfflow::{metrics, Form, Init, Mat, Target, Trajectory};
use mfflow_lab::config::{self, alphas, count, positive, Validate, MAX_POINTS};
use mfflow_lab::instances::{gaussian, random_basis_target};
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Marker, Series};
use mfflow_lab::report::{figure_markdown, Report};
use mfflow_lab::seeds::Seeds;
use mfflow_lab::{cli, lab_err, progress, Result};
use serde::{Deserialize, Serialize};
use std::process::ExitCode;

const NAME: &str = "rank-deficient";
const TEMPLATE: &str = include_str!("../report.md");

/// The experiment's parameters (`config.toml`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Config {
    master_seed: u64,
    eigenvalues: Vec<f64>,
    alpha: f64,
    eps: f64,
    time_points: usize,
    ranks: Vec<usize>,
    figure_ranks: Vec<usize>,
    extra_columns: usize,
    deficient_ranks: Vec<usize>,
    missing_direction: usize,
    leak_sizes: Vec<f64>,
    ode_ranks: Vec<usize>,
    ode_points: usize,
    conjecture_tolerance: f64,
    counterexample_columns: usize,
    counterexample_direction: usize,
    counterexample_deltas: Vec<f64>,
    counterexample_points: usize,
}

impl Validate for Config {
    fn validate(&self) -> std::result::Result<(), String> {
        let n = self.eigenvalues.len();
        if n < 2 {
            return Err("eigenvalues: need at least two".into());
        }
        if let Some(bad) = self
            .eigenvalues
            .iter()
            .find(|v| !(v.is_finite() && **v >= 0.0))
        {
            return Err(format!(
                "eigenvalues: must be finite and >= 0 (a PSD target), got {bad}"
            ));
        }
        let mut nonzero: Vec<f64> = self
            .eigenvalues
            .iter()
            .copied()
            .filter(|v| *v > 0.0)
            .collect();
        nonzero.sort_by(|a, b| b.total_cmp(a));
        if nonzero.is_empty() || nonzero.windows(2).any(|w| w[0] == w[1]) {
            return Err("eigenvalues: the nonzero ones must exist and be distinct".into());
        }
        alphas("alpha", &[self.alpha])?;
        positive("eps", &[self.eps])?;
        if self.eps > nonzero[nonzero.len() - 1].min(1.0) {
            return Err(format!(
                "eps: must be <= min(l_K, 1) = {}",
                nonzero[nonzero.len() - 1].min(1.0)
            ));
        }
        count("time_points", self.time_points, 10, MAX_POINTS)?;
        for (key, list, max) in [
            ("ranks", &self.ranks, n),
            ("figure_ranks", &self.figure_ranks, n),
            ("ode_ranks", &self.ode_ranks, n),
            ("deficient_ranks", &self.deficient_ranks, n - 1),
        ] {
            if list.is_empty() {
                return Err(format!("{key}: must not be empty"));
            }
            if let Some(bad) = list.iter().find(|&&r| r == 0 || r > max) {
                return Err(format!(
                    "{key}: every entry must be in 1..={max}, got {bad}"
                ));
            }
        }
        if let Some(r) = self.figure_ranks.iter().find(|r| !self.ranks.contains(r)) {
            return Err(format!("figure_ranks: {r} is not in ranks"));
        }
        if !(1..=n).contains(&self.missing_direction) {
            return Err(format!(
                "missing_direction: must be in 1..={n}, got {}",
                self.missing_direction
            ));
        }
        let mut sorted = self.eigenvalues.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        if sorted[self.missing_direction - 1] == 0.0 {
            return Err("missing_direction: must name a nonzero eigenvalue (a zero one is never learned anyway)".into());
        }
        positive("leak_sizes", &self.leak_sizes)?;
        positive("conjecture_tolerance", &[self.conjecture_tolerance])?;
        positive("counterexample_deltas", &self.counterexample_deltas)?;
        if sorted
            .get(self.counterexample_direction.wrapping_sub(1))
            .is_none_or(|&v| v == 0.0)
        {
            return Err(format!(
                "counterexample_direction: must name a nonzero eigenvalue (1..=K), got {}",
                self.counterexample_direction
            ));
        }
        if self.counterexample_columns < self.counterexample_direction
            || self.counterexample_columns >= n
        {
            return Err(format!(
                "counterexample_columns: must be in counterexample_direction..n-1 = {}..{}, got {}",
                self.counterexample_direction,
                n - 1,
                self.counterexample_columns
            ));
        }
        if !(2..=100_000).contains(&self.counterexample_points) {
            return Err(format!(
                "counterexample_points: must be in 2..=100000, got {}",
                self.counterexample_points
            ));
        }
        count("ode_points", self.ode_points, 2, MAX_POINTS)?;
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

/// The target, the full `n × n` shape, and the time scales.
struct Setup {
    target: Target,
    full_shape: Mat<f64>,
    k_rank: usize,
    /// Past every transition of the full-rank shape: `2 log(1/α) / (2 l_K)`.
    horizon: f64,
}

impl Setup {
    fn new(cfg: &Config, seeds: &Seeds) -> Result<Self> {
        let n = cfg.eigenvalues.len();
        let target = random_basis_target(&cfg.eigenvalues, &mut seeds.stream("target-basis"))?;
        let full_shape = gaussian(n, n, 1.0 / (n as f64).sqrt(), &mut seeds.stream("shape"));
        let k_rank = target.positive_rank();
        let l_k = target.eigenvalues()[k_rank - 1];
        let horizon = 2.0 * (1.0 / cfg.alpha).ln().max(2.0) / (2.0 * l_k);
        Ok(Self {
            target,
            full_shape,
            k_rank,
            horizon,
        })
    }

    fn shape(&self, r: usize) -> Mat<f64> {
        self.full_shape.subcols(0, r).to_owned()
    }

    fn trajectory(&self, shape: &Mat<f64>, alpha: f64) -> Result<Trajectory> {
        Ok(Trajectory::new(
            &self.target,
            &Init::new(alpha, shape.as_ref())?,
            Form::Auto,
        )?)
    }
}

fn run(args: &cli::Args) -> Result<()> {
    let (cfg, _) = config::load::<Config>(&args.config)?;
    let seeds = Seeds::new(cfg.master_seed);
    let out = Outputs::create(&args.out)?;
    let setup = Setup::new(&cfg, &seeds)?;
    let mut report = Report::new(TEMPLATE);
    let l = setup.target.eigenvalues();
    report.set("n", l.len().to_string());
    report.set("k_rank", setup.k_rank.to_string());
    report.set(
        "eigenvalues",
        l.iter()
            .map(|v| short(*v, 3))
            .collect::<Vec<_>>()
            .join(", "),
    );
    report.set("alpha", short(cfg.alpha, 2));
    report.set("eps", short(cfg.eps, 2));

    out.time("curves", || curves(&cfg, &setup, &out, &mut report))?;
    out.time("limits and windows", || {
        limits_and_windows(&cfg, &setup, &out, &mut report)
    })?;
    out.time("counterexamples", || {
        counterexamples(&cfg, &setup, &out, &mut report)
    })?;
    out.time("low-rank wide shapes", || {
        wide_low_rank(&cfg, &setup, &seeds, &out, &mut report)
    })?;
    out.time("missing direction", || {
        missing_direction(&cfg, &seeds, &out, &mut report)
    })?;
    out.time("ode cross-check", || {
        ode_cross_check(&cfg, &setup, &out, &mut report)
    })?;

    out.finish(NAME, &report, &seeds, &cfg)
}

/// Section 1: eigenvalue curves for several r.
fn curves(cfg: &Config, setup: &Setup, out: &Outputs, report: &mut Report) -> Result<()> {
    let l = setup.target.eigenvalues();
    let n = l.len();
    let times = linspace(0.0, setup.horizon, cfg.time_points);
    let mut figures = Vec::new();
    for &r in &cfg.figure_ranks {
        let traj = setup.trajectory(&setup.shape(r), cfg.alpha)?;
        let eig = traj.eigenvalues(&times)?;
        let mut header = vec!["t".to_string()];
        header.extend((1..=n).map(|i| format!("lambda_{i}")));
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let rows: Vec<Vec<String>> = times
            .iter()
            .zip(&eig)
            .map(|(t, e)| {
                std::iter::once(num(*t))
                    .chain(e.iter().map(|v| num(*v)))
                    .collect()
            })
            .collect();
        out.csv(&format!("curves-r{r}.csv"), &header, &rows)?;
        let mut plot = LinePlot::new(
            format!(
                "Eigenvalues of W(t), r = {r} columns, alpha = {}",
                short(cfg.alpha, 2)
            ),
            "time t (units of 1/eigenvalue of Y)",
            "eigenvalue of W(t) (log scale)",
        );
        plot.log_y = true;
        for i in 0..r.min(n) {
            let pts = times.iter().zip(&eig).map(|(t, e)| (*t, e[i])).collect();
            plot.series
                .push(Series::line(format!("lambda_{}", i + 1), pts));
        }
        for (i, &li) in l.iter().enumerate().take(setup.k_rank) {
            plot.markers.push(Marker::Horizontal(li, i));
            plot.marker_label = "dashed: the eigenvalues of Y".into();
        }
        figures.push(figure_markdown(
            out,
            &format!("curves_r{r}"),
            &plot,
            &format!(
                "r = {r}: the {} nonzero eigenvalues of W(t) (W has rank {r}). Dashed: the targets l_1..l_K. Data: curves-r{r}.csv.",
                r.min(n)
            ),
        )?);
    }
    report.set("curve_figures", figures.join("\n\n"));
    Ok(())
}

fn window_text(w: &[(f64, f64)], end: f64) -> String {
    if w.is_empty() {
        return "never".into();
    }
    w.iter()
        .map(|(a, b)| {
            if (*b - end).abs() <= 1e-12 * end {
                format!("[{}, end]", short(*a, 4))
            } else {
                format!("[{}, {}]", short(*a, 4), short(*b, 4))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Section 2: limits and ε-windows for every r, against Theorem 4 for the full-rank shape.
fn limits_and_windows(
    cfg: &Config,
    setup: &Setup,
    out: &Outputs,
    report: &mut Report,
) -> Result<()> {
    let l = setup.target.eigenvalues();
    let k_rank = setup.k_rank;
    let t_end = setup.horizon;
    let grid = linspace(0.0, t_end, cfg.time_points);
    // Theorem 4 for the full-rank shape the columns are taken from.
    let full = Init::new(cfg.alpha, setup.full_shape.as_ref())?;
    let t4 = theorems::theorem4(&setup.target, &full, cfg.eps, 0)?;
    let t4_text = match (&t4.reason, t4.m) {
        (None, Some(m)) => format!("applies to the full-rank shape (M = {})", short(m, 3)),
        (Some(why), Some(m)) => format!(
            "does not apply to the full-rank shape (M = {}): {why}",
            short(m, 3)
        ),
        (Some(why), None) => format!("does not apply to the full-rank shape: {why}"),
        (None, None) => "applies".into(),
    };
    report.set("theorem4_full", t4_text);

    let bar = progress::bar(cfg.ranks.len() as u64, "ranks");
    let mut limit_rows = Vec::new();
    let mut window_rows = Vec::new();
    let mut csv = Vec::new();
    let mut worst_limit = 0.0f64;
    let mut starts: Vec<Vec<Option<f64>>> = Vec::new();
    let mut contained = (0usize, 0usize);
    for &r in &cfg.ranks {
        let traj = setup.trajectory(&setup.shape(r), cfg.alpha)?;
        let learned = r.min(k_rank);
        // Limit: far past every transition (10 horizons).
        let far = 10.0 * t_end;
        let eig = traj.eigenvalues(&[far])?.remove(0);
        let dist = errors_to_rank_k(&traj, learned, &[far])?[0];
        worst_limit = worst_limit.max(dist);
        let next = if learned < eig.len() {
            eig[learned]
        } else {
            0.0
        };
        limit_rows.push(vec![
            r.to_string(),
            traj.rank().to_string(),
            learned.to_string(),
            short(dist, 2),
            short(next, 2),
        ]);
        let mut row_starts = Vec::new();
        for k in 1..=learned {
            let windows = windows_within(&traj, k, cfg.eps, &grid)?;
            let interval = t4.intervals.get(k - 1).copied();
            let contains = match (interval, windows.first()) {
                (Some(iv), Some(&(a, b))) if !iv.is_empty() && windows.len() == 1 => {
                    let iv_end = iv.end.unwrap_or(t_end).min(t_end);
                    Some(a <= iv.start && b >= iv_end)
                }
                (Some(iv), _) if iv.is_empty() => None,
                _ => Some(false),
            };
            if let Some(c) = contains {
                contained.1 += 1;
                if c {
                    contained.0 += 1;
                }
            }
            row_starts.push(windows.first().map(|w| w.0));
            window_rows.push(vec![
                r.to_string(),
                k.to_string(),
                window_text(&windows, t_end),
                interval.map_or("-".into(), |iv| match iv.end {
                    Some(e) => format!("[{}, {}]", short(iv.start, 4), short(e, 4)),
                    None => format!("[{}, inf)", short(iv.start, 4)),
                }),
                contains.map_or("(empty I_k)".into(), |c| {
                    if c {
                        "yes".into()
                    } else {
                        "no".into()
                    }
                }),
            ]);
            for (a, b) in &windows {
                csv.push(vec![r.to_string(), k.to_string(), num(*a), num(*b)]);
            }
        }
        starts.push(row_starts);
        bar.inc(1);
    }
    bar.finish_and_clear();
    out.csv(
        "windows.csv",
        &["r", "k", "window_start", "window_end"],
        &csv,
    )?;
    report.table(
        "limit_table",
        &[
            "r (columns)",
            "rank of W(0)",
            "min(r, K)",
            "||W(t) - Yhat_min(r,K)||_2 at t = 10 x horizon",
            "next eigenvalue of W",
        ],
        &limit_rows,
    );
    report.set("worst_limit", short(worst_limit, 2));
    report.check(
        "limits_reached",
        worst_limit <= cfg.eps,
        format!("largest distance to Yhat_min(r,K) far past the transitions: {worst_limit:e}"),
    );
    report.table(
        "window_table",
        &[
            "r",
            "k",
            "measured windows where ||W(t) - Yhat_k|| <= eps",
            "Theorem 4 interval I_k (full-rank shape)",
            "window contains I_k",
        ],
        &window_rows,
    );
    report.set("horizon", short(t_end, 4));
    report.set("contained", format!("{} of {}", contained.0, contained.1));
    report.check(
        "all_contained",
        contained.1 > 0 && contained.0 == contained.1,
        format!(
            "{} of {} windows contain the full-rank interval",
            contained.0, contained.1
        ),
    );
    // Window starts: how far the schedule moves with r.
    let full_idx = cfg.ranks.iter().position(|&r| r == l.len());
    let shift = match full_idx {
        None => "The ranks do not include r = n, so window starts are not compared with the full-rank shape's.".to_string(),
        Some(fi) => {
            let mut worst = 0.0f64;
            let mut count = 0;
            for (ri, row) in starts.iter().enumerate() {
                if ri == fi {
                    continue;
                }
                for (k, s) in row.iter().enumerate() {
                    if let (Some(s), Some(Some(f))) = (s, starts[fi].get(k)) {
                        worst = worst.max((s - f).abs() / f);
                        count += 1;
                    }
                }
            }
            if count == 0 {
                "No window start could be compared with the full-rank shape's.".to_string()
            } else if worst <= cfg.conjecture_tolerance {
                format!(
                    "The windows also begin on the full-rank schedule: across the {count} (r, k) pairs with r < n, \
                     within {} % (tolerance {} %) of where they begin for the full-rank shape.",
                    short(worst * 100.0, 2),
                    short(cfg.conjecture_tolerance * 100.0, 2)
                )
            } else {
                format!(
                    "The windows do not begin on exactly the full-rank schedule: across the {count} (r, k) pairs with \
                     r < n, a window begins up to {} % away from where it begins for the full-rank shape (more than the \
                     tolerance of {} %), so no claim about the exact schedule is made — only the containment above.",
                    short(worst * 100.0, 2),
                    short(cfg.conjecture_tolerance * 100.0, 2)
                )
            }
        }
    };
    report.set("schedule_shift", shift);
    Ok(())
}

/// Section 2, continued: why the full-rank intervals do not carry over in general. In the
/// eigenbasis, the first `r` columns of the full-rank shape get their component along the
/// eigenvector of `l_j` multiplied by `delta` (the other columns are untouched, so the
/// full-rank shape stays well conditioned and Theorem 4 still applies to it); the rank-r shape
/// then sees that direction only through `sigma_min(Phi_j^T U_r)`, and its error on the
/// full-rank shape's intervals is measured.
fn counterexamples(cfg: &Config, setup: &Setup, out: &Outputs, report: &mut Report) -> Result<()> {
    let l = setup.target.eigenvalues();
    let n = l.len();
    let j = cfg.counterexample_direction - 1;
    let r = cfg.counterexample_columns;
    let phi = setup.target.phi();
    let mut rows = Vec::new();
    let mut worst = 0.0f64;
    let mut applied = 0usize;
    for &delta in &cfg.counterexample_deltas {
        // In the eigenbasis, row j of the shape: its first r entries times delta, the others
        // scaled up so that the row keeps its norm (the full-rank shape stays well conditioned).
        let mut g = phi.transpose() * &setup.full_shape;
        let norm2 = |g: &Mat<f64>, cols: std::ops::Range<usize>| -> f64 {
            cols.map(|c| g[(j, c)] * g[(j, c)]).sum()
        };
        let (head, tail) = (norm2(&g, 0..r), norm2(&g, r..n));
        let up = ((head * (1.0 - delta * delta) + tail) / tail).sqrt();
        for c in 0..n {
            g[(j, c)] *= if c < r { delta } else { up };
        }
        let full = phi * &g;
        // At half the largest alpha Theorem 4 allows for the full-rank shape, so that it
        // applies and its intervals are nonempty.
        let m = theorems::theorem4(
            &setup.target,
            &Init::new(cfg.alpha, full.as_ref())?,
            cfg.eps,
            0,
        )?
        .m
        .ok_or_else(|| lab_err!("counterexample shape is singular"))?;
        let alpha = 0.5
            * theorems::theorem4_largest_alpha(l, cfg.eps, m)
                .ok_or_else(|| lab_err!("Theorem 4 has no alpha for the counterexample shape"))?;
        let init_full = Init::new(alpha, full.as_ref())?;
        let t4 = theorems::theorem4(&setup.target, &init_full, cfg.eps, 0)?;
        let part = full.subcols(0, r).to_owned();
        let seen = (phi.transpose() * &part).subrows(j, 1).to_owned();
        let seen_norm = seen.row(0).iter().map(|v| v * v).sum::<f64>().sqrt();
        let errors = theorems::measure(
            &setup.target,
            &Init::new(alpha, part.as_ref())?,
            &t4.intervals[..r.min(t4.intervals.len())],
            cfg.counterexample_points,
        )?;
        let ratio = errors
            .iter()
            .flatten()
            .fold(0.0f64, |a, &e| a.max(e / cfg.eps));
        if t4.applies {
            applied += 1;
            worst = worst.max(ratio);
        }
        rows.push(vec![
            short(delta, 1),
            short(m, 3),
            short(alpha, 2),
            if t4.applies {
                "yes".into()
            } else {
                "no".into()
            },
            short(seen_norm, 2),
            short(ratio, 3),
        ]);
    }
    let _ = out;
    report.table(
        "counterexample_table",
        &[
            "delta",
            "M of the full-rank shape",
            "alpha (half Theorem 4's largest)",
            "Theorem 4 applies to it",
            "norm of Phi_j^T U_r (what the first r columns see of direction j)",
            "largest error of the rank-r shape on I_1..I_r, / eps",
        ],
        &rows,
    );
    report.set("counterexample_columns", r.to_string());
    report.set("counterexample_direction", (j + 1).to_string());
    report.set("counterexample_worst", short(worst, 3));
    report.check(
        "counterexample_found",
        applied > 0 && worst > 1.0,
        format!("largest error/eps where Theorem 4 applies to the full shape: {worst}"),
    );
    Ok(())
}

/// Section 3: r ≥ n columns but rank q < n.
fn wide_low_rank(
    cfg: &Config,
    setup: &Setup,
    seeds: &Seeds,
    _out: &Outputs,
    report: &mut Report,
) -> Result<()> {
    let n = setup.target.n();
    let cols = n + cfg.extra_columns;
    let mut rows = Vec::new();
    let mut worst = 0.0f64;
    let far = 10.0 * setup.horizon;
    for &q in &cfg.deficient_ranks {
        let mut rng = seeds.indexed("wide-low-rank-shape", q as u64);
        let a = gaussian(n, q, 1.0 / (n as f64).sqrt(), &mut rng);
        let b = gaussian(q, cols, 1.0 / (q as f64).sqrt(), &mut rng);
        let shape = &a * &b;
        let traj = setup.trajectory(&shape, cfg.alpha)?;
        let learned = q.min(setup.k_rank);
        let eig = traj.eigenvalues(&[far])?.remove(0);
        let dist = errors_to_rank_k(&traj, learned, &[far])?[0];
        worst = worst.max(dist);
        rows.push(vec![
            format!("{n} x {cols}"),
            q.to_string(),
            traj.rank().to_string(),
            eig.iter()
                .map(|v| short(*v, 3))
                .collect::<Vec<_>>()
                .join(", "),
            short(dist, 2),
        ]);
    }
    report.table(
        "wide_table",
        &[
            "shape",
            "rank q",
            "rank detected",
            "eigenvalues of W at t = 10 x horizon",
            "||W - Yhat_q||_2",
        ],
        &rows,
    );
    report.check(
        "wide_rank_decides",
        worst <= cfg.eps,
        format!("largest ||W - Yhat_q|| at the end: {worst:e}"),
    );
    Ok(())
}

/// Section 4: a shape with no component along eigenvector j, and small leaks along it.
fn missing_direction(
    cfg: &Config,
    seeds: &Seeds,
    out: &Outputs,
    report: &mut Report,
) -> Result<()> {
    // A diagonal target: its eigenbasis is exact, so "no component along e_j" is exact in f64.
    let target = Target::diagonal(&cfg.eigenvalues)?;
    let l = target.eigenvalues().to_vec();
    let n = l.len();
    let j = cfg.missing_direction - 1;
    let lj = l[j];
    // The shape in the target's eigenbasis (Φ is a permutation, applied exactly).
    let base = gaussian(
        n,
        n,
        1.0 / (n as f64).sqrt(),
        &mut seeds.stream("missing-direction-shape"),
    );
    let leak_row: Vec<f64> = (0..n).map(|c| base[(j, c)]).collect();
    let leak_norm2: f64 = leak_row.iter().map(|v| v * v).sum();
    let shape_with = |delta: f64| -> Result<Mat<f64>> {
        let eig_shape = Mat::from_fn(n, n, |i, c| {
            if i == j {
                delta * leak_row[c]
            } else {
                base[(i, c)]
            }
        });
        Ok(target.from_eigenbasis(eig_shape.as_ref()))
    };
    let k_rank = target.positive_rank();
    // Past the latest transition: the smallest leak's mode, and the smallest eigenvalue's.
    let smallest_leak = cfg.leak_sizes.iter().fold(1.0f64, |m, d| m.min(*d));
    let horizon = (1.5 * (1.0 / (cfg.alpha * smallest_leak * smallest_leak)).ln() / (2.0 * lj))
        .max(1.5 * (1.0 / cfg.alpha).ln().max(2.0) / (2.0 * l[k_rank - 1]));
    let times = linspace(0.0, horizon, cfg.time_points);
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
    let mut rows = Vec::new();
    // delta = 0: exactly missing.
    let exact = Trajectory::new(
        &target,
        &Init::new(cfg.alpha, shape_with(0.0)?.as_ref())?,
        Form::Auto,
    )?;
    let ws = exact.w_eigenbasis(&times)?;
    let max_jj = ws
        .iter()
        .map(|w| (0..n).map(|c| w[(j, c)].abs()).fold(0.0f64, f64::max))
        .fold(0.0f64, f64::max);
    let far = exact.w_eigenbasis(&[10.0 * horizon])?.remove(0);
    let without_j = Mat::from_fn(n, n, |a, b| if a == b && a != j { l[a] } else { 0.0 });
    let dist_exact = metrics::spectral_norm_symmetric((&far - &without_j).as_ref())?;
    report.set("missing_index", (j + 1).to_string());
    report.set("missing_value", short(lj, 3));
    report.set("missing_row_max", short(max_jj, 2));
    report.set("missing_limit", short(dist_exact, 2));
    for (c, &delta) in cfg.leak_sizes.iter().enumerate() {
        let traj = Trajectory::new(
            &target,
            &Init::new(cfg.alpha, shape_with(delta)?.as_ref())?,
            Form::Auto,
        )?;
        let ws = traj.w_eigenbasis(&times)?;
        let pts: Vec<(f64, f64)> = times
            .iter()
            .zip(&ws)
            .map(|(t, w)| (*t, w[(j, j)]))
            .collect();
        plot.series
            .push(Series::line(format!("leak delta = {}", short(delta, 1)), pts).coloured(c));
        // Crossing of W̃_jj = l_j/2, by bisection on the exact trajectory.
        let jj = |t: f64| -> Result<f64> { Ok(traj.w_eigenbasis(&[t])?[0][(j, j)]) };
        let measured = match ws.iter().position(|w| w[(j, j)] >= lj / 2.0) {
            None => None,
            Some(0) => Some(0.0),
            Some(p) => {
                let (mut lo, mut hi) = (times[p - 1], times[p]);
                for _ in 0..60 {
                    let mid = 0.5 * (lo + hi);
                    if jj(mid)? >= lj / 2.0 {
                        hi = mid;
                    } else {
                        lo = mid;
                    }
                }
                Some(0.5 * (lo + hi))
            }
        };
        // Linear-phase prediction: W̃_jj grows like α δ² ‖row‖² e^{2 l_j t}.
        let predicted = (lj / (2.0 * cfg.alpha * delta * delta * leak_norm2)).ln() / (2.0 * lj);
        rows.push(vec![
            short(delta, 1),
            short(predicted, 4),
            measured.map_or("not reached".into(), |t| short(t, 4)),
            measured.map_or("-".into(), |t| short((t - predicted).abs() / predicted, 2)),
        ]);
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

/// Section 5: the factor form against the adaptive ODE integrator.
/// The looser integrator tolerance that shows whose error the ODE cross-check measures.
const LOOSE_RTOL: f64 = 1e-9;

fn ode_cross_check(cfg: &Config, setup: &Setup, out: &Outputs, report: &mut Report) -> Result<()> {
    let times = linspace(0.0, setup.horizon, cfg.ode_points);
    let mut rows = Vec::new();
    let mut csv = Vec::new();
    let mut worst = 0.0f64;
    let mut loose_worst = 0.0f64;
    let mut routes: Option<f64> = None;
    let loose = OdeOptions {
        rtol: LOOSE_RTOL,
        ..OdeOptions::default()
    };
    for &r in &cfg.ode_ranks {
        let shape = setup.shape(r);
        let init = Init::new(cfg.alpha, shape.as_ref())?;
        let traj = Trajectory::new(&setup.target, &init, Form::Auto)?;
        let exact = traj.w(&times)?;
        let difference = |options: OdeOptions| -> Result<(f64, usize)> {
            let (us, stats) =
                integrate_factor(setup.target.y(), init.u0().as_ref(), &times, options)?;
            let d = us
                .iter()
                .zip(&exact)
                .map(|(u, w)| metrics::max_abs_diff((u * u.transpose()).as_ref(), w.as_ref()))
                .fold(0.0f64, f64::max);
            Ok((d, stats.accepted + stats.rejected))
        };
        let (d, steps) = difference(OdeOptions::default())?;
        loose_worst = loose_worst.max(difference(loose)?.0);
        worst = worst.max(d);
        // The other closed-form route (factor form where the inverse form was used): two
        // independent evaluations of the same formula.
        if traj.form() == Form::Inverse {
            let other = Trajectory::new(&setup.target, &init, Form::Factor)?.w(&times)?;
            let gap = other
                .iter()
                .zip(&exact)
                .map(|(a, b)| metrics::max_abs_diff(a.as_ref(), b.as_ref()))
                .fold(0.0f64, f64::max);
            routes = Some(routes.map_or(gap, |g: f64| g.max(gap)));
        }
        let form = match traj.form() {
            Form::Inverse => "inverse",
            _ => "factor",
        };
        rows.push(vec![
            r.to_string(),
            form.into(),
            steps.to_string(),
            short(d, 2),
        ]);
        csv.push(vec![r.to_string(), form.into(), num(d)]);
    }
    out.csv(
        "ode-cross-check.csv",
        &["r", "closed_form_route", "max_abs_difference"],
        &csv,
    )?;
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
    report.set("ode_worst", short(worst, 2));
    report.set("ode_loose_worst", short(loose_worst, 2));
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
    report.set("ode_points", cfg.ode_points.to_string());
    Ok(())
}

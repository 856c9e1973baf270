//! Part 3: `r < n`. Proposition R (`mfflow::rank_deficient_bound`) claims
//! `‖W(t) − Ŷ_k‖ ≤ eps` on windows `J_k` computed from `σ_k = σ_min(Φ_kᵀ Ū₀)`,
//! `τ_k = ‖F₂ F₁⁺‖` and `‖Ū₀‖²`. Measured on exact trajectories: random Gaussian shapes, and
//! shapes found by a search that maximizes the error on the claimed windows (random moves of
//! the whole shape and rescalings of one of its rows in the eigenbasis, which make a direction
//! weakly seen; a move is kept when the error does not decrease). Also: the withdrawn
//! conjecture (windows contain the full-rank shape's Theorem 4 intervals) on shapes built to
//! break it, against Proposition R on the same shapes.

use crate::config::{Config, Rank};
use mfflow::analysis::{errors_to_rank_k, linspace};
use mfflow::rank_deficient_bound::{error_bound, quantities, window};
use mfflow::theorems::{self, theorem4_largest_alpha};
use mfflow::{Form, Init, Mat, Target, Trajectory};
use mfflow_lab::instances::gaussian;
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Marker, Series};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::{lab_err, progress, Result};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

/// The worst of one shape over its windows.
#[derive(Clone, Default)]
pub struct Score {
    /// For each `k = 1..K`: `max ‖W − Ŷ_k‖/eps` over `J_k`'s grid (0 when there is no window).
    pub over_eps: Vec<f64>,
    /// `max ‖W(t) − Ŷ_k‖/max(B_k(t), floor)` over a grid of the whole learning and every
    /// `J_k`'s grid, every `k` with `σ_k > 0` (`floor`: see [`rounding_floor`]).
    pub over_bound: f64,
    /// The number of nonempty windows.
    pub windows: usize,
}

/// Per number of columns.
pub struct Columns {
    pub r: usize,
    pub random: Vec<Score>,
    /// For each `k ≤ min(r, K)`: the searches that maximize the error on `J_k`.
    pub per_k: Vec<Vec<Score>>,
    /// The searches that maximize the error over the pointwise bound.
    pub against_bound: Vec<Score>,
}

/// One delta of the withdrawn conjecture.
pub struct Conjecture {
    pub delta: f64,
    pub sigma: f64,
    /// Largest error / eps of the rank-r shape on the full shape's Theorem 4 intervals.
    pub on_theorem4: f64,
    /// The same on its own Proposition R windows, and how many there are.
    pub on_r: f64,
    pub windows: usize,
    /// Start of Theorem 4's `I_r` (full shape) and of Proposition R's `J_r` (the r columns).
    pub theorem4_start: f64,
    pub r_start: Option<f64>,
}

/// What part 3 measured.
pub struct Data {
    pub eps: f64,
    pub alpha: f64,
    pub l: Vec<f64>,
    pub floor: f64,
    pub columns: Vec<Columns>,
    pub worst: Curve,
    pub conjecture: Vec<Conjecture>,
    pub conjecture_columns: usize,
    pub conjecture_direction: usize,
    pub steps: usize,
    pub starts: usize,
}

/// The measured error carries rounding of about `n ε_mach ‖Y‖` (an eigenvalue computation on a
/// matrix with entries up to `l_1`), while `B_k(t)` falls to the `alpha`-level size of the
/// null-space part for `k = K`: below `16 n ε_mach l_1` the error is compared with that floor.
pub fn rounding_floor(l: &[f64]) -> f64 {
    16.0 * l.len() as f64 * f64::EPSILON * l[0]
}

/// Proposition R's windows for a shape, the measured error on them, and the measured error
/// against the pointwise bound.
fn score(target: &Target, shape: &Mat<f64>, cfg: &Rank) -> Result<Score> {
    let init = Init::new(cfg.alpha, shape.as_ref())?;
    let l = target.eigenvalues();
    let k_rank = target.positive_rank();
    let qs = quantities(target, &init, k_rank)?;
    let traj = Trajectory::new(target, &init, Form::Auto)?;
    let floor = rounding_floor(l);
    let horizon = 3.0 * (1.0 / cfg.alpha).ln() / (2.0 * l[k_rank - 1]);
    let global = linspace(horizon / 100.0, horizon, 100);
    let mut s = Score {
        over_eps: vec![0.0; k_rank],
        ..Score::default()
    };
    for q in qs.iter().filter(|q| q.sigma > 0.0) {
        let grid = window(l, q, cfg.alpha, cfg.eps).map_or(Vec::new(), |j| j.grid(cfg.grid_points));
        s.windows += usize::from(!grid.is_empty());
        for (&t, e) in grid.iter().zip(errors_to_rank_k(&traj, q.k, &grid)?) {
            s.over_eps[q.k - 1] = s.over_eps[q.k - 1].max(e / cfg.eps);
            s.over_bound = s
                .over_bound
                .max(e / error_bound(l, q, cfg.alpha, t).max(floor));
        }
        for (&t, e) in global.iter().zip(errors_to_rank_k(&traj, q.k, &global)?) {
            s.over_bound = s
                .over_bound
                .max(e / error_bound(l, q, cfg.alpha, t).max(floor));
        }
    }
    Ok(s)
}

/// A random move: a Gaussian perturbation of the whole shape, or one row rescaled.
fn perturb(shape: &Mat<f64>, step: f64, rng: &mut impl Rng) -> Mat<f64> {
    let (n, r) = (shape.nrows(), shape.ncols());
    if rng.random_bool(0.5) {
        let norm = (0..n)
            .flat_map(|i| (0..r).map(move |j| (i, j)))
            .map(|(i, j)| shape[(i, j)].powi(2))
            .sum::<f64>()
            .sqrt();
        let size = step * norm / ((n * r) as f64).sqrt();
        Mat::from_fn(n, r, |i, j| {
            let z: f64 = StandardNormal.sample(rng);
            shape[(i, j)] + size * z
        })
    } else {
        let row = rng.random_range(0..n);
        let z: f64 = StandardNormal.sample(rng);
        let factor = (2.0 * step * z).exp();
        Mat::from_fn(n, r, |i, j| {
            if i == row {
                factor * shape[(i, j)]
            } else {
                shape[(i, j)]
            }
        })
    }
}

/// Hill climbing on `objective` from one random shape. Returns the best score and shape.
fn search(
    target: &Target,
    start: Mat<f64>,
    cfg: &Rank,
    rng: &mut impl Rng,
    objective: impl Fn(&Score) -> f64,
) -> Result<(Score, Mat<f64>)> {
    let mut best = (score(target, &start, cfg)?, start);
    let mut step = 1.0f64;
    for _ in 0..cfg.search_steps {
        let candidate = perturb(&best.1, step, rng);
        let s = score(target, &candidate, cfg)?;
        if s.windows > 0 && objective(&s) >= objective(&best.0) {
            best = (s, candidate);
            step = (step * 1.5).min(4.0);
        } else {
            step = (step * 0.7).max(1e-3);
        }
    }
    Ok(best)
}

/// The searches of one `r`, in parallel (each from its own named stream, so the result does
/// not depend on the thread count): for each `k`, maximizing the error on `J_k`; then
/// maximizing the error over the bound. Returns also the worst case at a rank `k >= 2` (where
/// `tau_k` enters), or at `k = 1` if there is none.
#[allow(clippy::type_complexity)]
fn searches(
    target: &Target,
    rc: &Rank,
    r: usize,
    seeds: &Seeds,
) -> Result<(Vec<Vec<Score>>, Vec<Score>, Option<(f64, usize, Mat<f64>)>)> {
    let n = rc.eigenvalues.len();
    let scale = 1.0 / (n as f64).sqrt();
    let k_max = r.min(target.positive_rank());
    // Job (k, start); k = 0 is the search against the bound.
    let jobs: Vec<(usize, usize)> = (0..=k_max)
        .flat_map(|k| (0..rc.search_starts).map(move |i| (k, i)))
        .collect();
    let found: Vec<(usize, Score, Mat<f64>)> = jobs
        .par_iter()
        .map(|&(k, i)| {
            let index = (r * 100 + k) * 10_000 + i;
            let mut rng = seeds.indexed("rank-search", index as u64);
            let start = gaussian(n, r, scale, &mut rng);
            let (s, shape) = if k == 0 {
                search(target, start, rc, &mut rng, |s| s.over_bound)?
            } else {
                search(target, start, rc, &mut rng, |s| s.over_eps[k - 1])?
            };
            Ok((k, s, shape))
        })
        .collect::<Result<_>>()?;
    let mut worst: Option<(f64, usize, Mat<f64>)> = None;
    let mut per_k = vec![Vec::new(); k_max];
    let mut against_bound = Vec::new();
    for (k, s, shape) in found {
        if k == 0 {
            against_bound.push(s);
            continue;
        }
        let key = s.over_eps[k - 1] + if k >= 2 { 10.0 } else { 0.0 };
        if worst.as_ref().is_none_or(|w| key > w.0) {
            worst = Some((key, k, shape));
        }
        per_k[k - 1].push(s);
    }
    Ok((per_k, against_bound, worst))
}

/// Measures random and searched shapes for every `r`, and the withdrawn conjecture.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let rc = &cfg.rank;
    let target = Target::diagonal(&rc.eigenvalues)?;
    let (n, k_rank) = (rc.eigenvalues.len(), target.positive_rank());
    let runs: usize = rc.columns.iter().map(|&r| r.min(k_rank) + 1).sum();
    let bar = progress::bar(
        (rc.columns.len() * rc.random_shapes + runs * rc.search_starts) as u64,
        "r < n",
    );
    let mut columns = Vec::new();
    let mut worst: Option<(f64, usize, Mat<f64>)> = None;
    for &r in &rc.columns {
        let mut rng = seeds.indexed("rank-random", r as u64);
        let mut random = Vec::new();
        for _ in 0..rc.random_shapes {
            let shape = gaussian(n, r, 1.0 / (n as f64).sqrt(), &mut rng);
            random.push(score(&target, &shape, rc)?);
            bar.inc(1);
        }
        let (per_k, against_bound, found) = searches(&target, rc, r, seeds)?;
        bar.inc(((r.min(k_rank) + 1) * rc.search_starts) as u64);
        if let Some(f) = found {
            if worst.as_ref().is_none_or(|w| f.0 > w.0) {
                worst = Some(f);
            }
        }
        columns.push(Columns {
            r,
            random,
            per_k,
            against_bound,
        });
    }
    bar.finish_and_clear();
    let (_, worst_k, worst) =
        worst.ok_or_else(|| lab_err!("rank: no adversarial search ran (search_starts = 0)"))?;
    Ok(Data {
        eps: rc.eps,
        alpha: rc.alpha,
        l: target.eigenvalues().to_vec(),
        floor: rounding_floor(target.eigenvalues()),
        columns,
        worst: curve(&target, rc, &worst, worst_k)?,
        conjecture: conjecture(&target, rc, seeds)?,
        conjecture_columns: rc.conjecture_columns,
        conjecture_direction: rc.conjecture_direction,
        steps: rc.search_steps,
        starts: rc.search_starts,
    })
}

/// The full-rank shape with row `j` (eigenbasis) of its first `r` columns scaled by delta and
/// of the others scaled up so that the row keeps its norm.
fn weakened(full: &Mat<f64>, j: usize, r: usize, delta: f64) -> Mat<f64> {
    let n = full.ncols();
    let norm2 = |c: std::ops::Range<usize>| -> f64 { c.map(|c| full[(j, c)].powi(2)).sum() };
    let (head, tail) = (norm2(0..r), norm2(r..n));
    let up = ((head * (1.0 - delta * delta) + tail) / tail).sqrt();
    Mat::from_fn(full.nrows(), n, |i, c| {
        full[(i, c)]
            * if i != j {
                1.0
            } else if c < r {
                delta
            } else {
                up
            }
    })
}

fn conjecture(target: &Target, rc: &Rank, seeds: &Seeds) -> Result<Vec<Conjecture>> {
    let n = rc.eigenvalues.len();
    let l = target.eigenvalues();
    let full = gaussian(
        n,
        n,
        1.0 / (n as f64).sqrt(),
        &mut seeds.stream("rank-conjecture"),
    );
    let (j, r) = (rc.conjecture_direction - 1, rc.conjecture_columns);
    rc.conjecture_deltas
        .iter()
        .map(|&delta| {
            let shape = weakened(&full, j, r, delta);
            let m = crate::common::theorem4_m(&shape)?;
            let alpha = 0.5
                * theorem4_largest_alpha(l, rc.eps, m)
                    .ok_or_else(|| lab_err!("rank: Theorem 4 has no alpha for the full shape"))?;
            let t4 = theorems::theorem4(target, &Init::new(alpha, shape.as_ref())?, rc.eps, 0)?;
            if !t4.applies {
                return Err(lab_err!(
                    "rank: Theorem 4 does not apply to the full shape: {:?}",
                    t4.reason
                ));
            }
            let part = shape.subcols(0, r).to_owned();
            let part_init = Init::new(alpha, part.as_ref())?;
            let on_t4 = theorems::measure(
                target,
                &part_init,
                &t4.intervals[..r.min(t4.intervals.len())],
                rc.grid_points,
            )?;
            let cfg = Rank {
                alpha,
                ..rc.clone()
            };
            let s = score(target, &part, &cfg)?;
            let q = quantities(target, &part_init, r)?;
            Ok(Conjecture {
                delta,
                sigma: q[r - 1].sigma,
                on_theorem4: on_t4
                    .iter()
                    .flatten()
                    .fold(0.0f64, |a, &e| a.max(e / rc.eps)),
                on_r: s.over_eps.iter().copied().fold(0.0, f64::max),
                windows: s.windows,
                theorem4_start: t4.intervals[r - 1].start,
                r_start: window(l, &q[r - 1], alpha, rc.eps).map(|j| j.start),
            })
        })
        .collect()
}

/// Writes `rank.csv`, `conjecture.csv`, the figure, and fills part 3.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    write(data, out)?;
    table(data, report);
    conjecture_table(data, report);
    figure(data, out, report)
}

fn write(data: &Data, out: &Outputs) -> Result<()> {
    let mut rows = Vec::new();
    for c in &data.columns {
        let mut push = |kind: String, s: &Score| {
            let mut row = vec![
                c.r.to_string(),
                kind,
                s.windows.to_string(),
                num(s.over_bound),
            ];
            // Empty where there is no window at that k (an error on a window is never 0).
            row.extend(
                s.over_eps
                    .iter()
                    .map(|&v| if v > 0.0 { num(v) } else { String::new() }),
            );
            rows.push(row);
        };
        c.random.iter().for_each(|s| push("random".into(), s));
        for (k, found) in c.per_k.iter().enumerate() {
            found
                .iter()
                .for_each(|s| push(format!("search-k{}", k + 1), s));
        }
        c.against_bound
            .iter()
            .for_each(|s| push("search-bound".into(), s));
    }
    let k_rank = data.l.iter().filter(|&&v| v > 0.0).count();
    let mut header: Vec<String> = ["r", "shape", "nonempty_windows", "max_error_over_bound"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend((1..=k_rank).map(|k| format!("max_error_over_eps_k{k}")));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    out.csv("rank.csv", &header, &rows)?;
    let rows: Vec<Vec<String>> = data
        .conjecture
        .iter()
        .map(|c| {
            vec![
                num(c.delta),
                num(c.sigma),
                num(c.on_theorem4),
                num(c.on_r),
                c.windows.to_string(),
                num(c.theorem4_start),
                c.r_start.map_or(String::new(), num),
            ]
        })
        .collect();
    out.csv(
        "conjecture.csv",
        &[
            "delta",
            "sigma_r",
            "max_error_over_eps_theorem4_intervals",
            "max_error_over_eps_proposition_r",
            "proposition_r_windows",
            "theorem4_start_i_r",
            "proposition_r_start_j_r",
        ],
        &rows,
    )
}

/// Per k, the largest error over eps among `scores` (`-` where no window at k).
fn per_k_cell(scores: &[&Score], k_max: usize) -> String {
    (0..k_max)
        .map(|k| {
            let v = scores.iter().map(|s| s.over_eps[k]).fold(0.0f64, f64::max);
            if v > 0.0 {
                short(v, 3)
            } else {
                "-".into()
            }
        })
        .collect::<Vec<_>>()
        .join(" / ")
}

fn table(data: &Data, report: &mut Report) {
    let k_rank = data.l.iter().filter(|&&v| v > 0.0).count();
    let mut all: Vec<&Score> = Vec::new();
    let rows: Vec<Vec<String>> = data
        .columns
        .iter()
        .map(|c| {
            let random: Vec<&Score> = c.random.iter().collect();
            let searched: Vec<&Score> = c.per_k.iter().flatten().collect();
            let every: Vec<&Score> = random
                .iter()
                .chain(&searched)
                .copied()
                .chain(&c.against_bound)
                .collect();
            all.extend(&every);
            let k_max = c.r.min(k_rank);
            vec![
                c.r.to_string(),
                format!(
                    "{} ({} windows)",
                    c.random.len(),
                    c.random.iter().map(|s| s.windows).sum::<usize>()
                ),
                per_k_cell(&random, k_max),
                per_k_cell(&searched, k_max),
                short(every.iter().map(|s| s.over_bound).fold(0.0f64, f64::max), 4),
            ]
        })
        .collect();
    report.table(
        "rank_table",
        &[
            "r",
            "random shapes (nonempty windows J_k)",
            "largest error / eps on J_k, k = 1 / 2 / ..., random",
            "the same, adversarial search (one per k)",
            "largest error / max(B_k(t), floor), every shape",
        ],
        &rows,
    );
    let worst = all
        .iter()
        .flat_map(|s| s.over_eps.iter().copied())
        .fold(0.0f64, f64::max);
    let worst_bound = all.iter().map(|s| s.over_bound).fold(0.0f64, f64::max);
    let windows: usize = all.iter().map(|s| s.windows).sum();
    report.set("rank_worst", short(worst, 4));
    report.set("rank_worst_bound", format!("{worst_bound:.9}"));
    report.set("rank_windows", windows.to_string());
    report.set("rank_shapes", all.len().to_string());
    report.set("rank_floor", short(data.floor, 2));
    report.set("rank_alpha", short(data.alpha, 2));
    report.set("rank_eps", short(data.eps, 2));
    let l: Vec<String> = data.l.iter().map(|v| short(*v, 3)).collect();
    report.set("rank_eigenvalues", l.join(", "));
    report.set("search_steps", data.steps.to_string());
    report.set("search_starts", data.starts.to_string());
    report.check(
        "rank_holds",
        windows > 0 && worst <= 1.0 && worst_bound <= 1.0 + 1e-9,
        format!("worst error/eps {worst}, error/bound {worst_bound}, {windows} windows"),
    );
    // The learning term is exact to first order: the deficit of w_1 at the start of J_1 is
    // eps l_1/(l_1 + eps) for every shape, so error/eps there tends to 1/(1 + eps/l_1).
    let tight = 1.0 / (1.0 + data.eps / data.l[0]);
    report.set("tight_value", short(tight, 4));
    let higher = all
        .iter()
        .flat_map(|s| s.over_eps.iter().skip(1).copied())
        .fold(0.0f64, f64::max);
    report.set("rank_worst_higher", short(higher, 4));
    report.check(
        "first_rank_tight",
        (all.iter().map(|s| s.over_eps[0]).fold(0.0f64, f64::max) - tight).abs() < 1e-3,
        format!("largest error/eps at k = 1 against 1/(1 + eps/l_1) = {tight}"),
    );
}

fn conjecture_table(data: &Data, report: &mut Report) {
    let rows: Vec<Vec<String>> = data
        .conjecture
        .iter()
        .map(|c| {
            vec![
                short(c.delta, 1),
                short(c.sigma, 3),
                short(c.theorem4_start, 4),
                c.r_start.map_or("-".into(), |t| short(t, 4)),
                short(c.on_theorem4, 3),
                format!("{} ({} windows)", short(c.on_r, 3), c.windows),
            ]
        })
        .collect();
    report.table(
        "conjecture_table",
        &[
            "delta",
            "sigma_min(Phi_r^T U0bar) of the r columns",
            "start of Theorem 4's I_r (full shape)",
            "start of Proposition R's J_r (r columns)",
            "largest error / eps on the full shape's Theorem 4 intervals",
            "largest error / eps on Proposition R's windows",
        ],
        &rows,
    );
    report.set("conjecture_columns", data.conjecture_columns.to_string());
    report.set(
        "conjecture_direction",
        data.conjecture_direction.to_string(),
    );
    let broken = data
        .conjecture
        .iter()
        .map(|c| c.on_theorem4)
        .fold(0.0f64, f64::max);
    let r = data
        .conjecture
        .iter()
        .map(|c| c.on_r)
        .fold(0.0f64, f64::max);
    report.set("conjecture_worst", short(broken, 3));
    report.check(
        "conjecture_broken",
        broken > 1.0,
        format!("largest error/eps on Theorem 4's intervals: {broken}"),
    );
    report.check(
        "conjecture_r_holds",
        r <= 1.0,
        format!("largest error/eps on Proposition R's windows: {r}"),
    );
}

/// The worst case found, over time at its worst rank.
pub struct Curve {
    pub r: usize,
    pub k: usize,
    pub start: f64,
    pub end: Option<f64>,
    /// `(t, ‖W(t) − Ŷ_k‖, B_k(t))`.
    pub points: Vec<(f64, f64, f64)>,
}

fn curve(target: &Target, rc: &Rank, shape: &Mat<f64>, k: usize) -> Result<Curve> {
    let l = target.eigenvalues();
    let init = Init::new(rc.alpha, shape.as_ref())?;
    let q = quantities(target, &init, k)?[k - 1];
    let traj = Trajectory::new(target, &init, Form::Auto)?;
    let j = window(l, &q, rc.alpha, rc.eps)
        .ok_or_else(|| lab_err!("rank: worst shape has no window"))?;
    let end = j.end.unwrap_or(2.0 * j.start);
    let times = linspace(0.25 * j.start, end + 0.75 * j.start, 400);
    let errors = errors_to_rank_k(&traj, k, &times)?;
    Ok(Curve {
        r: shape.ncols(),
        k,
        start: j.start,
        end: j.end,
        points: times
            .iter()
            .zip(errors)
            .map(|(&t, e)| (t, e, error_bound(l, &q, rc.alpha, t)))
            .collect(),
    })
}

fn figure(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let c = &data.worst;
    out.csv(
        "worst-case.csv",
        &["t", "error", "bound"],
        &c.points
            .iter()
            .map(|p| vec![num(p.0), num(p.1), num(p.2)])
            .collect::<Vec<_>>(),
    )?;
    let mut plot = LinePlot::new(
        format!("Worst case found (r = {}, k = {})", c.r, c.k),
        "time t",
        "spectral-norm distance to Yhat_k (log scale)",
    );
    plot.log_y = true;
    let (t0, t1) = (c.points[0].0, c.points[c.points.len() - 1].0);
    plot.series.push(Series::line(
        "||W(t) - Yhat_k|| (exact)",
        c.points.iter().map(|p| (p.0, p.1)).collect(),
    ));
    // The bound is infinite at t = 0 and huge before the transition: drawn where below 100.
    let bound = c
        .points
        .iter()
        .filter(|p| p.2 <= 100.0)
        .map(|p| (p.0, p.2))
        .collect();
    plot.series.push(Series::line(
        "bound B_k(t) of Proposition R (where <= 100)",
        bound,
    ));
    plot.series
        .push(Series::line("eps", vec![(t0, data.eps), (t1, data.eps)]));
    plot.markers = vec![Marker::Vertical(c.start, 3)];
    if let Some(e) = c.end {
        plot.markers.push(Marker::Vertical(e, 3));
    }
    plot.marker_label = "dashed: ends of the window J_k".into();
    report.figure(
        out,
        "rank_figure",
        &plot,
        "The shape the adversarial search found with the largest error on a window at a rank k >= 2 (where tau_k enters; at k = 1 every shape comes to about the same value, see the text): the exact distance to Yhat_k over time, Proposition R's bound B_k(t) (valid at every t; drawn where it is at most 100) and eps; the dashed lines are the ends of the claimed window J_k (the right one absent when J_k is unbounded). Data: worst-case.csv.",
    )
}

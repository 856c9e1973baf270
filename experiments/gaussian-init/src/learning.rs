//! Part 3: how often learning is incremental over random shapes (measurement, then report).

use crate::{config::*, list, spectra::*, spectra_report::*, WILSON_Z};
use mfflow::analysis::{linspace, min_errors_to_ranks};
use mfflow::metrics::eigenvalues_symmetric;
use mfflow::theorems::{theorem4, theorem4_largest_alpha};
use mfflow::{Form, Init, Mat, Target, Trajectory};
use mfflow_lab::instances::gaussian;
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Marker, Series};
use mfflow_lab::report::{figure_markdown, Report};
use mfflow_lab::seeds::Seeds;
use mfflow_lab::stats::{quantile, sorted, wilson};
use mfflow_lab::{progress, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Part 3: how often learning is incremental.

/// One random shape, at every α of the grid.
#[derive(Serialize, Deserialize)]
pub(crate) struct ShapeOutcome {
    /// `M` of the shape (entries `N(0, 1)`).
    pub(crate) m: f64,
    /// The largest α for which Theorem 4 applies to this shape.
    pub(crate) alpha_required: f64,
    /// The same under the best split of `W(0)` ([`split_invariant_alpha`]), `N(0, 1)` units.
    pub(crate) alpha_split: f64,
    /// Incremental learning measured on the exact trajectory: it comes within ε of every `Ŷ_k`.
    #[serde(with = "mfflow_lab::saved::bits")]
    pub(crate) incremental: Vec<bool>,
    /// Theorem 4 applies.
    #[serde(with = "mfflow_lab::saved::bits")]
    pub(crate) applies: Vec<bool>,
    /// The theorem's intervals are all nonempty and the error is ≤ ε on each of them.
    #[serde(with = "mfflow_lab::saved::bits")]
    pub(crate) holds_on_intervals: Vec<bool>,
    /// Largest measured error on the intervals, relative to ε, where the theorem applies.
    pub(crate) worst_where_applies: f64,
}

/// One `(n, r)` of part 3.
#[derive(Serialize, Deserialize)]
pub(crate) struct LearningCase {
    pub(crate) n: usize,
    pub(crate) r: usize,
    pub(crate) alphas: Vec<f64>,
    pub(crate) shapes: Vec<ShapeOutcome>,
}

/// The α grid, from the largest down, `alphas_per_decade` per decade.
pub(crate) fn alpha_grid(cfg: &Config) -> Vec<f64> {
    let (hi, lo) = (cfg.alpha_largest.log10(), cfg.alpha_smallest.log10());
    let steps = ((hi - lo) * cfg.alphas_per_decade as f64).round() as usize;
    (0..=steps)
        .map(|j| 10f64.powf(hi - j as f64 / cfg.alphas_per_decade as f64))
        .collect()
}

/// The target of part 3: `diag(l, 0, …)`. A diagonal target loses nothing: the law of a
/// Gaussian shape is invariant under rotations, so `Φᵀ Ū₀` has the same law for every `Φ`.
pub(crate) fn padded_target(cfg: &Config, n: usize) -> Result<Target> {
    let mut l = cfg.target_eigenvalues.clone();
    l.resize(n, 0.0);
    Ok(Target::diagonal(&l)?)
}

pub(crate) fn sample_learning(cfg: &Config, seeds: &Seeds) -> Result<Vec<LearningCase>> {
    let alphas = alpha_grid(cfg);
    let cases: Vec<(usize, usize)> = cfg
        .learning_sizes
        .iter()
        .flat_map(|&n| {
            cfg.learning_ratios
                .iter()
                .map(move |&q| (n, columns(n, q).expect("validated")))
        })
        .collect();
    let bar = progress::bar((cases.len() * cfg.learning_draws) as u64, "learning");
    let result = cases
        .iter()
        .map(|&(n, r)| {
            let target = padded_target(cfg, n)?;
            let stream = format!("learning-n{n}-r{r}");
            let shapes = (0..cfg.learning_draws)
                .into_par_iter()
                .map(|i| {
                    let shape = gaussian(n, r, 1.0, &mut seeds.indexed(&stream, i as u64));
                    let outcome = shape_outcome(cfg, &target, &shape, &alphas)
                        .map_err(|e| mfflow_lab::lab_err!("{stream}, draw {i}: {e}"));
                    bar.inc(1);
                    outcome
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(LearningCase {
                n,
                r,
                alphas: alphas.clone(),
                shapes,
            })
        })
        .collect();
    bar.finish_and_clear();
    result
}

pub(crate) fn shape_outcome(
    cfg: &Config,
    target: &Target,
    shape: &Mat<f64>,
    alphas: &[f64],
) -> Result<ShapeOutcome> {
    let gram = shape * shape.transpose();
    let eig = eigenvalues_symmetric(gram.as_ref())?;
    let (top, bottom) = (eig[0], eig[eig.len() - 1]);
    let m = top.max(1.0 / bottom);
    let alpha_required =
        theorem4_largest_alpha(&cfg.target_eigenvalues, cfg.eps, m).expect("validated");
    let extremes = Extremes {
        max: top,
        min: bottom,
    };
    let mut outcome = ShapeOutcome {
        m,
        alpha_required,
        alpha_split: split_invariant_alpha(&cfg.target_eigenvalues, cfg.eps, extremes),
        incremental: Vec::with_capacity(alphas.len()),
        applies: Vec::with_capacity(alphas.len()),
        holds_on_intervals: Vec::with_capacity(alphas.len()),
        worst_where_applies: 0.0,
    };
    for &alpha in alphas {
        measure_at(cfg, target, shape, alpha, bottom, &mut outcome)
            .map_err(|e| mfflow_lab::lab_err!("alpha = {alpha:e}: {e}"))?;
    }
    Ok(outcome)
}

/// Part 3 at one `(shape, α)`: appends to `outcome`.
pub(crate) fn measure_at(
    cfg: &Config,
    target: &Target,
    shape: &Mat<f64>,
    alpha: f64,
    bottom: f64,
    outcome: &mut ShapeOutcome,
) -> Result<()> {
    let l = target.eigenvalues();
    let k_rank = target.positive_rank();
    {
        let init = Init::new(alpha, shape.as_ref())?;
        let verdict = theorem4(target, &init, cfg.eps, cfg.interval_points)?;
        let on_intervals = !verdict.intervals.is_empty()
            && verdict
                .max_error
                .iter()
                .all(|e| matches!(e, Some(v) if *v <= cfg.eps));
        if verdict.applies {
            let worst = verdict
                .max_error
                .iter()
                .flatten()
                .fold(0.0f64, |a, &b| a.max(b));
            outcome.worst_where_applies = outcome.worst_where_applies.max(worst / cfg.eps);
        }
        // Where the error is ≤ ε on every (nonempty) interval, the trajectory has come within
        // ε of every Ŷ_k: incremental learning is established by that measurement. Otherwise
        // scan the whole trajectory for its closest approach to each Ŷ_k.
        let incremental = on_intervals || {
            let traj = Trajectory::new(target, &init, Form::Auto)?;
            // Past twice the time the weakest mode needs from the smallest initial size, plus
            // 1/ε: a mode of Y with eigenvalue 0 decays like w/(1 + 2wt) ≤ 1/(2t), which is
            // below ε/2 by then.
            let learn = (l[0] / (alpha * bottom)).ln().max(1.0) / (2.0 * l[k_rank - 1]);
            let grid = linspace(0.0, 2.0 * learn + 1.0 / cfg.eps, cfg.time_points);
            min_errors_to_ranks(&traj, k_rank, &grid, cfg.eps)?
                .iter()
                .all(|&e| e <= cfg.eps)
        };
        outcome.incremental.push(incremental);
        outcome.applies.push(verdict.applies);
        outcome.holds_on_intervals.push(on_intervals);
    }
    Ok(())
}

/// A threshold read off the α grid from a Monte Carlo proportion: the largest grid α at and
/// below which the estimate, the lower end of its Wilson interval (established) or its upper
/// end (not excluded) stays at least `1 − δ`. The true threshold (on the grid) lies between
/// the established and the not-excluded one, up to the interval's coverage.
pub(crate) struct Threshold {
    pub(crate) point: Option<f64>,
    pub(crate) established: Option<f64>,
    pub(crate) not_excluded: Option<f64>,
}

impl Threshold {
    fn text(&self) -> String {
        let f = |a: Option<f64>| a.map_or("none".into(), |a| short(a, 3));
        format!(
            "{} [{}, {}]",
            f(self.point),
            f(self.established),
            f(self.not_excluded)
        )
    }
}

/// Decades between the measured thresholds and the theorem's alpha at the smallest δ, over
/// the cases with `r = n` and with `r > n`.
#[derive(Default)]
pub(crate) struct Gaps {
    pub(crate) square: Vec<f64>,
    pub(crate) wide: Vec<f64>,
    pub(crate) square_split: Vec<f64>,
    pub(crate) wide_split: Vec<f64>,
    pub(crate) measured: Vec<f64>,
    /// Decades between the established and the not-excluded threshold, per case.
    pub(crate) uncertainty: Vec<f64>,
    /// Cases where no grid α establishes the proportion.
    pub(crate) unestablished: usize,
}

impl Gaps {
    fn add(&mut self, square: bool, t: &Threshold, theorem: f64, split: f64) {
        if let Some(p) = t.point {
            let (g, gs) = if square {
                (&mut self.square, &mut self.square_split)
            } else {
                (&mut self.wide, &mut self.wide_split)
            };
            g.push((p / theorem).log10());
            gs.push((p / split).log10());
            self.measured.push(p);
        }
        match (t.established, t.not_excluded) {
            (Some(lo), Some(hi)) => self.uncertainty.push((hi / lo).log10()),
            _ => self.unestablished += 1,
        }
    }

    fn report(&self, report: &mut Report) {
        let dec = |v: &[f64]| span(v, |x| short(x, 3));
        report.set("gaps_square", dec(&self.square));
        report.set("gaps_wide", dec(&self.wide));
        report.set("gaps_square_split", dec(&self.square_split));
        report.set("gaps_wide_split", dec(&self.wide_split));
        let share: Vec<f64> = self
            .wide
            .iter()
            .zip(&self.wide_split)
            .map(|(a, b)| a - b)
            .collect();
        report.set("split_share_wide", dec(&share));
        report.set("measured_range", span(&self.measured, |x| short(x, 3)));
        report.set("threshold_uncertainty", dec(&self.uncertainty));
        report.set("unestablished", self.unestablished.to_string());
        report.check(
            "thresholds_established",
            self.unestablished == 0,
            format!(
                "{} cases without an established threshold",
                self.unestablished
            ),
        );
    }
}

pub(crate) fn per_shape_text(gaps: Vec<f64>, confidence: f64) -> String {
    let gaps = sorted(gaps);
    if gaps.is_empty() {
        return "(no shape learned incrementally on the alpha grid)".into();
    }
    let q = |p: f64| short(quantile(&gaps, p, confidence).value, 3);
    format!(
        "{} decades (median; 10th percentile {}, 90th percentile {}, smallest {})",
        q(0.5),
        q(0.1),
        q(0.9),
        short(gaps[0], 3)
    )
}

/// The largest grid α at and below which (on the whole grid) the proportion is at least `p`.
pub(crate) fn largest_alpha_with(alphas: &[f64], proportions: &[f64], p: f64) -> Option<f64> {
    // Grid is descending: walk from the smallest α up while the proportion stays ≥ p.
    let mut best = None;
    for (a, q) in alphas.iter().zip(proportions).rev() {
        if *q >= p {
            best = Some(*a);
        } else {
            break;
        }
    }
    best
}

/// What the report of part 3 accumulates over the cases.
#[derive(Default)]
struct Tally {
    figures: Vec<String>,
    csv: Vec<Vec<String>>,
    table: Vec<Vec<String>>,
    shape_rows: Vec<Vec<String>>,
    worst_applies: f64,
    non_monotone: usize,
    applies_without_holding: usize,
    per_shape_gap: Vec<f64>,
    per_shape_gap_split: Vec<f64>,
    gaps: Gaps,
}

/// The proportions of one case against alpha: incremental (with its Wilson interval) and
/// Theorem 4 applies.
struct Proportions {
    incremental: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    applies: Vec<f64>,
}

/// Part 3 of the report, from the measured cases and the part-1 summaries.
pub(crate) fn report_learning(
    cfg: &Config,
    summaries: &[Vec<Summary>],
    cases: &[LearningCase],
    out: &Outputs,
    report: &mut Report,
) -> Result<()> {
    let mut tally = Tally::default();
    for case in cases {
        let props = proportions(case, &mut tally);
        shape_stats(case, &mut tally);
        let summary = summary_of(cfg, summaries, case);
        thresholds(cfg, case, &props, summary, &mut tally);
        tally
            .figures
            .push(case_figure(cfg, case, &props, summary, out)?);
    }
    write_learning(&tally, out)?;
    fill_learning(cfg, cases, tally, report);
    Ok(())
}

/// The part-1 summary of the same `(n, r)` (its `M_δ` for `N(0,1)` entries).
fn summary_of<'a>(cfg: &Config, summaries: &'a [Vec<Summary>], case: &LearningCase) -> &'a Summary {
    let ni = cfg
        .sizes
        .iter()
        .position(|&n| n == case.n)
        .expect("validated");
    let ri = cfg
        .ratios
        .iter()
        .position(|&q| columns(case.n, q) == Some(case.r))
        .expect("validated");
    &summaries[ni][ri]
}

fn proportions(case: &LearningCase, tally: &mut Tally) -> Proportions {
    let draws = case.shapes.len();
    let count = |f: &dyn Fn(&ShapeOutcome) -> &Vec<bool>, a: usize| {
        case.shapes.iter().filter(|s| f(s)[a]).count()
    };
    let mut props = Proportions {
        incremental: Vec::new(),
        lo: Vec::new(),
        hi: Vec::new(),
        applies: Vec::new(),
    };
    for (a, &alpha) in case.alphas.iter().enumerate() {
        let inc = count(&|s| &s.incremental, a);
        let app = count(&|s| &s.applies, a);
        let hold = count(&|s| &s.holds_on_intervals, a);
        let (p, lo, hi) = wilson(inc, draws, WILSON_Z);
        tally.csv.push(vec![
            case.n.to_string(),
            case.r.to_string(),
            num(alpha),
            num(p),
            num(lo),
            num(hi),
            num(app as f64 / draws as f64),
            num(hold as f64 / draws as f64),
        ]);
        props.incremental.push(p);
        props.lo.push(lo);
        props.hi.push(hi);
        props.applies.push(app as f64 / draws as f64);
    }
    props
}

fn shape_stats(case: &LearningCase, tally: &mut Tally) {
    for s in &case.shapes {
        tally.worst_applies = tally.worst_applies.max(s.worst_where_applies);
        tally.applies_without_holding += s
            .applies
            .iter()
            .zip(&s.holds_on_intervals)
            .filter(|(a, h)| **a && !**h)
            .count();
        // Non-monotone: incremental at some α, not at a smaller one.
        if let Some(ft) = s.incremental.iter().position(|&b| b) {
            if s.incremental[ft..].iter().any(|&b| !b) {
                tally.non_monotone += 1;
            }
        }
        let ones: Vec<f64> = s
            .incremental
            .iter()
            .map(|&b| if b { 1.0 } else { 0.0 })
            .collect();
        let emp = largest_alpha_with(&case.alphas, &ones, 1.0);
        if let Some(e) = emp {
            tally.per_shape_gap.push((e / s.alpha_required).log10());
            tally.per_shape_gap_split.push((e / s.alpha_split).log10());
        }
        tally.shape_rows.push(vec![
            case.n.to_string(),
            case.r.to_string(),
            num(s.m),
            num(s.alpha_required),
            num(s.alpha_split),
            emp.map_or("".into(), num),
        ]);
    }
}

/// For every delta: the theorem's alpha with `M = M_δ` (as drawn and split-invariant) against
/// the threshold read off the measured proportion, as a table row.
fn thresholds(
    cfg: &Config,
    case: &LearningCase,
    props: &Proportions,
    summary: &Summary,
    tally: &mut Tally,
) {
    let alpha_of =
        |m: f64| theorem4_largest_alpha(&cfg.target_eigenvalues, cfg.eps, m).expect("validated");
    for (di, &delta) in cfg.deltas.iter().enumerate() {
        let q = summary.m_quantiles[di][0];
        let thr = alpha_of(q.value);
        let split = summary.split_alpha[di];
        let threshold = Threshold {
            point: largest_alpha_with(&case.alphas, &props.incremental, 1.0 - delta),
            established: largest_alpha_with(&case.alphas, &props.lo, 1.0 - delta),
            not_excluded: largest_alpha_with(&case.alphas, &props.hi, 1.0 - delta),
        };
        if di + 1 == cfg.deltas.len() {
            tally
                .gaps
                .add(case.r == case.n, &threshold, thr, split.value);
        }
        let decades = |a: Option<f64>, t: f64| a.map_or("-".into(), |a| short((a / t).log10(), 3));
        tally.table.push(vec![
            case.n.to_string(),
            case.r.to_string(),
            short(delta, 2),
            format!(
                "{} [{}, {}]",
                short(thr, 3),
                short(alpha_of(q.hi), 3),
                short(alpha_of(q.lo), 3)
            ),
            format!(
                "{} [{}, {}]",
                short(split.value, 3),
                short(split.lo, 3),
                short(split.hi, 3)
            ),
            threshold.text(),
            format!(
                "{} [{}, {}]",
                decades(threshold.point, thr),
                decades(threshold.established, thr),
                decades(threshold.not_excluded, thr)
            ),
            decades(threshold.point, split.value),
        ]);
    }
}

fn case_figure(
    cfg: &Config,
    case: &LearningCase,
    props: &Proportions,
    summary: &Summary,
    out: &Outputs,
) -> Result<String> {
    let mut plot = LinePlot::new(
        format!(
            "Incremental learning over random shapes, n = {}, r = {}",
            case.n, case.r
        ),
        "alpha (log scale)",
        "proportion of shapes",
    );
    plot.log_x = true;
    plot.y_range = Some((-0.02, 1.02));
    let pts = |p: &[f64]| -> Vec<(f64, f64)> {
        case.alphas.iter().copied().zip(p.iter().copied()).collect()
    };
    let band = case
        .alphas
        .iter()
        .zip(props.lo.iter().zip(&props.hi))
        .map(|(&a, (&lo, &hi))| (a, lo, hi));
    plot.series.push(
        Series::line(
            "incremental (exact trajectory within eps of every Yhat_k), with its 95% Wilson band",
            pts(&props.incremental),
        )
        .coloured(0)
        .with_band(band.collect()),
    );
    plot.series.push(
        Series::line(
            "Theorem 4 applies (and its conclusion was checked)",
            pts(&props.applies),
        )
        .coloured(1),
    );
    for di in 0..cfg.deltas.len() {
        let m = summary.m_quantiles[di][0].value;
        let thr = theorem4_largest_alpha(&cfg.target_eigenvalues, cfg.eps, m).expect("validated");
        plot.markers.push(Marker::Vertical(thr, 1));
    }
    plot.marker_label = format!(
        "dashed: Theorem 4's alpha with M = M_delta, delta = {} (right to left)",
        list(&cfg.deltas)
    );
    figure_markdown(
        out,
        &format!("learning_n{}_r{}", case.n, case.r),
        &plot,
        &format!(
            "n = {}, r = {}, {} shapes: proportion of shapes whose exact trajectory comes within eps of every Yhat_k, and proportion to which Theorem 4 applies, against alpha. Dashed: the largest alpha Theorem 4 allows with M = M_delta for delta = {} (right to left). Data: learning.csv.",
            case.n,
            case.r,
            case.shapes.len(),
            list(&cfg.deltas)
        ),
    )
}

fn write_learning(tally: &Tally, out: &Outputs) -> Result<()> {
    out.csv(
        "learning.csv",
        &[
            "n",
            "r",
            "alpha",
            "p_incremental",
            "p_incremental_lo95",
            "p_incremental_hi95",
            "p_theorem_applies",
            "p_holds_on_intervals",
        ],
        &tally.csv,
    )?;
    out.csv(
        "learning-shapes.csv",
        &[
            "n",
            "r",
            "M",
            "alpha_theorem4",
            "alpha_theorem4_split_invariant",
            "alpha_incremental",
        ],
        &tally.shape_rows,
    )
}

fn fill_learning(cfg: &Config, cases: &[LearningCase], tally: Tally, report: &mut Report) {
    report.set("learning_figures", tally.figures.join("\n\n"));
    report.table(
        "conservative_table",
        &[
            "n",
            "r",
            "delta",
            "Theorem 4: alpha with M = M_delta, N(0,1) [CI]",
            "Theorem 4, best split (split-invariant) [CI]",
            "measured threshold: estimate [established, not excluded]",
            "decades, N(0,1): estimate [established, not excluded]",
            "decades, best split: estimate",
        ],
        &tally.table,
    );
    report.set(
        "per_shape_gap",
        per_shape_text(tally.per_shape_gap, cfg.confidence),
    );
    report.set(
        "per_shape_gap_split",
        per_shape_text(tally.per_shape_gap_split, cfg.confidence),
    );
    tally.gaps.report(report);
    report.set("grid_step", short(1.0 / cfg.alphas_per_decade as f64, 2));
    report.set("wilson_level", "95%");
    report.set("learning_draws", cfg.learning_draws.to_string());
    let list_cases: Vec<String> = cases
        .iter()
        .map(|c| format!("({}, {})", c.n, c.r))
        .collect();
    report.set("learning_cases", list_cases.join(", "));
    report.set(
        "alpha_grid",
        format!(
            "{} values from {} down to {} ({} per decade)",
            alpha_grid(cfg).len(),
            short(cfg.alpha_largest, 2),
            short(cfg.alpha_smallest, 2),
            cfg.alphas_per_decade
        ),
    );
    report.set("worst_applies", short(tally.worst_applies, 3));
    let (bad, non_monotone) = (tally.applies_without_holding, tally.non_monotone);
    report.set("applies_without_holding", bad.to_string());
    report.check(
        "theorem_held",
        bad == 0,
        format!("{bad} cases where Theorem 4 applied and the error exceeded eps"),
    );
    report.set("non_monotone", non_monotone.to_string());
    report.check(
        "monotone",
        non_monotone == 0,
        format!("{non_monotone} non-monotone shapes"),
    );
    report.set("time_points", cfg.time_points.to_string());
    report.set("interval_points", cfg.interval_points.to_string());
}

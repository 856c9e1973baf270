//! Part 1: the gap sweep. Targets `diag(1, rho, 0, …)`, a spectral start (`Ū₀ = I`) and random
//! general ones (`N(0, 1/n)` entries): the largest alpha each statement allows (Theorem 3 or 4,
//! Proposition R), the measured largest alpha at which the conclusion holds on the theorem's
//! own intervals, and the measured largest alpha at which every `Ŷ_k` is eps-reached at all.
//! Everything is in decades, `log10(1/alpha)`, since the theorems' alphas fall far below f64.

use crate::common::{
    bisect_ln_alpha, closest_to_each_rank, extremes, fit_line, median, proposition_r_ln_alpha,
    reaches_every_rank, theorem3_alpha, theorem4_alpha, theorem4_m, LN_ALPHA_MIN,
};
use crate::config::Config;
use mfflow::theorems::{self, Interval};
use mfflow::{Init, Mat, Target};
use mfflow_lab::instances::gaussian;
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Series};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::{progress, Result};

/// One (rho, start).
pub struct Case {
    pub rho: f64,
    /// 0 for the spectral start, g ≥ 1 for general shape g.
    pub shape: usize,
    /// Theorem 3 (spectral) or 4 (general): decades, and whether the separation binds.
    pub theorem: f64,
    pub separation_binds: bool,
    /// Theorem 4's M (1 for the spectral start).
    pub m: f64,
    /// Measured: the conclusion on the theorem's intervals (only where its alpha is ≥ 1e-300).
    pub conclusion: Option<f64>,
    /// Proposition R (None below 1e-300).
    pub proposition_r: Option<f64>,
    /// Measured: every `Ŷ_k` eps-reached (None: not even at 1e-300).
    pub reached: Option<f64>,
    /// When not: `min_t ‖W(t) − Ŷ_k‖` for each k at alpha = 1e-300.
    pub closest: Vec<f64>,
}

/// What part 1 measured.
pub struct Data {
    pub eps: f64,
    pub n: usize,
    pub shapes: usize,
    pub fit_from: f64,
    pub steps: usize,
    pub cases: Vec<Case>,
}

fn decades(ln_alpha: f64) -> f64 {
    -ln_alpha / std::f64::consts::LN_10
}

/// Runs the sweep.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let g = &cfg.gap;
    let n = 2 + g.zeros;
    let shapes: Vec<Mat<f64>> = std::iter::once(Mat::identity(n, n))
        .chain((1..=g.general_shapes).map(|i| {
            gaussian(
                n,
                n,
                1.0 / (n as f64).sqrt(),
                &mut seeds.indexed("gap-general", i as u64),
            )
        }))
        .collect();
    let rhos = cfg.all_rhos();
    let bar = progress::bar((rhos.len() * shapes.len()) as u64, "gap sweep");
    let mut cases = Vec::new();
    for &rho in &rhos {
        let mut l = vec![1.0, rho];
        l.resize(n, 0.0);
        let target = Target::diagonal(&l)?;
        for (i, shape) in shapes.iter().enumerate() {
            cases.push(case(cfg, &target, rho, i, shape)?);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    Ok(Data {
        eps: cfg.eps,
        n,
        shapes: g.general_shapes,
        fit_from: g.fit_from_rho,
        steps: g.bisection_steps,
        cases,
    })
}

fn case(cfg: &Config, target: &Target, rho: f64, i: usize, shape: &Mat<f64>) -> Result<Case> {
    let (eps, g) = (cfg.eps, &cfg.gap);
    let l = target.eigenvalues();
    let (m, (theorem, separation_binds)) = if i == 0 {
        (1.0, theorem3_alpha(l, &vec![1.0; l.len()], eps, rho))
    } else {
        let m = theorem4_m(shape)?;
        (m, theorem4_alpha(l, m, eps, rho))
    };
    let ln_theorem = -theorem * std::f64::consts::LN_10;
    let conclusion = if ln_theorem >= LN_ALPHA_MIN {
        bisect_ln_alpha(ln_theorem - 1e-9, 0.0, g.bisection_steps, |a| {
            conclusion_holds(target, shape, a, eps, i == 0, g.time_points)
        })?
        .map(decades)
    } else {
        None
    };
    let proposition_r = proposition_r_ln_alpha(target, shape, eps, g.bisection_steps)?.map(decades);
    let (_, lambda_min) = extremes(shape)?;
    let reached = bisect_ln_alpha(LN_ALPHA_MIN, 0.0, g.bisection_steps, |a| {
        reaches_every_rank(
            target,
            &Init::new(a, shape.as_ref())?,
            eps,
            g.time_points,
            lambda_min,
        )
    })?
    .map(decades);
    let closest = if reached.is_none() {
        let init = Init::new(LN_ALPHA_MIN.exp(), shape.as_ref())?;
        closest_to_each_rank(target, &init, 0.0, g.time_points, lambda_min)?
    } else {
        Vec::new()
    };
    Ok(Case {
        rho,
        shape: i,
        theorem,
        separation_binds,
        m,
        conclusion,
        proposition_r,
        reached,
        closest,
    })
}

/// Whether the theorem's conclusion holds at alpha: every interval nonempty and the measured
/// error on each at most eps (its constants do not depend on alpha).
fn conclusion_holds(
    target: &Target,
    shape: &Mat<f64>,
    alpha: f64,
    eps: f64,
    spectral: bool,
    points: usize,
) -> Result<bool> {
    let init = Init::new(alpha, shape.as_ref())?;
    let v = if spectral {
        theorems::theorem3(target, &init, eps, 0)?
    } else {
        theorems::theorem4(target, &init, eps, 0)?
    };
    if v.intervals.is_empty() || v.intervals.iter().any(Interval::is_empty) {
        return Ok(false);
    }
    let errors = theorems::measure(target, &init, &v.intervals, points)?;
    Ok(errors.iter().all(|e| e.is_some_and(|e| e <= eps)))
}

/// Writes `gap.csv` and fills part 1.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    write(data, out)?;
    table(data, report);
    figure(data, out, report)?;
    fits(data, report);
    Ok(())
}

fn opt(x: Option<f64>) -> String {
    x.map_or(String::new(), num)
}

fn write(data: &Data, out: &Outputs) -> Result<()> {
    let rows: Vec<Vec<String>> = data
        .cases
        .iter()
        .map(|c| {
            vec![
                num(c.rho),
                if c.shape == 0 {
                    "spectral".into()
                } else {
                    format!("general-{}", c.shape)
                },
                num(c.m),
                num(c.theorem),
                if c.separation_binds {
                    "separation"
                } else {
                    "alpha bound"
                }
                .into(),
                opt(c.conclusion),
                opt(c.proposition_r),
                opt(c.reached),
                opt(c.closest.first().copied()),
                opt(c.closest.get(1).copied()),
            ]
        })
        .collect();
    out.csv(
        "gap.csv",
        &[
            "rho",
            "start",
            "M",
            "decades_theorem",
            "theorem_binding",
            "decades_conclusion_on_theorem_intervals",
            "decades_proposition_r",
            "decades_every_rank_reached",
            "closest_to_yhat1_at_alpha_1e-300",
            "closest_to_yhat2_at_alpha_1e-300",
        ],
        &rows,
    )
}

/// Where the theorem's conclusion stops holding: exactly at its alpha when the separation
/// condition binds (the intervals are empty above it), possibly later when the alpha bound does.
fn conclusion_limits(data: &Data, report: &mut Report) {
    let with: Vec<&Case> = data
        .cases
        .iter()
        .filter(|c| c.conclusion.is_some())
        .collect();
    let gap = |c: &Case| c.theorem - c.conclusion.expect("filtered");
    let (sep, bound): (Vec<&Case>, Vec<&Case>) = with.iter().partition(|c| c.separation_binds);
    let sep_exact = sep.iter().all(|c| gap(c).abs() < 1e-6);
    let beyond = bound.iter().map(|c| gap(c)).fold(0.0f64, f64::max);
    report.set("conclusion_cases", with.len().to_string());
    report.set("separation_cases", sep.len().to_string());
    report.set("bound_cases", bound.len().to_string());
    report.set("bound_beyond", short(beyond, 3));
    report.check(
        "separation_exact",
        !sep.is_empty() && sep_exact,
        format!(
            "separation-bound cases: {}, all at the theorem's alpha: {sep_exact}",
            sep.len()
        ),
    );
}

/// A value read off a case.
type Pick = fn(&Case) -> Option<f64>;
/// Per rho: `(rho, spectral value, median over the general shapes)`.
type PerRho = (f64, Option<f64>, Option<f64>);

/// Per rho: the spectral value and the median over general shapes of `f`.
fn per_rho(data: &Data, f: impl Fn(&Case) -> Option<f64>) -> Vec<PerRho> {
    let mut rhos: Vec<f64> = data.cases.iter().map(|c| c.rho).collect();
    rhos.dedup();
    rhos.iter()
        .map(|&rho| {
            let here: Vec<&Case> = data.cases.iter().filter(|c| c.rho == rho).collect();
            let spectral = here.iter().find(|c| c.shape == 0).and_then(|c| f(c));
            let general: Vec<f64> = here
                .iter()
                .filter(|c| c.shape > 0)
                .filter_map(|c| f(c))
                .collect();
            // The median only if every shape has a value (else the median would be biased).
            let all = general.len() == data.shapes;
            (rho, spectral, all.then(|| median(&general)))
        })
        .collect()
}

/// `rho` as written in the config: near 1 as `1 - 10^-j`.
fn rho_label(rho: f64) -> String {
    if rho > 0.985 {
        format!("1 - {}", short(1.0 - rho, 1))
    } else {
        short(rho, 2)
    }
}

fn cell(x: Option<f64>) -> String {
    x.map_or("< 1e-300".into(), |v| short(v, 3))
}

/// A general-start cell: the median when every shape has a value, `< 1e-300` when none has,
/// and how many have one otherwise (a median over the others would be biased, and the median
/// over all may lie below 1e-300 or not).
fn general_cell(data: &Data, rho: f64, median: Option<f64>, f: Pick) -> String {
    let have = data
        .cases
        .iter()
        .filter(|c| c.rho == rho && c.shape > 0 && f(c).is_some())
        .count();
    match median {
        Some(v) => short(v, 3),
        None if have == 0 => "< 1e-300".into(),
        None => format!("{have} of {} above 1e-300", data.shapes),
    }
}

fn table(data: &Data, report: &mut Report) {
    let thm = per_rho(data, |c| Some(c.theorem));
    let r = per_rho(data, |c| c.proposition_r);
    let reached = per_rho(data, |c| c.reached);
    let conclusion = per_rho(data, |c| c.conclusion);
    let rows: Vec<Vec<String>> = (0..thm.len())
        .map(|i| {
            vec![
                rho_label(thm[i].0),
                short(1.0 / (1.0 - thm[i].0), 3),
                cell(thm[i].1),
                conclusion[i].1.map_or("-".into(), |v| short(v, 3)),
                cell(r[i].1),
                cell(reached[i].1),
                cell(thm[i].2),
                conclusion[i].2.map_or("-".into(), |v| short(v, 3)),
                general_cell(data, thm[i].0, r[i].2, |c| c.proposition_r),
                general_cell(data, thm[i].0, reached[i].2, |c| c.reached),
            ]
        })
        .collect();
    report.table(
        "gap_table",
        &[
            "rho",
            "1/(1-rho)",
            "spectral: Theorem 3",
            "spectral: conclusion on Theorem 3's I_k (measured)",
            "spectral: Proposition R",
            "spectral: every Yhat_k reached (measured)",
            "general (median): Theorem 4",
            "general: conclusion on Theorem 4's I_k (measured)",
            "general: Proposition R",
            "general: every Yhat_k reached (measured)",
        ],
        &rows,
    );
}

fn figure(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let mut plot = LinePlot::new(
        "How small alpha must be, against the gap",
        "1/(1 - rho), rho = l_2/l_1 (log scale)",
        "decades log10(1/alpha) (log scale)",
    );
    plot.log_x = true;
    plot.log_y = true;
    let series: [(&str, Pick); 3] = [
        ("theorem", |c| Some(c.theorem)),
        ("Proposition R", |c| c.proposition_r),
        ("measured: every Yhat_k reached", |c| c.reached),
    ];
    for (j, (name, f)) in series.iter().enumerate() {
        let rows = per_rho(data, f);
        let x = |rho: f64| 1.0 / (1.0 - rho);
        let spectral = rows
            .iter()
            .filter_map(|(r, s, _)| s.map(|v| (x(*r), v)))
            .collect();
        let general = rows
            .iter()
            .filter_map(|(r, _, g)| g.map(|v| (x(*r), v)))
            .collect();
        let label = if j == 0 { "Theorem 3" } else { name };
        plot.series
            .push(Series::line(format!("spectral: {label}"), spectral).coloured(j));
        let label = if j == 0 { "Theorem 4" } else { name };
        plot.series
            .push(Series::markers(format!("general (median): {label}"), general).coloured(j));
    }
    report.figure(
        out,
        "gap_figure",
        &plot,
        "Decades log10(1/alpha) each statement requires (Theorem 3 or 4, Proposition R) and the measured largest alpha at which every Yhat_k is eps-reached, against 1/(1 - rho). Lines: the spectral start (its three lines nearly coincide); markers: the median over the general shapes (shown only where every shape has a value). Points below 1e-300 (not representable) are omitted. Data: gap.csv.",
    )
}

/// The fitted law `decades = a + b/(1 − rho)` for rho ≥ fit_from, pooled over the shapes.
fn fit(data: &Data, spectral: bool, f: impl Fn(&Case) -> Option<f64>) -> Option<(f64, f64, usize)> {
    let pts: Vec<(f64, f64)> = data
        .cases
        .iter()
        .filter(|c| (c.shape == 0) == spectral && c.rho >= data.fit_from && c.reached.is_some())
        .filter_map(|c| f(c).map(|v| (1.0 / (1.0 - c.rho), v)))
        .collect();
    fit_line(&pts).map(|(a, b)| (a, b, pts.len()))
}

fn fits(data: &Data, report: &mut Report) {
    let law = |x: Option<(f64, f64, usize)>| {
        x.map_or("(too few points)".to_string(), |(a, b, n)| {
            format!("`{} + {}/(1 - rho)` ({n} points)", short(a, 3), short(b, 3))
        })
    };
    let mut slopes = Vec::new();
    for (key, spectral) in [("spectral", true), ("general", false)] {
        let thm = fit(data, spectral, |c| Some(c.theorem));
        let r = fit(data, spectral, |c| c.proposition_r);
        let measured = fit(data, spectral, |c| c.reached);
        report.set(&format!("law_theorem_{key}"), law(thm));
        report.set(&format!("law_r_{key}"), law(r));
        report.set(&format!("law_measured_{key}"), law(measured));
        let ratio = |a: Option<(f64, f64, usize)>| match (a, measured) {
            (Some(a), Some(m)) => Some(a.1 / m.1),
            _ => None,
        };
        let (rt, rr) = (ratio(thm), ratio(r));
        report.set(
            &format!("slope_ratio_theorem_{key}"),
            rt.map_or("-".into(), |v| short(v, 3)),
        );
        report.set(
            &format!("slope_ratio_r_{key}"),
            rr.map_or("-".into(), |v| short(v, 3)),
        );
        slopes.push((rt, rr));
        // The ratio alpha_measured / alpha_theorem, in decades, is the difference of the laws.
        let gap = match (thm, measured) {
            (Some(t), Some(m)) => format!(
                "`{} + {}/(1 - rho)`",
                short(t.0 - m.0, 3),
                short(t.1 - m.1, 3)
            ),
            _ => "(too few points)".into(),
        };
        report.set(&format!("law_gap_{key}"), gap);
    }
    report.set("fit_from", short(data.fit_from, 2));
    conclusion_limits(data, report);
    report.set("gap_eps", short(data.eps, 2));
    report.set("gap_n", data.n.to_string());
    report.set("gap_shapes", data.shapes.to_string());
    report.set("gap_steps", data.steps.to_string());
    let (spec, gen) = (slopes[0], slopes[1]);
    report.check(
        "general_exponent_overstated",
        gen.0.is_some_and(|r| r > 1.5),
        format!("Theorem 4 slope / measured slope: {:?}", gen.0),
    );
    report.check(
        "spectral_exponent_tight",
        spec.0.is_some_and(|r| (0.8..1.25).contains(&r)),
        format!("Theorem 3 slope / measured slope: {:?}", spec.0),
    );
    let reached = per_rho(data, |c| c.reached);
    let list = |keep: &dyn Fn(&PerRho) -> bool| -> Vec<String> {
        reached
            .iter()
            .filter(|x| keep(x))
            .map(|x| rho_label(x.0))
            .collect()
    };
    let none_reached: Vec<&Case> = data.cases.iter().filter(|c| c.reached.is_none()).collect();
    let never = list(&|x| {
        !data
            .cases
            .iter()
            .any(|c| c.rho == x.0 && c.reached.is_some())
    });
    let partly = list(&|x| {
        none_reached.iter().any(|c| c.rho == x.0)
            && data
                .cases
                .iter()
                .any(|c| c.rho == x.0 && c.reached.is_some())
    });
    let join = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    report.set("unreachable_rhos", join(&never));
    report.set("partly_reachable_rhos", join(&partly));
    report.check("some_unreachable", !never.is_empty(), format!("{never:?}"));
    // Where no start reaches every rank: how close each rank comes at alpha = 1e-300.
    let unreached: Vec<&Case> = data
        .cases
        .iter()
        .filter(|c| !c.closest.is_empty())
        .collect();
    let range = |k: usize| {
        let v: Vec<f64> = unreached.iter().map(|c| c.closest[k]).collect();
        let (lo, hi) = v
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
        (lo, hi)
    };
    let (y1, y2) = if unreached.is_empty() {
        ((0.0, 0.0), (0.0, 0.0))
    } else {
        (range(0), range(1))
    };
    report.set(
        "closest_y1",
        format!("{} to {}", short(y1.0, 3), short(y1.1, 3)),
    );
    report.set("closest_y2", short(y2.1, 3));
    report.check(
        "block_learning",
        !unreached.is_empty() && y1.0 > data.eps && y2.1 <= data.eps,
        format!(
            "closest to Yhat_1 {y1:?}, to Yhat_2 {y2:?}, eps {}",
            data.eps
        ),
    );
    // Every statement must be at least as demanding as the measurement (they are sufficient).
    let sound = data.cases.iter().all(|c| {
        let need = |x: Option<f64>| match (x, c.reached) {
            (Some(v), Some(m)) => v >= m - 1e-6,
            _ => true,
        };
        need(Some(c.theorem)) && need(c.proposition_r)
    });
    report.check(
        "statements_below_measured",
        sound,
        "decades of each statement >= measured".to_string(),
    );
}

//! Part 2: scale and shape. `W(0) = alpha Ū₀ Ū₀ᵀ` can be rewritten as `(alpha/c)(√c Ū₀)(√c Ū₀)ᵀ`
//! for any `c > 0`: the flow is the same, Theorem 4's `M` is not. For Gaussian `N(0, 1)` shapes,
//! Theorem 4's alpha (in the units of `W(0) = a Ū₀ Ū₀ᵀ`, `Ū₀` the draw) is decomposed as
//!
//! - as drawn: `alpha_4(M(W̄₀))`;
//! - best split: `max_c c alpha_4(M(c W̄₀)) = alpha_4(√κ)/√(λ_max λ_min)`, split-invariant;
//! - constants only: `alpha_4(1)/√(λ_max λ_min)`, the same for a perfectly conditioned shape
//!   of the same geometric size;
//!
//! against Proposition R's alpha (split-invariant by construction) and the measured largest
//! alpha at which every `Ŷ_k` is eps-reached. All in decades.

use crate::common::{
    bisect_ln_alpha, extremes, median, proposition_r_ln_alpha, reaches_every_rank, theorem4_alpha,
    LN_ALPHA_MIN,
};
use crate::config::Config;
use mfflow::{Init, Mat, Target};
use mfflow_lab::instances::gaussian;
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::{lab_err, progress, Result};

const LN10: f64 = std::f64::consts::LN_10;
/// Bisection steps on `ln alpha` here.
const STEPS: usize = 30;
/// Time grid of each trajectory.
const POINTS: usize = 200;

/// One shape, all in decades `log10(1/a)` of the size `a` of `W(0) = a Ū₀ Ū₀ᵀ`.
pub struct Shape {
    pub r: usize,
    pub drawn: f64,
    pub best_split: f64,
    pub constants: f64,
    pub proposition_r: Option<f64>,
    pub measured: Option<f64>,
}

/// One rewriting `(alpha/c, √c Ū₀)` of the first shape of each `r`.
pub struct Rewrite {
    pub r: usize,
    pub c: f64,
    pub m: f64,
    pub theorem: f64,
    pub proposition_r: Option<f64>,
    pub measured: Option<f64>,
}

/// What part 2 measured.
pub struct Data {
    pub eps: f64,
    pub l: Vec<f64>,
    pub shapes: Vec<Shape>,
    pub rewrites: Vec<Rewrite>,
}

fn rho(l: &[f64]) -> f64 {
    let k = l.iter().filter(|&&v| v > 0.0).count();
    (1..k).map(|i| l[i] / l[i - 1]).fold(0.0f64, f64::max)
}

/// Decades of the measured largest size `a` at which every `Ŷ_k` is reached.
fn measured(target: &Target, shape: &Mat<f64>, eps: f64, lambda_min: f64) -> Result<Option<f64>> {
    Ok(bisect_ln_alpha(LN_ALPHA_MIN, 0.0, STEPS, |a| {
        reaches_every_rank(
            target,
            &Init::new(a, shape.as_ref())?,
            eps,
            POINTS,
            lambda_min,
        )
    })?
    .map(|x| -x / LN10))
}

/// Measures every shape and the rewritings.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let s = &cfg.split;
    let target = Target::diagonal(&s.eigenvalues)?;
    let (l, n, eps) = (target.eigenvalues().to_vec(), s.eigenvalues.len(), s.eps);
    let rho = rho(&l);
    let bar = progress::bar(
        (s.columns.len() * (s.shapes + s.factors.len())) as u64,
        "split",
    );
    let (mut shapes, mut rewrites) = (Vec::new(), Vec::new());
    for &r in &s.columns {
        let mut rng = seeds.indexed("split-shapes", r as u64);
        for i in 0..s.shapes {
            let shape = gaussian(n, r, 1.0, &mut rng);
            let (hi, lo) = extremes(&shape)?;
            let size = 0.5 * (hi * lo).log10();
            shapes.push(Shape {
                r,
                drawn: theorem4_alpha(&l, hi.max(1.0 / lo), eps, rho).0,
                best_split: theorem4_alpha(&l, (hi / lo).sqrt(), eps, rho).0 + size,
                constants: theorem4_alpha(&l, 1.0, eps, rho).0 + size,
                proposition_r: proposition_r_ln_alpha(&target, &shape, eps, STEPS)?
                    .map(|x| -x / LN10),
                measured: measured(&target, &shape, eps, lo)?,
            });
            bar.inc(1);
            if i == 0 {
                for &c in &s.factors {
                    rewrites.push(rewrite(&target, &shape, c, r, eps, rho)?);
                    bar.inc(1);
                }
            }
        }
    }
    bar.finish_and_clear();
    Ok(Data {
        eps,
        l,
        shapes,
        rewrites,
    })
}

/// The same `W(0)` family written with shape `√c Ū₀`: sizes converted back to `Ū₀`'s units.
fn rewrite(
    target: &Target,
    shape: &Mat<f64>,
    c: f64,
    r: usize,
    eps: f64,
    rho: f64,
) -> Result<Rewrite> {
    let scaled = Mat::from_fn(shape.nrows(), shape.ncols(), |i, j| {
        c.sqrt() * shape[(i, j)]
    });
    let (hi, lo) = extremes(&scaled)?;
    let m = hi.max(1.0 / lo);
    // alpha for the scaled shape is a/c in Ū₀'s units: decades(a) = decades(alpha) − log10 c.
    let back = |d: f64| d - c.log10();
    Ok(Rewrite {
        r,
        c,
        m,
        theorem: back(theorem4_alpha(target.eigenvalues(), m, eps, rho).0),
        proposition_r: proposition_r_ln_alpha(target, &scaled, eps, STEPS)?
            .map(|x| back(-x / LN10)),
        measured: measured(target, &scaled, eps, lo)?.map(back),
    })
}

/// Writes `split.csv`, `split-rewrites.csv` and fills part 2.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let opt = |x: Option<f64>| x.map_or(String::new(), num);
    let rows: Vec<Vec<String>> = data
        .shapes
        .iter()
        .map(|s| {
            vec![
                s.r.to_string(),
                num(s.drawn),
                num(s.best_split),
                num(s.constants),
                opt(s.proposition_r),
                opt(s.measured),
            ]
        })
        .collect();
    out.csv(
        "split.csv",
        &[
            "r",
            "decades_theorem4_as_drawn",
            "decades_theorem4_best_split",
            "decades_theorem4_m1_same_size",
            "decades_proposition_r",
            "decades_measured",
        ],
        &rows,
    )?;
    let rows: Vec<Vec<String>> = data
        .rewrites
        .iter()
        .map(|w| {
            vec![
                w.r.to_string(),
                num(w.c),
                num(w.m),
                num(w.theorem),
                opt(w.proposition_r),
                opt(w.measured),
            ]
        })
        .collect();
    out.csv(
        "split-rewrites.csv",
        &[
            "r",
            "c",
            "M",
            "decades_theorem4",
            "decades_proposition_r",
            "decades_measured",
        ],
        &rows,
    )?;
    decomposition(data, report)?;
    rewrites(data, report);
    Ok(())
}

fn decomposition(data: &Data, report: &mut Report) -> Result<()> {
    let mut columns: Vec<usize> = data.shapes.iter().map(|s| s.r).collect();
    columns.dedup();
    let mut rows = Vec::new();
    let mut r_gaps = Vec::new();
    let mut summary = Vec::new();
    for &r in &columns {
        let here: Vec<&Shape> = data.shapes.iter().filter(|s| s.r == r).collect();
        let with: Vec<&Shape> = here
            .iter()
            .copied()
            .filter(|s| s.measured.is_some())
            .collect();
        if with.is_empty() {
            return Err(lab_err!(
                "split: no shape with r = {r} reaches every Yhat_k"
            ));
        }
        let med =
            |f: &dyn Fn(&Shape) -> f64| median(&with.iter().map(|s| f(s)).collect::<Vec<_>>());
        let m = |s: &Shape| s.measured.expect("filtered");
        let total = med(&|s| s.drawn - m(s));
        let split = med(&|s| s.drawn - s.best_split);
        let cond = med(&|s| s.best_split - s.constants);
        let constants = med(&|s| s.constants - m(s));
        let r_gap: Vec<f64> = with
            .iter()
            .filter_map(|s| s.proposition_r.map(|p| p - m(s)))
            .collect();
        let r_gap = (r_gap.len() == with.len()).then(|| median(&r_gap));
        r_gaps.push(r_gap);
        let pct = |x: f64| short(100.0 * x / (split + cond + constants), 2);
        summary.push(format!(
            "at r = {r}, the split {} %, the condition number {} %, the constants and the rest {} %",
            pct(split),
            pct(cond),
            pct(constants)
        ));
        rows.push(vec![
            r.to_string(),
            format!("{} of {}", with.len(), here.len()),
            short(total, 3),
            short(split, 3),
            short(cond, 3),
            short(constants, 3),
            r_gap.map_or("-".into(), |v| short(v, 3)),
        ]);
    }
    report.table(
        "split_table",
        &[
            "r",
            "shapes that reach every Yhat_k at some alpha >= 1e-300",
            "Theorem 4 as drawn vs measured (decades, median)",
            "of which: the split (as drawn vs best split)",
            "of which: the condition number (best split vs M = 1 of the same size)",
            "of which: the constants and the rest (M = 1 vs measured)",
            "Proposition R vs measured (decades, median)",
        ],
        &rows,
    );
    report.set("split_summary", summary.join("; "));
    let gaps: Vec<String> = r_gaps
        .iter()
        .map(|g| g.map_or("-".into(), |v| short(v, 3)))
        .collect();
    report.set("r_gaps", gaps.join(" and "));
    report.set("split_eps", short(data.eps, 2));
    let l: Vec<String> = data.l.iter().map(|v| short(*v, 3)).collect();
    report.set("split_eigenvalues", l.join(", "));
    report.set(
        "split_shapes",
        (data.shapes.len() / columns.len()).to_string(),
    );
    report.check(
        "r_beats_theorem4",
        data.shapes.iter().all(|s| match s.proposition_r {
            Some(p) => p <= s.best_split,
            None => false,
        }),
        "Proposition R's decades <= Theorem 4's at the best split, every shape".to_string(),
    );
    Ok(())
}

fn rewrites(data: &Data, report: &mut Report) {
    let cell = |x: Option<f64>| x.map_or("-".into(), |v| short(v, 6));
    let rows: Vec<Vec<String>> = data
        .rewrites
        .iter()
        .map(|w| {
            vec![
                w.r.to_string(),
                short(w.c, 2),
                short(w.m, 3),
                short(w.theorem, 4),
                cell(w.proposition_r),
                cell(w.measured),
            ]
        })
        .collect();
    report.table(
        "rewrite_table",
        &[
            "r",
            "c (shape sqrt(c) U0bar, scale alpha/c)",
            "M",
            "Theorem 4 (decades of a)",
            "Proposition R (decades of a)",
            "measured (decades of a)",
        ],
        &rows,
    );
    let spread = |f: &dyn Fn(&Rewrite) -> Option<f64>| -> f64 {
        let mut worst = 0.0f64;
        for w in &data.rewrites {
            for v in &data.rewrites {
                if w.r == v.r {
                    match (f(w), f(v)) {
                        (Some(a), Some(b)) => worst = worst.max((a - b).abs()),
                        (None, None) => {}
                        _ => worst = f64::INFINITY,
                    }
                }
            }
        }
        worst
    };
    let (t, p, m) = (
        spread(&|w| Some(w.theorem)),
        spread(&|w| w.proposition_r),
        spread(&|w| w.measured),
    );
    report.set("rewrite_spread_theorem", short(t, 3));
    report.set("rewrite_spread_r", short(p, 2));
    report.set("rewrite_spread_measured", short(m, 2));
    // One bisection step on ln alpha over [ln 1e-300, 0] is 690.8 / 2^30 nats, 3e-7 decades.
    report.check(
        "invariant",
        p < 1e-5 && m < 1e-5 && t > 1.0,
        format!("spreads across c: theorem {t}, R {p}, measured {m}"),
    );
}

//! Part 1, measurement: the extreme eigenvalues of Gaussian `W̄₀` for every `(n, r)`, summarised
//! into quantiles of `M` under three conventions and the split-invariant alpha.

use crate::config::*;
use faer::linalg::matmul::matmul;
use faer::{Accum, Par};
use mfflow::metrics::eigenvalues_symmetric;
use mfflow::theorems::theorem4_largest_alpha;
use mfflow::Mat;
use mfflow_lab::instances::gaussian;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::stats::{quantile, sorted, QuantileEstimate};
use mfflow_lab::{progress, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Part 1: spectra of W̄₀ = Ū₀ Ū₀ᵀ.

/// Extreme eigenvalues of one `W̄₀` (entries `N(0, 1)`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct Extremes {
    pub(crate) max: f64,
    pub(crate) min: f64,
}

/// For each size: `[ratio][draw]`.
pub(crate) type Spectra = Vec<Vec<Vec<Extremes>>>;

/// Draw `i` for size `n` is one `n × r_max` Gaussian matrix from stream `shape-n{n}`, index `i`;
/// the shape with `r` columns is its first `r` columns, so the ratios share draws (common random
/// numbers: differences between ratios are not blurred by independent noise) and the Gram
/// matrices are accumulated block by block. Draws run in parallel, each from its own stream,
/// so the result does not depend on the thread count.
pub(crate) fn sample_spectra(cfg: &Config, seeds: &Seeds) -> Result<Spectra> {
    let total = (cfg.sizes.len() * cfg.draws) as u64;
    let bar = progress::bar(total, "spectra");
    let result = cfg
        .sizes
        .iter()
        .map(|&n| {
            let cols: Vec<usize> = cfg
                .ratios
                .iter()
                .map(|&q| columns(n, q).expect("validated"))
                .collect();
            let r_max = *cols.last().expect("validated non-empty");
            let stream = format!("shape-n{n}");
            let per_draw: Vec<Vec<Extremes>> = (0..cfg.draws)
                .into_par_iter()
                .map(|i| {
                    let u = gaussian(n, r_max, 1.0, &mut seeds.indexed(&stream, i as u64));
                    let mut gram = Mat::<f64>::zeros(n, n);
                    let mut done = 0;
                    let mut extremes = Vec::with_capacity(cols.len());
                    for &r in &cols {
                        let block = u.subcols(done, r - done);
                        matmul(
                            gram.as_mut(),
                            Accum::Add,
                            block,
                            block.transpose(),
                            1.0,
                            Par::Seq,
                        );
                        done = r;
                        let eig = eigenvalues_symmetric(gram.as_ref())?;
                        extremes.push(Extremes {
                            max: eig[0],
                            min: eig[n - 1],
                        });
                    }
                    bar.inc(1);
                    Ok(extremes)
                })
                .collect::<Result<_>>()?;
            // Transpose to [ratio][draw].
            Ok((0..cols.len())
                .map(|j| per_draw.iter().map(|d| d[j]).collect())
                .collect())
        })
        .collect::<Result<Spectra>>();
    bar.finish_and_clear();
    result
}

/// The three normalisations of `Ū₀` compared for `M`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scaling {
    /// Entries `N(0, 1)`: `M = max(λ_max, 1/λ_min)`.
    Unit,
    /// Entries `N(0, 1/r)`: `M = max(λ_max/r, r/λ_min)`.
    PerColumn,
    /// The best scalar multiple of the draw: `M = √(λ_max/λ_min)` (a lower bound for any scaling).
    Best,
}

impl Scaling {
    pub(crate) const ALL: [Scaling; 3] = [Scaling::Unit, Scaling::PerColumn, Scaling::Best];

    pub(crate) fn m(self, e: Extremes, r: usize) -> f64 {
        let r = r as f64;
        match self {
            Scaling::Unit => e.max.max(1.0 / e.min),
            Scaling::PerColumn => (e.max / r).max(r / e.min),
            Scaling::Best => (e.max / e.min).sqrt(),
        }
    }

    /// The name in data files and figure file names.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Scaling::Unit => "unit",
            Scaling::PerColumn => "per_column",
            Scaling::Best => "best",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Scaling::Unit => "N(0,1)",
            Scaling::PerColumn => "N(0,1/r)",
            Scaling::Best => "best scaling",
        }
    }
}

/// What part 1 measured for one `(n, r)`.
#[derive(Serialize, Deserialize)]
pub(crate) struct Summary {
    pub(crate) n: usize,
    pub(crate) r: usize,
    /// Median and 99th percentile of `λ_max / (√r + √n)²`.
    pub(crate) max_over_edge: (f64, f64),
    /// Median and 1st percentile of `λ_min / (√r − √n)²` (`None` at `r = n`).
    pub(crate) min_over_edge: Option<(f64, f64)>,
    /// At `r = n`: sorted `n λ_min`, for Edelman's law.
    pub(crate) n_lambda_min: Option<Vec<f64>>,
    /// `M_δ` for each δ (config order), per scaling.
    pub(crate) m_quantiles: Vec<[QuantileEstimate; 3]>,
    /// The split-invariant size of `W(0)` Theorem 4 allows ([`split_invariant_alpha`]), in the
    /// units of the `N(0, 1)` draw: its δ-quantile for each δ (config order), so that with
    /// probability `1 − δ` the theorem applies to every `W(0) = a W̄₀` with `a` below it.
    pub(crate) split_alpha: Vec<QuantileEstimate>,
    /// Largest `n ε_mach λ_max / λ_min` over the draws: a bound on the relative error of the
    /// computed `λ_min` (eigenvalues of the Gram matrix have absolute error ~ n ε ‖W̄₀‖).
    pub(crate) lambda_min_rel_error: f64,
    /// The same bound over the draws that decide `M_δ` at the smallest δ: those with `M`
    /// (`N(0, 1)` entries) up to the upper end of its confidence interval.
    pub(crate) lambda_min_rel_error_at_quantile: f64,
}

/// The largest size `a` of `W(0) = a W̄₀` (`W̄₀` the `N(0, 1)` draw) for which Theorem 4
/// applies under the *best split* of `W(0)` into a scale and a shape: writing
/// `W(0) = (a/c)(c W̄₀)`, the theorem applies when `a/c ≤ α₄(M(c W̄₀))` with
/// `M(c W̄₀) = max(c λ_max, 1/(c λ_min))`, so the answer is `max_c c α₄(M(c W̄₀))`. It does not
/// change when a factor is moved between `alpha` and `Ū₀`, unlike `α₄(M)` itself.
///
/// Both limits of `α₄` fall faster than `1/M` (`α ≤ ε/(16 M³)`, and the separation condition
/// gives `α ∝ M^(−2(1+ρ)/(1−ρ))`), so `c α₄(M(c W̄₀))` increases for `c < c*` (where
/// `M = 1/(c λ_min)`) and decreases for `c > c*` (where `M = c λ_max`), with
/// `c* = 1/√(λ_max λ_min)`, the split with `‖W̄₀‖ = ‖W̄₀⁻¹‖ = √(λ_max/λ_min)`: the maximum is
/// `c* α₄(√(λ_max/λ_min))` (checked against a search over `c` in the unit test).
pub(crate) fn split_invariant_alpha(l: &[f64], eps: f64, e: Extremes) -> f64 {
    let c = 1.0 / (e.max * e.min).sqrt();
    c * theorem4_largest_alpha(l, eps, (e.max / e.min).sqrt()).expect("validated target/eps")
}

pub(crate) fn summarize(cfg: &Config, spectra: &Spectra) -> Vec<Vec<Summary>> {
    cfg.sizes
        .iter()
        .zip(spectra)
        .map(|(&n, per_ratio)| {
            cfg.ratios
                .iter()
                .zip(per_ratio)
                .map(|(&q, draws)| {
                    let r = columns(n, q).expect("validated");
                    let (sn, sr) = ((n as f64).sqrt(), (r as f64).sqrt());
                    let hi_edge = (sr + sn).powi(2);
                    let lo_edge = (sr - sn).powi(2);
                    let maxes = sorted(draws.iter().map(|e| e.max / hi_edge).collect());
                    let med = |v: &[f64]| quantile(v, 0.5, cfg.confidence).value;
                    let max_over_edge = (med(&maxes), quantile(&maxes, 0.99, 0.5).value);
                    let min_over_edge = (r > n).then(|| {
                        let mins = sorted(draws.iter().map(|e| e.min / lo_edge).collect());
                        (med(&mins), quantile(&mins, 0.01, 0.5).value)
                    });
                    let n_lambda_min =
                        (r == n).then(|| sorted(draws.iter().map(|e| n as f64 * e.min).collect()));
                    let sorted_m =
                        Scaling::ALL.map(|s| sorted(draws.iter().map(|e| s.m(*e, r)).collect()));
                    let m_quantiles: Vec<[QuantileEstimate; 3]> = cfg
                        .deltas
                        .iter()
                        .map(|&delta| {
                            sorted_m
                                .each_ref()
                                .map(|ms| quantile(ms, 1.0 - delta, cfg.confidence))
                        })
                        .collect();
                    let split = sorted(
                        draws
                            .iter()
                            .map(|e| split_invariant_alpha(&cfg.target_eigenvalues, cfg.eps, *e))
                            .collect(),
                    );
                    let split_alpha = cfg
                        .deltas
                        .iter()
                        .map(|&delta| quantile(&split, delta, cfg.confidence))
                        .collect();
                    let rel_error = |e: &&Extremes| n as f64 * f64::EPSILON * e.max / e.min;
                    let lambda_min_rel_error =
                        draws.iter().map(|e| rel_error(&e)).fold(0.0, f64::max);
                    let m_hi = m_quantiles.last().expect("validated non-empty")[0].hi;
                    let lambda_min_rel_error_at_quantile = draws
                        .iter()
                        .filter(|e| Scaling::Unit.m(**e, r) <= m_hi)
                        .map(|e| rel_error(&e))
                        .fold(0.0, f64::max);
                    Summary {
                        n,
                        r,
                        max_over_edge,
                        min_over_edge,
                        n_lambda_min,
                        m_quantiles,
                        split_alpha,
                        lambda_min_rel_error,
                        lambda_min_rel_error_at_quantile,
                    }
                })
                .collect()
        })
        .collect()
}

/// Edelman's limit law for the smallest eigenvalue of a square Wishart matrix:
/// `P(n λ_min ≤ x) → 1 − exp(−x/2 − √x)` (Edelman 1988, Thm 3.1, real case).
pub(crate) fn edelman_cdf(x: f64) -> f64 {
    1.0 - (-x / 2.0 - x.sqrt()).exp()
}

/// `M_δ` for `N(0, 1)` entries as the limit laws predict it: `λ_max` at its edge `(√r + √n)²`,
/// and `λ_min` at its edge `(√r − √n)²` for `r > n`, or at `r = n` at Edelman's δ-quantile
/// `x_δ/n`, where `x_δ/2 + √x_δ = −log(1 − δ)`.
pub(crate) fn predicted_m(n: usize, r: usize, delta: f64) -> f64 {
    let (sn, sr) = ((n as f64).sqrt(), (r as f64).sqrt());
    let lambda_min = if r > n {
        (sr - sn).powi(2)
    } else {
        (-1.0 + (1.0 - 2.0 * (1.0 - delta).ln()).sqrt()).powi(2) / n as f64
    };
    (sr + sn).powi(2).max(1.0 / lambda_min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_invariant_alpha_is_the_best_split_and_does_not_depend_on_it() {
        let (l, eps) = ([4.0, 2.0, 1.0], 0.1);
        for (max, min) in [
            (30.0, 0.5),
            (2304.0, 256.0),
            (4.0, 1e-4),
            (1.0, 1.0),
            (0.2, 0.01),
        ] {
            let best = split_invariant_alpha(&l, eps, Extremes { max, min });
            // No split c on a fine logarithmic grid (12 decades around c*) does better, and
            // the grid's best is within its step of the closed form.
            let mut grid_best = 0.0f64;
            for i in -6000..=6000 {
                let c = (f64::from(i) * 2e-3 * std::f64::consts::LN_10).exp() / (max * min).sqrt();
                let m = (c * max).max(1.0 / (c * min));
                let a = c * theorem4_largest_alpha(&l, eps, m).unwrap();
                assert!(a <= best * (1.0 + 1e-12), "c = {c}: {a} > {best}");
                grid_best = grid_best.max(a);
            }
            assert!(grid_best >= best * (1.0 - 1e-9), "{grid_best} vs {best}");
            // Moving a factor k from alpha into the shape: W(0) = a W̄ = (a/k)(k W̄), so the
            // allowed a is k times the allowed size for the shape k W̄.
            for k in [1e-3, 0.5, 7.0, 1e4] {
                let scaled = split_invariant_alpha(
                    &l,
                    eps,
                    Extremes {
                        max: k * max,
                        min: k * min,
                    },
                );
                assert!((k * scaled / best - 1.0).abs() < 1e-12, "k = {k}");
            }
        }
    }
}

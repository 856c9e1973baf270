//! Monte Carlo summaries: sample quantiles with distribution-free confidence intervals,
//! empirical proportions with Wilson intervals, Kolmogorov–Smirnov distances with their
//! critical values, sorting helpers, and least-squares slopes.
//!
//! Written here rather than taken from a statistics crate because only two small formulas are
//! needed (order statistics of a binomial count, and the Wilson score interval), and the design
//! card's dependency list has no statistics crate.

/// A sample quantile with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QuantileEstimate {
    /// The probability `p` of the quantile `q_p` (`P(X ≤ q_p) = p`).
    pub p: f64,
    /// The sample quantile: the order statistic `X_(⌈N p⌉)` (inverse of the empirical CDF).
    pub value: f64,
    /// Lower end of the confidence interval, an order statistic.
    pub lo: f64,
    /// Upper end of the confidence interval, an order statistic.
    pub hi: f64,
}

/// The `p`-quantile of `sorted` (ascending, no NaN) with a distribution-free confidence
/// interval of level at least `level` (e.g. 0.95).
///
/// For a continuous distribution the number `B` of samples below `q_p` is Binomial(N, p), so
/// `P(X_(j) ≤ q_p < X_(k)) = P(j ≤ B < k)`. `j` is the largest index with `P(B < j) ≤ (1−level)/2`
/// and `k` the smallest with `P(B ≥ k) ≤ (1−level)/2`; when the sample is too small for a
/// bound, that end is the sample's extreme (and the interval is not a full `level` one).
pub fn quantile(sorted: &[f64], p: f64, level: f64) -> QuantileEstimate {
    assert!(!sorted.is_empty(), "quantile of an empty sample");
    assert!(p > 0.0 && p < 1.0 && level > 0.0 && level < 1.0);
    let n = sorted.len();
    let tail = (1.0 - level) / 2.0;
    let cdf = binomial_cdf(n, p);
    // cdf[m] = P(B ≤ m). P(B < j) = cdf[j-1].
    let mut j = 0; // 0 means "no lower bound": use the minimum.
    for cand in 1..=n {
        if cdf[cand - 1] <= tail {
            j = cand;
        } else {
            break;
        }
    }
    // P(B ≥ k) = 1 − cdf[k−1]; the smallest such k, or n + 1 (no upper bound).
    let k = (1..=n).find(|&k| 1.0 - cdf[k - 1] <= tail).unwrap_or(n + 1);
    let at = |rank: usize| sorted[rank.clamp(1, n) - 1];
    let rank = ((n as f64 * p).ceil() as usize).clamp(1, n);
    QuantileEstimate {
        p,
        value: at(rank),
        lo: at(j.max(1)),
        hi: at(k.min(n)),
    }
}

/// `P(B ≤ m)` for `m = 0..=n`, `B ~ Binomial(n, p)`, summed in log space (no overflow for
/// any `n` a Monte Carlo run uses).
fn binomial_cdf(n: usize, p: f64) -> Vec<f64> {
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    let mut log_choose = 0.0f64; // ln C(n, m), updated incrementally
    let mut acc = 0.0f64;
    (0..=n)
        .map(|m| {
            if m > 0 {
                log_choose += ((n - m + 1) as f64).ln() - (m as f64).ln();
            }
            acc += (log_choose + m as f64 * lp + (n - m) as f64 * lq).exp();
            acc.min(1.0)
        })
        .collect()
}

/// An empirical proportion `successes / trials` with its Wilson score interval at `z`
/// standard deviations (1.96 for 95%): well behaved at proportions of 0 and 1, unlike the
/// normal approximation.
pub fn wilson(successes: usize, trials: usize, z: f64) -> (f64, f64, f64) {
    assert!(trials > 0 && successes <= trials);
    let n = trials as f64;
    let p = successes as f64 / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    (p, (centre - half).max(0.0), (centre + half).min(1.0))
}

/// `values` sorted ascending by `f64::total_cmp` (NaN last), for quantiles and KS distances.
pub fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

/// Kolmogorov–Smirnov distance `sup_x |F_N(x) − F(x)|` between the empirical CDF of `sorted`
/// (ascending) and a continuous CDF: the largest gap just before and at each sample point.
pub fn ks_distance(sorted: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let n = sorted.len() as f64;
    sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max)
}

/// The asymptotic critical value of the one-sample KS distance for `n` draws at level
/// `1 − level` (Kolmogorov's limit law, `c(level) / √n` with `c = √(−ln(level/2)/2)`, e.g.
/// `c = 1.358` at 5%; accurate to a few percent for `n ≥ 35`).
pub fn ks_critical(n: usize, level: f64) -> f64 {
    assert!(n > 0 && level > 0.0 && level < 1.0);
    (-(level / 2.0).ln() / 2.0).sqrt() / (n as f64).sqrt()
}

/// Least-squares slope of `y` against `x` (`None` with fewer than two points).
pub fn least_squares_slope(pts: &[(f64, f64)]) -> Option<f64> {
    if pts.len() < 2 {
        return None;
    }
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / pts.len() as f64;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / pts.len() as f64;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    Some(sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_interval_matches_the_published_table() {
        // Tables of distribution-free CIs for the median (e.g. Conover, "Practical
        // Nonparametric Statistics", Table A3): N = 100 at 95% uses ranks 40 and 61.
        let sample: Vec<f64> = (1..=100).map(f64::from).collect();
        let q = quantile(&sample, 0.5, 0.95);
        assert_eq!((q.lo, q.value, q.hi), (40.0, 50.0, 61.0));
    }

    #[test]
    fn upper_quantile_interval_has_its_coverage() {
        // N = 1000, p = 0.99: the ranks 983 and 997 (coverage 0.97609) were computed
        // independently with exact integer binomials (Python's math.comb); coverage ≥ 0.95.
        let sample: Vec<f64> = (1..=1000).map(f64::from).collect();
        let q = quantile(&sample, 0.99, 0.95);
        let (j, k) = (q.lo as usize, q.hi as usize);
        assert_eq!(q.value, 990.0);
        assert_eq!((j, k), (983, 997));
        let cdf = binomial_cdf(1000, 0.99);
        let coverage = cdf[k - 1] - cdf[j - 1];
        assert!((coverage - 0.976_094_763_5).abs() < 1e-9, "{coverage}");
    }

    #[test]
    fn binomial_cdf_is_exact_on_a_small_case() {
        // Bin(4, 1/2): P(B ≤ m) = 1/16, 5/16, 11/16, 15/16, 1.
        let cdf = binomial_cdf(4, 0.5);
        for (got, want) in cdf.iter().zip([1.0, 5.0, 11.0, 15.0, 16.0]) {
            assert!((got - want / 16.0).abs() < 1e-15);
        }
    }

    #[test]
    fn slope_of_an_exact_line_and_of_too_few_points() {
        // y = 3 - 2x at x = 0, 1, 2, 4: exact in binary, so the fit is exactly -2.
        let pts = [(0.0, 3.0), (1.0, 1.0), (2.0, -1.0), (4.0, -5.0)];
        assert_eq!(least_squares_slope(&pts), Some(-2.0));
        assert_eq!(least_squares_slope(&pts[..1]), None);
    }

    #[test]
    fn ks_distance_of_a_known_sample_and_the_critical_value() {
        // Uniform CDF, sample {0.1, 0.6}: gaps |0.1-0|, |0.5-0.1|, |0.6-0.5|, |1-0.6| -> 0.4.
        let d = ks_distance(&[0.1, 0.6], |x| x);
        assert!((d - 0.4).abs() < 1e-15, "{d}");
        // The exact quantiles of a uniform grid are at distance 1/(2N).
        let grid: Vec<f64> = (0..100).map(|i| (i as f64 + 0.5) / 100.0).collect();
        assert!((ks_distance(&grid, |x| x) - 0.005).abs() < 1e-12);
        // Kolmogorov's table: c = 1.3581 at 5%, 1.6276 at 1%.
        assert!((ks_critical(1, 0.05) - 1.3581).abs() < 1e-4);
        assert!((ks_critical(100, 0.01) - 0.16276).abs() < 1e-5);
        assert_eq!(sorted(vec![3.0, f64::NAN, -1.0])[..2], [-1.0, 3.0]);
    }

    #[test]
    fn wilson_interval_matches_a_hand_computation() {
        // 0 of 10 at z = 1.96: upper end z²/(n + z²) = 3.8416/13.8416 = 0.27754.
        let (p, lo, hi) = wilson(0, 10, 1.96);
        assert_eq!((p, lo), (0.0, 0.0));
        assert!((hi - 0.277_54).abs() < 1e-5, "{hi}");
        let (p, lo, hi) = wilson(50, 100, 1.96);
        assert_eq!(p, 0.5);
        assert!(
            (lo - 0.4038).abs() < 1e-4 && (hi - 0.5962).abs() < 1e-4,
            "{lo} {hi}"
        );
    }
}

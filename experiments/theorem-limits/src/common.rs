//! What every part uses: the theorems' largest alpha in logarithms (they fall below f64 as the
//! gap closes), Proposition R's largest alpha, the measured largest alpha at which every `Ŷ_k`
//! is reached, and bisection on `log(alpha)`.

use mfflow::analysis::{linspace, min_errors_to_ranks};
use mfflow::metrics::eigenvalues_symmetric;
use mfflow::rank_deficient_bound::{quantities, window};
use mfflow::{Form, Init, Mat, Target, Trajectory};
use mfflow_lab::Result;

/// The smallest alpha any part evaluates (the harness's limit).
pub const LN_ALPHA_MIN: f64 = -690.775_527_898_213_7; // ln(1e-300)

/// Decades `log10(1/alpha)` of `min(bound, alpha_sep)` for constants `c`, `C` given by their logarithms, with
/// the separation ratio `rho`: `ln alpha_sep = (ln c − rho ln C)/(1 − rho)` (see
/// `mfflow::theorems::theorem4_largest_alpha`). Returns also whether the separation binds.
pub fn log10_theorem_alpha(ln_c: f64, ln_big_c: f64, ln_bound: f64, rho: f64) -> (f64, bool) {
    let ln_sep = (ln_c - rho * ln_big_c) / (1.0 - rho);
    (
        -ln_sep.min(ln_bound) / std::f64::consts::LN_10,
        ln_sep < ln_bound,
    )
}

/// Theorem 3 for a spectral shape with entries `s` (`l` sorted, `k_rank` positive).
pub fn theorem3_alpha(l: &[f64], s: &[f64], eps: f64, rho: f64) -> (f64, bool) {
    let k_rank = l.iter().filter(|&&v| v > 0.0).count();
    let s_max = s.iter().fold(0.0f64, |a, &b| a.max(b));
    let s_min = s[..k_rank].iter().fold(f64::INFINITY, |a, &b| a.min(b));
    let ln_c = (eps / s_max).ln();
    let ln_big_c = 2.0 * l[0].ln() - eps.ln() - s_min.ln();
    log10_theorem_alpha(ln_c, ln_big_c, ln_c, rho)
}

/// Theorem 4 for a shape with constant `m`.
pub fn theorem4_alpha(l: &[f64], m: f64, eps: f64, rho: f64) -> (f64, bool) {
    let ln16m2 = 16f64.ln() + 2.0 * m.ln();
    let ln_c = eps.ln() - ln16m2;
    let ln_big_c = 2.0 * l[0].ln() + ln16m2 - eps.ln();
    log10_theorem_alpha(ln_c, ln_big_c, ln_c - m.ln(), rho)
}

/// The largest and smallest eigenvalue of `Ū₀ Ū₀ᵀ`.
pub fn extremes(shape: &Mat<f64>) -> Result<(f64, f64)> {
    let gram = shape * shape.transpose();
    let e = eigenvalues_symmetric(gram.as_ref())?;
    let (hi, lo) = e
        .iter()
        .fold((0.0f64, f64::INFINITY), |(h, l), &v| (h.max(v), l.min(v)));
    Ok((hi, lo))
}

/// `max(‖W̄₀‖, ‖W̄₀⁻¹‖)`.
pub fn theorem4_m(shape: &Mat<f64>) -> Result<f64> {
    let (hi, lo) = extremes(shape)?;
    Ok(hi.max(1.0 / lo))
}

/// The largest alpha in `[e^lo, e^hi]` at which `holds`, by `steps` bisections on `ln alpha`,
/// given that it holds at `e^lo` (assumed: a single crossing). `None` if it fails at `e^lo`.
pub fn bisect_ln_alpha(
    lo: f64,
    hi: f64,
    steps: usize,
    mut holds: impl FnMut(f64) -> Result<bool>,
) -> Result<Option<f64>> {
    if !holds(lo.exp())? {
        return Ok(None);
    }
    if holds(hi.exp())? {
        return Ok(Some(hi));
    }
    let (mut a, mut b) = (lo, hi);
    for _ in 0..steps {
        let mid = 0.5 * (a + b);
        if holds(mid.exp())? {
            a = mid;
        } else {
            b = mid;
        }
    }
    Ok(Some(a))
}

/// Whether the exact trajectory comes within eps of every `Ŷ_k`, `k = 1..K`, somewhere: on a
/// grid up to well past the last transition, each minimum refined by golden-section search.
pub fn reaches_every_rank(
    target: &Target,
    init: &Init,
    eps: f64,
    points: usize,
    lambda_min: f64,
) -> Result<bool> {
    Ok(closest_to_each_rank(target, init, eps, points, lambda_min)?
        .iter()
        .all(|&e| e <= eps))
}

/// `min_t ‖W(t) − Ŷ_k‖` for `k = 1..K` (a minimum already `≤ eps` on the grid is not refined).
pub fn closest_to_each_rank(
    target: &Target,
    init: &Init,
    eps: f64,
    points: usize,
    lambda_min: f64,
) -> Result<Vec<f64>> {
    let l = target.eigenvalues();
    let k_rank = target.positive_rank();
    let alpha = init.alpha();
    let scale = (l[0] / (alpha * lambda_min)).ln().max(1.0);
    let horizon = 1.5 * scale / (2.0 * l[k_rank - 1]) + 4.0 / l[k_rank - 1];
    let traj = Trajectory::new(target, init, Form::Auto)?;
    Ok(min_errors_to_ranks(
        &traj,
        k_rank,
        &linspace(0.0, horizon, points),
        eps,
    )?)
}

/// The largest alpha (as `ln`) for which Proposition R gives a nonempty window `J_k` at every
/// `k = 1..K` (the hypotheses included: `alpha ‖Ū₀‖² ≤ eps`), by bisection; `None` below 1e-300.
pub fn proposition_r_ln_alpha(
    target: &Target,
    shape: &Mat<f64>,
    eps: f64,
    steps: usize,
) -> Result<Option<f64>> {
    let l = target.eigenvalues();
    let k_rank = target.positive_rank();
    let qs = quantities(target, &Init::new(1.0, shape.as_ref())?, k_rank)?;
    let s = qs[0].s_max;
    let all_open = |alpha: f64| -> Result<bool> {
        Ok(qs
            .iter()
            .all(|q| window(l, q, alpha, eps).is_some_and(|j| j.end.is_none_or(|e| e >= j.start))))
    };
    bisect_ln_alpha(LN_ALPHA_MIN, (eps / s).ln(), steps, all_open)
}

/// `(a, b)` of the least-squares line `y = a + b x`.
pub fn fit_line(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| {
        let b = sxy / sxx;
        (my - b * mx, b)
    })
}

/// The median of a nonempty list.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mfflow::theorems::theorem4_largest_alpha;

    #[test]
    fn the_log_form_agrees_with_the_core_where_f64_can_say() {
        for (l, m) in [
            (vec![1.0, 0.5, 0.0], 1.0),
            (vec![4.0, 2.0, 1.0], 7.5),
            (vec![1.0, 0.9], 30.0),
        ] {
            let k = l.iter().filter(|&&v| v > 0.0).count();
            let rho = (1..k).map(|i| l[i] / l[i - 1]).fold(0.0f64, f64::max);
            let core = theorem4_largest_alpha(&l, 0.05, m).unwrap();
            let (mine, _) = theorem4_alpha(&l, m, 0.05, rho);
            assert!(
                (mine + core.log10()).abs() < 1e-12,
                "{mine} vs {}",
                core.log10()
            );
        }
        assert_eq!(
            fit_line(&[(0.0, 1.0), (1.0, 3.0), (2.0, 5.0)]),
            Some((1.0, 2.0))
        );
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), 2.5);
    }
}

//! Spectral initialization, `Φᵀ W̄₀ Φ = diag(s)`: the flow decouples into scalars (Corollary 2).
//!
//! ```text
//! wᵢ(t) = α lᵢ sᵢ e^{2 lᵢ t} / (lᵢ + α sᵢ (e^{2 lᵢ t} − 1))    if lᵢ ≠ 0   (12)
//! wᵢ(t) = α sᵢ / (1 + 2 α sᵢ t)                                if lᵢ = 0   (13)
//! ```
//!
//! As printed, (12) overflows once `2 lᵢ t > 709` and cancels for negative `lᵢ`. Dividing by
//! `e^{2 lᵢ t}` when `lᵢ > 0` gives `α s l / (l e^{−2lt} − α s expm1(−2lt))`, and for `lᵢ < 0`
//! the form `α s |l| e^{2lt} / (|l| − α s expm1(2lt))`: every term of each denominator has
//! one sign, so there is neither overflow nor cancellation.

/// `wᵢ(t)` of (12)–(13) for one eigenvalue `l`, shape entry `s ≥ 0` and scale `alpha`.
pub fn eigenvalue_at(l: f64, s: f64, alpha: f64, t: f64) -> f64 {
    let a = alpha * s;
    if a == 0.0 {
        0.0
    } else if l > 0.0 {
        let decay = (-2.0 * l * t).exp();
        a * l / (l * decay - a * (-2.0 * l * t).exp_m1())
    } else if l < 0.0 {
        let m = -l;
        a * m * (2.0 * l * t).exp() / (m - a * (2.0 * l * t).exp_m1())
    } else {
        a / (1.0 + 2.0 * a * t)
    }
}

/// All `wᵢ(t)` for eigenvalues `l` and shape `s` (same order as given).
pub fn eigenvalues_at(l: &[f64], s: &[f64], alpha: f64, t: f64) -> Vec<f64> {
    l.iter()
        .zip(s)
        .map(|(&li, &si)| eigenvalue_at(li, si, alpha, t))
        .collect()
}

/// The time at which `wᵢ` is halfway to `lᵢ`, `log((lᵢ − α sᵢ)/(α sᵢ)) / (2 lᵢ)`
/// (≈ `log(1/α)/(2 lᵢ)` for small α, the paper's transition time). `None` when `lᵢ ≤ α sᵢ`.
pub fn half_time(l: f64, s: f64, alpha: f64) -> Option<f64> {
    let a = alpha * s;
    (l > a && a > 0.0).then(|| ((l - a) / a).ln() / (2.0 * l))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Independent check: a fine fixed-step RK4 of the scalar ODE w' = 2 l w − 2 w².
    fn rk4(l: f64, w0: f64, t: f64, steps: usize) -> f64 {
        let f = |w: f64| 2.0 * l * w - 2.0 * w * w;
        let h = t / steps as f64;
        let mut w = w0;
        for _ in 0..steps {
            let k1 = f(w);
            let k2 = f(w + 0.5 * h * k1);
            let k3 = f(w + 0.5 * h * k2);
            let k4 = f(w + h * k3);
            w += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        }
        w
    }

    #[test]
    fn matches_the_scalar_ode() {
        // RK4 with h = 1e-4 has global error ~ h⁴ ≈ 1e-16 per unit time here.
        for &(l, s, alpha, t) in &[
            (2.0, 1.0, 1e-3, 3.0),
            (0.5, 2.0, 0.1, 10.0),
            (-1.5, 1.0, 0.5, 2.0),
            (0.0, 3.0, 0.2, 4.0),
        ] {
            let exact = eigenvalue_at(l, s, alpha, t);
            let ode = rk4(l, alpha * s, t, (t / 1e-4) as usize);
            assert!((exact - ode).abs() < 1e-12, "l={l} exact={exact} ode={ode}");
        }
    }

    #[test]
    fn finite_at_the_extremes_and_right_limits() {
        for &alpha in &[1e-300, 1e-12, 1.0, 10.0] {
            for &t in &[0.0, 1e-3, 1.0, 1e3, 1e6] {
                for &l in &[3.0, 1e-3, 0.0, -2.0] {
                    let w = eigenvalue_at(l, 0.7, alpha, t);
                    assert!(w.is_finite() && w >= 0.0, "l={l} alpha={alpha} t={t}: {w}");
                }
            }
            // w(0) = α s up to the rounding of one product and one quotient.
            let w0 = eigenvalue_at(3.0, 0.7, alpha, 0.0);
            assert!((w0 - alpha * 0.7).abs() <= 4.0 * f64::EPSILON * alpha * 0.7);
            assert!((eigenvalue_at(3.0, 0.7, alpha, 1e6) - 3.0).abs() < 1e-15);
            assert_eq!(eigenvalue_at(-2.0, 0.7, alpha, 1e6), 0.0);
        }
    }

    #[test]
    fn half_time_is_where_w_is_half_l() {
        let (l, s, alpha) = (1.5, 0.8, 1e-8);
        let t = half_time(l, s, alpha).unwrap();
        assert!((eigenvalue_at(l, s, alpha, t) - l / 2.0).abs() < 1e-12);
        assert!(half_time(1e-9, 1.0, 1e-8).is_none());
    }
}

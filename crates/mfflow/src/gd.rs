//! Reference 2: plain gradient descent on (1), `U ← U + η (Y − U Uᵀ) U`; step k ↔ time `k η`.
//!
//! Gradient descent is the forward-Euler discretisation of (2), so its distance to the flow is
//! `O(η)` on bounded time intervals: halving `η` should halve the difference.

use crate::error::{check_finite, Error};
use crate::ode::factor_rhs;
use faer::{Mat, MatRef};

/// The iterates at the step counts nearest to each time (`k = round(t / η)`), any order.
/// Returns, for each time, the time actually reached (`k η`) and `U` there.
pub fn gradient_descent(
    y: MatRef<'_, f64>,
    u0: MatRef<'_, f64>,
    eta: f64,
    times: &[f64],
) -> Result<Vec<(f64, Mat<f64>)>, Error> {
    check_finite(u0, "the initial factor")?;
    let bound = divergence_bound(y, u0, eta);
    descend(
        u0.to_owned(),
        eta,
        times,
        |u| {
            let g = factor_rhs(y, u.as_ref());
            *u += faer::Scale(eta) * g;
        },
        |u| {
            check_finite(u.as_ref(), "the gradient-descent iterate (step too large?)")?;
            let trace = u.squared_norm_l2();
            if trace > bound {
                return Err(Error::BadParameter {
                    what: "eta",
                    why: format!(
                        "gradient descent diverged: trace W = {trace:e} exceeds {bound:e}, \
                         far outside where a convergent run can be; the step eta = {eta:e} is beyond \
                         the stability limit (about 1 / max eigenvalue of y)"
                    ),
                });
            }
            Ok(())
        },
    )
}

/// `trace W` beyond which gradient descent has certainly left the region where it converges.
///
/// For one direction the iteration is `w ← w (1 + η (l − w))²`; once `w > l + 2/η` the factor
/// `|1 + η(l − w)|` exceeds 1 and `w` grows without bound. `trace W ≤ n λ_max(W)`, and
/// `λ_max(Y) ≤ ‖Y‖_F`, so `trace W > 2 (n (‖Y‖_F + 2/η) + trace W(0))` means some direction is
/// far past that point (the factor 2 and `trace W(0)` leave room for a large initialization,
/// which the flow only shrinks towards `Y`).
fn divergence_bound(y: MatRef<'_, f64>, u0: MatRef<'_, f64>, eta: f64) -> f64 {
    let n = y.nrows() as f64;
    2.0 * (n * (y.norm_l2() + 2.0 / eta) + u0.squared_norm_l2())
}

/// Most gradient-descent steps one call takes (the references run far fewer; beyond this a
/// step is so small against the times asked for that the run would take hours).
pub const MAX_STEPS: u64 = 10_000_000;

/// The driver shared by every gradient descent here: runs `step` on the state until the step
/// count nearest each time (`k = round(t / η)`, times in any order), checks the state with
/// `check` there, and returns `(k η, state)` per time, in the order given.
pub(crate) fn descend<S: Clone>(
    mut state: S,
    eta: f64,
    times: &[f64],
    mut step: impl FnMut(&mut S),
    check: impl Fn(&S) -> Result<(), Error>,
) -> Result<Vec<(f64, S)>, Error> {
    if !(eta.is_finite() && eta > 0.0) {
        return Err(Error::BadParameter {
            what: "eta",
            why: format!("the step must be finite and > 0, got {eta}"),
        });
    }
    crate::error::check_times(times)?;
    if let Some(&t) = times.iter().find(|&&t| t > 0.0 && (t / eta).round() == 0.0) {
        return Err(Error::BadParameter {
            what: "eta",
            why: format!(
                "the step eta = {eta:e} is more than twice the time {t}: gradient descent would \
                 report its initial point there (round(t / eta) = 0 steps)"
            ),
        });
    }
    if let Some(&t) = times
        .iter()
        .find(|&&t| (t / eta).round() > MAX_STEPS as f64)
    {
        return Err(Error::BadParameter {
            what: "eta",
            why: format!(
                "reaching t = {t:e} with eta = {eta:e} takes {:e} steps, more than {MAX_STEPS}: use a \
                 larger eta (or the closed form)",
                (t / eta).round()
            ),
        });
    }
    let steps: Vec<u64> = times.iter().map(|t| (t / eta).round() as u64).collect();
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by_key(|&i| steps[i]);
    let mut out: Vec<Option<(f64, S)>> = vec![None; times.len()];
    let mut k = 0u64;
    for &idx in &order {
        while k < steps[idx] {
            step(&mut state);
            k += 1;
            // Every step, not only at the output times: a diverging run reaches inf within a
            // few steps and would otherwise grind on NaNs for all the steps still asked for.
            check(&state)?;
        }
        check(&state)?;
        out[idx] = Some((k as f64 * eta, state.clone()));
    }
    Ok(out
        .into_iter()
        .map(|o| o.expect("every time visited"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_order_convergence_to_the_scalar_flow() {
        let (l, w0, t) = (1.0f64, 1e-4f64, 8.0);
        let y = Mat::from_fn(1, 1, |_, _| l);
        let u0 = Mat::from_fn(1, 1, |_, _| w0.sqrt());
        let exact = crate::spectral::eigenvalue_at(l, 1.0, w0, t);
        let err = |eta: f64| {
            let r = gradient_descent(y.as_ref(), u0.as_ref(), eta, &[t]).unwrap();
            (r[0].1[(0, 0)].powi(2) - exact).abs()
        };
        let (e1, e2) = (err(1e-2), err(5e-3));
        // Euler is first order: halving η roughly halves the error (ratio 2 up to O(η)).
        assert!(e1 > 0.0 && (e1 / e2 - 2.0).abs() < 0.2, "e1={e1} e2={e2}");
    }

    #[test]
    fn divergence_and_useless_steps_are_errors_not_answers() {
        // Issue 15, item 5: eta = 1.5 and 3 on l = 2 diverged to 6e199 / 4.9e40 with exit 0;
        // eta = 1e300 reached only t = 0.
        let y = Mat::from_fn(2, 2, |i, j| [[2.0, 0.5], [0.5, 1.0]][i][j]);
        let u0 = Mat::from_fn(2, 2, |i, j| if i == j { 1e-3 } else { 0.0 });
        for eta in [1.5, 3.0] {
            let e = gradient_descent(y.as_ref(), u0.as_ref(), eta, &[30.0]).unwrap_err();
            assert!(
                e.to_string().contains("diverged") || e.to_string().contains("NaN"),
                "{e}"
            );
        }
        let e = gradient_descent(y.as_ref(), u0.as_ref(), 1e300, &[0.0, 20.0]).unwrap_err();
        assert!(e.to_string().contains("round(t / eta) = 0"), "{e}");
        let e = gradient_descent(y.as_ref(), u0.as_ref(), 1e-12, &[1e6]).unwrap_err();
        assert!(e.to_string().contains("steps"), "{e}");
        // A stable step still works: eta = 0.3 < 1/l1 ≈ 0.45.
        assert!(gradient_descent(y.as_ref(), u0.as_ref(), 0.3, &[30.0]).is_ok());
    }

    #[test]
    fn rejects_bad_step() {
        let y = Mat::<f64>::identity(1, 1);
        assert!(gradient_descent(y.as_ref(), y.as_ref(), 0.0, &[1.0]).is_err());
        assert!(gradient_descent(y.as_ref(), y.as_ref(), 0.1, &[-1.0]).is_err());
    }
}

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
    descend(
        u0.to_owned(),
        eta,
        times,
        |u| {
            let g = factor_rhs(y, u.as_ref());
            *u += faer::Scale(eta) * g;
        },
        |u| check_finite(u.as_ref(), "the gradient-descent iterate (step too large?)"),
    )
}

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
    let steps: Vec<u64> = times.iter().map(|t| (t / eta).round() as u64).collect();
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by_key(|&i| steps[i]);
    let mut out: Vec<Option<(f64, S)>> = vec![None; times.len()];
    let mut k = 0u64;
    for &idx in &order {
        while k < steps[idx] {
            step(&mut state);
            k += 1;
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
    fn rejects_bad_step() {
        let y = Mat::<f64>::identity(1, 1);
        assert!(gradient_descent(y.as_ref(), y.as_ref(), 0.0, &[1.0]).is_err());
        assert!(gradient_descent(y.as_ref(), y.as_ref(), 0.1, &[-1.0]).is_err());
    }
}

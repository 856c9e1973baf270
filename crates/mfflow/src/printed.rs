//! The closed form (5) evaluated exactly as printed — a baseline, not a method.
//!
//! ```text
//! W(t) = Φ S(t) W̃₀ (I + G(t) W̃₀)⁻¹ S(t) Φᵀ,   S = diag(e^{l_i t}),  G = diag((e^{2 l_i t} − 1)/l_i)   (5)
//! ```
//!
//! `I + G W̃₀` has condition number about `e^{2 l₁ t}/α`, so this loses all accuracy long
//! before `exp` overflows (see `MATH.md` §3). It is kept only so that the benchmarks and the
//! performance report can show what the stable routes of [`crate::trajectory`] buy, in time and
//! in accuracy, over the transcription a reader would write first.

use crate::error::Error;
use crate::init::Init;
use crate::target::Target;
use faer::linalg::solvers::Solve;
use faer::Mat;

/// `W(t)` in the original basis by formula (5), one LU solve per time.
pub fn printed_formula(
    target: &Target,
    init: &Init,
    times: &[f64],
) -> Result<Vec<Mat<f64>>, Error> {
    crate::error::check_times(times)?;
    let l = target.eigenvalues();
    let n = l.len();
    let w0 = target.to_eigenbasis(init.u0().as_ref());
    let w0 = &w0 * w0.transpose();
    times
        .iter()
        .map(|&t| {
            let g: Vec<f64> = l
                .iter()
                .map(|&li| {
                    if li == 0.0 {
                        2.0 * t
                    } else {
                        (2.0 * li * t).exp_m1() / li
                    }
                })
                .collect();
            let s: Vec<f64> = l.iter().map(|&li| (li * t).exp()).collect();
            let a = Mat::from_fn(n, n, |i, j| f64::from(u8::from(i == j)) + g[i] * w0[(i, j)]);
            // W̃ = S W̃₀ A⁻¹ S, with W̃₀ A⁻¹ = (A⁻ᵀ W̃₀)ᵀ = (A⁻ᵀ W̃₀ᵀ)ᵀ.
            let x = a.partial_piv_lu().solve_transpose(&w0);
            let wt = Mat::from_fn(n, n, |i, j| s[i] * x[(j, i)] * s[j]);
            Ok(target.from_eigenbasis(wt.as_ref()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::max_abs_diff;
    use crate::trajectory::{Form, Trajectory};

    #[test]
    fn agrees_with_the_stable_form_where_it_is_well_conditioned_and_fails_where_it_is_not() {
        let target = Target::diagonal(&[3.0, 1.0, 0.0]).unwrap();
        let shape = Mat::from_fn(3, 3, |i, j| if i == j { 1.0 } else { 0.3 });
        // alpha = 0.1, t <= 1: cond(I + G W̃₀) <= ~e^6 ~ 400, so (5) is accurate to ~1e-13.
        let init = Init::new(0.1, shape.as_ref()).unwrap();
        let exact = Trajectory::new(&target, &init, Form::Auto).unwrap();
        let times = [0.0, 0.5, 1.0];
        let printed = printed_formula(&target, &init, &times).unwrap();
        for (p, e) in printed.iter().zip(exact.w(&times).unwrap()) {
            assert!(max_abs_diff(p.as_ref(), e.as_ref()) < 1e-12);
        }
        // alpha = 1e-6, t = 28: cond ~ e^168 / 1e-6 ~ 1e79; the printed formula is off by
        // many orders of magnitude (1.5e14 measured here; MATH.md §3: 1e36 on another
        // instance), while W itself is of size 3.
        let init = Init::new(1e-6, shape.as_ref()).unwrap();
        let exact = Trajectory::new(&target, &init, Form::Auto).unwrap();
        let p = printed_formula(&target, &init, &[28.0]).unwrap().remove(0);
        let e = exact.w(&[28.0]).unwrap().remove(0);
        assert!(
            max_abs_diff(p.as_ref(), e.as_ref()) > 1.0,
            "the baseline did not fail"
        );
    }
}

//! The eigenvalues of `W(t)` — the learning curves — from either route's graded factor, every
//! one to relative accuracy (the `α`-level ones too, which the log-scale learning curves show).
//!
//! # Why not a symmetric eigensolver on `W`
//!
//! The spectrum of `W(t)` spans from `α`-level (unlearned directions) to `‖Y‖` (learned ones)
//! at once. A tridiagonal-reduction eigensolver on `W̃` resolves each eigenvalue only to about
//! `n ε λ_max`, and on the inverse form's inner matrix only to `n ε λ_max(inner)`: everything in
//! between the extremes is noise (issue 15 measured errors up to 1e128 relative).
//!
//! # The accuracy argument
//!
//! Both routes produce a factor whose *rows* carry the grading:
//!
//! * inverse form: `W̃ = α (L Lᵀ)⁻¹` with `L` the Cholesky factor of `E P E + α D = S H S`
//!   (`S = diag(√inner_ii)`, unit-diagonal `H`); Cholesky of a graded positive definite matrix
//!   is accurate row by row (Demmel 1989), `L = S L_H` with `cond(L_H)² = cond(H)`, and adding
//!   the positive diagonal `α D` to `E P E` can only improve `cond(H)`. The eigenvalues of `W`
//!   are `α / σᵢ(L)²`.
//! * factor form: `W̃ = Q C Cᵀ Qᵀ`, `Q` orthonormal, `C = Δ L̂⁻ᵀ` with `Δ` the (graded) diagonal
//!   of the row-wise stable pivoted QR and `L̂` of moderate condition. The eigenvalues are
//!   `σᵢ(C)²`.
//!
//! One-sided Jacobi on the rows of a row-scaled matrix `D B` computes every singular value with
//! relative error about `n ε cond(B)` whatever `D` is (Demmel & Veselić 1992, Theorem 4.2), so
//! each eigenvalue keeps the relative accuracy the factor carries ([`crate::jacobi`]). Checked
//! against a 600–4000-digit reference in `tests/eigenvalue_reference.rs` (α down to 1e-300).
//!
//! # Cost
//!
//! Jacobi is level-1 work, several sweeps of `O(n³)`: on an unlearned Wishart-like block
//! (no grading to exploit) it needs up to ten sweeps, so the eigenvalues cost several times
//! `W` at n = 256 (the performance report measures it). `Want { eigenvalues: false, .. }`
//! skips this kernel entirely.

use crate::error::Error;
use faer::{Mat, MatRef};

/// Eigenvalues of `W = s α (L Lᵀ)⁻¹` (descending) from the inverse form's Cholesky factor `L`
/// (the lower triangle of `chol`; its strict upper triangle is scratch and not read), in user
/// units (`s` the normalization scale).
pub(super) fn from_cholesky(
    chol: MatRef<'_, f64>,
    alpha: f64,
    scale: f64,
) -> Result<Vec<f64>, Error> {
    let n = chol.nrows();
    let lower = Mat::from_fn(n, n, |i, j| if j <= i { chol[(i, j)] } else { 0.0 });
    let sv = crate::jacobi::singular_values_graded(lower.as_ref())?;
    let root = alpha.sqrt();
    Ok(sv
        .iter()
        .rev()
        .map(|&sigma| (root / sigma).powi(2) * scale)
        .collect())
}

/// Eigenvalues of `W = s Q C Cᵀ Qᵀ` (descending, padded with zeros to `n`) from the factor
/// form's core `C` (`σ(Q C) = σ(C)`: `Q` has orthonormal columns), in user units.
pub(super) fn from_core(c: MatRef<'_, f64>, scale: f64, n: usize) -> Result<Vec<f64>, Error> {
    let sv = crate::jacobi::singular_values_graded(c)?;
    let mut eig: Vec<f64> = sv.iter().map(|s| s * s * scale).collect();
    eig.resize(n, 0.0);
    Ok(eig)
}

#[cfg(test)]
mod tests {
    use crate::{Form, Init, Target, Trajectory};
    use faer::Mat;

    /// On a spectral start every eigenvalue follows the scalar logistic solution
    /// ([`crate::spectral::eigenvalue_at`]), so both routes' eigenvalues can be checked one by one
    /// in relative terms, through every transition and at α = 1e-200 where the unlearned ones
    /// are 1e-200-level next to learned ones of order 1: relative error within 64 n ε (Jacobi's
    /// bound n ε cond(B) with a well-conditioned B here) plus the condition of e^{2lt}, which a symmetric eigensolver on W
    /// misses by 180 orders of magnitude.
    #[test]
    fn both_routes_give_every_eigenvalue_to_relative_accuracy() {
        let l = [3.0, 1.0, 0.3, 0.1];
        let s = [1.0, 0.5, 2.0, 1.5];
        let target = Target::diagonal(&l).unwrap();
        for alpha in [1e-2, 1e-200] {
            let shape = Mat::from_fn(4, 4, |i, j| if i == j { s[i] } else { 0.0 });
            let init = Init::new(alpha, shape.as_ref()).unwrap();
            let times: Vec<f64> = (0..=40).map(|k| k as f64 * 60.0).collect();
            for form in [Form::Inverse, Form::Factor] {
                let traj = Trajectory::new(&target, &init, form).unwrap();
                for (t, got) in times.iter().zip(traj.eigenvalues(&times).unwrap()) {
                    // W(0) = α diag(s²): the spectral module takes the initial eigenvalues over α.
                    let s2: Vec<f64> = s.iter().map(|x| x * x).collect();
                    let mut exact = crate::spectral::eigenvalues_at(&l, &s2, alpha, *t);
                    exact.sort_by(|a, b| b.total_cmp(a));
                    // Both sides also carry the condition of e^{2 l t} in t and l (rounded
                    // inputs): relative 2 l t ε, 1e-13 at l t = 300.
                    let tol = (64.0 * 4.0 + 4.0 * l[0] * t) * f64::EPSILON;
                    for (g, e) in got.iter().zip(&exact) {
                        assert!(
                            (g - e).abs() <= tol * e,
                            "{form:?} alpha = {alpha:e} t = {t}: {g:e} vs {e:e}"
                        );
                    }
                }
            }
        }
    }
}

//! Quantities read off a trajectory: spectra, best rank-k approximations, spectral-norm errors.
//!
//! Everything works in the eigenbasis of the target: `‖W(t) − Ŷ_k‖₂ = ‖W̃(t) − diag(l₁..l_k, 0..)‖₂`
//! because `Φ` is orthogonal, so no rotation back to the original basis is needed.

use crate::error::Error;
use crate::target::{sorted_eigenvalues, Target};
use faer::{Mat, MatRef};

/// `Ŷ_k = Φ diag(l₁, …, l_k, 0, …) Φᵀ`, the best rank-k approximation of a PSD target
/// (for an indefinite one: its k leading eigen-directions).
pub fn best_rank_k(target: &Target, k: usize) -> Mat<f64> {
    let (phi, l) = (target.phi(), target.eigenvalues());
    let n = l.len();
    let k = k.min(n);
    Mat::from_fn(n, n, |i, j| {
        (0..k).map(|c| phi[(i, c)] * l[c] * phi[(j, c)]).sum()
    })
}

/// `‖W̃ − diag(l₁..l_k, 0..)‖₂` for an eigenbasis `W̃` (= `‖W − Ŷ_k‖₂`).
pub fn spectral_error_to_rank_k(
    w_eigenbasis: MatRef<'_, f64>,
    l: &[f64],
    k: usize,
) -> Result<f64, Error> {
    let n = l.len();
    let diff = Mat::from_fn(n, n, |i, j| {
        let target = if i == j && i < k { l[i] } else { 0.0 };
        w_eigenbasis[(i, j)] - target
    });
    spectral_norm_symmetric(diff.as_ref())
}

/// Spectral norm of a symmetric matrix: the largest |eigenvalue|.
pub fn spectral_norm_symmetric(a: MatRef<'_, f64>) -> Result<f64, Error> {
    if a.nrows() == 0 {
        return Ok(0.0);
    }
    let e = sorted_eigenvalues(a)?;
    Ok(e[0].abs().max(e[e.len() - 1].abs()))
}

/// Eigenvalues of a symmetric matrix, descending.
pub fn eigenvalues_symmetric(a: MatRef<'_, f64>) -> Result<Vec<f64>, Error> {
    sorted_eigenvalues(a)
}

/// Largest absolute entry of `a − b`.
pub fn max_abs_diff(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    crate::target::max_abs((a - b).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_to_rank_k_in_eigenbasis_matches_original_basis() {
        let y = Mat::from_fn(3, 3, |i, j| {
            [[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 0.5]][i][j]
        });
        let t = Target::new(y.as_ref()).unwrap();
        let w = Mat::from_fn(
            3,
            3,
            |i, j| if i == j { 0.1 * (i + 1) as f64 } else { 0.01 },
        );
        let w_eig = t.phi().transpose() * &w * t.phi();
        for k in 0..=3 {
            let in_eig = spectral_error_to_rank_k(w_eig.as_ref(), t.eigenvalues(), k).unwrap();
            let diff = &w - best_rank_k(&t, k);
            let direct = spectral_norm_symmetric(diff.as_ref()).unwrap();
            assert!(
                (in_eig - direct).abs() < 1e-14,
                "k={k}: {in_eig} vs {direct}"
            );
        }
        // ‖Y − Ŷ_3‖ = 0 and ‖0 − Ŷ_1‖ = l₁.
        assert!(max_abs_diff(best_rank_k(&t, 3).as_ref(), t.y()) < 1e-14);
        let zero = Mat::<f64>::zeros(3, 3);
        let e = spectral_error_to_rank_k(zero.as_ref(), t.eigenvalues(), 1).unwrap();
        assert!((e - t.eigenvalues()[0]).abs() < 1e-15);
    }
}

//! Quantities read off a trajectory: spectra, best rank-k approximations, spectral-norm errors.
//!
//! Everything works in the eigenbasis of the target: `‖W(t) − Ŷ_k‖₂ = ‖W̃(t) − diag(l₁..l_k, 0..)‖₂`
//! because `Φ` is orthogonal, so no rotation back to the original basis is needed.

use crate::dense::symmetric_eigenvalues;
use crate::error::Error;
use crate::target::Target;
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
///
/// The matrix is first scaled by its largest entry and entries below `ε_mach/n` of it are set
/// to zero: that moves the norm by at most `ε_mach · max|a_ij| ≤ ε_mach ‖A‖₂` (a perturbation
/// `E` has `‖E‖₂ ≤ n max|e_ij|`), and it keeps the eigensolver away from graded matrices whose
/// entries span the whole exponent range — faer's symmetric QR iteration was seen to stop with
/// `NoConvergence` on an 8 × 8 error matrix with entries from 4e-16 down to 1e-297 (the regression
/// test below), which the trajectories of tiny initializations produce.
pub fn spectral_norm_symmetric(a: MatRef<'_, f64>) -> Result<f64, Error> {
    let e = symmetric_eigenvalues(a)?;
    Ok(e.first()
        .map_or(0.0, |&top| top.abs().max(e[e.len() - 1].abs())))
}

/// Eigenvalues of a symmetric matrix, descending.
pub fn eigenvalues_symmetric(a: MatRef<'_, f64>) -> Result<Vec<f64>, Error> {
    symmetric_eigenvalues(a)
}

/// Largest absolute entry of `a − b`.
pub fn max_abs_diff(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    crate::target::max_abs((a - b).as_ref())
}

/// Eigenvalues (descending) of `W = G Gᵀ` from a factor `G` (n × m), each to high relative
/// accuracy when the rows of `G` are graded (`G = D B`, `B` well conditioned): the squared
/// singular values of `G` by one-sided Jacobi (see the crate's `jacobi` module), padded with
/// zeros to `n`. Use it on factors in the eigenbasis of `Y`, where the rows carry the grading.
pub fn eigenvalues_of_factor(g: MatRef<'_, f64>) -> Result<Vec<f64>, Error> {
    let n = g.nrows();
    let mut sv = crate::jacobi::singular_values_graded(g)?;
    sv.truncate(n);
    let mut eig: Vec<f64> = sv.iter().map(|s| s * s).collect();
    eig.resize(n, 0.0);
    Ok(eig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spectral_norm_of_an_extremely_graded_matrix() {
        // W̃(t) − diag(4, 2, 1, 0, …) on the trajectory of a Gaussian 8 × 8 shape at α ≈ 3e-37,
        // t = 170.34 (the one where the eigensolver failed). The leading 3 × 3 block has entries
        // of 4e-16 at most and couples to the rest only through entries ≤ 2.5e-75, so the norm is
        // the larger of its norm and that of the trailing 5 × 5 block (~1e-35): ‖A‖₂ = the
        // largest |diagonal| entry of the first block, 4.440892098500626e-16, to within ε.
        let rows: [[f64; 8]; 8] = [
            [
                0.0,
                -0.0,
                -0.0,
                2.0920780326818725e-296,
                -3.5523344773067214e-297,
                -6.879527641812403e-297,
                4.778299361427841e-297,
                -1.1818351788855737e-296,
            ],
            [
                -0.0,
                -4.440892098500626e-16,
                1.812986132470872e-187,
                -1.3818817579958844e-149,
                5.109107759939568e-149,
                7.5716443974889795e-149,
                -1.3107417415214554e-149,
                4.291755837673663e-149,
            ],
            [
                -0.0,
                1.812986132470872e-187,
                0.0,
                2.4328565567991276e-75,
                -5.765409358494996e-75,
                1.126262265270421e-75,
                -1.6400916894376175e-75,
                1.7342076968690293e-75,
            ],
            [
                2.0920780326818725e-296,
                -1.3818817579958844e-149,
                2.4328565567991276e-75,
                4.858256874519663e-36,
                -7.0312787292349174e-37,
                -1.6009587443840474e-36,
                -3.547170516565963e-37,
                -2.916782063647875e-37,
            ],
            [
                -3.5523344773067214e-297,
                5.109107759939568e-149,
                -5.765409358494996e-75,
                -7.0312787292349174e-37,
                1.1411044053250727e-36,
                6.125134859929609e-37,
                1.4063368638226377e-37,
                1.2879880796187933e-37,
            ],
            [
                -6.879527641812403e-297,
                7.5716443974889795e-149,
                1.126262265270421e-75,
                -1.6009587443840474e-36,
                6.125134859929609e-37,
                1.377060170478777e-36,
                -2.729485828556175e-37,
                -4.909670033299754e-37,
            ],
            [
                4.778299361427841e-297,
                -1.3107417415214554e-149,
                -1.6400916894376175e-75,
                -3.547170516565963e-37,
                1.4063368638226377e-37,
                -2.729485828556175e-37,
                3.6146204631336955e-36,
                9.977324398554827e-37,
            ],
            [
                -1.1818351788855737e-296,
                4.291755837673663e-149,
                1.7342076968690293e-75,
                -2.916782063647875e-37,
                1.2879880796187933e-37,
                -4.909670033299754e-37,
                9.977324398554827e-37,
                1.1071245173578635e-36,
            ],
        ];
        let a = Mat::from_fn(8, 8, |i, j| rows[i][j]);
        // (Passed as it is to faer 0.24's self_adjoint_eigenvalues, it gives NoConvergence.)
        let norm = spectral_norm_symmetric(a.as_ref()).unwrap();
        assert!(
            (norm - 4.440892098500626e-16).abs() <= 1e-16 * 4.5e-16,
            "{norm:e}"
        );
        // The same matrix scaled up keeps its norm relative to the scale.
        let big = Mat::from_fn(8, 8, |i, j| 1e300 * rows[i][j]);
        let norm = spectral_norm_symmetric(big.as_ref()).unwrap();
        assert!((norm / 1e300 - 4.440892098500626e-16).abs() <= 1e-16 * 4.5e-16);
    }

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

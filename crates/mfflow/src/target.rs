//! The target `Y = Φ diag(l₁ ≥ … ≥ lₙ) Φᵀ`, eigen-decomposed once (Proposition 1).

use crate::binary_scale;
use crate::error::{check_finite, Error};
use faer::{Mat, MatRef};

/// Relative tolerance on `max |y_ij − y_ji|`, as a fraction of the largest entry of `Y`.
pub const SYMMETRY_TOLERANCE: f64 = 1e-10;

/// Eigenvalues with `|l| ≤ ZERO_FACTOR · n · ε · ‖Y‖` are set to exactly zero: a symmetric
/// eigensolver only resolves eigenvalues to about `n ε ‖Y‖`, so anything smaller is noise
/// around a zero eigenvalue.
pub const ZERO_FACTOR: f64 = 4.0;

/// A symmetric target with its eigendecomposition, eigenvalues sorted in descending order.
///
/// Indefinite targets are allowed (the asymmetric extension needs them).
#[derive(Debug, Clone)]
pub struct Target {
    y: Mat<f64>,
    phi: Mat<f64>,
    eigenvalues: Vec<f64>,
    norm: f64,
}

impl Target {
    /// Decomposes a symmetric `Y`. Errors if it is not square, holds a non-finite entry, or is
    /// not symmetric within [`SYMMETRY_TOLERANCE`] relative to its largest entry. The matrix is
    /// symmetrized as `(Y + Yᵀ)/2` before the decomposition.
    pub fn new(y: MatRef<'_, f64>) -> Result<Self, Error> {
        let n = y.nrows();
        if y.ncols() != n {
            return Err(Error::NotSquare {
                what: "the target y",
                rows: n,
                cols: y.ncols(),
            });
        }
        check_finite(y, "the target y")?;
        let scale = max_abs(y);
        // Work on Y scaled by a power of two (exact) with largest entry in [1, 2): the
        // eigensolver's internal norms and the asymmetry test then neither overflow (entries up
        // to f64::MAX) nor underflow (entries down to the smallest subnormal).
        let e = if scale == 0.0 {
            0
        } else {
            binary_scale::exponent(scale)
        };
        let up = |x: f64| binary_scale::scale_pow2(x, e);
        let scaled = Mat::from_fn(n, n, |i, j| binary_scale::scale_pow2(y[(i, j)], -e));
        let asymmetry = (0..n)
            .flat_map(|i| (0..i).map(move |j| (i, j)))
            .map(|(i, j)| (scaled[(i, j)] - scaled[(j, i)]).abs())
            .fold(0.0, f64::max);
        if asymmetry > SYMMETRY_TOLERANCE * max_abs(scaled.as_ref()) {
            return Err(Error::NotSymmetric {
                asymmetry: up(asymmetry),
                tolerance: SYMMETRY_TOLERANCE * scale,
            });
        }
        let sym_scaled = Mat::from_fn(n, n, |i, j| 0.5 * scaled[(i, j)] + 0.5 * scaled[(j, i)]);
        let (phi, eigenvalues) = crate::dense::sorted_eigen(sym_scaled.as_ref())?;
        let eigenvalues: Vec<f64> = eigenvalues.into_iter().map(up).collect();
        if let Some(bad) = eigenvalues.iter().find(|l| !l.is_finite()) {
            return Err(Error::BadParameter {
                what: "y",
                why: format!(
                    "an eigenvalue of the target is {bad} in f64 (its entries reach {scale:e}): \
                     scale y down"
                ),
            });
        }
        let sym = Mat::from_fn(n, n, |i, j| up(sym_scaled[(i, j)]));
        let norm = eigenvalues.iter().fold(0.0f64, |m, l| m.max(l.abs()));
        let zero = ZERO_FACTOR * n as f64 * f64::EPSILON * norm;
        let eigenvalues = eigenvalues
            .into_iter()
            .map(|l| if l.abs() <= zero { 0.0 } else { l })
            .collect();
        Ok(Self {
            y: sym,
            phi,
            eigenvalues,
            norm,
        })
    }

    /// A target given directly by its eigenvalues (any order) in the standard basis (`Φ = I`
    /// up to the sorting permutation). Convenient for spectral experiments.
    pub fn diagonal(eigenvalues: &[f64]) -> Result<Self, Error> {
        let n = eigenvalues.len();
        let y = Mat::from_fn(n, n, |i, j| if i == j { eigenvalues[i] } else { 0.0 });
        Self::new(y.as_ref())
    }

    /// The size `n`.
    pub fn n(&self) -> usize {
        self.eigenvalues.len()
    }

    /// The (symmetrized) target `Y` in the original basis.
    pub fn y(&self) -> MatRef<'_, f64> {
        self.y.as_ref()
    }

    /// The orthonormal eigenvectors `Φ`, column `i` belonging to `lᵢ`.
    pub fn phi(&self) -> MatRef<'_, f64> {
        self.phi.as_ref()
    }

    /// The eigenvalues `l₁ ≥ … ≥ lₙ`, with numerical zeros set to exactly 0.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// The spectral norm `‖Y‖ = maxᵢ |lᵢ|`.
    pub fn norm(&self) -> f64 {
        self.norm
    }

    /// `K`, the number of positive eigenvalues (for a PSD target, its rank).
    pub fn positive_rank(&self) -> usize {
        self.eigenvalues.iter().filter(|&&l| l > 0.0).count()
    }

    /// Whether every eigenvalue is ≥ 0.
    pub fn is_psd(&self) -> bool {
        self.eigenvalues.iter().all(|&l| l >= 0.0)
    }

    /// `Φᵀ M` for an `n × k` matrix `M` (rotation into the eigenbasis).
    pub fn to_eigenbasis(&self, m: MatRef<'_, f64>) -> Mat<f64> {
        self.phi.transpose() * m
    }

    /// `Φ M` for an `n × k` matrix `M` (rotation back to the original basis).
    pub fn from_eigenbasis(&self, m: MatRef<'_, f64>) -> Mat<f64> {
        &self.phi * m
    }
}

/// Largest absolute entry.
pub(crate) fn max_abs(m: MatRef<'_, f64>) -> f64 {
    let mut best = 0.0f64;
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            best = best.max(m[(i, j)].abs());
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigenvalues_sorted_descending_with_snapped_zeros() {
        // Y = a a^T + 3 b b^T with orthonormal a, b: eigenvalues 3, 1, 0 (the zero only up to rounding).
        let a = [0.6, 0.8, 0.0];
        let b = [0.0, 0.0, 1.0];
        let y = Mat::from_fn(3, 3, |i, j| a[i] * a[j] + 3.0 * b[i] * b[j]);
        let t = Target::new(y.as_ref()).unwrap();
        assert!((t.eigenvalues()[0] - 3.0).abs() < 1e-14);
        assert!((t.eigenvalues()[1] - 1.0).abs() < 1e-14);
        assert_eq!(t.eigenvalues()[2], 0.0);
        assert_eq!(t.positive_rank(), 2);
        // Φ diag(l) Φᵀ reproduces Y.
        let phi = t.phi();
        let back = Mat::from_fn(3, 3, |i, j| {
            (0..3)
                .map(|k| phi[(i, k)] * t.eigenvalues()[k] * phi[(j, k)])
                .sum::<f64>()
        });
        assert!(max_abs((&back - &y).as_ref()) < 1e-14);
    }

    #[test]
    fn rejects_asymmetric_nonsquare_and_nonfinite() {
        let y = Mat::from_fn(2, 2, |i, j| if i == 0 && j == 1 { 1.0 } else { 0.0 });
        assert!(matches!(
            Target::new(y.as_ref()),
            Err(Error::NotSymmetric { .. })
        ));
        let y = Mat::<f64>::zeros(2, 3);
        assert!(matches!(
            Target::new(y.as_ref()),
            Err(Error::NotSquare { .. })
        ));
        let y = Mat::from_fn(2, 2, |_, _| f64::NAN);
        assert!(matches!(
            Target::new(y.as_ref()),
            Err(Error::NonFinite { .. })
        ));
    }

    #[test]
    fn indefinite_targets_are_kept_signed() {
        let t = Target::diagonal(&[-2.0, 1.0, 0.0]).unwrap();
        assert_eq!(t.eigenvalues(), &[1.0, 0.0, -2.0]);
        assert!(!t.is_psd());
        assert_eq!(t.norm(), 2.0);
    }
}

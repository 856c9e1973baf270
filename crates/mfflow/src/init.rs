//! The initialization `U(0) = √α · Ū₀` (2): a scale `α > 0` and a shape `Ū₀` (n × r, any r, any rank).

use crate::error::{check_finite, Error};
use faer::{Mat, MatRef};

/// Singular values of the shape below `RANK_FACTOR · max(n, r) · ε · σ₁` count as zero
/// (the usual numerical-rank rule: the SVD resolves singular values to about that much).
pub const RANK_FACTOR: f64 = 4.0;

/// A scale and a shape; `W(0) = α Ū₀ Ū₀ᵀ`.
#[derive(Debug, Clone)]
pub struct Init {
    alpha: f64,
    shape: Mat<f64>,
}

impl Init {
    /// Checks `α` (finite, > 0) and the shape (finite, at least one column).
    pub fn new(alpha: f64, shape: MatRef<'_, f64>) -> Result<Self, Error> {
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(Error::AlphaNotPositive(alpha));
        }
        check_finite(shape, "the initialization shape u0")?;
        if shape.ncols() == 0 || shape.nrows() == 0 {
            return Err(Error::BadParameter {
                what: "u0",
                why: "the shape needs at least one row and one column".into(),
            });
        }
        if crate::target::max_abs(shape) == 0.0 {
            return Err(Error::BadParameter {
                what: "u0",
                why: "the initialization shape is zero (W(0) = 0 stays 0 forever)".into(),
            });
        }
        Ok(Self {
            alpha,
            shape: shape.to_owned(),
        })
    }

    /// A spectral initialization `Ū₀ = Φ diag(√sᵢ)` (so `Φᵀ W̄₀ Φ = diag(s)`), as in Theorem 3.
    pub fn spectral(alpha: f64, phi: MatRef<'_, f64>, s: &[f64]) -> Result<Self, Error> {
        if s.len() != phi.ncols() {
            return Err(Error::DimensionMismatch {
                what: "the spectral shape s",
                expected: phi.ncols(),
                found: s.len(),
            });
        }
        if let Some(&bad) = s.iter().find(|&&v| !(v.is_finite() && v >= 0.0)) {
            return Err(Error::BadParameter {
                what: "s",
                why: format!("spectral shape entries must be finite and >= 0, got {bad}"),
            });
        }
        let shape = Mat::from_fn(phi.nrows(), phi.ncols(), |i, j| phi[(i, j)] * s[j].sqrt());
        Self::new(alpha, shape.as_ref())
    }

    /// The scale `α`.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The shape `Ū₀`.
    pub fn shape(&self) -> MatRef<'_, f64> {
        self.shape.as_ref()
    }

    /// `U(0) = √α Ū₀`.
    pub fn u0(&self) -> Mat<f64> {
        let s = self.alpha.sqrt();
        Mat::from_fn(self.shape.nrows(), self.shape.ncols(), |i, j| {
            s * self.shape[(i, j)]
        })
    }

    /// `W(0) = α Ū₀ Ū₀ᵀ`.
    pub fn w0(&self) -> Mat<f64> {
        let mut w = &self.shape * self.shape.transpose();
        w *= faer::Scale(self.alpha);
        w
    }
}

/// A full-column-rank factor `G` with `G Gᵀ = F Fᵀ` for the factor form, deciding the rank
/// column by column.
///
/// The numerical rank is read off a column-pivoted Householder QR of `F` itself, which is
/// column-wise backward stable: the computed `R` is exact for `F + ΔF` with each column of
/// `ΔF` below `c ε` times *that column's* norm. So a direction counts as present when its
/// `|R_kk|` exceeds `RANK_FACTOR · max(n, r) · ε · ‖f_{perm k}‖`, the size of the column it
/// came from, not the size of the largest one: a column `1e-200 · e₂` next to `e₁` is a real
/// direction (the flow learns it, after `log(1e400)/(2 l)`), while a column that repeats
/// another up to rounding is not. What is dropped is exactly what the rounding of `F` itself
/// cannot tell from zero.
///
/// When every column is kept (`r ≤ n`, full column rank), `G = F` itself: exact, and every row
/// and column keeps its own scale. Otherwise the columns are reduced by
/// [`crate::dense::row_preserving_factor`] to the rank found here.
pub(crate) fn initial_factor(f: MatRef<'_, f64>) -> Result<Mat<f64>, Error> {
    let (n, r) = (f.nrows(), f.ncols());
    let (rm, perm) = crate::dense::col_piv_r(f);
    let size = rm.nrows();
    let column_norm = |j: usize| -> f64 { (0..n).fold(0.0f64, |acc, i| acc.hypot(f[(i, j)])) };
    let tol = RANK_FACTOR * n.max(r) as f64 * f64::EPSILON;
    let m = (0..size)
        .take_while(|&k| rm[(k, k)].abs() > tol * column_norm(perm[k]))
        .count();
    if m == 0 {
        return Err(Error::BadParameter {
            what: "u0",
            why: "the initialization shape is zero".into(),
        });
    }
    if m == r {
        return Ok(f.to_owned());
    }
    crate::dense::row_preserving_factor_of_rank(f, m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dense::{full_rank_factor, row_preserving_factor};

    #[test]
    fn rank_deficient_shapes_are_reduced_to_their_rank() {
        // Columns 2 and 3 are multiples of column 1: rank 1.
        let a = Mat::from_fn(4, 3, |i, j| (i as f64 + 1.0) * (j as f64 + 1.0));
        let f = full_rank_factor(a.as_ref()).unwrap();
        assert_eq!(f.ncols(), 1);
        let diff = &f * f.transpose() - &a * a.transpose();
        assert!(crate::target::max_abs(diff.as_ref()) < 1e-12 * 14.0 * 14.0);
    }

    #[test]
    fn row_preserving_factor_keeps_zero_rows_and_the_gram() {
        // Row 1 exactly zero, rank 2 with 4 columns.
        let a = Mat::from_fn(3, 4, |i, j| match i {
            0 => 1.0 + j as f64,
            1 => 0.0,
            _ => (j as f64 - 1.5).powi(2),
        });
        let g = row_preserving_factor(a.as_ref()).unwrap();
        assert_eq!(g.ncols(), 2);
        assert!((0..2).all(|k| g[(1, k)] == 0.0));
        let diff = &g * g.transpose() - &a * a.transpose();
        assert!(crate::target::max_abs(diff.as_ref()) < 1e-13 * 30.0);
    }

    #[test]
    fn rejects_bad_alpha_and_zero_shape() {
        let a = Mat::<f64>::identity(2, 2);
        assert!(Init::new(0.0, a.as_ref()).is_err());
        assert!(Init::new(f64::NAN, a.as_ref()).is_err());
        assert!(Init::new(-1.0, a.as_ref()).is_err());
        assert!(full_rank_factor(Mat::<f64>::zeros(2, 2).as_ref()).is_err());
    }
}

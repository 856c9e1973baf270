//! Thin wrappers over faer's low-level dense kernels, all run with `Par::Seq`.
//!
//! The trajectory kernels parallelise over time points instead (see [`crate::trajectory`]):
//! each time point's arithmetic is then the same whatever the thread count, which keeps the
//! results byte-identical across machines with different numbers of cores. faer's high-level
//! API (`Mat::qr`, `Mat::llt`) reads a global parallelism setting, so it is not used here.

use crate::error::Error;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::matmul::triangular::BlockStructure;
use faer::linalg::{cholesky, evd, householder, matmul, qr, triangular_inverse, triangular_solve};
use faer::{Accum, Conj, Mat, MatMut, MatRef, Par};

/// `dst = lhs · rhs` (dense).
#[cfg(test)]
pub(crate) fn mul(lhs: MatRef<'_, f64>, rhs: MatRef<'_, f64>) -> Mat<f64> {
    let mut dst = Mat::zeros(lhs.nrows(), rhs.ncols());
    matmul::matmul(dst.as_mut(), Accum::Replace, lhs, rhs, 1.0, Par::Seq);
    dst
}

/// `c · A Aᵀ`, computing the lower triangle only (half the flops) and mirroring it.
pub(crate) fn scaled_gram(a: MatRef<'_, f64>, c: f64) -> Mat<f64> {
    let mut dst = Mat::zeros(a.nrows(), a.nrows());
    scaled_gram_into(dst.as_mut(), a, c);
    dst
}

/// Copies the strict lower triangle onto the upper one.
///
/// In square tiles, so that the strided reads of a row stay in cache (measured at n = 256:
/// the plain column loop cost about 5% of a time point of the inverse form).
pub(crate) fn mirror_lower(mut a: MatMut<'_, f64>) {
    const TILE: usize = 32;
    let n = a.ncols();
    for jb in (0..n).step_by(TILE) {
        for ib in (0..=jb).step_by(TILE) {
            for j in jb..(jb + TILE).min(n) {
                for i in ib..(ib + TILE).min(j) {
                    a[(i, j)] = a[(j, i)];
                }
            }
        }
    }
}

/// `c · A Aᵀ` written into `dst` (n × n): the lower triangle by a triangular product (half the
/// flops of a full one), then mirrored. No allocation: the hot loop of the inverse form calls
/// it once per time point with the output matrix.
pub(crate) fn scaled_gram_into(mut dst: MatMut<'_, f64>, a: MatRef<'_, f64>, c: f64) {
    matmul::triangular::matmul(
        dst.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        a,
        BlockStructure::Rectangular,
        a.transpose(),
        BlockStructure::Rectangular,
        c,
        Par::Seq,
    );
    mirror_lower(dst);
}

/// Lower Cholesky factor `L` of a symmetric positive definite `A` (read from its lower
/// triangle), with the strict upper triangle zeroed.
pub(crate) fn cholesky_lower(a: MatRef<'_, f64>, what: &str) -> Result<Mat<f64>, Error> {
    let n = a.nrows();
    let mut l = Mat::from_fn(n, n, |i, j| if i >= j { a[(i, j)] } else { 0.0 });
    let mut buf = MemBuffer::new(cholesky_scratch(n));
    cholesky_lower_in_place(l.as_mut(), MemStack::new(&mut buf), what)?;
    zero_strict_upper(l.as_mut());
    Ok(l)
}

/// Scratch that [`cholesky_lower_in_place`] needs for an `n × n` matrix.
pub(crate) fn cholesky_scratch(n: usize) -> faer::dyn_stack::StackReq {
    cholesky::llt::factor::cholesky_in_place_scratch::<f64>(n, Par::Seq, Default::default())
}

/// Overwrites the lower triangle of a symmetric positive definite `A` (read from its lower
/// triangle) with its Cholesky factor `L`, `A = L Lᵀ`. The strict upper triangle is not read,
/// but faer uses it as scratch: it holds garbage afterwards (the triangular kernels that take
/// `L` next do not read it).
pub(crate) fn cholesky_lower_in_place(
    a: MatMut<'_, f64>,
    stack: &mut MemStack,
    what: &str,
) -> Result<(), Error> {
    cholesky::llt::factor::cholesky_in_place(
        a,
        Default::default(),
        Par::Seq,
        stack,
        Default::default(),
    )
    .map(|_| ())
    .map_err(|e| Error::Numerical(format!("Cholesky of {what} failed: {e:?}")))
}

/// Scratch that [`symmetric_eigenvalues_in`] needs for an `n × n` matrix.
pub(crate) fn symmetric_eigenvalues_scratch(n: usize) -> faer::dyn_stack::StackReq {
    evd::self_adjoint_evd_scratch::<f64>(
        n,
        evd::ComputeEigenvectors::No,
        Par::Seq,
        Default::default(),
    )
}

/// Eigenvalues of a symmetric `A` (read from its lower triangle only), descending.
///
/// Absolute accuracy about `n ε ‖A‖` (what a tridiagonal-based solver gives). The matrix is
/// scaled by a power of two to largest entry 1 and entries below `ε/n` of it are flushed to
/// zero first (that moves every eigenvalue by at most `ε ‖A‖`): faer 0.24's eigensolver
/// returns `NoConvergence` on strongly graded matrices (entries from 1 down to 1e-300) and its
/// norms overflow near f64::MAX.
pub(crate) fn symmetric_eigenvalues(a: MatRef<'_, f64>) -> Result<Vec<f64>, Error> {
    let n = a.nrows();
    let mut largest = 0.0f64;
    for j in 0..n {
        for i in j..n {
            largest = largest.max(a[(i, j)].abs());
        }
    }
    if !largest.is_finite() {
        return Err(Error::Numerical(
            "a symmetric matrix holds a non-finite entry".into(),
        ));
    }
    if largest == 0.0 {
        return Ok(vec![0.0; n]);
    }
    let e = crate::binary_scale::exponent(largest);
    let floor = f64::EPSILON / n as f64;
    let scaled = Mat::from_fn(n, n, |i, j| {
        let (i, j) = if i >= j { (i, j) } else { (j, i) };
        let v = crate::binary_scale::scale_pow2(a[(i, j)], -e);
        if v.abs() < floor {
            0.0
        } else {
            v
        }
    });
    let mut buf = MemBuffer::new(symmetric_eigenvalues_scratch(n));
    let eig = symmetric_eigenvalues_in(scaled.as_ref(), MemStack::new(&mut buf))?;
    Ok(eig
        .into_iter()
        .map(|x| crate::binary_scale::scale_pow2(x, e))
        .collect())
}

/// [`symmetric_eigenvalues`], computed sequentially in the given scratch. faer's
/// `self_adjoint_eigenvalues` would read the global parallelism and allocate its scratch per
/// call; the inverse form calls this once or twice per time point from its worker threads.
pub(crate) fn symmetric_eigenvalues_in(
    a: MatRef<'_, f64>,
    stack: &mut MemStack,
) -> Result<Vec<f64>, Error> {
    let n = a.nrows();
    let mut s = faer::diag::Diag::<f64>::zeros(n);
    evd::self_adjoint_evd(a, s.as_mut(), None, Par::Seq, stack, Default::default())
        .map_err(|e| Error::Numerical(format!("symmetric eigenvalues failed: {e:?}")))?;
    // faer returns them in nondecreasing order.
    Ok((0..n).rev().map(|i| s[i]).collect())
}

/// `L⁻¹` of a lower-triangular `L` (its strict upper triangle is not read) into `dst`, whose
/// strict upper triangle is set to zero: `n³/3` flops, against `n³` for solving `L X = I`.
pub(crate) fn invert_lower_into(mut dst: MatMut<'_, f64>, l: MatRef<'_, f64>) {
    triangular_inverse::invert_lower_triangular(dst.as_mut(), l, Par::Seq);
    zero_strict_upper(dst);
}

/// Sets the strict upper triangle to zero.
pub(crate) fn zero_strict_upper(mut a: MatMut<'_, f64>) {
    for j in 1..a.ncols() {
        a.as_mut().col_mut(j).subrows_mut(0, j).fill(0.0);
    }
}

/// Solves `L X = B` in place for a lower-triangular `L`.
pub(crate) fn solve_lower_in_place(l: MatRef<'_, f64>, b: MatMut<'_, f64>) {
    triangular_solve::solve_lower_triangular_in_place(l, b, Par::Seq);
}

/// Solves `U X = B` in place for a unit upper-triangular `U` (its diagonal is not read).
pub(crate) fn solve_unit_upper_in_place(u: MatRef<'_, f64>, b: MatMut<'_, f64>) {
    triangular_solve::solve_unit_upper_triangular_in_place(u, b, Par::Seq);
}

/// Thin Householder QR of a tall or square `A` (n × m, n ≥ m): returns `(Q, R)` with `Q`
/// n × m with orthonormal columns and `R` m × m upper triangular. Column-wise backward stable.
pub(crate) fn thin_qr(a: MatRef<'_, f64>) -> (Mat<f64>, Mat<f64>) {
    let (n, m) = (a.nrows(), a.ncols());
    debug_assert!(n >= m);
    let mut qr_mat = a.to_owned();
    let block = qr::no_pivoting::factor::recommended_block_size::<f64>(n, m);
    let mut coeff = Mat::zeros(block, m);
    {
        let mut buf = MemBuffer::new(qr::no_pivoting::factor::qr_in_place_scratch::<f64>(
            n,
            m,
            block,
            Par::Seq,
            Default::default(),
        ));
        qr::no_pivoting::factor::qr_in_place(
            qr_mat.as_mut(),
            coeff.as_mut(),
            Par::Seq,
            MemStack::new(&mut buf),
            Default::default(),
        );
    }
    let q = thin_q(qr_mat.as_ref(), coeff.as_ref(), m);
    let r = Mat::from_fn(m, m, |i, j| if i <= j { qr_mat[(i, j)] } else { 0.0 });
    (q, r)
}

/// Thin Householder QR with column pivoting, `A P = Q R` (n ≥ m): returns `(Q, R, perm)` where
/// column `j` of `Q R` is column `perm[j]` of `A`, and `|R_kk| ≥ |R_kj|` for `j > k`.
///
/// With the rows of `A` sorted by decreasing size, Householder QR with column pivoting is
/// row-wise backward stable (Cox & Higham, 1998): every row keeps its own relative accuracy,
/// however strongly the rows are graded. Without the column pivoting it is not — a first
/// reflector built on a column that lives in a tiny row mixes that row with a large one.
pub(crate) fn thin_col_piv_qr(a: MatRef<'_, f64>) -> (Mat<f64>, Mat<f64>, Vec<usize>) {
    let (n, m) = (a.nrows(), a.ncols());
    debug_assert!(n >= m);
    let mut qr_mat = a.to_owned();
    let block = qr::no_pivoting::factor::recommended_block_size::<f64>(n, m);
    let mut coeff = Mat::zeros(block, m);
    let mut fwd = vec![0usize; m];
    let mut inv = vec![0usize; m];
    {
        let mut buf = MemBuffer::new(qr::col_pivoting::factor::qr_in_place_scratch::<usize, f64>(
            n,
            m,
            block,
            Par::Seq,
            Default::default(),
        ));
        qr::col_pivoting::factor::qr_in_place(
            qr_mat.as_mut(),
            coeff.as_mut(),
            &mut fwd,
            &mut inv,
            Par::Seq,
            MemStack::new(&mut buf),
            Default::default(),
        );
    }
    let q = thin_q(qr_mat.as_ref(), coeff.as_ref(), m);
    let r = Mat::from_fn(m, m, |i, j| if i <= j { qr_mat[(i, j)] } else { 0.0 });
    (q, r, fwd)
}

/// The `R` factor of a Householder QR with column pivoting of any `A` (`A P = Q R`, `Q` not
/// formed): returns `R` (min(rows, cols) × cols, upper trapezoidal) and `perm`, column `j` of
/// `Q R` being column `perm[j]` of `A`. Each column of `R` is `Qᵀ` applied to one column of `A`
/// by reflections, so an exactly zero column of `A` gives an exactly zero column of `R`.
pub(crate) fn col_piv_r(a: MatRef<'_, f64>) -> (Mat<f64>, Vec<usize>) {
    let (rows, cols) = (a.nrows(), a.ncols());
    let size = rows.min(cols);
    let mut qr_mat = a.to_owned();
    let block = qr::no_pivoting::factor::recommended_block_size::<f64>(rows, cols);
    let mut coeff = Mat::zeros(block, size);
    let mut fwd = vec![0usize; cols];
    let mut inv = vec![0usize; cols];
    let mut buf = MemBuffer::new(qr::col_pivoting::factor::qr_in_place_scratch::<usize, f64>(
        rows,
        cols,
        block,
        Par::Seq,
        Default::default(),
    ));
    qr::col_pivoting::factor::qr_in_place(
        qr_mat.as_mut(),
        coeff.as_mut(),
        &mut fwd,
        &mut inv,
        Par::Seq,
        MemStack::new(&mut buf),
        Default::default(),
    );
    let r = Mat::from_fn(size, cols, |i, j| if i <= j { qr_mat[(i, j)] } else { 0.0 });
    (r, fwd)
}

/// The first `m` columns of the orthogonal factor stored as Householder reflectors.
fn thin_q(basis: MatRef<'_, f64>, coeff: MatRef<'_, f64>, m: usize) -> Mat<f64> {
    let n = basis.nrows();
    let block = coeff.nrows();
    let mut q = Mat::from_fn(n, m, |i, j| if i == j { 1.0 } else { 0.0 });
    let mut buf = MemBuffer::new(
        householder::apply_block_householder_sequence_on_the_left_in_place_scratch::<f64>(
            n, block, m,
        ),
    );
    householder::apply_block_householder_sequence_on_the_left_in_place_with_conj(
        basis,
        coeff,
        Conj::No,
        q.as_mut(),
        Par::Seq,
        MemStack::new(&mut buf),
    );
    q
}

/// The numerical-rank part of a thin SVD `A ≈ U_m diag(σ) V_mᵀ`: returns `(U_m, σ)`, so that
/// `F = U_m diag(σ)` is a full-column-rank factor with `F Fᵀ = A Aᵀ` up to the dropped
/// singular values.
///
/// The SVD (rather than a pivoted QR) is used so that the numerical rank is decided on the
/// singular values themselves; it is applied to the α-free shape, so scaling plays no role.
pub(crate) fn reduced_svd(a: MatRef<'_, f64>) -> Result<(Mat<f64>, Vec<f64>), Error> {
    let (n, r) = (a.nrows(), a.ncols());
    let svd = a
        .thin_svd()
        .map_err(|e| Error::Numerical(format!("SVD of the shape failed: {e:?}")))?;
    let s = svd.S().column_vector();
    let k = s.nrows();
    let top = if k > 0 { s[0] } else { 0.0 };
    let tol = crate::init::RANK_FACTOR * n.max(r) as f64 * f64::EPSILON * top;
    let m = (0..k).filter(|&i| s[i] > tol).count();
    if m == 0 {
        return Err(Error::BadParameter {
            what: "u0",
            why: "the initialization shape is zero".into(),
        });
    }
    let u = svd.U();
    Ok((u.subcols(0, m).to_owned(), (0..m).map(|i| s[i]).collect()))
}

/// A full-column-rank factor `G` (n × m) with `G Gᵀ = F Fᵀ`, from a column-pivoted QR of
/// `Fᵀ`: `Fᵀ P = Q R` gives `F Fᵀ = P Rᵀ R Pᵀ`, so `G = P R_mᵀ` with the first `m` rows of
/// `R`, `m` the numerical rank (`|R_kk| > crate::init::RANK_FACTOR · max(n, r) · ε · |R_11|`).
///
/// Unlike an SVD, this treats each row of `F` separately: row `i` of `G` is `Qᵀ` applied to
/// row `i` of `F` by reflections, so a row that is exactly zero (a direction of `Y` the
/// initialization does not see) stays exactly zero, and every row keeps its relative accuracy
/// (Householder QR is column-wise backward stable, and the columns of `Fᵀ` are the rows of `F`).
#[cfg(test)]
pub(crate) fn row_preserving_factor(f: MatRef<'_, f64>) -> Result<Mat<f64>, Error> {
    let (n, r) = (f.nrows(), f.ncols());
    let (rt, _) = col_piv_r(f.transpose());
    let size = rt.nrows();
    let top = if size > 0 { rt[(0, 0)].abs() } else { 0.0 };
    let tol = crate::init::RANK_FACTOR * n.max(r) as f64 * f64::EPSILON * top;
    let m = (0..size).take_while(|&k| rt[(k, k)].abs() > tol).count();
    if m == 0 {
        return Err(Error::BadParameter {
            what: "u0",
            why: "the initialization shape is zero".into(),
        });
    }
    row_preserving_factor_of_rank(f, m)
}

/// [`row_preserving_factor`] with the rank `m` given: `G = P R_mᵀ` from `Fᵀ P = Q R`.
pub(crate) fn row_preserving_factor_of_rank(
    f: MatRef<'_, f64>,
    m: usize,
) -> Result<Mat<f64>, Error> {
    let n = f.nrows();
    let (rt, perm) = col_piv_r(f.transpose());
    let m = m.min(rt.nrows());
    let mut g = Mat::zeros(n, m);
    for (j, &row) in perm.iter().enumerate() {
        for k in 0..m {
            g[(row, k)] = rt[(k, j)];
        }
    }
    Ok(g)
}

/// `F = U_m diag(σ)` from [`reduced_svd`].
#[cfg(test)]
pub(crate) fn full_rank_factor(a: MatRef<'_, f64>) -> Result<Mat<f64>, Error> {
    let (u, s) = reduced_svd(a)?;
    Ok(Mat::from_fn(u.nrows(), u.ncols(), |i, j| u[(i, j)] * s[j]))
}

/// Eigenvectors and eigenvalues of a symmetric matrix, eigenvalues in descending order.
pub(crate) fn sorted_eigen(a: MatRef<'_, f64>) -> Result<(Mat<f64>, Vec<f64>), Error> {
    let n = a.nrows();
    let evd = a
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|e| Error::Numerical(format!("symmetric eigendecomposition failed: {e:?}")))?;
    // faer returns ascending eigenvalues; reverse to descending.
    let s = evd.S().column_vector();
    let u = evd.U();
    let eigenvalues = (0..n).map(|k| s[n - 1 - k]).collect();
    let phi = Mat::from_fn(n, n, |i, k| u[(i, n - 1 - k)]);
    Ok((phi, eigenvalues))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::max_abs;

    #[test]
    fn qr_reconstructs_and_q_is_orthonormal() {
        let a = Mat::from_fn(7, 4, |i, j| {
            ((i * 3 + j * 5) % 7) as f64 - 2.5 + (i == j) as u8 as f64
        });
        let (q, r) = thin_qr(a.as_ref());
        assert!(max_abs((mul(q.as_ref(), r.as_ref()) - &a).as_ref()) < 1e-13);
        let qtq = mul(q.transpose(), q.as_ref());
        assert!(max_abs((qtq - Mat::<f64>::identity(4, 4)).as_ref()) < 1e-14);
    }

    #[test]
    fn pivoted_qr_reconstructs_permuted_columns_and_keeps_tiny_rows() {
        // Graded rows (1, 1e-100, 1e-200) and columns that each live in one row, listed with
        // the tiny one first: without pivoting the tiny row would be polluted at 1e-16 · 1.
        let a = Mat::from_fn(3, 3, |i, j| {
            let scale = [1.0, 1e-100, 1e-200][i];
            if (i + 1) % 3 == j {
                scale
            } else {
                0.0
            }
        });
        let (q, r, perm) = thin_col_piv_qr(a.as_ref());
        let qr_prod = mul(q.as_ref(), r.as_ref());
        for j in 0..3 {
            for i in 0..3 {
                let want = a[(i, perm[j])];
                assert!(
                    (qr_prod[(i, j)] - want).abs() <= 1e-15 * want.abs(),
                    "({i},{j})"
                );
            }
        }
        assert!(r[(0, 0)].abs() >= r[(1, 1)].abs() && r[(1, 1)].abs() >= r[(2, 2)].abs());
    }

    #[test]
    fn tiled_mirror_and_triangular_inverse() {
        // n = 70: two full 32-tiles and a partial one in each direction.
        let n = 70;
        let a = Mat::from_fn(n, n, |i, j| {
            if i >= j {
                ((i * 31 + j * 17) % 23) as f64 - 11.0 + if i == j { 40.0 } else { 0.0 }
            } else {
                f64::NAN
            }
        });
        let mut m = a.clone();
        mirror_lower(m.as_mut());
        for j in 0..n {
            for i in 0..n {
                let want = if i >= j { a[(i, j)] } else { a[(j, i)] };
                assert_eq!(m[(i, j)], want, "({i},{j})");
            }
        }
        // L⁻¹ from the lower triangle only (the NaNs above are not read); upper set to zero.
        let mut inv = Mat::from_fn(n, n, |_, _| f64::NAN);
        invert_lower_into(inv.as_mut(), a.as_ref());
        let l = Mat::from_fn(n, n, |i, j| if i >= j { a[(i, j)] } else { 0.0 });
        let eye = mul(l.as_ref(), inv.as_ref());
        // The diagonal dominates (40 against off-diagonal entries up to 11), so L is well
        // conditioned and L L⁻¹ = I to a few ulps of n.
        assert!(max_abs((eye - Mat::<f64>::identity(n, n)).as_ref()) < 1e-13);
        assert!((0..n).all(|j| (0..j).all(|i| inv[(i, j)] == 0.0)));
    }

    #[test]
    fn cholesky_and_gram_agree() {
        let a = Mat::from_fn(5, 5, |i, j| {
            1.0 / (1.0 + i as f64 + j as f64) + (i == j) as u8 as f64
        });
        let g = scaled_gram(a.as_ref(), 2.0);
        let l = cholesky_lower(g.as_ref(), "test").unwrap();
        let back = mul(l.as_ref(), l.transpose());
        assert!(max_abs((back - &g).as_ref()) < 1e-13);
        // Cholesky rejects an indefinite matrix rather than returning garbage.
        let bad = Mat::from_fn(2, 2, |i, j| if i == j { -1.0 } else { 0.0 });
        assert!(cholesky_lower(bad.as_ref(), "test").is_err());
    }
}

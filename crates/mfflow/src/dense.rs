//! Thin wrappers over faer's low-level dense kernels, all run with `Par::Seq`.
//!
//! The trajectory kernels parallelise over time points instead (see [`crate::trajectory`]):
//! each time point's arithmetic is then the same whatever the thread count, which keeps the
//! results byte-identical across machines with different numbers of cores. faer's high-level
//! API (`Mat::qr`, `Mat::llt`) reads a global parallelism setting, so it is not used here.

use crate::error::Error;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::matmul::triangular::BlockStructure;
use faer::linalg::{cholesky, householder, matmul, qr, triangular_solve};
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
    let n = a.nrows();
    let mut dst = Mat::zeros(n, n);
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
    mirror_lower(dst.as_mut());
    dst
}

/// Copies the strict lower triangle onto the upper one.
pub(crate) fn mirror_lower(mut a: MatMut<'_, f64>) {
    for j in 0..a.ncols() {
        for i in 0..j {
            a[(i, j)] = a[(j, i)];
        }
    }
}

/// Lower Cholesky factor `L` of a symmetric positive definite `A` (read from its lower
/// triangle), with the strict upper triangle zeroed.
pub(crate) fn cholesky_lower(a: MatRef<'_, f64>, what: &str) -> Result<Mat<f64>, Error> {
    let n = a.nrows();
    let mut l = Mat::from_fn(n, n, |i, j| if i >= j { a[(i, j)] } else { 0.0 });
    let mut buf = MemBuffer::new(cholesky::llt::factor::cholesky_in_place_scratch::<f64>(
        n,
        Par::Seq,
        Default::default(),
    ));
    cholesky::llt::factor::cholesky_in_place(
        l.as_mut(),
        Default::default(),
        Par::Seq,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .map_err(|e| Error::Numerical(format!("Cholesky of {what} failed: {e:?}")))?;
    for j in 0..n {
        for i in 0..j {
            l[(i, j)] = 0.0;
        }
    }
    Ok(l)
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

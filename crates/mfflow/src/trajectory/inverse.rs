//! The inverse form (PSD target, `W(0)` of full rank): `V = W⁻¹` solves the linear ODE
//! `dV/dt = −Y V − V Y + 2I`, so in the eigenbasis `α W̃(t)⁻¹ = E P E + α D` with
//! `E = diag(e^{−lᵢ t})` and `P = W̃̄₀⁻¹`. Every entry is bounded for all `t ≥ 0`; one Cholesky per
//! time point, about `2.3 n³` flops for `W` in the original basis.

use super::{d_coefficient, Point, Trajectory, Want};
use crate::dense;
use crate::error::Error;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::{Mat, MatRef};

impl Trajectory {
    /// Inverse form at one time: `inner = E P E + α D = L Lᵀ`, `W̃ = α L⁻ᵀ L⁻¹`.
    ///
    /// `W` in the original basis is `α Z Zᵀ` with `Zᵀ = L⁻¹ Φᵀ`: a Cholesky (`n³/3` flops), one
    /// triangular solve with `n` right-hand sides (`n³`) and a half Gram (`n³`). All scratch
    /// lives in `ws`, reused from one time point to the next by the same worker; the only
    /// allocation is the output.
    ///
    /// The eigenvalues are `α / σᵢ(L)²` (see [`super::eigenvalues`]).
    pub(super) fn inverse_point(
        &self,
        p: MatRef<'_, f64>,
        phi_t: MatRef<'_, f64>,
        ws: &mut InverseWorkspace,
        t: f64,
        want: Want,
    ) -> Result<Point, Error> {
        let n = self.target.n();
        self.inverse_inner(p, t, &mut ws.factor);
        let mut snap = Point::default();
        ws.factor_inner()?;
        let chol = ws.factor.as_ref();
        if want.eigenvalues {
            snap.eigenvalues = Some(super::eigenvalues::from_cholesky(
                chol, self.alpha, self.scale,
            )?);
        }
        if want.w {
            let mut w = Mat::zeros(n, n);
            self.inverse_w_from_cholesky(chol, phi_t, &mut ws.rhs, w.as_mut());
            snap.w = Some(w);
        }
        if want.w_eigenbasis || want.factor {
            // L⁻¹ (lower triangular): G = √α L⁻ᵀ and W̃ = α L⁻ᵀ L⁻¹.
            dense::invert_lower_into(ws.rhs.as_mut(), chol);
            let l_inv = ws.rhs.as_ref();
            if want.factor {
                let root = (self.alpha * self.scale).sqrt();
                snap.factor = Some(Mat::from_fn(n, n, |i, j| root * l_inv[(j, i)]));
            }
            if want.w_eigenbasis {
                snap.w_eigenbasis = Some(dense::scaled_gram(
                    l_inv.transpose(),
                    self.alpha * self.scale,
                ));
            }
        }
        Ok(snap)
    }

    /// `E P E + α D` at time `t` into the lower triangle of `dst`, column by column (all that
    /// the Cholesky reads; the strict upper triangle is left as it is). Normalized units.
    pub(super) fn inverse_inner(&self, p: MatRef<'_, f64>, t: f64, dst: &mut Mat<f64>) {
        let t = self.normalized_time(t);
        let l = &self.l;
        let e: Vec<f64> = l.iter().map(|&li| (-li * t).exp()).collect();
        for j in 0..l.len() {
            let p_col = p
                .col(j)
                .try_as_col_major()
                .expect("P is column-major")
                .as_slice();
            let col = dst.col_as_slice_mut(j);
            for ((c, &ei), &pij) in col.iter_mut().zip(&e).zip(p_col).skip(j) {
                *c = ei * pij * e[j];
            }
            col[j] += self.alpha * d_coefficient(l[j], t);
        }
    }

    /// `W = α Z Zᵀ` with `Zᵀ = L⁻¹ Φᵀ`, from the Cholesky factor `L` of the inner matrix:
    /// one triangular solve with `n` right-hand sides (in `rhs`) and a half Gram into `dst`.
    pub(super) fn inverse_w_from_cholesky(
        &self,
        chol: MatRef<'_, f64>,
        phi_t: MatRef<'_, f64>,
        rhs: &mut Mat<f64>,
        dst: faer::MatMut<'_, f64>,
    ) {
        rhs.copy_from(phi_t);
        dense::solve_lower_in_place(chol, rhs.as_mut());
        dense::scaled_gram_into(dst, rhs.transpose(), self.alpha * self.scale);
    }
}

/// Per-worker scratch of the inverse form, reused from one time point to the next.
///
/// Profiled at n = 256 (`perf record`, 101 times): allocating and first-touching four fresh
/// n × n matrices and a Cholesky scratch per time point took about a fifth of the time in page
/// faults and copies; with this workspace the output `W` is the only allocation per time.
pub(super) struct InverseWorkspace {
    /// `E P E + α D`, then overwritten by its Cholesky factor `L` (lower triangle; the strict
    /// upper one is faer's scratch, never read).
    pub(super) factor: Mat<f64>,
    /// The right-hand side of the triangular solves: `Φᵀ` then `L⁻¹ Φᵀ`, or `L⁻¹`.
    pub(super) rhs: Mat<f64>,
    /// Scratch of the Cholesky and the triangular solves.
    stack: MemBuffer,
}

impl InverseWorkspace {
    pub(super) fn new(n: usize) -> Self {
        Self {
            factor: Mat::zeros(n, n),
            rhs: Mat::zeros(n, n),
            stack: MemBuffer::new(dense::cholesky_scratch(n)),
        }
    }

    /// Overwrites the inner matrix `E P E + α D` in `factor` with its Cholesky factor `L`.
    pub(super) fn factor_inner(&mut self) -> Result<(), Error> {
        dense::cholesky_lower_in_place(
            self.factor.as_mut(),
            MemStack::new(&mut self.stack),
            "E P E + alpha D",
        )
    }
}

//! Asymmetric factorization `1/2 ‖Y − U Vᵀ‖²_F` (Y m × n, U m × r, V n × r), the paper's
//! named next step, solved exactly for balanced initializations.
//!
//! Gradient flow: `dU/dt = (Y − U Vᵀ) V`, `dV/dt = (Y − U Vᵀ)ᵀ U`. The imbalance
//! `UᵀU − VᵀV` is conserved. With `Z = [U; V]` and the symmetric, indefinite
//!
//! ```text
//! Ȳ = [[0, Y], [Yᵀ, 0]]        (eigenvalues ±σᵢ(Y) and zeros)
//! ```
//!
//! a balanced start (`UᵀU = VᵀV`) gives `[U VᵀV; V UᵀU] = Z Zᵀ Z / 2`, hence
//! `dZ/dt = Ȳ Z − Z Zᵀ Z / 2`, and `W = Z Zᵀ / 2` solves the symmetric equation (3) with target
//! `Ȳ` exactly: `dW/dt = W Ȳ + Ȳ W − 2 W²`. So `U(t) V(t)ᵀ = 2 W₁₂(t)` (the top-right m × n
//! block) comes from the any-rank closed form with the indefinite target — no ODE in the loop.

use crate::error::{check_finite, Error};
use crate::ode::{integrate, OdeOptions, OdeStats};
use crate::target::{max_abs, Target};
use crate::trajectory::{Form, Trajectory};
use crate::Init;
use faer::{Mat, MatRef};

/// `UᵀU − VᵀV` is zero within this tolerance relative to `max(‖UᵀU‖, ‖VᵀV‖)` for a start to
/// count as balanced (rounding in forming the two Gram matrices is a few ε).
pub const BALANCE_TOLERANCE: f64 = 1e-12;

/// `Ȳ = [[0, Y], [Yᵀ, 0]]`, (m + n) × (m + n).
pub fn symmetrized(y: MatRef<'_, f64>) -> Mat<f64> {
    let (m, n) = (y.nrows(), y.ncols());
    Mat::from_fn(m + n, m + n, |i, j| match (i < m, j < m) {
        (true, false) => y[(i, j - m)],
        (false, true) => y[(j, i - m)],
        _ => 0.0,
    })
}

/// The imbalance `UᵀU − VᵀV` (r × r), conserved by the flow.
pub fn imbalance(u: MatRef<'_, f64>, v: MatRef<'_, f64>) -> Mat<f64> {
    u.transpose() * u - v.transpose() * v
}

/// A balanced pair `U = P S`, `V = Q S` from `P` (m × k) and `Q` (n × k) with orthonormal
/// columns and any `S` (k × r): `UᵀU = SᵀS = VᵀV`. Any r works; the rank is at most k.
pub fn balanced_pair(
    p: MatRef<'_, f64>,
    q: MatRef<'_, f64>,
    s: MatRef<'_, f64>,
) -> (Mat<f64>, Mat<f64>) {
    (p * s, q * s)
}

/// The exact product `U(t) V(t)ᵀ` of a balanced start, through the symmetric closed form.
#[derive(Debug, Clone)]
pub struct BalancedTrajectory {
    m: usize,
    n: usize,
    symmetric: Trajectory,
}

impl BalancedTrajectory {
    /// `U(0) = √α Ū`, `V(0) = √α V̄` with `ŪᵀŪ = V̄ᵀV̄` (checked within [`BALANCE_TOLERANCE`]).
    pub fn new(
        y: MatRef<'_, f64>,
        alpha: f64,
        u_bar: MatRef<'_, f64>,
        v_bar: MatRef<'_, f64>,
    ) -> Result<Self, Error> {
        let (m, n) = (y.nrows(), y.ncols());
        check_finite(y, "the target y")?;
        if u_bar.nrows() != m {
            return Err(Error::DimensionMismatch {
                what: "the rows of U",
                expected: m,
                found: u_bar.nrows(),
            });
        }
        if v_bar.nrows() != n {
            return Err(Error::DimensionMismatch {
                what: "the rows of V",
                expected: n,
                found: v_bar.nrows(),
            });
        }
        if v_bar.ncols() != u_bar.ncols() {
            return Err(Error::DimensionMismatch {
                what: "the columns of V",
                expected: u_bar.ncols(),
                found: v_bar.ncols(),
            });
        }
        let gap = max_abs(imbalance(u_bar, v_bar).as_ref());
        let scale = max_abs((u_bar.transpose() * u_bar).as_ref())
            .max(max_abs((v_bar.transpose() * v_bar).as_ref()));
        if gap > BALANCE_TOLERANCE * scale {
            return Err(Error::BadParameter {
                what: "the initialization (U, V)",
                why: format!(
                    "not balanced: max |U^T U - V^T V| = {gap:e} (relative {:e})",
                    gap / scale.max(f64::MIN_POSITIVE)
                ),
            });
        }
        let target = Target::new(symmetrized(y).as_ref())?;
        // W(0) = Z Zᵀ / 2 = α (Z̄/√2)(Z̄/√2)ᵀ.
        let r = u_bar.ncols();
        let half = std::f64::consts::FRAC_1_SQRT_2;
        let z_bar = Mat::from_fn(m + n, r, |i, j| {
            half * if i < m {
                u_bar[(i, j)]
            } else {
                v_bar[(i - m, j)]
            }
        });
        let symmetric = Trajectory::new(&target, &Init::new(alpha, z_bar.as_ref())?, Form::Auto)?;
        Ok(Self { m, n, symmetric })
    }

    /// The symmetric trajectory `W(t) = Z Zᵀ / 2` with target `Ȳ`.
    pub fn symmetric(&self) -> &Trajectory {
        &self.symmetric
    }

    /// `U(t) V(t)ᵀ = 2 W₁₂(t)` for each time.
    pub fn product(&self, times: &[f64]) -> Result<Vec<Mat<f64>>, Error> {
        Ok(self
            .symmetric
            .w(times)?
            .into_iter()
            .map(|w| Mat::from_fn(self.m, self.n, |i, j| 2.0 * w[(i, self.m + j)]))
            .collect())
    }
}

/// A pair `(U, V)`.
pub type Pair = (Mat<f64>, Mat<f64>);

/// A gradient-descent iterate: the time reached `k η`, and `(U, V)` there.
pub type PairIterate = (f64, Mat<f64>, Mat<f64>);

/// `((Y − U Vᵀ) V, (Y − U Vᵀ)ᵀ U)`.
pub fn rhs(y: MatRef<'_, f64>, u: MatRef<'_, f64>, v: MatRef<'_, f64>) -> (Mat<f64>, Mat<f64>) {
    let residual = y - u * v.transpose();
    (&residual * v, residual.transpose() * u)
}

fn stack(u: MatRef<'_, f64>, v: MatRef<'_, f64>) -> Mat<f64> {
    let m = u.nrows();
    Mat::from_fn(m + v.nrows(), u.ncols(), |i, j| {
        if i < m {
            u[(i, j)]
        } else {
            v[(i - m, j)]
        }
    })
}

fn split(z: MatRef<'_, f64>, m: usize) -> (Mat<f64>, Mat<f64>) {
    (
        z.subrows(0, m).to_owned(),
        z.subrows(m, z.nrows() - m).to_owned(),
    )
}

/// Reference: the adaptive DP5(4) integration of the (U, V) flow (balanced or not).
pub fn integrate_pair(
    y: MatRef<'_, f64>,
    u0: MatRef<'_, f64>,
    v0: MatRef<'_, f64>,
    times: &[f64],
    options: OdeOptions,
) -> Result<(Vec<Pair>, OdeStats), Error> {
    let m = y.nrows();
    let (zs, stats) = integrate(stack(u0, v0).as_ref(), times, options, |z| {
        let (u, v) = (z.subrows(0, m), z.subrows(m, z.nrows() - m));
        let (du, dv) = rhs(y, u, v);
        stack(du.as_ref(), dv.as_ref())
    })?;
    Ok((zs.iter().map(|z| split(z.as_ref(), m)).collect(), stats))
}

/// Reference: gradient descent on (U, V) with step η; returns `(k η, U, V)` for
/// `k = round(t/η)` at each time.
pub fn gradient_descent_pair(
    y: MatRef<'_, f64>,
    u0: MatRef<'_, f64>,
    v0: MatRef<'_, f64>,
    eta: f64,
    times: &[f64],
) -> Result<Vec<PairIterate>, Error> {
    let iterates = crate::gd::descend(
        (u0.to_owned(), v0.to_owned()),
        eta,
        times,
        |(u, v)| {
            let (du, dv) = rhs(y, u.as_ref(), v.as_ref());
            *u += faer::Scale(eta) * du;
            *v += faer::Scale(eta) * dv;
        },
        |(u, _)| {
            check_finite(
                u.as_ref(),
                "the gradient-descent iterate U (step too large?)",
            )
        },
    )?;
    Ok(iterates.into_iter().map(|(t, (u, v))| (t, u, v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_symmetrized_target_has_eigenvalues_plus_minus_sigma() {
        let y = Mat::from_fn(2, 3, |i, j| if i == j { [3.0, 1.0][i] } else { 0.0 });
        let t = Target::new(symmetrized(y.as_ref()).as_ref()).unwrap();
        // To rounding of the eigensolver (a few ulps of ‖Ȳ‖ = 3).
        for (got, want) in t.eigenvalues().iter().zip([3.0, 1.0, 0.0, -1.0, -3.0]) {
            assert!(
                (got - want).abs() <= 8.0 * f64::EPSILON * 3.0,
                "{:?}",
                t.eigenvalues()
            );
        }
    }

    #[test]
    fn balanced_pairs_are_balanced_and_unbalanced_ones_rejected() {
        let p = Mat::from_fn(3, 2, |i, j| if i == j { 1.0 } else { 0.0 });
        let q = Mat::from_fn(4, 2, |i, j| if i == j + 1 { 1.0 } else { 0.0 });
        let s = Mat::from_fn(2, 3, |i, j| (i + 2 * j) as f64 - 1.5);
        let (u, v) = balanced_pair(p.as_ref(), q.as_ref(), s.as_ref());
        assert!(max_abs(imbalance(u.as_ref(), v.as_ref()).as_ref()) < 1e-15);
        let y = Mat::from_fn(3, 4, |i, j| (i * j) as f64);
        assert!(BalancedTrajectory::new(y.as_ref(), 1e-3, u.as_ref(), v.as_ref()).is_ok());
        let v_bad = &v * faer::Scale(1.1);
        assert!(BalancedTrajectory::new(y.as_ref(), 1e-3, u.as_ref(), v_bad.as_ref()).is_err());
    }
}

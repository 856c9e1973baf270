//! The factor form (any rank, any sign of the eigenvalues): the Woodbury form of (5) on a
//! graded thin QR, restarted from checkpoints, with the fast-forward from a stationary
//! checkpoint (see the parent module's docs for the formulas).

use super::{d_coefficient, Point, Trajectory, Want};
use crate::dense;
use crate::error::Error;
use faer::{Mat, MatRef};
use rayon::prelude::*;

/// Largest `lᵢ h` for a positive eigenvalue over one factor-form step: `e^{250} ≈ 4e108`.
pub(crate) const STEP_BUDGET_POSITIVE: f64 = 250.0;
/// Largest `|lᵢ| h` for a negative eigenvalue over one step (`dᵢ ≈ e^{2|lᵢ|h}/|lᵢ|`).
pub(crate) const STEP_BUDGET_NEGATIVE: f64 = 100.0;
/// Longest factor-form step in normalized time: `D(τ) ≤ 2τ` enters the inner matrix as
/// `Δ (Qᵀ D Q) Δ` next to `Δ² ≤ e^{500} · 4 n r`, so a bounded `τ` keeps it finite whatever the
/// eigenvalues (a target much smaller than `W(0)` has `1/lᵢ` up to 1e300); 1e40 leaves a wide
/// margin (1e80 still failed on a fuzzed instance with ‖Y‖ = 1e-80 · α max|u0|²).
pub(crate) const STEP_BUDGET_TIME: f64 = 1e40;
/// A factor-form direction with `|R_kk|` below this fraction of `|R_11|` has decayed out of
/// f64's range and is dropped (see [`woodbury_step`]).
pub(crate) const DECAYED_DIRECTION: f64 = 1e-290;
/// Rows of the factor along directions with `lᵢ ≤ 0` smaller than this are dropped.
pub(crate) const NEGLIGIBLE_ROW: f64 = 1e-250;

impl Trajectory {
    /// Outputs at one time from the factor form's `W̃' = Q C Cᵀ Qᵀ` (normalized units).
    pub(super) fn factor_point(&self, step: StepFactor, want: Want) -> Result<Point, Error> {
        let n = self.target.n();
        let mut snap = Point::default();
        if want.eigenvalues {
            snap.eigenvalues = Some(super::eigenvalues::from_core(
                step.c.as_ref(),
                self.scale,
                n,
            )?);
        }
        if want.w || want.w_eigenbasis || want.factor {
            let root = self.scale.sqrt();
            let mut g = &step.q * &step.c;
            g *= faer::Scale(root);
            if want.w {
                let z = self.target.from_eigenbasis(g.as_ref());
                snap.w = Some(dense::scaled_gram(z.as_ref(), 1.0));
            }
            if want.w_eigenbasis {
                snap.w_eigenbasis = Some(dense::scaled_gram(g.as_ref(), 1.0));
            }
            if want.factor {
                snap.factor = Some(g);
            }
        }
        Ok(snap)
    }

    /// Factor-form factors at every requested time: checkpoints sequentially, then the time
    /// points from their checkpoint in parallel. Returned in the order of `times`.
    ///
    /// **Fast-forward.** Walking checkpoints costs one step per `h = 250 / l_max`, so a time
    /// `t` costs `t l_max / 250` steps. Once the walk reaches a *stationary* checkpoint (see
    /// [`is_stationary`]: every row along `l ≤ 0` exactly zero, every other entry of `W̃`
    /// unchanged by a whole step to rounding), the flow from there on is the same from every
    /// later checkpoint: the remaining checkpoints are that one, and a time `t` beyond it is
    /// evaluated as `τ = t mod h` from it — the cost no longer grows with `t` (a rank-r start
    /// on a rank-r-or-less target reaches this once its unlearned rows have decayed to exact
    /// zero). A walk that would still need more than [`max_checkpoint_steps`] steps is
    /// refused with the reason instead of running for hours.
    pub(super) fn factor_path(
        &self,
        g0: &Mat<f64>,
        step: f64,
        times: &[f64],
    ) -> Result<Vec<StepFactor>, Error> {
        let l = &self.l;
        let times: Vec<f64> = times.iter().map(|&t| self.normalized_time(t)).collect();
        // Checkpoint index of each time (t = k h exactly uses checkpoint k with τ = 0), as an
        // f64: exact up to 2^53, and beyond that only a frozen walk can get there.
        let index = |t: f64| -> f64 {
            if step.is_finite() {
                (t / step).floor()
            } else {
                0.0
            }
        };
        let mut needed: Vec<f64> = times.iter().map(|&t| index(t)).collect();
        needed.sort_by(f64::total_cmp);
        needed.dedup();
        let limit = max_checkpoint_steps(g0.nrows(), g0.ncols());
        // Walk the checkpoints once, keeping only those some time point starts from.
        let mut kept: Vec<(f64, Mat<f64>)> = Vec::with_capacity(needed.len());
        let mut current = g0.clone();
        let mut gram = dense::scaled_gram(current.as_ref(), 1.0);
        let mut k = 0.0f64;
        let mut frozen = false;
        for &target_k in &needed {
            while k < target_k && !frozen {
                if k >= limit as f64 {
                    return Err(Error::BadParameter {
                        what: "times",
                        why: format!(
                            "t = {:e} needs {target_k:e} checkpoint steps of the factor form \
                             (one per 250 / (s l_max)) and the trajectory has not become \
                             stationary after {limit}; ask for earlier times",
                            target_k * step / self.scale
                        ),
                    });
                }
                let next = compress(l, woodbury_step(l, current.as_ref(), step)?.factor());
                let next_gram = dense::scaled_gram(next.as_ref(), 1.0);
                frozen = current.ncols() == next.ncols()
                    && is_stationary(l, gram.as_ref(), next.as_ref(), next_gram.as_ref());
                current = next;
                gram = next_gram;
                k += 1.0;
            }
            kept.push((if frozen { target_k } else { k }, current.clone()));
        }
        times
            .par_iter()
            .map(|&t| {
                let k = index(t);
                let pos = kept
                    .binary_search_by(|(kk, _)| kk.total_cmp(&k))
                    .expect("checkpoint computed above");
                let tau = if step.is_finite() {
                    (t - k * step).clamp(0.0, step)
                } else {
                    t
                };
                woodbury_step(l, kept[pos].1.as_ref(), tau)
            })
            .collect()
    }
}

/// Most checkpoint steps one evaluation walks before giving up: about 1e10 flops of
/// `O(n m²)` steps (seconds), between 1e3 and 2e5 steps (`t ‖Y‖` up to 5e7).
fn max_checkpoint_steps(n: usize, m: usize) -> u64 {
    (1e10 / (n as f64 * (m * m) as f64)).clamp(1e3, 2e5) as u64
}

/// Whether a checkpoint step (same number of columns before and after) from `W̃ = w0` to the
/// factor `after` left `W̃` unchanged to rounding,
/// in the graded sense (`|ΔW̃_ij| ≤ 64 n ε √(W̃_ii W̃_jj)`, zero diagonals staying exactly
/// zero), with every row that is not exactly zero a learned one (`lᵢ > 0`, `W̃_ii ≥ lᵢ/2`):
/// then `W̃` is an equilibrium `diag(lᵢ, i ∈ S)` of (3) to rounding and nothing is left to move.
///
/// Why that makes every later checkpoint the same: a row along `lᵢ > 0` that is not yet
/// learned grows by `e^{lᵢ h} ≥ e^{250 lᵢ / l_max}` in a step and a row that is being
/// out-competed (r below the number of positive eigenvalues) decays by a similar factor, so
/// neither passes the test until it is learned or has underflowed to exact zero; rows along
/// `lᵢ = 0` of a full-rank factor decay only like `1/√(2t)`, which can look stationary over
/// one step, hence the separate requirement that they be zero.
///
/// `w0` is `W̃` at the earlier checkpoint (the walk carries it from one step to the next, so
/// each step forms one Gram); `w1 = after afterᵀ`.
fn is_stationary(
    l: &[f64],
    w0: MatRef<'_, f64>,
    after: MatRef<'_, f64>,
    w1: MatRef<'_, f64>,
) -> bool {
    let n = w0.nrows();
    for i in 0..n {
        let nonzero = (0..after.ncols()).any(|j| after[(i, j)] != 0.0);
        // Every row still present must be a learned one (W̃_ii ≈ lᵢ > 0): a row along a tiny
        // positive lᵢ changes by nothing over one step yet is learned after log(1/α)/(2 lᵢ).
        if nonzero && !(l[i] > 0.0 && w1[(i, i)] >= 0.5 * l[i]) {
            return false;
        }
    }
    let tol = 64.0 * n as f64 * f64::EPSILON;
    for j in 0..n {
        for i in j..n {
            let scale = (w1[(i, i)] * w1[(j, j)]).sqrt();
            let diff = (w1[(i, j)] - w0[(i, j)]).abs();
            if (scale == 0.0 && diff != 0.0) || diff > tol * scale {
                return false;
            }
        }
    }
    true
}

/// A factor of `W̃` as `Q C`: `Q` (n × m) with orthonormal columns and `C = Δ L̂⁻ᵀ` (m × m),
/// whose rows carry the grading of `W̃` (see [`woodbury_step`]).
#[derive(Debug, Clone)]
pub(super) struct StepFactor {
    q: Mat<f64>,
    c: Mat<f64>,
}

impl StepFactor {
    fn factor(&self) -> Mat<f64> {
        &self.q * &self.c
    }
}

/// One factor-form step: from `W̃(t₀) = G Gᵀ` to a factor of `W̃(t₀ + τ)` (see the module docs).
///
/// The QR is column-pivoted: `W = X (I + XᵀDX)⁻¹ Xᵀ` is unchanged when the columns of `X` are
/// permuted, and the pivoting is what makes the QR row-wise stable on the graded `X` (and
/// keeps `|R̂_kj| ≤ 1`, so `R̂⁻¹` is of moderate size).
fn woodbury_step(l: &[f64], g: MatRef<'_, f64>, tau: f64) -> Result<StepFactor, Error> {
    let (n, m) = (g.nrows(), g.ncols());
    if m == 0 {
        // Every row has decayed away (`compress`): W̃ = 0 from here on.
        return Ok(StepFactor {
            q: Mat::zeros(n, 0),
            c: Mat::zeros(0, 0),
        });
    }
    // e^{lᵢ τ} and √dᵢ(τ) once per row (not per entry: for r ≪ n the exponentials were a
    // fifth of a step).
    let growth: Vec<f64> = l.iter().map(|&li| (li * tau).exp()).collect();
    let x = Mat::from_fn(n, m, |i, j| growth[i] * g[(i, j)]);
    // Row sorting by decreasing norm (Cox & Higham): rows are not ordered by size in general —
    // an exactly zero row of a large lᵢ would otherwise pick up rounding from the reflectors
    // and seed a direction that the exact flow never learns.
    let norms: Vec<f64> = (0..n)
        .map(|i| (0..m).fold(0.0f64, |a, j| a.max(x[(i, j)].abs())))
        .collect();
    let mut rows: Vec<usize> = (0..n).collect();
    rows.sort_by(|&a, &b| norms[b].total_cmp(&norms[a]));
    let x_sorted = Mat::from_fn(n, m, |i, j| x[(rows[i], j)]);
    let (mut q_sorted, mut r, _) = dense::thin_col_piv_qr(x_sorted.as_ref());
    if let Some(k) = (0..m).map(|k| r[(k, k)]).position(|d| !d.is_finite()) {
        return Err(Error::Numerical(format!(
            "the factor form met a non-finite pivot at direction {k}"
        )));
    }
    // Directions below f64's relative range. With the column pivoting |R_kk| decreases, and a
    // direction with |R_kk| < 1e-290 |R_11| adds less than 1e-580 of ‖W̃‖ to W̃: its QR is
    // underflow, not arithmetic. Such a direction can only be one that has decayed (rows along
    // lᵢ < 0, or rows out-competed by learned ones, which never recover): a direction that the
    // flow will still learn is at least √α' ≥ 3e-153 against rows of at most e^250 √(4nr) ≈
    // 1e110, i.e. 1e-263 relative. It is dropped: `W̃ = (I + X Xᵀ D)⁻¹ X Xᵀ` depends on `X`
    // only through `X Xᵀ`, so `X` is replaced by a row-preserving factor of rank `m` of it
    // (the Gram without the decayed part) and factored again.
    let top = r[(0, 0)].abs();
    let kept = (0..m)
        .take_while(|&k| r[(k, k)].abs() >= DECAYED_DIRECTION * top)
        .count()
        .max(1);
    let m = if kept < m {
        let reduced = dense::row_preserving_factor_of_rank(x_sorted.as_ref(), kept)?;
        (q_sorted, r, _) = dense::thin_col_piv_qr(reduced.as_ref());
        kept
    } else {
        m
    };
    let mut q = Mat::zeros(n, m);
    for (i, &row) in rows.iter().enumerate() {
        for j in 0..m {
            q[(row, j)] = q_sorted[(i, j)];
        }
    }
    let delta: Vec<f64> = (0..m).map(|k| r[(k, k)]).collect();
    // N = R̂⁻¹ with R̂ = Δ⁻¹ R (unit upper triangular).
    let r_hat = Mat::from_fn(m, m, |i, j| if i < j { r[(i, j)] / delta[i] } else { 0.0 });
    let mut n_inv = Mat::<f64>::identity(m, m);
    dense::solve_unit_upper_in_place(r_hat.as_ref(), n_inv.as_mut());
    // Â = Nᵀ N + Δ (Qᵀ D Q) Δ, with Qᵀ D Q = (D^{1/2} Q)ᵀ (D^{1/2} Q) (D ≥ 0).
    let mut a_hat = dense::scaled_gram(n_inv.transpose(), 1.0);
    let root_d: Vec<f64> = l.iter().map(|&li| d_coefficient(li, tau).sqrt()).collect();
    let qd = Mat::from_fn(n, m, |i, j| root_d[i] * q[(i, j)]);
    let b = dense::scaled_gram(qd.transpose(), 1.0);
    for j in 0..m {
        for i in 0..m {
            a_hat[(i, j)] += delta[i] * b[(i, j)] * delta[j];
        }
    }
    let chol = dense::cholesky_lower(a_hat.as_ref(), "the inner matrix of the factor form")?;
    // G = Q C with C = Δ L̂⁻ᵀ, i.e. Cᵀ = L̂⁻¹ Δ.
    let mut ct = Mat::from_fn(m, m, |k, j| if k == j { delta[k] } else { 0.0 });
    dense::solve_lower_in_place(chol.as_ref(), ct.as_mut());
    Ok(StepFactor {
        q,
        c: ct.transpose().to_owned(),
    })
}

/// Drops rows of a checkpoint factor along directions with `lᵢ ≤ 0` that have decayed
/// below [`NEGLIGIBLE_ROW`], and restores full column rank if fewer nonzero rows than columns
/// remain.
///
/// Why dropping is safe: with `X = S F`, the term of `Xᵀ D X = Σₖ dₖ xₖ xₖᵀ` from a row `j`
/// with `lⱼ < 0` is `(1 − e^{2 lⱼ t})/|lⱼ| · fⱼ fⱼᵀ`, bounded for all later t, and row `j` of
/// `W` is `e^{lⱼ t} fⱼ (I + XᵀDX)⁻¹ Xᵀ`; a row of size δ changes any later `W` by
/// `O(δ ‖W‖^{1/2} + δ² ‖W‖/|lⱼ|)`, which is nothing at δ = 1e-250.
///
/// The rank restoration uses a QR of the transposed nonzero rows: Householder QR is
/// column-wise backward stable, so each row of the factor keeps its own relative accuracy.
fn compress(l: &[f64], mut g: Mat<f64>) -> Mat<f64> {
    let (n, m) = (g.nrows(), g.ncols());
    for i in 0..n {
        // Rows along lᵢ ≤ 0 never grow: dŨᵢ/dt = lᵢ Ũᵢ − Ũᵢ (ŨᵀŨ) with ŨᵀŨ ⪰ 0.
        if l[i] <= 0.0 {
            let norm = (0..m).fold(0.0f64, |a, j| a.hypot(g[(i, j)]));
            if norm < NEGLIGIBLE_ROW {
                for j in 0..m {
                    g[(i, j)] = 0.0;
                }
            }
        }
    }
    let rows: Vec<usize> = (0..n)
        .filter(|&i| (0..m).any(|j| g[(i, j)] != 0.0))
        .collect();
    if rows.len() >= m {
        return g;
    }
    // Fewer nonzero rows than columns: G_nzᵀ = Q R, so G_nz G_nzᵀ = Rᵀ R; the new factor is Rᵀ.
    let k = rows.len();
    let gt = Mat::from_fn(m, k, |j, a| g[(rows[a], j)]);
    let (_, r) = dense::thin_qr(gt.as_ref());
    let mut out = Mat::zeros(n, k);
    for (a, &i) in rows.iter().enumerate() {
        for b in 0..k {
            out[(i, b)] = r[(b, a)];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::max_abs;

    fn gram(g: &Mat<f64>) -> Mat<f64> {
        g * g.transpose()
    }

    /// The flow is a semigroup: a step of τ₁ then one of τ₂ from its factor gives the same W̃ as
    /// one step of τ₁ + τ₂ (to rounding relative to ‖W̃‖; entries here are O(1)), for a
    /// rank-deficient factor on an indefinite spectrum — the property the checkpoints rely on.
    #[test]
    fn steps_compose() {
        let l = [2.0, 1.0, 0.25, 0.0, -1.0];
        let g0 = Mat::from_fn(5, 3, |i, j| 1e-3 * ((i * 3 + j) as f64 * 0.7).sin());
        for (t1, t2) in [(0.5, 1.5), (3.0, 4.0), (10.0, 0.0)] {
            let two = woodbury_step(
                &l,
                woodbury_step(&l, g0.as_ref(), t1)
                    .unwrap()
                    .factor()
                    .as_ref(),
                t2,
            )
            .unwrap()
            .factor();
            let one = woodbury_step(&l, g0.as_ref(), t1 + t2).unwrap().factor();
            let diff = max_abs((&gram(&two) - &gram(&one)).as_ref());
            assert!(diff < 1e-14, "t1 = {t1}, t2 = {t2}: {diff:e}");
        }
    }

    /// `compress` zeroes rows along l ≤ 0 below NEGLIGIBLE_ROW (they cannot matter) and keeps
    /// full column rank when fewer nonzero rows than columns remain, without changing the Gram
    /// of what is kept.
    #[test]
    fn compress_drops_only_negligible_decayed_rows() {
        let l = [1.0, 0.5, -1.0, -2.0];
        let g = Mat::from_fn(4, 3, |i, j| match i {
            0 => 1.0 + j as f64,
            1 => 0.5 - j as f64,
            2 => 1e-260 * (1.0 + j as f64),
            _ => 1e-200,
        });
        let out = compress(&l, g.clone());
        assert_eq!(
            out.ncols(),
            3,
            "three nonzero rows remain for three columns"
        );
        assert!((0..3).all(|j| out[(2, j)] == 0.0));
        assert!((0..3).all(|j| out[(3, j)] == g[(3, j)]));
        // Two rows along l < 0 at 1e-260: only two nonzero rows for three columns -> rank 2.
        let g = Mat::from_fn(
            4,
            3,
            |i, j| if i < 2 { (i + j) as f64 + 1.0 } else { 1e-260 },
        );
        let out = compress(&l, g.clone());
        assert_eq!(out.ncols(), 2);
        let kept = Mat::from_fn(4, 3, |i, j| if i < 2 { g[(i, j)] } else { 0.0 });
        // Rounding of a 3-column QR relative to the largest Gram entry (29).
        let diff = max_abs((&gram(&out) - &gram(&kept)).as_ref());
        assert!(diff < 16.0 * f64::EPSILON * 29.0, "{diff:e}");
    }
}

//! The exact trajectory `W(t)` of (3), evaluated stably (Proposition 1 and Section III-C).
//!
//! Everything happens in the eigenbasis of the target, `W̃(t) = Φᵀ W(t) Φ`, with
//! `S(t) = diag(e^{lᵢ t})` and `D(t) = diag(dᵢ(t))`, `dᵢ = −expm1(−2 lᵢ t)/lᵢ` (`= 2t` if `lᵢ = 0`).
//! Note `dᵢ ≥ 0` for every sign of `lᵢ`, and `G(t) = S D S` is the paper's `G(t)` in (5).
//!
//! Two routes, both exact in exact arithmetic and both checked against independent references
//! in the tests:
//!
//! * **Inverse form** (PSD target, `W(0)` of full rank n): `V = W⁻¹` solves the linear ODE
//!   `dV/dt = −Y V − V Y + 2I`, so
//!   `α W̃(t)⁻¹ = E P E + α D`, with `E = S⁻¹ = diag(e^{−lᵢ t})` and `P = W̃̄₀⁻¹`
//!   (the α-free initial shape's inverse). Every entry is bounded for all `t ≥ 0`; one Cholesky
//!   per time point, about `2.3 n³` flops for `W` in the original basis.
//!
//! * **Factor form** (any rank, any sign of the eigenvalues): with a factor `W̃(t₀) = G Gᵀ`
//!   (n × m, full column rank) and `X = S(τ) G`, the Woodbury form of (5) is
//!   `W̃(t₀ + τ) = X (I + Xᵀ D(τ) X)⁻¹ Xᵀ`. With the thin QR `X P = Q R` (the rows of `X` are
//!   strongly graded; Householder QR with the rows sorted by size and column pivoting is row-wise
//!   backward stable, Cox & Higham 1998, so every row keeps its own relative accuracy) and the
//!   split `R = Δ R̂` (`Δ = diag(R)`, `R̂` unit upper triangular),
//!
//!   ```text
//!   W̃ = Q Δ Â⁻¹ Δ Qᵀ,    Â = R̂⁻ᵀ R̂⁻¹ + Δ (Qᵀ D Q) Δ,    factor  G(τ) = Q Δ L̂⁻ᵀ,  Â = L̂ L̂ᵀ.
//!   ```
//!
//!   The diagonal `Δ` carries the whole dynamic range of `W` (eigenvalues from `α ≈ 1e-300` to
//!   `‖Y‖` at once), so `Â` stays of moderate size: no overflow where `R⁻ᵀR⁻¹` alone would
//!   exceed `f64`. Because `e^{lᵢ τ}` overflows for long steps, the trajectory restarts from
//!   checkpoints `t₀ = 0, h, 2h, …` with `max(lᵢ) h ≤ 250` and `max(−lᵢ) h ≤ 100`; the
//!   factor at each checkpoint is the initial condition of the next step. Rows of directions
//!   with `lᵢ < 0` decay like `e^{lᵢ t}`; once such a row is below `1e-250` it is dropped (its
//!   effect on any later `W` is bounded by its size, see [`compress`]).
//!
//! Work that does not depend on `t` (the eigendecomposition of `Y`, the SVD of the shape, `P`)
//! is done once in [`Trajectory::new`]. Time points are evaluated in parallel with rayon; each
//! one runs sequential kernels, so results do not depend on the thread count. The inverse form
//! keeps its scratch per worker thread (memory O(n²) per thread beyond the output, whatever the
//! number of times), and [`Trajectory::w_into`] writes into matrices the caller owns.

use crate::binary_scale;
use crate::dense;
use crate::error::Error;
use crate::init::{initial_factor, reduced_svd, Init};
use crate::target::Target;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::{Mat, MatRef};
use rayon::prelude::*;

/// Largest `lᵢ h` for a positive eigenvalue over one factor-form step: `e^{250} ≈ 4e108`.
pub const STEP_BUDGET_POSITIVE: f64 = 250.0;
/// Largest `|lᵢ| h` for a negative eigenvalue over one step (`dᵢ ≈ e^{2|lᵢ|h}/|lᵢ|`).
pub const STEP_BUDGET_NEGATIVE: f64 = 100.0;
/// Longest factor-form step in normalized time: `D(τ) ≤ 2τ` enters the inner matrix as
/// `Δ (Qᵀ D Q) Δ` next to `Δ² ≤ e^{500} · 4 n r`, so a bounded `τ` keeps it finite whatever the
/// eigenvalues (a target much smaller than `W(0)` has `1/lᵢ` up to 1e300); 1e40 leaves a wide
/// margin (1e80 still failed on a fuzzed instance with ‖Y‖ = 1e-80 · α max|u0|²).
pub const STEP_BUDGET_TIME: f64 = 1e40;
/// A factor-form direction with `|R_kk|` below this fraction of `|R_11|` has decayed out of
/// f64's range and is dropped (see [`woodbury_step`]).
pub const DECAYED_DIRECTION: f64 = 1e-290;
/// Rows of the factor along directions with `lᵢ ≤ 0` smaller than this are dropped.
pub const NEGLIGIBLE_ROW: f64 = 1e-250;
/// The inverse form is used by [`Form::Auto`] only when `cond(W̄₀) ≤` this.
pub const INVERSE_FORM_MAX_CONDITION: f64 = 1e8;

/// Which evaluation route to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The inverse form when it applies (PSD target, full-rank well-conditioned `W(0)`),
    /// otherwise the factor form.
    Auto,
    /// `α W̃⁻¹ = E P E + α D`; requires a PSD target and a full-rank `W(0)`.
    Inverse,
    /// The any-rank Woodbury/QR form with checkpoints.
    Factor,
}

/// What to return for each time point (anything not asked for is not computed).
#[derive(Debug, Clone, Copy, Default)]
pub struct Want {
    /// `W(t)` in the original basis (n × n).
    pub w: bool,
    /// `W̃(t) = Φᵀ W(t) Φ` (n × n).
    pub w_eigenbasis: bool,
    /// A factor `G` with `W̃(t) = G Gᵀ` (eigenbasis, n × m).
    pub factor: bool,
    /// The eigenvalues of `W(t)`, descending.
    pub eigenvalues: bool,
}

/// The requested outputs at one time point.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The time.
    pub t: f64,
    /// `W(t)` in the original basis, if asked for.
    pub w: Option<Mat<f64>>,
    /// `W̃(t)` in the eigenbasis, if asked for.
    pub w_eigenbasis: Option<Mat<f64>>,
    /// Eigenbasis factor `G`, `W̃(t) = G Gᵀ`, if asked for.
    pub factor: Option<Mat<f64>>,
    /// Eigenvalues of `W(t)` (descending), if asked for.
    pub eigenvalues: Option<Vec<f64>>,
}

#[derive(Debug, Clone)]
enum Engine {
    /// `P = W̃̄₀⁻¹`, the inverse of the α-free initial shape in the eigenbasis, and `Φᵀ`
    /// (stored column-major, so each time point starts its triangular solve from a plain copy).
    Inverse { p: Mat<f64>, phi_t: Mat<f64> },
    /// `G₀ = √α Φᵀ Ū₀` reduced to full column rank, and the checkpoint spacing.
    Factor { g0: Mat<f64>, step: f64 },
}

/// The exact trajectory of one instance `(Y, α, Ū₀)`, ready to be evaluated at any times.
///
/// # Scaling
///
/// The flow (3) is invariant under `Y → cY, W → cW, t → t/c`, and `W(0) = α Ū₀ Ū₀ᵀ` does not
/// change when a power of two moves between `α` and `Ū₀`. Everything is computed for the
/// normalized instance `Y' = Y/s`, `W'(0) = W(0)/s`, `t' = s t` with `s` the power of two
/// nearest `max(‖Y‖, α max|Ū₀|²)` (all exact), so that `‖Y'‖ ≤ 1` and `α' ≤ 1`, and the results
/// are scaled back (`W = s W'`). That is what lets `‖Y‖` be 1e-150 or 1e150 as well as 1.
///
/// # Limits (checked in [`Trajectory::new`], each with a one-line reason naming the input)
///
/// * `‖Y‖` and `λ_max(W(0))` at most [`MAX_MAGNITUDE`] (so that every `W(t)` is representable:
///   `W(t) ⪯ max(λ_max(W(0)), l₁) I` for all t, since `c I` is a supersolution of (3));
/// * `max(‖Y‖, α max|Ū₀|²)` at least [`MIN_MAGNITUDE`];
/// * `α max|Ū₀|² / max(‖Y‖, α max|Ū₀|²)` at least [`MIN_RELATIVE_SCALE`]: f64 carries the flow
///   over 300 decades, not more;
/// * for the factor form, every direction of `√α Ū₀` (its part independent of the other
///   columns) at least [`MIN_FACTOR_COLUMN`] relative to `√max(‖Y‖, α max|Ū₀|²)`;
/// * times with `t‖Y‖` beyond [`MAX_NORMALIZED_TIME`] are evaluated at that time: every
///   eigenvalue that can still change after it is below `1e-300 ‖Y‖`.
#[derive(Debug, Clone)]
pub struct Trajectory {
    target: Target,
    /// `s`, the power of two the instance is normalized by.
    scale: f64,
    /// `l / s`, the normalized eigenvalues.
    l: Vec<f64>,
    /// `α' = α max|Ū₀|² / s`: the normalized initialization scale of the normalized shape.
    alpha: f64,
    rank: usize,
    engine: Engine,
}

/// Largest `‖Y‖` and `λ_max(W(0))` accepted.
pub const MAX_MAGNITUDE: f64 = 1e300;
/// Smallest `max(‖Y‖, α max|Ū₀|²)` accepted (the scale everything else is relative to).
pub const MIN_MAGNITUDE: f64 = 1e-300;
/// Smallest relative size of `W(0)` (and of each column's contribution to it) against
/// `max(‖Y‖, λ_max(W(0)))` that the computation carries.
pub const MIN_RELATIVE_SCALE: f64 = 1e-305;
/// Smallest size of a direction of the factor form's initial factor `√α' Ū₀'` (normalized; the
/// part of a column independent of the others): the factor form carries `W(0)` through its
/// factor, so a direction down to 1e-250 (a contribution 1e-500 to `W(0)`, far below f64's
/// range) is still one that the flow learns.
pub const MIN_FACTOR_COLUMN: f64 = 1e-250;
/// Largest normalized time `t ‖Y‖` evaluated; later times are evaluated there.
pub const MAX_NORMALIZED_TIME: f64 = 1e300;
/// [`Form::Inverse`], when asked for explicitly, refuses `cond(W̄₀)` above this: the inverse
/// form's relative accuracy on the small eigenvalues is about `ε cond(W̄₀)`.
pub const INVERSE_FORM_FORCED_MAX_CONDITION: f64 = 1e10;

/// The instance in normalized units (see [`Trajectory`]'s docs): `Y' = Y/s`, `W'(0) = W(0)/s`
/// with `W'(0) = α' Ū₀' Ū₀'ᵀ`, `max|Ū₀'|` in `[1, 2)`, `t' = s t`; `s` a power of two. Shared
/// by the closed form and the ODE reference ([`crate::ode::solve`]).
#[derive(Debug, Clone)]
pub(crate) struct Normalized {
    /// `s`.
    pub(crate) scale: f64,
    /// `α'`.
    pub(crate) alpha: f64,
    /// `Ū₀'` (original basis).
    pub(crate) shape: Mat<f64>,
    /// `l / s`.
    pub(crate) l: Vec<f64>,
}

impl Normalized {
    /// Normalizes `(Y, α, Ū₀)`, refusing (with the reason) what f64 cannot carry.
    pub(crate) fn new(target: &Target, init: &Init) -> Result<Self, Error> {
        let n = target.n();
        // Normalization (see the type's docs): Ū₀' = Ū₀ / 2^e_c with max|Ū₀'| in [1, 2).
        let e_c = binary_scale::exponent(crate::target::max_abs(init.shape()));
        let shape = Mat::from_fn(n, init.shape().ncols(), |i, j| {
            binary_scale::scale_pow2(init.shape()[(i, j)], -e_c)
        });
        let log2_w0 = init.alpha().log2() + 2.0 * e_c as f64; // log₂(α max|Ū₀|²)
        let log2_y = if target.norm() > 0.0 {
            target.norm().log2()
        } else {
            f64::NEG_INFINITY
        };
        let log2_max = MAX_MAGNITUDE.log2();
        if log2_y > log2_max {
            return Err(Error::BadParameter {
                what: "y",
                why: format!(
                    "||y|| = {:e} exceeds {MAX_MAGNITUDE:e}: scale the instance down \
                         (W -> W/c, y -> y/c, alpha -> alpha/c, t -> c t leave the flow unchanged)",
                    target.norm()
                ),
            });
        }
        // λ_max(W(0)) ≤ α max|Ū₀|² · 4 n r (entries of Ū₀' are below 2).
        let log2_w0_bound = log2_w0 + (4.0 * (n * shape.ncols()) as f64).log2();
        if log2_w0_bound > log2_max {
            return Err(Error::BadParameter {
                what: "alpha",
                why: format!(
                    "W(0) = alpha u0 u0^T may reach about 10^{:.0}, beyond {MAX_MAGNITUDE:e}: \
                         use a smaller alpha or u0",
                    log2_w0_bound * std::f64::consts::LOG10_2
                ),
            });
        }
        let log2_top = log2_y.max(log2_w0);
        if log2_top < MIN_MAGNITUDE.log2() {
            return Err(Error::BadParameter {
                what: "alpha",
                why: format!(
                    "the instance's scale max(||y||, alpha max|u0|^2) = 10^{:.0} is below \
                     {MIN_MAGNITUDE:e}: W(t) would underflow; scale the instance up",
                    log2_top * std::f64::consts::LOG10_2
                ),
            });
        }
        let e_s = log2_top.floor() as i32;
        let scale = binary_scale::pow2(e_s);
        let relative = log2_w0 - e_s as f64; // log₂ α'
        if relative < MIN_RELATIVE_SCALE.log2() {
            return Err(Error::BadParameter {
                    what: "alpha",
                    why: format!(
                        "alpha max|u0|^2 / ||y|| = 10^{:.0} is below {MIN_RELATIVE_SCALE:e}: f64 cannot \
                         carry the flow over more than 300 decades (W(0) would underflow)",
                        relative * std::f64::consts::LOG10_2
                    ),
                });
        }
        let alpha = binary_scale::scale_pow2(init.alpha(), 2 * e_c - e_s);
        let l: Vec<f64> = target.eigenvalues().iter().map(|&li| li / scale).collect();
        Ok(Self {
            scale,
            alpha,
            shape,
            l,
        })
    }
}

/// Checks that f64 can carry the flow of `(Y, α, Ū₀)` (the limits in [`Trajectory`]'s docs),
/// for methods that do not build a [`Trajectory`] (gradient descent): the same reasons, the
/// same refusals.
pub fn check_representable(target: &Target, init: &Init) -> Result<(), Error> {
    Normalized::new(target, init).map(|_| ())
}

impl Trajectory {
    /// Prepares the time-independent work for `target` and `init` with the chosen route.
    pub fn new(target: &Target, init: &Init, form: Form) -> Result<Self, Error> {
        let n = target.n();
        if init.shape().nrows() != n {
            return Err(Error::DimensionMismatch {
                what: "the rows of the initialization shape u0",
                expected: n,
                found: init.shape().nrows(),
            });
        }
        let Normalized {
            scale,
            alpha,
            shape,
            l,
        } = Normalized::new(target, init)?;
        let shape_eig = target.to_eigenbasis(shape.as_ref());
        let (u, sigma) = reduced_svd(shape_eig.as_ref())?;
        let svd_rank = sigma.len();
        let condition = (sigma[0] / sigma[svd_rank - 1]).powi(2);
        let inverse_ok = target.is_psd() && svd_rank == n;
        let use_inverse = match form {
            Form::Inverse if !inverse_ok || condition > INVERSE_FORM_FORCED_MAX_CONDITION => {
                return Err(Error::BadParameter {
                    what: "form",
                    why: if inverse_ok {
                        format!(
                            "the inverse form loses about eps cond(W0bar) of relative accuracy; \
                             cond(W0bar) = {condition:e} exceeds {INVERSE_FORM_FORCED_MAX_CONDITION:e}"
                        )
                    } else {
                        format!(
                            "the inverse form needs a PSD target and W(0) of full rank {n} (rank {svd_rank}{})",
                            if target.is_psd() { "" } else { ", indefinite target" }
                        )
                    },
                });
            }
            Form::Inverse => true,
            Form::Factor => false,
            Form::Auto => inverse_ok && condition <= INVERSE_FORM_MAX_CONDITION,
        };
        let engine = if use_inverse {
            // P = U Σ⁻² Uᵀ, from the SVD of the shape (no explicit inverse of W̄₀).
            let scaled = Mat::from_fn(n, n, |i, j| u[(i, j)] / sigma[j]);
            Engine::Inverse {
                p: dense::scaled_gram(scaled.as_ref(), 1.0),
                phi_t: target.phi().transpose().to_owned(),
            }
        } else {
            let f = initial_factor(shape_eig.as_ref())?;
            let root = alpha.sqrt();
            let g0 = Mat::from_fn(n, f.ncols(), |i, j| root * f[(i, j)]);
            // Every direction of the factor must stand out of f64's range by itself: the
            // part of each column independent of the others (|R_kk| of a pivoted QR) at least
            // MIN_FACTOR_COLUMN. Below it the QR of the factor form works on subnormal numbers
            // and loses the direction (NaN or a zero pivot) instead of carrying it.
            let (r_g, _) = dense::col_piv_r(g0.as_ref());
            let smallest = (0..r_g.nrows().min(g0.ncols()))
                .map(|k| r_g[(k, k)].abs())
                .fold(f64::INFINITY, f64::min);
            if smallest.is_nan() || smallest < MIN_FACTOR_COLUMN {
                return Err(Error::BadParameter {
                    what: "u0",
                    why: format!(
                        "a direction of sqrt(alpha) u0 has size {smallest:e} relative to \
                         sqrt(max(||y||, alpha max|u0|^2)), below {MIN_FACTOR_COLUMN:e}: outside \
                         the range the factor form carries (f64 would lose it to underflow)"
                    ),
                });
            }
            let pos = l[0].max(0.0);
            let neg = (-l[n - 1]).max(0.0);
            let mut step = STEP_BUDGET_TIME;
            if pos > 0.0 {
                step = step.min(STEP_BUDGET_POSITIVE / pos);
            }
            if neg > 0.0 {
                step = step.min(STEP_BUDGET_NEGATIVE / neg);
            }
            Engine::Factor { g0, step }
        };
        let rank = match &engine {
            Engine::Factor { g0, .. } => g0.ncols(),
            Engine::Inverse { .. } => svd_rank,
        };
        Ok(Self {
            target: target.clone(),
            scale,
            l,
            alpha,
            rank,
            engine,
        })
    }

    /// The normalized time `s t` at which a user time `t` is evaluated (see the type's docs).
    fn normalized_time(&self, t: f64) -> f64 {
        (t * self.scale).min(MAX_NORMALIZED_TIME)
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The numerical rank of `W(0)` (the rank of the shape).
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The route in use ([`Form::Inverse`] or [`Form::Factor`]).
    pub fn form(&self) -> Form {
        match self.engine {
            Engine::Inverse { .. } => Form::Inverse,
            Engine::Factor { .. } => Form::Factor,
        }
    }

    /// Evaluates the requested outputs at each time (any order; returned in the given order).
    pub fn evaluate(&self, times: &[f64], want: Want) -> Result<Vec<Snapshot>, Error> {
        crate::error::check_times(times)?;
        match &self.engine {
            Engine::Inverse { p, phi_t } => times
                .par_iter()
                .map_init(
                    || InverseWorkspace::new(self.target.n()),
                    |ws, &t| self.inverse_snapshot(p.as_ref(), phi_t.as_ref(), ws, t, want),
                )
                .collect(),
            Engine::Factor { g0, step } => {
                let factors = self.factor_path(g0, *step, times)?;
                factors
                    .into_par_iter()
                    .zip(times.par_iter())
                    .map(|(g, &t)| self.factor_snapshot(g, t, want))
                    .collect()
            }
        }
    }

    /// `W(t)` in the original basis for each time.
    pub fn w(&self, times: &[f64]) -> Result<Vec<Mat<f64>>, Error> {
        let want = Want {
            w: true,
            ..Want::default()
        };
        Ok(self
            .evaluate(times, want)?
            .into_iter()
            .map(|s| s.w.expect("asked for"))
            .collect())
    }

    /// `W(t)` in the original basis for each time, written into `out[k]` for `times[k]`.
    ///
    /// Each `out[k]` that is not already `n × n` is replaced by one; when they all are, no
    /// output is allocated (only the inverse form's O(n²) scratch per worker thread), so a
    /// caller evaluating batch after batch (a sweep over times, a benchmark) reuses the same
    /// memory instead of allocating and first-touching fresh matrices every time (the
    /// performance report measures that cost, `phases/fresh-output-x101`). Errors if `out` and
    /// `times` differ in length.
    pub fn w_into(&self, times: &[f64], out: &mut [Mat<f64>]) -> Result<(), Error> {
        crate::error::check_times(times)?;
        if out.len() != times.len() {
            return Err(Error::DimensionMismatch {
                what: "the output matrices (one per time)",
                expected: times.len(),
                found: out.len(),
            });
        }
        let n = self.target.n();
        for w in out.iter_mut() {
            if w.nrows() != n || w.ncols() != n {
                *w = Mat::zeros(n, n);
            }
        }
        match &self.engine {
            Engine::Inverse { p, phi_t } => {
                times.par_iter().zip(out.par_iter_mut()).try_for_each_init(
                    || InverseWorkspace::new(n),
                    |ws, (&t, w)| {
                        self.inverse_inner(p.as_ref(), t, &mut ws.factor);
                        ws.factor_inner()?;
                        self.inverse_w_from_cholesky(
                            ws.factor.as_ref(),
                            phi_t.as_ref(),
                            &mut ws.rhs,
                            w.as_mut(),
                        );
                        Ok(())
                    },
                )
            }
            Engine::Factor { .. } => {
                for (w, fresh) in out.iter_mut().zip(self.w(times)?) {
                    *w = fresh;
                }
                Ok(())
            }
        }
    }

    /// `W̃(t) = Φᵀ W(t) Φ` for each time.
    pub fn w_eigenbasis(&self, times: &[f64]) -> Result<Vec<Mat<f64>>, Error> {
        let want = Want {
            w_eigenbasis: true,
            ..Want::default()
        };
        Ok(self
            .evaluate(times, want)?
            .into_iter()
            .map(|s| s.w_eigenbasis.expect("asked for"))
            .collect())
    }

    /// Eigenbasis factors `G`, `W̃(t) = G Gᵀ`, for each time.
    pub fn factors(&self, times: &[f64]) -> Result<Vec<Mat<f64>>, Error> {
        let want = Want {
            factor: true,
            ..Want::default()
        };
        Ok(self
            .evaluate(times, want)?
            .into_iter()
            .map(|s| s.factor.expect("asked for"))
            .collect())
    }

    /// Eigenvalues of `W(t)` (descending) for each time.
    pub fn eigenvalues(&self, times: &[f64]) -> Result<Vec<Vec<f64>>, Error> {
        let want = Want {
            eigenvalues: true,
            ..Want::default()
        };
        Ok(self
            .evaluate(times, want)?
            .into_iter()
            .map(|s| s.eigenvalues.expect("asked for"))
            .collect())
    }

    /// Inverse form at one time: `inner = E P E + α D = L Lᵀ`, `W̃ = α L⁻ᵀ L⁻¹`.
    ///
    /// `W` in the original basis is `α Z Zᵀ` with `Zᵀ = L⁻¹ Φᵀ`: a Cholesky (`n³/3` flops), one
    /// triangular solve with `n` right-hand sides (`n³`) and a half Gram (`n³`). All scratch
    /// lives in `ws`, reused from one time point to the next by the same worker; the only
    /// allocation is the output.
    ///
    /// The eigenvalues are `α / σᵢ(L)²`, with the singular values of the row-graded `L` from
    /// one-sided Jacobi (see [`crate::jacobi`]): every one of them to high relative accuracy,
    /// from `α`-level to `‖Y‖` (a symmetric eigensolver on `W̃` or on the inner matrix resolves
    /// each only to `n ε` times the largest).
    fn inverse_snapshot(
        &self,
        p: MatRef<'_, f64>,
        phi_t: MatRef<'_, f64>,
        ws: &mut InverseWorkspace,
        t: f64,
        want: Want,
    ) -> Result<Snapshot, Error> {
        let n = self.target.n();
        self.inverse_inner(p, t, &mut ws.factor);
        let mut snap = Snapshot::empty(t);
        ws.factor_inner()?;
        let chol = ws.factor.as_ref();
        if want.eigenvalues {
            let lower = Mat::from_fn(n, n, |i, j| if j <= i { chol[(i, j)] } else { 0.0 });
            let sv = crate::jacobi::singular_values_graded(lower.as_ref())?;
            let root = self.alpha.sqrt();
            snap.eigenvalues = Some(
                sv.iter()
                    .rev()
                    .map(|&sigma| (root / sigma).powi(2) * self.scale)
                    .collect(),
            );
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
    fn inverse_inner(&self, p: MatRef<'_, f64>, t: f64, dst: &mut Mat<f64>) {
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
    fn inverse_w_from_cholesky(
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

    /// Outputs at one time from the factor form's `W̃' = Q C Cᵀ Qᵀ` (normalized units).
    fn factor_snapshot(&self, step: StepFactor, t: f64, want: Want) -> Result<Snapshot, Error> {
        let n = self.target.n();
        let mut snap = Snapshot::empty(t);
        if want.eigenvalues {
            // σ(Q C) = σ(C): Q has orthonormal columns; C = Δ L̂⁻ᵀ is row-graded.
            let sv = crate::jacobi::singular_values_graded(step.c.as_ref())?;
            let mut eig: Vec<f64> = sv.iter().map(|s| s * s * self.scale).collect();
            eig.resize(n, 0.0);
            snap.eigenvalues = Some(eig);
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
    fn factor_path(
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
struct StepFactor {
    q: Mat<f64>,
    c: Mat<f64>,
}

impl StepFactor {
    fn factor(&self) -> Mat<f64> {
        &self.q * &self.c
    }
}

/// Per-worker scratch of the inverse form, reused from one time point to the next.
///
/// Profiled at n = 256 (`perf record`, 101 times): allocating and first-touching four fresh
/// n × n matrices and a Cholesky scratch per time point took about a fifth of the time in page
/// faults and copies; with this workspace the output `W` is the only allocation per time.
struct InverseWorkspace {
    /// `E P E + α D`, then overwritten by its Cholesky factor `L` (lower triangle; the strict
    /// upper one is faer's scratch, never read).
    factor: Mat<f64>,
    /// The right-hand side of the triangular solves: `Φᵀ` then `L⁻¹ Φᵀ`, or `L⁻¹`.
    rhs: Mat<f64>,
    /// Scratch of the Cholesky and the triangular solves.
    stack: MemBuffer,
}

impl InverseWorkspace {
    fn new(n: usize) -> Self {
        Self {
            factor: Mat::zeros(n, n),
            rhs: Mat::zeros(n, n),
            stack: MemBuffer::new(dense::cholesky_scratch(n)),
        }
    }

    /// Overwrites the inner matrix `E P E + α D` in `factor` with its Cholesky factor `L`.
    fn factor_inner(&mut self) -> Result<(), Error> {
        dense::cholesky_lower_in_place(
            self.factor.as_mut(),
            MemStack::new(&mut self.stack),
            "E P E + alpha D",
        )
    }
}

impl Snapshot {
    fn empty(t: f64) -> Self {
        Self {
            t,
            w: None,
            w_eigenbasis: None,
            factor: None,
            eigenvalues: None,
        }
    }
}

/// `dᵢ(t) = −expm1(−2 lᵢ t)/lᵢ` (`= 2t` when `lᵢ = 0`): the diagonal of `D(t)`, ≥ 0 always.
pub fn d_coefficient(l: f64, t: f64) -> f64 {
    if l == 0.0 {
        2.0 * t
    } else {
        -(-2.0 * l * t).exp_m1() / l
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
    let x = Mat::from_fn(n, m, |i, j| (l[i] * tau).exp() * g[(i, j)]);
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
        let reduced = crate::init::row_preserving_factor_of_rank(x_sorted.as_ref(), kept)?;
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
    let qd = Mat::from_fn(n, m, |i, j| d_coefficient(l[i], tau).sqrt() * q[(i, j)]);
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

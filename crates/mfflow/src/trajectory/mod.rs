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
//! The code is laid out by route: [`inverse`] (the inverse form and its workspace),
//! [`factor`] (the Woodbury/QR steps, checkpoints and fast-forward) and [`eigenvalues`] (the
//! eigenvalues of `W(t)` to relative accuracy from either route's graded factor).
//!
//! Work that does not depend on `t` (the eigendecomposition of `Y`, the SVD of the shape, `P`)
//! is done once in [`Trajectory::new`]. Time points are evaluated in parallel with rayon; each
//! one runs sequential kernels, so results do not depend on the thread count. The inverse form
//! keeps its scratch per worker thread (memory O(n²) per thread beyond the output, whatever the

mod eigenvalues;
mod factor;
mod inverse;

use crate::binary_scale;
use crate::dense;
use crate::error::Error;
use crate::init::{initial_factor, Init};
use crate::target::Target;
use factor::{STEP_BUDGET_NEGATIVE, STEP_BUDGET_POSITIVE, STEP_BUDGET_TIME};
use faer::Mat;
use inverse::InverseWorkspace;
use rayon::prelude::*;

/// The inverse form's measured error law: `max_t ‖W_inverse(t) − W(t)‖_max ≤ (16 + C cond(W̄₀)) ε ‖Y‖`
/// with `C` this constant.
///
/// Why `cond(W̄₀)`: the inverse form carries `P = W̄₀⁻¹`, whose small eigenvalues (the large
/// directions of `W(0)`) come out of any f64 inversion with absolute error `ε ‖P‖ = ε / λ_min(W̄₀)`;
/// at a transition, where learned and unlearned parts of `W` are comparable, that error reaches
/// `W` relative to `ε cond(W̄₀)` times a factor that the tests measure (largest seen: 2.3e-3, a
/// Gaussian 256 × 256 shape; 1e-4..2e-3 on Gaussian and graded shapes with n = 24..128). The factor
/// form never inverts `W̄₀` and stays within a few ε (checked against a 60-digit reference).
/// `trajectory::inverse`'s tests check the law on shapes with cond(W̄₀) up to 1e8.
pub const INVERSE_FORM_ERROR_CONSTANT: f64 = 4e-3;
/// The accuracy [`Form::Auto`] keeps on `W`, relative to `‖Y‖`: it uses the inverse form only
/// when the error law above predicts at most this, i.e. `cond(W̄₀) ≤ 1.1e6`; otherwise the
/// factor form.
pub const AUTO_TOLERANCE: f64 = 1e-12;

/// Whether the inverse form's predicted error (see [`INVERSE_FORM_ERROR_CONSTANT`]) at
/// `cond(W̄₀) = condition` is within [`AUTO_TOLERANCE`].
pub fn inverse_form_accurate(condition: f64) -> bool {
    (16.0 + INVERSE_FORM_ERROR_CONSTANT * condition) * f64::EPSILON <= AUTO_TOLERANCE
}

/// Which evaluation route to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The inverse form when it applies (PSD target, full-rank `W(0)`) and its error law keeps
    /// `W` within [`AUTO_TOLERANCE`] of the exact flow (see [`inverse_form_accurate`]),
    /// otherwise the factor form.
    Auto,
    /// `α W̃⁻¹ = E P E + α D`; requires a PSD target and a full-rank `W(0)`.
    Inverse,
    /// The any-rank Woodbury/QR form with checkpoints.
    Factor,
}

/// What to compute at each time point (anything not asked for is not computed: the
/// eigenvalues alone skip the triangular solve and the Gram that `W` costs, `W` alone skips the
/// eigenvalue kernel).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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

/// The requested outputs at every time point, one sequence per quantity: a sequence holds one
/// entry per time (in the order of `times`) when its quantity was asked for in [`Want`], and
/// is empty otherwise. Nothing to unwrap; the single-quantity evaluators
/// ([`Trajectory::w`], [`Trajectory::eigenvalues`], …) return the sequence directly.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// The times, as given.
    pub times: Vec<f64>,
    /// `W(t)` in the original basis.
    pub w: Vec<Mat<f64>>,
    /// `W̃(t)` in the eigenbasis of `Y`.
    pub w_eigenbasis: Vec<Mat<f64>>,
    /// Eigenbasis factors `G(t)`, `W̃(t) = G Gᵀ` (n × rank).
    pub factors: Vec<Mat<f64>>,
    /// Eigenvalues of `W(t)`, descending, every one to relative accuracy.
    pub eigenvalues: Vec<Vec<f64>>,
}

/// `W(t)` (original basis) and its eigenvalues (descending), one entry per time.
pub type WAndEigenvalues = (Vec<Mat<f64>>, Vec<Vec<f64>>);

/// The outputs at one time point, as the two routes produce them (gathered into an
/// [`Evaluation`]).
#[derive(Debug, Default)]
struct Point {
    w: Option<Mat<f64>>,
    w_eigenbasis: Option<Mat<f64>>,
    factor: Option<Mat<f64>>,
    eigenvalues: Option<Vec<f64>>,
}

impl Evaluation {
    fn gather(times: &[f64], points: Vec<Point>) -> Self {
        let mut out = Self {
            times: times.to_vec(),
            ..Self::default()
        };
        for p in points {
            out.w.extend(p.w);
            out.w_eigenbasis.extend(p.w_eigenbasis);
            out.factors.extend(p.factor);
            out.eigenvalues.extend(p.eigenvalues);
        }
        out
    }
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
        let (u, sigma) = dense::reduced_svd(shape_eig.as_ref())?;
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
            Form::Auto => inverse_ok && inverse_form_accurate(condition),
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
    pub fn evaluate(&self, times: &[f64], want: Want) -> Result<Evaluation, Error> {
        crate::error::check_times(times)?;
        let points: Vec<Point> = match &self.engine {
            Engine::Inverse { p, phi_t } => times
                .par_iter()
                .map_init(
                    || InverseWorkspace::new(self.target.n()),
                    |ws, &t| self.inverse_point(p.as_ref(), phi_t.as_ref(), ws, t, want),
                )
                .collect::<Result<_, _>>()?,
            Engine::Factor { g0, step } => self
                .factor_path(g0, *step, times)?
                .into_par_iter()
                .map(|g| self.factor_point(g, want))
                .collect::<Result<_, _>>()?,
        };
        Ok(Evaluation::gather(times, points))
    }

    /// `W(t)` in the original basis for each time.
    pub fn w(&self, times: &[f64]) -> Result<Vec<Mat<f64>>, Error> {
        let want = Want {
            w: true,
            ..Want::default()
        };
        Ok(self.evaluate(times, want)?.w)
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
        Ok(self.evaluate(times, want)?.w_eigenbasis)
    }

    /// Eigenbasis factors `G`, `W̃(t) = G Gᵀ`, for each time.
    pub fn factors(&self, times: &[f64]) -> Result<Vec<Mat<f64>>, Error> {
        let want = Want {
            factor: true,
            ..Want::default()
        };
        Ok(self.evaluate(times, want)?.factors)
    }

    /// Eigenvalues of `W(t)` (descending) for each time.
    pub fn eigenvalues(&self, times: &[f64]) -> Result<Vec<Vec<f64>>, Error> {
        let want = Want {
            eigenvalues: true,
            ..Want::default()
        };
        Ok(self.evaluate(times, want)?.eigenvalues)
    }

    /// `W(t)` and its eigenvalues (descending) for each time, in one pass (the route's factor
    /// is computed once per time for both).
    pub fn w_and_eigenvalues(&self, times: &[f64]) -> Result<WAndEigenvalues, Error> {
        let want = Want {
            w: true,
            eigenvalues: true,
            ..Want::default()
        };
        let out = self.evaluate(times, want)?;
        Ok((out.w, out.eigenvalues))
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

//! Exact gradient-flow trajectories of overparameterized symmetric matrix factorization.
//!
//! Min & Vidal (2025) study gradient flow on the loss `L(U) = 1/4 ‖Y − U Uᵀ‖²_F` (1),
//!
//! ```text
//! dU/dt = (Y − U Uᵀ) U,            U(0) = √α · Ū₀                       (2)
//! dW/dt = W Y + Y W − 2 W²,        W = U Uᵀ,  W(0) = α · Ū₀ Ū₀ᵀ          (3)
//! ```
//!
//! and give the closed-form solution (5). Evaluated as printed, (5) is numerically useless
//! (its inner matrix has condition number about `e^{2 l₁ t}/α`); this crate evaluates it through
//! two stable routes (see [`trajectory`]) that stay finite and accurate for any rank of `Ū₀`,
//! `α` down to 1e-300, arbitrarily long times and indefinite targets.
//!
//! Modules, one idea each:
//! - [`target`]: the symmetric target `Y = Φ diag(l) Φᵀ`, eigen-decomposed once.
//! - [`init`]: the initialization `(α, Ū₀)` and its reduced factor in the eigenbasis.
//! - [`trajectory`]: the exact trajectory `W(t)` for a batch of times (Proposition 1).
//! - [`spectral`]: the scalar formulas (12)–(13) for spectral initializations (Corollary 2).
//! - [`asymmetric`]: `1/2 ‖Y − U Vᵀ‖²`, exact for balanced starts through the symmetric closed form.
//! - [`ode`], [`gd`]: independent references — an adaptive integrator of (2) and gradient descent.
//! - [`metrics`]: eigenvalues of `W(t)`, best rank-k approximations, spectral-norm errors.
//! - [`analysis`]: crossing times, distances to `Ŷ_k` and ε-windows along a whole trajectory.
//! - [`theorems`]: Theorems 3 and 4 (incremental learning), their constants and intervals.
//! - [`depth`]: depth-L factorization `W = W_L ⋯ W_1`: the balanced spectral flow in closed form,
//!   the factor system integrated, and gradient descent.
//! - [`rank_deficient_bound`]: Proposition R, a proved window for any rank of `Ū₀` (`r < n` too).
//!
//! The library does no I/O; the `mfflow` binary and the experiments do.
//!
//! ```
//! use mfflow::{Form, Init, Mat, Target, Trajectory};
//!
//! // Y = diag(3, 1) in a rotated basis, U(0) = √α Ū₀ with α = 1e-8.
//! let (c, s) = (0.8, 0.6);
//! let y = Mat::from_fn(2, 2, |i, j| {
//!     let phi = [[c, -s], [s, c]];
//!     3.0 * phi[i][0] * phi[j][0] + 1.0 * phi[i][1] * phi[j][1]
//! });
//! let shape = Mat::from_fn(2, 3, |i, j| [[1.0, 0.3, -0.5], [0.2, -0.7, 0.4]][i][j]);
//! let target = Target::new(y.as_ref())?;
//! let init = Init::new(1e-8, shape.as_ref())?;
//! let traj = Trajectory::new(&target, &init, Form::Auto)?;
//!
//! let times = [0.0, 4.0, 40.0];
//! let w = traj.w(&times)?; // W(t) = U(t) U(t)ᵀ in the original basis, one n × n per time
//! let eigenvalues = traj.eigenvalues(&times)?; // descending, accurate from α to ‖Y‖
//! assert!((eigenvalues[2][0] - 3.0).abs() < 1e-12 && (eigenvalues[2][1] - 1.0).abs() < 1e-12);
//! assert!((w[2][(0, 1)] - y[(0, 1)]).abs() < 1e-12); // W(t) → Y (rank 2 = n)
//!
//! // The same numbers into matrices the caller owns: once they are n × n, no output is allocated.
//! let mut out = vec![Mat::zeros(0, 0); times.len()];
//! traj.w_into(&times, &mut out)?;
//! assert_eq!(out[1], w[1]);
//! # Ok::<(), mfflow::Error>(())
//! ```

pub mod analysis;
pub mod asymmetric;
mod binary_scale;
mod dense;
pub mod depth;
pub mod error;
pub mod gd;
pub mod init;
mod jacobi;
pub mod metrics;
pub mod ode;
pub mod printed;
pub mod rank_deficient_bound;
pub mod spectral;
pub mod target;
pub mod theorems;
pub mod trajectory;

pub use error::Error;
pub use faer::{Mat, MatRef};
pub use init::Init;
pub use target::Target;
pub use trajectory::{Form, Trajectory};

//! Deep factorization `W = W_L ⋯ W₁`, loss `1/2 ‖Y − W‖²_F` (the talk's Figure 2; Arora, Cohen,
//! Hu & Luo 2019): the exact scalar flow of balanced spectral starts, and an integrator and
//! gradient descent for the full factor system from any start.
//!
//! Gradient flow on the factors (all `n × n` here, hidden width `n`) is
//!
//! ```text
//! dW_j/dt = (W_L ⋯ W_{j+1})ᵀ (Y − W) (W_{j−1} ⋯ W₁)ᵀ,    j = 1..L.
//! ```
//!
//! **Balanced spectral starts.** With `Y = U diag(s) Vᵀ`, orthogonal `Q₂..Q_L` and
//! `W_j(0) = Q_{j+1} diag(σ(0)^{1/L}) Q_jᵀ` (`Q₁ = V`, `Q_{L+1} = U`), the factors stay of that
//! form and each end-to-end singular value follows the scalar flow
//!
//! ```text
//! σ' = L σ^{2 − 2/L} (s − σ)                                              (D1)
//! ```
//!
//! (`L = 2` is the paper's logistic (12), `σ' = 2σ(s − σ)`). Writing `σ = s u^L` (`u` the
//! normalized singular value of one factor), `u' = s^{2−2/L} u^{L−1} (1 − u^L)`, and the time
//! to go from `σ₀` to `σ` is
//!
//! ```text
//! t(σ) = s^{−(2−2/L)} [F(u) − F(u₀)],  F(v) = ∫ dv / (v^{L−1} (1 − v^L))
//!      = s^{−(2−2/L)} [ (u₀^{−(L−2)} − u^{−(L−2)}) / (L − 2) + G(u) − G(u₀) ]   (L ≥ 3)
//!      = (1 / 2s) log( σ (s − σ₀) / (σ₀ (s − σ)) )                               (L = 2)
//! G(v) = ∫₀^v w / (1 − w^L) dw = −(1/L) Σ_k ω_k² log(1 − v ω̄_k),   ω_k = e^{2πik/L},  (D2)
//! ```
//!
//! from the partial fractions `1/(v^{L−1}(1 − v^L)) = v^{−(L−1)} + v/(1 − v^L)`. So (D1) has a
//! closed form for every integer depth ([`time_to_reach`]); it is evaluated without
//! cancellation (a series for `G` at small `v`, `1 − v` from `s − σ`, the difference of the
//! power terms through `expm1`), and inverted by a safeguarded Newton iteration on the logit
//! `z = log(σ / (s − σ))` ([`sigma_at`]). For a real depth `L ≥ 2` (and as an independent
//! check of (D2)) [`time_to_reach_quadrature`] integrates
//! `t = s^{−(2−2/L)}/L ∫ (1 + e^{−z})^{1−2/L} dz` over the logit: the substitution removes both
//! endpoint singularities of `dσ / (σ^{2−2/L}(s − σ))` and leaves an integrand analytic in the
//! strip `|Im z| < π` that changes by at most a factor `e` per unit of `z`, which composite
//! 16-point Gauss–Legendre on unit panels integrates to rounding (Bernstein ellipse
//! `ρ ≈ 12.6`, error `ρ^{−32}`). The rule is written here (30 lines, nodes by Newton on
//! `P₁₆`, checked in the tests) rather than taken from a quadrature crate so that the core
//! keeps faer as its only numerical dependency.
//!
//! For small `σ₀ = α`, `t(s/2) ≈ α^{−(1−2/L)} / ((L − 2) s^{2−2/L})` for `L ≥ 3` (a power
//! law in `α`) against `log(1/α)/(2s)` for `L = 2` ([`first_order_learning_time`]).
//!
//! **General starts.** [`integrate_factors`] integrates the factor system with the core's
//! adaptive Dormand–Prince 5(4) ([`crate::ode::integrate`]) in the singular basis of `Y`,
//! where each row of `Uᵀ W_L` and each column of `W₁ V` belongs to one direction of `Y`, so an
//! α-level direction is not a rounding-level part of a learned entry there; [`gradient_descent`]
//! is the discrete reference.

use crate::error::{check_finite, check_times, Error};
use crate::ode::{integrate, OdeOptions, OdeStats};
use faer::{Mat, MatRef};

fn bad(what: &'static str, why: impl Into<String>) -> Error {
    Error::BadParameter {
        what,
        why: why.into(),
    }
}

/// The right-hand side of (D1), `L σ^{2−2/L} (s − σ)`, for a real depth `L ≥ 2`.
pub fn rate(depth: f64, s: f64, sigma: f64) -> f64 {
    depth * sigma.powf(2.0 - 2.0 / depth) * (s - sigma)
}

/// A point of the scalar flow, carried as `x = σ/s`, `log x` and `log(1 − x)` so that both ends
/// (`σ` at α level, `σ` within rounding of `s`) keep their relative accuracy.
#[derive(Debug, Clone, Copy)]
struct Point {
    /// `σ/s`.
    x: f64,
    /// `log(σ/s)`.
    ln_x: f64,
    /// `log(1 − σ/s)`.
    ln_1mx: f64,
}

impl Point {
    fn from_sigma(s: f64, sigma: f64) -> Self {
        let x = sigma / s;
        Self {
            x,
            ln_x: x.ln(),
            // s − σ is exact when σ ≥ s/2 (Sterbenz); below, 1 − σ/s has no cancellation.
            ln_1mx: if sigma >= 0.5 * s {
                ((s - sigma) / s).ln()
            } else {
                (-x).ln_1p()
            },
        }
    }

    fn logit(self) -> f64 {
        self.ln_x - self.ln_1mx
    }

    /// The point whose logit is `w` beyond this one's, with `log(σ/σ₀)`:
    /// `σ/σ₀ = e^w / (1 + x₀ expm1(w))` exactly, so `σ` keeps the relative accuracy of `w`
    /// even when both logits are large (`σ₀ = 1e-300`).
    fn advanced(self, w: f64) -> (Self, f64) {
        let z = self.logit() + w;
        let d = if w <= 30.0 {
            w - (self.x * w.exp_m1()).ln_1p()
        } else {
            // No cancellation left: σ/σ₀ > e^{30} unless σ₀ is already within e^{-30} of s,
            // where both softplus terms are tiny and their difference is accurate.
            softplus(-self.logit()) - softplus(-z)
        };
        let ln_x = self.ln_x + d;
        (
            Self {
                x: ln_x.exp(),
                ln_x,
                ln_1mx: -softplus(z),
            },
            d,
        )
    }
}

/// `log(1 + e^x)` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// `G(v) = ∫₀^v w/(1 − w^L) dw` of (D2) for `0 ≤ v < 1`, with `ln_1mvl = log(1 − v^L)` given
/// accurately by the caller (it carries the accuracy near `v = 1`).
fn g(depth: usize, v: f64, ln_1mvl: f64) -> f64 {
    let l = depth as f64;
    if v <= 0.5 {
        // Σ_m v^{mL+2}/(mL+2): ratio v^L ≤ 1/4, so 40 terms are below rounding.
        let vl = v.powi(depth as i32);
        let mut term = v * v;
        let mut sum = 0.0;
        for m in 0..60 {
            let add = term / (m as f64 * l + 2.0);
            sum += add;
            if add <= 1e-18 * sum {
                break;
            }
            term *= vl;
        }
        return sum;
    }
    // 1 − v = (1 − v^L)/(1 + v + … + v^{L−1}).
    let geometric: f64 = (0..depth).map(|j| v.powi(j as i32)).sum();
    let ln_1mv = ln_1mvl - geometric.ln();
    let mut sum = ln_1mv;
    if depth.is_multiple_of(2) {
        sum += v.ln_1p();
    }
    let one_minus_v = ln_1mv.exp();
    for k in 1..depth.div_ceil(2) {
        let theta = 2.0 * std::f64::consts::PI * k as f64 / l;
        let half = (0.5 * theta).sin();
        let versine = 2.0 * half * half; // 1 − cos θ without cancellation
                                         // |1 − v e^{−iθ}|² = (1 − v)² + 2 v (1 − cos θ); its real part (1 − v) + v (1 − cos θ).
        let modulus2 = one_minus_v * one_minus_v + 2.0 * v * versine;
        let real = one_minus_v + v * versine;
        let arg = (v * theta.sin()).atan2(real);
        sum += (2.0 * theta).cos() * modulus2.ln() - 2.0 * (2.0 * theta).sin() * arg;
    }
    -sum / l
}

/// `t(σ) − t(σ₀)` in units of `s^{−(2−2/L)}`, from two points of the flow and
/// `d = log(σ/σ₀)` (given separately: as a difference of `log x` it would lose `ε |log x₀|`).
fn scaled_time(depth: usize, p0: Point, p: Point, d: f64) -> f64 {
    let l = depth as f64;
    let (u0, u) = (p0.x.powf(1.0 / l), p.x.powf(1.0 / l));
    let (g0, g1) = (g(depth, u0, p0.ln_1mx), g(depth, u, p.ln_1mx));
    let power = if depth == 2 {
        // ln(u/u₀)
        d / l
    } else {
        let m = l - 2.0;
        // (u₀^{−m} − u^{−m})/m = u₀^{−m} (1 − (u₀/u)^m)/m.
        p0.x.powf(-m / l) * -(-m * d / l).exp_m1() / m
    };
    power + (g1 - g0)
}

fn check_depth(depth: usize) -> Result<(), Error> {
    if depth < 2 {
        return Err(bad("depth", format!("must be at least 2, got {depth}")));
    }
    Ok(())
}

fn check_start(s: f64, sigma0: f64) -> Result<(), Error> {
    if !(s.is_finite() && s > 0.0) {
        return Err(bad("s", format!("must be finite and > 0, got {s}")));
    }
    if !(sigma0 > 0.0 && sigma0 < s) {
        return Err(bad(
            "sigma0",
            format!("must be in (0, s) = (0, {s}), got {sigma0}"),
        ));
    }
    Ok(())
}

/// The time at which the solution of (D1) from `σ(0) = sigma0` reaches `sigma`, by the closed
/// form (D2), for an integer `depth ≥ 2`, `s > 0`, `0 < sigma0 ≤ sigma ≤ s` (`+∞` at
/// `sigma = s`). Accurate to about `ε (1 + |log(σ₀/s)|)` relative: the powers `x^{1/L}` and
/// `x^{−(1−2/L)}` of a rounded `x` carry `ε |log x|` (measured against the quadrature in the
/// tests).
pub fn time_to_reach(depth: usize, s: f64, sigma0: f64, sigma: f64) -> Result<f64, Error> {
    check_depth(depth)?;
    check_start(s, sigma0)?;
    if !(sigma >= sigma0 && sigma <= s) {
        return Err(bad(
            "sigma",
            format!("must be in [sigma0, s] = [{sigma0}, {s}], got {sigma}"),
        ));
    }
    if sigma == s {
        return Ok(f64::INFINITY);
    }
    let (p0, p) = (Point::from_sigma(s, sigma0), Point::from_sigma(s, sigma));
    let d = ((sigma - sigma0) / sigma0).ln_1p();
    // t ≥ 0 exactly; a rounding-level negative value right at σ₀ is clamped.
    let scaled = scaled_time(depth, p0, p, d).max(0.0);
    Ok(scaled * s.powf(-(2.0 - 2.0 / depth as f64)))
}

/// `σ(t)` of (D1) from `σ(0) = sigma0`: the inverse of [`time_to_reach`], by Newton's method
/// on the logit `z = log(σ/(s − σ))` (where `t(z)` is smooth, increasing and nearly linear once
/// `σ` is learned), safeguarded by bisection on a bracket.
pub fn sigma_at(depth: usize, s: f64, sigma0: f64, t: f64) -> Result<f64, Error> {
    check_depth(depth)?;
    check_start(s, sigma0)?;
    if !(t.is_finite() && t >= 0.0) {
        return Err(Error::BadTime(t));
    }
    let l = depth as f64;
    let p = 2.0 - 2.0 / l;
    let target = t * s.powf(p); // in units of s^{−p}
    let p0 = Point::from_sigma(s, sigma0);
    // Unknown: w = z − z₀ ≥ 0, the logit travelled since the start.
    let f = |w: f64| {
        let (p, d) = p0.advanced(w);
        scaled_time(depth, p0, p, d) - target
    };
    // d t/dw (scaled) = σ^{1−p} s^{p−1} / L = (σ/s)^{1−p} / L.
    let slope = |w: f64| ((1.0 - p) * p0.advanced(w).0.ln_x).exp() / l;
    if target == 0.0 {
        return Ok(sigma0);
    }
    // Bracket [lo, hi] with f(lo) ≤ 0 < f(hi), by doubling.
    let (mut lo, mut hi) = (0.0, 1.0);
    while f(hi) <= 0.0 {
        lo = hi;
        hi *= 2.0;
        if p0.logit() + hi > 1600.0 {
            // 1 − σ/s < e^{−800}: σ = s to the last bit.
            return Ok(s);
        }
    }
    let mut w = 0.5 * (lo + hi);
    for _ in 0..200 {
        let fw = f(w);
        if fw == 0.0 {
            break;
        }
        if fw < 0.0 {
            lo = w;
        } else {
            hi = w;
        }
        let newton = w - fw / slope(w);
        let next = if newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        let step = (next - w).abs();
        w = next;
        if step <= f64::EPSILON * w || hi - lo <= 2.0 * f64::EPSILON * w {
            break;
        }
    }
    let (_, d) = p0.advanced(w);
    Ok((sigma0 * d.exp()).min(s))
}

/// The small-α asymptote of the half-time `t(s/2)` from `σ₀ = alpha`:
/// `log(1/α)/(2s)` for `L = 2` and `α^{−(1−2/L)} / ((L−2) s^{2−2/L})` for `L ≥ 3` (the
/// leading term of (D2) as `u₀ → 0`; the remainder is `O(1) s^{−(2−2/L)}`).
pub fn first_order_learning_time(depth: usize, s: f64, alpha: f64) -> f64 {
    let l = depth as f64;
    if depth == 2 {
        (1.0 / alpha).ln() / (2.0 * s)
    } else {
        (alpha / s).powf(-(1.0 - 2.0 / l)) / ((l - 2.0) * s.powf(2.0 - 2.0 / l))
    }
}

/// Nodes and weights of the 16-point Gauss–Legendre rule on `[−1, 1]` (Newton on `P₁₆`).
fn gauss_legendre_16() -> ([f64; 16], [f64; 16]) {
    const N: usize = 16;
    let (mut x, mut w) = ([0.0; N], [0.0; N]);
    for i in 0..N / 2 {
        // Tricomi's initial guess, then Newton.
        let mut z = (std::f64::consts::PI * (i as f64 + 0.75) / (N as f64 + 0.5)).cos();
        let mut dp = 0.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, z);
            for k in 2..=N {
                let p2 = ((2 * k - 1) as f64 * z * p1 - (k - 1) as f64 * p0) / k as f64;
                p0 = p1;
                p1 = p2;
            }
            dp = N as f64 * (z * p1 - p0) / (z * z - 1.0);
            let dz = p1 / dp;
            z -= dz;
            if dz.abs() <= 1e-17 {
                break;
            }
        }
        x[i] = -z;
        x[N - 1 - i] = z;
        let wi = 2.0 / ((1.0 - z * z) * dp * dp);
        w[i] = wi;
        w[N - 1 - i] = wi;
    }
    (x, w)
}

/// [`time_to_reach`] by quadrature, for a real `depth ≥ 2`:
/// `t = s^{−p}/L ∫_{z₀}^{z} (1 + e^{−ζ})^{p−1} dζ` over the logit, `p = 2 − 2/L`, by composite
/// 16-point Gauss–Legendre on panels of width at most one, summed with compensation (every
/// term is positive); accurate to about `ε (1 + |log(σ₀/s)|)` relative, like [`time_to_reach`]
/// (each term is an exponential of an argument up to `|log(σ₀/s)|`).
pub fn time_to_reach_quadrature(depth: f64, s: f64, sigma0: f64, sigma: f64) -> Result<f64, Error> {
    if !(depth.is_finite() && depth >= 2.0) {
        return Err(bad(
            "depth",
            format!("must be finite and >= 2, got {depth}"),
        ));
    }
    check_start(s, sigma0)?;
    if !(sigma >= sigma0 && sigma <= s) {
        return Err(bad(
            "sigma",
            format!("must be in [sigma0, s] = [{sigma0}, {s}], got {sigma}"),
        ));
    }
    if sigma == s {
        return Ok(f64::INFINITY);
    }
    let p = 2.0 - 2.0 / depth;
    let (p0, p1) = (Point::from_sigma(s, sigma0), Point::from_sigma(s, sigma));
    let z0 = p0.logit();
    // z₁ − z₀ = log(σ/σ₀) − log((s − σ)/(s − σ₀)), without the cancellation of two large logits.
    let span = (((sigma - sigma0) / sigma0).ln_1p() - (p1.ln_1mx - p0.ln_1mx)).max(0.0);
    let (x, w) = gauss_legendre_16();
    let integrand = |z: f64| ((p - 1.0) * softplus(-z)).exp();
    let panels = span.ceil().max(1.0) as usize;
    let h = span / panels as f64;
    let (mut sum, mut carry) = (0.0f64, 0.0f64);
    for k in 0..panels {
        let mid = z0 + (k as f64 + 0.5) * h;
        for (xi, wi) in x.iter().zip(&w) {
            let term = 0.5 * h * wi * integrand(mid + 0.5 * h * xi);
            // Neumaier summation.
            let next = sum + term;
            carry += if sum.abs() >= term.abs() {
                (sum - next) + term
            } else {
                (term - next) + sum
            };
            sum = next;
        }
    }
    Ok((sum + carry) / depth * s.powf(-p))
}

/// The factors `W₁, …, W_L` of one point of the flow.
pub type Factors = Vec<Mat<f64>>;

/// The end-to-end product `W_L ⋯ W₁` of factors given in the order `W₁, …, W_L`.
pub fn end_to_end(factors: &[Mat<f64>]) -> Mat<f64> {
    let mut w = factors[0].clone();
    for f in &factors[1..] {
        w = f * &w;
    }
    w
}

/// The flow's velocity of every factor, `(W_L ⋯ W_{j+1})ᵀ (Y − W) (W_{j−1} ⋯ W₁)ᵀ`.
pub fn factor_velocities(y: MatRef<'_, f64>, factors: &[Mat<f64>]) -> Vec<Mat<f64>> {
    let l = factors.len();
    let n = y.nrows();
    // below[j] = W_j ⋯ W₁ (below[0] = I), above[j] = W_L ⋯ W_{j+1} (above[L] = I).
    let mut below = vec![Mat::<f64>::identity(n, n)];
    for f in factors {
        let next = f * below.last().expect("nonempty");
        below.push(next);
    }
    let mut above = vec![Mat::<f64>::identity(n, n); l + 1];
    for j in (0..l).rev() {
        above[j] = &above[j + 1] * &factors[j];
    }
    let residual = y - &below[l];
    (0..l)
        .map(|j| above[j + 1].transpose() * &residual * below[j].transpose())
        .collect()
}

fn check_factors(y: MatRef<'_, f64>, factors: &[Mat<f64>]) -> Result<(), Error> {
    if y.nrows() != y.ncols() {
        return Err(Error::NotSquare {
            what: "y",
            rows: y.nrows(),
            cols: y.ncols(),
        });
    }
    check_finite(y, "y")?;
    if factors.len() < 2 {
        return Err(bad(
            "factors",
            format!("need at least 2 factors, got {}", factors.len()),
        ));
    }
    let n = y.nrows();
    for f in factors {
        if f.nrows() != n || f.ncols() != n {
            return Err(bad(
                "factors",
                format!(
                    "every factor must be {n} x {n} (hidden width n), got {} x {}",
                    f.nrows(),
                    f.ncols()
                ),
            ));
        }
        check_finite(f.as_ref(), "factors")?;
    }
    Ok(())
}

/// Balanced spectral factors `W_j = Q_{j+1} diag(σ₀^{1/L}) Q_jᵀ` with `Q₁ = v`, `Q_{L+1} = u`
/// and the given orthogonal `hidden = [Q₂, …, Q_L]`: their product is `u diag(σ₀) vᵀ` and
/// `W_{j+1}ᵀ W_{j+1} = W_j W_jᵀ` (balanced), so each singular value follows (D1).
pub fn balanced_spectral_factors(
    u: MatRef<'_, f64>,
    v: MatRef<'_, f64>,
    sigma0: &[f64],
    hidden: &[Mat<f64>],
) -> Vec<Mat<f64>> {
    let l = hidden.len() + 1;
    let n = sigma0.len();
    let root: Vec<f64> = sigma0.iter().map(|s| s.powf(1.0 / l as f64)).collect();
    let q = |j: usize| -> MatRef<'_, f64> {
        if j == 0 {
            v
        } else if j == l {
            u
        } else {
            hidden[j - 1].as_ref()
        }
    };
    (0..l)
        .map(|j| {
            let scaled = Mat::from_fn(n, n, |a, b| q(j + 1)[(a, b)] * root[b]);
            &scaled * q(j).transpose()
        })
        .collect()
}

/// Integrates the factor system from `factors0` (`W₁(0), …, W_L(0)`, each `n × n`) and returns
/// the factors at each time (any order, returned in the given order), with the step counters.
///
/// The integration runs in the singular basis of `Y = U diag(s) Vᵀ` (`W₁ V`, `Uᵀ W_L`, the
/// hidden factors unchanged, target `diag(s)`), with the core's Dormand–Prince 5(4) and its
/// per-entry error control (`atol + rtol |x|`, `atol = rtol · 1e-3 · max|x(0)|`). In that
/// basis the `i`-th row of `Uᵀ W_L` and column of `W₁ V` carry direction `i` alone, so an
/// unlearned direction at `α^{1/L}` is controlled against its own size, not against the learned
/// ones. Inside the hidden factors learned and unlearned directions share entries: there an
/// α-level component is resolved to about `rtol ‖W_j‖ / α^{1/L}` of itself (`1e-6` at
/// `rtol = 1e-12`, `α = 1e-12`, `L = 2`, less for deeper `L`).
pub fn integrate_factors(
    y: MatRef<'_, f64>,
    factors0: &[Mat<f64>],
    times: &[f64],
    options: OdeOptions,
) -> Result<(Vec<Factors>, OdeStats), Error> {
    check_factors(y, factors0)?;
    check_times(times)?;
    let l = factors0.len();
    let n = y.nrows();
    let svd = y
        .svd()
        .map_err(|e| Error::Numerical(format!("SVD of y: {e:?}")))?;
    let (u, v) = (svd.U(), svd.V());
    let s: Vec<f64> = (0..n).map(|i| svd.S()[i]).collect();
    let sigma = Mat::from_fn(n, n, |i, j| if i == j { s[i] } else { 0.0 });
    let mut rotated = factors0.to_vec();
    rotated[0] = &factors0[0] * v;
    rotated[l - 1] = u.transpose() * &factors0[l - 1];
    let stacked = Mat::from_fn(l * n, n, |i, j| rotated[i / n][(i % n, j)]);
    let unstack = |x: MatRef<'_, f64>| -> Vec<Mat<f64>> {
        (0..l)
            .map(|k| x.subrows(k * n, n).to_owned())
            .collect::<Vec<_>>()
    };
    let rhs = |x: MatRef<'_, f64>| -> Mat<f64> {
        let velocities = factor_velocities(sigma.as_ref(), &unstack(x));
        Mat::from_fn(l * n, n, |i, j| velocities[i / n][(i % n, j)])
    };
    let (states, stats) = integrate(stacked.as_ref(), times, options, rhs)?;
    let out = states
        .into_iter()
        .map(|x| {
            let mut f = unstack(x.as_ref());
            f[0] = &f[0] * v.transpose();
            f[l - 1] = u * &f[l - 1];
            f
        })
        .collect();
    Ok((out, stats))
}

/// Gradient descent `W_j ← W_j + η (W_L ⋯ W_{j+1})ᵀ (Y − W) (W_{j−1} ⋯ W₁)ᵀ` (all factors at
/// once), stopped at step `round(t/η)` for each time: returns `(k η, factors)` per time, in
/// the given order. Refused when a step count exceeds 1e7 or an iterate stops being finite.
pub fn gradient_descent(
    y: MatRef<'_, f64>,
    factors0: &[Mat<f64>],
    eta: f64,
    times: &[f64],
) -> Result<Vec<(f64, Factors)>, Error> {
    check_factors(y, factors0)?;
    check_times(times)?;
    if !(eta.is_finite() && eta > 0.0) {
        return Err(bad("eta", format!("must be finite and > 0, got {eta}")));
    }
    let steps: Vec<u64> = times.iter().map(|t| (t / eta).round() as u64).collect();
    let last = steps.iter().copied().max().unwrap_or(0);
    if last > 10_000_000 {
        return Err(bad(
            "eta",
            format!("{last} steps needed (more than 1e7); use a larger eta or shorter times"),
        ));
    }
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by_key(|&i| steps[i]);
    let mut out: Vec<Option<(f64, Factors)>> = vec![None; times.len()];
    let mut factors = factors0.to_vec();
    let mut k = 0u64;
    for &idx in &order {
        while k < steps[idx] {
            let velocities = factor_velocities(y, &factors);
            for (f, d) in factors.iter_mut().zip(&velocities) {
                *f += faer::Scale(eta) * d;
            }
            k += 1;
            if k.is_multiple_of(64) || k == steps[idx] {
                for f in &factors {
                    if check_finite(f.as_ref(), "iterate").is_err() {
                        return Err(Error::Numerical(format!(
                            "gradient descent diverged by step {k} (eta = {eta})"
                        )));
                    }
                }
            }
        }
        out[idx] = Some((k as f64 * eta, factors.clone()));
    }
    Ok(out.into_iter().map(|o| o.expect("visited")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{spectral, Form, Init, Target, Trajectory};
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    const DEPTHS: [usize; 7] = [2, 3, 4, 5, 6, 8, 12];

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs()
    }

    fn normal(rng: &mut rand_chacha::ChaCha8Rng) -> f64 {
        StandardNormal.sample(rng)
    }

    fn orthogonal(n: usize, rng: &mut rand_chacha::ChaCha8Rng) -> Mat<f64> {
        let g = Mat::from_fn(n, n, |_, _| {
            let z: f64 = StandardNormal.sample(rng);
            z
        });
        g.qr().compute_Q()
    }

    fn singular_values(m: &Mat<f64>) -> Vec<f64> {
        let s = m.singular_values().unwrap();
        let mut s = s.to_vec();
        s.sort_by(|a, b| b.total_cmp(a));
        s
    }

    #[test]
    fn gauss_legendre_rule_is_exact_to_degree_31() {
        let (x, w) = gauss_legendre_16();
        // ∫_{-1}^{1} x^k = 2/(k+1) for even k, 0 for odd k, up to k = 2·16 − 1.
        for k in 0..32 {
            let q: f64 = x.iter().zip(&w).map(|(xi, wi)| wi * xi.powi(k)).sum();
            let exact = if k % 2 == 0 {
                2.0 / (k + 1) as f64
            } else {
                0.0
            };
            assert!((q - exact).abs() < 1e-15, "degree {k}: {q} vs {exact}");
        }
        // The largest node of P16 (Abramowitz & Stegun table 25.4).
        assert!((x[15] - 0.989_400_934_991_649_9).abs() < 1e-15);
    }

    #[test]
    fn depth_two_is_the_logistic_closed_form() {
        // σ' = 2σ(s − σ) is w' = 2 l w − 2 w² with l = s, w(0) = σ₀: spectral (12).
        for &(s, sigma0) in &[(3.0, 1e-6), (0.5, 1e-12), (2.0, 0.7), (1.0, 1e-250)] {
            let half = spectral::half_time(s, 1.0, sigma0).unwrap();
            for frac in [0.0, 0.3, 0.9, 1.0, 1.1, 2.0, 5.0] {
                let t = frac * half;
                let exact = spectral::eigenvalue_at(s, 1.0, sigma0, t);
                let ours = sigma_at(2, s, sigma0, t).unwrap();
                // σ(t) has condition κ = |t σ'/σ| = 2 s t (1 − σ/s) in t: a rounding of t
                // moves σ by κ ε relative, so compare at 16 ε (1 + κ).
                let kappa = 2.0 * s * t;
                assert!(
                    rel(ours, exact) < 16.0 * f64::EPSILON * (1.0 + kappa),
                    "s={s} σ0={sigma0} t={t}: {ours} vs {exact}"
                );
            }
            let t = time_to_reach(2, s, sigma0, s / 2.0).unwrap();
            assert!(rel(t, half) < 1e-14, "{t} vs {half}");
        }
    }

    #[test]
    fn closed_form_matches_quadrature() {
        // Two independent evaluations of the same integral: (D2) and Gauss–Legendre over the
        // logit. Both raise numbers to the rounded power (1 − 2/L): x^{a(1+δ)} = x^a e^{aδ log x},
        // so each carries about ε (1 − 2/L) |log(σ₀/s)| relative error (2.6e-14 at σ₀ = 1e-300,
        // L = 3) besides a few ulps; the tolerance is 16 ε (1 + |log(σ₀/s)|).
        let mut worst = 0.0f64;
        for &depth in &DEPTHS {
            for &s in &[1.0, 4.0, 0.25] {
                for &a in &[1e-300, 1e-40, 1e-12, 1e-3, 0.3, 0.6] {
                    let sigma0 = a * s;
                    for &to in &[1.5, 0.1, 0.5, 0.9, 0.999, 1.0 - 1e-12] {
                        let sigma = if to > 1.0 { to * sigma0 } else { to * s };
                        if sigma < sigma0 {
                            continue;
                        }
                        let c = time_to_reach(depth, s, sigma0, sigma).unwrap();
                        let q = time_to_reach_quadrature(depth as f64, s, sigma0, sigma).unwrap();
                        let r = if q == 0.0 { c.abs() } else { rel(c, q) };
                        let tol = 16.0 * f64::EPSILON * (1.0 + a.ln().abs());
                        worst = worst.max(r / tol);
                        assert!(r < tol, "L={depth} s={s} σ0={sigma0} σ={sigma}: {c} vs {q}");
                    }
                }
            }
        }
        eprintln!("closed form vs quadrature: worst difference {worst:.3} of the tolerance");
    }

    #[test]
    fn matches_a_tight_adaptive_integration_of_the_scalar_flow() {
        // DP5(4) on σ' = L σ^{2−2/L}(s − σ) at rtol 1e-13, absolute floor 1e-3 of σ₀: global
        // error ≲ (steps) · rtol ≈ 1e-10 relative, through the transition and beyond.
        for &depth in &[3usize, 4, 6] {
            let (s, sigma0) = (2.0, 1e-6);
            let l = depth as f64;
            let half = time_to_reach(depth, s, sigma0, s / 2.0).unwrap();
            let times: Vec<f64> = [0.2, 0.8, 0.99, 1.0, 1.01, 1.2, 3.0]
                .iter()
                .map(|f| f * half)
                .collect();
            let x0 = Mat::from_fn(1, 1, |_, _| sigma0);
            let options = OdeOptions {
                rtol: 1e-13,
                atol: Some(1e-3 * 1e-13 * sigma0),
                max_steps: 10_000_000,
            };
            let (xs, _) = integrate(x0.as_ref(), &times, options, |x| {
                Mat::from_fn(1, 1, |_, _| rate(l, s, x[(0, 0)]))
            })
            .unwrap();
            for (x, &t) in xs.iter().zip(&times) {
                let ode = x[(0, 0)];
                let ours = sigma_at(depth, s, sigma0, t).unwrap();
                assert!(
                    rel(ours, ode) < 1e-9,
                    "L={depth} t={t}: {ours} vs ODE {ode}"
                );
            }
        }
    }

    #[test]
    fn analytic_limits() {
        for &depth in &DEPTHS {
            let l = depth as f64;
            let p = 2.0 - 2.0 / l;
            let s = 3.0;
            // Small α: t(s/2) − asymptote stays O(s^{−p}) (the α-free remainder of (D2)), so the
            // relative difference falls like 1/asymptote.
            let mut previous = f64::INFINITY;
            for &alpha in &[1e-6, 1e-12, 1e-24, 1e-48, 1e-96, 1e-192] {
                let t = time_to_reach(depth, s, alpha, s / 2.0).unwrap();
                let asym = first_order_learning_time(depth, s, alpha);
                // The α-free remainder is below 2 s^{−p}; beyond it only the rounding of t and of
                // the asymptote, α^{−(1−2/L)} to ε |log α| relative (the rounded exponent).
                let gap = (t - asym).abs() * s.powf(p);
                let rounding = 16.0 * f64::EPSILON * t * s.powf(p) * (1.0 + alpha.ln().abs());
                assert!(
                    gap < 2.0 + rounding,
                    "L={depth} α={alpha}: t={t}, asymptote {asym}"
                );
                let r = rel(t, asym);
                if gap > 1e3 * rounding {
                    assert!(r <= previous, "L={depth}: relative gap grows at α={alpha}");
                }
                previous = r;
            }
            // Near the start: t(σ₀(1 + δ)) = δ σ₀ / rate(σ₀) (1 + O(δ)).
            let (sigma0, delta) = (1e-4, 1e-7);
            let t = time_to_reach(depth, s, sigma0, sigma0 * (1.0 + delta)).unwrap();
            let first = delta * sigma0 / rate(l, s, sigma0);
            assert!(rel(t, first) < 1e-5, "L={depth}: {t} vs {first}");
            // Near s: s − σ decays like e^{−L s^p t} (1 + O(s − σ)).
            let t1 = time_to_reach(depth, s, sigma0, s * (1.0 - 1e-8)).unwrap();
            let t2 = time_to_reach(depth, s, sigma0, s * (1.0 - 1e-10)).unwrap();
            let expected = 100f64.ln() / (l * s.powf(p));
            assert!(
                rel(t2 - t1, expected) < 1e-6,
                "L={depth}: {} vs {expected}",
                t2 - t1
            );
            assert_eq!(time_to_reach(depth, s, sigma0, s).unwrap(), f64::INFINITY);
            assert_eq!(time_to_reach(depth, s, sigma0, sigma0).unwrap(), 0.0);
            assert_eq!(sigma_at(depth, s, sigma0, 0.0).unwrap(), sigma0);
            assert_eq!(sigma_at(depth, s, sigma0, 1e6).unwrap(), s);
        }
    }

    #[test]
    fn inverse_round_trips() {
        for &depth in &DEPTHS {
            for &(s, sigma0) in &[(1.0, 1e-9), (5.0, 1e-100), (0.2, 0.05)] {
                let half = time_to_reach(depth, s, sigma0, s / 2.0).unwrap();
                for f in [1e-6, 0.1, 0.5, 0.9, 0.999_999, 1.0, 1.000_001, 1.5, 4.0] {
                    let t = f * half;
                    let sigma = sigma_at(depth, s, sigma0, t).unwrap();
                    assert!(sigma >= sigma0 && sigma <= s);
                    // Within a few ulps of s, σ no longer determines t.
                    if s - sigma > 4.0 * f64::EPSILON * s {
                        let back = time_to_reach(depth, s, sigma0, sigma).unwrap();
                        // t(σ) has condition dt/dσ · σ / t; through z it is well conditioned
                        // except that σ itself is rounded: compare in σ.
                        let again = sigma_at(depth, s, sigma0, back).unwrap();
                        // σ(t) has condition κ = t σ'(t)/σ in t (see the L = 2 test).
                        let kappa = t * rate(depth as f64, s, sigma) / sigma;
                        assert!(
                            rel(again, sigma) < 16.0 * f64::EPSILON * (1.0 + kappa),
                            "L={depth} t={t}: {sigma} vs {again}"
                        );
                        // And t(σ) moves by σ/σ' per relative rounding of σ.
                        let dt = 16.0 * f64::EPSILON * (t + sigma / rate(depth as f64, s, sigma));
                        assert!(
                            (back - t).abs() <= dt,
                            "L={depth} s={s} σ0={sigma0} t={t}: t(σ(t)) = {back}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn bad_inputs_are_refused_naming_the_parameter() {
        let name = |e: Error| e.to_string();
        assert!(name(time_to_reach(1, 1.0, 0.1, 0.5).unwrap_err()).starts_with("depth"));
        assert!(name(time_to_reach(3, 1.0, 1.0, 1.0).unwrap_err()).starts_with("sigma0"));
        assert!(name(time_to_reach(3, 1.0, 0.5, 0.2).unwrap_err()).starts_with("sigma:"));
        assert!(name(time_to_reach(3, -1.0, 0.5, 0.2).unwrap_err()).starts_with("s:"));
        assert!(time_to_reach(3, 1.0, 0.1, f64::NAN).is_err());
        assert!(sigma_at(3, 1.0, 0.1, -1.0).is_err());
        assert!(time_to_reach_quadrature(1.5, 1.0, 0.1, 0.5).is_err());
    }

    /// `∇_{W_j} 1/2‖Y − W‖²` by central differences, entry by entry.
    #[test]
    fn velocities_are_minus_the_gradient() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let n = 3;
        let y = Mat::from_fn(n, n, |_, _| normal(&mut rng));
        let factors: Vec<Mat<f64>> = (0..4)
            .map(|_| Mat::from_fn(n, n, |_, _| normal(&mut rng)))
            .collect();
        let loss = |f: &[Mat<f64>]| {
            let r = &y - end_to_end(f);
            0.5 * r.norm_l2().powi(2)
        };
        let v = factor_velocities(y.as_ref(), &factors);
        let h = 1e-6;
        for j in 0..factors.len() {
            for a in 0..n {
                for b in 0..n {
                    let mut plus = factors.clone();
                    plus[j][(a, b)] += h;
                    let mut minus = factors.clone();
                    minus[j][(a, b)] -= h;
                    let fd = -(loss(&plus) - loss(&minus)) / (2.0 * h);
                    // Central differences: error O(h²) times third derivatives of size ~ the
                    // loss (~1e2 here), plus rounding 1e-16 · loss / h.
                    assert!(
                        (fd - v[j][(a, b)]).abs() < 1e-6 * (1.0 + fd.abs()),
                        "{fd} vs {}",
                        v[j][(a, b)]
                    );
                }
            }
        }
    }

    fn random_target(
        n: usize,
        s: &[f64],
        rng: &mut rand_chacha::ChaCha8Rng,
    ) -> (Mat<f64>, Mat<f64>, Mat<f64>) {
        let u = orthogonal(n, rng);
        let v = orthogonal(n, rng);
        let us = Mat::from_fn(n, n, |i, j| u[(i, j)] * s[j]);
        (&us * v.transpose(), u, v)
    }

    #[test]
    fn integrator_follows_the_balanced_closed_form() {
        // A balanced spectral start in random bases (nothing is diagonal in the original
        // basis): every singular value of W(t) must follow (D1). Compared as a time shift,
        // |t(σ_ode) − t|, relative to the learning time: DP5(4) at rtol 1e-12 over ~1e3 steps
        // accumulates ≲ 1e-9; the SVD of W adds 1e-16 ‖W‖ absolute, which at σ ≈ α = 1e-6
        // is 1e-10 relative.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let s = [4.0, 2.0, 1.0];
        let n = s.len();
        let (y, u, v) = random_target(n, &s, &mut rng);
        for &depth in &[3usize, 4] {
            let alpha = 1e-6;
            let hidden: Vec<Mat<f64>> = (0..depth - 1).map(|_| orthogonal(n, &mut rng)).collect();
            let f0 = balanced_spectral_factors(u.as_ref(), v.as_ref(), &vec![alpha; n], &hidden);
            let last = time_to_reach(depth, s[n - 1], alpha, 0.5 * s[n - 1]).unwrap();
            let times: Vec<f64> = (1..=30).map(|k| k as f64 / 20.0 * last).collect();
            let (fs, stats) =
                integrate_factors(y.as_ref(), &f0, &times, OdeOptions::default()).unwrap();
            let mut worst = 0.0f64;
            for (f, &t) in fs.iter().zip(&times) {
                let sv = singular_values(&end_to_end(f));
                for i in 0..n {
                    let exact = sigma_at(depth, s[i], alpha, t).unwrap();
                    let ti = time_to_reach(depth, s[i], alpha, s[i] / 2.0).unwrap();
                    if sv[i] < s[i] * (1.0 - 1e-9) && sv[i] > alpha {
                        let shift =
                            (time_to_reach(depth, s[i], alpha, sv[i]).unwrap() - t).abs() / ti;
                        worst = worst.max(shift);
                    } else {
                        assert!((sv[i] - exact).abs() < 1e-8 * s[i], "L={depth} i={i} t={t}");
                    }
                }
            }
            assert!(
                worst < 1e-8,
                "L={depth}: worst time shift {worst:e} ({} steps)",
                stats.accepted
            );
        }
    }

    #[test]
    fn depth_two_symmetric_start_is_the_papers_flow() {
        // W₁ = W₂ᵀ = Uᵀ and Y symmetric PSD: dW₂/dt = (Y − U Uᵀ) U, the paper's (2), whose
        // closed form is `Trajectory`. A general (non-spectral) start at α = 1e-8.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let n = 4;
        let phi = orthogonal(n, &mut rng);
        let l = [5.0, 3.0, 1.5, 0.5];
        let ps = Mat::from_fn(n, n, |i, j| phi[(i, j)] * l[j]);
        let y = &ps * phi.transpose();
        let y = Mat::from_fn(n, n, |i, j| 0.5 * (y[(i, j)] + y[(j, i)]));
        let shape = Mat::from_fn(n, n, |_, _| {
            let z: f64 = StandardNormal.sample(&mut rng);
            z / 2.0
        });
        let alpha = 1e-8;
        let traj = Trajectory::new(
            &Target::new(y.as_ref()).unwrap(),
            &Init::new(alpha, shape.as_ref()).unwrap(),
            Form::Auto,
        )
        .unwrap();
        let u0 = Mat::from_fn(n, n, |i, j| alpha.sqrt() * shape[(i, j)]);
        let f0 = vec![u0.transpose().to_owned(), u0.clone()];
        let times: Vec<f64> = (0..=40).map(|k| k as f64 * 0.6).collect();
        let (fs, _) = integrate_factors(y.as_ref(), &f0, &times, OdeOptions::default()).unwrap();
        let exact = traj.w(&times).unwrap();
        let eig = traj.eigenvalues(&times).unwrap();
        for ((f, w), e) in fs.iter().zip(&exact).zip(&eig) {
            let diff = (&end_to_end(f) - w).norm_max();
            // ‖Y‖ = 5; rtol 1e-12 per step over a few hundred steps.
            assert!(diff < 1e-9, "max |W_ode − W_exact| = {diff:e}");
            // The smallest eigenvalue from the factors (α-level early on) to 1e-6 relative.
            let sv = singular_values(&end_to_end(f));
            assert!(
                rel(sv[n - 1], e[n - 1]) < 1e-6,
                "{} vs {}",
                sv[n - 1],
                e[n - 1]
            );
        }
    }

    #[test]
    fn gradient_descent_converges_at_first_order() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let s = [3.0, 1.0];
        let (y, _, _) = random_target(2, &s, &mut rng);
        let f0: Vec<Mat<f64>> = (0..3)
            .map(|_| Mat::from_fn(2, 2, |_, _| 0.1 * normal(&mut rng)))
            .collect();
        let times = [1.0, 2.0, 4.0];
        let (flow, _) = integrate_factors(y.as_ref(), &f0, &times, OdeOptions::default()).unwrap();
        let err = |eta: f64| {
            let gd = gradient_descent(y.as_ref(), &f0, eta, &times).unwrap();
            gd.iter()
                .zip(&flow)
                .map(|((t, f), g)| {
                    assert!(
                        (t - times.iter().find(|x| (*x - t).abs() < eta).unwrap()).abs() < 1e-12
                    );
                    (&end_to_end(f) - end_to_end(g)).norm_max()
                })
                .fold(0.0f64, f64::max)
        };
        let (e1, e2) = (err(2e-3), err(1e-3));
        let order = (e1 / e2).log2();
        assert!((order - 1.0).abs() < 0.05, "order {order} ({e1:e}, {e2:e})");
        assert!(gradient_descent(y.as_ref(), &f0, 0.0, &times).is_err());
        assert!(gradient_descent(y.as_ref(), &f0, 1e-9, &[100.0]).is_err());
    }
}

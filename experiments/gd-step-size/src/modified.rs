//! The first-order modified equation of gradient descent (backward error analysis).
//!
//! Gradient descent is the explicit Euler method `U_{k+1} = U_k + η f(U_k)` for the flow
//! `dU/dt = f(U) = (Y − U Uᵀ) U`. Its iterates are, to `O(η²)` on bounded time intervals, the
//! values at `t = k η` of the *modified equation* (Hairer, Lubich & Wanner, Geometric Numerical
//! Integration, ch. IX; for explicit Euler `f̃ = f − (η/2) f′ f + O(η²)`):
//!
//! ```text
//! dU/dt = f(U) − (η/2) f′(U)[f(U)],   f′(U)[V] = (Y − U Uᵀ) V − (U Vᵀ + V Uᵀ) U
//! ```
//!
//! In the linear phase (`U` small) `f′ f = Y² U`, so each direction grows at the rate
//! `l − η l²/2` instead of `l`: the first-order expansion of the exact per-step rate
//! `log(1 + η l)/η`. There is no closed form; it is integrated here by the classical RK4 in the
//! eigenbasis of `Y` with steps far below `η`.

use crate::gd::Factor;

/// `(Λ − U Uᵀ) V` for `n × r` row-major `u`, `v`.
fn residual_times(l: &[f64], u: &[f64], v: &[f64], n: usize, r: usize) -> Vec<f64> {
    let mut w = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..r).map(|c| u[i * r + c] * u[j * r + c]).sum();
            w[i * n + j] = s;
            w[j * n + i] = s;
        }
    }
    let mut out = vec![0.0; n * r];
    for i in 0..n {
        for c in 0..r {
            let mut s = l[i] * v[i * r + c];
            for j in 0..n {
                s -= w[i * n + j] * v[j * r + c];
            }
            out[i * r + c] = s;
        }
    }
    out
}

/// The modified field `f(U) − (η/2) f′(U)[f(U)]`.
pub fn field(l: &[f64], u: &[f64], n: usize, r: usize, eta: f64) -> Vec<f64> {
    let f = residual_times(l, u, u, n, r);
    let mut df = residual_times(l, u, &f, n, r);
    // − (U fᵀ + f Uᵀ) U
    let mut s = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            s[i * n + j] = (0..r)
                .map(|c| u[i * r + c] * f[j * r + c] + f[i * r + c] * u[j * r + c])
                .sum();
        }
    }
    for i in 0..n {
        for c in 0..r {
            let t: f64 = (0..n).map(|j| s[i * n + j] * u[j * r + c]).sum();
            df[i * r + c] -= t;
        }
    }
    f.iter().zip(&df).map(|(a, b)| a - 0.5 * eta * b).collect()
}

/// Advances `u` by time `span` with `steps` equal RK4 steps of the modified equation.
pub fn advance(l: &[f64], u: &mut Factor, eta: f64, span: f64, steps: u64) {
    let (n, r) = (u.n, u.r);
    let h = span / steps as f64;
    let axpy = |a: &[f64], b: &[f64], s: f64| -> Vec<f64> {
        a.iter().zip(b).map(|(x, y)| x + s * y).collect()
    };
    for _ in 0..steps {
        let k1 = field(l, &u.u, n, r, eta);
        let k2 = field(l, &axpy(&u.u, &k1, h / 2.0), n, r, eta);
        let k3 = field(l, &axpy(&u.u, &k2, h / 2.0), n, r, eta);
        let k4 = field(l, &axpy(&u.u, &k3, h), n, r, eta);
        for p in 0..u.u.len() {
            u.u[p] += h / 6.0 * (k1[p] + 2.0 * k2[p] + 2.0 * k3[p] + k4[p]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With η = 0 the modified equation is the flow: on a scalar it matches (12) of the paper.
    #[test]
    fn at_zero_eta_it_is_the_flow() {
        let (l, w0, t) = (2.0f64, 1e-4f64, 3.0);
        let mut u = Factor {
            n: 1,
            r: 1,
            u: vec![w0.sqrt()],
        };
        advance(&[l], &mut u, 0.0, t, 3000);
        let exact = mfflow::spectral::eigenvalue_at(l, 1.0, w0, t);
        assert!(
            (u.u[0].powi(2) - exact).abs() < 1e-10 * l,
            "{} vs {exact}",
            u.u[0].powi(2)
        );
    }

    /// Gradient descent is second-order close to the modified equation and first-order close
    /// to the flow: halving η divides the first distance by about 4 and the second by about 2.
    #[test]
    fn gd_is_second_order_close_to_the_modified_equation() {
        let (l, w0, t) = (1.0f64, 1e-3f64, 8.0);
        let distances = |eta: f64| {
            let steps = (t / eta).round() as u64;
            let mut x = w0;
            for _ in 0..steps {
                x *= (1.0 + eta * (l - x)).powi(2);
            }
            let mut u = Factor {
                n: 1,
                r: 1,
                u: vec![w0.sqrt()],
            };
            advance(&[l], &mut u, eta, t, steps * 20);
            let flow = mfflow::spectral::eigenvalue_at(l, 1.0, w0, t);
            ((x - u.u[0].powi(2)).abs(), (x - flow).abs())
        };
        let (m1, f1) = distances(0.02);
        let (m2, f2) = distances(0.01);
        assert!((m1 / m2 - 4.0).abs() < 0.6, "modified: {m1} / {m2}");
        assert!((f1 / f2 - 2.0).abs() < 0.3, "flow: {f1} / {f2}");
        assert!(m1 < 0.2 * f1, "{m1} vs {f1}");
    }
}

//! The balanced asymmetric closed form against the (U, V) integrator and gradient descent,
//! and the conservation of the imbalance along the integrated flow.

mod common;
use common::*;
use mfflow::asymmetric::{
    balanced_pair, gradient_descent_pair, imbalance, integrate_pair, BalancedTrajectory,
};
use mfflow::ode::OdeOptions;
use mfflow::Mat;

/// A rectangular m × n target with given singular values on random orthonormal bases.
fn rectangular(m: usize, n: usize, sigma: &[f64], seed: u64) -> Mat<f64> {
    let p = orthogonal(m, seed);
    let q = orthogonal(n, seed + 1);
    Mat::from_fn(m, n, |i, j| {
        (0..sigma.len())
            .map(|k| p[(i, k)] * sigma[k] * q[(j, k)])
            .sum()
    })
}

/// A balanced shape with k ≤ min(m, n) shared directions and r columns.
fn balanced(m: usize, n: usize, k: usize, r: usize, seed: u64) -> (Mat<f64>, Mat<f64>) {
    let p = orthogonal(m, seed).subcols(0, k).to_owned();
    let q = orthogonal(n, seed + 1).subcols(0, k).to_owned();
    let s = gaussian(k, r, seed + 2);
    balanced_pair(p.as_ref(), q.as_ref(), s.as_ref())
}

fn options() -> OdeOptions {
    OdeOptions {
        rtol: 1e-13,
        ..OdeOptions::default()
    }
}

/// m ≠ n, r below and above rank(Y): agreement to the core-engine requirement,
/// 1e-10 · max(1, ‖Y‖) (the integrator at rtol 1e-13 is good to ~1e-12 here).
#[test]
fn balanced_closed_form_matches_the_integrator() {
    for (case, (m, n, sigma, k, r, alpha)) in [
        (5usize, 3usize, vec![3.0, 1.5, 0.5], 3usize, 2usize, 1e-4),
        (3, 6, vec![2.0, 1.0], 3, 5, 1e-6),
        (4, 4, vec![2.5, 1.2, 0.7, 0.3], 4, 4, 1e-3),
    ]
    .into_iter()
    .enumerate()
    {
        let y = rectangular(m, n, &sigma, 10 * case as u64 + 1);
        let (ub, vb) = balanced(m, n, k, r, 10 * case as u64 + 5);
        let exact = BalancedTrajectory::new(y.as_ref(), alpha, ub.as_ref(), vb.as_ref()).unwrap();
        let times = [0.0, 1.0, 3.0, 6.0, 10.0, 20.0];
        let products = exact.product(&times).unwrap();
        let root = alpha.sqrt();
        let (u0, v0) = (&ub * faer::Scale(root), &vb * faer::Scale(root));
        let (pairs, _) =
            integrate_pair(y.as_ref(), u0.as_ref(), v0.as_ref(), &times, options()).unwrap();
        for ((u, v), p) in pairs.iter().zip(&products) {
            let d = max_diff((u * v.transpose()).as_ref(), p.as_ref());
            assert!(d <= 1e-10 * sigma[0].max(1.0), "case {case}: {d:e}");
        }
    }
}

#[test]
fn the_imbalance_is_conserved_along_the_flow() {
    let y = rectangular(4, 3, &[2.0, 1.0, 0.5], 31);
    let u0 = gaussian(4, 3, 32);
    let v0 = gaussian(3, 3, 33);
    let d0 = imbalance(u0.as_ref(), v0.as_ref());
    let (pairs, _) = integrate_pair(
        y.as_ref(),
        u0.as_ref(),
        v0.as_ref(),
        &[0.5, 2.0, 8.0],
        options(),
    )
    .unwrap();
    for (u, v) in &pairs {
        let d = imbalance(u.as_ref(), v.as_ref());
        // d/dt (UᵀU − VᵀV) = 0 exactly; the integrator keeps it to its tolerance times the size of UᵀU.
        let scale = max_diff(
            (u.transpose() * u).as_ref(),
            Mat::<f64>::zeros(3, 3).as_ref(),
        );
        assert!(max_diff(d.as_ref(), d0.as_ref()) <= 1e-9 * scale.max(1.0));
    }
}

#[test]
fn gradient_descent_on_the_pair_converges_at_first_order() {
    let y = rectangular(3, 4, &[2.0, 0.8], 41);
    let (ub, vb) = balanced(3, 4, 3, 3, 42);
    let alpha = 1e-3;
    let exact = BalancedTrajectory::new(y.as_ref(), alpha, ub.as_ref(), vb.as_ref()).unwrap();
    let times = [2.0, 5.0, 9.0];
    let root = alpha.sqrt();
    let (u0, v0) = (&ub * faer::Scale(root), &vb * faer::Scale(root));
    let distance = |eta: f64| {
        let its = gradient_descent_pair(y.as_ref(), u0.as_ref(), v0.as_ref(), eta, &times).unwrap();
        let reached: Vec<f64> = its.iter().map(|(t, _, _)| *t).collect();
        let p = exact.product(&reached).unwrap();
        its.iter()
            .zip(&p)
            .map(|((_, u, v), w)| max_diff((u * v.transpose()).as_ref(), w.as_ref()))
            .fold(0.0, f64::max)
    };
    let (d1, d2) = (distance(2e-3), distance(1e-3));
    assert!((1.8..=2.2).contains(&(d1 / d2)), "d1 = {d1:e}, d2 = {d2:e}");
}

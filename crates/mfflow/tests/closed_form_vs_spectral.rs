//! The general kernels against the exact scalar formulas (12)–(13) on spectral initializations,
//! across ranks, the full range of α and t, and indefinite targets.
//!
//! The spectral formula is evaluated in closed form without cancellation, so it is a
//! known-answer reference to a few ulps; the tolerance is the requirement of the core-engine
//! issue, 1e-10 · max(1, ‖Y‖) elementwise.
//!
//! Shapes with some `sᵢ = 0` are tested on diagonal targets, whose eigenbasis is exact. With a
//! rotated target, the computed `Φ` is orthogonal only to ~1e-16, so the f64 shape
//! `Φ diag(√s)` has components of ~1e-16 along the "missing" directions; the exact flow of that
//! data learns those directions at `t ≈ log(1/(α·1e-32))/(2 lᵢ)`, and a reference that assumes
//! exact zeros would be wrong — not the kernel.

mod common;
use common::*;
use mfflow::{spectral, Form, Init, Target, Trajectory};

/// `seed = None`: the diagonal target `diag(l)`; `Some(seed)`: a random rotation of it.
fn check(l: &[f64], s: &[f64], alpha: f64, form: Form, seed: Option<u64>) -> f64 {
    let n = l.len();
    let phi = match seed {
        Some(seed) => orthogonal(n, seed),
        None => mfflow::Mat::identity(n, n),
    };
    let y = with_spectrum(phi.as_ref(), l);
    let target = Target::new(y.as_ref()).unwrap();
    // The spectral shape in the target's own eigenbasis (sorted descending like `l` below).
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| l[b].total_cmp(&l[a]));
    let s_sorted: Vec<f64> = order.iter().map(|&i| s[i]).collect();
    let l_sorted: Vec<f64> = order.iter().map(|&i| l[i]).collect();
    let init = Init::spectral(alpha, target.phi(), &s_sorted).unwrap();
    let traj = Trajectory::new(&target, &init, form).unwrap();
    let l_min = l
        .iter()
        .filter(|v| **v != 0.0)
        .fold(f64::INFINITY, |m, v| m.min(v.abs()));
    let t_max = 1e4 / l_min;
    let times: Vec<f64> = [0.0, 1e-3, 0.5, 3.0, 10.0, 40.0, 150.0, 700.0]
        .iter()
        .map(|f| f / l_min)
        .chain([t_max, 0.37 * t_max])
        .collect();
    let ws = traj.w(&times).unwrap();
    let mut worst = 0.0f64;
    for (w, &t) in ws.iter().zip(&times) {
        let exact = spectral::eigenvalues_at(&l_sorted, &s_sorted, alpha, t);
        let reference = with_spectrum(target.phi(), &exact);
        assert!(w.as_ref().iter_ok(), "non-finite W at t = {t}");
        worst = worst.max(max_diff(w.as_ref(), reference.as_ref()));
    }
    let tol = 1e-10 * target.norm().max(1.0);
    assert!(
        worst <= tol,
        "l={l:?} alpha={alpha:e} form={form:?}: error {worst:e} > {tol:e}"
    );
    worst
}

trait Finite {
    fn iter_ok(&self) -> bool;
}
impl Finite for mfflow::MatRef<'_, f64> {
    fn iter_ok(&self) -> bool {
        (0..self.ncols()).all(|j| (0..self.nrows()).all(|i| self[(i, j)].is_finite()))
    }
}

const ALPHAS: [f64; 5] = [1e-300, 1e-100, 1e-12, 1e-3, 10.0];

#[test]
fn full_rank_psd_both_forms() {
    let l = [4.0, 2.5, 1.0, 0.3, 0.05];
    let s = [1.0, 0.5, 2.0, 1.5, 0.7];
    for (k, &alpha) in ALPHAS.iter().enumerate() {
        check(&l, &s, alpha, Form::Inverse, Some(10 + k as u64));
        check(&l, &s, alpha, Form::Factor, Some(20 + k as u64));
    }
}

#[test]
fn zero_and_repeated_eigenvalues() {
    let l = [3.0, 3.0, 1.0, 0.0, 0.0, 0.5];
    let s = [1.0, 0.2, 0.9, 1.1, 0.4, 2.0];
    for (k, &alpha) in ALPHAS.iter().enumerate() {
        check(&l, &s, alpha, Form::Inverse, Some(30 + k as u64));
        check(&l, &s, alpha, Form::Factor, Some(40 + k as u64));
    }
}

#[test]
fn rank_deficient_spectral_shape() {
    // s_i = 0: r < n, W(0) singular — only the factor form applies.
    let l = [5.0, 2.0, 1.0, 0.5];
    let s = [0.0, 1.0, 0.0, 2.0];
    for (k, &alpha) in ALPHAS.iter().enumerate() {
        check(&l, &s, alpha, Form::Factor, None);
        check(&l, &s, alpha, Form::Auto, None);
        let _ = k;
    }
}

#[test]
fn indefinite_target() {
    let l = [2.0, -1.0, 0.5, -3.0, 0.0, 1.0];
    let s = [1.0, 0.7, 1.3, 0.4, 1.0, 0.0];
    for (k, &alpha) in ALPHAS.iter().enumerate() {
        check(&l, &s, alpha, Form::Auto, None);
        // With every sᵢ > 0 a random rotation is well posed.
        check(
            &l,
            &[1.0, 0.7, 1.3, 0.4, 1.0, 0.2],
            alpha,
            Form::Auto,
            Some(70 + k as u64),
        );
    }
    // The inverse form refuses an indefinite target instead of overflowing.
    let target = Target::diagonal(&l).unwrap();
    let init = Init::spectral(1e-3, target.phi(), &[1.0; 6]).unwrap();
    assert!(Trajectory::new(&target, &init, Form::Inverse).is_err());
}

#[test]
fn large_eigenvalue_spread_and_long_times() {
    // l_max t reaches 1e4 · 100 = 1e6: thousands of checkpoints in the factor form.
    let l = [100.0, 10.0, 1.0];
    let s = [1.0, 1.0, 1.0];
    check(&l, &s, 1e-300, Form::Factor, Some(80));
    check(&l, &s, 1e-300, Form::Inverse, Some(81));
}

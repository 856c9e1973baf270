//! Gradient descent `U ← U + η (Y − U Uᵀ) U` run in the eigenbasis of `Y`, observed at every
//! step.
//!
//! Why not the core's `mfflow::gd::gradient_descent`: it returns iterates only at requested
//! times and refuses a run whose iterate leaves a bounded region (a guard rail for users). This
//! experiment needs every iterate (learning times to the step, ε-windows, the tail of an
//! oscillating run), and divergence beyond the stability limit is one of its results, not an
//! error. The recurrence is the same; section 5 of the report checks this loop against the
//! core's gradient descent in the original basis.
//!
//! Why the eigenbasis: with `Y = Φ Λ Φᵀ` and `Ũ = Φᵀ U`, the update is
//! `Ũ ← Ũ + η (Λ − Ũ Ũᵀ) Ũ`, the same recurrence rotated (exact in exact arithmetic). In the
//! original basis, rounding of the learned directions (`ε_mach ‖Y‖`) leaks into directions still
//! at the `α` level and is amplified with them; in the eigenbasis each direction keeps its own
//! relative accuracy, as the core's ODE reference does.

use mfflow::metrics::{eigenvalues_symmetric, spectral_norm_symmetric};
use mfflow::{Mat, MatRef};
use mfflow_lab::{lab_err, Result};

/// Most steps one run may take (about a second of this loop).
pub const MAX_STEPS: u64 = 20_000_000;

/// A factor `Ũ` (`n × r`, row-major) in the eigenbasis of `Y`.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    pub n: usize,
    pub r: usize,
    pub u: Vec<f64>,
}

impl Factor {
    pub fn from_mat(m: MatRef<'_, f64>) -> Self {
        let (n, r) = (m.nrows(), m.ncols());
        let mut u = Vec::with_capacity(n * r);
        for i in 0..n {
            for c in 0..r {
                u.push(m[(i, c)]);
            }
        }
        Self { n, r, u }
    }

    /// `W = Ũ Ũᵀ` into `w` (`n × n`, row-major).
    pub fn gram_into(&self, w: &mut [f64]) {
        let (n, r) = (self.n, self.r);
        for i in 0..n {
            for j in 0..=i {
                let mut s = 0.0;
                for c in 0..r {
                    s += self.u[i * r + c] * self.u[j * r + c];
                }
                w[i * n + j] = s;
                w[j * n + i] = s;
            }
        }
    }

    /// One step `Ũ ← Ũ + η (Λ − W) Ũ`, with `W = Ũ Ũᵀ` already in `w`.
    pub fn step(&mut self, l: &[f64], w: &[f64], eta: f64, g: &mut [f64]) {
        let (n, r) = (self.n, self.r);
        for i in 0..n {
            for c in 0..r {
                let mut s = l[i] * self.u[i * r + c];
                for j in 0..n {
                    s -= w[i * n + j] * self.u[j * r + c];
                }
                g[i * r + c] = s;
            }
        }
        for (u, g) in self.u.iter_mut().zip(g.iter()) {
            *u += eta * g;
        }
    }
}

/// A symmetric `n × n` row-major matrix as a faer matrix.
pub fn to_mat(w: &[f64], n: usize) -> Mat<f64> {
    Mat::from_fn(n, n, |i, j| w[i * n + j])
}

/// What to observe along a run.
#[derive(Debug, Clone, Default)]
pub struct Watch {
    /// Record the first step at which `λ_i(W) ≥ l_i / 2`, for every `i`.
    pub half_times: bool,
    /// Record the steps at which `‖W − Ŷ_k‖₂ ≤ eps`, for every `k = 1..n` (maximal runs).
    pub windows: Option<f64>,
    /// `(k, first, last)`: the largest `‖W − Ŷ_k‖₂` over steps `first..=last`.
    pub intervals: Vec<(usize, u64, u64)>,
    /// Steps (increasing) at which to keep `W`.
    pub checkpoints: Vec<u64>,
    /// Keep `W` at the last `tail` steps.
    pub tail: usize,
}

/// What a run observed.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// First step with `λ_i(W) ≥ l_i / 2`, per `i` (`None`: not within the run).
    pub half: Vec<Option<u64>>,
    /// Per `k = 1..n`: the maximal runs `[first, last]` of steps with `‖W − Ŷ_k‖₂ ≤ eps`.
    pub windows: Vec<Vec<(u64, u64)>>,
    /// Per requested interval: the largest error over its steps reached (`None`: none reached).
    pub interval_max: Vec<Option<f64>>,
    /// `(step, W)` at each checkpoint reached.
    pub checkpoints: Vec<(u64, Vec<f64>)>,
    /// `W` at the last steps before the end (or before divergence).
    pub tail: Vec<Vec<f64>>,
    /// The step at which the iterate left the bounded region (non-finite, or `trace W` beyond
    /// [`divergence_bound`]).
    pub diverged_at: Option<u64>,
}

/// `trace W` beyond which the run has diverged. For one direction the map is
/// `x ← x (1 + a − x)²` in `x = η w`, `a = η l`; from `x > 2 + a` on, `|1 + a − x| > 1` and `x`
/// grows without bound, so no convergent or bounded orbit has `w > l + 2/η`. With `n`
/// directions, `trace W > n (l_1 + 2/η)` puts some direction past that point (in the eigenbasis,
/// once `W` is far from diagonal this is a detection threshold, not a proof); twice that, plus
/// `trace W(0)`, leaves room.
pub fn divergence_bound(l: &[f64], eta: f64, trace0: f64) -> f64 {
    2.0 * (l.len() as f64 * (l[0] + 2.0 / eta) + trace0)
}

/// `‖W − Ŷ_k‖₂` for `W` in the eigenbasis (`Ŷ_k = diag(l_1..l_k, 0..)`).
pub fn error_to_rank_k(w: &[f64], l: &[f64], k: usize) -> Result<f64> {
    let n = l.len();
    let d = Mat::from_fn(n, n, |i, j| {
        w[i * n + j] - if i == j && i < k { l[i] } else { 0.0 }
    });
    Ok(spectral_norm_symmetric(d.as_ref())?)
}

/// Cheap bounds on `‖W − Ŷ_k‖₂`: `(lower, upper)` = `(max(max|a_ii|, ‖A‖_F/√n), ‖A‖_F)`.
fn error_bounds(w: &[f64], l: &[f64], k: usize) -> (f64, f64) {
    let n = l.len();
    let (mut fro2, mut diag) = (0.0f64, 0.0f64);
    for i in 0..n {
        for j in 0..n {
            let a = w[i * n + j] - if i == j && i < k { l[i] } else { 0.0 };
            fro2 += a * a;
            if i == j {
                diag = diag.max(a.abs());
            }
        }
    }
    let fro = fro2.sqrt();
    (diag.max(fro / (n as f64).sqrt()), fro)
}

/// Whether `‖W − Ŷ_k‖₂ ≤ eps`, deciding by the bounds when they suffice.
fn within(w: &[f64], l: &[f64], k: usize, eps: f64) -> Result<bool> {
    let (lo, hi) = error_bounds(w, l, k);
    if hi <= eps {
        return Ok(true);
    }
    if lo > eps {
        return Ok(false);
    }
    Ok(error_to_rank_k(w, l, k)? <= eps)
}

fn eigenvalues(w: &[f64], n: usize) -> Result<Vec<f64>> {
    Ok(eigenvalues_symmetric(to_mat(w, n).as_ref())?)
}

/// Half-times are checked every `stride` steps (the flow moves by at most `0.02 / l_1` in
/// time between checks) and a crossing is then located to the step by replaying from the
/// previous check.
fn half_time_stride(l1: f64, eta: f64) -> u64 {
    ((0.02 / (eta * l1)).floor() as u64).max(1)
}

/// Runs `steps` steps of gradient descent from `u0` (eigenbasis) with step `eta` on the target
/// `diag(l)` (descending), observing what `watch` asks for at steps `0..=steps`.
pub fn run(l: &[f64], u0: &Factor, eta: f64, steps: u64, watch: &Watch) -> Result<Outcome> {
    if steps > MAX_STEPS {
        return Err(lab_err!(
            "a gradient-descent run of {steps} steps (eta = {eta:e}) exceeds {MAX_STEPS}: use a larger eta * l_1"
        ));
    }
    let n = u0.n;
    let mut u = u0.clone();
    let mut w = vec![0.0; n * n];
    let mut g = vec![0.0; n * u.r];
    u.gram_into(&mut w);
    let trace0: f64 = (0..n).map(|i| w[i * n + i]).sum();
    let bound = divergence_bound(l, eta, trace0);
    let mut out = Outcome {
        half: vec![None; n],
        windows: vec![Vec::new(); n],
        interval_max: vec![None; watch.intervals.len()],
        ..Outcome::default()
    };
    let stride = half_time_stride(l[0], eta);
    let mut saved = (0u64, u.clone());
    let mut open: Vec<Option<u64>> = vec![None; n];
    let mut next_checkpoint = 0usize;
    let tail_from = steps.saturating_sub(watch.tail.saturating_sub(1) as u64);
    for k in 0..=steps {
        u.gram_into(&mut w);
        let trace: f64 = (0..n).map(|i| w[i * n + i]).sum();
        if !trace.is_finite() || trace > bound || w.iter().any(|v| !v.is_finite()) {
            out.diverged_at = Some(k);
            break;
        }
        if watch.half_times
            && out.half.iter().any(Option::is_none)
            && (k % stride == 0 || k == steps)
        {
            let eig = eigenvalues(&w, n)?;
            let crossed = (0..n).any(|i| out.half[i].is_none() && eig[i] >= l[i] / 2.0);
            if crossed {
                locate_half_times(l, eta, &saved, k, &mut out.half)?;
            }
            saved = (k, u.clone());
        }
        if let Some(eps) = watch.windows {
            for r in 1..=n {
                let inside = within(&w, l, r, eps)?;
                match (inside, open[r - 1]) {
                    (true, None) => open[r - 1] = Some(k),
                    (false, Some(s)) => {
                        out.windows[r - 1].push((s, k - 1));
                        open[r - 1] = None;
                    }
                    _ => {}
                }
            }
        }
        for (slot, &(r, first, last)) in watch.intervals.iter().enumerate() {
            if (first..=last).contains(&k) {
                let (_, hi) = error_bounds(&w, l, r);
                let current = out.interval_max[slot].unwrap_or(f64::NEG_INFINITY);
                if hi > current {
                    let e = error_to_rank_k(&w, l, r)?;
                    out.interval_max[slot] = Some(current.max(e));
                }
            }
        }
        while next_checkpoint < watch.checkpoints.len() && watch.checkpoints[next_checkpoint] == k {
            out.checkpoints.push((k, w.clone()));
            next_checkpoint += 1;
        }
        if watch.tail > 0 && k >= tail_from {
            out.tail.push(w.clone());
        }
        if k < steps {
            u.step(l, &w, eta, &mut g);
        }
    }
    let last = out.diverged_at.map_or(steps, |d| d.saturating_sub(1));
    for r in 0..n {
        if let Some(s) = open[r] {
            out.windows[r].push((s, last));
        }
    }
    Ok(out)
}

/// Replays from the last check `(k0, Ũ)` to step `k1`, checking every step, and records the
/// first step at which each eigenvalue not yet recorded reaches half its target.
fn locate_half_times(
    l: &[f64],
    eta: f64,
    saved: &(u64, Factor),
    k1: u64,
    half: &mut [Option<u64>],
) -> Result<()> {
    let n = l.len();
    let (k0, mut u) = (saved.0, saved.1.clone());
    let mut w = vec![0.0; n * n];
    let mut g = vec![0.0; n * u.r];
    for k in k0..=k1 {
        u.gram_into(&mut w);
        let eig = eigenvalues(&w, n)?;
        for i in 0..n {
            if half[i].is_none() && eig[i] >= l[i] / 2.0 {
                half[i] = Some(k);
            }
        }
        if k < k1 {
            u.step(l, &w, eta, &mut g);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag_factor(s: &[f64]) -> Factor {
        let n = s.len();
        Factor {
            n,
            r: n,
            u: (0..n * n)
                .map(|p| if p / n == p % n { s[p / n].sqrt() } else { 0.0 })
                .collect(),
        }
    }

    /// A spectral start stays diagonal and each entry follows the scalar map
    /// `w ← w (1 + η (l − w))²` exactly (the same floating-point operations up to order).
    #[test]
    fn a_spectral_start_follows_the_scalar_map() {
        let l = [4.0, 2.0, 1.0];
        let (alpha, eta) = (1e-6, 0.05);
        let u0 = diag_factor(&[alpha; 3]);
        let steps = 400;
        let out = run(
            &l,
            &u0,
            eta,
            steps,
            &Watch {
                checkpoints: vec![steps],
                ..Watch::default()
            },
        )
        .unwrap();
        let w = &out.checkpoints[0].1;
        for i in 0..3 {
            let mut x = alpha;
            for _ in 0..steps {
                x *= (1.0 + eta * (l[i] - x)).powi(2);
            }
            // Relative agreement to a few ulps per step (different operation order).
            assert!(
                (w[i * 3 + i] - x).abs() <= 1e-12 * x.max(1e-300),
                "{i}: {} vs {x}",
                w[i * 3 + i]
            );
            for j in 0..3 {
                if j != i {
                    assert_eq!(w[i * 3 + j], 0.0);
                }
            }
        }
    }

    /// Half-times located by the stride-and-replay scan equal those of a step-by-step scan.
    #[test]
    fn half_times_are_located_to_the_step() {
        let l = [4.0, 2.0, 1.0];
        let eta = 1e-4; // stride 50
        let u0 = diag_factor(&[1e-4, 2e-4, 3e-4]);
        let out = run(
            &l,
            &u0,
            eta,
            60_000,
            &Watch {
                half_times: true,
                ..Watch::default()
            },
        )
        .unwrap();
        for i in 0..3 {
            let mut x = [1e-4, 2e-4, 3e-4][i];
            let mut k = 0u64;
            while x < l[i] / 2.0 {
                x *= (1.0 + eta * (l[i] - x)).powi(2);
                k += 1;
            }
            assert_eq!(out.half[i], Some(k), "eigenvalue {i}");
        }
    }

    /// Beyond eta * l_1 = 2 the scalar map diverges; below it stays bounded.
    #[test]
    fn divergence_is_detected_beyond_twice_the_stability_limit() {
        let l = [1.0, 0.5];
        let u0 = diag_factor(&[1e-3, 1e-3]);
        let watch = Watch::default();
        assert!(run(&l, &u0, 2.05, 5_000, &watch)
            .unwrap()
            .diverged_at
            .is_some());
        assert!(run(&l, &u0, 1.95, 5_000, &watch)
            .unwrap()
            .diverged_at
            .is_none());
        assert!(run(&l, &u0, 0.5, 5_000, &watch)
            .unwrap()
            .diverged_at
            .is_none());
    }

    /// Windows and interval maxima agree with a direct computation of the exact norm.
    #[test]
    fn windows_and_interval_maxima_match_direct_norms() {
        let l = [3.0, 1.0];
        let eta = 0.02;
        let u0 = Factor {
            n: 2,
            r: 2,
            u: vec![1e-3, 2e-4, -3e-4, 5e-4],
        };
        let steps = 1500;
        let eps = 0.3;
        let out = run(
            &l,
            &u0,
            eta,
            steps,
            &Watch {
                windows: Some(eps),
                intervals: vec![(1, 100, 700)],
                checkpoints: (0..=steps).collect(),
                ..Watch::default()
            },
        )
        .unwrap();
        let mut inside1 = Vec::new();
        let mut max1 = 0.0f64;
        for (k, w) in &out.checkpoints {
            let e = error_to_rank_k(w, &l, 1).unwrap();
            if e <= eps {
                inside1.push(*k);
            }
            if (100..=700).contains(k) {
                max1 = max1.max(e);
            }
        }
        let from_windows: Vec<u64> = out.windows[0].iter().flat_map(|&(a, b)| a..=b).collect();
        assert_eq!(from_windows, inside1);
        assert!(!inside1.is_empty());
        assert_eq!(out.interval_max[0], Some(max1));
    }
}

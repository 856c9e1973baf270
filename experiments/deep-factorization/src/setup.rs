//! The target, the two kinds of start at a matched effective scale, and what every part
//! evaluates on them: the exact balanced flow (`mfflow::depth`), the integrated random flow and
//! the times at which each singular value crosses a level.
//!
//! **Matched effective initialization.** Every start, at every depth, has end-to-end size
//! `‖W(0)‖₂ = ‖W_L(0) ⋯ W₁(0)‖₂ = α`: the balanced spectral start has all singular values of
//! `W(0)` equal to α (`W(0) = α U Vᵀ`); the random one is a product of Gaussian factors, all
//! scaled by the same `c` so that the product's spectral norm is α.

use crate::config::Config;
use mfflow::analysis::linspace;
use mfflow::depth::{self, Factors};
use mfflow::ode::OdeOptions;
use mfflow::Mat;
use mfflow_lab::instances::{gaussian, orthonormal};
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;

/// Coarse grid points per horizon segment when locating crossings.
const COARSE_POINTS: usize = 200;
/// Points of each refinement pass inside a bracket (two passes).
const REFINE_POINTS: usize = 33;
/// At most this many extensions (each twice the previous span) while waiting for the last
/// singular value: up to 9 times the first horizon.
const MAX_EXTENSIONS: usize = 1;

/// The levels (fractions of `s_i`) whose crossing times every part uses.
pub const LEVELS: [f64; 3] = [0.1, 0.5, 0.9];

/// The target and the random shapes of every depth used.
pub struct Setup {
    /// Singular values of the target, descending.
    pub s: Vec<f64>,
    /// `Y = U diag(s) Vᵀ`.
    pub y: Mat<f64>,
    /// Left singular vectors.
    pub u: Mat<f64>,
    /// Right singular vectors.
    pub v: Mat<f64>,
    /// Integrator options.
    pub options: OdeOptions,
    /// Unit-scale random factor shapes `G₁..G_L` for each depth (stream `random-factors`,
    /// indexed by L), i.i.d. `N(0, 1/n)` entries.
    shapes: Vec<(usize, Factors)>,
}

impl Setup {
    /// Draws the target and the random shapes of `depths` from named streams.
    pub fn new(cfg: &Config, seeds: &Seeds, depths: &[usize]) -> Result<Self> {
        let s = cfg.singular_values.clone();
        let n = s.len();
        let u = orthonormal(n, n, &mut seeds.stream("target-left"));
        let v = orthonormal(n, n, &mut seeds.stream("target-right"));
        let us = Mat::from_fn(n, n, |i, j| u[(i, j)] * s[j]);
        let y = &us * v.transpose();
        let shapes = depths
            .iter()
            .map(|&l| {
                let mut rng = seeds.indexed("random-factors", l as u64);
                let f: Factors = (0..l)
                    .map(|_| gaussian(n, n, 1.0 / (n as f64).sqrt(), &mut rng))
                    .collect();
                (l, f)
            })
            .collect();
        Ok(Self {
            s,
            y,
            u,
            v,
            options: OdeOptions {
                rtol: cfg.rtol,
                ..OdeOptions::default()
            },
            shapes,
        })
    }

    pub fn n(&self) -> usize {
        self.s.len()
    }

    /// The random start of `depth` scaled to `‖W(0)‖₂ = alpha`.
    pub fn random_start(&self, depth: usize, alpha: f64) -> Factors {
        let shape = &self
            .shapes
            .iter()
            .find(|(l, _)| *l == depth)
            .expect("shapes drawn for every depth used")
            .1;
        let norm = singular_values(&depth::end_to_end(shape))[0];
        let c = (alpha / norm).powf(1.0 / depth as f64);
        shape
            .iter()
            .map(|g| Mat::from_fn(g.nrows(), g.ncols(), |i, j| c * g[(i, j)]))
            .collect()
    }

    /// `σ_i(t)` of the balanced spectral start `σ_i(0) = alpha` (exact, `mfflow::depth`).
    pub fn balanced(&self, depth: usize, alpha: f64, t: f64) -> Result<Vec<f64>> {
        Ok(self
            .s
            .iter()
            .map(|&s| depth::sigma_at(depth, s, alpha, t))
            .collect::<std::result::Result<_, _>>()?)
    }

    /// The time at which the balanced `σ_i` from `sigma0` reaches `level · s_i`.
    pub fn balanced_time(&self, depth: usize, i: usize, sigma0: f64, level: f64) -> Result<f64> {
        Ok(depth::time_to_reach(
            depth,
            self.s[i],
            sigma0,
            level * self.s[i],
        )?)
    }

    /// The random flow's factors at each time.
    pub fn integrate(&self, f0: &Factors, times: &[f64]) -> Result<Vec<Factors>> {
        Ok(depth::integrate_factors(self.y.as_ref(), f0, times, self.options)?.0)
    }

    /// `|u_iᵀ W(0) v_i|`: the start's component along each singular pair of the target.
    pub fn components(&self, f0: &Factors) -> Vec<f64> {
        let w = depth::end_to_end(f0);
        let p = self.u.transpose() * &w * &self.v;
        (0..self.n()).map(|i| p[(i, i)].abs()).collect()
    }
}

/// Singular values of a square matrix, descending.
pub fn singular_values(m: &Mat<f64>) -> Vec<f64> {
    let mut s = m
        .singular_values()
        .expect("singular values of a small finite matrix")
        .to_vec();
    s.sort_by(|a, b| b.total_cmp(a));
    s
}

/// The times at which each singular value of the integrated flow from `f0` first reaches each
/// of [`LEVELS`] (`None` if not within the extended horizon): `[i][level]`.
///
/// A coarse grid over `[0, horizon]` (extended by doubling until the last singular value is
/// past the last level) brackets each crossing; two passes of a finer grid inside the bracket,
/// each integrated from the state at its left end, narrow it by `(REFINE_POINTS − 1)²`; the
/// crossing is then interpolated linearly in the logit of `σ_i / s_i`, which is close to
/// linear in time across a transition.
pub fn crossings(setup: &Setup, f0: &Factors, horizon: f64) -> Result<Vec<Vec<Option<f64>>>> {
    let n = setup.n();
    // The coarse walk: (time, factors, singular values).
    let mut walk: Vec<(f64, Factors, Vec<f64>)> =
        vec![(0.0, f0.clone(), singular_values(&depth::end_to_end(f0)))];
    let mut span = horizon;
    let done = |walk: &[(f64, Factors, Vec<f64>)]| {
        let last = &walk[walk.len() - 1].2;
        (0..n).all(|i| last[i] >= LEVELS[LEVELS.len() - 1] * setup.s[i])
    };
    for _ in 0..=MAX_EXTENSIONS {
        if done(&walk) {
            break;
        }
        let (t0, start) = {
            let last = &walk[walk.len() - 1];
            (last.0, last.1.clone())
        };
        let local: Vec<f64> = linspace(0.0, span, COARSE_POINTS)
            .into_iter()
            .skip(1)
            .collect();
        for (dt, f) in local.iter().zip(setup.integrate(&start, &local)?) {
            let sv = singular_values(&depth::end_to_end(&f));
            walk.push((t0 + dt, f, sv));
        }
        span *= 2.0;
    }
    let mut out = vec![vec![None; LEVELS.len()]; n];
    for i in 0..n {
        for (k, &level) in LEVELS.iter().enumerate() {
            let target = level * setup.s[i];
            let Some(j) = walk.iter().position(|w| w.2[i] >= target) else {
                continue;
            };
            if j == 0 {
                out[i][k] = Some(0.0);
                continue;
            }
            let (mut ta, mut fa, mut va) = (walk[j - 1].0, walk[j - 1].1.clone(), walk[j - 1].2[i]);
            let (mut tb, mut vb) = (walk[j].0, walk[j].2[i]);
            for _ in 0..2 {
                let local = linspace(0.0, tb - ta, REFINE_POINTS);
                let fs = setup.integrate(&fa, &local[1..])?;
                let svs: Vec<f64> = fs
                    .iter()
                    .map(|f| singular_values(&depth::end_to_end(f))[i])
                    .collect();
                let m = svs
                    .iter()
                    .position(|&v| v >= target)
                    .unwrap_or(svs.len() - 1);
                let (new_ta, new_fa, new_va) = if m == 0 {
                    (ta, fa.clone(), va)
                } else {
                    (ta + local[m], fs[m - 1].clone(), svs[m - 1])
                };
                tb = ta + local[m + 1];
                vb = svs[m];
                ta = new_ta;
                fa = new_fa;
                va = new_va;
            }
            let logit = |v: f64| (v / setup.s[i]).ln() - (1.0 - v / setup.s[i]).ln();
            let (la, lb, lt) = (logit(va), logit(vb), logit(target));
            let frac = if lb > la { (lt - la) / (lb - la) } else { 1.0 };
            out[i][k] = Some(ta + frac.clamp(0.0, 1.0) * (tb - ta));
        }
    }
    Ok(out)
}

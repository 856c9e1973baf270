//! The instances every benchmark times, drawn from named seeds (ChaCha8), so that the Rust
//! benches, the Python baselines (which read the same matrices from files, see
//! [`crate::record`]) and the report agree on what was measured.
//!
//! * The target: `Y = Φ diag(l) Φᵀ` with `l` evenly spread in `[1, 4]` (distinct, positive)
//!   and `Φ` random orthogonal.
//! * The shape `Ū₀`: a square Gaussian `N(0, 1/n)` matrix. For square Gaussian shapes
//!   `cond(W̄₀) = cond(Ū₀)²` grows like `n²` with a heavy tail (issue 14), so a single draw says
//!   little about the instances users have: [`quantile_shape`] draws [`SHAPE_DRAWS`] shapes
//!   from [`SHAPES_SEED`] (draw `k` of size `n` is ChaCha8 stream `n·2³² + k`) and returns
//!   the one at a given quantile of `cond(W̄₀)` (the draw at sorted position
//!   `round(q·(draws − 1))`, deterministic). [`ShapeKind::WellConditioned`] is a random
//!   orthogonal shape (`cond(W̄₀) = 1`).
//! * Low-rank shapes (`r < n`): Gaussian `N(0, 1/n)`, `n × r`.
//! * The scale `α` = [`ALPHA`] and output times evenly spread over `[0, T_END]`; every
//!   transition (at `t ≈ log(1/α)/(2 lᵢ) ≤ 9.3`) happens inside.

use faer::Mat;
use mfflow::{Init, Target};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Scale of the initialization (issue 14's instance).
pub const ALPHA: f64 = 1e-8;
/// Last output time (past every transition: `log(1/α)/(2 l_min) ≈ 9.2`).
pub const T_END: f64 = 12.0;
/// Seed of the targets (stream `n`).
pub const TARGET_SEED: u64 = 20_251_122;
/// Seed of the Gaussian and orthogonal shapes (stream `n·2³² + k` for draw `k`).
pub const SHAPES_SEED: u64 = 20_251_123;
/// Seed of the low-rank shapes (stream `n·2³² + r`).
pub const LOW_RANK_SEED: u64 = 20_251_124;
/// Seed of the inputs of the backend comparison (stream `n`).
pub const KERNEL_SEED: u64 = 20_251_125;
/// How many shapes [`quantile_shape`] draws to find a quantile of `cond(W̄₀)`.
pub const SHAPE_DRAWS: usize = 200;

/// A ChaCha8 generator on `stream` of `seed`.
pub fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// A `rows × cols` matrix of independent `N(0, scale²)` entries.
pub fn gaussian(rows: usize, cols: usize, scale: f64, rng: &mut ChaCha8Rng) -> Mat<f64> {
    Mat::from_fn(rows, cols, |_, _| {
        let z: f64 = StandardNormal.sample(rng);
        scale * z
    })
}

/// A random orthogonal `n × n` matrix (the Q factor of a Gaussian matrix).
pub fn orthogonal(n: usize, rng: &mut ChaCha8Rng) -> Mat<f64> {
    gaussian(n, n, 1.0, rng).qr().compute_Q()
}

/// Target eigenvalues `4 … 1`, evenly spaced and distinct.
pub fn spread(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 4.0 - 3.0 * i as f64 / (n.max(2) - 1) as f64)
        .collect()
}

/// `Q diag(d) Qᵀ`, symmetrized exactly.
pub fn symmetric_from(q: &Mat<f64>, d: &[f64]) -> Mat<f64> {
    let n = q.nrows();
    let y = &Mat::from_fn(n, d.len(), |i, j| q[(i, j)] * d[j]) * q.transpose();
    Mat::from_fn(n, n, |i, j| 0.5 * (y[(i, j)] + y[(j, i)]))
}

/// The target of size `n`: `Y = Φ diag(spread(n)) Φᵀ`.
pub fn target(n: usize) -> Target {
    let phi = orthogonal(n, &mut rng(TARGET_SEED, n as u64));
    Target::new(symmetric_from(&phi, &spread(n)).as_ref()).expect("a valid target")
}

/// `cond(W̄₀) = (σ_max(Ū₀)/σ_min(Ū₀))²` of a square shape.
pub fn condition(shape: &Mat<f64>) -> f64 {
    let s = shape.singular_values().expect("the SVD converges");
    (s[0] / s[s.len() - 1]).powi(2)
}

/// Which full-rank square shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShapeKind {
    /// A random orthogonal shape, `cond(W̄₀) = 1`.
    WellConditioned,
    /// The Gaussian `N(0, 1/n)` draw at this quantile of `cond(W̄₀)` among [`SHAPE_DRAWS`].
    Quantile(f64),
}

impl ShapeKind {
    /// A short name for benchmark ids and file names (`well`, `q50`, `q99`).
    pub fn name(self) -> String {
        match self {
            ShapeKind::WellConditioned => "well".into(),
            ShapeKind::Quantile(q) => format!("q{}", (100.0 * q).round()),
        }
    }
}

/// A full-rank square shape and where it came from.
#[derive(Debug, Clone)]
pub struct Shape {
    /// `Ū₀`.
    pub u0: Mat<f64>,
    /// `cond(W̄₀)`.
    pub condition: f64,
    /// Which draw (`None` for the orthogonal shape).
    pub draw: Option<usize>,
}

/// The Gaussian `N(0, 1/n)` square shape number `k` of size `n`.
pub fn gaussian_shape(n: usize, k: usize) -> Mat<f64> {
    let stream = ((n as u64) << 32) + k as u64;
    gaussian(n, n, 1.0 / (n as f64).sqrt(), &mut rng(SHAPES_SEED, stream))
}

/// The shape of `kind` at size `n` (see the module docs). Costs [`SHAPE_DRAWS`] singular value
/// decompositions for a quantile (a few seconds at n = 256).
pub fn quantile_shape(n: usize, kind: ShapeKind) -> Shape {
    match kind {
        ShapeKind::WellConditioned => {
            let u0 = orthogonal(
                n,
                &mut rng(SHAPES_SEED, ((n as u64) << 32) + u32::MAX as u64),
            );
            Shape {
                condition: condition(&u0),
                u0,
                draw: None,
            }
        }
        ShapeKind::Quantile(q) => {
            let conds = sorted_conditions(n);
            let pos = (q * (SHAPE_DRAWS - 1) as f64).round() as usize;
            let (condition, k) = conds[pos.min(SHAPE_DRAWS - 1)];
            Shape {
                u0: gaussian_shape(n, k),
                condition,
                draw: Some(k),
            }
        }
    }
}

/// `(cond(W̄₀), draw)` of the [`SHAPE_DRAWS`] Gaussian shapes of size `n`, sorted by
/// condition (ties by draw). Computed once per n per process.
fn sorted_conditions(n: usize) -> Vec<(f64, usize)> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Sorted = Vec<(f64, usize)>;
    static CACHE: OnceLock<Mutex<HashMap<usize, Sorted>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(c) = cache.lock().expect("cache").get(&n) {
        return c.clone();
    }
    let mut conds: Vec<(f64, usize)> = (0..SHAPE_DRAWS)
        .map(|k| (condition(&gaussian_shape(n, k)), k))
        .collect();
    conds.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    cache.lock().expect("cache").insert(n, conds.clone());
    conds
}

/// An `n × r` Gaussian `N(0, 1/n)` shape (rank `r` almost surely).
pub fn low_rank_shape(n: usize, r: usize) -> Mat<f64> {
    let stream = ((n as u64) << 32) + r as u64;
    gaussian(
        n,
        r,
        1.0 / (n as f64).sqrt(),
        &mut rng(LOW_RANK_SEED, stream),
    )
}

/// `α` and a shape as an [`Init`].
pub fn init(shape: &Mat<f64>) -> Init {
    Init::new(ALPHA, shape.as_ref()).expect("a valid initialization")
}

/// The known-answer instance: spectral initialization `Ū₀ = Φ diag(√s)` with `s` in
/// `[0.5, 1.5)`, where `W(t) = Φ diag(wᵢ(t)) Φᵀ` and its eigenvalues `wᵢ(t)` are exact by
/// (12)-(13). Returns the target, the init and `s`.
pub fn spectral(n: usize) -> (Target, Init, Vec<f64>) {
    let target = target(n);
    let s: Vec<f64> = (0..n).map(|i| 0.5 + i as f64 / n as f64).collect();
    let init = Init::spectral(ALPHA, target.phi(), &s).expect("a valid init");
    (target, init, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_shapes_are_ordered_and_reproducible() {
        let n = 16;
        let well = quantile_shape(n, ShapeKind::WellConditioned);
        let median = quantile_shape(n, ShapeKind::Quantile(0.5));
        let tail = quantile_shape(n, ShapeKind::Quantile(0.99));
        // An orthogonal shape has cond 1 up to rounding of its SVD (a few n eps).
        assert!((well.condition - 1.0).abs() < 1e-12, "{}", well.condition);
        assert!(median.condition > 1.0 && tail.condition > median.condition);
        // The quantile is of the draws: sorted, q99 is position round(0.99 * 199) = 197 of
        // 0..200 (two draws above it) and the median position round(99.5) = 100.
        let conds: Vec<f64> = (0..SHAPE_DRAWS)
            .map(|k| condition(&gaussian_shape(n, k)))
            .collect();
        let above = |c: f64| conds.iter().filter(|&&x| x > c).count();
        assert_eq!(above(tail.condition), 2);
        assert_eq!(above(median.condition), SHAPE_DRAWS - 1 - 100);
        let again = quantile_shape(n, ShapeKind::Quantile(0.99));
        assert_eq!(again.draw, tail.draw);
        assert_eq!(again.u0, tail.u0);
    }

    #[test]
    fn low_rank_shapes_differ_by_rank_and_size() {
        assert_eq!(low_rank_shape(32, 8).ncols(), 8);
        assert_ne!(low_rank_shape(32, 8)[(0, 0)], low_rank_shape(32, 4)[(0, 0)]);
        assert_ne!(low_rank_shape(32, 8)[(0, 0)], low_rank_shape(64, 8)[(0, 0)]);
    }
}

//! Random instances for the tests, from fixed ChaCha seeds.
#![allow(dead_code)]

use mfflow::{Mat, MatRef};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// An n × r matrix with i.i.d. N(0, 1) entries.
pub fn gaussian(n: usize, r: usize, seed: u64) -> Mat<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Mat::from_fn(n, r, |_, _| StandardNormal.sample(&mut rng))
}

/// A Haar-ish random orthogonal matrix (Q of a Gaussian matrix).
pub fn orthogonal(n: usize, seed: u64) -> Mat<f64> {
    let g = gaussian(n, n, seed);
    g.qr().compute_Q()
}

/// `Φ diag(l) Φᵀ`.
pub fn with_spectrum(phi: MatRef<'_, f64>, l: &[f64]) -> Mat<f64> {
    let n = l.len();
    let scaled = Mat::from_fn(n, n, |i, j| phi[(i, j)] * l[j]);
    let y = &scaled * phi.transpose();
    Mat::from_fn(n, n, |i, j| 0.5 * (y[(i, j)] + y[(j, i)]))
}

/// Largest absolute entry of `a − b`.
pub fn max_diff(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    let mut m = 0.0f64;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            m = m.max((a[(i, j)] - b[(i, j)]).abs());
        }
    }
    m
}

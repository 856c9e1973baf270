//! Targets, balanced shapes and helpers shared by the parts.

use mfflow::asymmetric::balanced_pair;
use mfflow::{metrics, Mat};
use mfflow_lab::instances::{gaussian, orthonormal};
use mfflow_lab::seeds::Seeds;

/// `Y = P diag(σ) Qᵀ` with random orthonormal `P`, `Q`; returns `(Y, P, Q)`.
pub fn rectangular(
    m: usize,
    n: usize,
    sigma: &[f64],
    seeds: &Seeds,
    tag: &str,
) -> (Mat<f64>, Mat<f64>, Mat<f64>) {
    let k = sigma.len();
    let p = orthonormal(m, k, &mut seeds.stream(&format!("{tag}-left")));
    let q = orthonormal(n, k, &mut seeds.stream(&format!("{tag}-right")));
    let y = Mat::from_fn(m, n, |i, j| {
        (0..k).map(|c| p[(i, c)] * sigma[c] * q[(j, c)]).sum()
    });
    (y, p, q)
}

/// A general balanced shape with r columns: `Ū = P S`, `V̄ = Q S`, `P`, `Q` random orthonormal
/// with `k = min(m, n, r)` columns, `S` Gaussian `N(0, 1/r)`.
pub fn balanced_shape(
    m: usize,
    n: usize,
    r: usize,
    seeds: &Seeds,
    tag: &str,
) -> (Mat<f64>, Mat<f64>) {
    let k = m.min(n).min(r);
    let p = orthonormal(m, k, &mut seeds.stream(&format!("{tag}-p")));
    let q = orthonormal(n, k, &mut seeds.stream(&format!("{tag}-q")));
    let s = gaussian(
        k,
        r,
        1.0 / (r as f64).sqrt(),
        &mut seeds.stream(&format!("{tag}-s")),
    );
    balanced_pair(p.as_ref(), q.as_ref(), s.as_ref())
}

pub fn scaled(a: &Mat<f64>, c: f64) -> Mat<f64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| c * a[(i, j)])
}

/// A horizon past every transition: 3 log(1/α) / (2 σ_min) (with few columns the transitions
/// come up to ~1.5 times later than log(1/α)/(2 σ), see section 2's table).
pub fn horizon(alpha: f64, sigma_min: f64) -> f64 {
    // At least 8 in place of log(1/α): at large α the α-independent delay of a general start
    // (log(σ/s)/(2σ), section 2) is comparable to log(1/α)/(2σ) itself.
    3.0 * (1.0 / alpha).ln().max(8.0) / (2.0 * sigma_min)
}

pub fn max_product_diff(pairs: &[(Mat<f64>, Mat<f64>)], exact: &[Mat<f64>]) -> f64 {
    pairs
        .iter()
        .zip(exact)
        .map(|((u, v), p)| metrics::max_abs_diff((u * v.transpose()).as_ref(), p.as_ref()))
        .fold(0.0, f64::max)
}

/// `Φ₊ᵀ Z̄ / √2` scaled so that `Φ₊ᵀ W̄₀ Φ₊ = C Cᵀ` for `W̄₀ = Z̄ Z̄ᵀ/2`, `Z̄ = [Ū; V̄]`:
/// `C = (P_Yᵀ Ū + Q_Yᵀ V̄) / 2`.
pub fn positive_block(py: &Mat<f64>, qy: &Mat<f64>, u: &Mat<f64>, v: &Mat<f64>) -> Mat<f64> {
    let sum = py.transpose() * u + qy.transpose() * v;
    scaled(&sum, 0.5)
}

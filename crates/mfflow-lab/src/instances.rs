//! Random instances every experiment draws: Gaussian matrices, random orthonormal frames and
//! PSD targets with a prescribed spectrum in a random basis.
//!
//! Each takes the generator explicitly (a named stream of [`crate::seeds::Seeds`]), so what an
//! experiment draws is decided by its config and stream names, never by call order elsewhere.

use mfflow::{Mat, Target};
use rand_distr::{Distribution, StandardNormal};

/// A `rows × cols` matrix with i.i.d. `N(0, scale²)` entries.
pub fn gaussian(rows: usize, cols: usize, scale: f64, rng: &mut impl rand::Rng) -> Mat<f64> {
    Mat::from_fn(rows, cols, |_, _| {
        let z: f64 = StandardNormal.sample(rng);
        scale * z
    })
}

/// The first `k` columns of a random orthogonal matrix (the Q factor of a square Gaussian).
pub fn orthonormal(rows: usize, k: usize, rng: &mut impl rand::Rng) -> Mat<f64> {
    gaussian(rows, rows, 1.0, rng)
        .qr()
        .compute_Q()
        .subcols(0, k)
        .to_owned()
}

/// `Y = Φ diag(eigenvalues) Φᵀ` with `Φ` random orthogonal, symmetrized exactly.
pub fn random_basis_target(
    eigenvalues: &[f64],
    rng: &mut impl rand::Rng,
) -> Result<Target, mfflow::Error> {
    let n = eigenvalues.len();
    let phi = orthonormal(n, n, rng);
    let scaled = Mat::from_fn(n, n, |i, j| phi[(i, j)] * eigenvalues[j]);
    let y = &scaled * phi.transpose();
    let y = Mat::from_fn(n, n, |i, j| 0.5 * (y[(i, j)] + y[(j, i)]));
    Target::new(y.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_target_has_the_requested_spectrum_and_the_frame_is_orthonormal() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let l = [5.0, 3.0, 0.5, 0.0];
        let target = random_basis_target(&l, &mut rng).unwrap();
        // Eigenvalues of a 4x4 built from an orthogonal Q: backward error ~ n eps ||Y||.
        for (got, want) in target.eigenvalues().iter().zip(l) {
            assert!((got - want).abs() < 1e-13 * 5.0, "{got} vs {want}");
        }
        let q = orthonormal(6, 3, &mut rng);
        let gram = q.transpose() * &q;
        let id = Mat::<f64>::identity(3, 3);
        assert!(mfflow::metrics::max_abs_diff(gram.as_ref(), id.as_ref()) < 1e-14);
    }

    #[test]
    fn gaussian_entries_have_the_requested_scale() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let g = gaussian(200, 200, 3.0, &mut rng);
        let n = 40_000.0;
        let mean = (0..200)
            .flat_map(|i| (0..200).map(move |j| (i, j)))
            .map(|(i, j)| g[(i, j)])
            .sum::<f64>()
            / n;
        let var = (0..200)
            .flat_map(|i| (0..200).map(move |j| (i, j)))
            .map(|(i, j)| (g[(i, j)] - mean).powi(2))
            .sum::<f64>()
            / n;
        // Standard errors: mean 3/200 = 0.015, variance 9 * sqrt(2/n) = 0.064; 5 sigma margins.
        assert!(mean.abs() < 0.075, "{mean}");
        assert!((var - 9.0).abs() < 0.32, "{var}");
    }
}

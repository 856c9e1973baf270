//! Quantities read off a whole trajectory: when an eigenvalue crosses a level, how close
//! `W(t)` comes to a best rank-k approximation, and the time windows where it is within ε.
//!
//! Each scans a time grid and then refines on the exact trajectory (bisection for crossings
//! and window ends, golden-section search for minima), because the windows near `Ŷ_k` can be
//! far narrower than any grid spacing one would choose in advance.

use crate::error::Error;
use crate::metrics::spectral_error_to_rank_k;
use crate::trajectory::Trajectory;

/// Bisection / golden-section iterations: enough to reach machine precision from any bracket.
const REFINE_STEPS: usize = 60;

/// `n ≥ 2` evenly spaced points from `a` to `b`, both included.
pub fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![a],
        _ => (0..n)
            .map(|i| a + (b - a) * i as f64 / (n - 1) as f64)
            .collect(),
    }
}

/// `‖W(t) − Ŷ_k‖₂` at one time.
pub fn error_to_rank_k(traj: &Trajectory, k: usize, t: f64) -> Result<f64, Error> {
    let w = traj.w_eigenbasis(&[t])?;
    spectral_error_to_rank_k(w[0].as_ref(), traj.target().eigenvalues(), k)
}

/// `‖W(t) − Ŷ_k‖₂` on a grid.
pub fn errors_to_rank_k(traj: &Trajectory, k: usize, grid: &[f64]) -> Result<Vec<f64>, Error> {
    let l = traj.target().eigenvalues();
    traj.w_eigenbasis(grid)?
        .iter()
        .map(|w| spectral_error_to_rank_k(w.as_ref(), l, k))
        .collect()
}

/// The first time the `i`-th largest eigenvalue of `W(t)` reaches `level` (0-based `i`): the
/// first grid point at or above it, refined by bisection. `None` if no grid point reaches it.
pub fn crossing_time(
    traj: &Trajectory,
    i: usize,
    level: f64,
    grid: &[f64],
) -> Result<Option<f64>, Error> {
    let eig = traj.eigenvalues(grid)?;
    let Some(pos) = eig.iter().position(|e| e[i] >= level) else {
        return Ok(None);
    };
    if pos == 0 {
        return Ok(Some(grid[0]));
    }
    let above = |t: f64| -> Result<bool, Error> { Ok(traj.eigenvalues(&[t])?[0][i] >= level) };
    Ok(Some(bisect_boundary(grid[pos - 1], grid[pos], above)?))
}

/// `min_t ‖W(t) − Ŷ_k‖₂`: the best grid point, refined by golden-section search between its
/// neighbours.
pub fn min_error_to_rank_k(traj: &Trajectory, k: usize, grid: &[f64]) -> Result<f64, Error> {
    let errors = errors_to_rank_k(traj, k, grid)?;
    refine_minimum(traj, k, grid, &errors)
}

/// `min_t ‖W(t) − Ŷ_k‖₂` for every `k = 1..=k_max`, from one evaluation of `W` on the grid.
/// A minimum already `≤ good_enough` on the grid is returned as seen there (it can only be
/// smaller); the others are refined as in [`min_error_to_rank_k`]. This answers "does the
/// trajectory come within ε of every `Ŷ_k`" at a fraction of the cost of `k_max` separate scans.
pub fn min_errors_to_ranks(
    traj: &Trajectory,
    k_max: usize,
    grid: &[f64],
    good_enough: f64,
) -> Result<Vec<f64>, Error> {
    let l = traj.target().eigenvalues();
    let ws = traj.w_eigenbasis(grid)?;
    (1..=k_max)
        .map(|k| {
            let errors = ws
                .iter()
                .map(|w| spectral_error_to_rank_k(w.as_ref(), l, k))
                .collect::<Result<Vec<_>, _>>()?;
            let best = errors.iter().copied().fold(f64::INFINITY, f64::min);
            if best <= good_enough {
                Ok(best)
            } else {
                refine_minimum(traj, k, grid, &errors)
            }
        })
        .collect()
}

/// Golden-section refinement of the grid minimum of `errors` (the errors to `Ŷ_k` on `grid`).
fn refine_minimum(traj: &Trajectory, k: usize, grid: &[f64], errors: &[f64]) -> Result<f64, Error> {
    let (j, best) = errors
        .iter()
        .copied()
        .enumerate()
        .fold(
            (0, f64::INFINITY),
            |acc, (j, e)| if e < acc.1 { (j, e) } else { acc },
        );
    if grid.len() < 3 {
        return Ok(best);
    }
    let (mut a, mut b) = (grid[j.saturating_sub(1)], grid[(j + 1).min(grid.len() - 1)]);
    let ratio = 0.5 * (5f64.sqrt() - 1.0);
    let (mut c, mut d) = (b - ratio * (b - a), a + ratio * (b - a));
    let (mut fc, mut fd) = (error_to_rank_k(traj, k, c)?, error_to_rank_k(traj, k, d)?);
    for _ in 0..REFINE_STEPS {
        if fc < fd {
            b = d;
            (d, fd) = (c, fc);
            c = b - ratio * (b - a);
            fc = error_to_rank_k(traj, k, c)?;
        } else {
            a = c;
            (c, fc) = (d, fd);
            d = a + ratio * (b - a);
            fd = error_to_rank_k(traj, k, d)?;
        }
    }
    Ok(best.min(fc).min(fd))
}

/// The maximal time windows where `‖W(t) − Ŷ_k‖₂ ≤ eps`, as seen on the grid, with each end
/// refined by bisection between the grid points around it. A window still open at the last
/// grid point ends there.
pub fn windows_within(
    traj: &Trajectory,
    k: usize,
    eps: f64,
    grid: &[f64],
) -> Result<Vec<(f64, f64)>, Error> {
    let errors = errors_to_rank_k(traj, k, grid)?;
    let inside = |t: f64| -> Result<bool, Error> { Ok(error_to_rank_k(traj, k, t)? <= eps) };
    let mut windows = Vec::new();
    let mut start: Option<f64> = None;
    for j in 0..grid.len() {
        let ok = errors[j] <= eps;
        match (ok, start) {
            (true, None) => {
                start = Some(if j == 0 {
                    grid[0]
                } else {
                    // The boundary from outside (j−1) to inside (j).
                    bisect_boundary(grid[j - 1], grid[j], inside)?
                });
            }
            (false, Some(s)) => {
                let end = bisect_boundary(grid[j - 1], grid[j], |t| Ok(!inside(t)?))?;
                windows.push((s, end));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        windows.push((s, grid[grid.len() - 1]));
    }
    Ok(windows)
}

/// The point in `[lo, hi]` where `pred` switches from false (at `lo`) to true (at `hi`).
fn bisect_boundary(
    mut lo: f64,
    mut hi: f64,
    pred: impl Fn(f64) -> Result<bool, Error>,
) -> Result<f64, Error> {
    for _ in 0..REFINE_STEPS {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if pred(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(0.5 * (lo + hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{spectral, Form, Init, Target};
    use faer::Mat;

    /// Diagonal target, identity shape: everything is scalar and known in closed form.
    fn scalar_case() -> (Trajectory, f64) {
        let target = Target::diagonal(&[2.0, 1.0]).unwrap();
        let alpha = 1e-6;
        let init = Init::new(alpha, Mat::<f64>::identity(2, 2).as_ref()).unwrap();
        (Trajectory::new(&target, &init, Form::Auto).unwrap(), alpha)
    }

    #[test]
    fn crossing_time_matches_the_closed_form_half_time() {
        let (traj, alpha) = scalar_case();
        let grid = linspace(0.0, 20.0, 50);
        let t = crossing_time(&traj, 0, 1.0, &grid).unwrap().unwrap();
        let exact = spectral::half_time(2.0, 1.0, alpha).unwrap();
        assert!((t - exact).abs() < 1e-12, "{t} vs {exact}");
        assert!(crossing_time(&traj, 0, 5.0, &grid).unwrap().is_none());
    }

    #[test]
    fn windows_and_minima_match_the_scalar_solution() {
        // ‖W − Ŷ_1‖ = max(|w₁ − 2|, w₂): within eps once w₁ ≥ 2 − eps and while w₂ ≤ eps.
        let (traj, alpha) = scalar_case();
        let eps = 0.1;
        let grid = linspace(0.0, 30.0, 300);
        let windows = windows_within(&traj, 1, eps, &grid).unwrap();
        assert_eq!(windows.len(), 1);
        // w₁ = 2 − eps at log((2 − a)(2 − eps)/(a eps)) / 4, w₂ = eps at log(eps(1 − a)/(a(1 − eps))) / 2.
        let a = alpha;
        let start = (((2.0 - a) * (2.0 - eps)) / (a * eps)).ln() / 4.0;
        let end = ((eps * (1.0 - a)) / (a * (1.0 - eps))).ln() / 2.0;
        assert!(
            (windows[0].0 - start).abs() < 1e-9,
            "{:?} vs {start}",
            windows[0]
        );
        assert!(
            (windows[0].1 - end).abs() < 1e-9,
            "{:?} vs {end}",
            windows[0]
        );
        // The minimum over t lies inside the window and is below eps.
        let m = min_error_to_rank_k(&traj, 1, &grid).unwrap();
        assert!(m < eps);
        assert_eq!(linspace(0.0, 1.0, 3), vec![0.0, 0.5, 1.0]);
    }

    #[test]
    fn all_minima_at_once_agree_with_one_at_a_time() {
        // Same grid, same refinement: with good_enough = 0 every k is refined, so the two
        // routes do the same arithmetic and must agree exactly. With good_enough = eps the
        // minima that are already below eps on the grid are returned unrefined (>= refined).
        let (traj, _) = scalar_case();
        let grid = linspace(0.0, 30.0, 120);
        let all = min_errors_to_ranks(&traj, 2, &grid, 0.0).unwrap();
        for (k, m) in all.iter().enumerate() {
            assert_eq!(*m, min_error_to_rank_k(&traj, k + 1, &grid).unwrap());
        }
        let coarse = min_errors_to_ranks(&traj, 2, &grid, 0.1).unwrap();
        for (c, m) in coarse.iter().zip(&all) {
            assert!(c >= m && *c <= 0.1, "{c} vs {m}");
        }
    }
}

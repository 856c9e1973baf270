//! The experiment's parameters (`config.toml`) and the limits validation states for them.

use mfflow_lab::config::{alphas, count, positive, Validate, MAX_POINTS};
use serde::{Deserialize, Serialize};

/// The experiment's parameters.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Master seed of every random stream.
    pub master_seed: u64,
    /// Accuracy of the gap sweep.
    pub eps: f64,
    pub gap: Gap,
    pub split: Split,
    pub rank: Rank,
}

/// Part 1: the gap sweep.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    pub rhos: Vec<f64>,
    pub near_repeated: Vec<u32>,
    pub zeros: usize,
    pub general_shapes: usize,
    pub fit_from_rho: f64,
    pub time_points: usize,
    pub bisection_steps: usize,
}

/// Part 2: the scale/shape split.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    pub eigenvalues: Vec<f64>,
    pub eps: f64,
    pub columns: Vec<usize>,
    pub shapes: usize,
    pub factors: Vec<f64>,
}

/// Part 3: r < n.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rank {
    pub eigenvalues: Vec<f64>,
    pub eps: f64,
    pub alpha: f64,
    pub columns: Vec<usize>,
    pub random_shapes: usize,
    pub search_starts: usize,
    pub search_steps: usize,
    pub grid_points: usize,
    pub conjecture_columns: usize,
    pub conjecture_direction: usize,
    pub conjecture_deltas: Vec<f64>,
}

impl Config {
    /// Every rho of the sweep, ascending: `rhos` and `1 − 10^{−j}`.
    pub fn all_rhos(&self) -> Vec<f64> {
        let mut all = self.gap.rhos.clone();
        all.extend(
            self.gap
                .near_repeated
                .iter()
                .map(|&j| 1.0 - 10f64.powi(-(j as i32))),
        );
        all.sort_by(f64::total_cmp);
        all
    }
}

/// Distinct, descending, nonnegative, at least one positive; eps at most min(l_K, 1).
fn spectrum(key: &str, l: &[f64], eps: f64) -> std::result::Result<(), String> {
    if l.is_empty() || l.iter().any(|v| !v.is_finite() || *v < 0.0) || l[0] <= 0.0 {
        return Err(format!(
            "{key}: must be finite, >= 0, with a positive first entry"
        ));
    }
    let positive: Vec<f64> = l.iter().copied().filter(|&v| v > 0.0).collect();
    if positive.windows(2).any(|w| w[1] >= w[0]) || l.windows(2).any(|w| w[1] > w[0]) {
        return Err(format!(
            "{key}: the positive eigenvalues must be distinct and in descending order, zeros last"
        ));
    }
    let bound = positive[positive.len() - 1].min(1.0);
    if !(eps > 0.0 && eps <= bound) {
        return Err(format!(
            "{key}: eps = {eps} must be in (0, min(l_K, 1) = {bound}] (where Theorem 4 applies)"
        ));
    }
    Ok(())
}

impl Validate for Config {
    fn validate(&self) -> std::result::Result<(), String> {
        positive("eps", &[self.eps])?;
        let g = &self.gap;
        if g.rhos.is_empty() || g.rhos.iter().any(|r| !(*r > 0.0 && *r < 1.0)) {
            return Err("gap.rhos: every rho must be in (0, 1)".into());
        }
        if let Some(r) = g.rhos.iter().find(|&&r| self.eps > r) {
            return Err(format!(
                "gap.rhos: rho = {r} is below eps = {}, where the theorems stop applying",
                self.eps
            ));
        }
        if let Some(j) = g.near_repeated.iter().find(|j| !(1..=12).contains(*j)) {
            return Err(format!("gap.near_repeated: j must be in 1..=12, got {j}"));
        }
        count("gap.zeros", g.zeros, 0, 8)?;
        count("gap.general_shapes", g.general_shapes, 1, 64)?;
        if !(g.fit_from_rho >= 0.0 && g.fit_from_rho < 1.0) {
            return Err("gap.fit_from_rho: must be in [0, 1)".into());
        }
        count("gap.time_points", g.time_points, 10, MAX_POINTS)?;
        count("gap.bisection_steps", g.bisection_steps, 1, 200)?;
        let s = &self.split;
        spectrum("split.eigenvalues", &s.eigenvalues, s.eps)?;
        let n = s.eigenvalues.len();
        if s.columns.is_empty() || s.columns.iter().any(|&r| r < n || r > 64) {
            return Err(format!(
                "split.columns: every r must be in {n}..=64 (Theorem 4 needs r >= n)"
            ));
        }
        count("split.shapes", s.shapes, 1, 10_000)?;
        positive("split.factors", &s.factors)?;
        if let Some(c) = s.factors.iter().find(|c| !(1e-30..=1e30).contains(*c)) {
            return Err(format!(
                "split.factors: each must be in [1e-30, 1e30], got {c:e}"
            ));
        }
        let r = &self.rank;
        spectrum("rank.eigenvalues", &r.eigenvalues, r.eps)?;
        alphas("rank.alpha", &[r.alpha])?;
        let n = r.eigenvalues.len();
        if r.columns.is_empty() || r.columns.iter().any(|&c| c == 0 || c > 4 * n) {
            return Err(format!("rank.columns: every r must be in 1..={}", 4 * n));
        }
        count("rank.random_shapes", r.random_shapes, 1, 100_000)?;
        count("rank.search_starts", r.search_starts, 0, 1000)?;
        count("rank.search_steps", r.search_steps, 0, 100_000)?;
        count("rank.grid_points", r.grid_points, 2, MAX_POINTS)?;
        count("rank.conjecture_columns", r.conjecture_columns, 1, n - 1)?;
        count("rank.conjecture_direction", r.conjecture_direction, 1, n)?;
        positive("rank.conjecture_deltas", &r.conjecture_deltas)?;
        if let Some(d) = r
            .conjecture_deltas
            .iter()
            .find(|d| !(1e-12..=1.0).contains(*d))
        {
            return Err(format!(
                "rank.conjecture_deltas: each must be in [1e-12, 1], got {d:e}"
            ));
        }
        Ok(())
    }
}

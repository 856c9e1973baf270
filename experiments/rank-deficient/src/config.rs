//! The experiment's parameters (`config.toml`) and the limits validation states for them.

use mfflow_lab::config::{alphas, count, positive, Validate, MAX_POINTS};
use serde::{Deserialize, Serialize};

/// The experiment's parameters (`config.toml`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub master_seed: u64,
    pub eigenvalues: Vec<f64>,
    pub alpha: f64,
    pub eps: f64,
    pub time_points: usize,
    pub ranks: Vec<usize>,
    pub figure_ranks: Vec<usize>,
    pub extra_columns: usize,
    pub deficient_ranks: Vec<usize>,
    pub missing_direction: usize,
    pub leak_sizes: Vec<f64>,
    pub ode_ranks: Vec<usize>,
    pub ode_points: usize,
    pub conjecture_tolerance: f64,
    pub counterexample_columns: usize,
    pub counterexample_direction: usize,
    pub counterexample_deltas: Vec<f64>,
    pub counterexample_points: usize,
}

impl Validate for Config {
    fn validate(&self) -> std::result::Result<(), String> {
        let n = self.eigenvalues.len();
        if n < 2 {
            return Err("eigenvalues: need at least two".into());
        }
        if let Some(bad) = self
            .eigenvalues
            .iter()
            .find(|v| !(v.is_finite() && **v >= 0.0))
        {
            return Err(format!(
                "eigenvalues: must be finite and >= 0 (a PSD target), got {bad}"
            ));
        }
        let mut nonzero: Vec<f64> = self
            .eigenvalues
            .iter()
            .copied()
            .filter(|v| *v > 0.0)
            .collect();
        nonzero.sort_by(|a, b| b.total_cmp(a));
        if nonzero.is_empty() || nonzero.windows(2).any(|w| w[0] == w[1]) {
            return Err("eigenvalues: the nonzero ones must exist and be distinct".into());
        }
        alphas("alpha", &[self.alpha])?;
        positive("eps", &[self.eps])?;
        if self.eps > nonzero[nonzero.len() - 1].min(1.0) {
            return Err(format!(
                "eps: must be <= min(l_K, 1) = {}",
                nonzero[nonzero.len() - 1].min(1.0)
            ));
        }
        count("time_points", self.time_points, 10, MAX_POINTS)?;
        self.validate_parts(n)
    }
}

impl Config {
    /// The keys of the parts: ranks, the missing direction, leaks, counterexamples, ODE.
    fn validate_parts(&self, n: usize) -> std::result::Result<(), String> {
        for (key, list, max) in [
            ("ranks", &self.ranks, n),
            ("figure_ranks", &self.figure_ranks, n),
            ("ode_ranks", &self.ode_ranks, n),
            ("deficient_ranks", &self.deficient_ranks, n - 1),
        ] {
            if list.is_empty() {
                return Err(format!("{key}: must not be empty"));
            }
            if let Some(bad) = list.iter().find(|&&r| r == 0 || r > max) {
                return Err(format!(
                    "{key}: every entry must be in 1..={max}, got {bad}"
                ));
            }
        }
        if let Some(r) = self.figure_ranks.iter().find(|r| !self.ranks.contains(r)) {
            return Err(format!("figure_ranks: {r} is not in ranks"));
        }
        if !(1..=n).contains(&self.missing_direction) {
            return Err(format!(
                "missing_direction: must be in 1..={n}, got {}",
                self.missing_direction
            ));
        }
        let mut sorted = self.eigenvalues.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        if sorted[self.missing_direction - 1] == 0.0 {
            return Err("missing_direction: must name a nonzero eigenvalue (a zero one is never learned anyway)".into());
        }
        positive("leak_sizes", &self.leak_sizes)?;
        positive("conjecture_tolerance", &[self.conjecture_tolerance])?;
        positive("counterexample_deltas", &self.counterexample_deltas)?;
        if sorted
            .get(self.counterexample_direction.wrapping_sub(1))
            .is_none_or(|&v| v == 0.0)
        {
            return Err(format!(
                "counterexample_direction: must name a nonzero eigenvalue (1..=K), got {}",
                self.counterexample_direction
            ));
        }
        if self.counterexample_columns < self.counterexample_direction
            || self.counterexample_columns >= n
        {
            return Err(format!(
                "counterexample_columns: must be in counterexample_direction..n-1 = {}..{}, got {}",
                self.counterexample_direction,
                n - 1,
                self.counterexample_columns
            ));
        }
        if !(2..=100_000).contains(&self.counterexample_points) {
            return Err(format!(
                "counterexample_points: must be in 2..=100000, got {}",
                self.counterexample_points
            ));
        }
        count("ode_points", self.ode_points, 2, MAX_POINTS)?;
        Ok(())
    }
}

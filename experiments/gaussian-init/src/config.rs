//! The experiment's parameters (`config.toml`) and the limits validation states for them.

use mfflow_lab::config::{alphas, count, positive, Validate, MAX_POINTS};
use serde::{Deserialize, Serialize};

/// The experiment's parameters (`config.toml`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    pub(crate) master_seed: u64,
    pub(crate) sizes: Vec<usize>,
    pub(crate) ratios: Vec<f64>,
    pub(crate) draws: usize,
    pub(crate) deltas: Vec<f64>,
    pub(crate) confidence: f64,
    pub(crate) target_eigenvalues: Vec<f64>,
    pub(crate) eps: f64,
    pub(crate) learning_sizes: Vec<usize>,
    pub(crate) learning_ratios: Vec<f64>,
    pub(crate) learning_draws: usize,
    pub(crate) alpha_largest: f64,
    pub(crate) alpha_smallest: f64,
    pub(crate) alphas_per_decade: usize,
    pub(crate) time_points: usize,
    pub(crate) interval_points: usize,
}

/// `r = ratio · n`, when that is a whole number of columns.
pub(crate) fn columns(n: usize, ratio: f64) -> Option<usize> {
    let r = ratio * n as f64;
    (r.fract() == 0.0 && r >= n as f64).then_some(r as usize)
}

impl Validate for Config {
    fn validate(&self) -> std::result::Result<(), String> {
        let k = self.target_eigenvalues.len();
        if self.sizes.is_empty() || self.sizes.windows(2).any(|w| w[0] >= w[1]) {
            return Err("sizes: must be non-empty and strictly increasing".into());
        }
        if self.sizes[0] < k.max(2) {
            return Err(format!(
                "sizes: every n must be >= 2 and >= the number of target_eigenvalues ({k}), got {}",
                self.sizes[0]
            ));
        }
        if self.ratios.is_empty() || self.ratios.windows(2).any(|w| w[0] >= w[1]) {
            return Err("ratios: must be non-empty and strictly increasing".into());
        }
        for &ratio in &self.ratios {
            if let Some(n) = self.sizes.iter().find(|&&n| columns(n, ratio).is_none()) {
                return Err(format!(
                    "ratios: {ratio} must be >= 1 and give a whole number of columns r = ratio * n (n = {n} gives {})",
                    ratio * *n as f64
                ));
            }
        }
        count("draws", self.draws, 100, 1_000_000)?;
        if self.deltas.is_empty() || self.deltas.iter().any(|d| !(*d > 0.0 && *d < 1.0)) {
            return Err("deltas: must be non-empty, each in (0, 1)".into());
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(format!(
                "confidence: must be in (0, 1), got {}",
                self.confidence
            ));
        }
        positive("target_eigenvalues", &self.target_eigenvalues)?;
        if self.target_eigenvalues.windows(2).any(|w| w[0] <= w[1]) {
            return Err("target_eigenvalues: must be strictly decreasing (distinct)".into());
        }
        positive("eps", &[self.eps])?;
        let bound = self.target_eigenvalues[k - 1].min(1.0);
        if self.eps > bound {
            return Err(format!("eps: must be <= min(l_K, 1) = {bound}"));
        }
        if let Some(n) = self.learning_sizes.iter().find(|n| !self.sizes.contains(n)) {
            return Err(format!("learning_sizes: {n} is not in sizes"));
        }
        if let Some(r) = self
            .learning_ratios
            .iter()
            .find(|r| !self.ratios.contains(r))
        {
            return Err(format!("learning_ratios: {r} is not in ratios"));
        }
        if self.learning_sizes.is_empty() || self.learning_ratios.is_empty() {
            return Err("learning_sizes, learning_ratios: must not be empty".into());
        }
        count("learning_draws", self.learning_draws, 10, MAX_POINTS)?;
        alphas("alpha_largest", &[self.alpha_largest])?;
        alphas("alpha_smallest", &[self.alpha_smallest])?;
        if self.alpha_smallest >= self.alpha_largest {
            return Err("alpha_smallest: must be below alpha_largest".into());
        }
        count("alphas_per_decade", self.alphas_per_decade, 1, 100)?;
        count("time_points", self.time_points, 20, MAX_POINTS)?;
        count("interval_points", self.interval_points, 2, MAX_POINTS)?;
        if let Some(n) = self.sizes.iter().find(|&&n| n > 1024) {
            return Err(format!("sizes: every n must be <= 1024, got {n}"));
        }
        Ok(())
    }
}

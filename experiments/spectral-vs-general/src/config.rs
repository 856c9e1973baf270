//! The experiment's parameters (`config.toml`) and the limits validation states for them.

use mfflow_lab::config::{alphas, count, positive, Validate, MAX_POINTS};
use serde::{Deserialize, Serialize};

/// The experiment's parameters (`config.toml`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub master_seed: u64,
    pub eigenvalues: Vec<f64>,
    pub figure_alpha: f64,
    pub panel_alphas: Vec<f64>,
    pub time_points: usize,
    pub sweep_alphas: Vec<f64>,
    pub eps: Vec<f64>,
    pub theorem_alphas: Vec<f64>,
    pub grid_points: usize,
    pub bisection_steps: usize,
    pub cross_check: CrossCheck,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CrossCheck {
    pub alpha: f64,
    pub etas: Vec<f64>,
    pub points: usize,
}

impl Validate for Config {
    fn validate(&self) -> std::result::Result<(), String> {
        positive("eigenvalues", &self.eigenvalues)?;
        let mut sorted = self.eigenvalues.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err("eigenvalues: must be distinct (both theorems need it)".into());
        }
        alphas("figure_alpha", &[self.figure_alpha])?;
        alphas("panel_alphas", &self.panel_alphas)?;
        alphas("sweep_alphas", &self.sweep_alphas)?;
        let mut sweep = self.sweep_alphas.clone();
        sweep.sort_by(f64::total_cmp);
        if let Some(w) = sweep.windows(2).find(|w| w[1] > 10.0 * w[0] * (1.0 + 1e-9)) {
            return Err(format!(
                "sweep_alphas: must include every decade of its range (no gap wider than a factor 10), but jumps from {:e} to {:e}",
                w[0], w[1]
            ));
        }
        alphas("theorem_alphas", &self.theorem_alphas)?;
        positive("eps", &self.eps)?;
        let bound = sorted[sorted.len() - 1].min(1.0);
        if let Some(e) = self.eps.iter().find(|&&e| e > bound) {
            return Err(format!(
                "eps: {e} exceeds min(l_K, 1) = {bound}, where Theorem 4 stops applying"
            ));
        }
        count("time_points", self.time_points, 10, MAX_POINTS)?;
        count("grid_points", self.grid_points, 2, MAX_POINTS)?;
        if !(1..=200).contains(&self.bisection_steps) {
            return Err(format!(
                "bisection_steps: must be in 1..=200, got {}",
                self.bisection_steps
            ));
        }
        alphas("cross_check.alpha", &[self.cross_check.alpha])?;
        positive("cross_check.etas", &self.cross_check.etas)?;
        if let Some(eta) = self
            .cross_check
            .etas
            .iter()
            .find(|e| !(1e-5..=0.1).contains(*e))
        {
            return Err(format!(
                "cross_check.etas: every step must be in [1e-5, 0.1] (smaller ones take millions of steps), got {eta:e}"
            ));
        }
        count("cross_check.points", self.cross_check.points, 2, MAX_POINTS)?;
        Ok(())
    }
}

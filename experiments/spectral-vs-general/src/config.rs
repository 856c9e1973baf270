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
    pub talk: Talk,
}

/// The talk's learning-curve figures (its Figures 3 and 4 give no values).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Talk {
    /// Figure 3: the singular value of the one mode, its alpha, and the curve's points.
    pub mode: f64,
    pub mode_alpha: f64,
    pub points: usize,
    /// Both figures: the accuracy eps of the bounds and of the transition phases.
    pub eps: f64,
    /// Figure 4: the modes, the largest alpha, `M` (each alpha is `e^-M` times the previous)
    /// and how many alphas.
    pub modes: Vec<f64>,
    pub alpha_start: f64,
    pub log_factor: f64,
    pub alpha_count: usize,
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
        self.talk.validate()
    }
}

impl Talk {
    fn validate(&self) -> std::result::Result<(), String> {
        positive("talk.mode", &[self.mode])?;
        alphas("talk.mode_alpha", &[self.mode_alpha])?;
        count("talk.points", self.points, 10, MAX_POINTS)?;
        positive("talk.modes", &self.modes)?;
        if self.modes.windows(2).any(|w| w[0] <= w[1]) {
            return Err("talk.modes: must be strictly decreasing".into());
        }
        let smallest = self.modes.iter().copied().fold(self.mode, f64::min);
        if !(self.eps > 0.0 && self.eps < smallest / 2.0) {
            return Err(format!(
                "talk.eps: must be in (0, {}) (half the smallest mode), got {}",
                smallest / 2.0,
                self.eps
            ));
        }
        if !(self.log_factor > 0.0 && self.log_factor <= 100.0) {
            return Err(format!(
                "talk.log_factor: must be in (0, 100], got {}",
                self.log_factor
            ));
        }
        count("talk.alpha_count", self.alpha_count, 2, 10)?;
        let last = self.alpha_start * (-(self.alpha_count as f64 - 1.0) * self.log_factor).exp();
        alphas("talk.alpha_start", &[self.alpha_start, last])?;
        if self.alpha_start >= smallest {
            return Err(format!(
                "talk.alpha_start: must be below the smallest mode {smallest}, got {}",
                self.alpha_start
            ));
        }
        Ok(())
    }
}

//! The experiment's parameters (`config.toml`) and the limits validation states for them.

use mfflow_lab::config::{alphas, count, positive, Validate, MAX_POINTS};
use serde::{Deserialize, Serialize};

/// Smallest alpha of the random-start sweeps: below it the hidden factors' α-level components
/// (`α^{1/L}` beside learned entries of size 1) are resolved by the integrator to worse than
/// `rtol / α^{1/L}` ≈ 1e-4 of themselves at `L = 2` (see `mfflow::depth::integrate_factors`).
pub const MIN_RANDOM_ALPHA: f64 = 1e-16;

/// The experiment's parameters.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Master seed of every random stream.
    pub master_seed: u64,
    /// The target's singular values (distinct, > 0).
    pub singular_values: Vec<f64>,
    /// Depths L compared.
    pub depths: Vec<usize>,
    /// End-to-end initialization size `‖W(0)‖₂` of the learning curves.
    pub curves_alpha: f64,
    /// Points of each curve's time grid.
    pub time_points: usize,
    /// Alphas of the balanced (exact) first-learning-time sweep.
    pub sweep_alphas: Vec<f64>,
    /// Alphas of the random (integrated) sweep.
    pub random_alphas: Vec<f64>,
    /// How many of the smallest sweep alphas the exponent is fitted on.
    pub fit_points: usize,
    /// Integrator relative tolerance.
    pub rtol: f64,
    /// Gradient descent in the spirit of the talk's Figure 2.
    pub figure2: Figure2,
    /// Cross-checks of the integrator and gradient descent.
    pub cross_check: CrossCheck,
}

/// Gradient descent from a random small start.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Figure2 {
    pub depths: Vec<usize>,
    pub alpha: f64,
    pub eta: f64,
    pub points: usize,
}

/// The integrator against the exact flows, gradient descent against the integrator.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CrossCheck {
    pub alpha: f64,
    pub etas: Vec<f64>,
    pub points: usize,
}

fn depths(key: &str, values: &[usize]) -> std::result::Result<(), String> {
    if values.is_empty() {
        return Err(format!("{key}: must not be empty"));
    }
    if let Some(d) = values.iter().find(|d| !(2..=12).contains(*d)) {
        return Err(format!(
            "{key}: every depth must be in 2..=12 (the hidden factors of deeper products underflow at small alpha), got {d}"
        ));
    }
    if values.windows(2).any(|w| w[0] >= w[1]) {
        return Err(format!("{key}: must be increasing, got {values:?}"));
    }
    Ok(())
}

fn random_alphas(key: &str, values: &[f64]) -> std::result::Result<(), String> {
    alphas(key, values)?;
    if let Some(a) = values.iter().find(|a| **a < MIN_RANDOM_ALPHA || **a > 0.1) {
        return Err(format!(
            "{key}: random starts are integrated for alpha in [{MIN_RANDOM_ALPHA:e}, 0.1] (below, the integrator no longer resolves their alpha-level components; above, the start is not small), got {a:e}"
        ));
    }
    Ok(())
}

/// Distinct, with every decade of the range (no gap wider than a factor 10).
fn decades(key: &str, values: &[f64]) -> std::result::Result<(), String> {
    let mut sweep = values.to_vec();
    sweep.sort_by(f64::total_cmp);
    if sweep.windows(2).any(|w| w[0] == w[1]) {
        return Err(format!("{key}: must be distinct"));
    }
    if let Some(w) = sweep.windows(2).find(|w| w[1] > 10.0 * w[0] * (1.0 + 1e-9)) {
        return Err(format!(
            "{key}: must include every decade of its range (no gap wider than a factor 10), but jumps from {:e} to {:e}",
            w[0], w[1]
        ));
    }
    Ok(())
}

impl Validate for Config {
    fn validate(&self) -> std::result::Result<(), String> {
        positive("singular_values", &self.singular_values)?;
        if self.singular_values.len() < 2 || self.singular_values.len() > 8 {
            return Err(format!(
                "singular_values: need 2 to 8 of them, got {}",
                self.singular_values.len()
            ));
        }
        if self.singular_values.windows(2).any(|w| w[0] <= w[1]) {
            return Err("singular_values: must be distinct and in decreasing order".into());
        }
        depths("depths", &self.depths)?;
        random_alphas("curves_alpha", &[self.curves_alpha])?;
        count("time_points", self.time_points, 20, MAX_POINTS)?;
        alphas("sweep_alphas", &self.sweep_alphas)?;
        if let Some(a) = self.sweep_alphas.iter().find(|a| **a > 0.1) {
            return Err(format!(
                "sweep_alphas: must be at most 0.1 (a small start), got {a:e}"
            ));
        }
        decades("sweep_alphas", &self.sweep_alphas)?;
        random_alphas("random_alphas", &self.random_alphas)?;
        decades("random_alphas", &self.random_alphas)?;
        count(
            "fit_points",
            self.fit_points,
            2,
            self.sweep_alphas.len().min(self.random_alphas.len()),
        )?;
        if !(1e-14..=1e-6).contains(&self.rtol) {
            return Err(format!(
                "rtol: must be in [1e-14, 1e-6], got {:e}",
                self.rtol
            ));
        }
        depths("figure2.depths", &self.figure2.depths)?;
        random_alphas("figure2.alpha", &[self.figure2.alpha])?;
        if !(1e-5..=0.05).contains(&self.figure2.eta) {
            return Err(format!(
                "figure2.eta: must be in [1e-5, 0.05] (smaller takes millions of steps, larger diverges), got {:e}",
                self.figure2.eta
            ));
        }
        count("figure2.points", self.figure2.points, 10, MAX_POINTS)?;
        random_alphas("cross_check.alpha", &[self.cross_check.alpha])?;
        positive("cross_check.etas", &self.cross_check.etas)?;
        if let Some(eta) = self
            .cross_check
            .etas
            .iter()
            .find(|e| !(1e-4..=0.02).contains(*e))
        {
            return Err(format!(
                "cross_check.etas: every step must be in [1e-4, 0.02], got {eta:e}"
            ));
        }
        count("cross_check.points", self.cross_check.points, 2, MAX_POINTS)?;
        Ok(())
    }
}

//! The experiment's parameters (`config.toml`) and the limits validation states for them.

use mfflow_lab::config::{alphas, count, positive, Validate, MAX_POINTS};
use serde::{Deserialize, Serialize};

/// The experiment's parameters.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Master seed of every random stream.
    pub master_seed: u64,
    /// The target's eigenvalues.
    pub eigenvalues: Vec<f64>,
    /// Columns of the initialization shape.
    pub rank: usize,
    /// Initialization scale.
    pub alpha: f64,
    /// Points of the time grid.
    pub time_points: usize,
}

impl Validate for Config {
    fn validate(&self) -> std::result::Result<(), String> {
        positive("eigenvalues", &self.eigenvalues)?;
        alphas("alpha", &[self.alpha])?;
        count("rank", self.rank, 1, 1024)?;
        count("time_points", self.time_points, 2, MAX_POINTS)?;
        Ok(())
    }
}

//! The experiment's parameters (`config.toml`) and the limits validation states for them.

use mfflow_lab::config::{alphas, count, positive, Validate, MAX_POINTS};
use serde::{Deserialize, Serialize};

/// The experiment's parameters (`config.toml`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub master_seed: u64,
    pub singular_values: Vec<f64>,
    pub agreement_instances: Vec<[usize; 4]>,
    pub agreement_alpha: f64,
    pub agreement_points: usize,
    pub gd_eta: f64,
    pub m: usize,
    pub n: usize,
    pub rank: usize,
    pub r_values: Vec<usize>,
    pub alphas: Vec<f64>,
    pub time_points: usize,
    pub unbalanced_alphas: Vec<f64>,
    pub rhos: Vec<f64>,
    pub unbalanced_points: usize,
    pub eps: f64,
    pub window_alphas: Vec<f64>,
    pub general_window_draws: usize,
    pub general_window_alphas: Vec<f64>,
}

impl Validate for Config {
    fn validate(&self) -> std::result::Result<(), String> {
        positive("singular_values", &self.singular_values)?;
        if self.singular_values.windows(2).any(|w| w[0] <= w[1]) {
            return Err("singular_values: must be strictly decreasing".into());
        }
        let max_rank = self.singular_values.len();
        for (i, &[m, n, rank, r]) in self.agreement_instances.iter().enumerate() {
            if m == 0 || n == 0 || r == 0 || rank == 0 || rank > m.min(n) || rank > max_rank {
                return Err(format!(
                    "agreement_instances[{i}]: [m, n, rank, r] needs m, n, r >= 1 and 1 <= rank <= min(m, n, {max_rank})"
                ));
            }
        }
        if self.rank == 0 || self.rank > self.m.min(self.n) || self.rank > max_rank {
            return Err(format!(
                "rank: must be in 1..={}",
                self.m.min(self.n).min(max_rank)
            ));
        }
        if let Some(bad) = self.r_values.iter().find(|&&r| r == 0) {
            return Err(format!("r_values: must be >= 1, got {bad}"));
        }
        alphas("agreement_alpha", &[self.agreement_alpha])?;
        positive("gd_eta", &[self.gd_eta])?;
        if !(1e-5..=0.1).contains(&self.gd_eta) {
            return Err(format!(
                "gd_eta: must be in [1e-5, 0.1] (smaller steps take millions of iterations), got {:e}",
                self.gd_eta
            ));
        }
        alphas("alphas", &self.alphas)?;
        alphas("unbalanced_alphas", &self.unbalanced_alphas)?;
        positive("rhos", &self.rhos)?;
        alphas("window_alphas", &self.window_alphas)?;
        alphas("general_window_alphas", &self.general_window_alphas)?;
        if !(1..=20).contains(&self.general_window_draws) {
            return Err(format!(
                "general_window_draws: must be in 1..=20, got {}",
                self.general_window_draws
            ));
        }
        positive("eps", &[self.eps])?;
        if self.eps > self.singular_values[self.rank - 1] {
            return Err(format!(
                "eps: must be <= the smallest learned singular value {}",
                self.singular_values[self.rank - 1]
            ));
        }
        for (key, v, min) in [
            ("agreement_points", self.agreement_points, 2),
            ("time_points", self.time_points, 10),
            ("unbalanced_points", self.unbalanced_points, 2),
        ] {
            count(key, v, min, MAX_POINTS)?;
        }
        Ok(())
    }
}

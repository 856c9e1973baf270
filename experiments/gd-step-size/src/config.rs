//! The experiment's parameters (`config.toml`) and the limits validation states for them.
//!
//! Step sizes are given as `eta * l_1` (keys `eta_l1`): the stability limit of the fixed point
//! `W = Y` is `eta * l_1 = 1` and the scalar map diverges beyond `eta * l_1 = 2`, so this is the
//! scaling in which results do not depend on the size of `Y`.

use mfflow_lab::config::{alphas, count, positive, Validate, MAX_POINTS};
use serde::{Deserialize, Serialize};

/// Smallest `eta * l_1` accepted: below it a run takes more than `1e7` steps on the default
/// target (the time horizon is tens of `1/l_1`).
pub const MIN_ETA_L1: f64 = 1e-5;
/// Largest `eta * l_1` accepted: the scalar map diverges from `eta * l = 2` on, so beyond a few
/// times that every run diverges within a few steps and says nothing new.
pub const MAX_ETA_L1: f64 = 4.0;

/// The experiment's parameters.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Master seed of every random stream.
    pub master_seed: u64,
    /// The target's eigenvalues (distinct, > 0).
    pub eigenvalues: Vec<f64>,
    /// Section 1.
    pub learning_times: LearningTimes,
    /// Section 2.
    pub stability: Stability,
    /// Section 3.
    pub windows: Windows,
    /// Section 4.
    pub distance: Distance,
    /// Section 5.
    pub basis_check: BasisCheck,
}

/// Section 1: learning times in iterations.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LearningTimes {
    pub alphas: Vec<f64>,
    pub eta_l1: Vec<f64>,
}

/// Section 2: the stability limit and beyond.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Stability {
    pub alpha: f64,
    pub eta_l1_min: f64,
    pub eta_l1_max: f64,
    pub scalar_points: usize,
    pub matrix_points: usize,
    pub transient: usize,
    pub tail: usize,
    pub bisection_steps: usize,
}

/// Section 3: eps-windows in iterations.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Windows {
    pub eps: f64,
    pub alphas: Vec<f64>,
    pub eta_l1: Vec<f64>,
    pub flow_grid: usize,
    pub bisection_steps: usize,
}

/// Section 4: distance to the flow and to the modified equation.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Distance {
    pub alpha: f64,
    pub eta_l1: Vec<f64>,
    pub checkpoints: usize,
    pub rk4_step_l1: f64,
}

/// Section 5: the eigenbasis loop against the core's gradient descent.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BasisCheck {
    pub alpha: f64,
    pub eta_l1: f64,
    pub points: usize,
}

fn steps(key: &str, values: &[f64], max: f64) -> std::result::Result<(), String> {
    positive(key, values)?;
    match values.iter().find(|v| !(MIN_ETA_L1..=max).contains(*v)) {
        Some(bad) => Err(format!(
            "{key}: every eta * l_1 must be in [{MIN_ETA_L1:e}, {max}], got {bad:e}"
        )),
        None => Ok(()),
    }
}

impl Validate for Config {
    fn validate(&self) -> std::result::Result<(), String> {
        positive("eigenvalues", &self.eigenvalues)?;
        count("eigenvalues (length)", self.eigenvalues.len(), 2, 16)?;
        let mut sorted = self.eigenvalues.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err(
                "eigenvalues: must be distinct (learning times and windows are per eigenvalue)"
                    .into(),
            );
        }
        let l_min = sorted[sorted.len() - 1];

        let lt = &self.learning_times;
        alphas("learning_times.alphas", &lt.alphas)?;
        // Learning times are compared up to the stability limit eta * l_1 = 1 (excluded).
        steps("learning_times.eta_l1", &lt.eta_l1, 1.0 - 1e-9)?;

        let st = &self.stability;
        alphas("stability.alpha", &[st.alpha])?;
        steps("stability.eta_l1_min", &[st.eta_l1_min], MAX_ETA_L1)?;
        steps("stability.eta_l1_max", &[st.eta_l1_max], MAX_ETA_L1)?;
        if st.eta_l1_max <= st.eta_l1_min {
            return Err(format!(
                "stability.eta_l1_max: must exceed eta_l1_min = {}, got {}",
                st.eta_l1_min, st.eta_l1_max
            ));
        }
        count("stability.scalar_points", st.scalar_points, 2, 10_000)?;
        count("stability.matrix_points", st.matrix_points, 2, 1_000)?;
        count("stability.transient", st.transient, 10, 1_000_000)?;
        count("stability.tail", st.tail, 8, 4_096)?;
        count("stability.bisection_steps", st.bisection_steps, 1, 200)?;

        let w = &self.windows;
        positive("windows.eps", &[w.eps])?;
        if w.eps > l_min.min(1.0) {
            return Err(format!(
                "windows.eps: {} exceeds min(l_K, 1) = {}, where Theorem 4 stops applying",
                w.eps,
                l_min.min(1.0)
            ));
        }
        alphas("windows.alphas", &w.alphas)?;
        steps("windows.eta_l1", &w.eta_l1, MAX_ETA_L1)?;
        let mut etas = w.eta_l1.clone();
        etas.sort_by(f64::total_cmp);
        if etas.windows(2).any(|p| p[0] == p[1]) {
            return Err("windows.eta_l1: values must be distinct".into());
        }
        count("windows.flow_grid", w.flow_grid, 10, MAX_POINTS)?;
        count("windows.bisection_steps", w.bisection_steps, 1, 200)?;

        let d = &self.distance;
        alphas("distance.alpha", &[d.alpha])?;
        steps("distance.eta_l1", &d.eta_l1, MAX_ETA_L1)?;
        count("distance.checkpoints", d.checkpoints, 10, MAX_POINTS)?;
        if !(1e-5..=0.1).contains(&d.rk4_step_l1) {
            return Err(format!(
                "distance.rk4_step_l1: must be in [1e-5, 0.1] (RK4 accuracy against cost), got {}",
                d.rk4_step_l1
            ));
        }

        let b = &self.basis_check;
        alphas("basis_check.alpha", &[b.alpha])?;
        steps("basis_check.eta_l1", &[b.eta_l1], 1.0 - 1e-9)?;
        count("basis_check.points", b.points, 2, MAX_POINTS)?;
        Ok(())
    }
}

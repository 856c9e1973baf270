//! The target, the two alpha-free shapes, and what every part evaluates on them.

use crate::config::Config;
use mfflow::theorems::{self, Verdict};
use mfflow::{Form, Init, Mat, Target, Trajectory};
use mfflow_lab::instances::{gaussian, random_basis_target};
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;
use serde::{Deserialize, Serialize};

/// The two initializations compared throughout.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Kind {
    Spectral,
    General,
}

impl Kind {
    pub const BOTH: [Kind; 2] = [Kind::Spectral, Kind::General];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Spectral => "spectral",
            Kind::General => "general",
        }
    }
}

/// The target and the two α-free shapes.
pub struct Setup {
    pub target: Target,
    pub spectral_shape: Mat<f64>,
    pub general_shape: Mat<f64>,
}

impl Setup {
    pub fn new(cfg: &Config, seeds: &Seeds) -> Result<Self> {
        let n = cfg.eigenvalues.len();
        let target = random_basis_target(&cfg.eigenvalues, &mut seeds.stream("target-basis"))?;
        // Spectral: Ū₀ = Φ (the target's own computed eigenvectors), so Φᵀ W̄₀ Φ = I.
        let spectral_shape = target.phi().to_owned();
        // General: i.i.d. N(0, 1/n), so that E[Ū₀ Ū₀ᵀ] = I, the same size as the spectral shape.
        let general_shape = gaussian(
            n,
            n,
            1.0 / (n as f64).sqrt(),
            &mut seeds.stream("general-shape"),
        );
        Ok(Self {
            target,
            spectral_shape,
            general_shape,
        })
    }

    pub fn init(&self, kind: Kind, alpha: f64) -> Result<Init> {
        let shape = match kind {
            Kind::Spectral => &self.spectral_shape,
            Kind::General => &self.general_shape,
        };
        Ok(Init::new(alpha, shape.as_ref())?)
    }

    pub fn trajectory(&self, kind: Kind, alpha: f64) -> Result<Trajectory> {
        Ok(Trajectory::new(
            &self.target,
            &self.init(kind, alpha)?,
            Form::Auto,
        )?)
    }

    pub fn l(&self) -> &[f64] {
        self.target.eigenvalues()
    }

    /// A horizon that covers every transition: 1.5 × the predicted last one.
    pub fn horizon(&self, alpha: f64) -> f64 {
        let l_k = self.l()[self.l().len() - 1];
        1.5 * (1.0 / alpha).ln().max(2.0) / (2.0 * l_k)
    }
}

pub fn verdict(setup: &Setup, kind: Kind, alpha: f64, eps: f64, grid: usize) -> Result<Verdict> {
    let init = setup.init(kind, alpha)?;
    Ok(match kind {
        Kind::Spectral => theorems::theorem3(&setup.target, &init, eps, grid)?,
        Kind::General => theorems::theorem4(&setup.target, &init, eps, grid)?,
    })
}

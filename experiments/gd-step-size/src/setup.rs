//! The target, the two α-free shapes, and what every part needs from the exact flow.

use crate::config::Config;
use crate::gd::Factor;
use mfflow::analysis::{crossing_time, linspace};
use mfflow::{Form, Init, Mat, Target, Trajectory};
use mfflow_lab::instances::{gaussian, random_basis_target};
use mfflow_lab::seeds::Seeds;
use mfflow_lab::{lab_err, Result};

/// The two initializations compared throughout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// The target and the two α-free shapes (drawn as in `spectral-vs-general`, from this config's
/// seed).
pub struct Setup {
    pub target: Target,
    spectral_shape: Mat<f64>,
    general_shape: Mat<f64>,
}

/// Points of the grid on which the flow's half-times are first located (then bisected).
const HALF_TIME_GRID: usize = 2000;

impl Setup {
    pub fn new(cfg: &Config, seeds: &Seeds) -> Result<Self> {
        let n = cfg.eigenvalues.len();
        let target = random_basis_target(&cfg.eigenvalues, &mut seeds.stream("target-basis"))?;
        // Spectral: Ū₀ = Φ (the target's computed eigenvectors), so Φᵀ W̄₀ Φ = I.
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

    pub fn l(&self) -> &[f64] {
        self.target.eigenvalues()
    }

    pub fn n(&self) -> usize {
        self.l().len()
    }

    pub fn init(&self, kind: Kind, alpha: f64) -> Result<Init> {
        let shape = match kind {
            Kind::Spectral => &self.spectral_shape,
            Kind::General => &self.general_shape,
        };
        Ok(Init::new(alpha, shape.as_ref())?)
    }

    /// The exact flow (the core's closed form).
    pub fn trajectory(&self, kind: Kind, alpha: f64) -> Result<Trajectory> {
        Ok(Trajectory::new(
            &self.target,
            &self.init(kind, alpha)?,
            Form::Auto,
        )?)
    }

    /// `U(0) = √α Ū₀` in the eigenbasis of `Y`: `Ũ(0) = Φᵀ U(0)`, where gradient descent runs.
    pub fn factor(&self, kind: Kind, alpha: f64) -> Result<Factor> {
        let u0 = self.init(kind, alpha)?.u0();
        let rotated = self.target.phi().transpose() * &u0;
        Ok(Factor::from_mat(rotated.as_ref()))
    }

    /// The flow's half-times `t_i` (`λ_i(W(t)) = l_i / 2`, bisected on the exact trajectory).
    pub fn flow_half_times(&self, traj: &Trajectory, alpha: f64) -> Result<Vec<f64>> {
        let l = self.l();
        let l_k = l[l.len() - 1];
        // Beyond any half-time of these shapes: log(1/α) plus a margin for the shape's size.
        let end = 2.0 * ((1.0 / alpha).ln() + 10.0) / (2.0 * l_k);
        let grid = linspace(0.0, end, HALF_TIME_GRID);
        (0..l.len())
            .map(|i| {
                crossing_time(traj, i, l[i] / 2.0, &grid)?.ok_or_else(|| {
                    lab_err!(
                        "the flow's eigenvalue {} never reaches half its target by t = {end} (alpha = {alpha:e})",
                        i + 1
                    )
                })
            })
            .collect()
    }
}

/// The discrete per-step growth rate that replaces the flow's rate `l`: in the linear phase
/// (`W` small) gradient descent multiplies the component along `φ_i` by `(1 + η l_i)²` per
/// step, the flow by `e^{2 η l_i}` over the same time `η`. A flow time `t` spent growing at
/// rate `l` therefore takes `t l / log(1 + η l)` iterations.
pub fn discrete_iterations(t: f64, l: f64, eta: f64) -> f64 {
    t * l / (eta * l).ln_1p()
}

//! The target and the full-rank shape every part compares with.

use crate::config::Config;
use mfflow::{Form, Init, Mat, Target, Trajectory};
use mfflow_lab::instances::{gaussian, random_basis_target};
use mfflow_lab::output::{short, Outputs};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;
use serde::{Deserialize, Serialize};

/// The target, the full `n × n` shape, and the time scales.
pub struct Setup {
    pub target: Target,
    pub full_shape: Mat<f64>,
    pub k_rank: usize,
    /// Past every transition of the full-rank shape: `2 log(1/α) / (2 l_K)`.
    pub horizon: f64,
}

impl Setup {
    pub fn new(cfg: &Config, seeds: &Seeds) -> Result<Self> {
        let n = cfg.eigenvalues.len();
        let target = random_basis_target(&cfg.eigenvalues, &mut seeds.stream("target-basis"))?;
        let full_shape = gaussian(n, n, 1.0 / (n as f64).sqrt(), &mut seeds.stream("shape"));
        let k_rank = target.positive_rank();
        let l_k = target.eigenvalues()[k_rank - 1];
        let horizon = 2.0 * (1.0 / cfg.alpha).ln().max(2.0) / (2.0 * l_k);
        Ok(Self {
            target,
            full_shape,
            k_rank,
            horizon,
        })
    }

    pub fn shape(&self, r: usize) -> Mat<f64> {
        self.full_shape.subcols(0, r).to_owned()
    }

    pub fn trajectory(&self, shape: &Mat<f64>, alpha: f64) -> Result<Trajectory> {
        Ok(Trajectory::new(
            &self.target,
            &Init::new(alpha, shape.as_ref())?,
            Form::Auto,
        )?)
    }
}

/// What the setup section says: the target's spectrum and rank, alpha and eps.
#[derive(Serialize, Deserialize)]
pub struct Summary {
    l: Vec<f64>,
    k_rank: usize,
    alpha: f64,
    eps: f64,
}

/// Draws the setup and keeps what the report says of it.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Summary> {
    let setup = Setup::new(cfg, seeds)?;
    Ok(Summary {
        l: setup.target.eigenvalues().to_vec(),
        k_rank: setup.k_rank,
        alpha: cfg.alpha,
        eps: cfg.eps,
    })
}

/// Fills the setup section: size, rank, spectrum, alpha and eps.
pub fn report(s: &Summary, _: &Outputs, report: &mut Report) -> Result<()> {
    report.set("n", s.l.len().to_string());
    report.set("k_rank", s.k_rank.to_string());
    report.set(
        "eigenvalues",
        s.l.iter()
            .map(|v| short(*v, 3))
            .collect::<Vec<_>>()
            .join(", "),
    );
    report.set("alpha", short(s.alpha, 2));
    report.set("eps", short(s.eps, 2));
    Ok(())
}

//! The target and the full-rank shape every part compares with.

use crate::config::Config;
use mfflow::{Form, Init, Mat, Target, Trajectory};
use mfflow_lab::instances::{gaussian, random_basis_target};
use mfflow_lab::output::short;
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;

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

/// Fills the setup section: size, rank, spectrum, alpha and eps.
pub fn report(setup: &Setup, eps: f64, alpha: f64, report: &mut Report) {
    let l = setup.target.eigenvalues();
    report.set("n", l.len().to_string());
    report.set("k_rank", setup.k_rank.to_string());
    report.set(
        "eigenvalues",
        l.iter()
            .map(|v| short(*v, 3))
            .collect::<Vec<_>>()
            .join(", "),
    );
    report.set("alpha", short(alpha, 2));
    report.set("eps", short(eps, 2));
}

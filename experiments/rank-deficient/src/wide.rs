//! Section 3: shapes with `r ≥ n` columns but rank `q < n`.

use crate::config::Config;
use crate::setup::Setup;
use mfflow::analysis::errors_to_rank_k;
use mfflow_lab::instances::gaussian;
use mfflow_lab::output::{short, Outputs};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;
use serde::{Deserialize, Serialize};

/// One rank `q`.
#[derive(Serialize, Deserialize)]
pub struct Shape {
    q: usize,
    /// The rank the closed form detects.
    detected: usize,
    /// Eigenvalues of `W` and `‖W − Ŷ_q‖₂` at ten horizons.
    eigenvalues: Vec<f64>,
    distance: f64,
}

/// What section 3 measured.
#[derive(Serialize, Deserialize)]
pub struct Data {
    eps: f64,
    n: usize,
    cols: usize,
    shapes: Vec<Shape>,
}

/// A product of `n × q` and `q × (n + extra)` Gaussian matrices for each `q`, run far past
/// every transition.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds)?;
    let n = setup.target.n();
    let cols = n + cfg.extra_columns;
    let far = 10.0 * setup.horizon;
    let mut shapes = Vec::new();
    for &q in &cfg.deficient_ranks {
        let mut rng = seeds.indexed("wide-low-rank-shape", q as u64);
        let a = gaussian(n, q, 1.0 / (n as f64).sqrt(), &mut rng);
        let b = gaussian(q, cols, 1.0 / (q as f64).sqrt(), &mut rng);
        let traj = setup.trajectory(&(&a * &b), cfg.alpha)?;
        let learned = q.min(setup.k_rank);
        shapes.push(Shape {
            q,
            detected: traj.rank(),
            eigenvalues: traj.eigenvalues(&[far])?.remove(0),
            distance: errors_to_rank_k(&traj, learned, &[far])?[0],
        });
    }
    Ok(Data {
        eps: cfg.eps,
        n,
        cols,
        shapes,
    })
}

/// Fills the table of section 3 and its checked sentence.
pub fn report(data: &Data, _out: &Outputs, report: &mut Report) -> Result<()> {
    let rows: Vec<Vec<String>> = data
        .shapes
        .iter()
        .map(|s| {
            vec![
                format!("{} x {}", data.n, data.cols),
                s.q.to_string(),
                s.detected.to_string(),
                s.eigenvalues
                    .iter()
                    .map(|v| short(*v, 3))
                    .collect::<Vec<_>>()
                    .join(", "),
                short(s.distance, 2),
            ]
        })
        .collect();
    report.table(
        "wide_table",
        &[
            "shape",
            "rank q",
            "rank detected",
            "eigenvalues of W at t = 10 x horizon",
            "||W - Yhat_q||_2",
        ],
        &rows,
    );
    let worst = data
        .shapes
        .iter()
        .map(|s| s.distance)
        .fold(0.0f64, f64::max);
    report.check(
        "wide_rank_decides",
        worst <= data.eps,
        format!("largest ||W - Yhat_q|| at the end: {worst:e}"),
    );
    Ok(())
}

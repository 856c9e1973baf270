//! Section 2, continued: why the full-rank intervals do not carry over in general. In the
//! eigenbasis, the first `r` columns of the full-rank shape get their component along the
//! eigenvector of `l_j` multiplied by `delta`, and the other columns' component along it is
//! scaled up so that it keeps its norm (the full-rank shape stays well conditioned and
//! Theorem 4 still applies to it); the rank-r shape then sees that direction only through
//! `Phi_jᵀ U_r`, and its error on the full-rank shape's intervals is measured.

use crate::config::Config;
use crate::setup::Setup;
use mfflow::{theorems, Init, Mat};
use mfflow_lab::output::{short, Outputs};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::{lab_err, Result};
use serde::{Deserialize, Serialize};

/// One `delta`.
#[derive(Serialize, Deserialize)]
pub struct Shape {
    delta: f64,
    /// `M` of the full-rank shape, and the alpha used (half Theorem 4's largest for it).
    m: f64,
    alpha: f64,
    applies: bool,
    /// `‖Phi_jᵀ U_r‖`: what the first `r` columns see of direction `j`.
    seen: f64,
    /// Largest error of the rank-r shape on the full-rank shape's `I_1..I_r`, over eps.
    ratio: f64,
}

/// What this part measured.
#[derive(Serialize, Deserialize)]
pub struct Data {
    columns: usize,
    direction: usize,
    shapes: Vec<Shape>,
}

/// The full-rank shape with row `j` (eigenbasis) rescaled as described above.
fn shape(setup: &Setup, j: usize, r: usize, delta: f64) -> Mat<f64> {
    let n = setup.target.n();
    let phi = setup.target.phi();
    let mut g = phi.transpose() * &setup.full_shape;
    let norm2 = |g: &Mat<f64>, cols: std::ops::Range<usize>| -> f64 {
        cols.map(|c| g[(j, c)] * g[(j, c)]).sum()
    };
    let (head, tail) = (norm2(&g, 0..r), norm2(&g, r..n));
    let up = ((head * (1.0 - delta * delta) + tail) / tail).sqrt();
    for c in 0..n {
        g[(j, c)] *= if c < r { delta } else { up };
    }
    phi * &g
}

/// Measures every `delta` of the config.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds)?;
    let l = setup.target.eigenvalues();
    let (j, r) = (cfg.counterexample_direction - 1, cfg.counterexample_columns);
    let mut shapes = Vec::new();
    for &delta in &cfg.counterexample_deltas {
        let full = shape(&setup, j, r, delta);
        // At half the largest alpha Theorem 4 allows for the full-rank shape, so that it
        // applies and its intervals are nonempty.
        let m = theorems::theorem4(
            &setup.target,
            &Init::new(cfg.alpha, full.as_ref())?,
            cfg.eps,
            0,
        )?
        .m
        .ok_or_else(|| lab_err!("counterexample shape is singular"))?;
        let alpha = 0.5
            * theorems::theorem4_largest_alpha(l, cfg.eps, m)
                .ok_or_else(|| lab_err!("Theorem 4 has no alpha for the counterexample shape"))?;
        let t4 = theorems::theorem4(&setup.target, &Init::new(alpha, full.as_ref())?, cfg.eps, 0)?;
        let part = full.subcols(0, r).to_owned();
        let seen = (setup.target.phi().transpose() * &part)
            .row(j)
            .iter()
            .map(|v| v * v)
            .sum::<f64>()
            .sqrt();
        let errors = theorems::measure(
            &setup.target,
            &Init::new(alpha, part.as_ref())?,
            &t4.intervals[..r.min(t4.intervals.len())],
            cfg.counterexample_points,
        )?;
        shapes.push(Shape {
            delta,
            m,
            alpha,
            applies: t4.applies,
            seen,
            ratio: errors
                .iter()
                .flatten()
                .fold(0.0f64, |a, &e| a.max(e / cfg.eps)),
        });
    }
    Ok(Data {
        columns: r,
        direction: j + 1,
        shapes,
    })
}

/// Fills the counterexample table and its checked sentence.
pub fn report(data: &Data, _out: &Outputs, report: &mut Report) -> Result<()> {
    let rows: Vec<Vec<String>> = data
        .shapes
        .iter()
        .map(|s| {
            vec![
                short(s.delta, 1),
                short(s.m, 3),
                short(s.alpha, 2),
                if s.applies { "yes".into() } else { "no".into() },
                short(s.seen, 2),
                short(s.ratio, 3),
            ]
        })
        .collect();
    report.table(
        "counterexample_table",
        &[
            "delta",
            "M of the full-rank shape",
            "alpha (half Theorem 4's largest)",
            "Theorem 4 applies to it",
            "norm of Phi_j^T U_r (what the first r columns see of direction j)",
            "largest error of the rank-r shape on I_1..I_r, / eps",
        ],
        &rows,
    );
    let applied: Vec<&Shape> = data.shapes.iter().filter(|s| s.applies).collect();
    let worst = applied.iter().map(|s| s.ratio).fold(0.0f64, f64::max);
    report.set("counterexample_columns", data.columns.to_string());
    report.set("counterexample_direction", data.direction.to_string());
    report.set("counterexample_worst", short(worst, 3));
    report.check(
        "counterexample_found",
        !applied.is_empty() && worst > 1.0,
        format!("largest error/eps where Theorem 4 applies to the full shape: {worst}"),
    );
    Ok(())
}

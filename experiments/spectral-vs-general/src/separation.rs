//! Section 2: how close `W(t)` comes to each best rank-k approximation as alpha decreases.

use crate::config::Config;
use crate::setup::{Kind, Setup};
use mfflow::analysis::{linspace, min_error_to_rank_k};
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Marker, Series};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::{progress, Result};
use serde::{Deserialize, Serialize};

/// One `(alpha, initialization, k)`: the smallest distance over time to `Ŷ_k`.
#[derive(Serialize, Deserialize)]
pub struct Distance {
    alpha: f64,
    kind: Kind,
    k: usize,
    distance: f64,
}

/// What section 2 measured.
#[derive(Serialize, Deserialize)]
pub struct Data {
    eps: f64,
    n: usize,
    alphas: Vec<f64>,
    distances: Vec<Distance>,
}

/// Sweeps the alphas under both initializations.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds)?;
    let n = setup.l().len();
    let bar = progress::bar((cfg.sweep_alphas.len() * 2) as u64, "separation sweep");
    let mut distances = Vec::new();
    for &alpha in &cfg.sweep_alphas {
        for kind in Kind::BOTH {
            let traj = setup.trajectory(kind, alpha)?;
            let grid = linspace(0.0, setup.horizon(alpha), cfg.time_points);
            for k in 1..n {
                let distance = min_error_to_rank_k(&traj, k, &grid)?;
                distances.push(Distance {
                    alpha,
                    kind,
                    k,
                    distance,
                });
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    Ok(Data {
        eps: cfg.eps[cfg.eps.len() - 1],
        n,
        alphas: cfg.sweep_alphas.clone(),
        distances,
    })
}

/// `(alpha, distance)` for one initialization and `k`, in sweep order.
fn curve(data: &Data, kind: Kind, k: usize) -> Vec<(f64, f64)> {
    data.distances
        .iter()
        .filter(|d| d.kind == kind && d.k == k)
        .map(|d| (d.alpha, d.distance))
        .collect()
}

/// Writes `separation.csv` and the figure, and fills section 2.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let rows: Vec<Vec<String>> = data
        .distances
        .iter()
        .map(|d| {
            vec![
                num(d.alpha),
                d.kind.name().into(),
                d.k.to_string(),
                num(d.distance),
            ]
        })
        .collect();
    out.csv(
        "separation.csv",
        &["alpha", "initialization", "k", "min_t_error_to_Yhat_k"],
        &rows,
    )?;
    figure(data, out, report)?;
    verdicts(data, report);
    Ok(())
}

fn figure(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let mut plot = LinePlot::new(
        "How close W(t) comes to each best rank-k approximation",
        "initialization scale alpha (log scale)",
        "min over t of ||W(t) - Yhat_k||_2 (log scale)",
    );
    plot.log_x = true;
    plot.log_y = true;
    for kind in Kind::BOTH {
        for k in 1..data.n {
            let pts = curve(data, kind, k);
            let name = format!("k = {k}, {}", kind.name());
            plot.series.push(match kind {
                Kind::Spectral => Series::line(name, pts).coloured(k - 1),
                Kind::General => Series::markers(name, pts).coloured(k - 1),
            });
        }
    }
    plot.markers.push(Marker::Horizontal(data.eps, 6));
    plot.marker_label = format!("dashed: eps = {}", short(data.eps, 2));
    report.figure(
        out,
        "separation",
        &plot,
        &format!(
            "For each alpha, the smallest spectral-norm distance between W(t) and the best rank-k \
             approximation of Y over a dense time grid (lines: spectral, dots: general). Dashed: eps = {}. \
             Data: separation.csv.",
            short(data.eps, 2)
        ),
    )
}

fn verdicts(data: &Data, report: &mut Report) {
    // The largest alpha of the sweep at which every Ŷ_k is approached within eps.
    let largest_ok = |kind: Kind| {
        data.alphas
            .iter()
            .copied()
            .filter(|&a| {
                data.distances
                    .iter()
                    .filter(|d| d.kind == kind && d.alpha == a)
                    .all(|d| d.distance <= data.eps)
            })
            .fold(None, |m: Option<f64>, a| Some(m.map_or(a, |m| m.max(a))))
    };
    let describe = |a: Option<f64>| match a {
        Some(a) => format!("alpha <= {}", short(a, 2)),
        None => "no alpha of the sweep".into(),
    };
    report.set("separation_eps", short(data.eps, 2));
    report.set("separation_spectral", describe(largest_ok(Kind::Spectral)));
    report.set("separation_general", describe(largest_ok(Kind::General)));
    let alphas: Vec<String> = data.alphas.iter().map(|a| short(*a, 1)).collect();
    report.set("sweep_alphas", alphas.join(", "));
    // Single crossing: along the sweep (sorted by alpha) every distance moves one way.
    let monotone = Kind::BOTH.iter().all(|&kind| {
        (1..data.n).all(|k| {
            let mut c = curve(data, kind, k);
            c.sort_by(|a, b| a.0.total_cmp(&b.0));
            c.windows(2).all(|w| w[0].1 <= w[1].1)
        })
    });
    report.check(
        "sweep_monotone",
        monotone,
        "min distance to each Yhat_k increases with alpha along the sweep",
    );
}

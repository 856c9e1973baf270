//! Section 1: the eigenvalues of `W(t)` for several numbers of columns `r`.

use crate::config::Config;
use crate::setup::Setup;
use mfflow::analysis::linspace;
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Marker, Series};
use mfflow_lab::report::{figure_markdown, Report};
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;
use serde::{Deserialize, Serialize};

/// What section 1 measured.
#[derive(Serialize, Deserialize)]
pub struct Data {
    alpha: f64,
    /// The target's eigenvalues and its rank `K`.
    l: Vec<f64>,
    k_rank: usize,
    times: Vec<f64>,
    /// `(r, eigenvalues of W(t) at each time)` for each figure rank.
    curves: Vec<(usize, Vec<Vec<f64>>)>,
}

/// Evaluates the trajectory of the shape made of the first `r` columns, for each figure rank.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds)?;
    let times = linspace(0.0, setup.horizon, cfg.time_points);
    let curves = cfg
        .figure_ranks
        .iter()
        .map(|&r| {
            let traj = setup.trajectory(&setup.shape(r), cfg.alpha)?;
            Ok((r, traj.eigenvalues(&times)?))
        })
        .collect::<Result<_>>()?;
    Ok(Data {
        alpha: cfg.alpha,
        l: setup.target.eigenvalues().to_vec(),
        k_rank: setup.k_rank,
        times,
        curves,
    })
}

/// Writes one CSV and one figure per rank.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let figures = data
        .curves
        .iter()
        .map(|(r, eig)| figure(data, *r, eig, out))
        .collect::<Result<Vec<_>>>()?;
    report.set("curve_figures", figures.join("\n\n"));
    Ok(())
}

fn figure(data: &Data, r: usize, eig: &[Vec<f64>], out: &Outputs) -> Result<String> {
    let n = data.l.len();
    let mut header = vec!["t".to_string()];
    header.extend((1..=n).map(|i| format!("lambda_{i}")));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = data
        .times
        .iter()
        .zip(eig)
        .map(|(t, e)| {
            std::iter::once(num(*t))
                .chain(e.iter().map(|v| num(*v)))
                .collect()
        })
        .collect();
    out.csv(&format!("curves-r{r}.csv"), &header, &rows)?;
    let moving = match r.min(n) {
        1 => "the nonzero eigenvalue".to_string(),
        k => format!("the {k} nonzero eigenvalues"),
    };
    let targets: Vec<String> = data.l[..data.k_rank].iter().map(|v| short(*v, 3)).collect();
    let mut figures = Vec::new();
    for log in [true, false] {
        let (suffix, scale) = if log {
            ("", "log")
        } else {
            ("_linear", "linear")
        };
        figures.push(figure_markdown(
            out,
            &format!("curves_r{r}{suffix}"),
            &plot(data, r, eig, log, &targets),
            &format!(
                "r = {r}, {scale} scale: {}. Dashed: the targets l_1..l_K = {}, in the colour of the curve that \
                 learns each. Data: curves-r{r}.csv.",
                if log {
                    format!("{moving} of W(t) (W has rank {r})")
                } else {
                    format!(
                        "the {} eigenvalues of W(t) that are learned (the plateaus; the others stay at the alpha level, \
                         indistinguishable from 0 here: see the log scale)",
                        r.min(data.k_rank)
                    )
                },
                targets.join(", "),
            ),
        )?);
    }
    Ok(figures.join("\n\n"))
}

/// The eigenvalues of `W(t)` against `t` with the targets dashed, on a log or linear scale.
fn plot(data: &Data, r: usize, eig: &[Vec<f64>], log: bool, targets: &[String]) -> LinePlot {
    let n = data.l.len();
    let mut plot = LinePlot::new(
        format!(
            "Eigenvalues of W(t), r = {r} columns, alpha = {}",
            short(data.alpha, 2)
        ),
        "time t (units of 1/eigenvalue of Y)",
        if log {
            "eigenvalue of W(t) (log scale)"
        } else {
            "eigenvalue of W(t)"
        },
    );
    plot.log_y = log;
    // On the linear scale the alpha-level eigenvalues are indistinguishable from 0.
    let shown = if log { r.min(n) } else { r.min(data.k_rank) };
    for i in 0..shown {
        let pts = data
            .times
            .iter()
            .zip(eig)
            .map(|(t, e)| (*t, e[i]))
            .collect();
        plot.series
            .push(Series::line(format!("lambda_{}", i + 1), pts));
    }
    for (i, &li) in data.l.iter().enumerate().take(data.k_rank) {
        plot.markers.push(Marker::Horizontal(li, i));
    }
    plot.marker_label = format!(
        "dashed: the eigenvalues of Y, {} (top to bottom)",
        targets.join(", ")
    );
    plot
}

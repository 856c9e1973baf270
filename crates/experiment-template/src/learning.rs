//! Part 1: the eigenvalues of `W(t)` for a random Gaussian shape. `measure` computes the data;
//! `report` writes it as CSV and fills the report from the data alone, one short function per
//! subsection, so prose and figures can be changed without touching the measurement.

use crate::config::Config;
use mfflow::analysis::linspace;
use mfflow::{Form, Init, Trajectory};
use mfflow_lab::instances::{gaussian, random_basis_target};
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Series};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;
use serde::{Deserialize, Serialize};

/// What part 1 measured: saved as `data/learning.json`, from which `--render-from` renders
/// the report again without measuring (so it holds measurements, never prose).
#[derive(Serialize, Deserialize)]
pub struct Data {
    /// The target's eigenvalues, descending.
    pub l: Vec<f64>,
    /// Columns of the shape.
    pub rank: usize,
    /// Initialization scale.
    pub alpha: f64,
    /// The time grid.
    pub times: Vec<f64>,
    /// Eigenvalues of `W(t)` at each time, descending.
    pub eigenvalues: Vec<Vec<f64>>,
}

/// Draws the target and the shape from named streams and evaluates the exact trajectory.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let n = cfg.eigenvalues.len();
    let target = random_basis_target(&cfg.eigenvalues, &mut seeds.stream("target-basis"))?;
    let shape = gaussian(n, cfg.rank, 1.0, &mut seeds.stream("shape"));
    let traj = Trajectory::new(&target, &Init::new(cfg.alpha, shape.as_ref())?, Form::Auto)?;
    let l = target.eigenvalues().to_vec();
    let horizon = 1.5 * (1.0 / cfg.alpha).ln().max(2.0) / (2.0 * l[n - 1]);
    let times = linspace(0.0, horizon, cfg.time_points);
    let eigenvalues = traj.eigenvalues(&times)?;
    Ok(Data {
        l,
        rank: cfg.rank,
        alpha: cfg.alpha,
        times,
        eigenvalues,
    })
}

/// Writes the data behind the figure.
fn write(data: &Data, out: &Outputs) -> Result<()> {
    let n = data.l.len();
    let header: Vec<String> = std::iter::once("t".to_string())
        .chain((1..=n).map(|i| format!("lambda_{i}")))
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = data
        .times
        .iter()
        .zip(&data.eigenvalues)
        .map(|(t, e)| {
            std::iter::once(num(*t))
                .chain(e.iter().map(|v| num(*v)))
                .collect()
        })
        .collect();
    out.csv("eigenvalues.csv", &header, &rows)
}

/// Writes the data and fills the report from it.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    write(data, out)?;
    setup(data, report);
    figure(data, out, report)?;
    half_times(data, report);
    Ok(())
}

fn setup(data: &Data, report: &mut Report) {
    let l: Vec<String> = data.l.iter().map(|v| short(*v, 3)).collect();
    report.set("eigenvalues", l.join(", "));
    report.set("rank", data.rank.to_string());
    report.set("alpha", short(data.alpha, 2));
}

fn figure(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let mut plot = LinePlot::new(
        "Eigenvalues of W(t)",
        "time t (units of 1/eigenvalue of Y)",
        "eigenvalue of W(t)",
    );
    for i in 0..data.l.len() {
        let pts = data
            .times
            .iter()
            .zip(&data.eigenvalues)
            .map(|(t, e)| (*t, e[i]))
            .collect();
        plot.series
            .push(Series::line(format!("lambda_{}", i + 1), pts));
    }
    report.figure(
        out,
        "eigenvalue_figure",
        &plot,
        "Eigenvalues of W(t) over time. Data: eigenvalues.csv.",
    )
}

/// The first time each eigenvalue reaches half its target (on the grid), if it does.
fn half_time(data: &Data, i: usize) -> Option<f64> {
    data.times
        .iter()
        .zip(&data.eigenvalues)
        .find(|(_, e)| e[i] >= data.l[i] / 2.0)
        .map(|(t, _)| *t)
}

fn half_times(data: &Data, report: &mut Report) {
    let learned = data.rank.min(data.l.len());
    let halves: Vec<Option<f64>> = (0..learned).map(|i| half_time(data, i)).collect();
    report.set(
        "half_time",
        halves[0].map_or("(not reached on the grid)".into(), |t| short(t, 3)),
    );
    let predicted = (1.0 / data.alpha).ln() / (2.0 * data.l[0]);
    report.set("predicted_half_time", short(predicted, 3));
    let ordered = halves.iter().all(Option::is_some) && halves.windows(2).all(|w| w[0] < w[1]);
    report.check(
        "larger_first",
        ordered,
        format!("half-times on the grid: {halves:?}"),
    );
}

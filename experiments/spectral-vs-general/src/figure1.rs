//! Section 1: the paper's Figure 1. The eigenvalues of `W(t)` under both initializations at one
//! alpha (linear and log scale), the right-hand panels at decreasing alpha, and the measured
//! half-times against `log(1/alpha)/(2 l_i)`.

use crate::config::Config;
use crate::setup::{Kind, Setup};
use mfflow::analysis::{crossing_time, linspace};
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Marker, Series};
use mfflow_lab::report::{figure_markdown, Report};
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;
use serde::{Deserialize, Serialize};

/// One initialization at the figure's alpha.
#[derive(Serialize, Deserialize)]
pub struct Curves {
    kind: Kind,
    /// Eigenvalues of `W(t)` at each time, descending.
    eig: Vec<Vec<f64>>,
    /// Time at which `lambda_i` reaches `l_i / 2`.
    halves: Vec<Option<f64>>,
}

/// One right-hand panel: spectral initialization at a smaller alpha.
#[derive(Serialize, Deserialize)]
pub struct Panel {
    alpha: f64,
    times: Vec<f64>,
    eig: Vec<Vec<f64>>,
}

/// What section 1 measured.
#[derive(Serialize, Deserialize)]
pub struct Data {
    alpha: f64,
    l: Vec<f64>,
    times: Vec<f64>,
    curves: Vec<Curves>,
    panels: Vec<Panel>,
}

/// Evaluates both initializations at the figure's alpha and the spectral one at each panel alpha.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds)?;
    let alpha = cfg.figure_alpha;
    let l = setup.l().to_vec();
    let times = linspace(0.0, setup.horizon(alpha), cfg.time_points);
    let mut curves = Vec::new();
    for kind in Kind::BOTH {
        let traj = setup.trajectory(kind, alpha)?;
        let halves = (0..l.len())
            .map(|i| crossing_time(&traj, i, l[i] / 2.0, &times))
            .collect::<std::result::Result<_, _>>()?;
        curves.push(Curves {
            kind,
            eig: traj.eigenvalues(&times)?,
            halves,
        });
    }
    let mut panels = Vec::new();
    for &a in &cfg.panel_alphas {
        let times = linspace(0.0, panel_horizon(&l, a, setup.horizon(a)), cfg.time_points);
        let eig = setup.trajectory(Kind::Spectral, a)?.eigenvalues(&times)?;
        panels.push(Panel {
            alpha: a,
            times,
            eig,
        });
    }
    Ok(Data {
        alpha,
        l,
        times,
        curves,
        panels,
    })
}

/// Share of its target the last eigenvalue reaches before a panel ends.
const PLATEAU: f64 = 0.99;

/// A panel's horizon: `horizon` (1.5 × the predicted last transition), or longer if the last
/// eigenvalue needs longer to reach [`PLATEAU`] of its target, plus a fifth. Under spectral
/// initialization (`s = 1`) mode `K` is the scalar flow (12),
/// `λ(t) = α l E / (l + α (E − 1))`, `E = e^{2 l t}`, which reaches `f l` at
/// `t = log(f (l − α) / (α (1 − f))) / (2 l)` (large alphas: the transitions are slow and
/// 1.5 × `log(1/α)/(2 l_K)` ends before the plateau). The report checks the plateau is reached.
fn panel_horizon(l: &[f64], alpha: f64, horizon: f64) -> f64 {
    let lk = l[l.len() - 1];
    let reach = (PLATEAU * (lk - alpha) / (alpha * (1.0 - PLATEAU))).ln() / (2.0 * lk);
    horizon.max(1.2 * reach)
}

/// Writes the CSVs and figures and fills section 1.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    for c in &data.curves {
        figures(data, c, out, report)?;
    }
    panels(data, out, report)?;
    half_times(data, report);
    report.set("figure_alpha", short(data.alpha, 2));
    Ok(())
}

fn figures(data: &Data, c: &Curves, out: &Outputs, report: &mut Report) -> Result<()> {
    let name = c.kind.name();
    let mut header = vec!["t".to_string()];
    header.extend((1..=data.l.len()).map(|i| format!("lambda_{i}")));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = data
        .times
        .iter()
        .zip(&c.eig)
        .map(|(t, e)| {
            std::iter::once(num(*t))
                .chain(e.iter().map(|v| num(*v)))
                .collect()
        })
        .collect();
    out.csv(&format!("figure1-{name}.csv"), &header, &rows)?;
    for log in [false, true] {
        let plot = eigenvalue_plot(&data.l, &data.times, &c.eig, data.alpha, name, log);
        let (suffix, scale) = if log { ("_log", "log") } else { ("", "linear") };
        report.figure(
            out,
            &format!("figure1_{name}{suffix}"),
            &plot,
            &format!(
                "Eigenvalues of W(t) under {name} initialization, {scale} scale. Dashed horizontal lines: the targets l_i; \
                 dashed vertical lines: the predicted transition times log(1/alpha)/(2 l_i). Data: figure1-{name}.csv."
            ),
        )?;
    }
    Ok(())
}

fn panels(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let n = data.l.len();
    let mut figures = Vec::new();
    for p in &data.panels {
        let plot = eigenvalue_plot(&data.l, &p.times, &p.eig, p.alpha, "spectral", false);
        let name = format!("figure1_panel_alpha{}", short(p.alpha, 1).replace('.', "p"));
        figures.push(figure_markdown(
            out,
            &name,
            &plot,
            &format!(
                "Spectral initialization at alpha = {}, linear scale, up to t = {} (1.5 times the predicted last \
                 transition, or 1.2 times the time lambda_{n} needs to reach {}% of l_{n} if that is later). \
                 Dashed: targets and predicted transition times.",
                short(p.alpha, 1),
                short(*p.times.last().expect("time points"), 3),
                short(100.0 * PLATEAU, 2),
            ),
        )?);
    }
    // Every panel shows the plateau of the last eigenvalue it claims.
    let reached = data
        .panels
        .iter()
        .map(|p| p.eig.last().expect("time points")[n - 1] / data.l[n - 1])
        .fold(f64::INFINITY, f64::min);
    report.set("panel_plateau", short(100.0 * reached, 3));
    report.check(
        "panels_reach_plateau",
        reached >= PLATEAU,
        format!("the last eigenvalue ends at {reached} of its target in some panel"),
    );
    report.set("figure1_panels", figures.join("\n\n"));
    let alphas: Vec<String> = data.panels.iter().map(|p| short(p.alpha, 1)).collect();
    report.set("panel_alphas", alphas.join(", "));
    Ok(())
}

fn half_times(data: &Data, report: &mut Report) {
    let mut rows = Vec::new();
    let mut worst_rel = 0.0f64;
    for c in &data.curves {
        for (i, (li, t)) in data.l.iter().zip(&c.halves).enumerate() {
            let predicted = (1.0 / data.alpha).ln() / (2.0 * li);
            let (m, rel) = match t {
                Some(t) => {
                    let rel = (t - predicted).abs() / predicted;
                    worst_rel = worst_rel.max(rel);
                    (short(*t, 4), short(rel, 2))
                }
                None => ("not reached".into(), "-".into()),
            };
            rows.push(vec![
                c.kind.name().into(),
                (i + 1).to_string(),
                short(*li, 3),
                short(predicted, 4),
                m,
                rel,
            ]);
        }
    }
    report.table(
        "half_times",
        &[
            "initialization",
            "i",
            "l_i",
            "predicted log(1/alpha)/(2 l_i)",
            "measured t: lambda_i = l_i/2",
            "relative difference",
        ],
        &rows,
    );
    report.set("half_time_worst", short(worst_rel * 100.0, 2));
    // Larger targets first: the measured half-times increase with i, under both kinds.
    let ordered = data
        .curves
        .iter()
        .all(|c| c.halves.iter().all(Option::is_some) && c.halves.windows(2).all(|w| w[0] < w[1]));
    report.check(
        "larger_first",
        ordered,
        "measured half-times increase with i for both initializations",
    );
}

/// The eigenvalues of `W(t)` against `t`, with the targets and the predicted transition times
/// as dashed lines, on a linear or a logarithmic scale.
fn eigenvalue_plot(
    l: &[f64],
    times: &[f64],
    eig: &[Vec<f64>],
    alpha: f64,
    kind: &str,
    log: bool,
) -> LinePlot {
    let mut plot = LinePlot::new(
        format!(
            "Eigenvalues of W(t), {kind} initialization, alpha = {}",
            short(alpha, 2)
        ),
        "time t (units of 1/eigenvalue of Y)",
        if log {
            "eigenvalue of W(t) (log scale)"
        } else {
            "eigenvalue of W(t)"
        },
    );
    plot.log_y = log;
    for (i, li) in l.iter().enumerate() {
        let pts = times.iter().zip(eig).map(|(t, e)| (*t, e[i])).collect();
        plot.series.push(Series::line(
            format!("lambda_{} (target {})", i + 1, short(*li, 3)),
            pts,
        ));
        plot.markers.push(Marker::Horizontal(*li, i));
        plot.marker_label =
            "dashed: targets l_i (horizontal), predicted transition times (vertical), in the colour of their curve".into();
        plot.markers
            .push(Marker::Vertical((1.0 / alpha).ln() / (2.0 * li), i));
    }
    plot
}

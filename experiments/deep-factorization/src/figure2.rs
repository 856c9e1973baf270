//! Section 5: in the spirit of the talk's Figure 2 — gradient descent on the factors from a
//! random small start, the singular values of the product against the iteration count.

use crate::config::Config;
use crate::setup::{crossings, singular_values, Setup, LEVELS};
use mfflow::depth;
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Marker, Series};
use mfflow_lab::report::{figure_markdown, Report};
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;
use rayon::prelude::*;

/// One depth's run.
pub struct Run {
    depth: usize,
    /// Iteration counts of the outputs.
    steps: Vec<u64>,
    /// Singular values of the product at each output.
    sv: Vec<Vec<f64>>,
}

/// What section 5 measured.
pub struct Data {
    s: Vec<f64>,
    alpha: f64,
    eta: f64,
    runs: Vec<Run>,
}

/// Runs gradient descent for every depth of `figure2.depths`.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let f2 = &cfg.figure2;
    let setup = Setup::new(cfg, seeds, &f2.depths)?;
    let n = setup.n();
    let runs = f2
        .depths
        .par_iter()
        .map(|&l| {
            // Past the flow's (integrated) 90 % point of the last singular value, by a fifth;
            // nine times the balanced prediction if the flow does not get there.
            let balanced = setup.balanced_time(l, n - 1, f2.alpha, LEVELS[LEVELS.len() - 1])?;
            let flow = crossings(&setup, &setup.random_start(l, f2.alpha), 3.0 * balanced)?;
            let horizon = flow[n - 1][LEVELS.len() - 1].map_or(9.0 * balanced, |t| 1.2 * t);
            let last = (horizon / f2.eta).ceil() as u64;
            let steps: Vec<u64> = (0..f2.points)
                .map(|k| last * k as u64 / (f2.points as u64 - 1))
                .collect();
            let times: Vec<f64> = steps.iter().map(|&k| k as f64 * f2.eta).collect();
            let f0 = setup.random_start(l, f2.alpha);
            let out = depth::gradient_descent(setup.y.as_ref(), &f0, f2.eta, &times)?;
            let sv = out
                .iter()
                .map(|(_, f)| singular_values(&depth::end_to_end(f)))
                .collect();
            Ok(Run {
                depth: l,
                steps,
                sv,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Data {
        s: setup.s.clone(),
        alpha: f2.alpha,
        eta: f2.eta,
        runs,
    })
}

/// Writes the CSVs and figures and fills section 5.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let n = data.s.len();
    let mut figures = Vec::new();
    let mut ordered = true;
    for r in &data.runs {
        let mut header = vec!["iteration".to_string()];
        header.extend((1..=n).map(|i| format!("sigma_{i}")));
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let rows: Vec<Vec<String>> = r
            .steps
            .iter()
            .zip(&r.sv)
            .map(|(k, sv)| {
                std::iter::once(k.to_string())
                    .chain(sv.iter().map(|v| num(*v)))
                    .collect()
            })
            .collect();
        out.csv(&format!("figure2-L{}.csv", r.depth), &header, &rows)?;
        let mut plot = LinePlot::new(
            format!(
                "Gradient descent, depth L = {}, random start ||W(0)||_2 = {}, eta = {}",
                r.depth,
                short(data.alpha, 2),
                short(data.eta, 2)
            ),
            "iteration",
            "singular value of W_L ... W_1",
        );
        for i in 0..n {
            let pts = r
                .steps
                .iter()
                .zip(&r.sv)
                .map(|(k, sv)| (*k as f64, sv[i]))
                .collect();
            plot.series.push(Series::line(
                format!("sigma_{} (target {})", i + 1, short(data.s[i], 3)),
                pts,
            ));
            plot.markers.push(Marker::Horizontal(data.s[i], i));
        }
        plot.marker_label = "dashed: the targets s_i".into();
        figures.push(figure_markdown(
            out,
            &format!("figure2_L{}", r.depth),
            &plot,
            &format!(
                "Singular values of the end-to-end matrix over gradient-descent iterations, depth {}. Data: figure2-L{}.csv.",
                r.depth, r.depth
            ),
        )?);
        // The iteration at which each singular value first reaches half its target.
        let first: Vec<Option<u64>> = (0..n)
            .map(|i| {
                r.steps
                    .iter()
                    .zip(&r.sv)
                    .find(|(_, sv)| sv[i] >= 0.5 * data.s[i])
                    .map(|(k, _)| *k)
            })
            .collect();
        ordered &= first.iter().all(Option::is_some) && first.windows(2).all(|w| w[0] < w[1]);
    }
    report.set("figure2_figures", figures.join("\n\n"));
    report.set("figure2_alpha", short(data.alpha, 2));
    report.set("figure2_eta", short(data.eta, 2));
    let d: Vec<String> = data.runs.iter().map(|r| r.depth.to_string()).collect();
    report.set("figure2_depths", d.join(", "));
    report.check(
        "figure2_ordered",
        ordered,
        "every singular value reaches half its target, larger targets at earlier iterations, every depth",
    );
    Ok(())
}

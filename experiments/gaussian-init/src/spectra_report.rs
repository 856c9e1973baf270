//! Part 1, report: the spectrum of `W̄₀` against the limit laws, read from the summaries.

use crate::{config::*, spectra::*, KS_LEVEL};
use mfflow::analysis::linspace;
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::{LinePlot, Marker, Series};
use mfflow_lab::report::{figure_markdown, Report};
use mfflow_lab::stats::{ks_critical, ks_distance, least_squares_slope, quantile};
use mfflow_lab::Result;

/// Part 1 of the report: every subsection from the summaries.
pub(crate) fn report_spectra(
    cfg: &Config,
    summaries: &[Vec<Summary>],
    out: &Outputs,
    report: &mut Report,
) -> Result<()> {
    spectra_csv(cfg, summaries, out)?;
    edges(cfg, summaries, out, report)?;
    edelman(cfg, summaries, out, report)?;
    m_figures(cfg, summaries, out, report)?;
    m_table(cfg, summaries, report)?;
    Ok(())
}

/// The data file `spectra.csv`: one row per `(n, r)`.
fn spectra_csv(cfg: &Config, summaries: &[Vec<Summary>], out: &Outputs) -> Result<()> {
    // Data file: one row per (n, r).
    let mut rows = Vec::new();
    for s in summaries.iter().flatten() {
        let mut row = vec![
            s.n.to_string(),
            s.r.to_string(),
            num(s.max_over_edge.0),
            num(s.max_over_edge.1),
            s.min_over_edge.map_or("".into(), |m| num(m.0)),
            s.min_over_edge.map_or("".into(), |m| num(m.1)),
            num(s.lambda_min_rel_error_at_quantile),
            num(s.lambda_min_rel_error),
        ];
        for q in s.m_quantiles.iter().flatten() {
            row.extend([num(q.value), num(q.lo), num(q.hi)]);
        }
        rows.push(row);
    }
    let mut header: Vec<String> = [
        "n",
        "r",
        "median_lmax_over_edge",
        "p99_lmax_over_edge",
        "median_lmin_over_edge",
        "p01_lmin_over_edge",
        "lmin_rel_error_bound_at_M_delta",
        "lmin_rel_error_bound_worst",
    ]
    .map(String::from)
    .to_vec();
    for d in &cfg.deltas {
        for s in Scaling::ALL {
            let tag = s.tag();
            header.extend([
                format!("M_{d}_{tag}"),
                format!("M_{d}_{tag}_lo"),
                format!("M_{d}_{tag}_hi"),
            ]);
        }
    }
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    out.csv("spectra.csv", &header, &rows)?;

    Ok(())
}

/// The edges figure and table: λ_max and λ_min over their Marchenko–Pastur / Bai–Yin edges.
fn edges(
    cfg: &Config,
    summaries: &[Vec<Summary>],
    out: &Outputs,
    report: &mut Report,
) -> Result<()> {
    // Edges: λ_max and λ_min over their Marchenko–Pastur / Bai–Yin edges.
    let mut edge_plot = against_n(
        "Extreme eigenvalues of W0bar over the edges (sqrt(r) +- sqrt(n))^2",
        "median ratio to the edge",
        false,
    );
    for (j, &q) in cfg.ratios.iter().enumerate() {
        let pts = over_n(summaries, j, |s| s.max_over_edge.0);
        edge_plot
            .series
            .push(Series::line(format!("lambda_max, r/n = {q}"), pts).coloured(j));
        if q > 1.0 {
            let pts = over_n(summaries, j, |s| s.min_over_edge.expect("r > n").0);
            edge_plot
                .series
                .push(Series::markers(format!("lambda_min, r/n = {q}"), pts).coloured(j));
        }
    }
    edge_plot.markers.push(Marker::Horizontal(1.0, 7));
    edge_plot.marker_label = "dashed: 1, the limit".into();
    report.figure(
        out,
        "edge_figure",
        &edge_plot,
        "Median of lambda_max / (sqrt(r) + sqrt(n))^2 (lines) and of lambda_min / (sqrt(r) - sqrt(n))^2 (markers, r > n) over the draws, against n. Dashed: 1, the Marchenko-Pastur / Bai-Yin limit. Data: spectra.csv.",
    )?;
    let last = summaries.last().expect("sizes non-empty");
    let edge_rows: Vec<Vec<String>> = cfg
        .ratios
        .iter()
        .zip(last)
        .map(|(q, s)| {
            vec![
                short(*q, 2),
                s.r.to_string(),
                short(s.max_over_edge.0, 4),
                short(s.max_over_edge.1, 4),
                s.min_over_edge
                    .map_or("(r = n: see below)".into(), |m| short(m.0, 4)),
                s.min_over_edge.map_or("".into(), |m| short(m.1, 4)),
            ]
        })
        .collect();
    report.table(
        "edge_table",
        &[
            "r/n",
            "r",
            "median lambda_max/edge",
            "99th pct",
            "median lambda_min/edge",
            "1st pct",
        ],
        &edge_rows,
    );
    report.set("largest_n", last[0].n.to_string());

    Ok(())
}

/// Edelman's law for `n λ_min` at `r = n` (when `r/n = 1` is among the ratios).
fn edelman(
    cfg: &Config,
    summaries: &[Vec<Summary>],
    out: &Outputs,
    report: &mut Report,
) -> Result<()> {
    match cfg.ratios.iter().position(|&q| q == 1.0) {
        Some(j) => edelman_square(cfg, summaries, j, out, report),
        None => {
            no_square(report);
            Ok(())
        }
    }
}

/// The figure's frame and the limit law's CDF.
fn edelman_plot() -> LinePlot {
    let mut plot = LinePlot::new(
        "Smallest eigenvalue at r = n: n lambda_min against Edelman's law",
        "x (a value of n lambda_min, dimensionless)",
        "P(n lambda_min <= x)",
    );
    let xs = linspace(0.0, 3.0, 121);
    plot.series.push(Series::line(
        "Edelman: 1 - exp(-x/2 - sqrt(x))",
        xs.iter().map(|&x| (x, edelman_cdf(x))).collect(),
    ));
    plot
}

/// The empirical CDF of a sorted sample of `n λ_min`, up to `x = 3`.
fn empirical(sample: &[f64], n: usize, i: usize) -> Series {
    let m = sample.len() as f64;
    let pts = sample
        .iter()
        .enumerate()
        .filter(|(_, &x)| x <= 3.0)
        .map(|(k, &x)| (x, (k + 1) as f64 / m))
        .collect();
    Series::line(format!("empirical, n = {n}"), pts).coloured(i.min(1) + 1)
}

/// The KS distances and medians at every `n`, the figure and the verdict.
fn edelman_square(
    cfg: &Config,
    summaries: &[Vec<Summary>],
    j: usize,
    out: &Outputs,
    report: &mut Report,
) -> Result<()> {
    let (mut ks_rows, mut ks_csv, mut ecdf_csv) = (Vec::new(), Vec::new(), Vec::new());
    let mut plot = edelman_plot();
    let median_limit = (-1.0 + (1.0 + 2.0 * 2f64.ln()).sqrt()).powi(2);
    let critical = ks_critical(cfg.draws, KS_LEVEL);
    let (mut rejected, mut accepted, mut excluded) = (Vec::new(), Vec::new(), Vec::new());
    for (i, row) in summaries.iter().enumerate() {
        let sample = row[j].n_lambda_min.as_ref().expect("r = n");
        let ks = ks_distance(sample, edelman_cdf);
        let median = quantile(sample, 0.5, cfg.confidence);
        let n = row[j].n.to_string();
        if ks >= critical {
            rejected.push(n.clone());
        } else {
            accepted.push(n.clone());
        }
        if !(median.lo <= median_limit && median_limit <= median.hi) {
            excluded.push(n);
        }
        ks_rows.push(vec![
            row[j].n.to_string(),
            short(median.value, 4),
            format!("[{}, {}]", short(median.lo, 4), short(median.hi, 4)),
            short(ks, 3),
        ]);
        ks_csv.push(vec![
            row[j].n.to_string(),
            num(median.value),
            num(median.lo),
            num(median.hi),
            num(ks),
            num(critical),
        ]);
        if i == 0 || i + 1 == summaries.len() {
            let series = empirical(sample, row[j].n, i);
            let rows = series
                .points
                .iter()
                .map(|&(x, p)| vec![row[j].n.to_string(), num(x), num(p)]);
            ecdf_csv.extend(rows);
            plot.series.push(series);
        }
    }
    out.csv(
        "edelman.csv",
        &[
            "n",
            "median_n_lambda_min",
            "median_lo",
            "median_hi",
            "ks_distance",
            "ks_critical",
        ],
        &ks_csv,
    )?;
    out.csv("edelman-ecdf.csv", &["n", "x", "ecdf"], &ecdf_csv)?;
    report.figure(
        out,
        "edelman_figure",
        &plot,
        "Empirical CDF of n lambda_min(W0bar) at r = n (smallest and largest n) against Edelman's limit law. Data: edelman-ecdf.csv (the curves drawn); the table below is edelman.csv.",
    )?;
    report.table(
        "edelman_table",
        &[
            "n",
            "median of n lambda_min",
            "CI",
            "KS distance to the limit",
        ],
        &ks_rows,
    );
    report.set("edelman_median", short(median_limit, 4));
    report.set("ks_critical", short(critical, 3));
    report.set("ks_level", format!("{}%", short(100.0 * KS_LEVEL, 2)));
    report.check(
        "ks_all_below",
        rejected.is_empty(),
        format!(
            "KS at or above {} at n = {}",
            short(critical, 3),
            rejected.join(", ")
        ),
    );
    let phrase = |v: &[String]| {
        if v.is_empty() {
            "no n of the run".to_string()
        } else {
            format!("n = {}", v.join(", "))
        }
    };
    report.set("ks_rejected", phrase(&rejected));
    report.set("ks_accepted", phrase(&accepted));
    report.set("median_excluded", phrase(&excluded));
    Ok(())
}

/// The placeholders of the Edelman subsection when `r = n` is not among the ratios.
fn no_square(report: &mut Report) {
    report.set(
        "edelman_figure",
        "(r/n = 1 is not among the ratios of this run.)",
    );
    report.set("edelman_table", "");
    report.set("edelman_median", "");
    report.set("ks_critical", "");
    report.set("ks_level", "");
    report.check("ks_all_below", true, "no r = n");
    report.set("ks_rejected", "");
    report.set("ks_accepted", "");
    report.set("median_excluded", "");
}

/// The figures of `M_δ` against `n`, one per convention.
fn m_figures(
    cfg: &Config,
    summaries: &[Vec<Summary>],
    out: &Outputs,
    report: &mut Report,
) -> Result<()> {
    // M_δ figures, one per scaling.
    let mut figures = Vec::new();
    for (si, s) in Scaling::ALL.iter().enumerate() {
        let mut plot = against_n(
            format!("Quantiles M_delta of M, shape entries {}", s.label()),
            "M_delta (log scale)",
            true,
        );
        for (j, &q) in cfg.ratios.iter().enumerate() {
            let shown = [0, cfg.deltas.len() - 1];
            for (di, &delta) in cfg.deltas.iter().enumerate() {
                if !shown.contains(&di) {
                    continue;
                }
                let pts = over_n(summaries, j, |s| s.m_quantiles[di][si].value);
                let name = format!("r/n = {q}, delta = {delta}");
                plot.series.push(if di + 1 == cfg.deltas.len() {
                    Series::line(name, pts).coloured(j)
                } else {
                    Series::markers(name, pts).coloured(j)
                });
            }
        }
        let tag = s.tag();
        figures.push(figure_markdown(
            out,
            &format!("m_quantiles_{tag}"),
            &plot,
            &format!(
                "M_delta against n for each r/n, entries {}: lines for delta = {}, markers for delta = {}. Every delta, with confidence intervals, is in spectra.csv; the table below has the smallest.",
                s.label(),
                cfg.deltas.last().expect("non-empty"),
                cfg.deltas[0]
            ),
        )?);
    }
    report.set("m_figures", figures.join("\n\n"));

    Ok(())
}

/// The table of `M_δ` at the smallest δ, the limit-law factors and the accuracy of `λ_min`.
fn m_table(cfg: &Config, summaries: &[Vec<Summary>], report: &mut Report) -> Result<()> {
    // Table of M_δ with CIs at the smallest δ.
    let di = cfg.deltas.len() - 1;
    let m_rows: Vec<Vec<String>> = summaries
        .iter()
        .flatten()
        .map(|s| {
            let mut row = vec![
                s.n.to_string(),
                s.r.to_string(),
                short(predicted_m(s.n, s.r, cfg.deltas[di]), 3),
            ];
            for q in &s.m_quantiles[di] {
                row.push(format!(
                    "{} [{}, {}]",
                    short(q.value, 3),
                    short(q.lo, 3),
                    short(q.hi, 3)
                ));
            }
            row
        })
        .collect();
    report.table(
        "m_table",
        &[
            "n",
            "r",
            "predicted, N(0,1)",
            "M_delta, N(0,1)",
            "M_delta, N(0,1/r)",
            "M_delta, best scaling",
        ],
        &m_rows,
    );
    report.set("m_table_delta", short(cfg.deltas[di], 3));
    // Worst factor between measured and predicted M_δ, at the smallest and the largest n.
    let factor = |row: &Vec<Summary>| {
        row.iter()
            .map(|s| {
                let (m, p) = (
                    s.m_quantiles[di][0].value,
                    predicted_m(s.n, s.r, cfg.deltas[di]),
                );
                (m / p).max(p / m)
            })
            .fold(1.0, f64::max)
    };
    report.set("prediction_small", short(factor(&summaries[0]), 3));
    report.set(
        "prediction_large",
        short(factor(summaries.last().expect("non-empty")), 3),
    );
    report_m_shape(cfg, summaries, report);
    // The computed λ_min of a draw has relative error ≲ n ε λ_max/λ_min; over the draws that
    // set M_δ (M up to the upper end of its CI), the largest is spectra.csv's
    // lmin_rel_error_bound_at_M_delta, and over all draws lmin_rel_error_bound_worst.
    let at_quantile = summaries
        .iter()
        .flatten()
        .map(|s| s.lambda_min_rel_error_at_quantile)
        .fold(0.0, f64::max);
    report.set("lambda_min_error", short(at_quantile, 2));
    let worst_rel = summaries
        .iter()
        .flatten()
        .map(|s| s.lambda_min_rel_error)
        .fold(0.0, f64::max);
    report.set("lambda_min_error_worst", short(worst_rel, 2));
    Ok(())
}

/// The sentences of part 1 about how `M_δ` behaves: its excess over the limit-law prediction,
/// the width of its confidence intervals, its growth with `n` and its tail, each measured.
pub(crate) fn report_m_shape(cfg: &Config, summaries: &[Vec<Summary>], report: &mut Report) {
    let di = cfg.deltas.len() - 1;
    let last = summaries.last().expect("sizes non-empty");
    let excess = |row: &Vec<Summary>| {
        let v: Vec<f64> = row
            .iter()
            .filter(|s| s.r > s.n)
            .map(|s| s.m_quantiles[di][0].value / predicted_m(s.n, s.r, cfg.deltas[di]) - 1.0)
            .collect();
        span(&v, |x| format!("{}%", short(100.0 * x, 2)))
    };
    report.set("smallest_n", cfg.sizes[0].to_string());
    report.set("edge_excess_small", excess(&summaries[0]));
    report.set("edge_excess_large", excess(last));
    // The widest relative CI among all quantiles: how stable the reported numbers are.
    let widest = |square: bool| {
        let v = summaries
            .iter()
            .flatten()
            .filter(|s| (s.r == s.n) == square)
            .flat_map(|s| s.m_quantiles.iter().flatten())
            .map(|q| (q.hi - q.lo) / q.value)
            .fold(f64::NAN, f64::max);
        if v.is_nan() {
            "(no such case in this run)".to_string()
        } else {
            format!("{}%", short(100.0 * v, 2))
        }
    };
    report.set("widest_ci_square", widest(true));
    report.set("widest_ci_wide", widest(false));
    // Growth with n: slope of log M_δ against log n over the three largest sizes, N(0,1), r > n.
    let tail = summaries.len().saturating_sub(3);
    let slopes: Vec<f64> = (0..cfg.ratios.len())
        .filter(|&j| cfg.ratios[j] > 1.0)
        .filter_map(|j| {
            let pts: Vec<(f64, f64)> = summaries[tail..]
                .iter()
                .map(|row| ((row[j].n as f64).ln(), row[j].m_quantiles[di][0].value.ln()))
                .collect();
            least_squares_slope(&pts)
        })
        .collect();
    report.set("m_slope_wide", span(&slopes, |x| short(x, 3)));
    let per_column: Vec<String> = last
        .iter()
        .filter(|s| s.r > s.n)
        .map(|s| format!("{} at r = {}", short(s.m_quantiles[di][1].value, 3), s.r))
        .collect();
    report.set(
        "m_per_column_large",
        if per_column.is_empty() {
            "(no r > n in this run)".to_string()
        } else {
            per_column.join(", ")
        },
    );
    // At r = n: does M_δ grow with n under every convention, and how heavy is its tail?
    let square = cfg.ratios.iter().position(|&q| q == 1.0);
    let grows = square.is_some_and(|j| {
        (0..3)
            .all(|si| last[j].m_quantiles[di][si].value > summaries[0][j].m_quantiles[di][si].value)
    });
    report.check(
        "square_grows",
        grows,
        "M_delta at r = n at the largest n against the smallest, every convention",
    );
    let tail_ratio = |j: usize| last[j].m_quantiles[di][0].value / last[j].m_quantiles[0][0].value;
    report.set(
        "tail_square",
        square.map_or("(no r = n in this run)".into(), |j| short(tail_ratio(j), 3)),
    );
    let wide: Vec<f64> = (0..cfg.ratios.len())
        .filter(|&j| cfg.ratios[j] > 1.0)
        .map(tail_ratio)
        .collect();
    report.set("tail_wide", span(&wide, |x| short(x, 3)));
    report.set("delta_first", short(cfg.deltas[0], 3));
}

/// `lo to hi` of `values` formatted by `f` (one value when they agree), or a note when empty.
pub(crate) fn span(values: &[f64], f: impl Fn(f64) -> String) -> String {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if values.is_empty() {
        "(no such case in this run)".into()
    } else if f(lo) == f(hi) {
        f(lo)
    } else {
        format!("{} to {}", f(lo), f(hi))
    }
}

/// A figure against `n` on a log axis (and optionally a log y axis).
pub(crate) fn against_n(title: impl Into<String>, y_label: &str, log_y: bool) -> LinePlot {
    let mut plot = LinePlot::new(title, "n (log scale)", y_label);
    plot.log_x = true;
    plot.log_y = log_y;
    plot
}

/// `(n, f(summary))` for ratio index `j` at every size.
pub(crate) fn over_n(
    summaries: &[Vec<Summary>],
    j: usize,
    f: impl Fn(&Summary) -> f64,
) -> Vec<(f64, f64)> {
    summaries
        .iter()
        .map(|row| (row[j].n as f64, f(&row[j])))
        .collect()
}

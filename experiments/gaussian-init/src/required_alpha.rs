//! Part 2: the alpha Theorem 4 requires with `M = M_δ`, read from the part-1 summaries.

use crate::{config::*, spectra::*, spectra_report::*};
use mfflow::theorems::theorem4_largest_alpha;
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::plot::Series;
use mfflow_lab::report::Report;
use mfflow_lab::stats::least_squares_slope;
use mfflow_lab::Result;

// ---------------------------------------------------------------------------------------------
// Part 2: the α Theorem 4 requires.

pub(crate) fn report_required_alpha(
    cfg: &Config,
    summaries: &[Vec<Summary>],
    out: &Outputs,
    report: &mut Report,
) -> Result<()> {
    let l = &cfg.target_eigenvalues;
    let required = |m: f64| theorem4_largest_alpha(l, cfg.eps, m).expect("validated target/eps");
    let di = cfg.deltas.len() - 1;
    let mut rows = Vec::new();
    let mut plot = against_n(
        format!(
            "Largest alpha for Theorem 4 with M = M_delta, delta = {}",
            cfg.deltas[di]
        ),
        "alpha (log scale)",
        true,
    );
    for (j, &q) in cfg.ratios.iter().enumerate() {
        let mut unit = Vec::new();
        let mut per_column = Vec::new();
        for row in summaries {
            let s = &row[j];
            let a_unit = required(s.m_quantiles[di][0].value);
            // N(0, 1/r) shapes: W(0) = alpha Ū Ūᵀ with Ū = U/√r, so in the units of the
            // N(0,1) draw the initial size is alpha / r.
            let a_col = required(s.m_quantiles[di][1].value);
            unit.push((s.n as f64, a_unit));
            per_column.push((s.n as f64, a_col / s.r as f64));
            let mut csv_row = vec![s.n.to_string(), s.r.to_string()];
            csv_row.extend(
                s.m_quantiles
                    .iter()
                    .flatten()
                    .map(|qe| num(required(qe.value))),
            );
            csv_row.extend(
                s.split_alpha
                    .iter()
                    .flat_map(|qe| [num(qe.value), num(qe.lo), num(qe.hi)]),
            );
            rows.push(csv_row);
        }
        plot.series
            .push(Series::line(format!("N(0,1), r/n = {q}"), unit).coloured(j));
        plot.series.push(
            Series::markers(format!("N(0,1/r) as alpha/r, r/n = {q}"), per_column).coloured(j),
        );
    }
    let mut header = vec!["n".to_string(), "r".to_string()];
    for d in &cfg.deltas {
        for s in Scaling::ALL {
            header.push(format!("alpha_{d}_{}", s.tag()));
        }
    }
    for d in &cfg.deltas {
        header.extend([
            format!("split_invariant_alpha_{d}"),
            format!("split_invariant_alpha_{d}_lo"),
            format!("split_invariant_alpha_{d}_hi"),
        ]);
    }
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    out.csv("required-alpha.csv", &header, &rows)?;
    report.figure(
        out,
        "alpha_figure",
        &plot,
        "The largest alpha for which Theorem 4 applies when M = M_delta (so, with probability at least 1 - delta over the shape), against n. Lines: N(0,1) shapes. Markers: N(0,1/r) shapes, their alpha divided by r so that both are the size of W(0) in the same units. Data: required-alpha.csv (every delta and scaling).",
    )?;
    slope_table(cfg, summaries, report);
    Ok(())
}

/// The table of the required alpha at the smallest and largest n, with the slope in n and
/// the other conventions, and the sentences about the conventions.
fn slope_table(cfg: &Config, summaries: &[Vec<Summary>], report: &mut Report) {
    let l = &cfg.target_eigenvalues;
    let required = |m: f64| theorem4_largest_alpha(l, cfg.eps, m).expect("validated target/eps");
    let di = cfg.deltas.len() - 1;
    // Slopes: log alpha against log n at the largest sizes (last two), per ratio, N(0,1).
    let tail = summaries.len().saturating_sub(3);
    let slope_rows: Vec<Vec<String>> = cfg
        .ratios
        .iter()
        .enumerate()
        .map(|(j, q)| {
            let pts: Vec<(f64, f64)> = summaries[tail..]
                .iter()
                .map(|row| {
                    let s = &row[j];
                    ((s.n as f64).ln(), required(s.m_quantiles[di][0].value).ln())
                })
                .collect();
            let first = summaries.first().expect("non-empty");
            let lastrow = summaries.last().expect("non-empty");
            vec![
                short(*q, 2),
                short(required(first[j].m_quantiles[di][0].value), 3),
                short(required(lastrow[j].m_quantiles[di][0].value), 3),
                short(least_squares_slope(&pts).expect("at least two sizes"), 3),
                short(
                    required(lastrow[j].m_quantiles[di][1].value) / lastrow[j].r as f64,
                    3,
                ),
                short(lastrow[j].split_alpha[di].value, 3),
            ]
        })
        .collect();
    let (n0, n1) = (cfg.sizes[0], *cfg.sizes.last().expect("non-empty"));
    report.table(
        "alpha_table",
        &[
            "r/n",
            &format!("alpha, N(0,1), n = {n0}"),
            &format!("alpha, N(0,1), n = {n1}"),
            "slope d log alpha / d log n (largest n)",
            &format!("alpha/r, N(0,1/r), n = {n1}"),
            &format!("best split (split-invariant), N(0,1) units, n = {n1}"),
        ],
        &slope_rows,
    );
    report_alpha_comparisons(cfg, summaries, report);
    let rho = l.windows(2).map(|w| w[1] / w[0]).fold(0.0, f64::max);
    report.set("rho", short(rho, 3));
    report.set("alpha_exponent", short(2.0 * (1.0 + rho) / (1.0 - rho), 3));
}

/// The checked sentences of part 2: which condition binds, how the conventions compare (all in
/// the units of the `N(0, 1)` draw), and how wide the α intervals are in decades.
pub(crate) fn report_alpha_comparisons(
    cfg: &Config,
    summaries: &[Vec<Summary>],
    report: &mut Report,
) {
    let l = &cfg.target_eigenvalues;
    let required = |m: f64| theorem4_largest_alpha(l, cfg.eps, m).expect("validated target/eps");
    let di = cfg.deltas.len() - 1;
    let all = || summaries.iter().flatten();
    // The separation condition binds when its alpha is below eps/(16 M^3).
    let binds = all()
        .flat_map(|s| s.m_quantiles.iter().flatten())
        .all(|q| required(q.value) < cfg.eps / (16.0 * q.value.powi(3)));
    report.check(
        "separation_binds",
        binds,
        "alpha_sep < eps/(16 M^3) at every M_delta of the run",
    );
    // The split-invariant alpha is never below the others (it optimises over the split).
    let best_least = all().all(|s| {
        (0..cfg.deltas.len()).all(|d| {
            let a = s.split_alpha[d].value;
            a >= required(s.m_quantiles[d][0].value) * (1.0 - 1e-12)
                && a >= required(s.m_quantiles[d][1].value) / s.r as f64 * (1.0 - 1e-12)
        })
    });
    report.check(
        "best_least_demanding",
        best_least,
        "split-invariant alpha >= N(0,1) and N(0,1/r) alphas at every (n, r, delta)",
    );
    // N(0, 1/r) against N(0, 1), in decades, at the largest n: for the widest and r = n.
    let last = summaries.last().expect("non-empty");
    let decades = |s: &Summary| {
        (required(s.m_quantiles[di][1].value) / s.r as f64 / required(s.m_quantiles[di][0].value))
            .log10()
    };
    let widest = last.last().expect("ratios non-empty");
    report.set("per_column_wide_decades", short(decades(widest), 3));
    report.set(
        "per_column_wide_ratio",
        short(widest.r as f64 / widest.n as f64, 2),
    );
    report.set(
        "per_column_square_decades",
        last.iter()
            .find(|s| s.r == s.n)
            .map_or("(no r = n in this run)".into(), |s| short(decades(s), 3)),
    );
    // Width of the alpha confidence intervals, in decades (from the M_delta intervals).
    let width = |square: bool| {
        let v: Vec<f64> = all()
            .filter(|s| (s.r == s.n) == square)
            .map(|s| {
                let q = s.m_quantiles[di][0];
                (required(q.lo) / required(q.hi)).log10()
            })
            .collect();
        span(&v, |x| short(x, 2))
    };
    report.set("alpha_ci_square", width(true));
    report.set("alpha_ci_wide", width(false));
}

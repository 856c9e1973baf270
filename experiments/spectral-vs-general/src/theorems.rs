//! Section 3: Theorem 3 (spectral) and Theorem 4 (general), with the measured error on every
//! interval `I_k`.

use crate::config::Config;
use crate::setup::{verdict, Kind, Setup};
use mfflow::theorems::{Interval, Verdict};
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;
use serde::{Deserialize, Serialize};

/// One `(eps, alpha)` of one theorem.
#[derive(Serialize, Deserialize)]
pub struct Row {
    eps: f64,
    alpha: f64,
    #[serde(with = "mfflow_lab::saved::verdict")]
    verdict: Verdict,
}

/// What section 3 measured: the rows of Theorem 3 (spectral) then Theorem 4 (general).
#[derive(Serialize, Deserialize)]
pub struct Data {
    grid_points: usize,
    tables: Vec<(Kind, Vec<Row>)>,
}

/// Evaluates both theorems at every `(eps, alpha)` of the config.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let setup = Setup::new(cfg, seeds)?;
    let mut tables = Vec::new();
    for kind in Kind::BOTH {
        let mut rows = Vec::new();
        for &eps in &cfg.eps {
            for &alpha in &cfg.theorem_alphas {
                let verdict = verdict(&setup, kind, alpha, eps, cfg.grid_points)?;
                rows.push(Row {
                    eps,
                    alpha,
                    verdict,
                });
            }
        }
        tables.push((kind, rows));
    }
    Ok(Data {
        grid_points: cfg.grid_points,
        tables,
    })
}

/// `I_k` as printed: an empty one (start after end, or ending before t = 0) says so and shows
/// its ends in the order (16) gives them, not as a reversed closed interval.
fn interval_text(iv: &Interval) -> String {
    match iv.end {
        Some(e) if iv.is_empty() => {
            if e < iv.start {
                format!(
                    "empty (start {} after end {})",
                    short(iv.start, 3),
                    short(e, 3)
                )
            } else {
                format!("empty (ends at {}, before t = 0)", short(e, 3))
            }
        }
        Some(e) => format!("[{}, {}]", short(iv.start, 3), short(e, 3)),
        None => format!("[{}, inf)", short(iv.start, 3)),
    }
}

fn opt(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| short(v, 3))
}

fn flag(x: Option<bool>) -> String {
    x.map_or("-".into(), |b| if b { "yes".into() } else { "no".into() })
}

/// Writes `theorem3.csv` and `theorem4.csv` and fills section 3.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    for (kind, rows) in &data.tables {
        let key = match kind {
            Kind::Spectral => "theorem3",
            Kind::General => "theorem4",
        };
        csv(key, rows, out)?;
        table(key, *kind, rows, report);
        report.set(&format!("{key}_verdict"), verdict_text(rows));
    }
    report.set("grid_points", data.grid_points.to_string());
    Ok(())
}

fn csv(key: &str, rows: &[Row], out: &Outputs) -> Result<()> {
    let mut csv = Vec::new();
    for row in rows {
        let v = &row.verdict;
        for (iv, e) in v.intervals.iter().zip(&v.max_error) {
            csv.push(vec![
                num(row.eps),
                num(row.alpha),
                v.applies.to_string(),
                iv.k.to_string(),
                num(iv.start),
                iv.end.map_or("inf".into(), num),
                e.map_or("".into(), num),
            ]);
        }
    }
    out.csv(
        &format!("{key}.csv"),
        &[
            "eps",
            "alpha",
            "applies",
            "k",
            "interval_start",
            "interval_end",
            "max_error",
        ],
        &csv,
    )
}

fn table(key: &str, kind: Kind, rows: &[Row], report: &mut Report) {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let v = &row.verdict;
            let mut cells = vec![
                short(row.eps, 2),
                short(row.alpha, 1),
                opt(v.c_eps),
                opt(v.big_c_eps),
            ];
            if kind == Kind::General {
                cells.push(opt(v.m));
            }
            let intervals: Vec<String> = v.intervals.iter().map(interval_text).collect();
            let errors: Vec<String> = v.max_error.iter().map(|e| opt(*e)).collect();
            cells.extend([
                opt(v.alpha_bound),
                flag(v.alpha_ok),
                flag(v.separation_ok),
                if v.applies {
                    "**yes**".into()
                } else {
                    "no".into()
                },
                intervals.join(" "),
                errors.join(", "),
            ]);
            cells
        })
        .collect();
    let mut header = vec!["eps", "alpha", "c_eps", "C_eps"];
    if kind == Kind::General {
        header.push("M");
    }
    header.extend([
        "alpha bound",
        "alpha ok",
        "separation ok",
        "applies",
        "intervals I_1 .. I_K",
        "measured max error on each I_k",
    ]);
    report.table(&format!("{key}_table"), &header, &cells);
}

fn verdict_text(rows: &[Row]) -> String {
    let applicable: Vec<&Row> = rows.iter().filter(|r| r.verdict.applies).collect();
    let violations = rows.iter().filter(|r| r.verdict.violated(r.eps)).count();
    let worst_ratio = applicable
        .iter()
        .flat_map(|r| r.verdict.max_error.iter().flatten().map(move |e| e / r.eps))
        .fold(0.0f64, f64::max);
    if violations > 0 {
        format!(
            "**VIOLATION: in {violations} row(s) the theorem applies but the measured error exceeds eps.** \
             This contradicts the paper or reveals a bug and must be investigated."
        )
    } else if !applicable.is_empty() {
        format!(
            "The theorem applies in {} of {} rows, and in every one of them the measured error \
             on every I_k is at most eps (largest ratio error/eps: {}).",
            applicable.len(),
            rows.len(),
            short(worst_ratio, 2)
        )
    } else {
        format!("The theorem applies in none of the {} rows.", rows.len())
    }
}

//! `perf-report`: renders `reports/performance/README.md` from one run of `cargo xtask bench`.
//!
//! Usage: `perf-report --criterion DIR --out DIR`. Reads criterion's estimates
//! (`<id>/new/estimates.json`), the benches' records (`trajectory.json`, `backends.json`) and
//! the Python baselines' results (`python.json`, when Python ran) from DIR, and derives
//! everything in the report from them: no number is typed in.
//!
//! Laid out like an experiment: [`data`] reads the run, then one module per part of the
//! report, each with one short function per section:
//!
//! 1. [`trajectory`]: instances, issue 14's targets, time against n, r, `cond(W̄₀)` and the
//!    number of times, where a time point goes, memory, references, accuracy;
//! 2. [`backends`]: faer against nalgebra and LAPACK/OpenBLAS (issue 22), kernels and end to end.

mod backends;
mod data;
mod trajectory;

use data::Data;
use mfflow_lab::output::{short, Outputs};
use mfflow_lab::report::Report;
use mfflow_lab::{lab_err, Result};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

const TEMPLATE: &str = include_str!("report.md");

struct Args {
    criterion: PathBuf,
    out: PathBuf,
}

fn parse_args() -> Result<Args> {
    let mut criterion = None;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--criterion" => criterion = args.next().map(PathBuf::from),
            "--out" => out = args.next().map(PathBuf::from),
            other => return Err(lab_err!("unknown argument `{other}`")),
        }
    }
    Ok(Args {
        criterion: criterion.ok_or_else(|| lab_err!("--criterion DIR is required"))?,
        out: out.ok_or_else(|| lab_err!("--out DIR is required"))?,
    })
}

fn main() -> ExitCode {
    match parse_args().and_then(|a| run(&a)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("perf-report: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// The load averages at the start of each bench and now, and what they mean for the timings.
fn load(data: &Data) -> (String, serde_json::Value) {
    let fmt = |v: &serde_json::Value| -> Option<String> {
        let a = v.as_array()?;
        let x: Vec<String> = a
            .iter()
            .filter_map(|x| x.as_f64())
            .map(|x| short(x, 3))
            .collect();
        (x.len() == 3).then(|| x.join(", "))
    };
    let start_t = &data.trajectory["load_average_start"];
    let start_b = &data.backends["load_average_start"];
    let end = data::load_average();
    let end_json = json!(end);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let peak = [start_t, start_b, &end_json]
        .iter()
        .filter_map(|v| {
            v.as_array()
                .and_then(|a| a.first())
                .and_then(|x| x.as_f64())
        })
        .fold(0.0, f64::max);
    let text = format!(
        "1-, 5- and 15-minute load averages {} at the start of the trajectory benchmarks, {} at the start of the backend benchmarks, {} when the report was rendered, on {} hardware threads. {}",
        fmt(start_t).unwrap_or_else(|| "not recorded".into()),
        fmt(start_b).unwrap_or_else(|| "not recorded".into()),
        fmt(&end_json).unwrap_or_else(|| "not available".into()),
        cores,
        if peak > cores {
            "The machine was shared (load above its hardware threads): other processes took turns on the cores, so absolute times are longer and noisier than on an idle machine, and the two-thread timings suffer most."
        } else {
            "The machine was not oversubscribed (load at most its hardware threads)."
        }
    );
    let record =
        json!({"trajectory_start": start_t, "backends_start": start_b, "render": end_json});
    (text, record)
}

fn run(args: &Args) -> Result<()> {
    let data = Data::read(&args.criterion)?;
    let out = Outputs::create(&args.out)?;
    let mut report = Report::new(TEMPLATE);
    report.set("machine", data::machine());
    let measured = |v: &serde_json::Value| match (
        v["git"]["revision"].as_str(),
        v["git"]["dirty"].as_bool(),
    ) {
        (Some(r), Some(d)) => format!("{r}{}", if d { " with uncommitted changes" } else { "" }),
        _ => "not recorded".into(),
    };
    report.set(
        "measured_at",
        format!(
            "trajectory benchmarks at git {}, backend benchmarks at git {}",
            measured(&data.trajectory),
            measured(&data.backends)
        ),
    );
    report.set(
        "mode",
        if data.plan.quick {
            "quick (`cargo xtask bench --quick`: small sizes, short measurements)"
        } else {
            "full (`cargo xtask bench`)"
        },
    );
    let (load_text, load_record) = load(&data);
    report.set("load", load_text);
    trajectory::render(&data, &out, &mut report)?;
    backends::render(&data, &out, &mut report)?;
    out.write("README.md", report.render()?.as_bytes())?;
    out.commit(json!({
        "report": "performance",
        "mode": if data.plan.quick { "quick" } else { "full" },
        "machine": data::machine(),
        "load_average": load_record,
        "python": data.python.as_ref().map(|p| p["environment"].clone()).unwrap_or_else(|e| json!(e)),
    }))
}

#[cfg(test)]
mod tests {
    /// The template states no result as a bare number (every result comes from the data).
    #[test]
    fn template_passes_the_bare_number_check() {
        mfflow_lab::report::lint(super::TEMPLATE).expect("no bare result-like numbers");
    }
}

//! `cargo xtask bench [--quick]`: the criterion benchmarks of the kernels
//! (`crates/mfflow/benches/kernels.rs`), then `reports/performance/README.md` rendered from
//! their results by `mfflow-lab`'s `perf-report` (not part of `reproduce --check`: timings vary).

use crate::util::{cargo, phase, run, target_dir};
use std::path::Path;

/// Runs the task with its arguments.
pub fn main(root: &Path, args: &[String]) -> Result<(), String> {
    let quick = match args {
        [] => false,
        [flag] if flag == "--quick" => true,
        _ => return Err(format!("`bench` takes only --quick, got {args:?}")),
    };
    let criterion = target_dir(root).join("criterion");
    phase(if quick {
        "benchmarks (quick: n <= 128, short measurements)"
    } else {
        "benchmarks (about 6 minutes)"
    });
    run(cargo(root)
        .args(["bench", "--package", "mfflow", "--bench", "kernels"])
        .env("CRITERION_HOME", &criterion)
        .env("MFFLOW_BENCH_QUICK", if quick { "1" } else { "0" }))?;
    phase("rendering reports/performance/README.md");
    run(cargo(root)
        .args([
            "run",
            "--release",
            "--package",
            "mfflow-lab",
            "--bin",
            "perf-report",
            "--",
        ])
        .arg("--criterion")
        .arg(&criterion)
        .arg("--out")
        .arg(root.join("reports").join("performance")))?;
    eprintln!("xtask: wrote reports/performance/ (README.md, figures, run-info.json)");
    Ok(())
}

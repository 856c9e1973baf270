//! `cargo xtask bench [--quick]`: the performance measurements of `crates/mfflow-bench`, in
//! one run on one machine, then `reports/performance/README.md` rendered from them (not part
//! of `reproduce --check`: timings vary).
//!
//! 1. `cargo bench -p mfflow-bench --bench trajectory`: the trajectory kernels (issue 14);
//! 2. `cargo bench -p mfflow-bench --bench backends`: faer against nalgebra (issue 22);
//! 3. `python3 crates/mfflow-bench/python/baselines.py`: NumPy/SciPy (LAPACK/OpenBLAS) on the
//!    inputs the benches wrote, with `OPENBLAS_CORETYPE`/`OPENBLAS_L2_SIZE` unset (`MFFLOW_PYTHON`
//!    names another interpreter). Without Python, NumPy or SciPy the report says so;
//! 4. `perf-report` renders the report.
//!
//! Everything goes to `<target>/criterion/`, emptied first so that no result of an earlier run
//! (a benchmark this run skipped, an older Python result) can reach the report.

use crate::util::{cargo, phase, run, target_dir};
use std::path::Path;
use std::process::Command;

/// Runs the task with its arguments.
pub fn main(root: &Path, args: &[String]) -> Result<(), String> {
    let quick = match args {
        [] => false,
        [flag] if flag == "--quick" => true,
        _ => return Err(format!("`bench` takes only --quick, got {args:?}")),
    };
    let criterion = target_dir(root).join("criterion");
    if criterion.exists() {
        std::fs::remove_dir_all(&criterion)
            .map_err(|e| format!("cannot empty {}: {e}", criterion.display()))?;
    }
    for (bench, what) in [
        ("trajectory", "trajectory kernels"),
        ("backends", "faer against nalgebra"),
    ] {
        phase(&format!(
            "benchmarks: {what}{}",
            if quick { " (quick)" } else { "" }
        ));
        run(cargo(root)
            .args(["bench", "--package", "mfflow-bench", "--bench", bench])
            .env("CRITERION_HOME", &criterion)
            .env("MFFLOW_BENCH_QUICK", if quick { "1" } else { "0" }))?;
    }
    phase("baselines: NumPy/SciPy (LAPACK/OpenBLAS)");
    let python = std::env::var("MFFLOW_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut cmd = Command::new(&python);
    cmd.arg(root.join("crates/mfflow-bench/python/baselines.py"))
        .arg("--bench-dir")
        .arg(&criterion)
        .arg("--out")
        .arg(criterion.join("python.json"))
        .env_remove("OPENBLAS_CORETYPE")
        .env_remove("OPENBLAS_L2_SIZE");
    if quick {
        cmd.arg("--quick");
    }
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => eprintln!("xtask: the Python baselines failed ({s}); the report says so"),
        Err(e) => eprintln!("xtask: cannot run `{python}` ({e}); the report says so"),
    }
    phase("rendering reports/performance/README.md");
    run(cargo(root)
        .args([
            "run",
            "--release",
            "--package",
            "mfflow-bench",
            "--bin",
            "perf-report",
            "--",
        ])
        .arg("--criterion")
        .arg(&criterion)
        .arg("--out")
        .arg(root.join("reports").join("performance")))?;
    eprintln!("xtask: wrote reports/performance/ (README.md, figures, manifest.json)");
    Ok(())
}

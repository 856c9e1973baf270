//! The renderer's behaviour on bad input, and the matrix files' layout as NumPy reads them.

use std::process::Command;

/// Without a bench run the renderer fails cleanly (exit 2, no panic), names the missing file,
/// and leaves an earlier report untouched.
#[test]
fn renderer_refuses_a_missing_run_without_touching_the_report() {
    let tmp = std::env::temp_dir().join(format!("mfflow-perf-report-{}", std::process::id()));
    let out = tmp.join("report");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("README.md"), "earlier report").unwrap();
    let result = Command::new(env!("CARGO_BIN_EXE_perf-report"))
        .arg("--criterion")
        .arg(tmp.join("no-such-run"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("trajectory.json"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("README.md")).unwrap(),
        "earlier report"
    );
    let result = Command::new(env!("CARGO_BIN_EXE_perf-report"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&result.stderr).contains("--bogus"));
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// A matrix written by `record::write_matrix` reads back in NumPy, with the same loader as
/// `python/baselines.py`, as the same matrix (row i, column j). Needs `python3` with NumPy;
/// without them it says so and checks nothing else (the report then says the baselines are
/// missing, and this layout is not used).
#[test]
fn numpy_reads_the_matrices_as_written() {
    use faer::Mat;
    let dir = std::env::temp_dir().join(format!("mfflow-bench-numpy-{}", std::process::id()));
    let m = Mat::from_fn(3, 2, |i, j| (10 * i + j) as f64 + 0.5);
    let desc = mfflow_bench::record::write_matrix(&dir, "m", m.as_ref());
    let script = format!(
        "import numpy as np, json\nd = json.loads('{}')\nraw = np.fromfile('{}/' + d['file'], dtype='<f8')\nm = raw.reshape((d['cols'], d['rows'])).T\nprint(json.dumps(m.tolist()))",
        desc,
        dir.display()
    );
    let out = Command::new("python3").args(["-c", &script]).output();
    match out {
        Ok(o) if o.status.success() => {
            let got: Vec<Vec<f64>> = serde_json::from_slice(&o.stdout).unwrap();
            let want: Vec<Vec<f64>> = (0..3)
                .map(|i| (0..2).map(|j| m[(i, j)]).collect())
                .collect();
            assert_eq!(got, want);
        }
        _ => eprintln!("python3 with NumPy not available: layout not cross-checked"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

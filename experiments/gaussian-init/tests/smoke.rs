//! Smoke test: the binary runs end to end on a tiny configuration, fills its report, gives the
//! same bytes with one and with two threads, and rejects a bad configuration without touching
//! the previous report.

use std::path::Path;
use std::process::{Command, Output};

const TINY: &str = r#"
master_seed = 5
sizes = [4, 8]
ratios = [1.0, 2.0]
draws = 100
deltas = [0.5, 0.1]
confidence = 0.9
target_eigenvalues = [4.0, 2.0]
eps = 0.5
learning_sizes = [4]
learning_ratios = [1.0]
learning_draws = 10
alpha_largest = 1.0
alpha_smallest = 1e-20
alphas_per_decade = 1
time_points = 40
interval_points = 5
"#;

fn run(dir: &Path, text: &str, out: &Path, threads: &str) -> Output {
    let config = dir.join("config.toml");
    std::fs::write(&config, text).unwrap();
    Command::new(env!("CARGO_BIN_EXE_gaussian-init"))
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(out)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap()
}

#[test]
fn runs_on_a_tiny_config_and_rejects_a_bad_one() {
    let dir = std::env::temp_dir().join(format!("gaussian-init-smoke-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("report");
    let o = run(&dir, TINY, &out, "2");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(!readme.contains("{{"));
    for file in [
        "edge_figure.svg",
        "edelman_figure.svg",
        "m_quantiles_unit.svg",
        "alpha_figure.svg",
        "learning_n4_r4.svg",
        "spectra.csv",
        "learning.csv",
        "manifest.json",
    ] {
        assert!(out.join(file).exists(), "{file} missing");
    }
    // Parallel over draws, one seed stream per draw: the thread count changes nothing.
    let single = dir.join("single");
    let o = run(&dir, TINY, &single, "1");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for file in [
        "README.md",
        "spectra.csv",
        "learning.csv",
        "learning-shapes.csv",
    ] {
        assert_eq!(
            std::fs::read(out.join(file)).unwrap(),
            std::fs::read(single.join(file)).unwrap(),
            "{file} differs between 1 and 2 threads"
        );
    }
    let o = run(
        &dir,
        &TINY.replace("ratios = [1.0, 2.0]", "ratios = [1.0, 1.3]"),
        &out,
        "2",
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("ratios:"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("README.md")).unwrap(),
        readme
    );
    let _ = std::fs::remove_dir_all(&dir);
}

//! Smoke test: the binary runs end to end on a tiny configuration, writes a complete report,
//! and rejects a bad configuration with a clear error, leaving the previous report untouched.

use std::process::Command;

const TINY: &str = r#"
master_seed = 7
eigenvalues = [4.0, 2.0, 1.0]
figure_alpha = 1e-4
time_points = 40
sweep_alphas = [1e-2, 1e-6]
eps = [0.5]
theorem_alphas = [1e-8, 1e-30]
grid_points = 11
bisection_steps = 4
[cross_check]
alpha = 1e-3
etas = [4e-3, 2e-3]
points = 6
"#;

#[test]
fn runs_on_a_tiny_config_and_rejects_a_bad_one() {
    let dir = std::env::temp_dir().join(format!("svg-smoke-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(&config, TINY).unwrap();
    let out = dir.join("report");
    let run = |config: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_spectral-vs-general"))
            .arg("--config")
            .arg(config)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap()
    };
    let o = run(&config);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(!readme.contains("{{"), "unfilled placeholder");
    assert!(!readme.contains("VIOLATION"), "{readme}");
    for file in [
        "figure1_spectral.svg",
        "figure1_general.svg",
        "separation.svg",
        "theorem3.csv",
        "theorem4.csv",
        "tightness.csv",
        "cross-check.csv",
        "manifest.json",
        "run-info.json",
    ] {
        assert!(out.join(file).exists(), "{file} missing");
    }
    // A bad config: one line naming the key, exit 2, previous report intact.
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, TINY.replace("eps = [0.5]", "eps = [2.0]")).unwrap();
    let o = run(&bad);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("eps:") && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("README.md")).unwrap(),
        readme
    );
    let _ = std::fs::remove_dir_all(&dir);
}

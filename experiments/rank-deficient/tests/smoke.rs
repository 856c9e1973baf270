//! Smoke test: the binary runs end to end on a tiny configuration and fills its report.

use std::process::Command;

const TINY: &str = r#"
master_seed = 3
eigenvalues = [4.0, 2.0, 1.0, 0.0]
alpha = 1e-6
eps = 0.5
time_points = 40
ranks = [1, 2, 4]
figure_ranks = [2]
extra_columns = 1
deficient_ranks = [2]
missing_direction = 2
leak_sizes = [1e-8]
ode_ranks = [2]
ode_points = 5
conjecture_tolerance = 0.1
"#;

#[test]
fn runs_on_a_tiny_config_and_rejects_a_bad_one() {
    let dir = std::env::temp_dir().join(format!("rank-deficient-smoke-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("report");
    let run = |text: &str| {
        let config = dir.join("config.toml");
        std::fs::write(&config, text).unwrap();
        Command::new(env!("CARGO_BIN_EXE_rank-deficient"))
            .arg("--config")
            .arg(&config)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap()
    };
    let o = run(TINY);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(!readme.contains("{{"));
    for file in [
        "curves_r2.svg",
        "missing_figure.svg",
        "windows.csv",
        "ode-cross-check.csv",
        "manifest.json",
    ] {
        assert!(out.join(file).exists(), "{file} missing");
    }
    let o = run(&TINY.replace("missing_direction = 2", "missing_direction = 4"));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("missing_direction:"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("README.md")).unwrap(),
        readme
    );
    let _ = std::fs::remove_dir_all(&dir);
}

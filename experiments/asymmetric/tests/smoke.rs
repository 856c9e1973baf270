//! Smoke test: the binary runs end to end on a tiny configuration and fills its report.

use std::process::Command;

const TINY: &str = r#"
master_seed = 9
singular_values = [3.0, 1.0]
agreement_instances = [[3, 2, 2, 1]]
agreement_alpha = 1e-3
agreement_points = 4
gd_eta = 2e-3
m = 3
n = 2
rank = 2
r_values = [1]
alphas = [1e-3]
time_points = 20
unbalanced_alphas = [1e-2, 1e-3]
rhos = [0.1]
unbalanced_points = 4
eps = 0.5
window_alphas = [1e-6]
"#;

#[test]
fn runs_on_a_tiny_config_and_rejects_a_bad_one() {
    let dir = std::env::temp_dir().join(format!("asymmetric-smoke-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("report");
    let run = |text: &str| {
        let config = dir.join("config.toml");
        std::fs::write(&config, text).unwrap();
        Command::new(env!("CARGO_BIN_EXE_asymmetric"))
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
        "agreement.csv",
        "unbalanced.csv",
        "unbalanced_figure.svg",
        "windows.csv",
        "manifest.json",
    ] {
        assert!(out.join(file).exists(), "{file} missing");
    }
    let o = run(&TINY.replace("rank = 2", "rank = 3"));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("rank:"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("README.md")).unwrap(),
        readme
    );
    let _ = std::fs::remove_dir_all(&dir);
}

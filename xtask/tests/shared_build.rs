//! The README's promise that its commands share one build: `cargo xtask reproduce` (the
//! experiments and the CLI), `cargo build --release -p mfflow-cli` and
//! `cargo test --workspace --release` must resolve the same features for every dependency they
//! have in common, or cargo builds that dependency (faer, say) and everything above it once per
//! feature set. The feature pins in the workspace `Cargo.toml` keep them equal; this test
//! fails, naming the crate and both feature sets, when a dependency change breaks that.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

type Features = BTreeMap<String, BTreeSet<String>>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `cargo tree` of `packages` (with dev-dependencies if `dev`): crate → its feature sets.
fn tree(packages: &[String], dev: bool) -> Features {
    let edges = if dev {
        "normal,build,dev"
    } else {
        "normal,build"
    };
    let mut child = Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["tree", "--locked", "--offline", "-e", edges])
        .args(["-f", "{p} {f}", "--prefix", "none"])
        .args(packages)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cargo tree {packages:?} did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "cargo tree {packages:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut features = Features::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if line.contains("(proc-macro)") {
            continue;
        }
        let line = line.replace("(*)", "");
        let mut parts = line.split_whitespace();
        let (Some(name), Some(version)) = (parts.next(), parts.next()) else {
            continue;
        };
        if version.starts_with('(') {
            continue;
        }
        let rest: Vec<&str> = parts.filter(|p| !p.starts_with('(')).collect();
        features
            .entry(format!("{name} {version}"))
            .or_default()
            .insert(rest.join(" "));
    }
    features
}

fn differences(a: &Features, b: &Features) -> Vec<String> {
    a.iter()
        .filter_map(|(k, fa)| {
            let fb = b.get(k)?;
            (fa != fb).then(|| format!("{k}: {fa:?} vs {fb:?}"))
        })
        .collect()
}

#[test]
fn reproduce_the_cli_build_and_the_tests_resolve_the_same_features() {
    let mut experiments: Vec<String> = std::fs::read_dir(root().join("experiments"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .flat_map(|e| {
            [
                "-p".to_string(),
                e.file_name().to_string_lossy().to_string(),
            ]
        })
        .collect();
    experiments.extend(["-p".to_string(), "mfflow-cli".to_string()]);
    let reproduce = tree(&experiments, false);
    let cli = tree(&["-p".into(), "mfflow-cli".into()], false);
    let tests = tree(&["--workspace".into()], true);
    assert!(reproduce.keys().any(|k| k.starts_with("faer ")));
    let mut problems = differences(&reproduce, &tests);
    problems.extend(differences(&cli, &reproduce));
    assert!(
        problems.is_empty(),
        "features differ between `cargo xtask reproduce`, `cargo build --release -p mfflow-cli` \
         and `cargo test --workspace --release` (extend the feature pins in Cargo.toml):\n  {}",
        problems.join("\n  ")
    );
}

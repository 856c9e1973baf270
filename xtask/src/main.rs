//! Workspace tasks, run as `cargo xtask <task>` (the alias lives in `.cargo/config.toml`).
//!
//! Kept lean on purpose: hand-parsed arguments, `std::process` and `std::fs` only.
//!
//! - `reproduce [--check] [NAME...]`: builds every experiment under `experiments/` in release
//!   mode, runs each with its committed `config.toml` into `reports/<name>/`, and writes the
//!   index `reports/README.md`. With `--check`, everything is regenerated into a temporary
//!   directory and compared byte for byte with the committed `reports/` (ignoring
//!   `run-info.json`, which holds wall-clock timings and the git revision).
//! - `new NAME`: scaffolds `experiments/NAME` (config, literate report, code, smoke test),
//!   which `reproduce` then picks up with no further edits.
//! - `bench [--quick]`: runs the criterion benchmarks of the kernels
//!   (`crates/mfflow/benches/kernels.rs`) and renders `reports/performance/README.md` from their
//!   results (not part of `--check`: timings vary).
//! - `ci`: what `.ci/run` runs.

mod scaffold;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  reproduce [--check] [NAME...]  run every experiment (or the named ones) and write reports/;
                                 --check regenerates into a temporary directory and fails,
                                 listing the files, if anything differs from reports/
  new NAME                       scaffold experiments/NAME (picked up by reproduce as is)
  bench [--quick]                criterion benchmarks of the kernels, then render
                                 reports/performance/ (--quick: n <= 128, short runs)
  ci                             cargo fmt --check, clippy -D warnings, cargo test, reproduce --check";

/// Files that legitimately differ between runs (wall-clock timings, git revision).
const VOLATILE: &[&str] = &["run-info.json"];
/// Report directories written by other tasks (not by experiment binaries).
const NOT_EXPERIMENTS: &[&str] = &["performance"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("reproduce") => reproduce(&root, &args[1..]),
        Some("new") => match args.get(1) {
            Some(name) if args.len() == 2 => scaffold::new_experiment(&root, name),
            _ => Err(format!("`new` takes one NAME\n{USAGE}")),
        },
        Some("ci") => ci(&root),
        Some("bench") => match &args[1..] {
            [] => bench(&root, false),
            [flag] if flag == "--quick" => bench(&root, true),
            _ => Err(format!("`bench` takes only --quick\n{USAGE}")),
        },
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

/// Cargo's target directory: `CARGO_TARGET_DIR` if set (relative to the workspace root if
/// relative), else `target/` in the workspace root.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// `cargo bench` of the kernels, then the performance report from criterion's results.
fn bench(root: &Path, quick: bool) -> Result<(), String> {
    let criterion = target_dir(root).join("criterion");
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(root)
        .args(["bench", "--package", "mfflow", "--bench", "kernels"])
        .env("CRITERION_HOME", &criterion)
        .env("MFFLOW_BENCH_QUICK", if quick { "1" } else { "0" });
    run(&mut cmd)?;
    let mut render = Command::new(env!("CARGO"));
    render
        .current_dir(root)
        .args([
            "run",
            "--quiet",
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
        .arg(root.join("reports").join("performance"));
    run(&mut render)?;
    eprintln!("xtask: wrote reports/performance/README.md");
    Ok(())
}

/// Runs a command, failing with its description if it fails.
fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({status})"))
    }
}

/// The experiments: directories under `experiments/` with a `Cargo.toml`, sorted by name.
fn experiments(root: &Path) -> Result<Vec<String>, String> {
    let dir = root.join("experiments");
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.path().join("Cargo.toml").is_file() {
            names.insert(entry.file_name().to_string_lossy().to_string());
        }
    }
    Ok(names.into_iter().collect())
}

/// The `description` of an experiment's Cargo.toml: its line in the index.
fn description(root: &Path, name: &str) -> String {
    let manifest = std::fs::read_to_string(root.join("experiments").join(name).join("Cargo.toml"))
        .unwrap_or_default();
    manifest
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("description = \"")
                .and_then(|r| r.strip_suffix('"'))
        })
        .unwrap_or("(no description)")
        .to_string()
}

fn reproduce(root: &Path, args: &[String]) -> Result<(), String> {
    let check = args.iter().any(|a| a == "--check");
    if let Some(flag) = args.iter().find(|a| a.starts_with("--") && *a != "--check") {
        return Err(format!("unknown option `{flag}`\n{USAGE}"));
    }
    let all = experiments(root)?;
    let wanted: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .collect();
    if let Some(unknown) = wanted.iter().find(|w| !all.contains(w)) {
        return Err(format!(
            "no experiment `{unknown}` (there are: {})",
            all.join(", ")
        ));
    }
    let selected = if wanted.is_empty() {
        all.clone()
    } else {
        wanted
    };
    let mut build = Command::new(env!("CARGO"));
    build
        .current_dir(root)
        .args(["build", "--release", "--quiet"]);
    for name in &selected {
        build.args(["-p", name]);
    }
    run(&mut build)?;

    let reports = root.join("reports");
    let out_root = if check {
        let tmp =
            std::env::temp_dir().join(format!("mfflow-reproduce-check-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
        tmp
    } else {
        reports.clone()
    };
    for name in &selected {
        eprintln!("xtask: running {name}");
        let started = std::time::Instant::now();
        run(Command::new(target_dir(root).join("release").join(name))
            .current_dir(root)
            .arg("--config")
            .arg(root.join("experiments").join(name).join("config.toml"))
            .arg("--out")
            .arg(out_root.join(name)))?;
        eprintln!(
            "xtask: {name} done in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    write_index(root, &out_root, &all)?;
    if !check {
        return Ok(());
    }
    let mut differences = Vec::new();
    for name in &selected {
        compare_dirs(
            &reports.join(name),
            &out_root.join(name),
            name,
            &mut differences,
        );
    }
    compare_file(
        &reports.join("README.md"),
        &out_root.join("README.md"),
        "README.md",
        &mut differences,
    );
    let _ = std::fs::remove_dir_all(&out_root);
    if differences.is_empty() {
        eprintln!(
            "xtask: reports/ is reproduced byte for byte ({} experiment(s))",
            selected.len()
        );
        Ok(())
    } else {
        Err(format!(
            "reports/ differs from a fresh run (run `cargo xtask reproduce` and commit):\n  {}",
            differences.join("\n  ")
        ))
    }
}

/// `reports/README.md`: one line per experiment saying what it shows.
fn write_index(root: &Path, out_root: &Path, names: &[String]) -> Result<(), String> {
    let mut text = String::from(
        "# Reports\n\nGenerated by `cargo xtask reproduce`; `cargo xtask reproduce --check` verifies that a fresh run \
         gives these files byte for byte. Each report states its question, setup and findings, with the data \
         behind every figure and table beside it.\n\n",
    );
    for name in names {
        text.push_str(&format!(
            "- [{name}]({name}/README.md): {}\n",
            description(root, name)
        ));
    }
    if out_root.join("performance").exists() || root.join("reports/performance").exists() {
        text.push_str("- [performance](performance/README.md): timings of the kernels (`cargo xtask bench`; not byte-reproducible)\n");
    }
    let path = out_root.join("README.md");
    let tmp = out_root.join(".README.md.tmp");
    std::fs::write(&tmp, text).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, &path).map_err(|e| e.to_string())
}

fn compare_file(committed: &Path, fresh: &Path, label: &str, out: &mut Vec<String>) {
    match (std::fs::read(committed), std::fs::read(fresh)) {
        (Ok(a), Ok(b)) if a == b => {}
        (Ok(_), Ok(_)) => out.push(format!("{label}: content differs")),
        (Err(_), Ok(_)) => out.push(format!("{label}: missing from reports/")),
        (Ok(_), Err(_)) => out.push(format!("{label}: not produced by the fresh run")),
        (Err(_), Err(_)) => {}
    }
}

fn compare_dirs(committed: &Path, fresh: &Path, label: &str, out: &mut Vec<String>) {
    let list = |dir: &Path| -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .filter(|n| {
                        !VOLATILE.contains(&n.as_str()) && !NOT_EXPERIMENTS.contains(&n.as_str())
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let names: BTreeSet<String> = list(committed).union(&list(fresh)).cloned().collect();
    for name in names {
        let (a, b) = (committed.join(&name), fresh.join(&name));
        let sub = format!("{label}/{name}");
        if a.is_dir() || b.is_dir() {
            compare_dirs(&a, &b, &sub, out);
        } else {
            compare_file(&a, &b, &sub, out);
        }
    }
}

/// What `.ci/run` runs, in order, stopping at the first failure.
fn ci(root: &Path) -> Result<(), String> {
    let steps: [&[&str]; 3] = [
        &["fmt", "--all", "--", "--check"],
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &["test", "--workspace"],
    ];
    for step in steps {
        eprintln!("xtask: cargo {}", step.join(" "));
        run(Command::new(env!("CARGO")).current_dir(root).args(step))?;
    }
    reproduce(root, &["--check".to_string()])
}

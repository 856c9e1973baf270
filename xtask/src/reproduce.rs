//! `cargo xtask reproduce [--check] [NAME...]`: builds every experiment under `experiments/`
//! (and the `mfflow` command, so that `cargo build --release -p mfflow-cli` afterwards has
//! nothing to do) in release mode, runs each with its committed `config.toml` into
//! `reports/<name>/`, and writes the index `reports/README.md`.
//!
//! With `--check`, everything is regenerated into a temporary directory and compared byte for
//! byte with the committed `reports/` (ignoring `run-info.json`: wall-clock timings and the
//! git revision, which are also kept out of git), and each fresh report is also re-rendered
//! from the data it saved (`--render-from`) and compared with itself.
//!
//! With `--render-only`, no experiment measures anything: each report is re-rendered from the
//! data saved in `reports/<name>/` (its `manifest.json` and `data/*.json`), so a changed caption
//! or sentence in `report.md` or a `report` function is published in seconds. With `--check`
//! as well, the committed reports are compared with their re-rendering.
//!
//! One run at a time per checkout: a second `reproduce` waits for the first (an OS lock on
//! `reports/.reproduce.lock`, released however the holder exits). Each experiment stages its
//! report in a directory of its own and swaps it in only when complete (`mfflow-lab`'s
//! `Outputs`), and dies with this process if it is killed.

use crate::index;
use crate::util::{cargo, phase, run, shown, target_dir};
use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Files that legitimately differ between runs (wall-clock timings, git revision).
const VOLATILE: &[&str] = &["run-info.json"];
/// Report directories written by other tasks (not by experiment binaries).
const NOT_EXPERIMENTS: &[&str] = &["performance"];
/// The environment variable naming the process an experiment must not outlive (read by
/// `mfflow_lab::output::Outputs`).
const PARENT_PID_ENV: &str = "MFFLOW_PARENT_PID";

/// Runs the task with its arguments.
pub fn main(root: &Path, args: &[String]) -> Result<(), String> {
    let check = args.iter().any(|a| a == "--check");
    let render_only = args.iter().any(|a| a == "--render-only");
    if let Some(flag) = args
        .iter()
        .find(|a| a.starts_with('-') && !["--check", "--render-only"].contains(&a.as_str()))
    {
        return Err(format!(
            "`reproduce` has no option `{flag}` (usage: cargo xtask reproduce [--check] \
             [--render-only] [NAME...])"
        ));
    }
    let all = experiments(root)?;
    let wanted: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
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
    // The index lists every experiment: refuse before building if a line would be a prompt.
    for name in &all {
        index::description(root, name)?;
    }
    let reports = root.join("reports");
    std::fs::create_dir_all(&reports).map_err(|e| format!("{}: {e}", reports.display()))?;
    let _lock = lock(&reports.join(".reproduce.lock"))?;

    phase(&format!(
        "[1/3] building {} experiment(s) and the mfflow command (release; the first build \
         compiles faer and takes minutes)",
        selected.len()
    ));
    let mut build = cargo(root);
    build.args(["build", "--release", "-p", "mfflow-cli"]);
    for name in &selected {
        build.args(["-p", name]);
    }
    run(&mut build)?;

    let out_root = if check {
        let tmp =
            std::env::temp_dir().join(format!("mfflow-reproduce-check-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
        tmp
    } else {
        reports.clone()
    };
    let source = if render_only {
        Source::Saved(&reports)
    } else {
        Source::Measure
    };
    let result = run_and_index(root, &out_root, &all, &selected, source);
    if !check {
        result?;
        let written: Vec<String> = selected.iter().map(|n| format!("{n}/")).collect();
        eprintln!(
            "xtask: done: wrote {} and README.md in {}/ ({}; wall-clock times in each \
             run-info.json, which git ignores)",
            written.join(", "),
            shown(root, &reports),
            reports.display()
        );
        return Ok(());
    }
    let compared = result.map(|()| {
        let mut differences = Vec::new();
        if !render_only {
            rerender_and_compare(root, &out_root, &selected, &mut differences)?;
        }
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
        Ok::<_, String>(differences)
    });
    let _ = std::fs::remove_dir_all(&out_root);
    let differences = compared??;
    if differences.is_empty() {
        eprintln!(
            "xtask: done: {}/ is reproduced byte for byte ({} experiment(s) regenerated in a \
             temporary directory, now removed; nothing was written)",
            shown(root, &reports),
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

/// Where the experiments take their data from.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// Measure everything from the committed configs.
    Measure,
    /// Re-render from the data saved in `<dir>/<name>/` (`--render-from`).
    Saved(&'a Path),
}

/// Re-renders every fresh report in `out_root/<name>` from its own saved data into a scratch
/// directory and records any file that differs: a report must be a function of its data.
fn rerender_and_compare(
    root: &Path,
    out_root: &Path,
    selected: &[String],
    differences: &mut Vec<String>,
) -> Result<(), String> {
    let again = out_root.join(".rerendered");
    for name in selected {
        phase(&format!("re-rendering {name} from its saved data"));
        run(experiment(root, name)
            .arg("--render-from")
            .arg(out_root.join(name))
            .arg("--out")
            .arg(again.join(name)))?;
        compare_dirs(
            &out_root.join(name),
            &again.join(name),
            &format!("{name} (re-rendered from its data)"),
            differences,
        );
    }
    let _ = std::fs::remove_dir_all(&again);
    Ok(())
}

/// The built binary of experiment `name`, run from the workspace root.
fn experiment(root: &Path, name: &str) -> Command {
    let mut cmd = Command::new(target_dir(root).join("release").join(name));
    cmd.current_dir(root)
        .env(PARENT_PID_ENV, std::process::id().to_string());
    cmd
}

/// Phases 2 and 3: every selected experiment into `out_root/<name>`, then the index.
fn run_and_index(
    root: &Path,
    out_root: &Path,
    all: &[String],
    selected: &[String],
    source: Source,
) -> Result<(), String> {
    for (i, name) in selected.iter().enumerate() {
        phase(&format!(
            "[2/3] running {name} ({}/{})",
            i + 1,
            selected.len()
        ));
        let started = std::time::Instant::now();
        let mut cmd = experiment(root, name);
        match source {
            Source::Measure => cmd
                .arg("--config")
                .arg(root.join("experiments").join(name).join("config.toml")),
            Source::Saved(dir) => cmd.arg("--render-from").arg(dir.join(name)),
        };
        run(cmd.arg("--out").arg(out_root.join(name)))?;
        eprintln!(
            "xtask: {name} done in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    phase("[3/3] writing the index README.md");
    index::write(root, out_root, all)
}

/// Holds an exclusive OS lock on `path` until dropped; says so if it has to wait.
fn lock(path: &Path) -> Result<File, String> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| format!("cannot open the lock file {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            eprintln!(
                "xtask: another `cargo xtask reproduce` is running in this checkout (lock {}); \
                 waiting for it to finish",
                path.display()
            );
            file.lock()
                .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
            Ok(file)
        }
        Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
    }
}

/// The experiments: directories under `experiments/` with a `Cargo.toml`, sorted by name.
pub fn experiments(root: &Path) -> Result<Vec<String>, String> {
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
                        !VOLATILE.contains(&n.as_str())
                            && !NOT_EXPERIMENTS.contains(&n.as_str())
                            && !n.starts_with('.')
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let names: BTreeSet<String> = list(committed).union(&list(fresh)).cloned().collect();
    for name in names {
        let (a, b): (PathBuf, PathBuf) = (committed.join(&name), fresh.join(&name));
        let sub = format!("{label}/{name}");
        if a.is_dir() || b.is_dir() {
            compare_dirs(&a, &b, &sub, out);
        } else {
            compare_file(&a, &b, &sub, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// What a run leaves in reports/ besides the committed reports (timings, staging
    /// directories, locks) is ignored by git, so `reproduce` leaves `git status` empty; the
    /// reports themselves and the performance report's run info are not ignored.
    #[test]
    fn run_by_products_are_ignored_by_git() {
        let root = crate::util::workspace_root();
        let ignored = |rel: &str| {
            Command::new("git")
                .arg("-C")
                .arg(&root)
                .args(["check-ignore", "-q", "--no-index", rel])
                .status()
                .ok()
                .and_then(|s| s.code())
        };
        if ignored("reports/README.md").is_none_or(|c| c > 1) {
            eprintln!("not a git checkout: nothing to check");
            return;
        }
        for rel in [
            "reports/asymmetric/run-info.json",
            "reports/new-experiment/run-info.json",
            "reports/.asymmetric.staging-12-34-0",
            "reports/.asymmetric.old-12-34-0",
            "reports/.asymmetric.lock",
            "reports/.reproduce.lock",
        ] {
            assert_eq!(ignored(rel), Some(0), "{rel} is not ignored");
        }
        for rel in [
            "reports/README.md",
            "reports/asymmetric/README.md",
            "reports/asymmetric/manifest.json",
            "reports/performance/run-info.json",
        ] {
            assert_eq!(ignored(rel), Some(1), "{rel} is ignored");
        }
    }

    /// A second holder of the reproduce lock waits until the first releases it.
    #[test]
    fn a_second_run_waits_for_the_lock() {
        let dir = std::env::temp_dir().join(format!("xtask-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(".reproduce.lock");
        let first = lock(&path).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let path = path.clone();
            std::thread::spawn(move || {
                let _second = lock(&path).unwrap();
                tx.send(Instant::now()).unwrap();
            })
        };
        std::thread::sleep(Duration::from_millis(300));
        assert!(rx.try_recv().is_err(), "the second run did not wait");
        let released = Instant::now();
        drop(first);
        let acquired = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(acquired >= released);
        waiter.join().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}

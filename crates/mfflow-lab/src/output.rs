//! Where an experiment writes: a staging directory that replaces the previous report only when
//! the whole run has succeeded, files written atomically inside it, data as CSV (with a header
//! row) or JSON, the manifest, and the wall-clock timings.

use crate::{lab_err, Result};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// File names the harness writes besides the experiment's own.
pub const MANIFEST: &str = "manifest.json";
/// Wall-clock timings and the git revision: they vary between runs, so `--check` ignores them.
pub const RUN_INFO: &str = "run-info.json";

/// The outputs of one run.
#[derive(Debug)]
pub struct Outputs {
    final_dir: PathBuf,
    staging: PathBuf,
    timings: std::sync::Mutex<Vec<(String, f64)>>,
    started: Instant,
}

impl Outputs {
    /// Starts a run that will end up in `final_dir` (created or replaced by [`Outputs::commit`]).
    pub fn create(final_dir: &Path) -> Result<Self> {
        let name = final_dir
            .file_name()
            .ok_or_else(|| lab_err!("--out: `{}` is not a directory path", final_dir.display()))?
            .to_string_lossy()
            .to_string();
        let parent = final_dir.parent().unwrap_or(Path::new("."));
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        std::fs::create_dir_all(parent)?;
        let staging = parent.join(format!(".{name}.staging"));
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        std::fs::create_dir_all(&staging)?;
        Ok(Self {
            final_dir: final_dir.to_path_buf(),
            staging,
            timings: std::sync::Mutex::new(Vec::new()),
            started: Instant::now(),
        })
    }

    /// Writes `bytes` to `rel` in the staging directory, through a temporary file and a rename.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let path = self.staging.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        write_atomic(&path, bytes)
    }

    /// A CSV file with a header row.
    pub fn csv(&self, rel: &str, header: &[&str], rows: &[Vec<String>]) -> Result<()> {
        let mut text = header.join(",");
        text.push('\n');
        for row in rows {
            if row.len() != header.len() {
                return Err(lab_err!(
                    "{rel}: a row has {} fields, the header {}",
                    row.len(),
                    header.len()
                ));
            }
            text.push_str(&row.join(","));
            text.push('\n');
        }
        self.write(rel, text.as_bytes())
    }

    /// A pretty-printed JSON file.
    pub fn json(&self, rel: &str, value: &Value) -> Result<()> {
        let mut text = serde_json::to_string_pretty(value).map_err(|e| lab_err!("{rel}: {e}"))?;
        text.push('\n');
        self.write(rel, text.as_bytes())
    }

    /// Runs `f`, recording its wall-clock time under `phase` in `run-info.json`.
    pub fn time<T>(&self, phase: &str, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let value = f();
        self.timings
            .lock()
            .expect("timings poisoned")
            .push((phase.to_string(), start.elapsed().as_secs_f64()));
        value
    }

    /// The end of every experiment: renders the report to `README.md`, records the manifest
    /// (experiment, mfflow version, master seed, the seed streams drawn, the configuration)
    /// and commits the run (see [`Outputs::commit`]).
    pub fn finish(
        self,
        experiment: &str,
        report: &crate::report::Report,
        seeds: &crate::seeds::Seeds,
        config: &impl serde::Serialize,
    ) -> Result<()> {
        self.write("README.md", report.render()?.as_bytes())?;
        let manifest = json!({
            "experiment": experiment,
            "mfflow_version": env!("CARGO_PKG_VERSION"),
            "master_seed": seeds.master(),
            "seed_streams": seeds.used(),
            "config": serde_json::to_value(config).map_err(|e| crate::lab_err!("config: {e}"))?,
        });
        self.commit(manifest)
    }

    /// Writes the manifest and the run info, then swaps the staging directory in place of the
    /// previous report. Until this point the previous report is untouched.
    pub fn commit(self, manifest: Value) -> Result<()> {
        self.json(MANIFEST, &manifest)?;
        let timings: serde_json::Map<String, Value> = self
            .timings
            .lock()
            .expect("timings poisoned")
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let (revision, dirty) = git_revision();
        self.json(
            RUN_INFO,
            &json!({
                "git_revision": revision,
                "git_dirty": dirty,
                "available_parallelism": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
                "timings_seconds": timings,
                "total_seconds": self.started.elapsed().as_secs_f64(),
            }),
        )?;
        let old = self.staging.with_file_name(format!(
            ".{}.old",
            self.final_dir
                .file_name()
                .expect("checked in create")
                .to_string_lossy()
        ));
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        if self.final_dir.exists() {
            std::fs::rename(&self.final_dir, &old)?;
        }
        std::fs::rename(&self.staging, &self.final_dir)?;
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(())
    }
}

/// Writes a file through a temporary sibling and a rename, so readers never see half of it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| lab_err!("`{}` is not a file path", path.display()))?;
    let tmp = path.with_file_name(format!(".{}.tmp", name.to_string_lossy()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// The current git revision and whether the work tree has uncommitted changes.
pub fn git_revision() -> (String, bool) {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let revision = run(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = run(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
    (revision, dirty)
}

/// A number for a data file or a table: Rust's shortest round-trip form, so the text is the
/// same on every machine and re-reads to the same f64.
pub fn num(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else {
        format!("{x:?}")
    }
}

/// A number for prose and tables: `sig` significant digits, scientific when far from 1.
pub fn short(x: f64, sig: usize) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let mag = x.abs().log10().floor();
    if (-3.0..5.0).contains(&mag) {
        let decimals = (sig as i32 - 1 - mag as i32).max(0) as usize;
        format!("{x:.decimals$}")
    } else {
        format!("{x:.prec$e}", prec = sig.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_run_leaves_the_previous_report_and_a_good_one_replaces_it() {
        let root = std::env::temp_dir().join(format!("mfflow-lab-out-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let dir = root.join("exp");
        let first = Outputs::create(&dir).unwrap();
        first.write("README.md", b"first").unwrap();
        first.commit(json!({"run": 1})).unwrap();
        assert_eq!(std::fs::read(dir.join("README.md")).unwrap(), b"first");
        // A run that fails before commit: the previous report stays.
        let failed = Outputs::create(&dir).unwrap();
        failed.write("README.md", b"half").unwrap();
        drop(failed);
        assert_eq!(std::fs::read(dir.join("README.md")).unwrap(), b"first");
        // A successful run replaces the whole directory (no stale files survive).
        let second = Outputs::create(&dir).unwrap();
        second.write("other.csv", b"x\n").unwrap();
        second.commit(json!({"run": 2})).unwrap();
        assert!(!dir.join("README.md").exists());
        assert!(
            dir.join("other.csv").exists()
                && dir.join(MANIFEST).exists()
                && dir.join(RUN_INFO).exists()
        );
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn number_formats() {
        assert_eq!(num(0.1), "0.1");
        assert_eq!(num(1e-300), "1e-300");
        assert_eq!(short(0.123456, 3), "0.123");
        assert_eq!(short(123456.0, 3), "1.23e5");
        assert_eq!(short(2.0e-7, 2), "2.0e-7");
    }
}

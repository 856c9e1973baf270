//! Where an experiment writes: a staging directory that replaces the previous report only when
//! the whole run has succeeded, files written atomically inside it, data as CSV (with a header
//! row) or JSON, the manifest, and the wall-clock timings.

use crate::{lab_err, Result};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// File names the harness writes besides the experiment's own.
pub const MANIFEST: &str = "manifest.json";
/// Wall-clock timings and the git revision: they vary between runs, so `--check` ignores them.
pub const RUN_INFO: &str = "run-info.json";

/// The outputs of one run.
///
/// Several runs may target the same directory at once (two `cargo xtask reproduce` in one
/// checkout): each stages into its own uniquely named directory beside the target, and the
/// swap into place happens under an exclusive lock on `.<name>.lock`, so every run's report is
/// complete and the last one to finish is the one that stays. A run that fails or is dropped
/// removes its staging directory and leaves the previous report as it was.
#[derive(Debug)]
pub struct Outputs {
    final_dir: PathBuf,
    staging: PathBuf,
    timings: std::sync::Mutex<Vec<(String, f64)>>,
    started: Instant,
    /// Shared with the parent watch: set once the run is committed or abandoned, and held
    /// while the swap happens so that the watch never exits half-way through it.
    state: Arc<Mutex<RunState>>,
}

/// Where a run stands, as the parent watch sees it.
#[derive(Debug, Default)]
struct RunState {
    done: bool,
}

/// Environment variable holding the pid of the process this run must not outlive. `cargo
/// xtask reproduce` sets it to its own pid: if it dies (killed alone, without its children),
/// the experiment notices within a fraction of a second, removes its staging directory and
/// exits without committing anything.
pub const PARENT_PID_ENV: &str = "MFFLOW_PARENT_PID";

impl Outputs {
    /// Starts a run that will end up in `final_dir` (created or replaced by [`Outputs::commit`]).
    pub fn create(final_dir: &Path) -> Result<Self> {
        let name = final_dir
            .file_name()
            .ok_or_else(|| lab_err!("--out: `{}` is not a directory path", final_dir.display()))?
            .to_string_lossy()
            .to_string();
        let parent = parent_of(final_dir);
        std::fs::create_dir_all(parent)
            .map_err(|e| lab_err!("cannot create {}: {e}", parent.display()))?;
        let staging = unique_dir(parent, &format!(".{name}.staging"))?;
        let state = Arc::new(Mutex::new(RunState::default()));
        watch_parent(&staging, &state);
        Ok(Self {
            final_dir: final_dir.to_path_buf(),
            staging,
            timings: std::sync::Mutex::new(Vec::new()),
            started: Instant::now(),
            state,
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

    /// A CSV file with a header row. Fields holding a comma, a quote or a line break are
    /// quoted (RFC 4180), so a label such as `spectral, 1e-8` stays one field.
    pub fn csv(&self, rel: &str, header: &[&str], rows: &[Vec<String>]) -> Result<()> {
        let quote = |field: &str| -> String {
            if field.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", field.replace('"', "\"\""))
            } else {
                field.to_string()
            }
        };
        let join = |fields: &mut dyn Iterator<Item = &str>| -> String {
            fields.map(quote).collect::<Vec<_>>().join(",")
        };
        let mut text = join(&mut header.iter().copied());
        text.push('\n');
        for row in rows {
            if row.len() != header.len() {
                return Err(lab_err!(
                    "{rel}: a row has {} fields, the header {}",
                    row.len(),
                    header.len()
                ));
            }
            text.push_str(&join(&mut row.iter().map(String::as_str)));
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
        let parent = parent_of(&self.final_dir).to_path_buf();
        let (revision, dirty) = git_state(Path::new("."), Some(&parent));
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
        let name = self
            .final_dir
            .file_name()
            .expect("checked in create")
            .to_string_lossy()
            .to_string();
        let _lock = lock_exclusive(&parent.join(format!(".{name}.lock")), &self.final_dir)?;
        // Held through the swap: the parent watch waits for it instead of exiting half-way.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(expected) = watched_parent() {
            if !parent_alive(expected) {
                return Err(lab_err!(
                    "the parent process (pid {expected}) is gone; not committing {}",
                    self.final_dir.display()
                ));
            }
        }
        // Under the lock: move the previous report aside, move the staged one in, remove the
        // previous one. If the second rename fails, the previous report is put back.
        let old = unique_name(&parent, &format!(".{name}.old"));
        let had_old = match std::fs::rename(&self.final_dir, &old) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => {
                return Err(lab_err!(
                    "cannot move {} aside: {e}",
                    self.final_dir.display()
                ))
            }
        };
        if let Err(e) = std::fs::rename(&self.staging, &self.final_dir) {
            if had_old {
                let _ = std::fs::rename(&old, &self.final_dir);
            }
            return Err(lab_err!(
                "cannot move {} to {}: {e}",
                self.staging.display(),
                self.final_dir.display()
            ));
        }
        state.done = true;
        if had_old {
            std::fs::remove_dir_all(&old)
                .map_err(|e| lab_err!("cannot remove {}: {e}", old.display()))?;
        }
        Ok(())
    }
}

impl Drop for Outputs {
    /// A run that was not committed (it failed, or panicked) removes its staging directory.
    fn drop(&mut self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if !state.done {
            state.done = true;
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// The directory that holds `dir` (`.` for a bare name).
fn parent_of(dir: &Path) -> &Path {
    match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// `<dir>/<prefix>-<pid>-<nanos>-<k>`: a name no other run, in this process or another, uses.
fn unique_name(dir: &Path, prefix: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let k = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("{prefix}-{}-{nanos}-{k}", std::process::id()))
}

/// Creates a new, uniquely named directory in `dir` (never one that already exists).
fn unique_dir(dir: &Path, prefix: &str) -> Result<PathBuf> {
    for _ in 0..100 {
        let path = unique_name(dir, prefix);
        match std::fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(lab_err!("cannot create {}: {e}", path.display())),
        }
    }
    Err(lab_err!("no free staging name in {}", dir.display()))
}

/// Holds an exclusive lock on `path` (created if missing) until dropped, waiting for another
/// holder with a message naming what it waits for. The lock is the operating system's
/// (`flock`): it is released when the holder exits, however it exits.
pub fn lock_exclusive(path: &Path, what: &Path) -> Result<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| lab_err!("cannot open the lock file {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            eprintln!(
                "waiting for another run writing {} to finish (lock {})",
                what.display(),
                path.display()
            );
            file.lock()
                .map_err(|e| lab_err!("cannot lock {}: {e}", path.display()))?;
            Ok(file)
        }
        Err(std::fs::TryLockError::Error(e)) => {
            Err(lab_err!("cannot lock {}: {e}", path.display()))
        }
    }
}

/// The pid in [`PARENT_PID_ENV`], if set.
fn watched_parent() -> Option<u32> {
    std::env::var(PARENT_PID_ENV).ok()?.trim().parse().ok()
}

/// Whether the process is still the child of `expected` (an orphan is re-parented to init or
/// a subreaper, so its parent pid changes).
fn parent_alive(expected: u32) -> bool {
    #[cfg(unix)]
    {
        std::os::unix::process::parent_id() == expected
    }
    #[cfg(not(unix))]
    {
        let _ = expected;
        true
    }
}

/// With [`PARENT_PID_ENV`] set, a thread checks every 100 ms that the parent is alive; once it
/// is gone, the run removes its staging directory and exits (code 1) without committing. The
/// check takes the run's state lock, so it never interrupts a swap in progress.
fn watch_parent(staging: &Path, state: &Arc<Mutex<RunState>>) {
    let Some(expected) = watched_parent() else {
        return;
    };
    let (staging, state) = (staging.to_path_buf(), Arc::clone(state));
    std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if parent_alive(expected) {
            continue;
        }
        let state = state.lock().unwrap_or_else(|e| e.into_inner());
        if state.done {
            return;
        }
        let _ = std::fs::remove_dir_all(&staging);
        eprintln!(
            "error: the parent process (pid {expected}) is gone; stopping without writing the report"
        );
        std::process::exit(1);
    });
}

/// Writes a file through a temporary sibling and a rename, so readers never see half of it.
/// The temporary file has a name unique to this write and is created exclusively, so two
/// writers of the same path never share it and a file planted under that name is never
/// written through.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let name = path
        .file_name()
        .ok_or_else(|| lab_err!("`{}` is not a file path", path.display()))?;
    let dir = parent_of(path);
    let (mut file, tmp) = (0..100)
        .find_map(|_| {
            let tmp = unique_name(dir, &format!(".{}.tmp", name.to_string_lossy()));
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .ok()
                .map(|f| (f, tmp))
        })
        .ok_or_else(|| lab_err!("cannot create a temporary file in {}", dir.display()))?;
    let written = file
        .write_all(bytes)
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(lab_err!("cannot write {}: {e}", path.display()));
    }
    Ok(())
}

/// The current git revision and whether the work tree has uncommitted changes (run in the
/// current directory, nothing excluded).
pub fn git_revision() -> (String, bool) {
    git_state(Path::new("."), None)
}

/// The git revision of the repository holding `dir`, and whether its work tree differs from
/// that revision: modified, staged, deleted or untracked files that git does not ignore.
///
/// `reports`, when inside the work tree, is left out of the comparison: it is where runs
/// write, so an earlier experiment of the same `reproduce` (or this run's own staging
/// directory) must not make the sources look modified. Outside a git work tree the revision
/// is `unknown` and the tree counts as clean.
pub fn git_state(dir: &Path, reports: Option<&Path>) -> (String, bool) {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let Some(revision) = run(&["rev-parse", "HEAD"]) else {
        return ("unknown".into(), false);
    };
    let mut args = vec![
        "status".to_string(),
        "--porcelain".into(),
        "--".into(),
        ":/".into(),
    ];
    if let (Some(reports), Some(top)) = (reports, run(&["rev-parse", "--show-toplevel"])) {
        let canonical = |p: &Path| std::fs::canonicalize(p).ok();
        if let (Some(reports), Some(top)) = (canonical(reports), canonical(Path::new(&top))) {
            if let Ok(rel) = reports.strip_prefix(&top) {
                if !rel.as_os_str().is_empty() {
                    args.push(format!(":(top,exclude){}", rel.display()));
                }
            }
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // If `git status` itself fails, say dirty: the revision alone does not describe the run.
    let dirty = run(&args).is_none_or(|s| !s.is_empty());
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

    /// A label with a comma used to add a field to every row of asymmetric's windows.csv.
    #[test]
    fn csv_fields_with_commas_or_quotes_are_quoted() {
        let root = std::env::temp_dir().join(format!("mfflow-lab-csv-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let out = Outputs::create(&root.join("exp")).unwrap();
        let rows = vec![vec![
            "spectral, 1e-8".to_string(),
            "say \"hi\"".into(),
            "3".into(),
        ]];
        out.csv("t.csv", &["label", "text", "k"], &rows).unwrap();
        out.commit(json!({})).unwrap();
        let text = std::fs::read_to_string(root.join("exp/t.csv")).unwrap();
        assert_eq!(
            text,
            "label,text,k\n\"spectral, 1e-8\",\"say \"\"hi\"\"\",3\n"
        );
        let _ = std::fs::remove_dir_all(&root);
    }

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

    /// Issue 15 item 13: `git_dirty` was always true because the check saw the run's own
    /// staging directory (and the reports earlier experiments had just rewritten).
    #[test]
    fn git_dirty_is_about_the_sources_not_the_reports() {
        let repo = std::env::temp_dir().join(format!("mfflow-lab-git-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&repo);
        std::fs::create_dir_all(repo.join("reports/exp")).unwrap();
        let git = |args: &[&str]| {
            let ok = std::process::Command::new("git")
                .arg("-C")
                .arg(&repo)
                .args([
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@t",
                    "-c",
                    "commit.gpgsign=false",
                ])
                .args(args)
                .output()
                .unwrap()
                .status
                .success();
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q"]);
        std::fs::write(repo.join("src.rs"), "fn main() {}\n").unwrap();
        std::fs::write(repo.join("reports/exp/README.md"), "old\n").unwrap();
        git(&["add", "."]);
        git(&["commit", "-qm", "init"]);
        let reports = repo.join("reports");
        let (rev, dirty) = git_state(&repo, Some(&reports));
        assert_eq!(rev.len(), 40);
        assert!(!dirty, "a clean checkout reported dirty");
        // A staging directory, a lock and a rewritten report: still clean.
        let staged = Outputs::create(&reports.join("exp")).unwrap();
        staged.write("README.md", b"new").unwrap();
        std::fs::write(reports.join("exp/README.md"), "rewritten\n").unwrap();
        assert!(!git_state(&repo, Some(&reports)).1);
        // Without the exclusion the same tree is dirty (what the old check saw).
        assert!(git_state(&repo, None).1);
        drop(staged);
        // A modified source or a new untracked source file is dirty, from any subdirectory.
        std::fs::write(repo.join("src.rs"), "fn main() { }\n").unwrap();
        assert!(git_state(&repo.join("reports"), Some(&reports)).1);
        git(&["checkout", "--", "src.rs"]);
        assert!(!git_state(&repo, Some(&reports)).1);
        std::fs::write(repo.join("new.rs"), "\n").unwrap();
        assert!(git_state(&repo, Some(&reports)).1);
        // Outside any repository: unknown revision, not dirty.
        let outside = std::env::temp_dir();
        if git_state(&outside, None).0 == "unknown" {
            assert!(!git_state(&outside, None).1);
        }
        let _ = std::fs::remove_dir_all(&repo);
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

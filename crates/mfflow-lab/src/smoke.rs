//! What every experiment's smoke test does: run the binary on a tiny configuration in a scratch
//! directory, check that the report is complete, and check that a bad configuration is refused
//! (exit 2, one line naming the key, no panic) without touching the previous report.
//!
//! These helpers assert (they are for tests); the test keeps its own tiny config, the files it
//! expects and the bad value it tries, and hands them to [`Smoke::check`], which runs the
//! whole routine every experiment's smoke test shares.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh scratch directory, removed when dropped.
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// `<temp>/<tag>-smoke-<pid>`, emptied first.
    pub fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("{tag}-smoke-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the scratch directory");
        Self { dir }
    }

    /// A path inside the scratch directory.
    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// Runs `binary --render-from from --out out`.
    pub fn render(&self, binary: &str, from: &Path, out: &Path) -> Output {
        Command::new(binary)
            .arg("--render-from")
            .arg(from)
            .arg("--out")
            .arg(out)
            .output()
            .expect("run the experiment binary")
    }

    /// Runs `binary --config <scratch>/config.toml --out out` with `config` as the file's text;
    /// `threads` sets `RAYON_NUM_THREADS` when given.
    pub fn run(&self, binary: &str, config: &str, out: &Path, threads: Option<usize>) -> Output {
        let path = self.join("config.toml");
        std::fs::write(&path, config).expect("write the config");
        let mut cmd = Command::new(binary);
        cmd.arg("--config").arg(&path).arg("--out").arg(out);
        if let Some(t) = threads {
            cmd.env("RAYON_NUM_THREADS", t.to_string());
        }
        cmd.output().expect("run the experiment binary")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Asserts that the run succeeded, that `out/README.md` has no unfilled placeholder and that
/// every file in `files` exists; returns the README.
pub fn expect_report(run: &Output, out: &Path, files: &[&str]) -> String {
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let readme = std::fs::read_to_string(out.join("README.md")).expect("README.md written");
    assert!(!readme.contains("{{"), "unfilled placeholder");
    for file in files {
        assert!(out.join(file).exists(), "{file} missing");
    }
    readme
}

/// Asserts that the run was refused as a bad configuration: exit code 2, `key:` named on
/// stderr, no panic, and `out/README.md` still equal to `readme`.
pub fn expect_rejected(run: &Output, key: &str, out: &Path, readme: &str) {
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{key}:")) && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("README.md")).expect("README.md still there"),
        readme
    );
}

/// For each `(from, to, key)`: runs `binary` on `config` with `from` replaced by `to` and
/// asserts the run is refused naming `key`, leaving `out/README.md` equal to `readme` (the
/// limits a config's validation states, e.g. `alpha = 5e-324` or `time_points = 100000000`).
pub fn expect_each_rejected(
    scratch: &Scratch,
    binary: &str,
    config: &str,
    out: &Path,
    readme: &str,
    cases: &[(&str, &str, &str)],
) {
    for (from, to, key) in cases {
        let bad = config.replacen(from, to, 1);
        assert_ne!(bad, config, "`{from}` is not in the config");
        expect_rejected(&scratch.run(binary, &bad, out, None), key, out, readme);
    }
}

/// Asserts that re-rendering the report in `out` from its saved data (`--render-from out`,
/// no measuring) gives the same files byte for byte (only `run-info.json`, timings and the
/// git revision, may differ), both into a fresh directory and in place.
pub fn expect_rerendered_identically(scratch: &Scratch, binary: &str, out: &Path) {
    let again = scratch.join("rerendered");
    let run = scratch.render(binary, out, &again);
    assert!(
        run.status.success(),
        "--render-from failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_same_files(out, &again);
    let in_place = scratch.render(binary, out, out);
    assert!(
        in_place.status.success(),
        "--render-from in place failed: {}",
        String::from_utf8_lossy(&in_place.stderr)
    );
    assert_same_files(&again, out);
    let _ = std::fs::remove_dir_all(&again);
}

/// Asserts that `a` and `b` hold the same files (recursively) with the same bytes, apart
/// from `run-info.json`.
pub fn assert_same_files(a: &Path, b: &Path) {
    let (fa, fb) = (files_under(a), files_under(b));
    assert_eq!(
        fa,
        fb,
        "{} and {} hold different files",
        a.display(),
        b.display()
    );
    for rel in &fa {
        if rel.ends_with(crate::output::RUN_INFO) {
            continue;
        }
        assert!(
            std::fs::read(a.join(rel)).unwrap() == std::fs::read(b.join(rel)).unwrap(),
            "{} differs between {} and {}",
            rel.display(),
            a.display(),
            b.display()
        );
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read the report directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// What an experiment's smoke test runs: its binary on a tiny config, the files the report
/// must have, one bad value and the stated limits that must be refused.
pub struct Smoke<'a> {
    /// A short name for the scratch directory.
    pub tag: &'a str,
    /// `env!("CARGO_BIN_EXE_<name>")`.
    pub binary: &'a str,
    /// The tiny config's text.
    pub config: &'a str,
    /// Files the report must contain besides `README.md`.
    pub files: &'a [&'a str],
    /// `RAYON_NUM_THREADS` for the main run (`None`: the default).
    pub threads: Option<usize>,
    /// `(from, to, key)`: a bad config (text `from` replaced by `to`) refused naming `key`.
    pub bad: (&'a str, &'a str, &'a str),
    /// More `(from, to, key)` cases: the limits the config's validation states.
    pub limits: &'a [(&'a str, &'a str, &'a str)],
}

impl Smoke<'_> {
    /// Runs the tiny config and checks the report ([`expect_report`]), re-renders it from its
    /// saved data and checks it is byte-identical ([`expect_rerendered_identically`]), then
    /// checks that the bad config and every limit are refused without touching the report.
    /// Returns the scratch directory (the report is in `report/`) and the README, for checks
    /// of the experiment's own.
    pub fn check(&self) -> (Scratch, String) {
        let scratch = Scratch::new(self.tag);
        let out = scratch.join("report");
        let readme = expect_report(
            &scratch.run(self.binary, self.config, &out, self.threads),
            &out,
            self.files,
        );
        expect_rerendered_identically(&scratch, self.binary, &out);
        let (from, to, key) = self.bad;
        let bad = self.config.replacen(from, to, 1);
        assert_ne!(bad, self.config, "`{from}` is not in the config");
        expect_rejected(
            &scratch.run(self.binary, &bad, &out, None),
            key,
            &out,
            &readme,
        );
        expect_each_rejected(
            &scratch,
            self.binary,
            self.config,
            &out,
            &readme,
            self.limits,
        );
        (scratch, readme)
    }
}

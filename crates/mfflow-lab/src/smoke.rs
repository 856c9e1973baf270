//! What every experiment's smoke test does: run the binary on a tiny configuration in a scratch
//! directory, check that the report is complete, and check that a bad configuration is refused
//! (exit 2, one line naming the key, no panic) without touching the previous report.
//!
//! These helpers assert (they are for tests); the test keeps its own tiny config, the files it
//! expects and the bad value it tries.

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

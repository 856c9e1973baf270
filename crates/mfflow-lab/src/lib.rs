//! The harness every mfflow experiment uses.
//!
//! An experiment is a binary `experiments/<name>` with its parameters in `config.toml` and its
//! prose in `report.md` beside the code. It calls [`cli::main`] with a function that reads the
//! config, draws from named seeds, computes, and fills the report. The harness gives it:
//!
//! - [`config`]: typed configs read with serde + toml; unknown keys and invalid values are
//!   errors that name the key.
//! - [`seeds`]: a master seed and independent, named ChaCha streams derived from it, so adding
//!   a new random draw never changes the existing ones.
//! - [`output`]: a staging directory whose files are written atomically and which replaces the
//!   previous report only when the whole run succeeded; CSV and JSON data files; the run
//!   manifest (configuration, seeds; checked for reproducibility) and `run-info.json` (git
//!   revision and wall-clock timings; ignored by `cargo xtask reproduce --check`).
//! - [`plot`]: SVG line plots (plotters, no system fonts) with labelled axes, log scales,
//!   legends and marker lines.
//! - [`report`]: the literate report — the experiment's `report.md` with `{{placeholders}}`
//!   filled by figures, tables and values computed from the data, and claims that render only
//!   when a check computed from the data holds. Every placeholder must be filled, every value
//!   used, and no result may be written as a bare number, so prose cannot silently go stale.
//! - [`run`]: the run object an experiment's `main.rs` drives: config, seeds, outputs, report
//!   and timings, one `measure` → data → `report` part at a time; each part's data is saved
//!   (`data/<part>.json`) so `--render-from` re-renders a report without measuring.
//! - [`progress`]: indicatif bars, hidden when stderr is not a terminal.
//! - [`instances`]: Gaussian matrices, random orthonormal frames, targets in a random basis.
//! - [`saved`]: how the core's result types are saved in a part's data file.
//! - [`smoke`]: what every experiment's smoke test runs and checks.
//! - [`stats`]: quantiles with distribution-free confidence intervals, Wilson intervals,
//!   Kolmogorov–Smirnov distances and critical values, sorting.

pub mod cli;
pub mod config;
pub mod instances;
pub mod output;
pub mod plot;
pub mod progress;
pub mod report;
pub mod run;
pub mod saved;
pub mod seeds;
pub mod smoke;
pub mod stats;

use std::fmt;

/// An experiment failure: one line saying what went wrong and where.
#[derive(Debug, Clone, PartialEq)]
pub struct LabError(pub String);

impl fmt::Display for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LabError {}

impl From<mfflow::Error> for LabError {
    fn from(e: mfflow::Error) -> Self {
        LabError(e.to_string())
    }
}

impl From<std::io::Error> for LabError {
    fn from(e: std::io::Error) -> Self {
        LabError(format!("I/O error: {e}"))
    }
}

/// Shorthand for results of the harness and of experiments.
pub type Result<T> = std::result::Result<T, LabError>;

/// Builds a [`LabError`] from a format string.
#[macro_export]
macro_rules! lab_err {
    ($($arg:tt)*) => { $crate::LabError(format!($($arg)*)) };
}

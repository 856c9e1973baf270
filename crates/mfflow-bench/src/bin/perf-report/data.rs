//! The data of the report: criterion's estimates, the benches' records and the Python
//! baselines' results, read once; and the formatting every section shares.

use mfflow_bench::plan::{BackendPlan, TrajectoryPlan};
use mfflow_lab::output::short;
use mfflow_lab::stats::least_squares_slope;
use mfflow_lab::{lab_err, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Mean time in seconds with its 95% interval (criterion's, or the Python script's).
#[derive(Debug, Clone, Copy)]
pub struct Estimate {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Estimate {
    /// From a JSON object with `mean`, `lo`, `hi` in seconds (the Python script's rows).
    pub fn from_json(v: &Value) -> Option<Self> {
        // mean - 1.96 standard errors can fall below zero over a few noisy samples; a time
        // cannot.
        Some(Self {
            mean: v["mean"].as_f64()?,
            lo: v["lo"].as_f64()?.max(0.0),
            hi: v["hi"].as_f64()?,
        })
    }

    /// `mean [lo, hi]`, or `mean (one sample)` when there is no interval.
    pub fn with_interval(self) -> String {
        if self.lo == self.hi {
            format!("{} (one sample)", secs(self.mean))
        } else {
            format!("{} [{}, {}]", secs(self.mean), secs(self.lo), secs(self.hi))
        }
    }

    /// The sum of two timings (intervals added: conservative).
    pub fn plus(self, other: Estimate) -> Estimate {
        Estimate {
            mean: self.mean + other.mean,
            lo: self.lo + other.lo,
            hi: self.hi + other.hi,
        }
    }
}

/// Everything the report is made from.
pub struct Data {
    /// criterion's directory of the run.
    pub dir: PathBuf,
    /// `trajectory.json`.
    pub trajectory: Value,
    /// Its plan.
    pub plan: TrajectoryPlan,
    /// `backends.json`.
    pub backends: Value,
    /// Its plan.
    pub backend_plan: BackendPlan,
    /// `python.json`, or why there is none.
    pub python: std::result::Result<Value, String>,
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        lab_err!(
            "{}: {e} (run `cargo xtask bench` to produce it)",
            path.display()
        )
    })?;
    serde_json::from_str(&text).map_err(|e| lab_err!("{}: not JSON: {e}", path.display()))
}

impl Data {
    /// Reads the records of the run in `dir`.
    pub fn read(dir: &Path) -> Result<Self> {
        let trajectory = read_json(&dir.join("trajectory.json"))?;
        let plan = TrajectoryPlan::from_json(&trajectory["plan"])
            .ok_or_else(|| lab_err!("trajectory.json: no valid `plan`"))?;
        let backends = read_json(&dir.join("backends.json"))?;
        let backend_plan = BackendPlan::from_json(&backends["plan"])
            .ok_or_else(|| lab_err!("backends.json: no valid `plan`"))?;
        let python = match read_json(&dir.join("python.json")) {
            Ok(v) if v["available"].as_bool() == Some(true) => Ok(v),
            Ok(v) => Err(v["reason"]
                .as_str()
                .unwrap_or("the Python script reported no results")
                .to_string()),
            Err(_) => Err(
                "no python.json in this run (`python3` was not found or the script failed)".into(),
            ),
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            trajectory,
            plan,
            backends,
            backend_plan,
            python,
        })
    }

    /// criterion's estimate of benchmark `id` (`group/function/parameter`).
    pub fn get(&self, id: &str) -> Result<Estimate> {
        self.try_get(id).ok_or_else(|| {
            lab_err!(
                "{}: missing or unreadable (run `cargo xtask bench` to produce it)",
                self.dir.join(id).join("new/estimates.json").display()
            )
        })
    }

    /// The same, `None` if the benchmark was not run (a form that refused its instance).
    pub fn try_get(&self, id: &str) -> Option<Estimate> {
        let path = self.dir.join(id).join("new").join("estimates.json");
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
        let f = |p: &str| v.pointer(p).and_then(Value::as_f64);
        Some(Estimate {
            mean: f("/mean/point_estimate")? * 1e-9,
            lo: f("/mean/confidence_interval/lower_bound")? * 1e-9,
            hi: f("/mean/confidence_interval/upper_bound")? * 1e-9,
        })
    }

    /// `group/name/p` for each parameter.
    pub fn sweep(&self, group: &str, name: &str, params: &[usize]) -> Result<Vec<(f64, Estimate)>> {
        params
            .iter()
            .map(|&p| Ok((p as f64, self.get(&format!("{group}/{name}/{p}"))?)))
            .collect()
    }

    /// The description of a timed instance (`trajectory.json`'s `instances`).
    pub fn instance(&self, name: &str) -> Result<&Value> {
        self.trajectory["instances"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["name"] == name))
            .ok_or_else(|| lab_err!("trajectory.json: no instance `{name}`"))
    }
}

/// Least-squares slope of log(time) against log(x).
pub fn loglog_slope(pts: &[(f64, Estimate)]) -> f64 {
    let xy: Vec<(f64, f64)> = pts.iter().map(|(n, e)| (n.ln(), e.mean.ln())).collect();
    least_squares_slope(&xy).unwrap_or(f64::NAN)
}

/// A duration with its unit, three significant digits.
pub fn secs(x: f64) -> String {
    if !x.is_finite() {
        "n/a".into()
    } else if x >= 1.0 {
        format!("{} s", short(x, 3))
    } else if x >= 1e-3 {
        format!("{} ms", short(x * 1e3, 3))
    } else if x >= 1e-6 {
        format!("{} µs", short(x * 1e6, 3))
    } else {
        format!("{} ns", short(x * 1e9, 3))
    }
}

/// `3.2x`.
pub fn times(x: f64) -> String {
    format!("{}x", short(x, 3))
}

/// The machine, toolchain and revision.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let threads = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "rustc (unknown version)".into());
    let (rev, dirty) = mfflow_lab::output::git_revision();
    format!(
        "{cpu}, {threads} hardware threads available; {rustc}; faer 0.24, nalgebra 0.34; {} {}, git {rev}{}",
        std::env::consts::OS,
        std::env::consts::ARCH,
        if dirty {
            " (with uncommitted changes)"
        } else {
            ""
        }
    )
}

pub use mfflow_bench::record::load_average;

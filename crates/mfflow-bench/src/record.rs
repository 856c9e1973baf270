//! The files a bench run leaves beside criterion's results (in `CRITERION_HOME`, which
//! `cargo xtask bench` sets): JSON records (plan, accuracy, memory, instance descriptions) for
//! the renderer, and raw matrices for the Python baselines, so that NumPy/SciPy time the very
//! inputs the Rust benches timed.
//!
//! A matrix is written as `NAME.f64`: its entries as little-endian `f64`, column-major (NumPy:
//! `np.fromfile(path, '<f8').reshape((cols, rows)).T`); its shape goes in the JSON record that
//! names it.

use faer::MatRef;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Where criterion writes (`CRITERION_HOME`), else `target/criterion` of the workspace.
pub fn bench_dir() -> PathBuf {
    std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/criterion"))
}

/// The 1-, 5- and 15-minute load averages now (`/proc/loadavg`; `None` off Linux), recorded at
/// the start of each bench: the machine may be shared, and the report says how loaded it was.
pub fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut it = text.split_whitespace().map(|x| x.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}

/// The git revision of the sources being measured and whether they differed from it (files
/// outside `reports/`), recorded by each bench so that the report names what was measured,
/// not what was checked out when it was rendered.
pub fn git_state() -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (revision, dirty) = mfflow_lab::output::git_state(&root, Some(&root.join("reports")));
    json!({"revision": revision, "dirty": dirty})
}

/// Writes `value` as pretty JSON to `dir/name`, creating `dir`.
pub fn write_json(dir: &Path, name: &str, value: &Value) {
    std::fs::create_dir_all(dir).expect("create the record directory");
    let text = serde_json::to_string_pretty(value).expect("JSON");
    std::fs::write(dir.join(name), text).expect("write a record");
}

/// Writes `m` to `dir/name.f64` (see the module docs) and returns its description
/// `{"file", "rows", "cols"}` for a record.
pub fn write_matrix(dir: &Path, name: &str, m: MatRef<'_, f64>) -> Value {
    std::fs::create_dir_all(dir).expect("create the matrix directory");
    let mut bytes = Vec::with_capacity(8 * m.nrows() * m.ncols());
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            bytes.extend_from_slice(&m[(i, j)].to_le_bytes());
        }
    }
    let file = format!("{name}.f64");
    std::fs::write(dir.join(&file), bytes).expect("write a matrix");
    json!({"file": file, "rows": m.nrows(), "cols": m.ncols()})
}

/// Writes a vector as an `n × 1` matrix.
pub fn write_vector(dir: &Path, name: &str, v: &[f64]) -> Value {
    write_matrix(dir, name, MatRef::from_column_major_slice(v, v.len(), 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    #[test]
    fn matrices_are_column_major_little_endian() {
        let dir = std::env::temp_dir().join(format!("mfflow-bench-record-{}", std::process::id()));
        let m = Mat::from_fn(2, 3, |i, j| (10 * i + j) as f64);
        let desc = write_matrix(&dir, "m", m.as_ref());
        assert_eq!(desc, json!({"file": "m.f64", "rows": 2, "cols": 3}));
        let bytes = std::fs::read(dir.join("m.f64")).unwrap();
        let vals: Vec<f64> = bytes
            .chunks(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(vals, [0.0, 10.0, 1.0, 11.0, 2.0, 12.0]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

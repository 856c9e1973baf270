//! The `mfflow` binary end to end: outputs, agreement of the three methods, and every kind of
//! bad input (one clear line naming the key, exit code 2, no panic, no output file).

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mfflow"))
}

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mfflow-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/instance.toml")
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

const GOOD: &str = "alpha = 1e-4\ny = [[2.0, 0.0], [0.0, 1.0]]\nu0 = [[1.0, 0.2, 0.0], [0.1, 0.9, 0.5]]\ntimes = [0.0, 3.0, 1.5]\n";

#[test]
fn solve_outputs_the_documented_fields() {
    let out = json(&bin().args(["solve"]).arg(example()).output().unwrap());
    assert_eq!(out["n"], 3);
    assert_eq!(out["r"], 4);
    assert_eq!(out["method"], "closed-form");
    let times = out["times"].as_array().unwrap();
    let w = out["w"].as_array().unwrap();
    let eig = out["eigenvalues"].as_array().unwrap();
    assert_eq!(w.len(), times.len());
    assert_eq!(eig.len(), times.len());
    assert_eq!(w[0].as_array().unwrap().len(), 3);
    assert_eq!(w[0][0].as_array().unwrap().len(), 3);
    assert!(out["elapsed_seconds"].as_f64().unwrap() >= 0.0);
    // W(0) = alpha u0 u0^T: entry (0,0) = 1e-6 (0.64 + 0.09 + 0.25 + 1.21).
    let w00 = w[0][0][0].as_f64().unwrap();
    assert!((w00 - 1e-6 * 2.19).abs() < 1e-18);
}

/// The arrays of an `.npz` (read back with `zip` and `npyz`, independently of the writer's code
/// path): name -> (shape, values in C order).
fn read_npz(path: &std::path::Path) -> std::collections::BTreeMap<String, (Vec<u64>, Vec<f64>)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut arrays = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        assert_eq!(entry.compression(), zip::CompressionMethod::Stored);
        let name = entry
            .name()
            .unwrap()
            .strip_suffix(".npy")
            .unwrap()
            .to_string();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
        let shape = npy.shape().to_vec();
        arrays.insert(name, (shape, npy.into_vec::<f64>().unwrap()));
    }
    arrays
}

/// `--want` computes and writes only what it names; `--out FILE.npz` holds the same numbers as
/// the JSON (to the JSON parser's rounding), in NumPy's layout; the factor reproduces W.
#[test]
fn want_selects_outputs_and_npz_matches_json() {
    let dir = scratch("npz");
    let eig_only = json(
        &bin()
            .args(["solve", "--want", "eigenvalues"])
            .arg(example())
            .output()
            .unwrap(),
    );
    assert!(eig_only.get("w").is_none() && eig_only.get("factor").is_none());
    let full = json(
        &bin()
            .args(["solve", "--want", "w,eigenvalues,factor"])
            .arg(example())
            .output()
            .unwrap(),
    );
    assert_eq!(eig_only["eigenvalues"], full["eigenvalues"]);
    let npz = dir.join("x.npz");
    let status = bin()
        .args(["solve", "--want", "factor,w,eigenvalues", "--out"])
        .arg(&npz)
        .arg(example())
        .status()
        .unwrap();
    assert!(status.success());
    let arrays = read_npz(&npz);
    let names: Vec<&str> = arrays.keys().map(String::as_str).collect();
    assert_eq!(names, ["eigenvalues", "factor", "times", "w"]);
    let t = full["times"].as_array().unwrap().len() as u64;
    assert_eq!(arrays["w"].0, [t, 3, 3]);
    assert_eq!(arrays["eigenvalues"].0, [t, 3]);
    assert_eq!(arrays["factor"].0[..2], [t, 3]);
    let flat = |v: &Value| -> Vec<f64> {
        let mut out = Vec::new();
        let mut stack = vec![v];
        while let Some(x) = stack.pop() {
            match x {
                Value::Array(items) => stack.extend(items.iter().rev()),
                other => out.push(other.as_f64().unwrap()),
            }
        }
        out
    };
    // The JSON is written with shortest round-trip digits, but serde_json's default parser is
    // not correctly rounded (it may be off by one ulp), so the comparison allows 2 ulps.
    let same = |a: &[f64], b: Vec<f64>| {
        a.len() == b.len()
            && a.iter()
                .zip(&b)
                .all(|(x, y)| (x - y).abs() <= 2.0 * f64::EPSILON * x.abs())
    };
    assert!(same(&arrays["w"].1, flat(&full["w"])));
    assert!(same(&arrays["eigenvalues"].1, flat(&full["eigenvalues"])));
    assert!(same(&arrays["factor"].1, flat(&full["factor"])));
    // F Fᵀ = W to rounding, at every time (entries of W are at most ~2.3 here).
    let m = arrays["factor"].0[2] as usize;
    let (f, w) = (&arrays["factor"].1, &arrays["w"].1);
    for k in 0..t as usize {
        for i in 0..3 {
            for j in 0..3 {
                let ffx: f64 = (0..m)
                    .map(|c| f[k * 3 * m + i * m + c] * f[k * 3 * m + j * m + c])
                    .sum();
                assert!((ffx - w[k * 9 + i * 3 + j]).abs() < 1e-14, "t index {k}");
            }
        }
    }
    // gd's factor is U itself (m = r = 4) and its reached times are stored too.
    let status = bin()
        .args([
            "solve", "--method", "gd", "--eta", "0.01", "--want", "factor", "--out",
        ])
        .arg(&npz)
        .arg(example())
        .status()
        .unwrap();
    assert!(status.success());
    let arrays = read_npz(&npz);
    assert_eq!(arrays["factor"].0, [t, 3, 4]);
    assert!(arrays.contains_key("times_reached") && !arrays.contains_key("w"));
    // The ODE has no factor to give: refused, and the earlier file is untouched.
    let out = bin()
        .args(["solve", "--method", "ode", "--want", "factor", "--out"])
        .arg(&npz)
        .arg(example())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--want factor"));
    assert_eq!(read_npz(&npz)["factor"].0, [t, 3, 4]);
}

/// An array of an `.npz` to write: name, shape, values in C order.
type NpzArray<'a> = (&'a str, &'a [u64], &'a [f64]);

/// Writes an `.npz` with the given f64 arrays.
fn write_npz(path: &std::path::Path, arrays: &[NpzArray]) {
    use npyz::WriterBuilder;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, shape, values) in arrays {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file(format!("{name}.npy"), options).unwrap();
        let mut w = npyz::WriteOptions::<f64>::new()
            .default_dtype()
            .shape(shape)
            .writer(&mut zip)
            .begin_nd()
            .unwrap();
        w.extend(values.iter().copied()).unwrap();
        w.finish().unwrap();
    }
    zip.finish().unwrap();
}

/// An instance given as `.npz` (for large instances: no text to parse) gives exactly what the
/// same instance in TOML gives; a malformed one is refused naming the array, exit 2.
#[test]
fn npz_instances_match_toml_and_bad_ones_name_the_array() {
    let dir = scratch("npz-in");
    let toml_path = dir.join("i.toml");
    std::fs::write(&toml_path, GOOD).unwrap();
    let y: &[f64] = &[2.0, 0.0, 0.0, 1.0];
    let u0: &[f64] = &[1.0, 0.2, 0.0, 0.1, 0.9, 0.5];
    let times: &[f64] = &[0.0, 3.0, 1.5];
    let npz = dir.join("i.npz");
    write_npz(
        &npz,
        &[
            ("alpha", &[], &[1e-4]),
            ("y", &[2, 2], y),
            ("u0", &[2, 3], u0),
            ("times", &[3], times),
        ],
    );
    let a = json(&bin().arg("solve").arg(&toml_path).output().unwrap());
    let b = json(&bin().arg("solve").arg(&npz).output().unwrap());
    assert_eq!(a["w"], b["w"]);
    assert_eq!(a["eigenvalues"], b["eigenvalues"]);
    let cases: [(&[NpzArray], &str); 5] = [
        (
            &[
                ("alpha", &[], &[1e-4]),
                ("y", &[2, 2], y),
                ("u0", &[2, 3], u0),
            ],
            "missing array `times`",
        ),
        (
            &[
                ("alpha", &[], &[1e-4]),
                ("y", &[2, 2], y),
                ("u0", &[3, 2], u0),
                ("times", &[3], times),
            ],
            "u0: has 3 rows",
        ),
        (
            &[
                ("alpha", &[1], &[1e-4]),
                ("y", &[2, 2], y),
                ("u0", &[2, 3], u0),
                ("times", &[3], times),
            ],
            "alpha: expected 0 dimension",
        ),
        (
            &[
                ("alpha", &[], &[1e-4]),
                ("y", &[2, 2], y),
                ("u0", &[2, 3], u0),
                ("times", &[1], &[f64::NAN]),
            ],
            "times: entry 0 must be finite",
        ),
        (
            &[
                ("alpha", &[], &[1e-4]),
                ("y", &[2, 2], y),
                ("u0", &[2, 3], u0),
                ("times", &[3], times),
                ("beta", &[], &[1.0]),
            ],
            "unknown array `beta`",
        ),
    ];
    for (arrays, needle) in cases {
        write_npz(&npz, arrays);
        let out = bin().arg("solve").arg(&npz).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(needle), "{needle}: {err}");
    }
    std::fs::write(&npz, b"not a zip archive").unwrap();
    let out = bin().arg("solve").arg(&npz).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid .npz"));
}

#[test]
fn the_three_methods_agree() {
    let dir = scratch("methods");
    let inst = dir.join("i.toml");
    std::fs::write(&inst, GOOD).unwrap();
    let run = |extra: &[&str]| json(&bin().arg("solve").arg(&inst).args(extra).output().unwrap());
    let exact = run(&[]);
    let ode = run(&["--method", "ode"]);
    let gd = run(&["--method", "gd", "--eta", "1e-4"]);
    // Times are reported as given (unsorted input kept in order).
    assert_eq!(exact["times"], serde_json::json!([0.0, 3.0, 1.5]));
    let entry = |v: &Value, k: usize, i: usize, j: usize| v["w"][k][i][j].as_f64().unwrap();
    for k in 0..3 {
        for i in 0..2 {
            for j in 0..2 {
                let e = entry(&exact, k, i, j);
                // The ODE at rtol 1e-12 is good to ~1e-10 here; GD with η = 1e-4 is O(η) off.
                assert!((e - entry(&ode, k, i, j)).abs() < 1e-9, "ode k={k}");
                assert!((e - entry(&gd, k, i, j)).abs() < 1e-2, "gd k={k}");
            }
        }
    }
    assert_eq!(gd["times_reached"].as_array().unwrap().len(), 3);
}

#[test]
fn out_file_is_written_atomically() {
    let dir = scratch("out");
    let out = dir.join("result.json");
    let status = bin()
        .arg("solve")
        .arg(example())
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let first = std::fs::read(&out).unwrap();
    serde_json::from_slice::<Value>(&first).unwrap();
    // A failing run leaves the previous output untouched and no temporary file behind.
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "alpha = -1\n").unwrap();
    let o = bin()
        .arg("solve")
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(&out).unwrap(), first);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
}

#[test]
fn bounds_reports_both_theorems() {
    let dir = scratch("bounds");
    let inst = dir.join("spectral.toml");
    // Y = diag(4, 1), u0 = I, alpha = 1e-6, eps = 0.5: both theorems apply (hand-computed in
    // the library's theorem tests).
    std::fs::write(
        &inst,
        "alpha = 1e-6\ny = [[4, 0], [0, 1]]\nu0 = [[1, 0], [0, 1]]\ntimes = [0]\n",
    )
    .unwrap();
    let v = json(
        &bin()
            .arg("bounds")
            .arg(&inst)
            .args(["--eps", "0.5", "--grid", "51"])
            .output()
            .unwrap(),
    );
    for key in ["theorem3", "theorem4"] {
        let t = &v[key];
        assert_eq!(t["applies"], true, "{key}: {t}");
        assert_eq!(t["intervals"].as_array().unwrap().len(), 2);
        assert!(t["intervals"][1]["end"].is_null());
        assert_eq!(t["intervals"][0]["k"], 1);
        assert_eq!(t["intervals"][0]["empty"], false);
        assert!(t["intervals"][0]["why_empty"].is_null());
        for e in t["max_error"].as_array().unwrap() {
            assert!(e.as_f64().unwrap() <= 0.5);
        }
        assert!(t["c_eps"].is_number() && t["C_eps"].is_number());
    }
    assert_eq!(v["theorem4"]["M"], 1.0);
    assert_eq!(v["eigenvalues"], serde_json::json!([4.0, 1.0]));
}

/// Runs `mfflow solve` on `text` and checks the failure: exit 2, one line on stderr that
/// contains `needle`, no panic, no output file.
fn rejects(name: &str, text: &str, needle: &str) {
    let dir = scratch(name);
    let inst = dir.join("i.toml");
    std::fs::write(&inst, text).unwrap();
    let out = dir.join("never.json");
    let o = bin()
        .arg("solve")
        .arg(&inst)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{name}: {stderr}");
    assert!(
        stderr.contains(needle),
        "{name}: `{needle}` not in: {stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: {stderr}");
    assert!(!stderr.contains("panicked"));
    assert!(!out.exists(), "{name}: output file written");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "{name}: stray files"
    );
}

#[test]
fn bad_instances_are_rejected_with_the_key_named() {
    let y = "y = [[2.0, 0.0], [0.0, 1.0]]\n";
    let u0 = "u0 = [[1.0], [0.5]]\n";
    let t = "times = [0.0, 1.0]\n";
    let a = "alpha = 0.01\n";
    rejects("missing", &format!("{y}{u0}{t}"), "missing key `alpha`");
    rejects(
        "unknown",
        &format!("{a}{y}{u0}{t}beta = 3\n"),
        "unknown key `beta`",
    );
    rejects(
        "alpha-type",
        &format!("alpha = \"small\"\n{y}{u0}{t}"),
        "alpha: expected a number, got string",
    );
    rejects(
        "alpha-zero",
        &format!("alpha = 0\n{y}{u0}{t}"),
        "alpha: must be > 0",
    );
    rejects(
        "alpha-neg",
        &format!("alpha = -1e-3\n{y}{u0}{t}"),
        "alpha: must be > 0",
    );
    rejects(
        "alpha-nan",
        &format!("alpha = nan\n{y}{u0}{t}"),
        "alpha: must be finite",
    );
    rejects(
        "y-inf",
        &format!("{a}y = [[inf, 0.0], [0.0, 1.0]]\n{u0}{t}"),
        "y[0][0]: must be finite",
    );
    rejects(
        "y-nan",
        &format!("{a}y = [[1.0, 0.0], [0.0, nan]]\n{u0}{t}"),
        "y[1][1]: must be finite",
    );
    rejects(
        "y-ragged",
        &format!("{a}y = [[2.0, 0.0], [0.0]]\n{u0}{t}"),
        "y: row 1 has 1 entries",
    );
    rejects(
        "y-not-square",
        &format!("{a}y = [[2.0, 0.0, 1.0], [0.0, 1.0, 1.0]]\n{u0}{t}"),
        "y: must be square",
    );
    rejects(
        "y-asym",
        &format!("{a}y = [[2.0, 0.3], [0.0, 1.0]]\n{u0}{t}"),
        "y: the target is not symmetric",
    );
    rejects(
        "y-type",
        &format!("{a}y = 3\n{u0}{t}"),
        "y: expected an array, got integer",
    );
    rejects(
        "y-row-type",
        &format!("{a}y = [1, 2]\n{u0}{t}"),
        "y[0]: expected a row",
    );
    rejects(
        "y-empty",
        &format!("{a}y = []\n{u0}{t}"),
        "y: must have at least one row",
    );
    rejects(
        "u0-rows",
        &format!("{a}{y}u0 = [[1.0]]\n{t}"),
        "u0: has 1 rows, expected 2",
    );
    rejects(
        "u0-ragged",
        &format!("{a}{y}u0 = [[1.0, 2.0], [1.0]]\n{t}"),
        "u0: row 1 has 1 entries",
    );
    rejects(
        "u0-nan",
        &format!("{a}{y}u0 = [[1.0], [-nan]]\n{t}"),
        "u0[1][0]: must be finite",
    );
    rejects(
        "u0-zero",
        &format!("{a}{y}u0 = [[0.0], [0.0]]\n{t}"),
        "u0: ",
    );
    rejects(
        "times-neg",
        &format!("{a}{y}{u0}times = [1.0, -2.0]\n"),
        "times[1]: must be >= 0",
    );
    rejects(
        "times-inf",
        &format!("{a}{y}{u0}times = [inf]\n"),
        "times[0]: must be finite",
    );
    rejects(
        "times-type",
        &format!("{a}{y}{u0}times = 1.0\n"),
        "times: expected an array",
    );
    rejects(
        "times-empty",
        &format!("{a}{y}{u0}times = []\n"),
        "times: must hold at least one time",
    );
    rejects(
        "not-toml",
        "alpha = = 3\n",
        "not valid TOML (line 1, column 9)",
    );
}

#[test]
fn bad_command_lines_are_rejected() {
    let check = |args: &[&str], needle: &str| {
        let o = bin().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(needle),
            "{args:?}: `{needle}` not in {stderr}"
        );
        assert!(!stderr.contains("panicked"));
        assert!(o.stdout.is_empty(), "{args:?}: stdout not empty");
    };
    let ex = example();
    let ex = ex.to_str().unwrap();
    check(&[], "Usage");
    check(&["solve"], "INSTANCE.toml");
    check(&["solve", "/nonexistent/instance.toml"], "cannot read");
    check(
        &["solve", ex, "--method", "rk4"],
        "invalid value 'rk4' for '--method",
    );
    check(&["solve", ex, "--method", "gd"], "--eta <ETA>");
    check(
        &["solve", ex, "--method", "gd", "--eta", "-1"],
        "must be finite and > 0",
    );
    check(
        &["solve", ex, "--eta", "0.1"],
        "--eta applies only to --method gd",
    );
    check(
        &["solve", ex, "--eps", "0.1"],
        "unexpected argument '--eps'",
    );
    check(&["bounds", ex], "--eps <EPS>");
    check(&["bounds", ex, "--eps", "abc"], "expected a number");
    check(
        &["bounds", ex, "--eps", "0.1", "--method", "ode"],
        "unexpected argument '--method'",
    );
    check(
        &["bounds", ex, "--eps", "0.1", "--grid", "x"],
        "expected a whole number from 2 to 100000",
    );
}

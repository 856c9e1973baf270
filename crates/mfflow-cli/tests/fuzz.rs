//! Fuzzing of instance parsing and solving, on the built binary, within a fixed budget
//! (issue 15): instances drawn from a named ChaCha stream mix valid extremes (alpha and
//! entries from the smallest subnormal to 1e308, times up to 1e308, every size from 1 to 4,
//! rank-deficient, indefinite and asymmetric targets) with corrupted TOML (mutated bytes,
//! truncations, wrong types). For every case:
//!
//! * the process ends within its deadline (no hang) and never panics;
//! * exit 0 means a file was written whose every promised number is finite (no `null`);
//! * any other exit is 2 (bad input, with a one-line message) — a valid instance may be
//!   refused with a reason, never fail numerically — and no output file exists.
//!
//! The budget is fixed (the case count below) and the seed is named, so a failure reproduces.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Cases per run: about 10 s of CI on two cores.
const CASES: usize = 400;
/// The named stream the cases come from.
const SEED: u64 = 0x6d66_666c_6f77_0015;

/// A run that takes longer than this is a hang (the slowest valid case here takes ~0.1 s).
const DEADLINE: Duration = Duration::from_secs(30);

fn pick<T: Copy>(rng: &mut ChaCha8Rng, xs: &[T]) -> T {
    xs[rng.random_range(0..xs.len())]
}

fn number(rng: &mut ChaCha8Rng) -> f64 {
    let extremes = [
        0.0, 5e-324, 1e-320, 7e-321, 1e-300, 1e-200, 1e-16, 1.0, 2.0, 1e154, 1e200, 1e300, 1e308,
    ];
    let x = if rng.random_bool(0.5) {
        pick(rng, &extremes)
    } else {
        rng.random_range(-2.0..2.0)
    };
    if rng.random_bool(0.3) {
        -x
    } else {
        x
    }
}

fn matrix(rows: &[Vec<f64>]) -> String {
    let rows: Vec<String> = rows
        .iter()
        .map(|r| {
            let xs: Vec<String> = r.iter().map(|x| format!("{x:e}")).collect();
            format!("[{}]", xs.join(", "))
        })
        .collect();
    format!("[{}]", rows.join(", "))
}

/// A syntactically valid instance with extreme but valid (or deliberately invalid) values.
fn instance(rng: &mut ChaCha8Rng) -> String {
    let n = rng.random_range(1..=4);
    let r = rng.random_range(1..=5);
    let mut y = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let v = if rng.random_bool(0.3) {
                0.0
            } else {
                number(rng)
            };
            y[i][j] = v;
            y[j][i] = v;
        }
    }
    if rng.random_bool(0.05) && n > 1 {
        y[0][1] += 1.0; // asymmetric: must be refused
    }
    let u0: Vec<Vec<f64>> = (0..n)
        .map(|_| {
            (0..r)
                .map(|_| {
                    if rng.random_bool(0.2) {
                        0.0
                    } else {
                        number(rng)
                    }
                })
                .collect()
        })
        .collect();
    let alpha = pick(
        rng,
        &[
            5e-324, 1e-320, 1e-300, 1e-100, 1e-12, 1e-6, 1.0, 1e100, 1e308, 0.0, -1.0,
        ],
    );
    let count = rng.random_range(1..=4);
    let times: Vec<f64> = (0..count)
        .map(|_| pick(rng, &[0.0, 1e-300, 0.5, 3.0, 40.0, 1e3, 1e9, 1e300, 1e308]))
        .collect();
    format!(
        "alpha = {alpha:e}\ny = {}\nu0 = {}\ntimes = [{}]\n",
        matrix(&y),
        matrix(&u0),
        times
            .iter()
            .map(|t| format!("{t:e}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Corrupts a valid text: flipped bytes, a truncation or a wrong type.
fn corrupt(rng: &mut ChaCha8Rng, text: String) -> Vec<u8> {
    let mut bytes = text.into_bytes();
    match rng.random_range(0..4) {
        0 => {
            for _ in 0..rng.random_range(1..4) {
                let i = rng.random_range(0..bytes.len());
                bytes[i] = rng.random();
            }
        }
        1 => {
            let keep = rng.random_range(0..bytes.len());
            bytes.truncate(keep);
        }
        2 => bytes.extend_from_slice(b"\nextra = 1\n"),
        _ => {
            let s = String::from_utf8_lossy(&bytes).replacen("alpha = ", "alpha = \"", 1);
            bytes = s.into_bytes();
        }
    }
    bytes
}

fn all_numbers_finite(v: &Value, path: &str) -> Result<(), String> {
    match v {
        Value::Null => Err(format!("null at {path}")),
        Value::Array(xs) => xs
            .iter()
            .enumerate()
            .try_for_each(|(i, x)| all_numbers_finite(x, &format!("{path}[{i}]"))),
        Value::Number(x) if !x.as_f64().is_some_and(f64::is_finite) => {
            Err(format!("{x} at {path}"))
        }
        _ => Ok(()),
    }
}

#[test]
fn fuzzed_instances_never_panic_hang_or_print_non_finite_numbers() {
    let dir = std::env::temp_dir().join(format!("mfflow-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // MFFLOW_FUZZ_SEED explores other streams locally; CI always runs the named one.
    let seed = std::env::var("MFFLOW_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut outcomes = [0usize; 3];
    let mut failures = Vec::new();
    for case in 0..CASES {
        let text = instance(&mut rng);
        let bytes = if rng.random_bool(0.2) {
            corrupt(&mut rng, text)
        } else {
            text.into_bytes()
        };
        let input = dir.join(format!("case{case}.toml"));
        std::fs::write(&input, &bytes).unwrap();
        let out = dir.join(format!("case{case}.json"));
        let mut args: Vec<String> = match rng.random_range(0..10) {
            0 => vec![
                "bounds".into(),
                "--eps".into(),
                format!("{:e}", pick(&mut rng, &[1e-300, 1e-3, 0.1, 1.0])),
            ],
            1 => vec![
                "solve".into(),
                "--method".into(),
                "gd".into(),
                "--eta".into(),
                format!("{:e}", pick(&mut rng, &[1e-3, 0.1, 1.5, 1e300])),
            ],
            _ => vec!["solve".into()],
        };
        args.push(input.display().to_string());
        args.push("--out".into());
        args.push(out.display().to_string());
        args.push("--quiet".into());
        let mut child = Command::new(env!("CARGO_BIN_EXE_mfflow"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > DEADLINE {
                let _ = child.kill();
                failures.push(format!(
                    "case {case} ({args:?}): hang\n{}",
                    String::from_utf8_lossy(&bytes)
                ));
                break child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        let code = status.code().unwrap_or(-1);
        let describe = || {
            format!(
                "case {case} {args:?} exit {code}: {err}\n{}",
                String::from_utf8_lossy(&bytes)
            )
        };
        if err.contains("panicked") {
            failures.push(format!("panic: {}", describe()));
        }
        match code {
            0 => {
                outcomes[0] += 1;
                let text = std::fs::read_to_string(&out).unwrap_or_default();
                match serde_json::from_str::<Value>(&text) {
                    Ok(v) => {
                        for key in ["w", "eigenvalues", "times"] {
                            if let Some(x) = v.get(key) {
                                if let Err(e) = all_numbers_finite(x, key) {
                                    failures
                                        .push(format!("non-finite output ({e}): {}", describe()));
                                }
                            }
                        }
                    }
                    Err(e) => failures.push(format!("unreadable output ({e}): {}", describe())),
                }
            }
            2 => {
                outcomes[2] += 1;
                if out.exists() {
                    failures.push(format!("output file left after a failure: {}", describe()));
                }
                if err.trim_end().lines().count() != 1 {
                    failures.push(format!("message not one line: {}", describe()));
                }
            }
            _ => {
                outcomes[1] += 1;
                failures.push(format!(
                    "exit {code} (only 0 and 2 are acceptable): {}",
                    describe()
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "fuzz: {} answered, {} refused, {} other",
        outcomes[0], outcomes[2], outcomes[1]
    );
    // Both outcomes must occur, or the generator tests nothing.
    assert!(
        outcomes[0] > CASES / 10 && outcomes[2] > CASES / 10,
        "{outcomes:?}"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n---\n")
    );
}

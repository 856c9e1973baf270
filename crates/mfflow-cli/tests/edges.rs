//! The command line at its edges, run on the built binary: the habits of issue 16 (version,
//! help, `--flag=value`, unknown and repeated flags, empty intervals, progress only on a
//! terminal), the grid bound and the one-line escaped messages of issue 15 (items 6 and 9),
//! and the hardened `--out` (item 12).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mfflow"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mfflow-edges-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/instance.toml")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Exit 2, `needle` on stderr, no panic, nothing on stdout.
fn refused(o: &Output, needle: &str) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains(needle), "`{needle}` not in: {e}");
    assert!(!e.contains("panicked"), "{e}");
    assert!(o.stdout.is_empty(), "stdout: {}", stdout(o));
}

#[test]
fn version_and_help() {
    let version = format!("mfflow {}\n", env!("CARGO_PKG_VERSION"));
    for args in [&["--version"][..], &["-V"]] {
        let o = run(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), version, "{args:?}");
    }
    let top = run(&["--help"]);
    assert!(top.status.success());
    let text = stdout(&top);
    for needle in ["solve", "bounds", "Exit codes", "bad input", "alpha"] {
        assert!(text.contains(needle), "--help lacks `{needle}`:\n{text}");
    }
    let solve = run(&["solve", "--help"]);
    assert!(solve.status.success());
    let text = stdout(&solve);
    for needle in [
        "Output fields",
        "eigenvalues",
        "elapsed_seconds",
        "times_reached",
        "[default: closed-form]",
        "--quiet",
        "Exit codes",
    ] {
        assert!(
            text.contains(needle),
            "solve --help lacks `{needle}`:\n{text}"
        );
    }
    // `-h` is help wherever it appears, not a file name.
    let bounds = run(&["bounds", "-h", "--eps", "0.1"]);
    assert!(bounds.status.success(), "{}", stderr(&bounds));
    let text = stdout(&bounds);
    for needle in [
        "--grid <N>",
        "[default: 401]",
        "2 to 100000",
        "spectral norm",
    ] {
        assert!(text.contains(needle), "bounds -h lacks `{needle}`:\n{text}");
    }
    // `--help` adds the output fields to the summary `-h` gives.
    let long = run(&["bounds", "--help"]);
    assert!(long.status.success());
    let text = stdout(&long);
    for needle in [
        "Output fields",
        "max_error",
        "why_empty",
        "alpha_bound",
        "Exit codes",
    ] {
        assert!(
            text.contains(needle),
            "bounds --help lacks `{needle}`:\n{text}"
        );
    }
}

#[test]
fn unknown_subcommands_and_flags_are_named_with_a_suggestion() {
    let ex = example();
    let ex = ex.to_str().unwrap();
    let o = run(&["foo", ex]);
    refused(&o, "unrecognized subcommand 'foo'");
    assert!(
        stderr(&o).contains("the commands are `solve` and `bounds`"),
        "{}",
        stderr(&o)
    );
    let o = run(&["slove", ex]);
    refused(&o, "'slove'");
    assert!(
        stderr(&o).contains("similar subcommand exists: 'solve'"),
        "{}",
        stderr(&o)
    );
    let o = run(&["bounds", ex, "--epss", "0.1"]);
    refused(&o, "unexpected argument '--epss'");
    assert!(
        stderr(&o).contains("similar argument exists: '--eps'"),
        "{}",
        stderr(&o)
    );
    // Quoted arguments are escaped too: no raw escape sequence reaches the terminal.
    let o = run(&["\u{1b}[2Jx\u{202E}y"]);
    // (clap drops the escape sequence itself; the bidi override is escaped by mfflow.)
    refused(&o, "x\\u{202e}y'");
    assert!(!stderr(&o).contains('\u{1b}') && !stderr(&o).contains('\u{202E}'));
}

#[test]
fn flag_equals_value_and_negative_values() {
    let ex = example();
    let ex = ex.to_str().unwrap();
    let o = run(&["bounds", ex, "--eps=0.5", "--grid=11"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["eps"], 0.5);
    assert_eq!(v["grid_points"], 11);
    // A negative value reaches the check and is refused with the reason, in both spellings.
    refused(
        &run(&["bounds", ex, "--eps=-0.1"]),
        "must be finite and > 0, got -0.1",
    );
    refused(
        &run(&["bounds", ex, "--eps", "-0.1"]),
        "must be finite and > 0, got -0.1",
    );
    refused(
        &run(&["solve", ex, "--method=gd", "--eta=-2"]),
        "must be finite and > 0, got -2",
    );
    let o = run(&["solve", ex, "--method=gd", "--eta=1e-3"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn repeated_flags_are_rejected() {
    let ex = example();
    let ex = ex.to_str().unwrap();
    refused(
        &run(&["bounds", ex, "--eps", "0.1", "--eps", "0.2"]),
        "cannot be used multiple times",
    );
    refused(
        &run(&["solve", ex, "--method", "ode", "--method=gd", "--eta", "1"]),
        "cannot be used multiple times",
    );
    refused(
        &run(&["solve", ex, "--out", "/tmp/a.json", "--out=/tmp/b.json"]),
        "cannot be used multiple times",
    );
    refused(&run(&["solve", ex, ex]), "unexpected argument");
}

#[test]
fn an_empty_interval_is_marked_and_explained() {
    let dir = scratch("empty-interval");
    let inst = dir.join("close.toml");
    // Close eigenvalues 1 and 0.95: the separation condition fails and I_1 = [start, end] has
    // start after end for these constants.
    std::fs::write(
        &inst,
        "alpha = 1e-3\ny = [[1.0, 0.0], [0.0, 0.95]]\nu0 = [[1.0, 0.0], [0.0, 1.0]]\ntimes = [0]\n",
    )
    .unwrap();
    let o = bin()
        .arg("bounds")
        .arg(&inst)
        .args(["--eps", "0.1", "--grid", "5"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut marked = 0;
    for theorem in ["theorem3", "theorem4"] {
        for (k, iv) in v[theorem]["intervals"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let start = iv["start"].as_f64().unwrap();
            let after = iv["end"].as_f64().is_some_and(|end| start > end);
            assert_eq!(iv["empty"], after, "{theorem} {iv}");
            if after {
                marked += 1;
                let why = iv["why_empty"].as_str().unwrap();
                assert!(why.contains("is after end") && why.contains("guarantees nothing"));
                assert!(v[theorem]["max_error"][k].is_null());
            } else {
                assert!(iv["why_empty"].is_null());
            }
        }
    }
    assert!(marked > 0, "no empty interval in {v}");
}

#[test]
fn the_grid_is_bounded() {
    let ex = example();
    let ex = ex.to_str().unwrap();
    for grid in [
        "0",
        "1",
        "100001",
        "1000000000000",
        "18446744073709551615",
        "99999999999999999999999999999",
    ] {
        let o = run(&["bounds", ex, "--eps", "0.1", "--grid", grid]);
        refused(&o, "2 to 100000");
        assert!(!stderr(&o).contains("memory allocation"), "{}", stderr(&o));
    }
    // The memory side of the bound: N * n^2 <= 2^28 numbers.
    let dir = scratch("grid-memory");
    let inst = dir.join("big.toml");
    let n = 60;
    let rows = |diag: f64| {
        (0..n)
            .map(|i| {
                let row: Vec<String> = (0..n)
                    .map(|j| {
                        if i == j {
                            format!("{}", diag + i as f64)
                        } else {
                            "0".into()
                        }
                    })
                    .collect();
                format!("[{}]", row.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    std::fs::write(
        &inst,
        format!(
            "alpha = 1e-6\ny = [{}]\nu0 = [{}]\ntimes = [0]\n",
            rows(1.0),
            rows(1.0)
        ),
    )
    .unwrap();
    let o = bin()
        .arg("bounds")
        .arg(&inst)
        .args(["--eps", "0.1", "--grid", "100000"])
        .output()
        .unwrap();
    refused(&o, "N * n^2 <= 2^28");
}

/// Runs `solve` on an instance file with the given text; the failure must be one line.
fn rejected_text(name: &str, text: &[u8], needle: &str) -> String {
    let dir = scratch(name);
    let inst = dir.join("i.toml");
    std::fs::write(&inst, text).unwrap();
    let o = bin().arg("solve").arg(&inst).output().unwrap();
    refused(&o, needle);
    let e = stderr(&o);
    assert_eq!(e.matches('\n').count(), 1, "not one line: {e:?}");
    assert!(e.ends_with('\n'));
    e
}

#[test]
fn messages_escape_control_characters_and_bidi_marks() {
    let e = rejected_text(
        "control-key",
        b"\"a\\nb\\u001b[31mRED\" = 1\nalpha = 1.0\n",
        "unknown key `a\\nb\\u{1b}[31mRED`",
    );
    assert!(!e.contains('\u{1b}'));
    let e = rejected_text(
        "bidi-key",
        "\"x\u{202E}y\u{2066}z\" = 1\n".as_bytes(),
        "unknown key `x\\u{202e}y\\u{2066}z`",
    );
    assert!(!e.contains('\u{202E}') && !e.contains('\u{2066}'));
    // A path with a newline and an escape sequence in it, quoted in "cannot read".
    let o = run(&["solve", "/nonexistent/a\nb\u{1b}[2J.toml"]);
    refused(&o, "a\\nb\\u{1b}[2J.toml: cannot read");
    assert_eq!(stderr(&o).matches('\n').count(), 1);
}

#[test]
fn toml_and_utf8_errors_give_position_and_reason() {
    let e = rejected_text(
        "empty-value",
        b"alpha = \n",
        "not valid TOML (line 1, column",
    );
    let reason = e.split("): ").nth(1).unwrap_or("").trim();
    assert!(!reason.is_empty(), "empty reason: {e}");
    rejected_text(
        "second-line",
        b"alpha = 1e-3\ny = [[1.0, ]]]\n",
        "not valid TOML (line 2, column",
    );
    rejected_text(
        "utf8",
        b"alpha = 1e-3\ny = [[1.0\xff]]\n",
        "not valid UTF-8 at line 2, column 10 (byte 22)",
    );
}

#[test]
fn progress_never_touches_stdout_and_is_off_when_stderr_is_not_a_terminal() {
    // stderr is a pipe here: nothing but the JSON, and nothing on stderr at all.
    let o = bin()
        .arg("solve")
        .arg(example())
        .args(["--method", "ode"])
        .env("MFFLOW_PROGRESS_DELAY_MS", "0")
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    serde_json::from_slice::<Value>(&o.stdout).unwrap();
}

/// Runs the binary with stderr on a pseudo-terminal (`script`), stdout into a file; returns
/// what appeared on the terminal.
fn on_a_terminal(args: &str, out: &Path) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("`script` (util-linux) is not installed: the terminal case is not exercised");
        return None;
    }
    let cmd = format!(
        "{} {args} > {}",
        env!("CARGO_BIN_EXE_mfflow"),
        out.display()
    );
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("MFFLOW_PROGRESS_DELAY_MS", "0")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    Some(String::from_utf8_lossy(&o.stdout).to_string())
}

#[test]
fn progress_shows_on_a_terminal_unless_quiet() {
    let dir = scratch("progress");
    let inst = dir.join("slow.toml");
    // A 12 x 12 instance integrated by the ODE route over a long horizon: long enough for the
    // indicator to be drawn at least once with the delay set to 0.
    let n = 12;
    let y: Vec<String> = (0..n)
        .map(|i| {
            let row: Vec<String> = (0..n)
                .map(|j| {
                    if i == j {
                        format!("{}", 1.0 + i as f64)
                    } else {
                        "0.01".into()
                    }
                })
                .collect();
            format!("[{}]", row.join(", "))
        })
        .collect();
    let u0: Vec<String> = (0..n)
        .map(|i| {
            let row: Vec<String> = (0..n)
                .map(|j| {
                    format!(
                        "{}",
                        ((i * 7 + j * 3) % 5) as f64 - 2.0 + if i == j { 5.0 } else { 0.0 }
                    )
                })
                .collect();
            format!("[{}]", row.join(", "))
        })
        .collect();
    std::fs::write(
        &inst,
        format!(
            "alpha = 1e-12\ny = [{}]\nu0 = [{}]\ntimes = [0.0, 5.0, 10.0, 20.0, 40.0, 80.0]\n",
            y.join(", "),
            u0.join(", ")
        ),
    )
    .unwrap();
    let json = dir.join("out.json");
    let args = format!("solve {} --method ode", inst.display());
    let Some(terminal) = on_a_terminal(&args, &json) else {
        return;
    };
    assert!(
        terminal.contains("solve: 12 x 12"),
        "no indicator: {terminal:?}"
    );
    serde_json::from_slice::<Value>(&std::fs::read(&json).unwrap()).unwrap();
    let quiet = on_a_terminal(&format!("{args} --quiet"), &json).unwrap();
    assert!(!quiet.contains("solve:"), "--quiet still drew: {quiet:?}");
    serde_json::from_slice::<Value>(&std::fs::read(&json).unwrap()).unwrap();
}

// ---- --out (issue 15 item 12) ----

fn solve_to(out: &Path) -> Output {
    bin()
        .arg("solve")
        .arg(example())
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn out_refuses_symlinks_and_writes_nothing_through_them() {
    let dir = scratch("symlink");
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let link = dir.join("result.json");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    refused(&solve_to(&link), "is a symbolic link");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    // A symlink planted at a temporary name (the old fixed `.NAME.tmp`, or any other) is never
    // written through: temporary files are created exclusively under unique names.
    let out = dir.join("fresh.json");
    std::os::unix::fs::symlink(&victim, dir.join(".fresh.json.tmp")).unwrap();
    let o = solve_to(&out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    serde_json::from_slice::<Value>(&std::fs::read(&out).unwrap()).unwrap();
}

#[cfg(unix)]
#[test]
fn out_refuses_non_regular_files() {
    let dir = scratch("special");
    let fifo = dir.join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    refused(&solve_to(&fifo), "is a FIFO, not a regular file");
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    let sub = dir.join("sub");
    std::fs::create_dir(&sub).unwrap();
    refused(&solve_to(&sub), "is a directory, not a regular file");
    // A character device: a copy of /dev/null's node made in the scratch directory (never the
    // real /dev/null, which a regression would replace), where the system allows it (root).
    let device = dir.join("null-device");
    let made = Command::new("mknod")
        .arg(&device)
        .args(["c", "1", "3"])
        .stderr(Stdio::null())
        .status();
    if made.is_ok_and(|s| s.success()) {
        refused(&solve_to(&device), "is a character device");
        assert!(std::fs::symlink_metadata(&device)
            .unwrap()
            .file_type()
            .is_char_device());
    } else {
        eprintln!("mknod not permitted here: the character-device case is not exercised");
    }
}

#[test]
fn out_refuses_the_instance_itself() {
    let dir = scratch("same");
    let inst = dir.join("i.toml");
    std::fs::copy(example(), &inst).unwrap();
    let before = std::fs::read(&inst).unwrap();
    let o = bin()
        .arg("solve")
        .arg(&inst)
        .arg("--out")
        .arg(&inst)
        .output()
        .unwrap();
    refused(&o, "is the instance file itself");
    // Through another spelling of the same path, and through a hard link.
    let other = dir.join(".").join("i.toml");
    let o = bin()
        .arg("solve")
        .arg(&inst)
        .arg("--out")
        .arg(&other)
        .output()
        .unwrap();
    refused(&o, "is the instance file itself");
    let hard = dir.join("hard.toml");
    std::fs::hard_link(&inst, &hard).unwrap();
    let o = bin()
        .arg("bounds")
        .arg(&inst)
        .args(["--eps", "0.1", "--out"])
        .arg(&hard)
        .output()
        .unwrap();
    refused(&o, "is the instance file itself");
    assert_eq!(std::fs::read(&inst).unwrap(), before);
}

#[test]
fn out_io_errors_name_the_path() {
    let o = solve_to(Path::new("/nonexistent-mfflow-dir/result.json"));
    refused(
        &o,
        "cannot create a temporary file in /nonexistent-mfflow-dir",
    );
}

#[test]
fn concurrent_writers_to_one_path_leave_one_complete_file() {
    let dir = scratch("concurrent");
    let out = dir.join("result.json");
    for trial in 0..4 {
        let children: Vec<_> = (0..8)
            .map(|k| {
                let method: &[&str] = if k % 2 == 0 {
                    &[]
                } else {
                    &["--method", "ode"]
                };
                bin()
                    .arg("solve")
                    .arg(example())
                    .args(method)
                    .arg("--out")
                    .arg(&out)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let o = child.wait_with_output().unwrap();
            assert!(o.status.success(), "trial {trial}: {}", stderr(&o));
        }
        let v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap())
            .unwrap_or_else(|e| panic!("trial {trial}: corrupt JSON: {e}"));
        assert_eq!(v["n"], 3);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(names, ["result.json"], "trial {trial}: stray files");
    }
}

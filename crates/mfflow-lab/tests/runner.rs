//! The runner under concurrency and parent death (issue 15 items 10 and 11), with real
//! processes: this test binary re-executes itself in a "writer" role (a small experiment: it
//! stages files through `Outputs`, slowly, and commits) or a "parent" role (it starts a writer
//! the way `cargo xtask reproduce` does, then waits to be killed).

use mfflow_lab::output::{Outputs, PARENT_PID_ENV};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROLE: &str = "MFFLOW_RUNNER_TEST_ROLE";
const OUT: &str = "MFFLOW_RUNNER_TEST_OUT";
const FILES: usize = 12;

/// The role a re-executed copy of this binary plays (none in a normal test run).
fn role() -> Option<String> {
    std::env::var(ROLE).ok()
}

/// Re-executes this test binary running only `role_entry`, in `role`.
fn spawn(role: &str, out: &Path, extra: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "role_entry", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env(OUT, out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// The entry point of the re-executed roles; in a normal test run it has nothing to do.
#[test]
fn role_entry() {
    let Some(role) = role() else { return };
    let out = PathBuf::from(std::env::var(OUT).unwrap());
    match role.as_str() {
        "writer" => {
            let pause: u64 = std::env::var("PAUSE_MS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(10);
            let outputs = Outputs::create(&out).unwrap();
            let me = std::process::id().to_string();
            for i in 0..FILES {
                outputs.write(&format!("f{i}.csv"), me.as_bytes()).unwrap();
                std::thread::sleep(Duration::from_millis(pause));
            }
            outputs.commit(json!({ "writer": me })).unwrap();
        }
        "parent" => {
            // Like xtask: the child is told which process it must not outlive.
            let mut child = spawn(
                "writer",
                &out,
                &[
                    (PARENT_PID_ENV, std::process::id().to_string()),
                    ("PAUSE_MS", "300".into()),
                ],
            );
            println!("CHILD {}", child.id());
            // Killed by the test while waiting here.
            let _ = child.wait();
            std::thread::sleep(Duration::from_secs(60));
        }
        other => panic!("unknown role {other}"),
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mfflow-runner-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The entries of `dir` other than the lock files.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    names.sort();
    names
}

/// Two runs writing the same report at once, many times: both succeed, the report that stays
/// is one run's, complete, and nothing is left beside it. (With the old shared staging name
/// the runs wrote into each other's staging directory and files went missing.)
#[test]
fn two_runs_at_once_lose_nothing() {
    if role().is_some() {
        return;
    }
    let dir = scratch("concurrent");
    let out = dir.join("exp");
    for trial in 0..6 {
        let a = spawn("writer", &out, &[]);
        let b = spawn("writer", &out, &[]);
        let mut writers = Vec::new();
        for child in [a, b] {
            let id = child.id().to_string();
            let o = child.wait_with_output().unwrap();
            assert!(
                o.status.success(),
                "trial {trial}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            writers.push(id);
        }
        let mut expected: Vec<String> = (0..FILES).map(|i| format!("f{i}.csv")).collect();
        expected.extend(["manifest.json".into(), "run-info.json".into()]);
        expected.sort();
        assert_eq!(
            entries(&out),
            expected,
            "trial {trial}: files lost or stray"
        );
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
        let who = manifest["writer"].as_str().unwrap().to_string();
        assert!(writers.contains(&who));
        for i in 0..FILES {
            let body = std::fs::read_to_string(out.join(format!("f{i}.csv"))).unwrap();
            assert_eq!(body, who, "trial {trial}: f{i}.csv from another run");
        }
        assert_eq!(entries(&dir), ["exp"], "trial {trial}: staging left behind");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Killing the parent alone (as `kill <xtask pid>` does) stops the experiment child: it exits
/// soon, removes its staging directory and never commits its report.
#[cfg(unix)]
#[test]
fn the_child_dies_with_its_parent() {
    if role().is_some() {
        return;
    }
    let dir = scratch("orphan");
    let out = dir.join("exp");
    let mut parent = spawn("parent", &out, &[]);
    // The test harness prints its own text first (on the same line); ours is `CHILD <pid>`.
    let child: u32 = BufReader::new(parent.stdout.take().unwrap())
        .lines()
        .map_while(|l| l.ok())
        .find_map(|l| {
            l.split_once("CHILD ")
                .map(|(_, p)| p.trim().parse().unwrap())
        })
        .expect("the parent printed its child's pid");
    // Let the child start staging, then kill the parent alone.
    let started = Instant::now();
    while entries(&dir).is_empty() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!entries(&dir).is_empty(), "the child never started staging");
    parent.kill().unwrap();
    parent.wait().unwrap();
    let alive = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| {
                let state = s.rsplit(')').next().unwrap_or("").trim_start();
                !state.starts_with('Z') && !state.starts_with('X')
            })
            .unwrap_or(false)
    };
    let killed = Instant::now();
    while alive(child) && killed.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(child), "the child outlived its parent by 10 s");
    // Its writes would have taken 12 x 300 ms: wait past that and check nothing appeared.
    std::thread::sleep(Duration::from_millis(500));
    assert!(!out.exists(), "the orphan committed its report");
    assert!(
        entries(&dir).is_empty(),
        "staging left: {:?}",
        entries(&dir)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

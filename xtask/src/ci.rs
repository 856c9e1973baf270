//! `cargo xtask ci`: what `.ci/run` runs, in order, stopping at the first failure.

use crate::util::{cargo, phase, run};
use std::path::Path;

/// The test command of README.md (kept identical to `.ci/run`'s).
pub const TEST_COMMAND: &[&str] = &["test", "--workspace", "--release"];

/// Runs the task with its arguments.
pub fn main(root: &Path, args: &[String]) -> Result<(), String> {
    if !args.is_empty() {
        return Err(format!("`ci` takes no arguments, got {args:?}"));
    }
    let steps: [&[&str]; 3] = [
        &["fmt", "--all", "--", "--check"],
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        TEST_COMMAND,
    ];
    for step in steps {
        phase(&format!("cargo {}", step.join(" ")));
        run(cargo(root).args(step))?;
    }
    for threads in ["1", "2"] {
        phase(&format!(
            "RAYON_NUM_THREADS={threads} cargo xtask reproduce --check"
        ));
        std::env::set_var("RAYON_NUM_THREADS", threads);
        crate::reproduce::main(root, &["--check".to_string()])?;
    }
    Ok(())
}

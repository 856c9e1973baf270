//! Workspace tasks, run as `cargo xtask <task>` (the alias lives in `.cargo/config.toml`).
//!
//! One module per task, as in rust-analyzer's xtask: [`reproduce`], [`bench`], [`ci`], [`new`]
//! (with the files it writes in [`scaffold`]), and [`index`] for the reports' index. Kept lean
//! on purpose: hand-parsed arguments, `std` only.

mod bench;
mod ci;
mod index;
mod new;
mod reproduce;
mod scaffold;
mod util;

use std::path::Path;
use std::process::ExitCode;

/// A task: its name, its arguments and what it does (the usage text), and its entry point.
struct Task {
    name: &'static str,
    usage: &'static str,
    run: fn(&Path, &[String]) -> Result<(), String>,
}

const TASKS: &[Task] = &[
    Task {
        name: "reproduce",
        usage: "reproduce [--check] [--render-only] [NAME...]\n\
                \x20                               run every experiment (or the named ones) and write reports/;\n\
                \x20                               --check regenerates into a temporary directory and fails,\n\
                \x20                               listing the files, if anything differs from reports/ (or\n\
                \x20                               from the report re-rendered from its own saved data);\n\
                \x20                               --render-only re-renders from the data saved in reports/\n\
                \x20                               (a caption or sentence change, no Monte Carlo)",
        run: reproduce::main,
    },
    Task {
        name: "new",
        usage: "new NAME                       scaffold experiments/NAME (picked up by reproduce once its\n\
                \x20                               Cargo.toml description is written)",
        run: new::main,
    },
    Task {
        name: "bench",
        usage: "bench [--quick]                benchmarks of the kernels, faer against nalgebra and\n\
                \x20                               NumPy/SciPy, then render reports/performance/\n\
                \x20                               (--quick: small sizes, short runs)",
        run: bench::main,
    },
    Task {
        name: "ci",
        usage: "ci                             what .ci/run runs: fmt --check, clippy -D warnings, the\n\
                \x20                               README's test command, reproduce --check on 1 and 2 threads",
        run: ci::main,
    },
];

fn usage() -> String {
    let mut text = String::from("usage: cargo xtask <task>\n\ntasks:\n");
    for task in TASKS {
        text.push_str(&format!("  {}\n", task.usage));
    }
    text
}

fn task_names() -> String {
    TASKS.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = util::workspace_root();
    let result = match args.first().map(String::as_str) {
        None => Err(format!(
            "no task given (tasks: {})\n\n{}",
            task_names(),
            usage()
        )),
        Some("-h" | "--help" | "help") => {
            print!("{}", usage());
            Ok(())
        }
        Some(name) => match TASKS.iter().find(|t| t.name == name) {
            Some(task) => (task.run)(&root, &args[1..]),
            None => Err(format!(
                "unknown task `{name}` (tasks: {})\n\n{}",
                task_names(),
                usage()
            )),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_is_listed_in_the_usage_under_its_name() {
        let text = usage();
        for task in TASKS {
            assert!(task.usage.starts_with(task.name), "{}", task.name);
            assert!(text.contains(&format!("  {} ", task.name)), "{}", task.name);
        }
        assert_eq!(task_names(), "reproduce, new, bench, ci");
    }
}

//! Experiment `experiment-template`: the layout every experiment follows, compiled and
//! smoke-tested as a workspace crate; `cargo xtask new NAME` copies it to `experiments/NAME`.
//!
//! `main.rs` is the table of contents: load the config, run each part (`measure` → data,
//! written to CSV; `report` reads only that data), finish. Describe here what the experiment
//! computes; the prose of the report is in `report.md` beside this crate.

mod config;
mod learning;

use mfflow_lab::run::Run;
use mfflow_lab::{cli, Result};
use std::process::ExitCode;

const NAME: &str = "experiment-template";
const TEMPLATE: &str = include_str!("../report.md");

fn main() -> ExitCode {
    cli::main(
        NAME,
        concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"),
        run,
    )
}

fn run(args: &cli::Args) -> Result<()> {
    let mut run = Run::<config::Config>::start(NAME, TEMPLATE, args, |c| c.master_seed)?;
    run.part("learning", learning::measure, learning::report)?;
    run.finish()
}

//! Experiment `experiment-template`: the layout every experiment follows, compiled and
//! smoke-tested as a workspace crate; `cargo xtask new NAME` copies it to `experiments/NAME`.
//!
//! `main.rs` is the table of contents: load the config, run each part (`measure` → data,
//! written to CSV; `report` reads only that data), finish. Describe here what the experiment
//! computes; the prose of the report is in `report.md` beside this crate.

mod config;
mod learning;

use mfflow_lab::output::Outputs;
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
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
    let (cfg, _) = mfflow_lab::config::load::<config::Config>(&args.config)?;
    let seeds = Seeds::new(cfg.master_seed);
    let out = Outputs::create(&args.out)?;
    let mut report = Report::new(TEMPLATE);

    let data = out.time("learning", || learning::measure(&cfg, &seeds))?;
    learning::write(&data, &out)?;
    learning::report(&data, &out, &mut report)?;

    out.finish(NAME, &report, &seeds, &cfg)
}

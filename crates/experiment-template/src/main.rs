//! Experiment `experiment-template`: the layout every experiment follows, compiled and
//! smoke-tested as a workspace crate; `cargo xtask new NAME` copies it to `experiments/NAME`.
//!
//! `main.rs` is the table of contents: each part's `measure` computes its data (saved as
//! `data/<part>.json`), its `report` writes CSV files, figures and sentences from that data
//! alone, so `--render-from DIR` re-renders the report without measuring. Describe here what
//! the experiment computes; the prose of the report is in `report.md` beside this crate.

mod config;
mod learning;

use std::process::ExitCode;

fn main() -> ExitCode {
    mfflow_lab::run::main::<config::Config>(
        "experiment-template",
        include_str!("../report.md"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"),
        |c| c.master_seed,
        |run| {
            run.part("learning", learning::measure, learning::report)?;
            Ok(())
        },
    )
}

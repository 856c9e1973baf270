//! The command line every experiment binary shares:
//! `<experiment> [--config PATH] [--out DIR]`.

use crate::Result;
use std::path::PathBuf;
use std::process::ExitCode;

/// Where to read the config and where to write the report.
#[derive(Debug, Clone)]
pub struct Args {
    /// The config file (default: the experiment's own `config.toml`).
    pub config: PathBuf,
    /// The report directory (default: `reports/<name>`).
    pub out: PathBuf,
}

/// Parses the arguments, runs the experiment, and turns a failure into one line on stderr and
/// exit code 2 (no panic; the previous report stays, see [`crate::output::Outputs`]).
///
/// `default_config` is usually `concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml")`.
pub fn main(name: &str, default_config: &str, run: fn(&Args) -> Result<()>) -> ExitCode {
    // Parallelism is across time points and draws; each dense kernel runs sequentially, which
    // keeps results identical whatever the number of threads.
    faer::set_global_parallelism(faer::Par::Seq);
    let mut args = Args {
        config: PathBuf::from(default_config),
        out: PathBuf::from("reports").join(name),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let target = match a.as_str() {
            "--config" => &mut args.config,
            "--out" => &mut args.out,
            "-h" | "--help" => {
                println!("usage: {name} [--config PATH] [--out DIR]");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("{name}: error: unknown argument `{other}` (usage: {name} [--config PATH] [--out DIR])");
                return ExitCode::from(2);
            }
        };
        match it.next() {
            Some(v) => *target = PathBuf::from(v),
            None => {
                eprintln!("{name}: error: `{a}` needs a value");
                return ExitCode::from(2);
            }
        }
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: error: {e}");
            ExitCode::from(2)
        }
    }
}

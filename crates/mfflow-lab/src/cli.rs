//! The command line every experiment binary shares:
//! `<experiment> [--config PATH] [--out DIR] [--render-from DIR]`.

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
    /// Re-render from the data saved in this report directory instead of measuring: the
    /// config and the seed streams come from its `manifest.json`, each part's data from its
    /// `data/<part>.json` (see [`crate::run`]). `--config` is then refused.
    pub render_from: Option<PathBuf>,
}

const USAGE: &str = "[--config PATH] [--out DIR] [--render-from DIR]";

/// Parses the arguments, runs the experiment, and turns a failure into one line on stderr and
/// exit code 2 (no panic; the previous report stays, see [`crate::output::Outputs`]).
///
/// `default_config` is usually `concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml")`.
pub fn main(name: &str, default_config: &str, run: impl FnOnce(&Args) -> Result<()>) -> ExitCode {
    // Parallelism is across time points and draws; each dense kernel runs sequentially, which
    // keeps results identical whatever the number of threads.
    faer::set_global_parallelism(faer::Par::Seq);
    let args = match parse(name, default_config, std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("usage: {name} {USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{name}: error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// The arguments, or `None` for `--help`.
fn parse(
    name: &str,
    default_config: &str,
    mut it: impl Iterator<Item = String>,
) -> std::result::Result<Option<Args>, String> {
    let (mut config, mut out, mut render_from) = (None, None, None);
    while let Some(a) = it.next() {
        let target = match a.as_str() {
            "--config" => &mut config,
            "--out" => &mut out,
            "--render-from" => &mut render_from,
            "-h" | "--help" => return Ok(None),
            other => {
                return Err(format!(
                    "unknown argument `{other}` (usage: {name} {USAGE})"
                ))
            }
        };
        match it.next() {
            Some(v) if target.is_none() => *target = Some(PathBuf::from(v)),
            Some(_) => return Err(format!("`{a}` given twice")),
            None => return Err(format!("`{a}` needs a value")),
        }
    }
    if config.is_some() && render_from.is_some() {
        return Err(
            "--render-from reads the config of the run that measured the data (its manifest.json); \
             --config cannot be given with it"
                .into(),
        );
    }
    Ok(Some(Args {
        config: config.unwrap_or_else(|| PathBuf::from(default_config)),
        out: out.unwrap_or_else(|| PathBuf::from("reports").join(name)),
        render_from,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> std::result::Result<Option<Args>, String> {
        parse("x", "c.toml", list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn render_from_excludes_config_and_flags_take_one_value() {
        let a = args(&["--render-from", "r/x"]).unwrap().unwrap();
        assert_eq!(a.render_from, Some(PathBuf::from("r/x")));
        assert_eq!(a.config, PathBuf::from("c.toml"));
        assert_eq!(a.out, PathBuf::from("reports/x"));
        let e = args(&["--config", "a", "--render-from", "b"]).unwrap_err();
        assert!(e.contains("--config cannot be given"), "{e}");
        assert!(args(&["--out", "a", "--out", "b"])
            .unwrap_err()
            .contains("twice"));
        assert!(args(&["--out"]).unwrap_err().contains("needs a value"));
        assert!(args(&["--bogus"]).unwrap_err().contains("unknown argument"));
        assert!(args(&["-h"]).unwrap().is_none());
    }
}

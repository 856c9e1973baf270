//! `mfflow`: the exact gradient-flow trajectory and the incremental-learning bounds of your own
//! instance of symmetric matrix factorization.
//!
//! ```text
//! mfflow solve  INSTANCE.toml [--method closed-form|ode|gd] [--eta ETA] [--want w,eigenvalues,factor]
//!               [--out FILE|FILE.npz] [--quiet]
//! mfflow bounds INSTANCE.toml --eps EPS [--grid N] [--out FILE] [--quiet]
//! ```
//!
//! `mfflow --help` and `mfflow <command> --help` describe the output fields, the defaults and
//! the exit codes ([`failure`]). Bad input gives one line on stderr naming the key and the
//! problem, exit code 2, and no output file.

mod args;
mod bounds;
mod failure;
mod instance;
mod npz;
mod out;
mod progress;
mod solve;

use args::{Cli, Command, Common, Method};
use clap::Parser;
use failure::{bad, one_line, Failure};
use progress::Progress;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Parallelism is over time points (inside the library); each point's dense kernels run
    // sequentially so that results are identical whatever the number of threads.
    faer::set_global_parallelism(faer::Par::Seq);
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version: stdout, exit 0.
        Err(e) if !e.use_stderr() => e.exit(),
        // Usage errors: clap's message (with its suggestion), each line escaped like ours since
        // it quotes the arguments, exit 2 (clap's code for them, which is also ours for bad
        // input).
        Err(e) => {
            let text = e.render().to_string();
            for line in text.trim_end().lines() {
                eprintln!("{}", one_line(line));
            }
            if e.kind() == clap::error::ErrorKind::InvalidSubcommand && !text.contains("similar") {
                eprintln!("  tip: the commands are `solve` and `bounds`");
            }
            return ExitCode::from(failure::BAD_INPUT);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { message, code }) => {
            eprintln!("mfflow: error: {}", one_line(&message));
            ExitCode::from(code)
        }
    }
}

/// Reads and validates the instance file.
fn load(common: &Common) -> Result<instance::Instance, Failure> {
    let path = &common.instance;
    let bytes =
        std::fs::read(path).map_err(|e| bad(format!("{}: cannot read: {e}", path.display())))?;
    let parsed = if path.extension().is_some_and(|e| e == "npz") {
        instance::parse_npz(&bytes)
    } else {
        instance::decode(&bytes).and_then(instance::parse)
    };
    parsed.map_err(|m| bad(format!("{}: {m}", path.display())))
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Solve(a) => {
            if a.eta.is_some() && a.method != Method::Gd {
                return Err(bad("--eta applies only to --method gd"));
            }
            if let Some(path) = &a.common.out {
                out::check_target(path, &a.common.instance)?;
            }
            let inst = load(&a.common)?;
            let progress = Progress::start(
                !a.common.quiet,
                &format!(
                    "solve: {} x {}, {} time(s), {}",
                    inst.target.n(),
                    inst.init.shape().ncols(),
                    inst.times.len(),
                    a.method.name()
                ),
            );
            let want = solve::Wanted::from_list(&a.want);
            let result = solve::solve(&inst, a.method, a.eta, want);
            progress.finish();
            let result = result?;
            match a.common.out.as_deref() {
                Some(path) if path.extension().is_some_and(|e| e == "npz") => {
                    out::write_file(path, &a.common.instance, |w| result.write_npz(w))
                }
                out => out::write_output(out, &a.common.instance, |w| result.write_json(w)),
            }
        }
        Command::Bounds(a) => {
            if let Some(path) = &a.common.out {
                out::check_target(path, &a.common.instance)?;
            }
            let inst = load(&a.common)?;
            let progress = Progress::start(!a.common.quiet, "bounds");
            let result = bounds::bounds(&inst, a.eps, a.grid, &progress);
            progress.finish();
            let (value, violated) = result?;
            if violated {
                eprintln!(
                    "mfflow: WARNING: a theorem applies but the measured error exceeds eps = {}: \
                     this contradicts the paper or reveals a bug; please report it",
                    a.eps
                );
            }
            out::write_output(a.common.out.as_deref(), &a.common.instance, |w| {
                serde_json::to_writer(&mut *w, &value).map_err(std::io::Error::other)?;
                writeln!(w)
            })
        }
    }
}

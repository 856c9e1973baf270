//! `mfflow`: the exact gradient-flow trajectory and the incremental-learning bounds of your own
//! instance of symmetric matrix factorization.
//!
//! ```text
//! mfflow solve  INSTANCE.toml [--method closed-form|ode|gd] [--eta ETA] [--out FILE]
//! mfflow bounds INSTANCE.toml --eps EPS [--grid N] [--out FILE]
//! ```
//!
//! Bad input gives one line on stderr naming the key and the problem, exit code 2, and no
//! output file (outputs are written to a temporary file and renamed only on success).

mod instance;

use mfflow::ode::OdeOptions;
use mfflow::theorems::{theorem3, theorem4, Verdict, DEFAULT_GRID_POINTS};
use mfflow::trajectory::Want;
use mfflow::{gd, metrics, Form, Mat, Trajectory};
use serde_json::{json, Value};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage:
  mfflow solve  INSTANCE.toml [--method closed-form|ode|gd] [--eta ETA] [--out FILE]
  mfflow bounds INSTANCE.toml --eps EPS [--grid N] [--out FILE]

INSTANCE.toml has exactly the keys alpha (> 0), y (n rows of n numbers, symmetric),
u0 (n rows of r numbers; U(0) = sqrt(alpha) * u0) and times (numbers >= 0).";

/// A failure: message and exit code (2 for bad input, 1 for a numerical or I/O failure).
struct Failure(String, u8);

fn bad(msg: impl Into<String>) -> Failure {
    Failure(msg.into(), 2)
}

fn main() -> ExitCode {
    // Parallelism is over time points (inside the library); each point's dense kernels run
    // sequentially so that results are identical whatever the number of threads.
    faer::set_global_parallelism(faer::Par::Seq);
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(msg, code)) => {
            eprintln!("mfflow: error: {msg}");
            ExitCode::from(code)
        }
    }
}

#[derive(Debug, Default)]
struct Options {
    instance: Option<PathBuf>,
    method: Option<String>,
    eta: Option<f64>,
    eps: Option<f64>,
    grid: Option<usize>,
    out: Option<PathBuf>,
}

fn parse_options(args: &[String]) -> Result<Options, Failure> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| bad(format!("{name} needs a value\n{USAGE}")))
        };
        match a.as_str() {
            "--method" => o.method = Some(value("--method")?),
            "--eta" => o.eta = Some(parse_number(&value("--eta")?, "--eta")?),
            "--eps" => o.eps = Some(parse_number(&value("--eps")?, "--eps")?),
            "--grid" => {
                let v = value("--grid")?;
                o.grid = Some(
                    v.parse()
                        .map_err(|_| bad(format!("--grid: expected a whole number, got `{v}`")))?,
                )
            }
            "--out" => o.out = Some(PathBuf::from(value("--out")?)),
            flag if flag.starts_with("--") => {
                return Err(bad(format!("unknown option `{flag}`\n{USAGE}")))
            }
            path if o.instance.is_none() => o.instance = Some(PathBuf::from(path)),
            extra => return Err(bad(format!("unexpected argument `{extra}`\n{USAGE}"))),
        }
    }
    Ok(o)
}

fn parse_number(s: &str, name: &str) -> Result<f64, Failure> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(x) => Err(bad(format!("{name}: must be finite and > 0, got {x}"))),
        Err(_) => Err(bad(format!("{name}: expected a number, got `{s}`"))),
    }
}

fn run(args: &[String]) -> Result<(), Failure> {
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => return Err(bad(USAGE)),
    };
    if matches!(command, "-h" | "--help" | "help") {
        println!("{USAGE}");
        return Ok(());
    }
    let options = parse_options(rest)?;
    let path = options
        .instance
        .clone()
        .ok_or_else(|| bad(format!("missing INSTANCE.toml\n{USAGE}")))?;
    let load = || -> Result<instance::Instance, Failure> {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| bad(format!("{}: cannot read: {e}", path.display())))?;
        instance::parse(&text).map_err(|m| bad(format!("{}: {m}", path.display())))
    };
    match command {
        "solve" => {
            if options.eps.is_some() || options.grid.is_some() {
                return Err(bad("--eps and --grid belong to `mfflow bounds`"));
            }
            let method = options.method.as_deref().unwrap_or("closed-form");
            match (method, options.eta) {
                ("gd", None) => return Err(bad("--method gd needs --eta ETA (the step size)")),
                ("closed-form" | "ode", Some(_)) => {
                    return Err(bad("--eta applies only to --method gd"))
                }
                ("closed-form" | "ode" | "gd", _) => {}
                (other, _) => {
                    return Err(bad(format!(
                        "--method: unknown method `{other}` (closed-form, ode or gd)"
                    )))
                }
            }
            let inst = load()?;
            let result = solve(&inst, method, options.eta)?;
            write_output(options.out.as_deref(), |w| result.write_json(w))
        }
        "bounds" => {
            if options.method.is_some() || options.eta.is_some() {
                return Err(bad("--method and --eta belong to `mfflow solve`"));
            }
            let eps = options.eps.ok_or_else(|| bad("bounds needs --eps EPS"))?;
            let inst = load()?;
            let grid = options.grid.unwrap_or(DEFAULT_GRID_POINTS);
            let (value, violated) = bounds(&inst, eps, grid)?;
            if violated {
                eprintln!(
                    "mfflow: WARNING: a theorem applies but the measured error exceeds eps = {eps}: \
                     this contradicts the paper or reveals a bug; please report it"
                );
            }
            write_output(options.out.as_deref(), |w| {
                serde_json::to_writer(&mut *w, &value).map_err(std::io::Error::other)?;
                writeln!(w)
            })
        }
        other => Err(bad(format!("unknown command `{other}`\n{USAGE}"))),
    }
}

/// The trajectory at the requested times, by one of the three methods.
struct Solution {
    n: usize,
    r: usize,
    alpha: f64,
    method: String,
    form: Option<&'static str>,
    times: Vec<f64>,
    reached: Option<Vec<f64>>,
    w: Vec<Mat<f64>>,
    eigenvalues: Vec<Vec<f64>>,
    elapsed: f64,
}

fn numerical(e: mfflow::Error) -> Failure {
    Failure(e.to_string(), 1)
}

fn solve(inst: &instance::Instance, method: &str, eta: Option<f64>) -> Result<Solution, Failure> {
    let (target, init, times) = (&inst.target, &inst.init, &inst.times);
    let start = Instant::now();
    let mut reached = None;
    let mut form = None;
    let (w, eigenvalues) = match method {
        "closed-form" => {
            let traj = Trajectory::new(target, init, Form::Auto).map_err(numerical)?;
            form = Some(match traj.form() {
                Form::Inverse => "inverse",
                _ => "factor",
            });
            let want = Want {
                w: true,
                eigenvalues: true,
                ..Want::default()
            };
            let snaps = traj.evaluate(times, want).map_err(numerical)?;
            snaps
                .into_iter()
                .map(|s| (s.w.expect("asked for"), s.eigenvalues.expect("asked for")))
                .unzip()
        }
        "ode" => {
            let (points, _) = mfflow::ode::solve(target, init, times, OdeOptions::default())
                .map_err(numerical)?;
            points.into_iter().unzip()
        }
        _ => {
            let eta = eta.expect("checked by the caller");
            let iterates = gd::gradient_descent(target.y(), init.u0().as_ref(), eta, times)
                .map_err(numerical)?;
            reached = Some(iterates.iter().map(|(t, _)| *t).collect());
            gram_and_spectrum(iterates.iter().map(|(_, u)| u))?
        }
    };
    Ok(Solution {
        n: target.n(),
        r: init.shape().ncols(),
        alpha: init.alpha(),
        method: method.to_string(),
        form,
        times: times.clone(),
        reached,
        w,
        eigenvalues,
        elapsed: start.elapsed().as_secs_f64(),
    })
}

/// `W` and its eigenvalues at each time.
type Series = (Vec<Mat<f64>>, Vec<Vec<f64>>);

fn gram_and_spectrum<'a>(factors: impl Iterator<Item = &'a Mat<f64>>) -> Result<Series, Failure> {
    factors
        .map(|u| {
            let w = u * u.transpose();
            let e = metrics::eigenvalues_symmetric(w.as_ref()).map_err(numerical)?;
            Ok((w, e))
        })
        .collect::<Result<Vec<_>, Failure>>()
        .map(|v| v.into_iter().unzip())
}

impl Solution {
    /// Streams the JSON object: the matrices are written row by row, never built as one string.
    fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let num = |x: f64| serde_json::to_string(&x).map_err(std::io::Error::other);
        write!(
            out,
            "{{\"n\":{},\"r\":{},\"alpha\":{},\"method\":\"{}\"",
            self.n,
            self.r,
            num(self.alpha)?,
            self.method
        )?;
        if let Some(form) = self.form {
            write!(out, ",\"form\":\"{form}\"")?;
        }
        write!(out, ",\"elapsed_seconds\":{}", num(self.elapsed)?)?;
        write!(out, ",\"times\":")?;
        serde_json::to_writer(&mut *out, &self.times).map_err(std::io::Error::other)?;
        if let Some(reached) = &self.reached {
            write!(out, ",\"times_reached\":")?;
            serde_json::to_writer(&mut *out, reached).map_err(std::io::Error::other)?;
        }
        write!(out, ",\"eigenvalues\":")?;
        serde_json::to_writer(&mut *out, &self.eigenvalues).map_err(std::io::Error::other)?;
        write!(out, ",\"w\":[")?;
        for (k, w) in self.w.iter().enumerate() {
            write!(out, "{}[", if k > 0 { "," } else { "" })?;
            let mut row = vec![0.0; w.ncols()];
            for i in 0..w.nrows() {
                for (j, x) in row.iter_mut().enumerate() {
                    *x = w[(i, j)];
                }
                if i > 0 {
                    write!(out, ",")?;
                }
                serde_json::to_writer(&mut *out, &row).map_err(std::io::Error::other)?;
            }
            write!(out, "]")?;
        }
        writeln!(out, "]}}")
    }
}

fn bounds(inst: &instance::Instance, eps: f64, grid: usize) -> Result<(Value, bool), Failure> {
    let t3 = theorem3(&inst.target, &inst.init, eps, grid).map_err(numerical)?;
    let t4 = theorem4(&inst.target, &inst.init, eps, grid).map_err(numerical)?;
    let violated = t3.violated(eps) || t4.violated(eps);
    let value = json!({
        "n": inst.target.n(),
        "r": inst.init.shape().ncols(),
        "alpha": inst.init.alpha(),
        "eps": eps,
        "grid_points": grid,
        "eigenvalues": inst.target.eigenvalues(),
        "theorem3": verdict_json(&t3, eps, false),
        "theorem4": verdict_json(&t4, eps, true),
    });
    Ok((value, violated))
}

fn verdict_json(v: &Verdict, eps: f64, with_m: bool) -> Value {
    let mut obj = json!({
        "applies": v.applies,
        "reason": v.reason,
        "c_eps": v.c_eps,
        "C_eps": v.big_c_eps,
        "alpha_bound": v.alpha_bound,
        "alpha_ok": v.alpha_ok,
        "separation_ok": v.separation_ok,
        "intervals": v.intervals.iter().map(|iv| json!([iv.start, iv.end])).collect::<Vec<_>>(),
        "max_error": v.max_error,
        "violated": v.violated(eps),
    });
    if with_m {
        obj["M"] = json!(v.m);
    }
    obj
}

/// Writes to stdout, or to `path` through a temporary file renamed on success, so that a
/// failure never leaves a partial or clobbered output.
fn write_output(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Failure> {
    let io = |e: std::io::Error| Failure(format!("cannot write output: {e}"), 1);
    match path {
        None => {
            let stdout = std::io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            write(&mut w).map_err(io)?;
            w.flush().map_err(io)
        }
        Some(path) => {
            let file_name = path
                .file_name()
                .ok_or_else(|| bad(format!("--out: `{}` is not a file path", path.display())))?;
            let tmp = path.with_file_name(format!(".{}.tmp", file_name.to_string_lossy()));
            let result = (|| {
                let file = std::fs::File::create(&tmp)?;
                let mut w = BufWriter::new(file);
                write(&mut w)?;
                w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
                std::fs::rename(&tmp, path)
            })();
            if let Err(e) = result {
                let _ = std::fs::remove_file(&tmp);
                return Err(Failure(format!("cannot write {}: {e}", path.display()), 1));
            }
            Ok(())
        }
    }
}

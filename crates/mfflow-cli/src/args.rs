//! The command line (clap derive): what `mfflow --help` and `mfflow <command> --help` print.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Fewest grid points per interval `bounds` accepts (two points are the interval's ends).
pub const MIN_GRID: u64 = 2;
/// Most grid points per interval `bounds` accepts.
pub const MAX_GRID: u64 = 100_000;
/// Most `N · n²` numbers `bounds` holds at once: the error is measured on every grid point of
/// an interval together, one `n × n` matrix per point (2^28 numbers = 2 GiB).
pub const MAX_GRID_ENTRIES: u128 = 1 << 28;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  numerical failure, or the output could not be written (disk full, I/O error)
  2  bad input: command line, instance file (one line on stderr names the key and the
     problem), or a refused --out path; nothing is written";

const INSTANCE: &str = "\
INSTANCE.toml has exactly four keys:
  alpha = 1e-6                      initialization scale, > 0
  y     = [[2.0, 0.5], [0.5, 1.0]]  symmetric n x n target (indefinite is fine)
  u0    = [[1.0, 0.2, 0.0], ...]    n x r shape, any r and rank; U(0) = sqrt(alpha) * u0
  times = [0.0, 2.0, 8.0]           times t >= 0, any order (t is the flow's own time: early
                                    on, W's part along an eigenvalue l of y grows like exp(2 l t))
See examples/instance.toml. For large instances, INSTANCE.npz (numpy.savez(FILE, alpha=..., y=...,
u0=..., times=...), float64 arrays of shapes (), (n, n), (n, r), (T), uncompressed) holds the same
four arrays without text to parse; the same checks apply.";

/// Exact gradient-flow trajectories and incremental-learning bounds for your own instance of
/// symmetric matrix factorization, min_U 1/4 ||Y - U U^T||_F^2 from U(0) = sqrt(alpha) u0
/// (Min & Vidal 2025).
#[derive(Debug, Parser)]
#[command(
    name = "mfflow",
    version,
    propagate_version = true,
    after_help = EXIT_CODES,
    after_long_help = format!("{INSTANCE}\n\n{EXIT_CODES}"),
)]
pub struct Cli {
    /// What to compute.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// W(t) = U(t) U(t)^T and its eigenvalues at the instance's times (JSON on stdout or --out)
    #[command(
        long_about = "\
W(t) = U(t) U(t)^T and its eigenvalues at the instance's times, as one JSON object on stdout
(or in --out FILE).

Output fields:
  n, r             size of y, columns of u0
  alpha            the initialization scale
  method           closed-form, ode or gd
  form             closed form only: the route used, inverse (PSD target, full-rank W(0)) or
                   factor (any rank, any sign)
  times            the times, as given (same order)
  times_reached    gd only: the times gradient descent reached, round(t / eta) * eta
  eigenvalues      for each time, the eigenvalues of W(t), descending (accurate from alpha to
                   ||Y||, not only to ||Y|| * 1e-16)   [--want eigenvalues, default]
  w                for each time, W(t) in the original basis: n rows of n numbers
                                                        [--want w, default]
  factor           for each time, F(t) with W(t) = F F^T in the original basis: n rows of m
                   numbers (closed form: m is the numerical rank of u0, the eigenbasis factor
                   rotated back; gd: U(t) itself, m = r)   [--want factor]
  elapsed_seconds  compute time only (not parsing or writing); varies between runs

With --out FILE.npz the same arrays are written as NumPy's .npz (numpy.load(FILE)): times (T),
w (T x n x n), eigenvalues (T x n), factor (T x n x m), and times_reached (T) for gd, each only
when asked for; n, r, alpha, method and form are not stored there.",
        after_long_help = format!("{INSTANCE}\n\n{EXIT_CODES}"),
    )]
    Solve(SolveArgs),
    /// Theorems 3 and 4: their constants, alpha bound, intervals I_k, and the measured error
    #[command(
        long_about = "\
Theorems 3 (spectral initialization) and 4 (general initialization) of Min & Vidal for this
instance: the constants, whether the theorem applies, its intervals I_k on which W(t) is
eps-close to the best rank-k approximation Y_k of Y, and the error measured on the exact
trajectory over each interval. One JSON object on stdout (or in --out FILE).

Output fields:
  n, r, alpha, eps, grid_points, eigenvalues (of y, descending)
  theorem3, theorem4, each with:
    applies        every hypothesis and condition holds, so the conclusion is guaranteed
    reason         why not, when it does not apply (null otherwise)
    c_eps, C_eps   the theorem's constants c_eps and C_eps
    M              Theorem 4 only: the constant M of the initialization
    alpha_bound    the largest alpha the theorem allows; alpha_ok: alpha <= alpha_bound
    separation_ok  whether the separation condition holds
    intervals      for k = 1..K: {k, start, end, empty, why_empty}; end is null for the
                   unbounded I_K; an empty interval (start after end, or ending before t = 0)
                   has empty = true and a reason: for these constants the theorem's interval
                   is empty, so it guarantees nothing at rank k
    max_error      for each interval, max ||W(t) - Y_k||_2 (spectral norm, units of y) over
                   --grid evenly spaced times (null for an empty interval); the unbounded I_K
                   is measured over [start, 11 * start]
    violated       the theorem applies but some max_error exceeds eps (also a warning on
                   stderr: this would contradict the paper or reveal a bug)",
        after_long_help = format!("{INSTANCE}\n\n{EXIT_CODES}"),
    )]
    Bounds(BoundsArgs),
}

/// How `solve` computes the trajectory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// The exact closed form through stable routes
    ClosedForm,
    /// Adaptive Dormand-Prince 5(4) integration of the factor ODE at rtol 1e-12
    Ode,
    /// Gradient descent with step --eta
    Gd,
}

impl Method {
    /// The name printed in the output's `method` field.
    pub fn name(self) -> &'static str {
        match self {
            Method::ClosedForm => "closed-form",
            Method::Ode => "ode",
            Method::Gd => "gd",
        }
    }
}

/// Options both subcommands share.
#[derive(Debug, Args)]
pub struct Common {
    /// The instance file (TOML, or .npz: alpha, y, u0, times; see --help)
    #[arg(value_name = "INSTANCE.toml")]
    pub instance: PathBuf,
    /// Write the JSON to FILE (through a temporary file in FILE's directory, renamed on
    /// success) instead of stdout; FILE must not be the instance, a symlink or a non-regular file
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// No progress indicator on stderr (it is shown only when stderr is a terminal and the
    /// work takes more than about a second, and never on stdout)
    #[arg(short, long)]
    pub quiet: bool,
}

/// `mfflow solve`.
#[derive(Debug, Args)]
pub struct SolveArgs {
    #[command(flatten)]
    pub common: Common,
    /// How to compute W(t)
    #[arg(long, value_enum, default_value_t = Method::ClosedForm)]
    pub method: Method,
    /// Step size of gradient descent (required by, and only allowed with, --method gd)
    #[arg(
        long,
        value_name = "ETA",
        value_parser = positive_finite,
        allow_negative_numbers = true,
        required_if_eq("method", "gd")
    )]
    pub eta: Option<f64>,
    /// What to compute and write, comma-separated: w (W(t), n x n), eigenvalues (of W(t),
    /// descending), factor (F(t) with W(t) = F F^T, n x m: closed-form and gd only); only what
    /// is asked for is computed (eigenvalues alone skip W's cost, w alone the eigenvalues')
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "LIST",
        default_values_t = [Quantity::W, Quantity::Eigenvalues]
    )]
    pub want: Vec<Quantity>,
}

/// An output of `solve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Quantity {
    /// W(t) in the original basis
    W,
    /// The eigenvalues of W(t), descending
    Eigenvalues,
    /// A factor F(t) with W(t) = F F^T (original basis)
    Factor,
}

/// `mfflow bounds`.
#[derive(Debug, Args)]
pub struct BoundsArgs {
    #[command(flatten)]
    pub common: Common,
    /// The accuracy eps of the theorems: W(t) within eps of Y_k in spectral norm (units of y)
    #[arg(long, value_name = "EPS", value_parser = positive_finite, allow_negative_numbers = true)]
    pub eps: f64,
    /// Grid points per interval for the measured error: a whole number from 2 to 100000, and
    /// N * n^2 at most 2^28 (every point's n x n matrix is held at once)
    #[arg(
        long,
        value_name = "N",
        default_value_t = mfflow::theorems::DEFAULT_GRID_POINTS,
        value_parser = grid_points,
        allow_negative_numbers = true
    )]
    pub grid: usize,
}

/// A finite number > 0.
fn positive_finite(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(x) => Err(format!("must be finite and > 0, got {x}")),
        Err(_) => Err("expected a number".into()),
    }
}

/// A whole number of grid points in `MIN_GRID..=MAX_GRID` (any length of digits is read
/// without overflow: a huge value is refused, not wrapped or allocated).
fn grid_points(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let range = format!("a whole number from {MIN_GRID} to {MAX_GRID}");
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("expected {range}"));
    }
    match t.parse::<u64>() {
        Ok(n) if (MIN_GRID..=MAX_GRID).contains(&n) => Ok(n as usize),
        Ok(n) if n < MIN_GRID => Err(format!(
            "must be at least {MIN_GRID} (an interval's grid includes both ends); expected {range}"
        )),
        _ => Err(format!("too large; expected {range}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn grid_bounds() {
        assert_eq!(grid_points("2"), Ok(2));
        assert_eq!(grid_points("100000"), Ok(100_000));
        for bad in [
            "0",
            "1",
            "100001",
            "18446744073709551615",
            "99999999999999999999999999",
            "-3",
            "1e3",
            "",
        ] {
            assert!(grid_points(bad).is_err(), "{bad}");
        }
    }
}

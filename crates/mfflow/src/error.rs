//! The one error type of the crate: every failure says what was wrong with which input.

use std::fmt;

/// What went wrong, with enough detail to name the offending input.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A matrix that must be square is not.
    NotSquare {
        /// Which matrix.
        what: &'static str,
        /// Its rows.
        rows: usize,
        /// Its columns.
        cols: usize,
    },
    /// Two inputs disagree on a dimension.
    DimensionMismatch {
        /// Which input.
        what: &'static str,
        /// The size that was expected.
        expected: usize,
        /// The size that was found.
        found: usize,
    },
    /// The target is not symmetric beyond the tolerance.
    NotSymmetric {
        /// Largest |y_ij − y_ji|.
        asymmetry: f64,
        /// The tolerance it exceeded.
        tolerance: f64,
    },
    /// An input holds a NaN or an infinity.
    NonFinite {
        /// Which input.
        what: &'static str,
    },
    /// The initialization scale must be a finite positive number.
    AlphaNotPositive(f64),
    /// Times must be finite and non-negative.
    BadTime(f64),
    /// A parameter is out of its range (for example a step size or a tolerance).
    BadParameter {
        /// Which parameter.
        what: &'static str,
        /// Why it is rejected.
        why: String,
    },
    /// A factorization failed where the theory says it cannot (reported, never hidden).
    Numerical(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotSquare { what, rows, cols } => {
                write!(f, "{what} must be square, but it is {rows}x{cols}")
            }
            Error::DimensionMismatch {
                what,
                expected,
                found,
            } => write!(f, "{what} has size {found}, expected {expected}"),
            Error::NotSymmetric {
                asymmetry,
                tolerance,
            } => write!(
                f,
                "the target is not symmetric: max |y_ij - y_ji| = {asymmetry:e} exceeds {tolerance:e}"
            ),
            Error::NonFinite { what } => write!(f, "{what} contains NaN or infinity"),
            Error::AlphaNotPositive(a) => write!(f, "alpha must be finite and > 0, got {a}"),
            Error::BadTime(t) => write!(f, "times must be finite and >= 0, got {t}"),
            Error::BadParameter { what, why } => write!(f, "{what}: {why}"),
            Error::Numerical(why) => write!(f, "numerical failure: {why}"),
        }
    }
}

impl std::error::Error for Error {}

/// Checks that every entry of `m` is finite.
pub(crate) fn check_finite(m: faer::MatRef<'_, f64>, what: &'static str) -> Result<(), Error> {
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            if !m[(i, j)].is_finite() {
                return Err(Error::NonFinite { what });
            }
        }
    }
    Ok(())
}

/// Checks that every time is finite and ≥ 0.
pub(crate) fn check_times(times: &[f64]) -> Result<(), Error> {
    match times.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
        Some(&bad) => Err(Error::BadTime(bad)),
        None => Ok(()),
    }
}

//! Typed experiment configs: `#[serde(deny_unknown_fields)]` structs read from TOML, then
//! checked by [`Validate`]. Errors name the file, the line and the key.

use crate::{LabError, Result};
use serde::de::DeserializeOwned;
use std::path::Path;

/// Range and consistency checks beyond what the types say. Return `Err("key: problem")`.
pub trait Validate {
    /// Checks the values; the message names the key.
    fn validate(&self) -> std::result::Result<(), String>;
}

/// Reads and checks a config; returns it with its source text (recorded in the manifest).
pub fn load<T: DeserializeOwned + Validate>(path: &Path) -> Result<(T, String)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| LabError(format!("{}: cannot read: {e}", path.display())))?;
    let value = parse::<T>(&text).map_err(|m| LabError(format!("{}: {m}", path.display())))?;
    Ok((value, text))
}

/// Parses and checks config text.
pub fn parse<T: DeserializeOwned + Validate>(text: &str) -> std::result::Result<T, String> {
    let value: T = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().replace('\n', " ");
        match e.span() {
            Some(span) => {
                let line = text[..span.start].matches('\n').count() + 1;
                format!("line {line}: {message}")
            }
            None => message,
        }
    })?;
    value.validate()?;
    Ok(value)
}

/// Checks that every value is finite and > 0.
pub fn positive(key: &str, values: &[f64]) -> std::result::Result<(), String> {
    match values.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
        Some(bad) => Err(format!(
            "{key}: every value must be finite and > 0, got {bad}"
        )),
        None if values.is_empty() => Err(format!("{key}: must not be empty")),
        None => Ok(()),
    }
}

/// The initialization scales every experiment accepts: the closed form is exact from `1e-300`
/// to `10` (README), and smaller positive values (down to the subnormal `5e-324`) make
/// `log(1/alpha)` and the time horizons built from it lose all precision.
pub const ALPHA_RANGE: (f64, f64) = (1e-300, 10.0);

/// The most points any time grid, sample or table of a run may have: enough for every report,
/// small enough that a typo (`time_points = 1e8`) is refused instead of running for hours.
pub const MAX_POINTS: usize = 100_000;

/// Checks that every alpha is finite and within [`ALPHA_RANGE`].
pub fn alphas(key: &str, values: &[f64]) -> std::result::Result<(), String> {
    positive(key, values)?;
    let (lo, hi) = ALPHA_RANGE;
    match values.iter().find(|a| !(lo..=hi).contains(*a)) {
        Some(bad) => Err(format!(
            "{key}: every alpha must be in [{lo:e}, {hi}] (the range the closed form is exact on), got {bad:e}"
        )),
        None => Ok(()),
    }
}

/// Checks that a count is in `min..=max`.
pub fn count(key: &str, value: usize, min: usize, max: usize) -> std::result::Result<(), String> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(format!("{key}: must be in {min}..={max}, got {value}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Demo {
        alphas: Vec<f64>,
        points: usize,
    }

    impl Validate for Demo {
        fn validate(&self) -> std::result::Result<(), String> {
            positive("alphas", &self.alphas)?;
            if self.points < 2 {
                return Err(format!("points: must be >= 2, got {}", self.points));
            }
            Ok(())
        }
    }

    #[test]
    fn errors_name_the_key() {
        let ok: Demo = parse("alphas = [1e-3]\npoints = 5\n").unwrap();
        assert_eq!(ok.points, 5);
        let unknown = parse::<Demo>("alphas = [1e-3]\npoints = 5\nbeta = 1\n").unwrap_err();
        assert!(
            unknown.contains("line 3") && unknown.contains("beta"),
            "{unknown}"
        );
        let missing = parse::<Demo>("alphas = [1e-3]\n").unwrap_err();
        assert!(missing.contains("points"), "{missing}");
        let wrong = parse::<Demo>("alphas = [1e-3]\npoints = \"x\"\n").unwrap_err();
        assert!(wrong.contains("line 2"), "{wrong}");
        let invalid = parse::<Demo>("alphas = [-1.0]\npoints = 5\n").unwrap_err();
        assert!(invalid.starts_with("alphas:"), "{invalid}");
        let small = parse::<Demo>("alphas = [1.0]\npoints = 1\n").unwrap_err();
        assert!(small.starts_with("points:"), "{small}");
    }

    #[test]
    fn limits_are_stated_and_enforced() {
        assert!(alphas("alpha", &[1e-300, 1e-6, 10.0]).is_ok());
        for bad in [
            5e-324,
            1e-320,
            1e-301,
            10.5,
            1e308,
            0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
        ] {
            let e = alphas("alpha", &[1e-3, bad]).unwrap_err();
            assert!(e.starts_with("alpha:"), "{bad}: {e}");
        }
        let e = alphas("alpha", &[5e-324]).unwrap_err();
        assert!(e.contains("1e-300") && e.contains("5e-324"), "{e}");
        assert!(count("time_points", 100_000, 2, MAX_POINTS).is_ok());
        let e = count("time_points", 100_000_000, 2, MAX_POINTS).unwrap_err();
        assert_eq!(e, "time_points: must be in 2..=100000, got 100000000");
        assert!(count("time_points", 1, 2, MAX_POINTS).is_err());
    }
}

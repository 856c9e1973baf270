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
}

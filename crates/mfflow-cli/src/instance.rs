//! The instance file: exactly the keys `alpha`, `y`, `u0`, `times`, each checked with an error
//! that names the key and the problem.

use mfflow::{Init, Mat, Target};
use toml::Value;

/// A validated instance.
pub struct Instance {
    /// The target.
    pub target: Target,
    /// The initialization.
    pub init: Init,
    /// The output times, as given.
    pub times: Vec<f64>,
}

const KEYS: [&str; 4] = ["alpha", "y", "u0", "times"];

/// The text of an instance file, or where it stops being UTF-8.
pub fn decode(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        let (line, column) = line_column(std::str::from_utf8(valid).unwrap_or_default());
        format!(
            "not valid UTF-8 at line {line}, column {column} (byte {}): an instance file must be UTF-8 text",
            e.valid_up_to()
        )
    })
}

/// The 1-based line and column (in characters) just after `prefix`.
fn line_column(prefix: &str) -> (usize, usize) {
    let line = prefix.matches('\n').count() + 1;
    let column = prefix.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// `not valid TOML (line L, column C): reason`; the reason is never empty.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().replace('\n', " ");
    let message = if message.is_empty() {
        "the parser gave no reason; check this line for a missing value, quote or bracket"
            .to_string()
    } else {
        message
    };
    match e.span() {
        Some(span) => {
            let start = span.start.min(text.len());
            let prefix = text.get(..start).unwrap_or(text);
            let (line, column) = line_column(prefix);
            format!("not valid TOML (line {line}, column {column}): {message}")
        }
        None => format!("not valid TOML: {message}"),
    }
}

/// Parses and validates the text of an instance file. Errors are one line, naming the key.
pub fn parse(text: &str) -> Result<Instance, String> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| toml_error(text, &e))?;
    if let Some(key) = table.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!(
            "unknown key `{key}` (an instance has exactly: alpha, y, u0, times)"
        ));
    }
    let get = |key: &str| table.get(key).ok_or_else(|| format!("missing key `{key}`"));
    let alpha = number(get("alpha")?, "alpha")?;
    if alpha <= 0.0 {
        return Err(format!("alpha: must be > 0, got {alpha}"));
    }
    let y = matrix(get("y")?, "y", None)?;
    let n = y.nrows();
    if y.ncols() != n {
        return Err(format!(
            "y: must be square, but its rows have {} entries and there are {n} rows",
            y.ncols()
        ));
    }
    let u0 = matrix(get("u0")?, "u0", Some(n))?;
    let times = array(get("times")?, "times")?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let t = number(v, &format!("times[{i}]"))?;
            if t < 0.0 {
                Err(format!("times[{i}]: must be >= 0, got {t}"))
            } else {
                Ok(t)
            }
        })
        .collect::<Result<Vec<f64>, String>>()?;
    if times.is_empty() {
        return Err("times: must hold at least one time".into());
    }
    let target = Target::new(y.as_ref()).map_err(|e| format!("y: {e}"))?;
    // Init errors already name their key (u0 or alpha).
    let init = Init::new(alpha, u0.as_ref()).map_err(|e| e.to_string())?;
    Ok(Instance {
        target,
        init,
        times,
    })
}

fn number(v: &Value, key: &str) -> Result<f64, String> {
    let x = match v {
        Value::Float(f) => *f,
        Value::Integer(i) => *i as f64,
        other => {
            return Err(format!(
                "{key}: expected a number, got {}",
                other.type_str()
            ));
        }
    };
    if x.is_finite() {
        Ok(x)
    } else {
        Err(format!("{key}: must be finite, got {x}"))
    }
}

fn array<'a>(v: &'a Value, key: &str) -> Result<&'a Vec<Value>, String> {
    v.as_array()
        .ok_or_else(|| format!("{key}: expected an array, got {}", v.type_str()))
}

/// An array of equally long rows of numbers; `rows` fixes the number of rows if given.
fn matrix(v: &Value, key: &str, rows: Option<usize>) -> Result<Mat<f64>, String> {
    let outer = array(v, key)?;
    if outer.is_empty() {
        return Err(format!("{key}: must have at least one row"));
    }
    if let Some(n) = rows {
        if outer.len() != n {
            return Err(format!(
                "{key}: has {} rows, expected {n} (the size of y)",
                outer.len()
            ));
        }
    }
    let mut data: Vec<Vec<f64>> = Vec::with_capacity(outer.len());
    for (i, row) in outer.iter().enumerate() {
        let row = row.as_array().ok_or_else(|| {
            format!(
                "{key}[{i}]: expected a row (array of numbers), got {}",
                row.type_str()
            )
        })?;
        let values = row
            .iter()
            .enumerate()
            .map(|(j, x)| number(x, &format!("{key}[{i}][{j}]")))
            .collect::<Result<Vec<f64>, String>>()?;
        if let Some(first) = data.first() {
            if values.len() != first.len() {
                return Err(format!(
                    "{key}: row {i} has {} entries but row 0 has {} (ragged matrix)",
                    values.len(),
                    first.len()
                ));
            }
        } else if values.is_empty() {
            return Err(format!("{key}: rows must not be empty"));
        }
        data.push(values);
    }
    Ok(Mat::from_fn(data.len(), data[0].len(), |i, j| data[i][j]))
}

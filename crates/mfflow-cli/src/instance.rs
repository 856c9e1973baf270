//! The instance file: exactly the keys `alpha`, `y`, `u0`, `times` (TOML, or NumPy's `.npz` for
//! large instances), each checked with an error that names the key and the problem.

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
    let y = matrix(get("y")?, "y")?;
    let u0 = matrix(get("u0")?, "u0")?;
    let times = array(get("times")?, "times")?
        .iter()
        .enumerate()
        .map(|(i, v)| number_at(v, || format!("times[{i}]")))
        .collect::<Result<Vec<f64>, String>>()?;
    validate(alpha, y, u0, times)
}

/// The checks every instance passes, whatever its file format; errors name the key.
fn validate(alpha: f64, y: Mat<f64>, u0: Mat<f64>, times: Vec<f64>) -> Result<Instance, String> {
    if alpha <= 0.0 {
        return Err(format!("alpha: must be > 0, got {alpha}"));
    }
    let n = y.nrows();
    if y.ncols() != n {
        return Err(format!(
            "y: must be square, but its rows have {} entries and there are {n} rows",
            y.ncols()
        ));
    }
    if u0.nrows() != n {
        return Err(format!(
            "u0: has {} rows, expected {n} (the size of y)",
            u0.nrows()
        ));
    }
    if let Some((i, t)) = times.iter().enumerate().find(|(_, t)| **t < 0.0) {
        return Err(format!("times[{i}]: must be >= 0, got {t}"));
    }
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

/// Parses and validates an instance given as NumPy's `.npz` (`numpy.savez(FILE, alpha=..., y=...,
/// u0=..., times=...)`: float64 arrays of shapes (), (n, n), (n, r), (T); C or Fortran order;
/// uncompressed, as `numpy.savez` writes): for large instances, where TOML text is slow to
/// parse. The same checks as the TOML form, naming the array.
pub fn parse_npz(bytes: &[u8]) -> Result<Instance, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a valid .npz (zip) archive: {e}"))?;
    let mut arrays: Vec<(String, Vec<u64>, Vec<f64>)> = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| {
            format!("entry {i} of the .npz: {e} (write it with numpy.savez, not savez_compressed)")
        })?;
        let name = entry.name().unwrap_or_default().to_string();
        let key = name.strip_suffix(".npy").unwrap_or(&name).to_string();
        if !KEYS.contains(&key.as_str()) {
            return Err(format!(
                "unknown array `{key}` (an instance has exactly: alpha, y, u0, times)"
            ));
        }
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data)
            .map_err(|e| {
                format!("{key}: cannot read from the .npz: {e} (write it with numpy.savez: compressed archives are not read)")
            })?;
        let npy =
            npyz::NpyFile::new(&data[..]).map_err(|e| format!("{key}: not a .npy array: {e}"))?;
        let shape = npy.shape().to_vec();
        let fortran = matches!(npy.order(), npyz::Order::Fortran);
        let dtype = npy.dtype();
        let values: Vec<f64> = npy.into_vec::<f64>().map_err(|_| {
            format!(
                "{key}: expected float64 entries, got dtype {}",
                dtype.descr()
            )
        })?;
        let values = if fortran && shape.len() == 2 {
            let (r, c) = (shape[0] as usize, shape[1] as usize);
            (0..r * c).map(|k| values[(k % c) * r + k / c]).collect()
        } else {
            values
        };
        if let Some(k) = values.iter().position(|x| !x.is_finite()) {
            return Err(format!(
                "{key}: entry {k} must be finite, got {}",
                values[k]
            ));
        }
        arrays.push((key, shape, values));
    }
    let mut take = |key: &str, dims: usize| -> Result<(Vec<u64>, Vec<f64>), String> {
        let k = arrays
            .iter()
            .position(|(name, _, _)| name == key)
            .ok_or_else(|| format!("missing array `{key}`"))?;
        let (_, shape, values) = arrays.swap_remove(k);
        if shape.len() != dims {
            return Err(format!(
                "{key}: expected {dims} dimension(s), got shape {shape:?}"
            ));
        }
        Ok((shape, values))
    };
    let (_, alpha) = take("alpha", 0)?;
    let (y_shape, y) = take("y", 2)?;
    let (u_shape, u0) = take("u0", 2)?;
    let (_, times) = take("times", 1)?;
    let mat = |shape: &[u64], v: &[f64]| {
        let c = shape[1] as usize;
        Mat::from_fn(shape[0] as usize, c, |i, j| v[i * c + j])
    };
    if y_shape.contains(&0) || u_shape.contains(&0) {
        return Err("y and u0 must have at least one row and column".into());
    }
    validate(alpha[0], mat(&y_shape, &y), mat(&u_shape, &u0), times)
}

fn number(v: &Value, key: &str) -> Result<f64, String> {
    number_at(v, || key.to_string())
}

/// [`number`] with the key built only for the error message (matrices hold up to millions of
/// entries: formatting `y[i][j]` for each one took a noticeable share of the parse).
fn number_at(v: &Value, key: impl Fn() -> String) -> Result<f64, String> {
    let x = match v {
        Value::Float(f) => *f,
        Value::Integer(i) => *i as f64,
        other => {
            return Err(format!(
                "{}: expected a number, got {}",
                key(),
                other.type_str()
            ));
        }
    };
    if x.is_finite() {
        Ok(x)
    } else {
        Err(format!("{}: must be finite, got {x}", key()))
    }
}

fn array<'a>(v: &'a Value, key: &str) -> Result<&'a Vec<Value>, String> {
    v.as_array()
        .ok_or_else(|| format!("{key}: expected an array, got {}", v.type_str()))
}

/// An array of equally long rows of numbers (row counts are checked in [`validate`]).
fn matrix(v: &Value, key: &str) -> Result<Mat<f64>, String> {
    let outer = array(v, key)?;
    if outer.is_empty() {
        return Err(format!("{key}: must have at least one row"));
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
            .map(|(j, x)| number_at(x, || format!("{key}[{i}][{j}]")))
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

//! How the core's result types are saved in a part's data file (`data/<part>.json`, see
//! [`crate::run`]): serde definitions mirroring `mfflow`'s public types, used as
//! `#[serde(with = "mfflow_lab::saved::verdict")]` on a data field, so the core itself needs
//! no serialization code. A field added to one of these core types fails to compile here
//! until it is mirrored (serde's remote derive lists every field).

use mfflow::theorems::{Interval, Verdict};
use mfflow::Form;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `mfflow::theorems::Interval`.
#[derive(Serialize, Deserialize)]
#[serde(remote = "Interval")]
pub struct IntervalDef {
    k: usize,
    start: f64,
    end: Option<f64>,
}

/// `mfflow::theorems::Verdict`.
#[derive(Serialize, Deserialize)]
#[serde(remote = "Verdict")]
pub struct VerdictDef {
    applies: bool,
    reason: Option<String>,
    c_eps: Option<f64>,
    big_c_eps: Option<f64>,
    m: Option<f64>,
    alpha_bound: Option<f64>,
    alpha_ok: Option<bool>,
    separation_ok: Option<bool>,
    #[serde(with = "intervals")]
    intervals: Vec<Interval>,
    max_error: Vec<Option<f64>>,
}

/// `mfflow::Form`.
#[derive(Serialize, Deserialize)]
#[serde(remote = "Form")]
pub enum FormDef {
    /// See `mfflow::Form::Auto`.
    Auto,
    /// See `mfflow::Form::Inverse`.
    Inverse,
    /// See `mfflow::Form::Factor`.
    Factor,
}

/// `#[serde(with = "mfflow_lab::saved::verdict")]` for a `Verdict` field.
pub mod verdict {
    use super::*;

    /// Serializes through the mirror.
    pub fn serialize<S: Serializer>(v: &Verdict, s: S) -> Result<S::Ok, S::Error> {
        VerdictDef::serialize(v, s)
    }

    /// Reads back through the mirror.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Verdict, D::Error> {
        VerdictDef::deserialize(d)
    }
}

/// `#[serde(with = "mfflow_lab::saved::form")]` for a `Form` field.
pub mod form {
    use super::*;

    /// Serializes through the mirror.
    pub fn serialize<S: Serializer>(v: &Form, s: S) -> Result<S::Ok, S::Error> {
        FormDef::serialize(v, s)
    }

    /// Reads back through the mirror.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Form, D::Error> {
        FormDef::deserialize(d)
    }
}

/// `#[serde(with = "mfflow_lab::saved::intervals")]` for a `Vec<Interval>` field.
pub mod intervals {
    use super::*;

    #[derive(Serialize)]
    struct Out<'a>(#[serde(with = "IntervalDef")] &'a Interval);
    #[derive(Deserialize)]
    struct In(#[serde(with = "IntervalDef")] Interval);

    /// Serializes the intervals as a list.
    pub fn serialize<S: Serializer>(v: &[Interval], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(Out))
    }

    /// Reads the list back.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Interval>, D::Error> {
        Ok(Vec::<In>::deserialize(d)?
            .into_iter()
            .map(|i| i.0)
            .collect())
    }
}

/// `#[serde(with = "mfflow_lab::saved::bits")]` for a `Vec<bool>` field: saved as a string
/// of `0` and `1` (a Monte Carlo's per-draw outcomes take a sixth of the space of `true`/`false`).
pub mod bits {
    use super::*;

    /// Serializes `[true, false]` as `"10"`.
    pub fn serialize<S: Serializer>(v: &[bool], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(
            &v.iter()
                .map(|&b| if b { '1' } else { '0' })
                .collect::<String>(),
        )
    }

    /// Reads the string back; any character but `0` or `1` is an error.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<bool>, D::Error> {
        String::deserialize(d)?
            .chars()
            .map(|c| match c {
                '0' => Ok(false),
                '1' => Ok(true),
                other => Err(serde::de::Error::custom(format!(
                    "expected 0 or 1 in a bit string, got {other:?}"
                ))),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_survives_its_data_file() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Row {
            #[serde(with = "verdict")]
            v: Verdict,
            #[serde(with = "form")]
            f: Form,
            #[serde(with = "bits")]
            b: Vec<bool>,
        }
        let row = Row {
            v: Verdict {
                applies: false,
                reason: Some("alpha too large".into()),
                c_eps: Some(1e-3),
                big_c_eps: None,
                m: Some(2.5),
                alpha_bound: Some(4e-4),
                alpha_ok: Some(false),
                separation_ok: None,
                intervals: vec![
                    Interval {
                        k: 1,
                        start: 0.5,
                        end: Some(0.25),
                    },
                    Interval {
                        k: 2,
                        start: 3.0,
                        end: None,
                    },
                ],
                max_error: vec![None, Some(0.1 + 0.2)],
            },
            f: Form::Factor,
            b: vec![true, false, false, true],
        };
        let text = serde_json::to_string(&row).unwrap();
        assert!(text.contains("\"b\":\"1001\""), "{text}");
        assert_eq!(serde_json::from_str::<Row>(&text).unwrap(), row);
        let bad = text.replace("1001", "10x1");
        assert!(serde_json::from_str::<Row>(&bad).is_err());
    }
}

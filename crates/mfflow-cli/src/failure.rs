//! How `mfflow` fails: one line on stderr and a documented exit code.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | numerical failure (a factorization or the integrator failed), or the output could not be written (disk full, I/O error) |
//! | 2 | bad input: the command line, the instance file, or an `--out` path that is refused |
//!
//! Messages quote file contents and paths, so every message goes through [`one_line`] before it
//! is printed: control characters and bidirectional-text marks are escaped and the message is
//! always exactly one line.

/// Exit code of a numerical (or output I/O) failure.
pub const NUMERICAL: u8 = 1;
/// Exit code of bad input.
pub const BAD_INPUT: u8 = 2;

/// A failure: the message (not yet escaped) and the exit code.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong, naming the input.
    pub message: String,
    /// [`NUMERICAL`] or [`BAD_INPUT`].
    pub code: u8,
}

/// A failure caused by the input (exit code 2).
pub fn bad(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: BAD_INPUT,
    }
}

/// A numerical or output failure (exit code 1).
pub fn failed(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: NUMERICAL,
    }
}

/// The exit code of a library error: 2 when the input is at fault (the user can change it), 1
/// otherwise.
///
/// This is the one place where library errors meet exit codes. Variants are listed by name
/// when they mean bad input; everything else, including variants added to `mfflow::Error`
/// later, counts as a numerical failure until it is listed here.
pub fn exit_code(e: &mfflow::Error) -> u8 {
    use mfflow::Error;
    match e {
        Error::NotSquare { .. }
        | Error::DimensionMismatch { .. }
        | Error::NotSymmetric { .. }
        | Error::NonFinite { .. }
        | Error::AlphaNotPositive(_)
        | Error::BadTime(_)
        | Error::BadParameter { .. } => BAD_INPUT,
        // `Error::Numerical` and anything not listed above.
        _ => NUMERICAL,
    }
}

impl From<mfflow::Error> for Failure {
    fn from(e: mfflow::Error) -> Self {
        Failure {
            code: exit_code(&e),
            message: e.to_string(),
        }
    }
}

/// Whether `c` must not reach a terminal raw: control characters (newlines, escape sequences)
/// and the invisible formatting characters that reorder or hide text (bidirectional marks,
/// embeddings, overrides and isolates, zero-width characters, line/paragraph separators, BOM).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// `s` on one line with control characters and bidi marks escaped (`\n`, `\t`, `\r`,
/// otherwise `\u{…}`), so that a key or value quoted from a file cannot break the line,
/// recolour the terminal or reorder the text around it.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_marks() {
        let raw = "a\nb\u{1b}[31mRED\u{202E}x\u{2066}y\r\tz\u{7f}";
        let s = one_line(raw);
        assert_eq!(s, "a\\nb\\u{1b}[31mRED\\u{202e}x\\u{2066}y\\r\\tz\\u{7f}");
        assert!(s.chars().all(|c| !needs_escape(c)));
        // Ordinary text, including non-ASCII letters and symbols, is kept.
        assert_eq!(one_line("‖W − Ŷ‖ für α"), "‖W − Ŷ‖ für α");
    }

    #[test]
    fn library_errors_map_to_documented_codes() {
        use mfflow::Error;
        let bad_input = [
            Error::NotSquare {
                what: "y",
                rows: 1,
                cols: 2,
            },
            Error::DimensionMismatch {
                what: "u0",
                expected: 2,
                found: 3,
            },
            Error::NotSymmetric {
                asymmetry: 1.0,
                tolerance: 0.0,
            },
            Error::NonFinite { what: "y" },
            Error::AlphaNotPositive(0.0),
            Error::BadTime(-1.0),
            Error::BadParameter {
                what: "eta",
                why: "too big".into(),
            },
        ];
        for e in &bad_input {
            assert_eq!(exit_code(e), BAD_INPUT, "{e}");
        }
        assert_eq!(exit_code(&Error::Numerical("x".into())), NUMERICAL);
        let f: Failure = Error::BadTime(-1.0).into();
        assert_eq!(f.code, BAD_INPUT);
    }
}

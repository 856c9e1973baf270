//! The literate report: an experiment's `report.md`, written beside its code, holds the prose
//! (question, setup, what to look for, what was found) with placeholders the run fills from the
//! data, and claims the run checks against the data.
//!
//! Template syntax:
//!
//! - `{{key}}`: replaced by the value set with [`Report::set`] (a number, a table, a figure, a
//!   sentence computed from the data).
//! - `{{if key}}sentence{{end}}`: a *claim*. It renders only if the check `key`, computed from
//!   the data with [`Report::check`], holds; if it does not, rendering fails with the sentence
//!   and the evidence the check recorded, so a false claim can never reach a report.
//! - `{{if key}}sentence{{else}}other sentence{{end}}`: the template states both outcomes and
//!   the data pick one.
//!
//! Rendering also fails if a placeholder or claim has no value or check, if a value or check is
//! never used, or if the prose contains a *result-like bare number* (see [`lint`]): a decimal
//! or scientific number, a percentage, a numeric range or an approximate count ("about 4",
//! "ten-odd") written outside a placeholder. Constants of the setup and formulas go in
//! backticks (`` `rtol = 1e-12` ``, `` `16 M^3` ``); results come from the data.

use crate::plot::LinePlot;
use crate::{lab_err, Result};
use std::collections::{BTreeMap, BTreeSet};

/// Where a report writes its figure files. The run's staged outputs implement it (in
/// [`crate::run`]), so the report does not depend on the output module.
pub trait FileSink {
    /// Writes `bytes` to the file `rel` of the run.
    fn write_file(&self, rel: &str, bytes: &[u8]) -> Result<()>;
}

/// A claim's check: whether it holds on this run's data, and the values it was decided on.
#[derive(Debug, Clone)]
struct Check {
    holds: bool,
    evidence: String,
}

/// A report template and the values and checks filled in so far.
#[derive(Debug, Clone)]
pub struct Report {
    template: String,
    values: BTreeMap<String, String>,
    checks: BTreeMap<String, Check>,
}

/// A parsed template: text, placeholders and claims (possibly nested).
#[derive(Debug)]
enum Node<'a> {
    Text(&'a str),
    Value(&'a str),
    Claim {
        key: &'a str,
        then: Vec<Node<'a>>,
        otherwise: Option<Vec<Node<'a>>>,
        source: &'a str,
    },
}

impl Report {
    /// A report from its template text.
    pub fn new(template: &str) -> Self {
        Self {
            template: template.to_string(),
            values: BTreeMap::new(),
            checks: BTreeMap::new(),
        }
    }

    /// Fills `{{key}}` with text (a value, a sentence computed from the data, …).
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.values.insert(key.to_string(), value.into());
    }

    /// Decides the claim `{{if key}}…{{end}}`: `holds` is computed from the data, `evidence`
    /// names the values it was decided on (shown in the error when a claim without an
    /// alternative fails).
    pub fn check(&mut self, key: &str, holds: bool, evidence: impl Into<String>) {
        self.checks.insert(
            key.to_string(),
            Check {
                holds,
                evidence: evidence.into(),
            },
        );
    }

    /// Writes `plot` as `<key>.svg` and fills `{{key}}` with the image and its caption.
    pub fn figure(
        &mut self,
        out: &impl FileSink,
        key: &str,
        plot: &LinePlot,
        caption: &str,
    ) -> Result<()> {
        let text = figure_markdown(out, key, plot, caption)?;
        self.set(key, text);
        Ok(())
    }

    /// Fills `{{key}}` with a Markdown table. A `|` inside a cell (a norm, `|x|`) is escaped so
    /// that it does not split the cell.
    pub fn table(&mut self, key: &str, header: &[&str], rows: &[Vec<String>]) {
        let cells = |row: &mut dyn Iterator<Item = &str>| {
            row.map(|c| c.replace('|', "\\|"))
                .collect::<Vec<_>>()
                .join(" | ")
        };
        let mut text = format!(
            "| {} |\n|{}|\n",
            cells(&mut header.iter().copied()),
            vec!["---"; header.len()].join("|")
        );
        for row in rows {
            text.push_str(&format!(
                "| {} |\n",
                cells(&mut row.iter().map(String::as_str))
            ));
        }
        self.set(key, text.trim_end().to_string());
    }

    /// The filled report. Errors on a bare result-like number in the prose, a placeholder
    /// without a value, a claim without a check, a failed claim without an alternative, and a
    /// value or check never used.
    pub fn render(&self) -> Result<String> {
        lint(&self.template)?;
        let nodes = parse(&self.template)?;
        let mut out = String::with_capacity(self.template.len());
        let mut used = BTreeSet::new();
        self.render_nodes(&nodes, &mut out, &mut used)?;
        let unused = self
            .values
            .keys()
            .chain(self.checks.keys())
            .find(|k| !used.contains(k.as_str()));
        if let Some(unused) = unused {
            return Err(lab_err!(
                "report.md: `{unused}` is computed but never shown (no `{{{{{unused}}}}}` or `{{{{if {unused}}}}}`)"
            ));
        }
        Ok(out)
    }

    fn render_nodes<'a>(
        &self,
        nodes: &[Node<'a>],
        out: &mut String,
        used: &mut BTreeSet<&'a str>,
    ) -> Result<()> {
        for node in nodes {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Value(key) => {
                    let value = self.values.get(*key).ok_or_else(|| {
                        lab_err!("report.md: placeholder `{{{{{key}}}}}` has no value")
                    })?;
                    out.push_str(value);
                    used.insert(key);
                }
                Node::Claim {
                    key,
                    then,
                    otherwise,
                    source,
                } => {
                    let check = self.checks.get(*key).ok_or_else(|| {
                        lab_err!("report.md: claim `{{{{if {key}}}}}` has no check")
                    })?;
                    used.insert(key);
                    // Values named only in the branch not taken still count as shown: the
                    // template states them for the other outcome.
                    mark_used(then, used);
                    if let Some(other) = otherwise {
                        mark_used(other, used);
                    }
                    match (check.holds, otherwise) {
                        (true, _) => self.render_nodes(then, out, used)?,
                        (false, Some(other)) => self.render_nodes(other, out, used)?,
                        (false, None) => {
                            return Err(lab_err!(
                            "report.md: the claim `{key}` is false on this run's data ({}): \"{}\"",
                            check.evidence,
                            one_line(source)
                        ))
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn mark_used<'a>(nodes: &[Node<'a>], used: &mut BTreeSet<&'a str>) {
    for node in nodes {
        match node {
            Node::Text(_) => {}
            Node::Value(key) => {
                used.insert(key);
            }
            Node::Claim {
                key,
                then,
                otherwise,
                ..
            } => {
                used.insert(key);
                mark_used(then, used);
                if let Some(other) = otherwise {
                    mark_used(other, used);
                }
            }
        }
    }
}

fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() > 240 {
        format!("{}…", joined.chars().take(240).collect::<String>())
    } else {
        joined
    }
}

/// One directive of the template: `{{key}}`, `{{if key}}`, `{{else}}` or `{{end}}`.
enum Tag<'a> {
    Value(&'a str),
    If(&'a str),
    Else,
    End,
}

fn next_tag(rest: &str) -> Result<Option<(usize, Tag<'_>, usize)>> {
    let Some(start) = rest.find("{{") else {
        return Ok(None);
    };
    let after = &rest[start + 2..];
    let len = after.find("}}").ok_or_else(|| {
        lab_err!(
            "report.md: unclosed `{{{{` near `{}`",
            &after[..after.len().min(30)]
        )
    })?;
    let inner = after[..len].trim();
    let tag = match inner.split_once(char::is_whitespace) {
        Some(("if", key)) => Tag::If(key.trim()),
        _ if inner == "else" => Tag::Else,
        _ if inner == "end" => Tag::End,
        _ => Tag::Value(inner),
    };
    Ok(Some((start, tag, start + 2 + len + 2)))
}

fn parse(template: &str) -> Result<Vec<Node<'_>>> {
    let (nodes, rest, closing) = parse_block(template)?;
    match closing {
        None => Ok(nodes),
        Some(word) => Err(lab_err!(
            "report.md: `{{{{{word}}}}}` without an opening `{{{{if …}}}}` near `{}`",
            one_line(&rest[..rest.len().min(60)])
        )),
    }
}

/// Parses until `{{else}}`/`{{end}}` (returned as the closing word) or the end of the text.
fn parse_block(mut rest: &str) -> Result<(Vec<Node<'_>>, &str, Option<&'static str>)> {
    let mut nodes = Vec::new();
    while let Some((start, tag, end)) = next_tag(rest)? {
        if start > 0 {
            nodes.push(Node::Text(&rest[..start]));
        }
        let after = &rest[end..];
        match tag {
            Tag::Value(key) => {
                nodes.push(Node::Value(key));
                rest = after;
            }
            Tag::Else => return Ok((nodes, after, Some("else"))),
            Tag::End => return Ok((nodes, after, Some("end"))),
            Tag::If(key) => {
                let (then, after_then, close) = parse_block(after)?;
                let (otherwise, after_all) = match close {
                    Some("end") => (None, after_then),
                    Some(_) => {
                        let (other, after_other, close2) = parse_block(after_then)?;
                        if close2 != Some("end") {
                            return Err(lab_err!(
                                "report.md: `{{{{if {key}}}}}` has no `{{{{end}}}}`"
                            ));
                        }
                        (Some(other), after_other)
                    }
                    None => {
                        return Err(lab_err!(
                            "report.md: `{{{{if {key}}}}}` has no `{{{{end}}}}`"
                        ))
                    }
                };
                let source = &after[..after.len() - after_all.len()];
                nodes.push(Node::Claim {
                    key,
                    then,
                    otherwise,
                    source,
                });
                rest = after_all;
            }
        }
    }
    if !rest.is_empty() {
        nodes.push(Node::Text(rest));
    }
    Ok((nodes, "", None))
}

/// Refuses a template whose prose states a result as a bare number.
///
/// Outside `{{…}}` directives and outside backticks (reserved for formulas and constants of
/// the setup), a *result-like* number is an error: a number with a decimal point or an
/// exponent (`0.0304`, `1e-6`), a percentage (`57 %`), a numeric range (`10-50`, `10–50`),
/// an approximate count (`about 4`, `some 10`, `~3`, `roughly 2`, `nearly 8`) or a spelled-out
/// round number of the kind results are quoted in (`ten-odd`, `twenty`, `hundreds`). Plain
/// integers (section numbers, years, `n = 4` written as a constant) are allowed: a result that
/// is an integer still belongs in a placeholder, but this check cannot tell it from a constant.
pub fn lint(template: &str) -> Result<()> {
    let found: Vec<String> = template
        .lines()
        .enumerate()
        .filter_map(|(number, line)| {
            result_like(&prose_of(line))
                .map(|found| format!("line {}: `{found}` in \"{}\"", number + 1, one_line(line)))
        })
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    Err(lab_err!(
        "report.md: result-like bare number(s) outside a placeholder; fill them from the data with a placeholder (or, for a constant of the setup, write it in backticks): {}",
        found.join("; ")
    ))
}

/// The line with `{{…}}` directives and backticked spans blanked out.
fn prose_of(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    let mut in_code = false;
    while !rest.is_empty() {
        if !in_code && rest.starts_with("{{") {
            match rest.find("}}") {
                Some(end) => {
                    out.push(' ');
                    rest = &rest[end + 2..];
                    continue;
                }
                None => break,
            }
        }
        let c = rest.chars().next().expect("non-empty");
        if c == '`' {
            in_code = !in_code;
            out.push(' ');
        } else if !in_code {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The first result-like number in `prose`, if any.
fn result_like(prose: &str) -> Option<String> {
    const APPROX: [&str; 7] = [
        "about",
        "some",
        "roughly",
        "nearly",
        "approximately",
        "around",
        "~",
    ];
    const SPELLED: [&str; 10] = [
        "ten", "twenty", "thirty", "forty", "fifty", "hundred", "hundreds", "thousand", "dozen",
        "ten-odd",
    ];
    let words: Vec<&str> = prose.split_whitespace().collect();
    for (i, raw) in words.iter().enumerate() {
        let word = raw.trim_matches(|c: char| "()[],.;:!?*\"'".contains(c));
        let lower = word.to_lowercase();
        if SPELLED.contains(&lower.as_str()) || lower.ends_with("-odd") {
            return Some(word.to_string());
        }
        let digits = word.trim_start_matches(['~', '≈', '-', '+', '−']);
        if !digits.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let approx = raw.starts_with('~')
            || raw.starts_with('≈')
            || (i > 0 && APPROX.contains(&words[i - 1].to_lowercase().as_str()));
        let decimal = number_has(digits, |rest| {
            rest.starts_with('.') && rest[1..].starts_with(|c: char| c.is_ascii_digit())
        });
        let exponent = number_has(digits, |rest| {
            (rest.starts_with('e') || rest.starts_with('E'))
                && rest[1..]
                    .trim_start_matches(['-', '+'])
                    .starts_with(|c: char| c.is_ascii_digit())
        });
        let percent = digits
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .starts_with('%')
            || words.get(i + 1).is_some_and(|w| w.starts_with('%'));
        let range = number_has(digits, |rest| {
            let r = rest.trim_start_matches(['-', '–', '—']);
            r.len() < rest.len() && r.starts_with(|c: char| c.is_ascii_digit())
        }) || words
            .get(i + 1)
            .is_some_and(|w| ["-", "–", "—", "to"].contains(w) && next_is_number(&words, i + 2));
        if approx || decimal || exponent || percent || range {
            return Some(word.to_string());
        }
    }
    None
}

/// Whether `test` holds on what follows the leading digits of `word`.
fn number_has(word: &str, test: impl Fn(&str) -> bool) -> bool {
    let rest = word.trim_start_matches(|c: char| c.is_ascii_digit());
    test(rest)
}

fn next_is_number(words: &[&str], i: usize) -> bool {
    words
        .get(i)
        .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit()))
}

/// Writes `plot` as `<name>.svg` and returns its Markdown (image and caption), for reports that
/// show a number of figures fixed by the config under one placeholder.
pub fn figure_markdown(
    out: &impl FileSink,
    name: &str,
    plot: &LinePlot,
    caption: &str,
) -> Result<String> {
    let file = format!("{name}.svg");
    out.write_file(&file, plot.to_svg()?.as_bytes())?;
    Ok(format!("![{}]({file})\n\n*{caption}*", plot.title))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_placeholders_and_refuses_gaps() {
        let mut r = Report::new("# T\nalpha* = {{alpha}}; {{ table }}\n");
        r.set("alpha", "1e-6");
        r.table("table", &["a", "b"], &[vec!["1".into(), "2".into()]]);
        assert_eq!(
            r.render().unwrap(),
            "# T\nalpha* = 1e-6; | a | b |\n|---|---|\n| 1 | 2 |\n"
        );
        let mut norms = Report::new("{{t}}");
        norms.table("t", &["||W||_2"], &[vec!["|x|".into()]]);
        assert_eq!(
            norms.render().unwrap(),
            "| \\|\\|W\\|\\|_2 |\n|---|\n| \\|x\\| |"
        );
        r.set("extra", "x");
        assert!(r.render().unwrap_err().0.contains("never shown"));
        let missing = Report::new("{{nothing}}");
        assert!(missing.render().unwrap_err().0.contains("no value"));
    }

    #[test]
    fn a_false_claim_is_refused_naming_the_sentence_and_the_values() {
        let template = "The KS distance is {{ks}}. {{if fits}}The sample is indistinguishable from the law.{{end}}\n";
        let mut r = Report::new(template);
        r.set("ks", "0.0309");
        r.check(
            "fits",
            0.0309 < 0.0304,
            "KS 0.0309 >= critical 0.0304 at n = 4",
        );
        let err = r.render().unwrap_err().0;
        assert!(
            err.contains("`fits` is false")
                && err.contains("KS 0.0309 >= critical 0.0304 at n = 4")
                && err.contains("indistinguishable from the law"),
            "{err}"
        );
        // The same claim with data that support it renders.
        r.check("fits", true, "KS 0.01 < 0.0304");
        assert_eq!(
            r.render().unwrap(),
            "The KS distance is 0.0309. The sample is indistinguishable from the law.\n"
        );
    }

    #[test]
    fn an_unchecked_claim_is_refused() {
        let mut r = Report::new("{{if fits}}It fits.{{end}}");
        assert!(r.render().unwrap_err().0.contains("has no check"));
        // A check nobody states is refused too: a computed verdict must be shown.
        r = Report::new("Plain text.");
        r.check("fits", true, "");
        assert!(r.render().unwrap_err().0.contains("never shown"));
    }

    #[test]
    fn the_data_pick_the_sentence_and_placeholders_work_inside_claims() {
        let template =
            "{{if rejects}}The test rejects at {{where}}.{{else}}No rejection (worst {{worst}}).{{end}} Done.";
        let mut r = Report::new(template);
        r.set("where", "n = 4");
        r.set("worst", "0.02");
        r.check("rejects", true, "");
        assert_eq!(r.render().unwrap(), "The test rejects at n = 4. Done.");
        r.check("rejects", false, "");
        assert_eq!(r.render().unwrap(), "No rejection (worst 0.02). Done.");
        // Nested claims.
        let mut r = Report::new("{{if a}}A{{if b}}B{{else}}b{{end}}{{end}}.");
        r.check("a", true, "");
        r.check("b", false, "");
        assert_eq!(r.render().unwrap(), "Ab.");
        // Malformed blocks are errors, not silently rendered text.
        for bad in ["{{if a}}x", "x{{end}}", "{{if a}}x{{else}}y", "{{else}}"] {
            let mut r = Report::new(bad);
            r.check("a", true, "");
            assert!(r.render().is_err(), "{bad}");
        }
    }

    #[test]
    fn result_like_bare_numbers_are_refused() {
        for bad in [
            "The critical value is 0.0304 here.",
            "M is some 10-50% above the edge.",
            "M is 10–50 above the edge.",
            "M is 57 % above the edge.",
            "learned after 1e-6 units",
            "it is about 4 at r = 4n",
            "The gap is ~3 decades.",
            "the remaining ten-odd decades come from the constants",
            "between 3 to 5 decades",
        ] {
            let err = lint(bad).unwrap_err().0;
            assert!(
                err.contains("line 1:") && err.contains("bare number"),
                "{bad}: {err}"
            );
        }
        // Refused at render time too, even when every placeholder is filled.
        let mut r = Report::new("x = {{x}}, about 12 decades.");
        r.set("x", "1");
        assert!(r.render().unwrap_err().0.contains("bare number"));
        for good in [
            "## 3. Theorem 3 and Edelman (1988), n = 4 in {{sizes}}",
            "the value {{ks}} against `1.358 / sqrt(N)` and `alpha <= eps / (16 M^3)`",
            "{{if fits}}within {{range}} of it{{end}}",
            "Section III-C.1 of the paper",
            "k = 1..K and r - n columns",
        ] {
            assert!(lint(good).is_ok(), "{good}: {:?}", lint(good));
        }
    }
}

#[cfg(test)]
mod workspace_templates {
    use super::lint;

    /// Every experiment's report template passes the bare-number check, so a result written
    /// as a bare number fails `cargo test` before any run (the performance report's template
    /// is checked by `mfflow-bench`'s own test).
    #[test]
    fn no_template_states_a_result_as_a_bare_number() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut templates = vec![root.join("crates/experiment-template/report.md")];
        for entry in std::fs::read_dir(root.join("experiments")).expect("experiments/") {
            let path = entry.expect("dir entry").path().join("report.md");
            if path.exists() {
                templates.push(path);
            }
        }
        assert!(templates.len() > 1, "no experiment templates found");
        let failures: Vec<String> = templates
            .iter()
            .filter_map(|t| {
                let text = std::fs::read_to_string(t).expect("read template");
                lint(&text).err().map(|e| format!("{}: {e}", t.display()))
            })
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

//! The literate report: an experiment's `report.md`, written beside its code, holds the prose
//! (question, setup, what to look for, what was found) with `{{key}}` placeholders; the run
//! fills them with figures, tables and values computed from the data.
//!
//! Rendering fails if a placeholder has no value or a value has no placeholder, so a claim in
//! the prose cannot drift away from what the data say: the numbers in the sentences are the
//! measured ones, recomputed on every run.

use crate::output::Outputs;
use crate::plot::LinePlot;
use crate::{lab_err, Result};
use std::collections::BTreeMap;

/// A report template and the values filled in so far.
#[derive(Debug, Clone)]
pub struct Report {
    template: String,
    values: BTreeMap<String, String>,
}

impl Report {
    /// A report from its template text.
    pub fn new(template: &str) -> Self {
        Self {
            template: template.to_string(),
            values: BTreeMap::new(),
        }
    }

    /// Fills `{{key}}` with text (a value, a sentence computed from the data, …).
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.values.insert(key.to_string(), value.into());
    }

    /// Writes `plot` as `<key>.svg` and fills `{{key}}` with the image and its caption.
    pub fn figure(
        &mut self,
        out: &Outputs,
        key: &str,
        plot: &LinePlot,
        caption: &str,
    ) -> Result<()> {
        let text = figure_markdown(out, key, plot, caption)?;
        self.set(key, text);
        Ok(())
    }

    /// Fills `{{key}}` with a Markdown table.
    pub fn table(&mut self, key: &str, header: &[&str], rows: &[Vec<String>]) {
        let mut text = format!(
            "| {} |\n|{}|\n",
            header.join(" | "),
            vec!["---"; header.len()].join("|")
        );
        for row in rows {
            text.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        self.set(key, text.trim_end().to_string());
    }

    /// The filled report. Errors on a placeholder without a value or a value never used.
    pub fn render(&self) -> Result<String> {
        let mut out = String::with_capacity(self.template.len());
        let mut used = std::collections::BTreeSet::new();
        let mut rest = self.template.as_str();
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| {
                lab_err!(
                    "report.md: unclosed `{{{{` near `{}`",
                    &after[..after.len().min(30)]
                )
            })?;
            let key = after[..end].trim();
            let value = self
                .values
                .get(key)
                .ok_or_else(|| lab_err!("report.md: placeholder `{{{{{key}}}}}` has no value"))?;
            out.push_str(value);
            used.insert(key.to_string());
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        if let Some(unused) = self.values.keys().find(|k| !used.contains(*k)) {
            return Err(lab_err!(
                "report.md: value `{unused}` is computed but never shown (no `{{{{{unused}}}}}`)"
            ));
        }
        Ok(out)
    }
}

/// Writes `plot` as `<name>.svg` and returns its Markdown (image and caption), for reports that
/// show a number of figures fixed by the config under one placeholder.
pub fn figure_markdown(
    out: &Outputs,
    name: &str,
    plot: &LinePlot,
    caption: &str,
) -> Result<String> {
    let file = format!("{name}.svg");
    out.write(&file, plot.to_svg()?.as_bytes())?;
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
        r.set("extra", "x");
        assert!(r.render().unwrap_err().0.contains("never shown"));
        let missing = Report::new("{{nothing}}");
        assert!(missing.render().unwrap_err().0.contains("no value"));
    }
}

//! `reports/README.md`, the index of the reports: one line per experiment, the `description`
//! of its `Cargo.toml`, then the figures the index shows at a glance ([`FEATURED`]: the paper's
//! Figure 1 and the talk's learning curves), taken with their captions from the reports that
//! drew them. A description still equal to the scaffold's prompt is refused, so an index line
//! that says "edit this line" is never published.

use std::path::Path;

/// What marks the prompt `cargo xtask new` puts in a new experiment's `description` (see
/// [`crate::scaffold`]; a test checks that the scaffold's prompt is recognised).
const PROMPT_MARKERS: &[&str] = &["edit this line", "__NAME__"];

/// The `description` of an experiment's `Cargo.toml`: its line in the index.
pub fn description(root: &Path, name: &str) -> Result<String, String> {
    let path = root.join("experiments").join(name).join("Cargo.toml");
    let manifest =
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let found = manifest.lines().find_map(|l| {
        l.trim()
            .strip_prefix("description = \"")
            .and_then(|r| r.strip_suffix('"'))
    });
    match found {
        None => Err(format!(
            "experiments/{name}/Cargo.toml has no `description = \"...\"` line: write one line \
             saying what the experiment shows (it is the experiment's line in reports/README.md)"
        )),
        Some(d) if is_prompt(d) => Err(format!(
            "experiments/{name}/Cargo.toml: the description is still the scaffold's prompt \
             (\"{d}\"); replace it with one line saying what the experiment shows before \
             publishing its report"
        )),
        Some(d) => Ok(d.to_string()),
    }
}

/// Figures shown in the index: from `experiment`'s report, every figure whose file name starts
/// with one of `prefixes` and ends with none of `skip`, in the report's order, with its caption.
pub struct Featured {
    heading: &'static str,
    intro: &'static str,
    experiment: &'static str,
    prefixes: &'static [&'static str],
    skip: &'static [&'static str],
}

/// The figures of the index.
pub const FEATURED: &[Featured] = &[
    Featured {
        heading: "The paper's Figure 1",
        intro: "The eigenvalues of W(t) on a linear scale under spectral and general initialization, then \
                the paper's right-hand panels: the same curves as alpha decreases, where incremental \
                learning emerges (from spectral-vs-general; log-scale views are in its report).",
        experiment: "spectral-vs-general",
        prefixes: &["figure1_"],
        skip: &["_log.svg"],
    },
    Featured {
        heading: "The talk's learning curves",
        intro: "One mode with the bounds of the slides, and incremental learning emerging as alpha \
                shrinks (from spectral-vs-general, section 6).",
        experiment: "spectral-vs-general",
        prefixes: &["talk_figure"],
        skip: &[],
    },
];

impl Featured {
    /// The section: heading, introduction, and each figure with its caption, the image paths
    /// made relative to `reports/` (`dir`). Nothing when the experiment's report is not there
    /// (an index written before its first run); an error when it is there without the figures.
    fn section(&self, dir: &Path) -> Result<String, String> {
        let path = dir.join(self.experiment).join("README.md");
        let Ok(report) = std::fs::read_to_string(&path) else {
            return Ok(String::new());
        };
        let lines: Vec<&str> = report.lines().collect();
        let mut figures = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let Some((alt, file)) = image(line) else {
                continue;
            };
            if !self.prefixes.iter().any(|p| file.starts_with(p))
                || self.skip.iter().any(|s| file.ends_with(s))
            {
                continue;
            }
            let caption = lines[i + 1..]
                .iter()
                .find(|l| !l.trim().is_empty())
                .filter(|l| l.starts_with('*'))
                .map_or(String::new(), |l| {
                    // The caption's data files live beside the experiment's report.
                    let l = l.replace("Data: ", &format!("Data (in {}/): ", self.experiment));
                    format!("\n\n{l}")
                });
            figures.push(format!("![{alt}]({}/{file}){caption}", self.experiment));
        }
        if figures.is_empty() {
            return Err(format!(
                "{}: no figure named {:?}... for the index's section \"{}\"",
                path.display(),
                self.prefixes,
                self.heading
            ));
        }
        Ok(format!(
            "\n## {}\n\n{}\n\n{}\n",
            self.heading,
            self.intro,
            figures.join("\n\n")
        ))
    }
}

/// `(alt text, file)` of a Markdown image line `![alt](file)`.
fn image(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim().strip_prefix("![")?;
    let (alt, rest) = rest.split_once("](")?;
    Some((alt, rest.strip_suffix(')')?))
}

/// Whether a description is the scaffold's prompt rather than a real description.
pub fn is_prompt(description: &str) -> bool {
    PROMPT_MARKERS.iter().any(|m| description.contains(m))
}

/// Writes `out_root/README.md` for `names` (every experiment, so the index never loses a
/// line when only some were run), through a temporary file and a rename.
pub fn write(root: &Path, out_root: &Path, names: &[String]) -> Result<(), String> {
    let mut text = String::from(
        "# Reports\n\nGenerated by `cargo xtask reproduce`; `cargo xtask reproduce --check` verifies that a fresh run \
         gives these files byte for byte. Each report states its question, setup and findings, with the data \
         behind every figure and table beside it.\n\n",
    );
    for name in names {
        text.push_str(&format!(
            "- [{name}]({name}/README.md): {}\n",
            description(root, name)?
        ));
    }
    if out_root.join("performance").exists() || root.join("reports/performance").exists() {
        text.push_str("- [performance](performance/README.md): timings of the kernels (`cargo xtask bench`; not byte-reproducible)\n");
    }
    let committed = root.join("reports");
    for featured in FEATURED {
        // From this run's report, or the committed one when the experiment was not run.
        let dir = [out_root, committed.as_path()]
            .into_iter()
            .find(|d| d.join(featured.experiment).join("README.md").exists())
            .unwrap_or(out_root);
        text.push_str(&featured.section(dir)?);
    }
    let path = out_root.join("README.md");
    let tmp = out_root.join(format!(".README.md.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The description `cargo xtask new` writes is recognised as the prompt (if the scaffold's
    /// wording changes, this fails until PROMPT_MARKERS follows it), and real ones are not.
    #[test]
    fn the_scaffold_prompt_is_refused_and_real_descriptions_are_not() {
        let files = crate::scaffold::files("demo");
        let manifest = &files.iter().find(|(p, _)| p == "Cargo.toml").unwrap().1;
        let description = manifest
            .lines()
            .find_map(|l| l.strip_prefix("description = \""))
            .and_then(|r| r.strip_suffix('"'))
            .expect("the scaffold writes a description line");
        assert!(is_prompt(description), "{description}");
        let root = crate::util::workspace_root();
        for name in ["spectral-vs-general", "gaussian-init"] {
            if root.join("experiments").join(name).exists() {
                assert!(description_ok(&root, name), "{name}");
            }
        }
    }

    fn description_ok(root: &Path, name: &str) -> bool {
        description(root, name).is_ok()
    }

    /// The featured figures come with their captions and paths relative to reports/, the
    /// excluded ones are left out, and a report without them is an error, not a silent gap.
    #[test]
    fn featured_figures_are_taken_from_the_report_with_their_captions() {
        let root = std::env::temp_dir().join(format!("xtask-featured-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("spectral-vs-general")).unwrap();
        let report =
            "# R\n\n![A](figure1_spectral.svg)\n\n*cap a*\n\n![B](figure1_spectral_log.svg)\n\n\
                      *cap b*\n\n![C](figure1_panel_alpha0p1.svg)\n\ntext\n";
        std::fs::write(root.join("spectral-vs-general/README.md"), report).unwrap();
        let section = FEATURED[0].section(&root).unwrap();
        assert!(section.contains("![A](spectral-vs-general/figure1_spectral.svg)\n\n*cap a*"));
        assert!(section.contains("![C](spectral-vs-general/figure1_panel_alpha0p1.svg)\n"));
        assert!(
            !section.contains("_log") && !section.contains("text"),
            "{section}"
        );
        assert!(FEATURED[1].section(&root).is_err());
        assert_eq!(FEATURED[0].section(&root.join("none")).unwrap(), "");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_prompt_description_blocks_the_index() {
        let root = std::env::temp_dir().join(format!("xtask-index-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (rel, content) in crate::scaffold::files("demo") {
            let path = root.join("experiments/demo").join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        let out = root.join("reports");
        std::fs::create_dir_all(&out).unwrap();
        let err = write(&root, &out, &["demo".to_string()]).unwrap_err();
        assert!(err.contains("still the scaffold's prompt"), "{err}");
        assert!(!out.join("README.md").exists());
        let manifest = root.join("experiments/demo/Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        let edited: String = text
            .lines()
            .map(|l| {
                if l.starts_with("description") {
                    "description = \"A demo: what it shows\"".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(&manifest, edited).unwrap();
        write(&root, &out, &["demo".to_string()]).unwrap();
        let index = std::fs::read_to_string(out.join("README.md")).unwrap();
        assert!(index.contains("- [demo](demo/README.md): A demo: what it shows\n"));
        let _ = std::fs::remove_dir_all(&root);
    }
}

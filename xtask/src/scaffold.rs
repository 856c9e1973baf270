//! `cargo xtask new NAME`: a new experiment crate that builds, passes its smoke test, and is
//! picked up by `cargo xtask reproduce` without further edits (the workspace includes
//! `experiments/*`, and reproduce runs every crate there).

use std::path::Path;

/// The template: a real workspace crate (`crates/experiment-template`), compiled and
/// smoke-tested by `cargo test --workspace`, copied file by file with its name replaced.
const TEMPLATE: [(&str, &str); 7] = [
    (
        "Cargo.toml",
        include_str!("../../crates/experiment-template/Cargo.toml"),
    ),
    (
        "config.toml",
        include_str!("../../crates/experiment-template/config.toml"),
    ),
    (
        "report.md",
        include_str!("../../crates/experiment-template/report.md"),
    ),
    (
        "src/main.rs",
        include_str!("../../crates/experiment-template/src/main.rs"),
    ),
    (
        "src/config.rs",
        include_str!("../../crates/experiment-template/src/config.rs"),
    ),
    (
        "src/learning.rs",
        include_str!("../../crates/experiment-template/src/learning.rs"),
    ),
    (
        "tests/smoke.rs",
        include_str!("../../crates/experiment-template/tests/smoke.rs"),
    ),
];

/// The name of the template crate, replaced by the new experiment's name.
const TEMPLATE_NAME: &str = "experiment-template";

/// The files of a new experiment, as (relative path, content).
pub fn files(name: &str) -> Vec<(String, String)> {
    TEMPLATE
        .iter()
        .map(|(path, content)| (path.to_string(), content.replace(TEMPLATE_NAME, name)))
        .collect()
}

/// Creates `experiments/NAME`.
pub fn new_experiment(root: &Path, name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if !valid || matches!(name, "performance" | "xtask") {
        return Err(format!(
            "`{name}` is not a valid experiment name (lowercase letters, digits and '-', starting with a letter)"
        ));
    }
    let dir = root.join("experiments").join(name);
    if dir.exists() {
        return Err(format!("{} already exists", dir.display()));
    }
    for (rel, content) in files(name) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("has a parent")).map_err(|e| e.to_string())?;
        std::fs::write(&path, content).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    eprintln!(
        "xtask: created {}\n  next: edit its report.md and src/main.rs, then `cargo test -p {name}` and `cargo xtask reproduce {name}`",
        dir.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scaffold is the template crate with its name replaced everywhere: the same files
    /// `cargo test --workspace` compiles and smoke-tests as `experiment-template`.
    #[test]
    fn scaffold_is_the_template_crate_renamed() {
        let files = files("demo-exp");
        let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        for want in [
            "Cargo.toml",
            "config.toml",
            "report.md",
            "src/main.rs",
            "tests/smoke.rs",
        ] {
            assert!(paths.contains(&want), "{want} missing");
        }
        assert!(files.iter().all(|(_, c)| !c.contains(TEMPLATE_NAME)));
        let cargo = &files.iter().find(|(p, _)| p == "Cargo.toml").unwrap().1;
        assert!(cargo.contains("name = \"demo-exp\""), "{cargo}");
        let smoke = &files.iter().find(|(p, _)| p == "tests/smoke.rs").unwrap().1;
        assert!(smoke.contains("CARGO_BIN_EXE_demo-exp"));
    }
}

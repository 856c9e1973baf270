//! `cargo xtask new NAME`: scaffolds `experiments/NAME` (the files come from [`crate::scaffold`]).

use std::path::Path;

/// Runs the task with its arguments.
pub fn main(root: &Path, args: &[String]) -> Result<(), String> {
    match args {
        [name] => crate::scaffold::new_experiment(root, name),
        _ => Err(format!("`new` takes one NAME, got {args:?}")),
    }
}

//! Smoke test: the experiment runs end to end on a tiny configuration, re-renders
//! byte-identically from its saved data, a bad config is refused without touching the
//! previous report, and the stated limits are enforced.

use mfflow_lab::smoke::Smoke;

#[test]
fn runs_on_a_tiny_config_rerenders_and_rejects_bad_ones() {
    Smoke {
        tag: "experiment-template",
        binary: env!("CARGO_BIN_EXE_experiment-template"),
        config:
            "master_seed = 1\neigenvalues = [2.0, 1.0]\nrank = 2\nalpha = 1e-3\ntime_points = 20\n",
        files: &[
            "eigenvalues.csv",
            "eigenvalue_figure.svg",
            "manifest.json",
            "data/learning.json",
        ],
        threads: None,
        bad: ("rank = 2", "rank = 0", "rank"),
        limits: &[
            ("alpha = 1e-3", "alpha = 5e-324", "alpha"),
            ("time_points = 20", "time_points = 100000000", "time_points"),
        ],
    }
    .check();
}

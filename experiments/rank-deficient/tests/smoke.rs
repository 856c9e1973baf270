//! Smoke test: the binary runs end to end on a tiny configuration fills its report,
//! re-renders it byte-identically from its saved data, and refuses bad configs.

use mfflow_lab::smoke::Smoke;

const TINY: &str = r#"
master_seed = 3
eigenvalues = [4.0, 2.0, 1.0, 0.0]
alpha = 1e-6
eps = 0.5
time_points = 40
ranks = [1, 2, 4]
figure_ranks = [2]
extra_columns = 1
deficient_ranks = [2]
missing_direction = 2
leak_sizes = [1e-8]
ode_ranks = [2]
ode_points = 5
conjecture_tolerance = 0.1
counterexample_columns = 2
counterexample_direction = 2
counterexample_deltas = [1e-2]
counterexample_points = 11
"#;

#[test]
fn runs_on_a_tiny_config_rerenders_and_rejects_bad_ones() {
    Smoke {
        tag: "rank-deficient",
        binary: env!("CARGO_BIN_EXE_rank-deficient"),
        config: TINY,
        files: &[
            "curves_r2.svg",
            "missing_figure.svg",
            "windows.csv",
            "ode-cross-check.csv",
            "manifest.json",
            "data/limits-and-windows.json",
        ],
        threads: None,
        bad: (
            "missing_direction = 2",
            "missing_direction = 4",
            "missing_direction",
        ),
        // Stated limits: alpha in [1e-300, 10], grids of at most 100000 points.
        limits: &[
            ("alpha = 1e-6", "alpha = 5e-324", "alpha"),
            ("time_points = 40", "time_points = 100000000", "time_points"),
            ("ode_points = 5", "ode_points = 100000000", "ode_points"),
            (
                "counterexample_columns = 2",
                "counterexample_columns = 9",
                "counterexample_columns",
            ),
        ],
    }
    .check();
}

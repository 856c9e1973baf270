//! Smoke test: the binary runs end to end on a tiny configuration, fills its report, gives the
//! same bytes with one and with two threads, and rejects a bad configuration without touching
//! the previous report.

use mfflow_lab::smoke::{expect_report, Smoke};

const TINY: &str = r#"
master_seed = 5
sizes = [4, 8]
ratios = [1.0, 2.0]
draws = 100
deltas = [0.5, 0.1]
confidence = 0.9
target_eigenvalues = [4.0, 2.0]
eps = 0.5
learning_sizes = [4]
learning_ratios = [1.0]
learning_draws = 10
alpha_largest = 1.0
alpha_smallest = 1e-20
alphas_per_decade = 1
time_points = 40
interval_points = 5
"#;

#[test]
fn runs_on_a_tiny_config_rerenders_and_rejects_bad_ones() {
    let bin = env!("CARGO_BIN_EXE_gaussian-init");
    let (scratch, _) = Smoke {
        tag: "gaussian-init",
        binary: bin,
        config: TINY,
        files: &[
            "edge_figure.svg",
            "edelman_figure.svg",
            "m_quantiles_unit.svg",
            "alpha_figure.svg",
            "learning_n4_r4.svg",
            "spectra.csv",
            "learning.csv",
            "manifest.json",
            "data/spectra.json",
            "data/learning.json",
        ],
        threads: Some(2),
        bad: ("ratios = [1.0, 2.0]", "ratios = [1.0, 1.3]", "ratios"),
        // Stated limits: alphas in [1e-300, 10], grids and samples of bounded size.
        limits: &[
            (
                "alpha_smallest = 1e-20",
                "alpha_smallest = 5e-324",
                "alpha_smallest",
            ),
            (
                "alpha_largest = 1.0",
                "alpha_largest = 1e3",
                "alpha_largest",
            ),
            ("time_points = 40", "time_points = 100000000", "time_points"),
            (
                "learning_draws = 10",
                "learning_draws = 100000000",
                "learning_draws",
            ),
            ("draws = 100", "draws = 100000000", "draws"),
            (
                "alphas_per_decade = 1",
                "alphas_per_decade = 1000000",
                "alphas_per_decade",
            ),
        ],
    }
    .check();
    // Parallel over draws, one seed stream per draw: the thread count changes nothing.
    let (out, single) = (scratch.join("report"), scratch.join("single"));
    expect_report(&scratch.run(bin, TINY, &single, Some(1)), &single, &[]);
    mfflow_lab::smoke::assert_same_files(&out, &single);
}

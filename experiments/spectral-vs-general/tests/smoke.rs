//! Smoke test: the binary runs end to end on a tiny configuration, writes a complete report,
//! re-renders it byte-identically from its saved data, and rejects a bad configuration with a clear error, leaving the previous report untouched.

use mfflow_lab::smoke::Smoke;

const TINY: &str = r#"
master_seed = 7
eigenvalues = [4.0, 2.0, 1.0]
figure_alpha = 1e-4
panel_alphas = [1e-2, 1e-6]
time_points = 40
sweep_alphas = [1e-2, 1e-3, 1e-4]
eps = [0.5]
theorem_alphas = [1e-8, 1e-30]
grid_points = 11
bisection_steps = 4
[cross_check]
alpha = 1e-3
etas = [4e-3, 2e-3]
points = 6
[talk]
mode = 1.0
mode_alpha = 1e-6
points = 40
eps = 0.1
modes = [2.0, 1.0]
alpha_start = 1e-2
log_factor = 10.0
alpha_count = 3
"#;

#[test]
fn runs_on_a_tiny_config_rerenders_and_rejects_bad_ones() {
    let (_scratch, readme) = Smoke {
        tag: "svg",
        binary: env!("CARGO_BIN_EXE_spectral-vs-general"),
        config: TINY,
        files: &[
            "figure1_spectral.svg",
            "figure1_general.svg",
            "separation.svg",
            "theorem3.csv",
            "theorem4.csv",
            "tightness.csv",
            "cross-check.csv",
            "manifest.json",
            "run-info.json",
            "data/figure1.json",
            "talk_figure3.svg",
            "talk_figure4.svg",
        ],
        threads: None,
        // A bad config: one line naming the key, exit 2, previous report intact.
        bad: ("eps = [0.5]", "eps = [2.0]", "eps"),
        // Stated limits: alphas in [1e-300, 10], grids of at most 100000 points, every decade
        // in the separation sweep, GD steps >= 1e-5.
        limits: &[
            (
                "figure_alpha = 1e-4",
                "figure_alpha = 5e-324",
                "figure_alpha",
            ),
            (
                "theorem_alphas = [1e-8, 1e-30]",
                "theorem_alphas = [1e-8, 1e-320]",
                "theorem_alphas",
            ),
            ("time_points = 40", "time_points = 100000000", "time_points"),
            ("grid_points = 11", "grid_points = 100000000", "grid_points"),
            (
                "sweep_alphas = [1e-2, 1e-3, 1e-4]",
                "sweep_alphas = [1e-2, 1e-4]",
                "sweep_alphas",
            ),
            (
                "etas = [4e-3, 2e-3]",
                "etas = [4e-3, 1e-12]",
                "cross_check.etas",
            ),
        ],
    }
    .check();
    assert!(!readme.contains("VIOLATION"), "{readme}");
}

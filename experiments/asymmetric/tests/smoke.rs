//! Smoke test: the binary runs end to end on a tiny configuration fills its report,
//! re-renders it byte-identically from its saved data, and refuses bad configs.

use mfflow_lab::smoke::Smoke;

const TINY: &str = r#"
master_seed = 9
singular_values = [3.0, 1.0]
agreement_instances = [[3, 2, 2, 1]]
agreement_alpha = 1e-3
agreement_points = 4
gd_eta = 2e-3
m = 3
n = 2
rank = 2
r_values = [1]
alphas = [1e-3]
time_points = 20
unbalanced_alphas = [1e-2, 1e-3]
rhos = [0.1]
unbalanced_points = 4
eps = 0.5
window_alphas = [1e-6]
general_window_draws = 1
general_window_alphas = [1e-8]
"#;

#[test]
fn runs_on_a_tiny_config_rerenders_and_rejects_bad_ones() {
    Smoke {
        tag: "asymmetric",
        binary: env!("CARGO_BIN_EXE_asymmetric"),
        config: TINY,
        files: &[
            "agreement.csv",
            "unbalanced.csv",
            "unbalanced_figure.svg",
            "windows.csv",
            "manifest.json",
            "data/windows.json",
        ],
        threads: None,
        bad: ("rank = 2", "rank = 3", "rank"),
        // Stated limits: alphas in [1e-300, 10], grids of at most 100000 points, GD steps
        // >= 1e-5.
        limits: &[
            (
                "agreement_alpha = 1e-3",
                "agreement_alpha = 5e-324",
                "agreement_alpha",
            ),
            ("alphas = [1e-3]", "alphas = [1e-320]", "alphas"),
            (
                "window_alphas = [1e-6]",
                "window_alphas = [100.0]",
                "window_alphas",
            ),
            ("time_points = 20", "time_points = 100000000", "time_points"),
            ("gd_eta = 2e-3", "gd_eta = 1e-9", "gd_eta"),
        ],
    }
    .check();
}

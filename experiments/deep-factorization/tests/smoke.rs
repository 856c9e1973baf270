//! Smoke test: the experiment runs end to end on a tiny configuration, a bad one is refused
//! without touching the previous report, and the stated limits are enforced.

use mfflow_lab::smoke::{expect_each_rejected, expect_rejected, expect_report, Scratch};

const TINY: &str = r#"
master_seed = 7
singular_values = [4.0, 2.0, 1.0]
depths = [2, 3]
curves_alpha = 1e-3
time_points = 40
sweep_alphas = [1e-2, 1e-3, 1e-4]
random_alphas = [1e-2, 1e-3]
fit_points = 2
rtol = 1e-10
[figure2]
depths = [2]
alpha = 1e-2
eta = 5e-3
points = 20
[cross_check]
alpha = 1e-3
etas = [8e-3, 4e-3]
points = 8
"#;

#[test]
fn runs_on_a_tiny_config_and_rejects_a_bad_one() {
    let scratch = Scratch::new("deep-factorization");
    let out = scratch.join("report");
    let bin = env!("CARGO_BIN_EXE_deep-factorization");
    let readme = expect_report(
        &scratch.run(bin, TINY, &out, None),
        &out,
        &[
            "curves-L2.csv",
            "curves_L3.svg",
            "crossings.csv",
            "sharpness_figure.svg",
            "sweep.csv",
            "exponent_figure.svg",
            "distance_times_figure.svg",
            "figure2_L2.svg",
            "cross-check.csv",
            "manifest.json",
        ],
    );
    let bad = TINY.replace("depths = [2, 3]", "depths = [1, 3]");
    expect_rejected(&scratch.run(bin, &bad, &out, None), "depths", &out, &readme);
    expect_each_rejected(
        &scratch,
        bin,
        TINY,
        &out,
        &readme,
        &[
            (
                "curves_alpha = 1e-3",
                "curves_alpha = 1e-20",
                "curves_alpha",
            ),
            (
                "sweep_alphas = [1e-2, 1e-3, 1e-4]",
                "sweep_alphas = [1e-2, 1e-4]",
                "sweep_alphas",
            ),
            (
                "random_alphas = [1e-2, 1e-3]",
                "random_alphas = [1e-2, 5e-324]",
                "random_alphas",
            ),
            ("time_points = 40", "time_points = 100000000", "time_points"),
            ("fit_points = 2", "fit_points = 9", "fit_points"),
            ("rtol = 1e-10", "rtol = 0.5", "rtol"),
            (
                "singular_values = [4.0, 2.0, 1.0]",
                "singular_values = [1.0, 2.0, 4.0]",
                "singular_values",
            ),
            ("eta = 5e-3", "eta = 1.0", "figure2.eta"),
            (
                "etas = [8e-3, 4e-3]",
                "etas = [8e-3, 1e-9]",
                "cross_check.etas",
            ),
        ],
    );
}

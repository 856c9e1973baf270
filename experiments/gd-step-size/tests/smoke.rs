//! Smoke test: the experiment runs end to end on a tiny configuration, a bad one is refused
//! without touching the previous report, and the stated limits are enforced.

use mfflow_lab::smoke::{expect_each_rejected, expect_rejected, expect_report, Scratch};

const TINY: &str = r#"
master_seed = 3
eigenvalues = [2.0, 1.0, 0.5]
[learning_times]
alphas = [1e-4]
eta_l1 = [0.01, 0.3, 0.9]
[stability]
alpha = 1e-4
eta_l1_min = 0.9
eta_l1_max = 2.1
scalar_points = 25
matrix_points = 13
transient = 300
tail = 32
bisection_steps = 8
[windows]
eps = 0.25
alphas = [1e-6, 1e-20]
eta_l1 = [0.05, 0.5, 0.9, 1.2]
flow_grid = 400
bisection_steps = 4
[distance]
alpha = 1e-4
eta_l1 = [1e-3, 2e-3, 4e-3, 8e-3, 0.3]
checkpoints = 100
rk4_step_l1 = 1e-2
[basis_check]
alpha = 1e-4
eta_l1 = 0.1
points = 10
"#;

#[test]
fn runs_on_a_tiny_config_and_rejects_a_bad_one() {
    let scratch = Scratch::new("gd-step-size");
    let out = scratch.join("report");
    let bin = env!("CARGO_BIN_EXE_gd-step-size");
    let readme = expect_report(
        &scratch.run(bin, TINY, &out, None),
        &out,
        &[
            "learning-times.csv",
            "learning_times_spectral.svg",
            "learning_times_general.svg",
            "bifurcation.svg",
            "bifurcation-scalar.csv",
            "stability-matrix.csv",
            "windows.csv",
            "windows_spectral.svg",
            "windows_general.svg",
            "distance.csv",
            "distance.svg",
            "basis-check.csv",
            "manifest.json",
        ],
    );
    let bad = TINY.replace("eps = 0.25", "eps = 0.75");
    expect_rejected(
        &scratch.run(bin, &bad, &out, None),
        "windows.eps",
        &out,
        &readme,
    );
    expect_each_rejected(
        &scratch,
        bin,
        TINY,
        &out,
        &readme,
        &[
            (
                "alphas = [1e-4]",
                "alphas = [5e-324]",
                "learning_times.alphas",
            ),
            // Learning times only up to the stability limit.
            (
                "eta_l1 = [0.01, 0.3, 0.9]",
                "eta_l1 = [0.01, 1.5]",
                "learning_times.eta_l1",
            ),
            // Steps below 1e-5 / l_1 would take more than 1e7 iterations.
            (
                "eta_l1 = [1e-3, 2e-3, 4e-3, 8e-3, 0.3]",
                "eta_l1 = [1e-7, 0.3]",
                "distance.eta_l1",
            ),
            (
                "eta_l1_max = 2.1",
                "eta_l1_max = 0.5",
                "stability.eta_l1_max",
            ),
            (
                "flow_grid = 400",
                "flow_grid = 100000000",
                "windows.flow_grid",
            ),
            (
                "eigenvalues = [2.0, 1.0, 0.5]",
                "eigenvalues = [2.0, 2.0, 0.5]",
                "eigenvalues",
            ),
        ],
    );
}

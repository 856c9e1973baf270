//! Smoke test: the experiment runs end to end on a tiny configuration, a bad one is refused
//! without touching the previous report, and the stated limits are enforced.

use mfflow_lab::smoke::{expect_each_rejected, expect_rejected, expect_report, Scratch};

const TINY: &str = r#"
master_seed = 3
eps = 0.05
[gap]
rhos = [0.3, 0.9]
near_repeated = [4]
zeros = 1
general_shapes = 2
fit_from_rho = 0.2
time_points = 60
bisection_steps = 8
[split]
eigenvalues = [4.0, 2.0, 1.0]
eps = 0.1
columns = [3]
shapes = 2
factors = [1e-2, 1.0]
[rank]
eigenvalues = [4.0, 2.0, 1.0, 0.0]
eps = 0.1
alpha = 1e-12
columns = [1, 2]
random_shapes = 2
search_starts = 1
search_steps = 3
grid_points = 11
conjecture_columns = 2
conjecture_direction = 2
conjecture_deltas = [1.0, 1e-4]
"#;

#[test]
fn runs_on_a_tiny_config_and_rejects_a_bad_one() {
    let scratch = Scratch::new("theorem-limits");
    let out = scratch.join("report");
    let bin = env!("CARGO_BIN_EXE_theorem-limits");
    let readme = expect_report(
        &scratch.run(bin, TINY, &out, None),
        &out,
        &[
            "gap.csv",
            "gap_figure.svg",
            "split.csv",
            "split-rewrites.csv",
            "rank.csv",
            "conjecture.csv",
            "worst-case.csv",
            "rank_figure.svg",
            "manifest.json",
        ],
    );
    let bad = TINY.replace("eps = 0.05", "eps = 0.5");
    expect_rejected(
        &scratch.run(bin, &bad, &out, None),
        "gap.rhos",
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
            ("alpha = 1e-12", "alpha = 5e-324", "rank.alpha"),
            ("rhos = [0.3, 0.9]", "rhos = [0.3, 1.0]", "gap.rhos"),
            (
                "near_repeated = [4]",
                "near_repeated = [40]",
                "gap.near_repeated",
            ),
            (
                "time_points = 60",
                "time_points = 100000000",
                "gap.time_points",
            ),
            ("columns = [3]", "columns = [2]", "split.columns"),
            ("grid_points = 11", "grid_points = 1", "rank.grid_points"),
            (
                "conjecture_deltas = [1.0, 1e-4]",
                "conjecture_deltas = [2.0]",
                "rank.conjecture_deltas",
            ),
        ],
    );
}

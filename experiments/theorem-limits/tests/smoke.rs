//! Smoke test: the experiment runs end to end on a tiny configuration, a bad one is refused
//! without touching the previous report, and the stated limits are enforced.

use mfflow_lab::smoke::{expect_each_rejected, expect_rejected, expect_report, Scratch};

const TINY: &str =
    "master_seed = 1\neigenvalues = [2.0, 1.0]\nrank = 2\nalpha = 1e-3\ntime_points = 20\n";

#[test]
fn runs_on_a_tiny_config_and_rejects_a_bad_one() {
    let scratch = Scratch::new("theorem-limits");
    let out = scratch.join("report");
    let bin = env!("CARGO_BIN_EXE_theorem-limits");
    let readme = expect_report(
        &scratch.run(bin, TINY, &out, None),
        &out,
        &["eigenvalues.csv", "eigenvalue_figure.svg", "manifest.json"],
    );
    let bad = TINY.replace("rank = 2", "rank = 0");
    expect_rejected(&scratch.run(bin, &bad, &out, None), "rank", &out, &readme);
    expect_each_rejected(
        &scratch,
        bin,
        TINY,
        &out,
        &readme,
        &[
            ("alpha = 1e-3", "alpha = 5e-324", "alpha"),
            ("time_points = 20", "time_points = 100000000", "time_points"),
        ],
    );
}

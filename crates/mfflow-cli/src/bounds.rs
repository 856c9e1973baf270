//! `mfflow bounds`: Theorems 3 and 4 for the instance, with the measured error on each
//! interval and empty intervals marked as such.

use crate::args::MAX_GRID_ENTRIES;
use crate::failure::{bad, Failure};
use crate::instance::Instance;
use crate::progress::Progress;
use mfflow::rank_deficient_bound::{proposition_r, RankWindow, STATUS};
use mfflow::theorems::{theorem3, theorem4, Interval, Verdict};
use serde_json::{json, Value};

/// Refuses a grid whose matrices would not fit the stated bound (`N · n² ≤ 2^28` numbers).
pub fn check_grid(grid: usize, n: usize) -> Result<(), Failure> {
    let entries = grid as u128 * (n as u128) * (n as u128);
    if entries > MAX_GRID_ENTRIES {
        let most = MAX_GRID_ENTRIES / ((n as u128) * (n as u128)).max(1);
        return Err(bad(format!(
            "--grid: {grid} points of {n} x {n} matrices exceed the bound N * n^2 <= 2^28 \
             (every point's matrix is held at once); use --grid {most} or fewer"
        )));
    }
    Ok(())
}

/// Both verdicts as JSON, and whether a theorem that applies is contradicted by the
/// measurement.
pub fn bounds(
    inst: &Instance,
    eps: f64,
    grid: usize,
    progress: &Progress,
) -> Result<(Value, bool), Failure> {
    check_grid(grid, inst.target.n())?;
    progress.phase("Theorem 3: measuring the error on each interval");
    mfflow::trajectory::check_representable(&inst.target, &inst.init)?;
    let t3 = theorem3(&inst.target, &inst.init, eps, grid)?;
    progress.phase("Theorem 4: measuring the error on each interval");
    let t4 = theorem4(&inst.target, &inst.init, eps, grid)?;
    progress.phase("Proposition R: measuring the error on each window");
    let pr = proposition_r(&inst.target, &inst.init, eps, grid)?;
    let pr_violated = pr.iter().any(|w| w.max_error.is_some_and(|e| e > eps));
    let violated = t3.violated(eps) || t4.violated(eps) || pr_violated;
    let value = json!({
        "n": inst.target.n(),
        "r": inst.init.shape().ncols(),
        "alpha": inst.init.alpha(),
        "eps": eps,
        "grid_points": grid,
        "eigenvalues": inst.target.eigenvalues(),
        "theorem3": verdict_json(&t3, eps, false),
        "theorem4": verdict_json(&t4, eps, true),
        "proposition_r": proposition_r_json(&pr, pr_violated),
    });
    Ok((value, violated))
}

/// Why an interval is empty, or `None`.
fn why_empty(iv: &Interval) -> Option<String> {
    let end = iv.end?;
    if end < iv.start {
        Some(format!(
            "start {} is after end {}: for these constants (eps, alpha and the gap between \
             l_{} and l_{}) the theorem's interval I_{} is empty, so it guarantees nothing at rank {}",
            iv.start,
            end,
            iv.k,
            iv.k + 1,
            iv.k,
            iv.k
        ))
    } else if end < 0.0 {
        Some(format!(
            "the interval ends at t = {end}, before t = 0: it contains no time of the flow"
        ))
    } else {
        None
    }
}

fn interval_json(iv: &Interval) -> Value {
    let why = why_empty(iv);
    json!({
        "k": iv.k,
        "start": iv.start,
        "end": iv.end,
        "empty": iv.is_empty() || why.is_some(),
        "why_empty": why,
    })
}

fn verdict_json(v: &Verdict, eps: f64, with_m: bool) -> Value {
    let mut obj = json!({
        "applies": v.applies,
        "reason": v.reason,
        "c_eps": v.c_eps,
        "C_eps": v.big_c_eps,
        "alpha_bound": v.alpha_bound,
        "alpha_ok": v.alpha_ok,
        "separation_ok": v.separation_ok,
        "intervals": v.intervals.iter().map(interval_json).collect::<Vec<_>>(),
        "max_error": v.max_error,
        "violated": v.violated(eps),
    });
    if with_m {
        obj["M"] = json!(v.m);
    }
    obj
}

/// Proposition R (any rank of `u0`, `r < n` included; `mfflow::rank_deficient_bound`): for
/// each `k`, what the columns see of the first `k` eigen-directions and the window `J_k`.
fn proposition_r_json(windows: &[RankWindow], violated: bool) -> Value {
    let per_k: Vec<Value> = windows
        .iter()
        .map(|w| {
            let q = &w.quantities;
            json!({
                "k": q.k,
                "sigma_min_phi_k_u0": q.sigma,
                "sigma_resolution": q.resolution.is_finite().then_some(q.resolution),
                "tau": q.tau.is_finite().then_some(q.tau),
                "applies": w.reason.is_none(),
                "reason": w.reason,
                "window": w.interval.as_ref().map(interval_json),
                "max_error": w.max_error,
            })
        })
        .collect();
    json!({
        "status": STATUS,
        "statement": "||W(t) - Yhat_k||_2 <= eps on J_k when sigma_min(Phi_k^T u0) > 0, l_k > l_(k+1) and alpha ||u0||^2 <= eps",
        "s_max": windows.first().map(|w| w.quantities.s_max),
        "ranks": per_k,
        "violated": violated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_intervals_say_why() {
        let empty = Interval {
            k: 1,
            start: 5.15,
            end: Some(4.08),
        };
        assert!(why_empty(&empty)
            .unwrap()
            .contains("start 5.15 is after end 4.08"));
        assert_eq!(interval_json(&empty)["empty"], true);
        let fine = Interval {
            k: 1,
            start: 1.0,
            end: Some(4.0),
        };
        assert!(why_empty(&fine).is_none());
        assert_eq!(interval_json(&fine)["empty"], false);
        let open = Interval {
            k: 2,
            start: 1.0,
            end: None,
        };
        assert_eq!(interval_json(&open)["empty"], false);
        assert!(interval_json(&open)["end"].is_null());
    }

    #[test]
    fn proposition_r_covers_a_rank_deficient_start() {
        // Y = diag(4, 2, 1), two columns (r < n): Proposition R gives windows at k = 1, 2 and
        // says why not at k = 3 (two columns cannot see three directions).
        let target = mfflow::Target::diagonal(&[4.0, 2.0, 1.0]).unwrap();
        let u0 = mfflow::Mat::from_fn(3, 2, |i, j| [[1.0, 0.2], [0.3, 1.0], [0.5, -0.4]][i][j]);
        let init = mfflow::Init::new(1e-10, u0.as_ref()).unwrap();
        let windows = proposition_r(&target, &init, 0.1, 51).unwrap();
        let v = proposition_r_json(&windows, false);
        assert_eq!(v["status"], "proved");
        let ranks = v["ranks"].as_array().unwrap();
        assert_eq!(ranks.len(), 3);
        for r in &ranks[..2] {
            assert_eq!(r["applies"], true, "{r}");
            assert_eq!(r["window"]["empty"], false, "{r}");
            assert!(r["max_error"].as_f64().unwrap() <= 0.1, "{r}");
        }
        assert_eq!(ranks[2]["applies"], false);
        assert!(ranks[2]["reason"].as_str().unwrap().contains("sigma_min"));
        assert!(ranks[2]["window"].is_null() && ranks[2]["tau"].is_null());
    }

    #[test]
    fn grid_memory_bound() {
        assert!(check_grid(401, 300).is_ok());
        assert!(check_grid(100_000, 60).is_err());
        assert!(check_grid(268, 1000).is_ok() && check_grid(269, 1000).is_err());
    }
}

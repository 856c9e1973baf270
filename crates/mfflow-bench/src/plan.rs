//! The plan of a run: which sizes, ranks, shapes and time counts each bench measures, in one
//! place. The benches write it into their records ([`crate::record`]) and the renderer and the
//! Python baselines read it from there, so nobody repeats the sizes.
//!
//! `MFFLOW_BENCH_QUICK=1` (`cargo xtask bench --quick`) selects the small plan: a few minutes on
//! two cores, enough to see every table and figure.

use serde_json::{json, Value};

/// Whether this is the quick run.
pub fn quick() -> bool {
    std::env::var("MFFLOW_BENCH_QUICK").is_ok_and(|v| v == "1")
}

/// The trajectory benchmarks' plan.
#[derive(Debug, Clone)]
pub struct TrajectoryPlan {
    /// Quick run.
    pub quick: bool,
    /// Sizes of the full-rank sweep (typical Gaussian shape, [`Self::sweep_times`] times).
    pub sizes: Vec<usize>,
    /// Largest n at which the full-rank sweep also times eigenvalues.
    pub eigenvalues_max_n: usize,
    /// Output times per call in the size sweeps.
    pub sweep_times: usize,
    /// Sizes of the `r = `[`Self::rank`] sweep.
    pub rank_sizes: Vec<usize>,
    /// The rank of that sweep.
    pub rank: usize,
    /// n of the sweep over r.
    pub rank_n: usize,
    /// Ranks of the sweep over r.
    pub ranks: Vec<usize>,
    /// Output times per call in the rank sweeps.
    pub rank_times: usize,
    /// n of the sweep over `cond(W̄₀)`.
    pub cond_n: usize,
    /// Quantiles of `cond(W̄₀)` of that sweep (`0` stands for the orthogonal shape).
    pub cond_quantiles: Vec<f64>,
    /// Output times per call in the condition sweep.
    pub cond_times: usize,
    /// Whether the condition sweep times eigenvalues too (seconds per call on the factor form
    /// today: left out of the quick run).
    pub cond_eigenvalues: bool,
    /// Sizes at which the ODE integrator runs.
    pub reference_sizes: Vec<usize>,
    /// Largest n at which gradient descent runs.
    pub gd_max_n: usize,
    /// Output-time counts of the time sweep (n = 64).
    pub time_counts: Vec<usize>,
}

impl TrajectoryPlan {
    /// The plan for this run.
    pub fn new(quick: bool) -> Self {
        Self {
            quick,
            sizes: if quick {
                vec![8, 32, 128]
            } else {
                vec![8, 32, 128, 512, 1024]
            },
            eigenvalues_max_n: 256,
            sweep_times: 3,
            rank_sizes: if quick {
                vec![64, 256]
            } else {
                vec![64, 128, 256, 512, 1024]
            },
            rank: 8,
            rank_n: if quick { 256 } else { 1024 },
            ranks: if quick {
                vec![2, 8, 32]
            } else {
                vec![2, 4, 8, 16, 32, 64, 128]
            },
            rank_times: 11,
            cond_n: 256,
            cond_quantiles: if quick {
                vec![0.0, 0.5, 0.99]
            } else {
                vec![0.0, 0.1, 0.5, 0.9, 0.99]
            },
            cond_times: 21,
            cond_eigenvalues: !quick,
            reference_sizes: if quick { vec![8, 16] } else { vec![8, 32, 64] },
            gd_max_n: 32,
            time_counts: vec![1, 10, 100, 1000],
        }
    }

    /// As JSON, for the record.
    pub fn to_json(&self) -> Value {
        json!({
            "quick": self.quick,
            "sizes": self.sizes,
            "eigenvalues_max_n": self.eigenvalues_max_n,
            "sweep_times": self.sweep_times,
            "rank_sizes": self.rank_sizes,
            "rank": self.rank,
            "rank_n": self.rank_n,
            "ranks": self.ranks,
            "rank_times": self.rank_times,
            "cond_n": self.cond_n,
            "cond_quantiles": self.cond_quantiles,
            "cond_times": self.cond_times,
            "cond_eigenvalues": self.cond_eigenvalues,
            "reference_sizes": self.reference_sizes,
            "gd_max_n": self.gd_max_n,
            "time_counts": self.time_counts,
        })
    }

    /// Back from JSON (`None` if a field is missing or mistyped).
    pub fn from_json(v: &Value) -> Option<Self> {
        Some(Self {
            quick: v["quick"].as_bool()?,
            sizes: usizes(&v["sizes"])?,
            eigenvalues_max_n: v["eigenvalues_max_n"].as_u64()? as usize,
            sweep_times: v["sweep_times"].as_u64()? as usize,
            rank_sizes: usizes(&v["rank_sizes"])?,
            rank: v["rank"].as_u64()? as usize,
            rank_n: v["rank_n"].as_u64()? as usize,
            ranks: usizes(&v["ranks"])?,
            rank_times: v["rank_times"].as_u64()? as usize,
            cond_n: v["cond_n"].as_u64()? as usize,
            cond_quantiles: v["cond_quantiles"]
                .as_array()?
                .iter()
                .map(Value::as_f64)
                .collect::<Option<_>>()?,
            cond_times: v["cond_times"].as_u64()? as usize,
            cond_eigenvalues: v["cond_eigenvalues"].as_bool().unwrap_or(true),
            reference_sizes: usizes(&v["reference_sizes"])?,
            gd_max_n: v["gd_max_n"].as_u64()? as usize,
            time_counts: usizes(&v["time_counts"])?,
        })
    }
}

/// The backend comparison's plan (issue 22).
#[derive(Debug, Clone)]
pub struct BackendPlan {
    /// Quick run.
    pub quick: bool,
    /// Matrix sizes.
    pub sizes: Vec<usize>,
    /// Largest n at which nalgebra's O(n³) factorizations with poor cache use (symmetric
    /// eigen, SVD, QR with column pivoting) are timed: each takes seconds beyond it, and
    /// criterion needs at least eleven calls per benchmark.
    pub nalgebra_slow_max_n: usize,
}

impl BackendPlan {
    /// The plan for this run.
    pub fn new(quick: bool) -> Self {
        Self {
            quick,
            sizes: if quick {
                vec![32, 128, 256]
            } else {
                vec![32, 64, 128, 256, 512, 1024]
            },
            nalgebra_slow_max_n: if quick { 256 } else { 512 },
        }
    }

    /// As JSON, for the record.
    pub fn to_json(&self) -> Value {
        json!({
            "quick": self.quick,
            "sizes": self.sizes,
            "nalgebra_slow_max_n": self.nalgebra_slow_max_n,
        })
    }

    /// Back from JSON.
    pub fn from_json(v: &Value) -> Option<Self> {
        Some(Self {
            quick: v["quick"].as_bool()?,
            sizes: usizes(&v["sizes"])?,
            nalgebra_slow_max_n: v["nalgebra_slow_max_n"].as_u64()? as usize,
        })
    }
}

fn usizes(v: &Value) -> Option<Vec<usize>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_u64().map(|x| x as usize))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_survive_json() {
        for quick in [false, true] {
            let p = TrajectoryPlan::new(quick);
            let back = TrajectoryPlan::from_json(&p.to_json()).expect("round trip");
            assert_eq!(back.to_json(), p.to_json());
            let b = BackendPlan::new(quick);
            let back = BackendPlan::from_json(&b.to_json()).expect("round trip");
            assert_eq!(back.to_json(), b.to_json());
        }
        assert!(TrajectoryPlan::from_json(&json!({"quick": true})).is_none());
    }
}

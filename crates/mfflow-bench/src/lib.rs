//! The performance measurements of mfflow, beside the report that renders them.
//!
//! * `benches/trajectory.rs`: criterion benchmarks of the trajectory kernels (issue 14): time
//!   per output time against n (full rank and `r = 8`), against r at a large n, against
//!   `cond(W̄₀)`, the targets, the ODE and gradient-descent references, and where one
//!   time point goes.
//! * `benches/backends.rs`: faer's dense kernels on one and two threads against nalgebra
//!   (issue 22), each with its accuracy.
//! * `python/baselines.py`: the same kernels and the end-to-end computation as a skilled NumPy /
//!   SciPy user writes them (LAPACK/OpenBLAS), on the very inputs the benches wrote, in the same
//!   run.
//! * `src/bin/perf-report/`: renders `reports/performance/README.md` from all three.
//!
//! `cargo xtask bench [--quick]` runs them in that order. This library holds what the benches
//! and the renderer share: the instances ([`instance`]), the plan of a run ([`plan`]) and the
//! files the benches leave for Python and the renderer ([`record`]).
//!
//! The crate is separate from the core so that nalgebra (a dev-dependency here, for the
//! backend comparison only) never enters the build of the library, the experiments or the CLI,
//! and so that the experiment harness does not own the performance report.

pub mod instance;
pub mod plan;
pub mod record;

//! Criterion benchmarks of the trajectory kernels against their baselines, measured in one run.
//!
//! Run through `cargo xtask bench [--quick]`, which also renders `reports/performance/`. Before
//! timing anything this binary measures the *accuracy* of every method on an instance with a
//! known answer (spectral initialization in a random basis, exact by (12)-(13)) and writes it,
//! with the plan of the run (sizes, time counts), to `<criterion dir>/mfflow-bench.json`, so the
//! report can put speed and error side by side without repeating the plan.
//!
//! Instance for every timing: `Y = Φ diag(l) Φᵀ` with `l` evenly spread in `[1, 4]`, `Φ` random
//! orthogonal, `Ū₀` Gaussian `N(0, 1/n)` (full rank), `α = 1e-6`, output times evenly spread in
//! `[0, 10]` (past every transition: `log(1/α)/(2 l_min) ≈ 6.9`).
//!
//! `MFFLOW_BENCH_QUICK=1` restricts sizes to {8, 32, 128} and shortens measurement.

use criterion::{BenchmarkId, Criterion, Throughput};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use mfflow::analysis::linspace;
use mfflow::ode::{integrate_factor, OdeOptions};
use mfflow::printed::printed_formula;
use mfflow::{gd, metrics, spectral, Form, Init, Target, Trajectory};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::hint::black_box;
use std::time::Duration;

const ALPHA: f64 = 1e-6;
const T_END: f64 = 10.0;
const SEED: u64 = 20251122;

fn gaussian(rows: usize, cols: usize, scale: f64, rng: &mut ChaCha8Rng) -> Mat<f64> {
    Mat::from_fn(rows, cols, |_, _| {
        let z: f64 = StandardNormal.sample(rng);
        scale * z
    })
}

/// Target eigenvalues `4 … 1`, evenly spaced and distinct.
fn spread(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 4.0 - 3.0 * i as f64 / (n.max(2) - 1) as f64)
        .collect()
}

/// `(target, general init, spectral init Ū₀ = Φ diag(√s))` for size `n`.
fn instance(n: usize) -> (Target, Init, Init, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED + n as u64);
    let phi = gaussian(n, n, 1.0, &mut rng).qr().compute_Q();
    let l = spread(n);
    let y = &Mat::from_fn(n, n, |i, j| phi[(i, j)] * l[j]) * phi.transpose();
    let y = Mat::from_fn(n, n, |i, j| 0.5 * (y[(i, j)] + y[(j, i)]));
    let target = Target::new(y.as_ref()).expect("valid target");
    let shape = gaussian(n, n, 1.0 / (n as f64).sqrt(), &mut rng);
    let general = Init::new(ALPHA, shape.as_ref()).expect("valid init");
    let s: Vec<f64> = (0..n).map(|i| 0.5 + i as f64 / n as f64).collect();
    let phi_t = target.phi().to_owned();
    let spectral_shape = Mat::from_fn(n, n, |i, j| phi_t[(i, j)] * s[j].sqrt());
    let spectral_init = Init::new(ALPHA, spectral_shape.as_ref()).expect("valid init");
    (target, general, spectral_init, s)
}

/// A rayon pool of one thread, for "sequential over time points". Built once and reused:
/// building a pool starts a thread, which inside the timed loop would be measured too
/// (hundreds of µs, more than a whole small-n evaluation).
fn one_thread() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("thread pool")
}

fn quick() -> bool {
    std::env::var("MFFLOW_BENCH_QUICK").is_ok_and(|v| v == "1")
}

/// Sizes of the size sweeps.
fn sizes() -> Vec<usize> {
    if quick() {
        vec![8, 32, 128]
    } else {
        vec![8, 32, 128, 512, 1024]
    }
}

/// Sizes at which the ODE integrator runs (gradient descent: those up to 32).
fn reference_sizes() -> Vec<usize> {
    if quick() {
        vec![8, 32]
    } else {
        vec![8, 32, 64]
    }
}

/// Output times for the size sweeps: few, so that n = 1024 stays affordable; the time sweep
/// is separate.
const SWEEP_TIMES: usize = 3;
/// Output-time counts of the time sweep (n = 64).
const TIME_COUNTS: [usize; 4] = [1, 10, 100, 1000];
/// Largest n at which gradient descent is timed.
const GD_MAX_N: usize = 32;

/// What this run measured, for the report renderer (so the sizes live in one place).
fn plan() -> serde_json::Value {
    serde_json::json!({
        "quick": quick(),
        "sizes": sizes(),
        "reference_sizes": reference_sizes(),
        "gd_max_n": GD_MAX_N,
        "sweep_times": SWEEP_TIMES,
        "time_counts": TIME_COUNTS,
    })
}

/// How a matmul roof is measured.
#[derive(Clone, Copy)]
enum Roof {
    /// One product on one thread.
    Seq,
    /// One product split by faer over all threads.
    Par,
    /// Two independent products at once, one per thread (`rayon::join`, each sequential):
    /// the roof of the closed-form kernels, which run one sequential time point per thread.
    /// Each call does two products.
    Pair,
}

/// Benchmarks `n × n` products `dst = a b` measured as `roof` says.
fn bench_product<M: criterion::measurement::Measurement>(
    group: &mut criterion::BenchmarkGroup<'_, M>,
    id: BenchmarkId,
    n: usize,
    roof: Roof,
) {
    let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
    let a = gaussian(n, n, 1.0, &mut rng);
    let b = gaussian(n, n, 1.0, &mut rng);
    let mut dst = Mat::<f64>::zeros(n, n);
    let mut dst2 = Mat::<f64>::zeros(n, n);
    let product = |dst: &mut Mat<f64>, par: Par| {
        matmul(
            dst.as_mut(),
            Accum::Replace,
            a.as_ref(),
            b.as_ref(),
            1.0,
            par,
        );
    };
    group.bench_function(id, |bch| {
        bch.iter(|| {
            match roof {
                Roof::Seq => product(&mut dst, Par::Seq),
                Roof::Par => product(&mut dst, Par::rayon(0)),
                Roof::Pair => {
                    rayon::join(
                        || product(&mut dst, Par::Seq),
                        || product(&mut dst2, Par::Seq),
                    );
                }
            }
            black_box((&dst, &dst2));
        })
    });
}

fn bench_matmul(c: &mut Criterion) {
    let mut group = c.benchmark_group("matmul");
    for n in sizes() {
        group.throughput(Throughput::Elements((2 * n * n * n) as u64));
        for (name, roof) in [("seq", Roof::Seq), ("par", Roof::Par), ("pair", Roof::Pair)] {
            bench_product(&mut group, BenchmarkId::new(name, n), n, roof);
        }
    }
    group.finish();
}

fn bench_closed_form(c: &mut Criterion) {
    let seq = one_thread();
    let mut group = c.benchmark_group("closed-form");
    for n in sizes() {
        let (target, general, _, s) = instance(n);
        let times = linspace(0.0, T_END, SWEEP_TIMES);
        let inverse = Trajectory::new(&target, &general, Form::Inverse).expect("inverse form");
        let factor = Trajectory::new(&target, &general, Form::Factor).expect("factor form");
        group.bench_with_input(BenchmarkId::new("inverse", n), &n, |b, _| {
            b.iter(|| black_box(inverse.w(&times).expect("evaluates")))
        });
        group.bench_with_input(BenchmarkId::new("inverse-seq", n), &n, |b, _| {
            b.iter(|| seq.install(|| black_box(inverse.w(&times).expect("evaluates"))))
        });
        // Eigenvalues to relative accuracy go through one-sided Jacobi (~30 n³ per time point,
        // seconds per evaluation at n = 1024): measured up to n = 256 only, until issue 14
        // makes them cost what W costs.
        if n <= 256 {
            group.bench_with_input(BenchmarkId::new("inverse-eigenvalues", n), &n, |b, _| {
                b.iter(|| black_box(inverse.eigenvalues(&times).expect("evaluates")))
            });
        }
        group.bench_with_input(BenchmarkId::new("factor", n), &n, |b, _| {
            b.iter(|| black_box(factor.w(&times).expect("evaluates")))
        });
        let l = target.eigenvalues().to_vec();
        group.bench_with_input(BenchmarkId::new("spectral-scalar", n), &n, |b, _| {
            b.iter(|| {
                for &t in &times {
                    black_box(spectral::eigenvalues_at(&l, &s, ALPHA, t));
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("printed-5", n), &n, |b, _| {
            b.iter(|| black_box(printed_formula(&target, &general, &times).expect("evaluates")))
        });
    }
    group.finish();
}

fn bench_references(c: &mut Criterion) {
    let mut group = c.benchmark_group("references");
    group.sample_size(10);
    for n in reference_sizes() {
        let (target, general, _, _) = instance(n);
        let times = linspace(0.0, T_END, SWEEP_TIMES);
        let u0 = general.u0();
        let options = OdeOptions {
            rtol: 1e-12,
            ..OdeOptions::default()
        };
        group.bench_with_input(BenchmarkId::new("ode-rtol1e-12", n), &n, |b, _| {
            b.iter(|| black_box(integrate_factor(target.y(), u0.as_ref(), &times, options)))
        });
        if n <= GD_MAX_N {
            group.bench_with_input(BenchmarkId::new("gd-eta1e-3", n), &n, |b, _| {
                b.iter(|| black_box(gd::gradient_descent(target.y(), u0.as_ref(), 1e-3, &times)))
            });
        }
    }
    group.finish();
}

fn bench_times(c: &mut Criterion) {
    let mut group = c.benchmark_group("times");
    let n = 64;
    let (target, general, _, _) = instance(n);
    let inverse = Trajectory::new(&target, &general, Form::Inverse).expect("inverse form");
    for count in TIME_COUNTS {
        let times = linspace(0.0, T_END, count.max(2));
        let times = &times[..count];
        group.bench_with_input(BenchmarkId::new("inverse-n64", count), &count, |b, _| {
            b.iter(|| black_box(inverse.w(times).expect("evaluates")))
        });
    }
    group.finish();
}

/// The two targets: n = 256 with 101 times (full W, original basis), and n = 64 with
/// 201 times against the ODE route.
fn bench_targets(c: &mut Criterion) {
    let seq = one_thread();
    let mut group = c.benchmark_group("targets");
    group.sample_size(10);
    // The machine's roof at this size, measured in the same run.
    for (name, roof) in [
        ("n256-matmul", Roof::Par),
        ("n256-matmul-seq", Roof::Seq),
        ("n256-matmul-pair", Roof::Pair),
    ] {
        bench_product(&mut group, BenchmarkId::from_parameter(name), 256, roof);
    }
    let (target, general, _, _) = instance(256);
    let times = linspace(0.0, T_END, 101);
    let inverse = Trajectory::new(&target, &general, Form::Inverse).expect("inverse form");
    group.bench_function("n256-t101-inverse", |b| {
        b.iter(|| black_box(inverse.w(&times).expect("evaluates")))
    });
    group.bench_function("n256-t101-inverse-seq", |b| {
        b.iter(|| seq.install(|| black_box(inverse.w(&times).expect("evaluates"))))
    });
    // The same arithmetic written into caller-owned matrices (`w_into`): no fresh pages.
    let mut out = vec![Mat::<f64>::zeros(256, 256); times.len()];
    group.bench_function("n256-t101-inverse-into", |b| {
        b.iter(|| {
            inverse.w_into(&times, &mut out).expect("evaluates");
            black_box(&out);
        })
    });
    group.bench_function("n256-t101-inverse-into-seq", |b| {
        b.iter(|| {
            seq.install(|| inverse.w_into(&times, &mut out).expect("evaluates"));
            black_box(&out);
        })
    });
    let (target, general, _, _) = instance(64);
    let times = linspace(0.0, T_END, 201);
    let inverse = Trajectory::new(&target, &general, Form::Inverse).expect("inverse form");
    group.bench_function("n64-t201-inverse", |b| {
        b.iter(|| black_box(inverse.w(&times).expect("evaluates")))
    });
    let mut out = vec![Mat::<f64>::zeros(64, 64); times.len()];
    group.bench_function("n64-t201-inverse-into", |b| {
        b.iter(|| {
            inverse.w_into(&times, &mut out).expect("evaluates");
            black_box(&out);
        })
    });
    let u0 = general.u0();
    let options = OdeOptions {
        rtol: 1e-12,
        ..OdeOptions::default()
    };
    group.bench_function("n64-t201-ode", |b| {
        b.iter(|| black_box(integrate_factor(target.y(), u0.as_ref(), &times, options)))
    });
    group.finish();
}

/// Where one time point of the inverse form at n = 256 spends its time: the same faer calls
/// that `Trajectory::w` makes per time point (`crate::dense`, which is private), each timed
/// alone on one thread, and the cost of a fresh output (allocate and first-touch 101 zeroed
/// 256 x 256 matrices, then free them, as every call of `w` does). The report sets their sum
/// against the measured kernel: a profile from the same run, not a guess.
fn bench_phases(c: &mut Criterion) {
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::linalg::cholesky::llt::factor::{cholesky_in_place, cholesky_in_place_scratch};
    use faer::linalg::matmul::triangular::{matmul as triangular_matmul, BlockStructure};
    use faer::linalg::triangular_solve::solve_lower_triangular_in_place;
    let n = 256;
    let mut group = c.benchmark_group("phases");
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let a = gaussian(n, n, 1.0 / (n as f64).sqrt(), &mut rng);
    let spd = &a * a.transpose() + Mat::<f64>::identity(n, n);
    let mut chol = spd.clone();
    let mut buf = MemBuffer::new(cholesky_in_place_scratch::<f64>(
        n,
        Par::Seq,
        Default::default(),
    ));
    group.bench_function("cholesky", |b| {
        b.iter(|| {
            chol.copy_from(&spd);
            cholesky_in_place(
                chol.as_mut(),
                Default::default(),
                Par::Seq,
                MemStack::new(&mut buf),
                Default::default(),
            )
            .expect("positive definite");
            black_box(&chol);
        })
    });
    let rhs0 = gaussian(n, n, 1.0, &mut rng);
    let mut rhs = rhs0.clone();
    group.bench_function("triangular-solve", |b| {
        b.iter(|| {
            rhs.copy_from(&rhs0);
            solve_lower_triangular_in_place(chol.as_ref(), rhs.as_mut(), Par::Seq);
            black_box(&rhs);
        })
    });
    let mut w = Mat::<f64>::zeros(n, n);
    group.bench_function("half-gram", |b| {
        b.iter(|| {
            triangular_matmul(
                w.as_mut(),
                BlockStructure::TriangularLower,
                Accum::Replace,
                rhs.transpose(),
                BlockStructure::Rectangular,
                rhs.as_ref(),
                BlockStructure::Rectangular,
                1.0,
                Par::Seq,
            );
            black_box(&w);
        })
    });
    group.bench_function("fresh-output-x101", |b| {
        b.iter(|| {
            black_box(
                (0..101)
                    .map(|_| Mat::<f64>::zeros(n, n))
                    .collect::<Vec<_>>(),
            )
        })
    });
    group.finish();
}

/// Largest entry error over the times, relative to `‖Y‖`, against a reference.
fn error(got: &[Mat<f64>], reference: &[Mat<f64>], scale: f64) -> f64 {
    got.iter()
        .zip(reference)
        .map(|(g, r)| metrics::max_abs_diff(g.as_ref(), r.as_ref()) / scale)
        .fold(0.0, f64::max)
}

/// Errors of every method against the known answer, on the spectral instance (n = 64, 201
/// times) where `W(t) = Φ diag(w_i(t)) Φᵀ` is exact by (12)-(13).
fn accuracy() -> serde_json::Value {
    let n = 64;
    let (target, _, spectral_init, s) = instance(n);
    let times = linspace(0.0, T_END, 201);
    let phi = target.phi().to_owned();
    let l = target.eigenvalues().to_vec();
    let reference: Vec<Mat<f64>> = times
        .iter()
        .map(|&t| {
            let w = spectral::eigenvalues_at(&l, &s, ALPHA, t);
            let scaled = Mat::from_fn(n, n, |i, j| phi[(i, j)] * w[j]);
            &scaled * phi.transpose()
        })
        .collect();
    let scale = target.norm();
    let mut rows = Vec::new();
    let mut push = |method: &str, err: Option<f64>, note: &str| {
        rows.push(serde_json::json!({"method": method, "error": err, "note": note}));
    };
    for (name, form) in [("inverse", Form::Inverse), ("factor", Form::Factor)] {
        let traj = Trajectory::new(&target, &spectral_init, form).expect("trajectory");
        push(
            name,
            Some(error(&traj.w(&times).expect("w"), &reference, scale)),
            "closed form",
        );
    }
    let printed = printed_formula(&target, &spectral_init, &times).expect("printed");
    let e = error(&printed, &reference, scale);
    push(
        "printed-5",
        e.is_finite().then_some(e),
        "formula (5) as printed; null = not finite",
    );
    let u0 = spectral_init.u0();
    for rtol in [1e-8, 1e-10, 1e-12] {
        let options = OdeOptions {
            rtol,
            ..OdeOptions::default()
        };
        let result = integrate_factor(target.y(), u0.as_ref(), &times, options);
        let err = result.ok().map(|(us, _)| {
            let ws: Vec<Mat<f64>> = us.iter().map(|u| u * u.transpose()).collect();
            error(&ws, &reference, scale)
        });
        push(
            &format!("ode-rtol{rtol:e}"),
            err,
            "DP5(4) on the factor ODE (2)",
        );
    }
    for eta in [1e-2, 1e-3] {
        let run = gd::gradient_descent(target.y(), u0.as_ref(), eta, &times);
        let err = run.ok().map(|steps| {
            let ws: Vec<Mat<f64>> = steps.iter().map(|(_, u)| u * u.transpose()).collect();
            error(&ws, &reference, scale)
        });
        push(
            &format!("gd-eta{eta:e}"),
            err,
            "gradient descent, first order in eta",
        );
    }
    serde_json::json!({"n": n, "times": times.len(), "alpha": ALPHA, "t_end": T_END, "rows": rows})
}

/// A field of `/proc/self/status` in bytes (`VmRSS`, `VmHWM`); `None` off Linux.
fn proc_status_bytes(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Growth of the peak resident memory while `f` runs, in bytes: the peak (`VmHWM`) is reset
/// through `/proc/self/clear_refs` first. `None` where the kernel does not offer that.
fn peak_growth<T>(f: impl FnOnce() -> T) -> (T, Option<u64>) {
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = proc_status_bytes("VmRSS");
    let value = f();
    let after = proc_status_bytes("VmHWM");
    let growth = match (reset, before, after) {
        (true, Some(b), Some(a)) => Some(a.saturating_sub(b)),
        _ => None,
    };
    (value, growth)
}

/// "Memory bounded by the output", measured: the growth of the peak resident memory of one
/// n = 256 evaluation against the size of its output, for `w_into` with 1001 times into
/// matrices allocated beforehand (the growth is then the scratch alone, which must not grow
/// with the number of times) and for `w` with 101 times (which allocates the output). Runs
/// first, before anything else has touched the heap; the thread pool is started by a warm-up
/// evaluation.
fn memory() -> serde_json::Value {
    let n = 256;
    let (target, general, _, _) = instance(n);
    let inverse = Trajectory::new(&target, &general, Form::Inverse).expect("inverse form");
    black_box(inverse.w(&[1.0, 2.0]).expect("warm-up"));
    let matrix_bytes = (n * n * std::mem::size_of::<f64>()) as u64;
    let times = linspace(0.0, T_END, 101);
    // `w_into` first: growth counts pages newly made resident, and a later call would reuse
    // pages an earlier one freed.
    let count = 1001;
    let many = linspace(0.0, T_END, count);
    let mut out: Vec<Mat<f64>> = (0..count).map(|_| Mat::zeros(n, n)).collect();
    let ((), into_growth) = peak_growth(|| inverse.w_into(&many, &mut out).expect("evaluates"));
    drop(out);
    let (out, w_growth) = peak_growth(|| inverse.w(&times).expect("evaluates"));
    drop(out);
    let rows = vec![
        serde_json::json!({
            "call": "w_into", "times": count, "output_bytes": count as u64 * matrix_bytes,
            "peak_growth_bytes": into_growth, "note": "output allocated beforehand: the growth is the scratch",
        }),
        serde_json::json!({
            "call": "w", "times": 101, "output_bytes": 101 * matrix_bytes,
            "peak_growth_bytes": w_growth, "note": "allocates the output",
        }),
    ];
    serde_json::json!({"n": n, "threads": rayon::current_num_threads(), "rows": rows})
}

/// Where criterion writes (`CRITERION_HOME`, which `cargo xtask bench` sets to an absolute
/// path), else `target/criterion` of the workspace.
fn criterion_dir() -> std::path::PathBuf {
    std::env::var_os("CRITERION_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/criterion")
        })
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    criterion = if quick() {
        criterion
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_millis(700))
            .sample_size(10)
    } else {
        criterion
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .sample_size(20)
    };
    let dir = criterion_dir();
    std::fs::create_dir_all(&dir).expect("criterion directory");
    let mem = memory();
    let acc = accuracy();
    let record = serde_json::json!({"plan": plan(), "accuracy": acc, "memory": mem});
    std::fs::write(
        dir.join("mfflow-bench.json"),
        serde_json::to_string_pretty(&record).expect("json"),
    )
    .expect("write the run record");
    bench_matmul(&mut criterion);
    bench_closed_form(&mut criterion);
    bench_references(&mut criterion);
    bench_times(&mut criterion);
    bench_targets(&mut criterion);
    bench_phases(&mut criterion);
    criterion.final_summary();
}

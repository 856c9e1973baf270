//! Criterion benchmarks of the trajectory kernels (issue 14), through the library's public API
//! only (`Trajectory::new`, `.w`, `.eigenvalues`), measured in one run with their baselines.
//!
//! Run through `cargo xtask bench [--quick]`, which then runs the Python baselines on the
//! instances this binary writes and renders `reports/performance/`. Before timing anything this
//! binary writes, beside criterion's results ([`mfflow_bench::record`]):
//!
//! * `trajectory.json`: the plan of the run, the accuracy of every method on an instance with
//!   a known answer, the peak memory of one evaluation, and what each timed instance is
//!   (`cond(W̄₀)`, which draw, which form `Auto` picked, which forms refused it);
//! * `e2e/<name>/`: the end-to-end instances (`Y`, `Ū₀`, `α`, the times) and mfflow's outputs
//!   on them, for the NumPy/SciPy script to time the same computation and compare its answer.
//!
//! The instances are those of [`mfflow_bench::instance`].

use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use mfflow::analysis::linspace;
use mfflow::ode::{integrate_factor, OdeOptions};
use mfflow::printed::printed_formula;
use mfflow::{gd, metrics, spectral, Form, Init, Target, Trajectory};
use mfflow_bench::instance::{self, ShapeKind, ALPHA, T_END};
use mfflow_bench::plan::{quick, TrajectoryPlan};
use mfflow_bench::record;
use serde_json::{json, Value};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

type Group<'a> = BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// A rayon pool of one thread, for "sequential over time points". Built once and reused:
/// building a pool starts a thread, which inside the timed loop would be measured too.
fn one_thread() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("thread pool")
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
    Pair,
}

/// Benchmarks `n × n` products `dst = a b` measured as `roof` says.
fn bench_product(group: &mut Group<'_>, id: BenchmarkId, n: usize, roof: Roof) {
    let mut rng = instance::rng(instance::KERNEL_SEED, n as u64);
    let a = instance::gaussian(n, n, 1.0, &mut rng);
    let b = instance::gaussian(n, n, 1.0, &mut rng);
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

/// `W` and eigenvalues of `traj` at `times`, benchmarked as `<prefix>w` and
/// `<prefix>eigenvalues` (the latter only if `eigenvalues`).
fn bench_outputs(
    group: &mut Group<'_>,
    traj: &Trajectory,
    times: &[f64],
    id: impl Fn(&str) -> BenchmarkId,
    eigenvalues: bool,
) {
    group.bench_function(id("w"), |b| {
        b.iter(|| black_box(traj.w(times).expect("evaluates")))
    });
    if eigenvalues {
        group.bench_function(id("eigenvalues"), |b| {
            b.iter(|| black_box(traj.eigenvalues(times).expect("evaluates")))
        });
    }
}

/// The trajectory of `form`, or why it refused (recorded, and the benchmark skipped).
fn trajectory(target: &Target, init: &Init, form: Form) -> Result<Trajectory, String> {
    Trajectory::new(target, init, form).map_err(|e| e.to_string())
}

/// Which engine `Auto` uses: `Trajectory::form` after construction with `Form::Auto`.
fn form_name(form: Form) -> &'static str {
    match form {
        Form::Auto => "auto",
        Form::Inverse => "inverse",
        Form::Factor => "factor",
    }
}

fn bench_matmul(c: &mut Criterion, plan: &TrajectoryPlan) {
    let mut group = c.benchmark_group("matmul");
    for &n in &plan.sizes {
        group.throughput(Throughput::Elements((2 * n * n * n) as u64));
        for (name, roof) in [("seq", Roof::Seq), ("par", Roof::Par), ("pair", Roof::Pair)] {
            bench_product(&mut group, BenchmarkId::new(name, n), n, roof);
        }
    }
    group.finish();
}

/// Full-rank sweep over n on a typical Gaussian shape (draw 0 of each n).
fn bench_full_rank(c: &mut Criterion, plan: &TrajectoryPlan) {
    let seq = one_thread();
    let mut group = c.benchmark_group("full-rank");
    for &n in &plan.sizes {
        let target = instance::target(n);
        let init = instance::init(&instance::gaussian_shape(n, 0));
        let times = linspace(0.0, T_END, plan.sweep_times);
        let auto = Trajectory::new(&target, &init, Form::Auto).expect("auto form");
        let id = |what: &str| BenchmarkId::new(format!("auto-{what}"), n);
        bench_outputs(&mut group, &auto, &times, id, n <= plan.eigenvalues_max_n);
        group.bench_with_input(BenchmarkId::new("auto-w-seq", n), &n, |b, _| {
            b.iter(|| seq.install(|| black_box(auto.w(&times).expect("evaluates"))))
        });
        if let Ok(inverse) = trajectory(&target, &init, Form::Inverse) {
            group.bench_with_input(BenchmarkId::new("inverse-w", n), &n, |b, _| {
                b.iter(|| black_box(inverse.w(&times).expect("evaluates")))
            });
        }
        let factor = Trajectory::new(&target, &init, Form::Factor).expect("factor form");
        group.bench_with_input(BenchmarkId::new("factor-w", n), &n, |b, _| {
            b.iter(|| black_box(factor.w(&times).expect("evaluates")))
        });
        let (_, _, s) = instance::spectral(n);
        let l = target.eigenvalues().to_vec();
        group.bench_with_input(BenchmarkId::new("spectral-scalar", n), &n, |b, _| {
            b.iter(|| {
                for &t in &times {
                    black_box(spectral::eigenvalues_at(&l, &s, ALPHA, t));
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("printed-5", n), &n, |b, _| {
            b.iter(|| black_box(printed_formula(&target, &init, &times).expect("evaluates")))
        });
    }
    group.finish();
}

/// Low rank: `r = plan.rank` against n, and r against `n = plan.rank_n` (Auto, which picks the
/// factor form for `r < n`).
fn bench_rank(c: &mut Criterion, plan: &TrajectoryPlan) {
    let times = linspace(0.0, T_END, plan.rank_times);
    let mut group = c.benchmark_group("rank-n");
    for &n in &plan.rank_sizes {
        let target = instance::target(n);
        let init = instance::init(&instance::low_rank_shape(n, plan.rank));
        let traj = Trajectory::new(&target, &init, Form::Auto).expect("auto form");
        bench_outputs(&mut group, &traj, &times, |w| BenchmarkId::new(w, n), true);
    }
    group.finish();
    let mut group = c.benchmark_group("rank-r");
    let n = plan.rank_n;
    let target = instance::target(n);
    for &r in &plan.ranks {
        let init = instance::init(&instance::low_rank_shape(n, r));
        let traj = Trajectory::new(&target, &init, Form::Auto).expect("auto form");
        bench_outputs(&mut group, &traj, &times, |w| BenchmarkId::new(w, r), true);
    }
    group.finish();
}

fn shape_kind(q: f64) -> ShapeKind {
    if q == 0.0 {
        ShapeKind::WellConditioned
    } else {
        ShapeKind::Quantile(q)
    }
}

/// Time against `cond(W̄₀)` at `n = plan.cond_n`: the orthogonal shape and the Gaussian draws at
/// the plan's quantiles, every form that accepts the shape.
fn bench_condition(c: &mut Criterion, plan: &TrajectoryPlan, shapes: &[(f64, instance::Shape)]) {
    let n = plan.cond_n;
    let target = instance::target(n);
    let times = linspace(0.0, T_END, plan.cond_times);
    let mut group = c.benchmark_group("condition");
    group.sample_size(10);
    for (q, shape) in shapes {
        let kind = shape_kind(*q).name();
        let init = instance::init(&shape.u0);
        for form in [Form::Auto, Form::Inverse, Form::Factor] {
            if let Ok(traj) = trajectory(&target, &init, form) {
                let id = |w: &str| BenchmarkId::new(format!("{}-{w}", form_name(form)), &kind);
                bench_outputs(
                    &mut group,
                    &traj,
                    &times,
                    id,
                    form == Form::Auto && plan.cond_eigenvalues,
                );
            }
        }
    }
    group.finish();
}

fn bench_references(c: &mut Criterion, plan: &TrajectoryPlan) {
    let mut group = c.benchmark_group("references");
    group.sample_size(10);
    for &n in &plan.reference_sizes {
        let target = instance::target(n);
        let init = instance::init(&instance::gaussian_shape(n, 0));
        let times = linspace(0.0, T_END, plan.sweep_times);
        let u0 = init.u0();
        let options = OdeOptions {
            rtol: 1e-12,
            ..OdeOptions::default()
        };
        group.bench_with_input(BenchmarkId::new("ode-rtol1e-12", n), &n, |b, _| {
            b.iter(|| black_box(integrate_factor(target.y(), u0.as_ref(), &times, options)))
        });
        if n <= plan.gd_max_n {
            group.bench_with_input(BenchmarkId::new("gd-eta1e-3", n), &n, |b, _| {
                b.iter(|| black_box(gd::gradient_descent(target.y(), u0.as_ref(), 1e-3, &times)))
            });
        }
    }
    group.finish();
}

fn bench_times(c: &mut Criterion, plan: &TrajectoryPlan) {
    let mut group = c.benchmark_group("times");
    let n = 64;
    let target = instance::target(n);
    let init = instance::init(&instance::gaussian_shape(n, 0));
    let auto = Trajectory::new(&target, &init, Form::Auto).expect("auto form");
    for &count in &plan.time_counts {
        let times = linspace(0.0, T_END, count.max(2));
        let times = &times[..count];
        group.bench_with_input(BenchmarkId::new("auto-w-n64", count), &count, |b, _| {
            b.iter(|| black_box(auto.w(times).expect("evaluates")))
        });
    }
    group.finish();
}

/// The end-to-end instances of issue 14's targets (also written for Python).
struct EndToEnd {
    name: &'static str,
    n: usize,
    kind: ShapeKind,
    times: usize,
}

const E2E: [EndToEnd; 3] = [
    EndToEnd {
        name: "n256-q99-t101",
        n: 256,
        kind: ShapeKind::Quantile(0.99),
        times: 101,
    },
    EndToEnd {
        name: "n256-q50-t101",
        n: 256,
        kind: ShapeKind::Quantile(0.5),
        times: 101,
    },
    EndToEnd {
        name: "n64-q50-t201",
        n: 64,
        kind: ShapeKind::Quantile(0.5),
        times: 201,
    },
];

/// The large low-rank target: eigenvalues only at `n = 1024, r = 8`, 1001 times (n = 256 in
/// the quick run).
fn big_low_rank_n(plan: &TrajectoryPlan) -> usize {
    if plan.quick {
        256
    } else {
        1024
    }
}
const BIG_LOW_RANK_TIMES: usize = 1001;

/// Issue 14's targets.
fn bench_targets(c: &mut Criterion, plan: &TrajectoryPlan, e2e: &[(Target, Init)]) {
    let mut group = c.benchmark_group("targets");
    group.sample_size(10);
    for (name, roof) in [
        ("n256-matmul", Roof::Par),
        ("n256-matmul-seq", Roof::Seq),
        ("n256-matmul-pair", Roof::Pair),
    ] {
        bench_product(&mut group, BenchmarkId::from_parameter(name), 256, roof);
    }
    for (spec, (target, init)) in E2E.iter().zip(e2e) {
        let times = linspace(0.0, T_END, spec.times);
        // The forced forms too in the full run (the quick run keeps to what a user gets).
        let forms: &[Form] = if plan.quick {
            &[Form::Auto]
        } else {
            &[Form::Auto, Form::Inverse, Form::Factor]
        };
        for &form in forms {
            if let Ok(traj) = trajectory(target, init, form) {
                let id = |w: &str| {
                    BenchmarkId::from_parameter(format!("{}-{}-{w}", spec.name, form_name(form)))
                };
                // Eigenvalues of the forced forms are not timed (seconds per call at n = 256
                // today); the quick run times eigenvalues at n = 64 only.
                let eigenvalues = form == Form::Auto && (!plan.quick || spec.n <= 64);
                bench_outputs(&mut group, &traj, &times, id, eigenvalues);
            }
        }
        // The Rust ODE reference at the n = 64 target (a minute per benchmark): full run only.
        if spec.n <= 64 && !plan.quick {
            let u0 = init.u0();
            let options = OdeOptions {
                rtol: 1e-12,
                ..OdeOptions::default()
            };
            group.bench_function(format!("{}-ode", spec.name), |b| {
                b.iter(|| black_box(integrate_factor(target.y(), u0.as_ref(), &times, options)))
            });
        }
    }
    // n = 1024, r = 8, 1001 times, eigenvalues only, against the one-time eigendecomposition
    // of Y (`Target::new`) and the whole setup (`Trajectory::new`).
    let n = big_low_rank_n(plan);
    let target = instance::target(n);
    let y = target.y().to_owned();
    let init = instance::init(&instance::low_rank_shape(n, 8));
    let times = linspace(0.0, T_END, BIG_LOW_RANK_TIMES);
    let traj = Trajectory::new(&target, &init, Form::Auto).expect("auto form");
    group.bench_function("big-r8-target-new", |b| {
        b.iter(|| black_box(Target::new(y.as_ref()).expect("valid")))
    });
    group.bench_function("big-r8-trajectory-new", |b| {
        b.iter(|| black_box(Trajectory::new(&target, &init, Form::Auto).expect("valid")))
    });
    group.bench_function("big-r8-eigenvalues", |b| {
        b.iter(|| black_box(traj.eigenvalues(&times).expect("evaluates")))
    });
    group.finish();
}

/// Where one time point of the inverse form at n = 256 spends its time: the faer calls it makes
/// per time point (Cholesky of the inner matrix, triangular solve with n right-hand sides, half
/// Gram), each timed alone on one thread, and the cost of a fresh 256 × 256 output.
fn bench_phases(c: &mut Criterion) {
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::linalg::cholesky::llt::factor::{cholesky_in_place, cholesky_in_place_scratch};
    use faer::linalg::matmul::triangular::{matmul as triangular_matmul, BlockStructure};
    use faer::linalg::triangular_solve::solve_lower_triangular_in_place;
    let n = 256;
    let mut group = c.benchmark_group("phases");
    let mut rng = instance::rng(instance::KERNEL_SEED, 1);
    let a = instance::gaussian(n, n, 1.0 / (n as f64).sqrt(), &mut rng);
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
    let rhs0 = instance::gaussian(n, n, 1.0, &mut rng);
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
fn w_error(got: &[Mat<f64>], reference: &[Mat<f64>], scale: f64) -> f64 {
    got.iter()
        .zip(reference)
        .map(|(g, r)| metrics::max_abs_diff(g.as_ref(), r.as_ref()) / scale)
        .fold(0.0, f64::max)
}

/// Largest relative error of any eigenvalue at any time (both lists descending).
fn eigenvalue_error(got: &[Vec<f64>], reference: &[Vec<f64>]) -> f64 {
    got.iter()
        .zip(reference)
        .flat_map(|(g, r)| g.iter().zip(r).map(|(a, b)| ((a - b) / b).abs()))
        .fold(0.0, f64::max)
}

/// Errors of every method against the known answer, on the spectral instance (n = 64, 201
/// times) where `W(t) = Φ diag(wᵢ(t)) Φᵀ` and its eigenvalues `wᵢ(t)` are exact by (12)-(13).
fn accuracy() -> Value {
    let n = 64;
    let (target, init, s) = instance::spectral(n);
    let times = linspace(0.0, T_END, 201);
    let phi = target.phi().to_owned();
    let l = target.eigenvalues().to_vec();
    let exact: Vec<Vec<f64>> = times
        .iter()
        .map(|&t| spectral::eigenvalues_at(&l, &s, ALPHA, t))
        .collect();
    let reference: Vec<Mat<f64>> = exact
        .iter()
        .map(|w| &Mat::from_fn(n, n, |i, j| phi[(i, j)] * w[j]) * phi.transpose())
        .collect();
    let sorted: Vec<Vec<f64>> = exact
        .iter()
        .map(|w| {
            let mut w = w.clone();
            w.sort_by(|a, b| b.total_cmp(a));
            w
        })
        .collect();
    let scale = target.norm();
    let mut rows = Vec::new();
    let mut push = |method: &str, w: Option<f64>, eig: Option<f64>, note: &str| {
        rows.push(json!({"method": method, "w_error": w, "eigenvalue_error": eig, "note": note}));
    };
    for form in [Form::Auto, Form::Inverse, Form::Factor] {
        let traj = Trajectory::new(&target, &init, form).expect("trajectory");
        let w = w_error(&traj.w(&times).expect("w"), &reference, scale);
        let eig = eigenvalue_error(&traj.eigenvalues(&times).expect("eigenvalues"), &sorted);
        push(
            form_name(form),
            Some(w),
            Some(eig),
            &format!("closed form (engine: {})", form_name(traj.form())),
        );
    }
    let printed = printed_formula(&target, &init, &times).expect("printed");
    let e = w_error(&printed, &reference, scale);
    push(
        "printed-5",
        e.is_finite().then_some(e),
        None,
        "formula (5) as printed; null = not finite",
    );
    let u0 = init.u0();
    let eig_of = |ws: &[Mat<f64>]| -> Option<f64> {
        let eigs: Option<Vec<Vec<f64>>> = ws
            .iter()
            .map(|w| metrics::eigenvalues_symmetric(w.as_ref()).ok())
            .collect();
        eigs.map(|e| eigenvalue_error(&e, &sorted))
    };
    for rtol in [1e-8, 1e-10, 1e-12] {
        let options = OdeOptions {
            rtol,
            ..OdeOptions::default()
        };
        let result = integrate_factor(target.y(), u0.as_ref(), &times, options);
        let ws = result
            .ok()
            .map(|(us, _)| us.iter().map(|u| u * u.transpose()).collect::<Vec<_>>());
        push(
            &format!("ode-rtol{rtol:e}"),
            ws.as_ref().map(|ws| w_error(ws, &reference, scale)),
            ws.as_ref().and_then(|ws| eig_of(ws)),
            "DP5(4) on the factor ODE (2), then a symmetric eigensolver",
        );
    }
    for eta in [1e-2, 1e-3] {
        let run = gd::gradient_descent(target.y(), u0.as_ref(), eta, &times);
        let err = run.ok().map(|steps| {
            let ws: Vec<Mat<f64>> = steps.iter().map(|(_, u)| u * u.transpose()).collect();
            w_error(&ws, &reference, scale)
        });
        push(
            &format!("gd-eta{eta:e}"),
            err,
            None,
            "gradient descent, first order in eta",
        );
    }
    json!({"n": n, "times": times.len(), "alpha": ALPHA, "t_end": T_END, "rows": rows})
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
/// n = 256, 101-time evaluation of `w` and of `eigenvalues` against the size of the output.
/// Runs first, before anything else has touched the heap.
fn memory() -> Value {
    let n = 256;
    let target = instance::target(n);
    let init = instance::init(&instance::gaussian_shape(n, 0));
    let traj = Trajectory::new(&target, &init, Form::Auto).expect("auto form");
    black_box(traj.w(&[1.0, 2.0]).expect("warm-up"));
    let times = linspace(0.0, T_END, 101);
    let (out, w_growth) = peak_growth(|| traj.w(&times).expect("evaluates"));
    drop(out);
    let (out, eig_growth) = peak_growth(|| traj.eigenvalues(&times).expect("evaluates"));
    drop(out);
    let f64s = std::mem::size_of::<f64>() as u64;
    let rows = vec![
        json!({"call": "w", "times": 101, "output_bytes": 101 * (n * n) as u64 * f64s,
               "peak_growth_bytes": w_growth}),
        json!({"call": "eigenvalues", "times": 101, "output_bytes": 101 * n as u64 * f64s,
               "peak_growth_bytes": eig_growth}),
    ];
    json!({"n": n, "form": form_name(traj.form()), "threads": rayon::current_num_threads(), "rows": rows})
}

/// What each timed full-rank instance is: `cond(W̄₀)`, the draw, what `Auto` picked and which
/// forms refused (with the library's reason).
fn describe(name: &str, target: &Target, init: &Init, shape: &instance::Shape) -> Value {
    let mut refused = serde_json::Map::new();
    for form in [Form::Inverse, Form::Factor] {
        if let Err(e) = trajectory(target, init, form) {
            refused.insert(form_name(form).into(), e.into());
        }
    }
    let auto = trajectory(target, init, Form::Auto)
        .map(|t| form_name(t.form()))
        .unwrap_or("refused");
    json!({"name": name, "n": target.n(), "condition": shape.condition, "draw": shape.draw,
           "auto_engine": auto, "refused": refused})
}

/// Writes one end-to-end instance and mfflow's answers on it for the Python script: `Y`, `Ū₀`,
/// the times, `W` at the first, middle and last time (Auto form) and every eigenvalue at every
/// time (`T × n`).
fn write_e2e(dir: &Path, spec: &EndToEnd, target: &Target, init: &Init) -> Value {
    let dir = dir.join(spec.name);
    let times = linspace(0.0, T_END, spec.times);
    let traj = Trajectory::new(target, init, Form::Auto).expect("auto form");
    let picks = [0, spec.times / 2, spec.times - 1];
    let pick_times: Vec<f64> = picks.iter().map(|&k| times[k]).collect();
    let ws = traj.w(&pick_times).expect("w");
    let eigs = traj.eigenvalues(&times).expect("eigenvalues");
    let eig_mat = Mat::from_fn(spec.times, spec.n, |k, i| eigs[k][i]);
    let w_files: Vec<Value> = ws
        .iter()
        .zip(picks)
        .map(|(w, k)| json!({"index": k, "matrix": record::write_matrix(&dir, &format!("w{k}"), w.as_ref())}))
        .collect();
    json!({
        "name": spec.name,
        "dir": spec.name,
        "n": spec.n,
        "alpha": ALPHA,
        "y": record::write_matrix(&dir, "y", target.y()),
        "u0": record::write_matrix(&dir, "u0", init.shape()),
        "times": record::write_vector(&dir, "times", &times),
        "mfflow_w": w_files,
        "mfflow_eigenvalues": record::write_matrix(&dir, "eigenvalues", eig_mat.as_ref()),
        "mfflow_engine": form_name(traj.form()),
    })
}

fn main() {
    let plan = TrajectoryPlan::new(quick());
    let mut criterion = Criterion::default().configure_from_args();
    criterion = if plan.quick {
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
    let dir = record::bench_dir();
    let load = record::load_average();
    let started = Instant::now();
    let mem = memory();
    let acc = accuracy();
    // The condition sweep's shapes and the end-to-end instances (SHAPE_DRAWS SVDs each).
    let cond_target = instance::target(plan.cond_n);
    let shapes: Vec<(f64, instance::Shape)> = plan
        .cond_quantiles
        .iter()
        .map(|&q| (q, instance::quantile_shape(plan.cond_n, shape_kind(q))))
        .collect();
    let mut instances: Vec<Value> = shapes
        .iter()
        .map(|(q, s)| {
            describe(
                &format!("condition/{}", shape_kind(*q).name()),
                &cond_target,
                &instance::init(&s.u0),
                s,
            )
        })
        .collect();
    for &n in &plan.sizes {
        let u0 = instance::gaussian_shape(n, 0);
        let shape = instance::Shape {
            condition: instance::condition(&u0),
            draw: Some(0),
            u0,
        };
        let init = instance::init(&shape.u0);
        instances.push(describe(
            &format!("full-rank/{n}"),
            &instance::target(n),
            &init,
            &shape,
        ));
    }
    let mut e2e = Vec::new();
    let mut e2e_records = Vec::new();
    for spec in &E2E {
        let target = instance::target(spec.n);
        let shape = instance::quantile_shape(spec.n, spec.kind);
        let init = instance::init(&shape.u0);
        instances.push(describe(spec.name, &target, &init, &shape));
        e2e_records.push(write_e2e(&dir.join("e2e"), spec, &target, &init));
        e2e.push((target, init));
    }
    let record = json!({
        "plan": plan.to_json(),
        "accuracy": acc,
        "memory": mem,
        "instances": instances,
        "e2e": e2e_records,
        "big_low_rank": {"n": big_low_rank_n(&plan), "r": 8, "times": BIG_LOW_RANK_TIMES},
        "shape_draws": instance::SHAPE_DRAWS,
        "setup_seconds": started.elapsed().as_secs_f64(),
        "load_average_start": load,
        "git": record::git_state(),
    });
    record::write_json(&dir, "trajectory.json", &record);
    bench_matmul(&mut criterion, &plan);
    bench_full_rank(&mut criterion, &plan);
    bench_rank(&mut criterion, &plan);
    bench_condition(&mut criterion, &plan, &shapes);
    bench_references(&mut criterion, &plan);
    bench_times(&mut criterion, &plan);
    bench_targets(&mut criterion, &plan, &e2e);
    bench_phases(&mut criterion);
    criterion.final_summary();
}

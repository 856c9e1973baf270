//! faer's dense kernels against the alternatives a user would pick instead (issue 22): faer on
//! one and on two threads, nalgebra (pure Rust), and — in `python/baselines.py`, on the very
//! inputs this binary writes — LAPACK/OpenBLAS as NumPy/SciPy call it.
//!
//! The kernels are those the trajectory uses: matrix multiply, Cholesky, triangular solve with
//! n right-hand sides, symmetric eigenvalues and full eigendecomposition, QR with column
//! pivoting, SVD. Each is called as a user calls it (faer's high-level API with the global
//! parallelism set to one or two threads, nalgebra's decompositions, which consume a copy of
//! their input): every timing includes the copy of the input and the allocation of the output
//! that the call makes, as NumPy's do.
//!
//! Inputs for each n (from [`instance::KERNEL_SEED`], stream n): `A`, `B` Gaussian `N(0, 1)`;
//! `S = Q diag(λ) Qᵀ` with `λᵢ = 10^(−3 i/(n−1))` (known spectrum, `cond = 1e3`); `L` faer's
//! Cholesky factor of `S`. Before timing, every backend's answer is checked (`backends.json`),
//! so that a fast wrong answer cannot win; the measures, all relative and in the Frobenius norm:
//!
//! | kernel | input | accuracy |
//! |---|---|---|
//! | matmul | `A B` | `‖C x − A (B x)‖ / (‖A‖ ‖B‖ ‖x‖)`, `x` Gaussian (Freivalds) |
//! | cholesky | `S` | `‖L Lᵀ − S‖ / ‖S‖` |
//! | triangular solve | `L X = B` | `‖L X − B‖ / (‖L‖ ‖X‖)` |
//! | eigenvalues | `S` | `max |λᵢ − λᵢ(exact)| / λ_max` |
//! | eigendecomposition | `S` | `‖V Λ Vᵀ − S‖ / ‖S‖` |
//! | QR, column pivoting | `A` | `‖Q R − A P‖ / ‖A‖` |
//! | SVD | `A` | `‖U Σ Vᵀ − A‖ / ‖A‖` |

use criterion::{BenchmarkId, Criterion};
use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, MatRef, Par, Side};
use mfflow_bench::instance;
use mfflow_bench::plan::{quick, BackendPlan};
use mfflow_bench::record;
use nalgebra::DMatrix;
use serde_json::json;
use std::hint::black_box;
use std::time::Duration;

/// The kernels, in report order: (id, whether nalgebra is slow at large n).
const KERNELS: [(&str, bool); 7] = [
    ("matmul", false),
    ("cholesky", false),
    ("triangular-solve", false),
    ("eigenvalues", true),
    ("eigen", true),
    ("qr-col-piv", true),
    ("svd", true),
];

/// One size's inputs.
struct Inputs {
    a: Mat<f64>,
    b: Mat<f64>,
    s: Mat<f64>,
    s_eigs: Vec<f64>,
    l: Mat<f64>,
}

fn inputs(n: usize) -> Inputs {
    let mut rng = instance::rng(instance::KERNEL_SEED, n as u64);
    let a = instance::gaussian(n, n, 1.0, &mut rng);
    let b = instance::gaussian(n, n, 1.0, &mut rng);
    let q = instance::orthogonal(n, &mut rng);
    let s_eigs: Vec<f64> = (0..n)
        .map(|i| 10f64.powf(-3.0 * i as f64 / (n - 1) as f64))
        .collect();
    let s = instance::symmetric_from(&q, &s_eigs);
    let l = s
        .llt(Side::Lower)
        .expect("S is positive definite")
        .L()
        .to_owned();
    Inputs { a, b, s, s_eigs, l }
}

fn to_na(m: MatRef<'_, f64>) -> DMatrix<f64> {
    DMatrix::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)])
}

fn from_na(m: &DMatrix<f64>) -> Mat<f64> {
    Mat::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)])
}

/// `‖a − b‖_F / scale`.
fn rel(a: MatRef<'_, f64>, b: MatRef<'_, f64>, scale: f64) -> f64 {
    (a - b).norm_l2() / scale
}

/// The Freivalds measure of a product `c ≈ a b`.
fn product_error(a: &Mat<f64>, b: &Mat<f64>, c: &Mat<f64>) -> f64 {
    let n = a.ncols();
    let x = instance::gaussian(
        n,
        1,
        1.0,
        &mut instance::rng(instance::KERNEL_SEED, 1 << 40),
    );
    let exact = a * (b * &x);
    rel(
        (c * &x).as_ref(),
        exact.as_ref(),
        a.norm_l2() * b.norm_l2() * x.norm_l2(),
    )
}

fn eigenvalue_error(got: &[f64], exact: &[f64]) -> f64 {
    let mut got = got.to_vec();
    got.sort_by(|a, b| b.total_cmp(a));
    got.iter()
        .zip(exact)
        .map(|(g, e)| (g - e).abs())
        .fold(0.0, f64::max)
        / exact[0]
}

/// `A P` for faer's column permutation `P` (column `j` of `A P` is column `fwd[j]` of `A`).
fn permute_columns(a: &Mat<f64>, fwd: &[usize]) -> Mat<f64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[(i, fwd[j])])
}

/// faer's answer and its accuracy for `kernel`, with the global parallelism as set.
fn faer_accuracy(kernel: &str, x: &Inputs) -> f64 {
    match kernel {
        "matmul" => product_error(&x.a, &x.b, &(&x.a * &x.b)),
        "cholesky" => {
            let llt = x.s.llt(Side::Lower).expect("positive definite");
            rel(llt.reconstruct().as_ref(), x.s.as_ref(), x.s.norm_l2())
        }
        "triangular-solve" => {
            let mut sol = x.b.clone();
            faer::linalg::triangular_solve::solve_lower_triangular_in_place(
                x.l.as_ref(),
                sol.as_mut(),
                Par::Seq,
            );
            rel(
                (&x.l * &sol).as_ref(),
                x.b.as_ref(),
                x.l.norm_l2() * sol.norm_l2(),
            )
        }
        "eigenvalues" => {
            let e =
                x.s.self_adjoint_eigenvalues(Side::Lower)
                    .expect("converges");
            eigenvalue_error(&e, &x.s_eigs)
        }
        "eigen" => {
            let e = x.s.self_adjoint_eigen(Side::Lower).expect("converges");
            rel(e.reconstruct().as_ref(), x.s.as_ref(), x.s.norm_l2())
        }
        "qr-col-piv" => {
            let qr = x.a.col_piv_qr();
            let ap = permute_columns(&x.a, qr.P().arrays().0);
            let qr_product = qr.compute_Q() * qr.R();
            rel(qr_product.as_ref(), ap.as_ref(), x.a.norm_l2())
        }
        "svd" => {
            let svd = x.a.svd().expect("converges");
            rel(svd.reconstruct().as_ref(), x.a.as_ref(), x.a.norm_l2())
        }
        _ => unreachable!("unknown kernel {kernel}"),
    }
}

fn nalgebra_accuracy(kernel: &str, x: &Inputs) -> f64 {
    let (a, b, s, l) = (
        to_na(x.a.as_ref()),
        to_na(x.b.as_ref()),
        to_na(x.s.as_ref()),
        to_na(x.l.as_ref()),
    );
    let back = |m: &DMatrix<f64>| from_na(m);
    match kernel {
        "matmul" => product_error(&x.a, &x.b, &back(&(&a * &b))),
        "cholesky" => {
            let ll = s.clone().cholesky().expect("positive definite").l();
            rel(
                back(&(&ll * ll.transpose())).as_ref(),
                x.s.as_ref(),
                x.s.norm_l2(),
            )
        }
        "triangular-solve" => {
            let sol = l.solve_lower_triangular(&b).expect("non-singular");
            let sol = back(&sol);
            rel(
                (&x.l * &sol).as_ref(),
                x.b.as_ref(),
                x.l.norm_l2() * sol.norm_l2(),
            )
        }
        "eigenvalues" => {
            let e = s.symmetric_eigenvalues();
            eigenvalue_error(e.as_slice(), &x.s_eigs)
        }
        "eigen" => {
            let e = s.clone().symmetric_eigen();
            rel(back(&e.recompose()).as_ref(), x.s.as_ref(), x.s.norm_l2())
        }
        "qr-col-piv" => {
            let qr = a.clone().col_piv_qr();
            let mut ap = a.clone();
            qr.p().permute_columns(&mut ap);
            rel(
                back(&(qr.q() * qr.r())).as_ref(),
                back(&ap).as_ref(),
                x.a.norm_l2(),
            )
        }
        "svd" => {
            let svd = a.clone().svd(true, true);
            let re = svd.recompose().expect("U and V computed");
            rel(back(&re).as_ref(), x.a.as_ref(), x.a.norm_l2())
        }
        _ => unreachable!("unknown kernel {kernel}"),
    }
}

/// Times faer's `kernel` on `x` with the global parallelism as set.
fn time_faer(b: &mut criterion::Bencher<'_>, kernel: &str, x: &Inputs, par: Par) {
    match kernel {
        "matmul" => b.iter(|| black_box(&x.a * &x.b)),
        "cholesky" => b.iter(|| black_box(x.s.llt(Side::Lower).expect("spd"))),
        "triangular-solve" => b.iter(|| {
            let mut sol = x.b.clone();
            faer::linalg::triangular_solve::solve_lower_triangular_in_place(
                x.l.as_ref(),
                sol.as_mut(),
                par,
            );
            black_box(sol)
        }),
        "eigenvalues" => b.iter(|| black_box(x.s.self_adjoint_eigenvalues(Side::Lower))),
        "eigen" => b.iter(|| black_box(x.s.self_adjoint_eigen(Side::Lower))),
        "qr-col-piv" => b.iter(|| black_box(x.a.col_piv_qr())),
        "svd" => b.iter(|| black_box(x.a.svd())),
        _ => unreachable!("unknown kernel {kernel}"),
    }
}

fn time_nalgebra(bch: &mut criterion::Bencher<'_>, kernel: &str, x: &Inputs) {
    let (a, b, s, l) = (
        to_na(x.a.as_ref()),
        to_na(x.b.as_ref()),
        to_na(x.s.as_ref()),
        to_na(x.l.as_ref()),
    );
    match kernel {
        "matmul" => bch.iter(|| black_box(&a * &b)),
        "cholesky" => bch.iter(|| black_box(s.clone().cholesky())),
        "triangular-solve" => bch.iter(|| black_box(l.solve_lower_triangular(&b))),
        "eigenvalues" => bch.iter(|| black_box(s.symmetric_eigenvalues())),
        "eigen" => bch.iter(|| black_box(s.clone().symmetric_eigen())),
        "qr-col-piv" => bch.iter(|| black_box(a.clone().col_piv_qr())),
        "svd" => bch.iter(|| black_box(a.clone().svd(true, true))),
        _ => unreachable!("unknown kernel {kernel}"),
    }
}

/// The profile of faer's symmetric eigenvalues and SVD: their first phase alone — the
/// reduction to tridiagonal form (`4/3 n³` flops) and to bidiagonal form (`8/3 n³` flops) —
/// with the block size faer's own drivers use, on one and two threads. The report sets them
/// against the whole call and against matmul's rate.
fn bench_profile(c: &mut Criterion, all: &[(usize, Inputs)]) {
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::linalg::evd::tridiag::{tridiag_in_place, tridiag_in_place_scratch};
    use faer::linalg::qr::no_pivoting::factor::recommended_block_size;
    use faer::linalg::svd::bidiag::{bidiag_in_place, bidiag_in_place_scratch};
    let mut group = c.benchmark_group("backends-profile");
    for (n, x) in all {
        let n = *n;
        let bs = recommended_block_size::<f64>(n, n);
        for (name, par) in faer_backends() {
            let mut work = x.s.clone();
            let mut h = Mat::<f64>::zeros(bs, n - 1);
            let mut buf =
                MemBuffer::new(tridiag_in_place_scratch::<f64>(n, par, Default::default()));
            group.bench_function(BenchmarkId::new(format!("tridiag-{name}"), n), |b| {
                b.iter(|| {
                    work.copy_from(&x.s);
                    tridiag_in_place(
                        work.as_mut(),
                        h.as_mut(),
                        par,
                        MemStack::new(&mut buf),
                        Default::default(),
                    );
                    black_box(&work);
                })
            });
            let mut work = x.a.clone();
            let mut hl = Mat::<f64>::zeros(bs, n);
            let mut hr = Mat::<f64>::zeros(bs, n - 1);
            let mut buf = MemBuffer::new(bidiag_in_place_scratch::<f64>(
                n,
                n,
                par,
                Default::default(),
            ));
            group.bench_function(BenchmarkId::new(format!("bidiag-{name}"), n), |b| {
                b.iter(|| {
                    work.copy_from(&x.a);
                    bidiag_in_place(
                        work.as_mut(),
                        hl.as_mut(),
                        hr.as_mut(),
                        par,
                        MemStack::new(&mut buf),
                        Default::default(),
                    );
                    black_box(&work);
                })
            });
        }
    }
    group.finish();
}

/// The faer backends: (name, parallelism).
fn faer_backends() -> [(&'static str, Par); 2] {
    [("faer-1t", Par::Seq), ("faer-2t", Par::rayon(2))]
}

fn main() {
    let plan = BackendPlan::new(quick());
    let mut criterion = Criterion::default().configure_from_args();
    criterion = if plan.quick {
        criterion
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(500))
            .sample_size(10)
    } else {
        criterion
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1))
            .sample_size(10)
    };
    let load = record::load_average();
    let dir = record::bench_dir();
    let input_dir = dir.join("backend-inputs");
    let all: Vec<(usize, Inputs)> = plan.sizes.iter().map(|&n| (n, inputs(n))).collect();
    // Accuracy of every backend, and the inputs for Python.
    let mut rows = Vec::new();
    let mut files = Vec::new();
    for (n, x) in &all {
        let sub = format!("n{n}");
        let d = input_dir.join(&sub);
        files.push(json!({
            "n": n,
            "dir": format!("backend-inputs/{sub}"),
            "a": record::write_matrix(&d, "a", x.a.as_ref()),
            "b": record::write_matrix(&d, "b", x.b.as_ref()),
            "s": record::write_matrix(&d, "s", x.s.as_ref()),
            "s_eigs": record::write_vector(&d, "s_eigs", &x.s_eigs),
            "l": record::write_matrix(&d, "l", x.l.as_ref()),
        }));
        for (kernel, slow) in KERNELS {
            for (name, par) in faer_backends() {
                faer::set_global_parallelism(par);
                rows.push(json!({"kernel": kernel, "backend": name, "n": n,
                                 "accuracy": faer_accuracy(kernel, x)}));
            }
            if !slow || *n <= plan.nalgebra_slow_max_n {
                rows.push(json!({"kernel": kernel, "backend": "nalgebra", "n": n,
                                 "accuracy": nalgebra_accuracy(kernel, x)}));
            }
        }
    }
    faer::set_global_parallelism(Par::rayon(0));
    record::write_json(
        &dir,
        "backends.json",
        &json!({"plan": plan.to_json(), "inputs": files, "accuracy": rows,
                "load_average_start": load, "git": record::git_state()}),
    );
    for (kernel, slow) in KERNELS {
        let mut group = criterion.benchmark_group(format!("backends-{kernel}"));
        for (n, x) in &all {
            for (name, par) in faer_backends() {
                faer::set_global_parallelism(par);
                group.bench_function(BenchmarkId::new(name, n), |b| time_faer(b, kernel, x, par));
            }
            faer::set_global_parallelism(Par::rayon(0));
            if !slow || *n <= plan.nalgebra_slow_max_n {
                group.bench_function(BenchmarkId::new("nalgebra", n), |b| {
                    time_nalgebra(b, kernel, x)
                });
            }
        }
        group.finish();
    }
    bench_profile(&mut criterion, &all);
    criterion.final_summary();
}

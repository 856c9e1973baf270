#!/usr/bin/env python3
"""NumPy/SciPy (LAPACK/OpenBLAS) baselines for the performance report, timed in the same run as
the Rust benchmarks and on the very inputs they wrote (see crates/mfflow-bench/src/record.rs).

Usage: baselines.py --bench-dir DIR --out FILE [--quick]

DIR is criterion's directory of the run (CRITERION_HOME): it holds `backends.json` and
`trajectory.json`, written by the two bench binaries, and the matrices they name. FILE receives
one JSON document:

* `environment`: Python, NumPy and SciPy versions, the BLAS/LAPACK libraries NumPy and SciPy
  loaded as threadpoolctl reports them (library, version, the OpenBLAS kernel it chose, threads),
  and which of OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE were unset before NumPy was loaded (the
  machine's environment may pin a kernel; the issue asks for OpenBLAS's own choice).
* `kernels`: for each kernel and n, the time of the call a NumPy/SciPy user makes, on one and on
  two OpenBLAS threads, and its accuracy, measured exactly as the Rust bench measures it.
* `e2e`: the trajectory as a skilled user writes it with NumPy/SciPy (the stable inverse form with
  a Cholesky per output time, then `eigvalsh` of each W), and for small n SciPy's `solve_ivp`
  (DOP853, rtol 1e-12) on the factor ODE (2) followed by `eigvalsh`; timed, and compared with
  mfflow's answers on the same instance.

Times: mean over repeated calls and a 95% interval for the mean (mean +- 1.96 sd / sqrt(k)); a
call shorter than 2 ms is timed in batches so that the clock's resolution does not matter.
If NumPy or SciPy is missing, FILE says so (`available: false`) and the script exits 0.
"""

import os
import sys

UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
if any(k in os.environ for k in UNSET):
    # OpenBLAS reads these when it is loaded: re-run without them, before importing NumPy.
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env["MFFLOW_BASELINES_UNSET"] = ",".join(k for k in UNSET if k in os.environ)
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bench-dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--quick", action="store_true")
    return p.parse_args()


def write(path, doc):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, path)


def measure(f, budget, min_reps=3, max_reps=500, cap=None):
    """Mean time of f() in seconds with a 95% interval, over repeated calls (batched if short).

    If the first call takes longer than `cap` seconds it is the only sample (`samples: 1`, no
    interval): on an oversubscribed machine OpenBLAS's spinning threads can make a call fifty
    times slower, and repeating it would only spend minutes confirming that.
    """
    t0 = time.perf_counter()
    f()  # warm-up (and the length of one call)
    once = time.perf_counter() - t0
    if cap is not None and once > cap:
        return {"mean": once, "lo": once, "hi": once, "samples": 1, "batch": 1, "capped": True}
    if once > budget:
        # A call longer than the whole budget (a slow route, or OpenBLAS's spinning threads on
        # an oversubscribed machine): two samples only.
        min_reps = min(min_reps, 2)
    batch = max(1, int(2e-3 / max(once, 1e-9)))
    samples = []
    start = time.perf_counter()
    while len(samples) < min_reps or (
        time.perf_counter() - start < budget and len(samples) < max_reps
    ):
        t0 = time.perf_counter()
        for _ in range(batch):
            f()
        samples.append((time.perf_counter() - t0) / batch)
    k = len(samples)
    mean = sum(samples) / k
    sd = math.sqrt(sum((s - mean) ** 2 for s in samples) / (k - 1)) if k > 1 else 0.0
    half = 1.96 * sd / math.sqrt(k)
    return {"mean": mean, "lo": max(mean - half, 0.0), "hi": mean + half, "samples": k,
            "batch": batch}


def main():
    args = parse_args()
    doc = {"available": False}
    try:
        import numpy as np
        import scipy
        import scipy.linalg as sla
        from scipy.integrate import solve_ivp
    except ImportError as e:
        doc["reason"] = f"NumPy/SciPy not importable: {e}"
        write(args.out, doc)
        print(f"baselines.py: {doc['reason']}", file=sys.stderr)
        return 0
    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None

    def load(base, desc):
        raw = np.fromfile(os.path.join(base, desc["file"]), dtype="<f8")
        m = raw.reshape((desc["cols"], desc["rows"])).T
        return np.ascontiguousarray(m)

    def limits(threads):
        if threadpoolctl is None:
            return _Null()
        return threadpoolctl.threadpool_limits(limits=threads, user_api="blas")

    class _Null:
        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

    env = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "unset": [k for k in os.environ.get("MFFLOW_BASELINES_UNSET", "").split(",") if k],
        "threadpoolctl": None,
    }
    if threadpoolctl is not None:
        env["threadpoolctl"] = [
            {k: v for k, v in info.items() if k != "filepath"}
            for info in threadpoolctl.threadpool_info()
        ]
    doc = {"available": True, "environment": env, "kernels": [], "e2e": []}
    bench = args.bench_dir
    budget = 0.3 if args.quick else 1.0

    # --- Kernels (issue 22).
    with open(os.path.join(bench, "backends.json")) as f:
        backends = json.load(f)
    rng = np.random.default_rng(1)
    for entry in backends["inputs"]:
        n = entry["n"]
        base = os.path.join(bench, entry["dir"])
        a, b, s, l = (load(base, entry[k]) for k in ("a", "b", "s", "l"))
        s_eigs = load(base, entry["s_eigs"])[:, 0]
        fro = np.linalg.norm
        x = rng.standard_normal((n, 1))

        def acc_matmul(c):
            return fro(c @ x - a @ (b @ x)) / (fro(a) * fro(b) * fro(x))

        def acc_eigs(e):
            return float(np.max(np.abs(np.sort(e)[::-1] - s_eigs)) / s_eigs[0])

        def acc_qr():
            q, r, p = sla.qr(a, pivoting=True, mode="economic", check_finite=False)
            return fro(q @ r - a[:, p]) / fro(a)

        def acc_svd():
            u, sv, vt = np.linalg.svd(a)
            return fro((u * sv) @ vt - a) / fro(a)

        def acc_eigh():
            w, v = np.linalg.eigh(s)
            return fro((v * w) @ v.T - s) / fro(s)

        def acc_chol():
            c = sla.cholesky(s, lower=True, check_finite=False)
            return fro(c @ c.T - s) / fro(s)

        def acc_solve():
            sol = sla.solve_triangular(l, b, lower=True, check_finite=False)
            return fro(l @ sol - b) / (fro(l) * fro(sol))

        kernels = [
            ("matmul", lambda: a @ b, lambda: acc_matmul(a @ b)),
            ("cholesky", lambda: sla.cholesky(s, lower=True, check_finite=False), acc_chol),
            (
                "triangular-solve",
                lambda: sla.solve_triangular(l, b, lower=True, check_finite=False),
                acc_solve,
            ),
            ("eigenvalues", lambda: np.linalg.eigvalsh(s), lambda: acc_eigs(np.linalg.eigvalsh(s))),
            ("eigen", lambda: np.linalg.eigh(s), acc_eigh),
            (
                "qr-col-piv",
                lambda: sla.qr(a, pivoting=True, mode="raw", check_finite=False),
                acc_qr,
            ),
            ("svd", lambda: np.linalg.svd(a), acc_svd),
        ]
        for name, call, acc in kernels:
            for threads in (1, 2):
                with limits(threads):
                    t = measure(call, budget)
                    accuracy = float(acc())
                doc["kernels"].append(
                    dict(kernel=name, backend=f"openblas-{threads}t", n=n, accuracy=accuracy, **t)
                )
        print(f"baselines.py: kernels at n = {n} done", file=sys.stderr)

    # --- End to end (issue 14 and issue 22 item 2).
    with open(os.path.join(bench, "trajectory.json")) as f:
        trajectory = json.load(f)
    for inst in trajectory["e2e"]:
        base = os.path.join(bench, "e2e", inst["dir"])
        y, u0 = load(base, inst["y"]), load(base, inst["u0"])
        times = load(base, inst["times"])[:, 0]
        alpha, n = inst["alpha"], inst["n"]
        ref_eigs = load(base, inst["mfflow_eigenvalues"])
        ref_w = {w["index"]: load(base, w["matrix"]) for w in inst["mfflow_w"]}
        y_norm = float(np.max(np.abs(np.linalg.eigvalsh(y))))

        # The skilled user's script: eigendecomposition of Y once, then per time point
        # W(t) = alpha X^T X with X = L^{-1} Phi^T and L L^T = E P E + alpha D (MATH.md 3).
        def setup():
            lam, phi = np.linalg.eigh(y)
            g_inv = np.linalg.inv(phi.T @ u0)
            p = g_inv.T @ g_inv
            return lam, phi, 0.5 * (p + p.T)

        lam, phi, p = setup()
        phi_t = np.ascontiguousarray(phi.T)

        def w_at(t):
            e = np.exp(-lam * t)
            d = np.where(lam == 0.0, 2.0 * t, -np.expm1(-2.0 * lam * t) / np.where(lam == 0, 1, lam))
            m = e[:, None] * p * e[None, :]
            m[np.diag_indices(n)] += alpha * d
            c = sla.cholesky(m, lower=True, check_finite=False)
            xm = sla.solve_triangular(c, phi_t, lower=True, check_finite=False)
            return alpha * (xm.T @ xm)

        def numpy_w():
            return [w_at(t) for t in times]

        def numpy_w_eig():
            ws = numpy_w()
            return ws, [np.linalg.eigvalsh(w)[::-1] for w in ws]

        def errors(ws, eigs, indices):
            w_err = max(float(np.max(np.abs(ws[k] - ref_w[k]))) / y_norm for k in indices)
            rel = np.abs(np.array(eigs) - ref_eigs) / np.abs(ref_eigs)
            return w_err, float(np.max(rel)), float(np.median(rel))

        rows = []
        e2e_budget = 1.0 if args.quick else 3.0
        reps = 2 if args.quick else 3
        t = measure(setup, budget, min_reps=2)
        rows.append(dict(method="numpy-setup", **t))
        # On one and on two OpenBLAS threads: the report compares with the faster, as a user
        # would pick it.
        one_thread = {}
        for threads in (1, 2):
            with limits(threads):
                # Two threads: a first call five times slower than one thread's mean is the
                # only sample (see measure).
                cap = None if threads == 1 else 5 * one_thread["numpy-w"]
                t = measure(numpy_w, e2e_budget, min_reps=reps, cap=cap)
                one_thread.setdefault("numpy-w", t["mean"])
                rows.append(dict(method="numpy-w", threads=threads, **t))
                cap = None if threads == 1 else 5 * one_thread["numpy-w-eigvalsh"]
                t = measure(numpy_w_eig, e2e_budget, min_reps=reps, cap=cap)
                one_thread.setdefault("numpy-w-eigvalsh", t["mean"])
                if threads == 1:
                    # The answers, compared with mfflow's once (on one thread; two threads
                    # compute the same formulas and differ by rounding only).
                    ws, eigs = numpy_w_eig()
                    w_err, eig_max, eig_median = errors(ws, eigs, ref_w.keys())
            rows.append(
                dict(method="numpy-w-eigvalsh", threads=threads, w_diff=w_err,
                     eig_rel_diff_max=eig_max, eig_rel_diff_median=eig_median, **t)
            )
        if n <= 64:
            u_init = math.sqrt(alpha) * u0
            atol = 1e-12 * 1e-3 * float(np.max(np.abs(u_init)))

            def rhs(_t, u):
                um = u.reshape((n, n))
                return ((y - um @ um.T) @ um).ravel()

            def ode():
                sol = solve_ivp(rhs, (0.0, float(times[-1])), u_init.ravel(), method="DOP853",
                                t_eval=times, rtol=1e-12, atol=atol)
                us = [sol.y[:, k].reshape((n, n)) for k in range(len(times))]
                ws = [um @ um.T for um in us]
                return sol, ws, [np.linalg.eigvalsh(w)[::-1] for w in ws]

            with limits(1):  # n = 64: one thread is faster, and the ODE is serial anyway
                t = measure(lambda: ode(), 0.0, min_reps=1 if args.quick else 2)
            with limits(1):
                sol, ws, eigs = ode()
            w_err, eig_max, eig_median = errors(ws, eigs, ref_w.keys())
            rows.append(
                dict(method="scipy-dop853-eigvalsh", w_diff=w_err, eig_rel_diff_max=eig_max,
                     eig_rel_diff_median=eig_median, nfev=int(sol.nfev), status=int(sol.status),
                     atol=atol, threads=1, **t)
            )
        doc["e2e"].append({"name": inst["name"], "n": n, "times": len(times), "rows": rows})
        print(f"baselines.py: end to end {inst['name']} done", file=sys.stderr)

    write(args.out, doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""High-precision reference eigenvalues of W(t) for the edge-case tests (tests/eigenvalue_reference.rs).

Independent of the Rust code: it evaluates the Woodbury form of the closed form (5),
    W~(t) = X (I + X^T D X)^{-1} X^T,  X = S(t) Phi^T sqrt(alpha) U0,
    S = diag(e^{l_i t}),  D = diag((1 - e^{-2 l_i t}) / l_i)  (2t when l_i = 0),
with mpmath at a working precision chosen per time point from the dynamic range it has to carry
(about log10(e^{2 |l|max t} / alpha) + 2 |log10 alpha| + 60 digits), then the eigenvalues of W~
(those of W, since Phi is orthogonal) with mpmath's symmetric eigensolver. The inputs are the
exact binary64 values the Rust test uses (written with repr, read back exactly).

Run:  python3 -m pip install mpmath==1.3.0 && python3 eigenvalues.py > eigenvalues.json
"""
import json
import math
import sys

import mpmath as mp


def rotation(n, seed):
    """A fixed orthogonal matrix (product of plane rotations with given angles), in binary64."""
    q = [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
    k = 0
    for i in range(n):
        for j in range(i + 1, n):
            k += 1
            a = 0.3 + 0.7 * math.sin(seed * 1.7 + k * 2.3)
            c, s = math.cos(a), math.sin(a)
            for row in q:
                x, y = row[i], row[j]
                row[i], row[j] = c * x - s * y, s * x + c * y
    return q


def sym_from(eigs, q):
    n = len(eigs)
    y = [[sum(q[i][k] * eigs[k] * q[j][k] for k in range(n)) for j in range(n)] for i in range(n)]
    # exactly symmetric binary64
    for i in range(n):
        for j in range(i):
            y[i][j] = y[j][i]
    return y


def eig_w(y, u0, alpha, t):
    n, r = len(y), len(u0[0])

    ynorm = max(abs(v) for row in y for v in row) * n
    digits = 60 + 2 * abs(math.log10(alpha)) + 2 * ynorm * t / math.log(10) + 40
    mp.mp.dps = int(digits)
    ym = mp.matrix(y)
    l, phi = mp.eigsy(ym)
    sa = mp.sqrt(mp.mpf(alpha))
    f = phi.T * mp.matrix(u0) * sa
    x = mp.matrix(n, r)
    d = []
    for i in range(n):
        li = l[i]
        e = mp.exp(li * t)
        for j in range(r):
            x[i, j] = e * f[i, j]
        d.append(2 * mp.mpf(t) if li == 0 else -mp.expm1(-2 * li * t) / li)
    k = mp.eye(r)
    for a in range(r):
        for b in range(r):
            k[a, b] += mp.fsum(d[i] * x[i, a] * x[i, b] for i in range(n))
    w = x * mp.inverse(k) * x.T
    ev, _ = mp.eigsy(w)
    ev = sorted([ev[i] for i in range(n)], reverse=True)
    # W has rank min(n, r) (every shape here has full column rank): the rest are exact zeros,
    # which the eigensolver returns as noise at the working precision.
    for i in range(min(n, r), n):
        ev[i] = mp.mpf(0)
    out = []
    for v in ev:
        if abs(v) < mp.mpf(10) ** (-330):
            out.append("0")
        else:
            out.append(mp.nstr(v, 25, min_fixed=1, max_fixed=0))
    return out


def grid(alpha, ls, extra=()):
    ts = {0.0}
    for lk in ls:
        if lk <= 0:
            continue
        tk = math.log(1 / alpha) / (2 * lk)
        for fr in (0.25, 0.5, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.5):
            ts.add(float("%.6g" % (fr * tk)))
    ts.update(extra)
    return sorted(ts)


def main():
    cases = []
    ex_y = [[2.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 0.0]]
    ex_u0 = [[0.8, -0.3, 0.5, 1.1], [-0.2, 0.9, 0.4, -0.6], [0.7, 0.1, -1.2, 0.3]]
    ex_l = [2.2071067811865475, 0.7928932188134524]
    for alpha in (1e-300, 1e-200, 1e-100, 1e-12, 1e-3):
        extra = (105.0,) if alpha == 1e-200 else ()
        if alpha == 1e-300:
            extra = (150.0, 170.0, 190.0, 210.0)
        cases.append(("example", ex_y, ex_u0, alpha, grid(alpha, ex_l, extra)))
    # The same instance scaled: Y -> c Y, W -> c W, t -> t / c, alpha -> c alpha.
    for c, alpha in ((1e150, 1e50), (1e-150, 1e-250)):
        y = [[c * v for v in row] for row in ex_y]
        ts = [t / c for t in grid(1e-100, ex_l)]
        cases.append(("example-scaled", y, ex_u0, alpha, ts))
    # A tiny but nonzero column (issue 15, item 2).
    cases.append(("tiny-column", [[1.0, 0.2], [0.2, 0.5]], [[1.0, 0.0], [0.0, 1e-200]], 1.0,
                  [0.0, 500.0, 1000.0, 1070.0, 1100.0, 1200.0, 3000.0]))
    q4 = rotation(4, 1)
    y4 = sym_from([3.0, 2.0, 1.0, 0.5], q4)
    u4 = [[0.9, -0.4], [0.3, 1.1], [-0.7, 0.2], [0.5, 0.6]]
    cases.append(("rank-deficient", y4, u4, 1e-200, grid(1e-200, [3.0, 2.0, 1.0, 0.5])))
    # Full rank but cond(W0bar) ~ 1e12: the factor form under Form::Auto.
    ill = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1e-3, 0.0], [0.0, 0.0, 0.0, 1e-6]]
    q4b = rotation(4, 2)
    u_ill = [[sum(q4b[i][k] * ill[k][j] for k in range(4)) for j in range(4)] for i in range(4)]
    cases.append(("ill-conditioned", y4, u_ill, 1e-30, grid(1e-30, [3.0, 2.0, 1.0, 0.5])))
    q3 = rotation(3, 3)
    y3 = sym_from([2.0, 0.5, -1.0], q3)
    u3 = [[0.6, -0.2], [0.1, 0.8], [-0.5, 0.4]]
    cases.append(("indefinite", y3, u3, 1e-50, grid(1e-50, [2.0, 0.5])))
    out = []
    for name, y, u0, alpha, ts in cases:
        for t in ts:
            out.append({"case": name, "y": y, "u0": u0, "alpha": alpha, "t": t,
                        "eigenvalues": eig_w(y, u0, alpha, t)})
            print(name, alpha, t, file=sys.stderr)
    json.dump({"generator": "eigenvalues.py (mpmath %s)" % mp.__version__, "points": out},
              sys.stdout, indent=0)
    print()


if __name__ == "__main__":
    main()

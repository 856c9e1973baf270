//! The scalar map of a spectral start: `w ← w (1 + η (l − w))²`, in the units `v = w / l`,
//! `a = η l`: `v ← v (1 + a (1 − v))²`.
//!
//! Its fixed point `v = 1` has derivative `1 − 2a`: stable for `0 < a < 1` (the stability limit
//! `η l = 1`), and at `a = 1` the derivative passes `−1` (period doubling). In `x = a v` the
//! map is `x ← x (1 + a − x)²`, whose maximum on `[0, 1 + a]` is `4 (1 + a)³ / 27` at
//! `x = (1 + a)/3`; the interval `[0, 2 + a]` (`2 + a` the other fixed point of the escape) is
//! mapped into itself exactly when `4 (1 + a)³ ≤ 27 (2 + a)`, i.e. `a ≤ 2` (`b = 1 + a = 3` is
//! the root of `4 b³ − 27 b − 27`). So orbits from a small start stay bounded up to `a = 2` and
//! escape beyond (after a transient that grows as `a` approaches 2 from above).

/// One step of the map.
pub fn step(v: f64, a: f64) -> f64 {
    let f = 1.0 + a * (1.0 - v);
    v * f * f
}

/// Where an orbit is certainly escaping: `x > 2 + a`, i.e. `v > (2 + a) / a`.
pub fn escaping(v: f64, a: f64) -> bool {
    !v.is_finite() || v > (2.0 + a) / a
}

/// What one orbit from `v0` did: the step at which it escaped, or its last `tail` values.
#[derive(Debug, Clone)]
pub enum Orbit {
    Escaped(u64),
    Tail(Vec<f64>),
}

/// Runs `steps` steps from `v0` and keeps the last `tail` values.
pub fn orbit(v0: f64, a: f64, steps: u64, tail: usize) -> Orbit {
    let mut v = v0;
    let mut kept = Vec::with_capacity(tail);
    for k in 0..steps {
        v = step(v, a);
        if escaping(v, a) {
            return Orbit::Escaped(k + 1);
        }
        if k + tail as u64 >= steps {
            kept.push(v);
        }
    }
    Orbit::Tail(kept)
}

/// The smallest period `p ≤ seq.len() / 4` with `|s_{j+p} − s_j| ≤ tol` for every `j`, if any.
pub fn period(seq: &[f64], tol: f64) -> Option<usize> {
    (1..=seq.len() / 4).find(|&p| (0..seq.len() - p).all(|j| (seq[j + p] - seq[j]).abs() <= tol))
}

/// The largest `a` in `[1, hi]` (by `bisection_steps` halvings) at which the attractor of the
/// map just above the stability limit, the period-2 cycle born at `a = 1` with zero amplitude,
/// stays within `tol` of the fixed point: `max |v − 1| ≤ tol` over the last `tail` of `steps`
/// steps from `v0 = 1 + tol / 2`. Returns the bracket `[within, not within]`, or `None` if the
/// cycle is already within `tol` at `hi`.
pub fn cycle_within(tol: f64, hi: f64, steps: u64, bisection_steps: usize) -> Option<(f64, f64)> {
    let within = |a: f64| match orbit(1.0 + 0.5 * tol, a, steps, 64) {
        Orbit::Tail(t) => t.iter().all(|v| (v - 1.0).abs() <= tol),
        Orbit::Escaped(_) => false,
    };
    if within(hi) {
        return None;
    }
    let (mut lo, mut hi) = (1.0, hi);
    for _ in 0..bisection_steps {
        let mid = 0.5 * (lo + hi);
        if within(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some((lo, hi))
}

/// Steps for a small start `v0` to reach the neighbourhood of its fixed point at the
/// linear-phase rate `(1 + a)²` per step, times 1.5, plus 10.
pub fn learning_steps(v0: f64, a: f64) -> u64 {
    (1.5 * (1.0 / v0).ln().max(1.0) / (2.0 * a.ln_1p())).ceil() as u64 + 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_stability_and_escape_thresholds() {
        // Below the limit: converges to 1.
        match orbit(1e-6, 0.9, 2000, 8) {
            Orbit::Tail(t) => assert!(t.iter().all(|v| (v - 1.0).abs() < 1e-9), "{t:?}"),
            Orbit::Escaped(k) => panic!("escaped at {k}"),
        }
        // Just above: a period-2 orbit around 1.
        match orbit(1e-6, 1.1, 20_000, 16) {
            Orbit::Tail(t) => {
                assert_eq!(period(&t, 1e-9), Some(2));
                assert!(t[0] < 1.0 && t[1] > 1.0 || t[0] > 1.0 && t[1] < 1.0);
            }
            Orbit::Escaped(k) => panic!("escaped at {k}"),
        }
        // At a = 2 the interval [0, 2 + a] maps into itself: bounded; beyond, it escapes.
        assert!(matches!(orbit(1e-6, 1.999, 200_000, 8), Orbit::Tail(_)));
        assert!(matches!(orbit(1e-6, 2.05, 200_000, 8), Orbit::Escaped(_)));
        // The period-2 cycle grows from zero amplitude: within 0.01 of 1 only just above a = 1.
        // Near a = 1 + d its half-width is about sqrt(d) (normal form of a flip), so the
        // bracket must lie between 1 and 1 + a few times 0.01^2.
        let (lo, hi) = cycle_within(0.01, 1.1, 200_000, 30).expect("wide at 1.1");
        assert!(lo > 1.0 && hi < 1.0 + 4.0 * 0.01 * 0.01, "[{lo}, {hi}]");
        match orbit(1.0 + 0.005, 0.5 * (lo + hi) + 1e-4, 200_000, 8) {
            Orbit::Tail(t) => assert!(t.iter().any(|v| (v - 1.0).abs() > 0.01), "{t:?}"),
            Orbit::Escaped(k) => panic!("escaped at {k}"),
        }
        // The escape point is a fixed point: x = 2 + a.
        let a = 1.5;
        let v = (2.0 + a) / a;
        assert!((step(v, a) - v).abs() < 1e-12);
    }
}

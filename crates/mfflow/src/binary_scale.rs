//! Exact scaling by powers of two, over the whole exponent range of f64 (subnormals included).
//!
//! The trajectory normalizes each instance by a power of two (`Y/s`, `t s`), the target and the
//! symmetric eigensolver scale their input to largest entry ~1, and one-sided Jacobi carries
//! every row as mantissa × `2^e`: all of them need `2^e` beyond one f64 factor (bringing a
//! subnormal to `[1, 2)` takes `2^1074`) and `⌊log₂ x⌋`, which live here once.

/// `⌊log₂ x⌋` for a finite `x > 0` (subnormals included: down to −1074).
pub(crate) fn exponent(x: f64) -> i32 {
    x.log2().floor() as i32
}

/// `x · 2^e` for `e` in `[−2046, 2046]`, in two exact steps, so that a subnormal `x` can be
/// brought to `[1, 2)` (which needs more than `2^1023`, not representable in one factor).
pub(crate) fn scale_pow2(x: f64, e: i32) -> f64 {
    let half = e / 2;
    x * pow2(half) * pow2(e - half)
}

/// `2^e` for any `e` in f64's exponent range (exact).
pub(crate) fn pow2(e: i32) -> f64 {
    // Two factors, so that e down to −2044 and up to 2046 stay exact without overflow of one.
    let half = e / 2;
    f64::powi(2.0, half) * f64::powi(2.0, e - half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnormals_reach_one_and_back_exactly() {
        for x in [5e-324, 4e-315, 1e-310, 1.0, 3e300] {
            let e = exponent(x);
            let m = scale_pow2(x, -e);
            assert!((1.0..2.0).contains(&m), "{x:e}: {m}");
            assert_eq!(scale_pow2(m, e), x);
        }
        assert_eq!(pow2(-1074), 5e-324);
        assert_eq!(pow2(1023), 2f64.powi(1023));
    }
}

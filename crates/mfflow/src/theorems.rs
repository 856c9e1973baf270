//! Theorems 3 and 4 of the paper: incremental learning, with their exact constants.
//!
//! With the K nonzero eigenvalues of a PSD target distinct and sorted, `Ŷ_k` the best rank-k
//! approximation and
//!
//! ```text
//! I_k = [ log(C_ε/α) / (2 l_k),  log(c_ε/α) / (2 l_{k+1}) ],   k = 1..K,  1/(2 l_{K+1}) := ∞   (16)
//! ```
//!
//! both theorems conclude `‖W(t) − Ŷ_k‖₂ ≤ ε` for all `t ∈ I_k` (17)/(23), under the separation
//! condition `(log c_ε − log α)/(log C_ε − log α) > max_k l_{k+1}/l_k` and:
//!
//! * Theorem 3 (spectral init, `Φᵀ W̄₀ Φ = diag(s)`, `sᵢ > 0` for `i ≤ K`), `0 < ε ≤ l_K`:
//!   `c_ε = ε / maxᵢ sᵢ`, `C_ε = l₁² / (ε min_{i≤K} sᵢ)`, and `α ≤ c_ε`.
//! * Theorem 4 (general init, `W̃̄₀ = Φᵀ Ū₀ Ū₀ᵀ Φ` invertible, `M = max(‖W̃̄₀⁻¹‖, ‖W̃̄₀‖)`),
//!   `0 < ε ≤ min(l_K, 1)`: `c_ε = ε/(16 M²)`, `C_ε = 16 l₁² M²/ε`, and `α ≤ c_ε / M`.
//!
//! (The extracted paper text garbles Theorem 4's `c_ε`; the slides give the values above.)
//! Alongside the theorem's verdict, [`Verdict::max_error`] is the error measured on the exact
//! trajectory over each `I_k` — the evidence, which must be ≤ ε wherever the theorem applies.

use crate::dense::symmetric_eigenvalues;
use crate::error::Error;
use crate::init::Init;
use crate::metrics::spectral_error_to_rank_k;
use crate::target::Target;
use crate::trajectory::{Form, Trajectory};

/// Relative tolerance for "distinct" eigenvalues and for "diagonal" (spectral) shapes.
pub const STRUCTURE_TOLERANCE: f64 = 1e-10;
/// Default number of grid points per interval for the measured error.
pub const DEFAULT_GRID_POINTS: usize = 401;
/// An unbounded `I_K = [a, ∞)` is measured over `[a, (1 + UNBOUNDED_STRETCH) a]`.
pub const UNBOUNDED_STRETCH: f64 = 10.0;

/// One interval `I_k = [start, end]`; `end = None` for the unbounded `I_K`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The rank `k` learned on this interval.
    pub k: usize,
    /// `log(C_ε/α) / (2 l_k)`.
    pub start: f64,
    /// `log(c_ε/α) / (2 l_{k+1})`, or `None` (∞) for `k = K`.
    pub end: Option<f64>,
}

impl Interval {
    /// Whether the interval contains at least one time `t ≥ 0`.
    pub fn is_empty(&self) -> bool {
        matches!(self.end, Some(e) if e < self.start.max(0.0))
    }

    /// `n` grid points over the interval (clipped to `t ≥ 0`); the unbounded one is measured
    /// over a stretch ten times as long as its start. Empty intervals give no points.
    pub fn grid(&self, n: usize) -> Vec<f64> {
        let a = self.start.max(0.0);
        let b = match self.end {
            Some(e) => e,
            None => a * (1.0 + UNBOUNDED_STRETCH),
        };
        if self.is_empty() || n == 0 {
            return Vec::new();
        }
        if n == 1 || b == a {
            return vec![a];
        }
        (0..n)
            .map(|i| a + (b - a) * i as f64 / (n - 1) as f64)
            .collect()
    }
}

/// What a theorem says about one instance, and what was measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Whether every hypothesis and condition holds (so the conclusion is guaranteed).
    pub applies: bool,
    /// Why not, when it does not apply.
    pub reason: Option<String>,
    /// `c_ε`, when the hypotheses allow computing it.
    pub c_eps: Option<f64>,
    /// `C_ε`.
    pub big_c_eps: Option<f64>,
    /// `M` (Theorem 4 only).
    pub m: Option<f64>,
    /// The largest α the theorem allows: `c_ε` (Theorem 3) or `c_ε/M` (Theorem 4).
    pub alpha_bound: Option<f64>,
    /// Whether `α ≤ alpha_bound`.
    pub alpha_ok: Option<bool>,
    /// Whether the separation condition holds.
    pub separation_ok: Option<bool>,
    /// The intervals `I_1 … I_K`.
    pub intervals: Vec<Interval>,
    /// The measured `max ‖W(t) − Ŷ_k‖₂` over each interval's grid (`None` for an empty one).
    pub max_error: Vec<Option<f64>>,
}

impl Verdict {
    fn not_applicable(reason: String) -> Self {
        Self {
            applies: false,
            reason: Some(reason),
            c_eps: None,
            big_c_eps: None,
            m: None,
            alpha_bound: None,
            alpha_ok: None,
            separation_ok: None,
            intervals: Vec::new(),
            max_error: Vec::new(),
        }
    }

    /// A theorem that applies but whose conclusion the exact trajectory violates: this would
    /// contradict the paper (or reveal a bug) and must be reported loudly.
    pub fn violated(&self, eps: f64) -> bool {
        self.applies && self.max_error.iter().flatten().any(|&e| e > eps)
    }
}

/// Theorem 3 (spectral initialization).
pub fn theorem3(
    target: &Target,
    init: &Init,
    eps: f64,
    grid_points: usize,
) -> Result<Verdict, Error> {
    check_eps(eps)?;
    let l = target.eigenvalues();
    if let Some(reason) = target_reason(l) {
        return Ok(Verdict::not_applicable(reason));
    }
    let k_rank = target.positive_rank();
    let shape = match shape_gram_eigenbasis(target, init) {
        Ok(shape) => shape,
        Err(reason) => return Ok(Verdict::not_applicable(reason)),
    };
    let n = l.len();
    let diag_max = (0..n).fold(0.0f64, |m, i| m.max(shape[(i, i)].abs()));
    let off_max = (0..n)
        .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
        .fold(0.0f64, |m, (i, j)| m.max(shape[(i, j)].abs()));
    if off_max > STRUCTURE_TOLERANCE * diag_max {
        return Ok(Verdict::not_applicable(format!(
            "the initialization is not spectral: Phi^T W0bar Phi has an off-diagonal entry of {off_max:e} (diagonal up to {diag_max:e})"
        )));
    }
    let s: Vec<f64> = (0..n).map(|i| shape[(i, i)]).collect();
    if let Some(i) = (0..k_rank).find(|&i| s[i] <= 0.0) {
        return Ok(Verdict::not_applicable(format!(
            "the spectral shape has s_{} = 0 along a nonzero eigenvalue of Y",
            i + 1
        )));
    }
    if eps > l[k_rank - 1] {
        return Ok(Verdict::not_applicable(format!(
            "eps = {eps} exceeds l_K = {}",
            l[k_rank - 1]
        )));
    }
    let s_max = s.iter().fold(0.0f64, |m, &v| m.max(v));
    let s_min = s[..k_rank].iter().fold(f64::INFINITY, |m, &v| m.min(v));
    let c = eps / s_max;
    let big_c = l[0] * l[0] / (eps * s_min);
    finish(target, init, grid_points, c, big_c, None, c)
}

/// Theorem 4 (general initialization with an invertible shape).
pub fn theorem4(
    target: &Target,
    init: &Init,
    eps: f64,
    grid_points: usize,
) -> Result<Verdict, Error> {
    check_eps(eps)?;
    let l = target.eigenvalues();
    if let Some(reason) = target_reason(l) {
        return Ok(Verdict::not_applicable(reason));
    }
    let k_rank = target.positive_rank();
    let shape = match shape_gram_eigenbasis(target, init) {
        Ok(shape) => shape,
        Err(reason) => return Ok(Verdict::not_applicable(reason)),
    };
    let eig = symmetric_eigenvalues(shape.as_ref())?;
    let (top, bottom) = (eig[0], eig[eig.len() - 1]);
    let n = l.len();
    if bottom <= 4.0 * n as f64 * f64::EPSILON * top {
        return Ok(Verdict::not_applicable(format!(
            "W0bar = U0bar U0bar^T is singular (smallest eigenvalue {bottom:e}, largest {top:e}): rank-deficient initialization"
        )));
    }
    let bound = l[k_rank - 1].min(1.0);
    if eps > bound {
        return Ok(Verdict::not_applicable(format!(
            "eps = {eps} exceeds min(l_K, 1) = {bound}"
        )));
    }
    let m = top.max(1.0 / bottom);
    let (c, big_c, alpha_bound) = theorem4_constants(l[0], eps, m);
    finish(target, init, grid_points, c, big_c, Some(m), alpha_bound)
}

/// Theorem 4's constants for a shape with constant `M`: `(c_ε, C_ε, c_ε/M)`.
fn theorem4_constants(l1: f64, eps: f64, m: f64) -> (f64, f64, f64) {
    let c = eps / (16.0 * m * m);
    let big_c = 16.0 * l1 * l1 * m * m / eps;
    (c, big_c, c / m)
}

/// `ρ = max_{k<K} l_{k+1}/l_k`, the right-hand side of the separation condition (0 when K = 1).
fn separation_ratio(l: &[f64], k_rank: usize) -> f64 {
    (1..k_rank).map(|k| l[k] / l[k - 1]).fold(0.0f64, f64::max)
}

/// The largest `α` for which Theorem 4 applies to a PSD target with nonzero eigenvalues `l`
/// (sorted descending, zeros allowed at the end) and an initial shape with constant `M`:
/// `min(c_ε/M, α_sep)`, where `α_sep` is where the separation condition becomes an equality.
///
/// With `a = log α` the separation ratio `(log c_ε − a)/(log C_ε − a)` decreases in `a` (because
/// `c_ε < C_ε`) and tends to 1 as `a → −∞`, so the condition `> ρ = max_k l_{k+1}/l_k` holds
/// exactly for `a < (log c_ε − ρ log C_ε)/(1 − ρ)`. Both conditions hold below the returned
/// value (strictly, for the separation), neither needs to above it. Returns `None` when the
/// hypotheses on the target or on `ε` fail (as [`theorem4`] would say).
pub fn theorem4_largest_alpha(l: &[f64], eps: f64, m: f64) -> Option<f64> {
    let valid = eps.is_finite() && eps > 0.0 && m.is_finite() && m >= 1.0;
    if target_reason(l).is_some() || !valid {
        return None;
    }
    let k_rank = l.iter().filter(|&&v| v > 0.0).count();
    if eps > l[k_rank - 1].min(1.0) {
        return None;
    }
    let (c, big_c, alpha_bound) = theorem4_constants(l[0], eps, m);
    let rho = separation_ratio(l, k_rank);
    let alpha_sep = ((c.ln() - rho * big_c.ln()) / (1.0 - rho)).exp();
    Some(alpha_bound.min(alpha_sep))
}

/// Conditions, intervals and measured errors, once the constants are known.
fn finish(
    target: &Target,
    init: &Init,
    grid_points: usize,
    c: f64,
    big_c: f64,
    m: Option<f64>,
    alpha_bound: f64,
) -> Result<Verdict, Error> {
    let l = target.eigenvalues();
    let k_rank = target.positive_rank();
    let alpha = init.alpha();
    let ratio = separation_ratio(l, k_rank);
    let separation = (c.ln() - alpha.ln()) / (big_c.ln() - alpha.ln());
    let alpha_ok = alpha <= alpha_bound;
    let separation_ok = separation > ratio;
    let intervals = intervals(l, k_rank, alpha, c, big_c);
    // eps near the ends of f64 (1e-300, say) makes C_eps or c_eps overflow or underflow, and
    // the intervals infinite: say so rather than measure (or print) infinities.
    let finite = c.is_finite()
        && c > 0.0
        && big_c.is_finite()
        && intervals
            .iter()
            .all(|iv| iv.start.is_finite() && iv.end.is_none_or(f64::is_finite));
    if !finite {
        return Ok(Verdict::not_applicable(format!(
            "with this eps the constants are not representable in f64 (c_eps = {c:e}, \
             C_eps = {big_c:e}): the intervals I_k would be infinite"
        )));
    }
    let max_error = measure(target, init, &intervals, grid_points)?;
    let reason = match (alpha_ok, separation_ok) {
        (true, true) => None,
        (false, _) => Some(format!("alpha = {alpha:e} exceeds the bound {alpha_bound:e}")),
        (true, false) => Some(format!(
            "separation fails: (log c - log alpha)/(log C - log alpha) = {separation} <= max l_(k+1)/l_k = {ratio}"
        )),
    };
    Ok(Verdict {
        applies: reason.is_none(),
        reason,
        c_eps: Some(c),
        big_c_eps: Some(big_c),
        m,
        alpha_bound: Some(alpha_bound),
        alpha_ok: Some(alpha_ok),
        separation_ok: Some(separation_ok),
        intervals,
        max_error,
    })
}

/// The intervals (16) for `k = 1..K`.
pub fn intervals(l: &[f64], k_rank: usize, alpha: f64, c: f64, big_c: f64) -> Vec<Interval> {
    (1..=k_rank)
        .map(|k| Interval {
            k,
            start: (big_c / alpha).ln() / (2.0 * l[k - 1]),
            end: (k < k_rank).then(|| (c / alpha).ln() / (2.0 * l[k])),
        })
        .collect()
}

/// `max ‖W(t) − Ŷ_k‖₂` over each interval's grid, on the exact trajectory.
pub fn measure(
    target: &Target,
    init: &Init,
    intervals: &[Interval],
    grid_points: usize,
) -> Result<Vec<Option<f64>>, Error> {
    let traj = Trajectory::new(target, init, Form::Auto)?;
    let l = target.eigenvalues();
    intervals
        .iter()
        .map(|iv| {
            let grid = iv.grid(grid_points);
            if grid.is_empty() {
                return Ok(None);
            }
            let ws = traj.w_eigenbasis(&grid)?;
            let mut worst = 0.0f64;
            for w in &ws {
                worst = worst.max(spectral_error_to_rank_k(w.as_ref(), l, iv.k)?);
            }
            Ok(Some(worst))
        })
        .collect()
}

fn check_eps(eps: f64) -> Result<(), Error> {
    if eps.is_finite() && eps > 0.0 {
        Ok(())
    } else {
        Err(Error::BadParameter {
            what: "eps",
            why: format!("must be finite and > 0, got {eps}"),
        })
    }
}

/// Why the target rules both theorems out, if it does.
fn target_reason(l: &[f64]) -> Option<String> {
    if l.iter().any(|&v| v < 0.0) {
        return Some("the target is not positive semidefinite".into());
    }
    let k = l.iter().filter(|&&v| v > 0.0).count();
    if k == 0 {
        return Some("the target is zero".into());
    }
    (1..k)
        .find(|&i| l[i - 1] - l[i] <= STRUCTURE_TOLERANCE * l[0])
        .map(|i| {
            format!(
                "the nonzero eigenvalues are not distinct: l_{i} = l_{} = {}",
                i + 1,
                l[i]
            )
        })
}

/// `Φᵀ Ū₀ Ū₀ᵀ Φ` (the α-free initial shape in the eigenbasis).
/// `Φᵀ Ū₀ Ū₀ᵀ Φ`, or the reason it cannot be formed: the theorems' constants depend on `Ū₀`
/// itself (how `W(0)` is split into `α` and `Ū₀`), and with entries near 1e154 and beyond its
/// Gram overflows f64.
fn shape_gram_eigenbasis(target: &Target, init: &Init) -> Result<faer::Mat<f64>, String> {
    let f = target.to_eigenbasis(init.shape());
    let gram = &f * f.transpose();
    let n = gram.nrows();
    if (0..n).any(|j| (0..n).any(|i| !gram[(i, j)].is_finite())) {
        return Err(format!(
            "W0bar = U0bar U0bar^T overflows f64 (largest |u0| entry {:e}): the theorems' \
             constants depend on u0 itself; move a factor from u0 into alpha",
            crate::target::max_abs(init.shape())
        ));
    }
    Ok(gram)
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    // Hand-computed for Y = diag(4, 1), Ū₀ = I, ε = 1/2, α = 1e-6:
    // Theorem 3: c = 0.5, C = 16/0.5 = 32, separation (ln 0.5 + ln 1e6)/(ln 32 + ln 1e6) = 0.75934 > 1/4,
    //   I_1 = [ln(3.2e7)/8, ln(5e5)/2] = [2.16016, 6.56118], I_2 = [ln(3.2e7)/2, ∞) = [8.64062, ∞).
    // Theorem 4: M = 1, c = 0.5/16 = 0.03125, C = 16·16/0.5 = 512, bound c/M = 0.03125,
    //   separation 0.51610 > 1/4, I_1 = [2.50673, 5.17489], I_2 = [10.02692, ∞).
    fn instance() -> (Target, Init) {
        let target = Target::diagonal(&[4.0, 1.0]).unwrap();
        let init = Init::new(1e-6, Mat::<f64>::identity(2, 2).as_ref()).unwrap();
        (target, init)
    }

    #[test]
    fn an_eps_beyond_f64_is_a_reason_not_an_infinite_time() {
        // Issue 15, item 8: bounds --eps 1e-300 failed with "times must be finite, got inf".
        let target = Target::diagonal(&[2.0, 1.0]).unwrap();
        let init = Init::spectral(1e-6, target.phi(), &[1.0, 1.0]).unwrap();
        for eps in [1e-300, 1e-310, 5e-324] {
            for v in [
                theorem3(&target, &init, eps, 11).unwrap(),
                theorem4(&target, &init, eps, 11).unwrap(),
            ] {
                assert!(!v.applies && v.reason.is_some(), "{v:?}");
                for iv in &v.intervals {
                    assert!(iv.start.is_finite() && iv.end.is_none_or(f64::is_finite));
                }
                assert!(v.max_error.iter().flatten().all(|e| e.is_finite()));
            }
        }
        // C_eps = l1^2 / (eps min s) overflows at the smallest eps: said, not measured.
        let v = theorem3(&target, &init, 5e-324, 11).unwrap();
        assert!(v.reason.unwrap().contains("not representable"));
    }

    #[test]
    fn the_largest_alpha_is_where_theorem4_stops_applying() {
        // Shape diag(4, 0.25) in the eigenbasis of Y = diag(4, 2, 1) (third direction: 1):
        // M = max(4, 1/0.25) = 4. Just below the returned alpha the theorem applies; just above
        // it does not, and the reason says which condition failed.
        let target = Target::diagonal(&[4.0, 2.0, 1.0]).unwrap();
        let shape = Mat::from_fn(3, 3, |i, j| match (i, j) {
            (0, 0) => 2.0,
            (1, 1) => 0.5,
            (2, 2) => 1.0,
            _ => 0.0,
        });
        let eps = 0.1;
        let alpha = theorem4_largest_alpha(target.eigenvalues(), eps, 4.0).unwrap();
        let at =
            |a: f64| theorem4(&target, &Init::new(a, shape.as_ref()).unwrap(), eps, 5).unwrap();
        let below = at(alpha * (1.0 - 1e-9));
        assert_eq!(below.m, Some(4.0));
        assert!(below.applies, "{:?}", below.reason);
        let above = at(alpha * (1.0 + 1e-9));
        assert!(!above.applies);
        // Here the separation binds (c/M = 0.1/(16*64) ~ 1e-4 is far larger).
        assert!(above.alpha_ok == Some(true) && above.separation_ok == Some(false));
        assert_eq!(theorem4_largest_alpha(&[1.0, 1.0], eps, 4.0), None);
        assert_eq!(theorem4_largest_alpha(&[4.0, 2.0], 3.0, 4.0), None);
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-5 * b.abs()
    }

    #[test]
    fn theorem3_constants_by_hand() {
        let (target, init) = instance();
        let v = theorem3(&target, &init, 0.5, 101).unwrap();
        assert!(v.applies, "{:?}", v.reason);
        assert_eq!(v.c_eps, Some(0.5));
        assert_eq!(v.big_c_eps, Some(32.0));
        assert!(
            close(v.intervals[0].start, 2.16016) && close(v.intervals[0].end.unwrap(), 6.56118)
        );
        assert!(close(v.intervals[1].start, 8.64062) && v.intervals[1].end.is_none());
        // The conclusion holds on the exact trajectory.
        assert!(
            v.max_error.iter().all(|e| e.unwrap() <= 0.5),
            "{:?}",
            v.max_error
        );
        assert!(!v.violated(0.5));
    }

    #[test]
    fn theorem4_constants_by_hand() {
        let (target, init) = instance();
        let v = theorem4(&target, &init, 0.5, 101).unwrap();
        assert!(v.applies, "{:?}", v.reason);
        assert_eq!(v.m, Some(1.0));
        assert_eq!(v.c_eps, Some(0.03125));
        assert_eq!(v.big_c_eps, Some(512.0));
        assert_eq!(v.alpha_bound, Some(0.03125));
        assert!(
            close(v.intervals[0].start, 2.50673) && close(v.intervals[0].end.unwrap(), 5.17489)
        );
        assert!(close(v.intervals[1].start, 10.02692));
        assert!(v.max_error.iter().all(|e| e.unwrap() <= 0.5));
    }

    #[test]
    fn reasons_when_a_theorem_does_not_apply() {
        let (target, _) = instance();
        // α too large.
        let big = Init::new(0.1, Mat::<f64>::identity(2, 2).as_ref()).unwrap();
        let v = theorem4(&target, &big, 0.5, 11).unwrap();
        assert!(!v.applies && v.alpha_ok == Some(false) && v.reason.unwrap().contains("alpha"));
        // Not spectral.
        let mixed = Mat::from_fn(2, 2, |i, j| if i == j { 1.0 } else { 0.5 });
        let general = Init::new(1e-6, mixed.as_ref()).unwrap();
        assert!(theorem3(&target, &general, 0.5, 11)
            .unwrap()
            .reason
            .unwrap()
            .contains("spectral"));
        // Rank deficient for Theorem 4.
        let thin = Mat::from_fn(2, 1, |_, _| 1.0);
        let rank1 = Init::new(1e-6, thin.as_ref()).unwrap();
        assert!(theorem4(&target, &rank1, 0.5, 11)
            .unwrap()
            .reason
            .unwrap()
            .contains("singular"));
        // Repeated eigenvalues, indefinite targets, eps too large.
        let eye = Init::new(1e-6, Mat::<f64>::identity(2, 2).as_ref()).unwrap();
        let repeated = Target::diagonal(&[1.0, 1.0]).unwrap();
        assert!(theorem3(&repeated, &eye, 0.5, 11)
            .unwrap()
            .reason
            .unwrap()
            .contains("distinct"));
        let indefinite = Target::diagonal(&[1.0, -1.0]).unwrap();
        assert!(theorem4(&indefinite, &eye, 0.5, 11)
            .unwrap()
            .reason
            .unwrap()
            .contains("semidefinite"));
        assert!(theorem4(&target, &eye, 2.0, 11)
            .unwrap()
            .reason
            .unwrap()
            .contains("exceeds"));
        assert!(theorem4(&target, &eye, -1.0, 11).is_err());
    }

    #[test]
    fn grids_cover_intervals_and_skip_empty_ones() {
        let iv = Interval {
            k: 1,
            start: 2.0,
            end: Some(4.0),
        };
        assert_eq!(iv.grid(3), vec![2.0, 3.0, 4.0]);
        let open = Interval {
            k: 2,
            start: 2.0,
            end: None,
        };
        assert_eq!(*open.grid(2).last().unwrap(), 22.0);
        assert!(Interval {
            k: 1,
            start: 5.0,
            end: Some(4.0)
        }
        .grid(10)
        .is_empty());
    }
}

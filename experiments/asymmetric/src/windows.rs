//! Section 4: do the symmetric intervals, applied to `Ȳ`, predict the windows? First with a
//! spectral balanced start (Theorem 3's setting transplanted), then with general balanced
//! starts (Theorem 4's constants from the shape's block on the positive eigenspace of `Ȳ`).

use crate::config::Config;
use crate::shapes::{balanced_shape, positive_block, rectangular};
use mfflow::analysis::{linspace, windows_within};
use mfflow::asymmetric::{balanced_pair, BalancedTrajectory};
use mfflow::theorems::{self, Interval};
use mfflow::{metrics, Mat};
use mfflow_lab::output::{num, short, Outputs};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::{lab_err, Result};
use serde::{Deserialize, Serialize};

/// One start at one alpha: its intervals and the measured windows of each.
#[derive(Serialize, Deserialize)]
pub struct Comparison {
    label: String,
    #[serde(with = "mfflow_lab::saved::intervals")]
    intervals: Vec<Interval>,
    /// For each interval, the windows where `‖W(t) − Ȳ_k‖ ≤ ε` on `[0, horizon]`.
    windows: Vec<Vec<(f64, f64)>>,
    /// The end of the search: one and a half times the start of the last interval.
    horizon: f64,
    /// The initialization scale, and the largest one the theorem's constants allow (`c_ε`,
    /// or `c_ε/M` for a general start).
    alpha: f64,
    alpha_bound: f64,
}

impl Comparison {
    /// Whether each window contains its interval (up to the horizon); `None` for an empty one.
    fn contains(&self) -> Vec<Option<bool>> {
        self.intervals
            .iter()
            .zip(&self.windows)
            .map(|(iv, w)| {
                (!iv.is_empty()).then(|| {
                    let end = iv.end.unwrap_or(self.horizon).min(self.horizon);
                    w.iter().any(|&(a, b)| a <= iv.start && b >= end)
                })
            })
            .collect()
    }

    /// Why the theorem's hypotheses fail for this start (`None` when they hold: alpha within
    /// its bound and every interval non-empty, the separation condition). Only starts where
    /// they hold are counted: elsewhere the theorem promises nothing.
    fn hypotheses_fail(&self) -> Option<&'static str> {
        if self.alpha > self.alpha_bound {
            Some("alpha above its bound")
        } else if self.intervals.iter().any(Interval::is_empty) {
            Some("some I_k empty: separation fails")
        } else {
            None
        }
    }

    fn open(&self, b: f64) -> bool {
        b >= self.horizon * (1.0 - 1e-12)
    }
}

/// What section 4 measured.
#[derive(Serialize, Deserialize)]
pub struct Data {
    eps: f64,
    spectral: Vec<Comparison>,
    general: Vec<Comparison>,
}

fn compare(
    label: String,
    bt: &BalancedTrajectory,
    intervals: Vec<Interval>,
    (alpha, alpha_bound): (f64, f64),
    eps: f64,
    points: usize,
) -> Result<Comparison> {
    let horizon = 1.5 * intervals.last().map_or(1.0, |iv| iv.start);
    let grid = linspace(0.0, horizon, points);
    let windows = intervals
        .iter()
        .map(|iv| windows_within(bt.symmetric(), iv.k, eps, &grid))
        .collect::<std::result::Result<_, _>>()?;
    Ok(Comparison {
        label,
        intervals,
        windows,
        horizon,
        alpha,
        alpha_bound,
    })
}

/// Measures the windows of the spectral and the general balanced starts.
pub fn measure(cfg: &Config, seeds: &Seeds) -> Result<Data> {
    let sigma = &cfg.singular_values[..cfg.rank];
    let (y, p, q) = rectangular(cfg.m, cfg.n, sigma, seeds, "learning-target");
    // Spectral balanced start: Ū = P, V̄ = Q (s_i = 1 on every positive eigen-direction of Ȳ).
    let s = Mat::<f64>::identity(cfg.rank, cfg.rank);
    let (ub, vb) = balanced_pair(p.as_ref(), q.as_ref(), s.as_ref());
    let mut spectral = Vec::new();
    for &alpha in &cfg.window_alphas {
        let bt = BalancedTrajectory::new(y.as_ref(), alpha, ub.as_ref(), vb.as_ref())?;
        // Theorem 3's constants with l = σ and s = 1: c = ε, C = σ₁²/ε.
        let (c, big_c) = (cfg.eps, sigma[0] * sigma[0] / cfg.eps);
        let intervals = theorems::intervals(sigma, cfg.rank, alpha, c, big_c);
        let label = format!("spectral, {}", short(alpha, 1));
        let bound = (alpha, c);
        spectral.push(compare(
            label,
            &bt,
            intervals,
            bound,
            cfg.eps,
            cfg.time_points,
        )?);
    }
    Ok(Data {
        eps: cfg.eps,
        spectral,
        general: general(cfg, seeds, &y, &p, &q)?,
    })
}

/// General balanced starts `Ū = P S`, `V̄ = Q S` (random `P`, `Q`, Gaussian `S`): Theorem 4's
/// constants computed from `M = max(‖B‖, ‖B⁻¹‖)`, `B = Φ₊ᵀ W̄₀ Φ₊` the shape's block on the
/// positive eigenspace of `Ȳ` (`Φ₊ = [P_Y; Q_Y]/√2`): a test of the transplanted theorem that
/// does not reduce to the scalar flow.
fn general(
    cfg: &Config,
    seeds: &Seeds,
    y: &Mat<f64>,
    py: &Mat<f64>,
    qy: &Mat<f64>,
) -> Result<Vec<Comparison>> {
    let sigma = &cfg.singular_values[..cfg.rank];
    let r = cfg.m.min(cfg.n);
    let mut out = Vec::new();
    for d in 0..cfg.general_window_draws {
        let (ub, vb) = balanced_shape(cfg.m, cfg.n, r, seeds, &format!("window-shape-{d}"));
        let c_bar = positive_block(py, qy, &ub, &vb);
        let block = &c_bar * c_bar.transpose();
        let eig = metrics::eigenvalues_symmetric(block.as_ref())?;
        let (top, bottom) = (eig[0], eig[eig.len() - 1]);
        if bottom <= 0.0 {
            return Err(lab_err!("window-shape-{d}: the positive block is singular"));
        }
        let m = top.max(1.0 / bottom);
        let (c, big_c) = (
            cfg.eps / (16.0 * m * m),
            16.0 * sigma[0] * sigma[0] * m * m / cfg.eps,
        );
        for &alpha in &cfg.general_window_alphas {
            let bt = BalancedTrajectory::new(y.as_ref(), alpha, ub.as_ref(), vb.as_ref())?;
            let intervals = theorems::intervals(sigma, cfg.rank, alpha, c, big_c);
            let label = format!("general {d} (M = {}), {}", short(m, 3), short(alpha, 1));
            let bound = (alpha, c / m);
            out.push(compare(
                label,
                &bt,
                intervals,
                bound,
                cfg.eps,
                cfg.time_points,
            )?);
        }
    }
    Ok(out)
}

/// Writes `windows.csv` and fills section 4.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let csv: Vec<Vec<String>> = data
        .spectral
        .iter()
        .chain(&data.general)
        .flat_map(|c| {
            c.intervals
                .iter()
                .zip(&c.windows)
                .flat_map(move |(iv, ws)| {
                    ws.iter().map(move |&(a, b)| {
                        let end = if c.open(b) { "open".into() } else { num(b) };
                        vec![c.label.clone(), iv.k.to_string(), num(a), end]
                    })
                })
        })
        .collect();
    out.csv(
        "windows.csv",
        &["start_alpha", "k", "window_start", "window_end"],
        &csv,
    )?;
    for (key, comparisons, interval) in [
        (
            "window",
            &data.spectral,
            "interval I_k from (16) with Theorem 3's constants on sigma(Y)",
        ),
        (
            "general_window",
            &data.general,
            "interval I_k from (16) with Theorem 4's constants (M of the positive block)",
        ),
    ] {
        table(key, comparisons, interval, report);
    }
    report.set("window_eps", short(data.eps, 2));
    Ok(())
}

fn window_text(c: &Comparison, windows: &[(f64, f64)]) -> String {
    if windows.is_empty() {
        return "never".into();
    }
    windows
        .iter()
        .map(|&(a, b)| {
            if c.open(b) {
                format!("[{}, ≥ {} (horizon))", short(a, 4), short(c.horizon, 4))
            } else {
                format!("[{}, {}]", short(a, 4), short(b, 4))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn table(key: &str, comparisons: &[Comparison], interval: &str, report: &mut Report) {
    let mut rows = Vec::new();
    let (mut contained, mut compared, mut not_counted) = (0usize, 0usize, 0usize);
    for c in comparisons {
        let fails = c.hypotheses_fail();
        not_counted += fails.is_some() as usize;
        for ((iv, ws), contains) in c.intervals.iter().zip(&c.windows).zip(c.contains()) {
            if let (Some(yes), None) = (contains, fails) {
                compared += 1;
                contained += yes as usize;
            }
            rows.push(vec![
                c.label.clone(),
                iv.k.to_string(),
                match iv.end {
                    Some(e) if iv.is_empty() => {
                        if e < iv.start {
                            format!(
                                "empty (start {} after end {})",
                                short(iv.start, 4),
                                short(e, 4)
                            )
                        } else {
                            format!("empty (ends at {}, before t = 0)", short(e, 4))
                        }
                    }
                    Some(e) => format!("[{}, {}]", short(iv.start, 4), short(e, 4)),
                    None => format!("[{}, inf)", short(iv.start, 4)),
                },
                window_text(c, ws),
                contains.map_or("(empty I_k)".into(), |yes| {
                    let word = if yes { "yes" } else { "no" };
                    let word = match (iv.end, fails) {
                        (None, _) => format!("{word} (up to the horizon)"),
                        _ => word.to_string(),
                    };
                    match fails {
                        Some(why) => format!("{word}; not counted ({why})"),
                        None => word,
                    }
                }),
            ]);
        }
    }
    report.table(
        &format!("{key}_table"),
        &[
            "start, alpha",
            "k",
            interval,
            "measured windows where ||W - Ybar_k|| <= eps",
            "window contains I_k",
        ],
        &rows,
    );
    report.set(
        &format!("{key}_contained"),
        format!("{contained} of {compared}"),
    );
    report.set(&format!("{key}_not_counted"), not_counted.to_string());
    report.check(
        &format!("{key}_all"),
        compared > 0 && contained == compared,
        format!("{contained} of {compared} windows contain their interval"),
    );
}

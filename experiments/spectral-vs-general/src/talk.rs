//! Section 6: the talk's learning-curve figures (Min & Vidal, CDC 2025 slides). Its Figure 3 is
//! one mode `σ_W(t)` of the spectral scalar flow (7) with the bounds `σ_W ≤ ε` before
//! `log(c_ε/α)/(2σ_Y)` and `σ_W ≥ σ_Y − ε` after `log(C_ε/α)/(2σ_Y)`; its Figure 4 shows
//! incremental learning emerge as `α → e^{−M} α`. The talk gives no values: the config states
//! the ones used. Both are computed with the closed form on a diagonal target with the identity
//! shape (spectral initialization, `s_i = 1`).

use crate::config::{Config, Talk};
use mfflow::analysis::{crossing_time, linspace};
use mfflow::{Form, Init, Mat, Target, Trajectory};
use mfflow_lab::output::{short, Outputs};
use mfflow_lab::plot::{LinePlot, Marker, Series};
use mfflow_lab::report::Report;
use mfflow_lab::seeds::Seeds;
use mfflow_lab::Result;
use serde::{Deserialize, Serialize};

/// Figure 3: one mode and the bounds of the slide.
#[derive(Serialize, Deserialize)]
pub struct Mode {
    sigma: f64,
    alpha: f64,
    eps: f64,
    /// Theorem 3's constants for one mode with `s = 1`: `c_ε = ε`, `C_ε = σ²/ε`.
    c_eps: f64,
    big_c_eps: f64,
    times: Vec<f64>,
    curve: Vec<f64>,
    /// `σ_W` at `log(c_ε/α)/(2σ)` and at `log(C_ε/α)/(2σ)`.
    at_ends: (f64, f64),
}

/// Figure 4: several modes at `α_0 e^{−kM}`.
#[derive(Serialize, Deserialize)]
pub struct Emergence {
    modes: Vec<f64>,
    eps: f64,
    log_factor: f64,
    alphas: Vec<f64>,
    times: Vec<f64>,
    /// `[alpha][time][mode]`.
    curves: Vec<Vec<Vec<f64>>>,
    /// `[alpha][mode]`: the time `σ_i` reaches `σ_Y/2`.
    halves: Vec<Vec<Option<f64>>>,
    /// `[alpha][mode]`: the transition phase, from reaching `ε` to reaching `σ_Y − ε`.
    phases: Vec<Vec<(Option<f64>, Option<f64>)>>,
}

/// What section 6 measured.
#[derive(Serialize, Deserialize)]
pub struct Data {
    mode: Mode,
    emergence: Emergence,
}

/// The closed-form trajectory for `Y = diag(l)` from `U(0) = √α I`.
fn spectral(l: &[f64], alpha: f64) -> Result<Trajectory> {
    let n = l.len();
    let y = Mat::<f64>::from_fn(n, n, |i, j| if i == j { l[i] } else { 0.0 });
    let shape = Mat::<f64>::identity(n, n);
    Ok(Trajectory::new(
        &Target::new(y.as_ref())?,
        &Init::new(alpha, shape.as_ref())?,
        Form::Auto,
    )?)
}

/// Evaluates both figures.
pub fn measure(cfg: &Config, _: &Seeds) -> Result<Data> {
    Ok(Data {
        mode: mode(&cfg.talk)?,
        emergence: emergence(&cfg.talk, cfg.time_points)?,
    })
}

fn mode(t: &Talk) -> Result<Mode> {
    let (sigma, alpha, eps) = (t.mode, t.mode_alpha, t.eps);
    let (c_eps, big_c_eps) = (eps, sigma * sigma / eps);
    let (lo, hi) = (
        (c_eps / alpha).ln() / (2.0 * sigma),
        (big_c_eps / alpha).ln() / (2.0 * sigma),
    );
    let traj = spectral(&[sigma], alpha)?;
    let times = linspace(0.0, 1.4 * hi, t.points);
    let curve = traj.eigenvalues(&times)?.iter().map(|e| e[0]).collect();
    let ends = traj.eigenvalues(&[lo, hi])?;
    Ok(Mode {
        sigma,
        alpha,
        eps,
        c_eps,
        big_c_eps,
        times,
        curve,
        at_ends: (ends[0][0], ends[1][0]),
    })
}

fn emergence(t: &Talk, points: usize) -> Result<Emergence> {
    let alphas: Vec<f64> = (0..t.alpha_count)
        .map(|k| t.alpha_start * (-(k as f64) * t.log_factor).exp())
        .collect();
    let smallest = t.modes.iter().copied().fold(f64::INFINITY, f64::min);
    let last = alphas[alphas.len() - 1];
    // Until the smallest mode is within 1% of its target at the smallest alpha, plus a fifth.
    let horizon = 1.2 * (99.0 * (smallest - last) / last).ln() / (2.0 * smallest);
    let times = linspace(0.0, horizon, points);
    let (mut curves, mut halves, mut phases) = (Vec::new(), Vec::new(), Vec::new());
    for &alpha in &alphas {
        let traj = spectral(&t.modes, alpha)?;
        curves.push(traj.eigenvalues(&times)?);
        let cross = |i: usize, level: f64| crossing_time(&traj, i, level, &times);
        let mut h = Vec::new();
        let mut p = Vec::new();
        for (i, &s) in t.modes.iter().enumerate() {
            h.push(cross(i, s / 2.0)?);
            p.push((cross(i, t.eps)?, cross(i, s - t.eps)?));
        }
        halves.push(h);
        phases.push(p);
    }
    Ok(Emergence {
        modes: t.modes.clone(),
        eps: t.eps,
        log_factor: t.log_factor,
        alphas,
        times,
        curves,
        halves,
        phases,
    })
}

/// Fills section 6: both figures and the checked sentences.
pub fn report(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    report_mode(&data.mode, out, report)?;
    report_emergence(&data.emergence, out, report)
}

fn report_mode(m: &Mode, out: &Outputs, report: &mut Report) -> Result<()> {
    let (lo, hi) = (
        (m.c_eps / m.alpha).ln() / (2.0 * m.sigma),
        (m.big_c_eps / m.alpha).ln() / (2.0 * m.sigma),
    );
    let mut plot = LinePlot::new(
        format!(
            "One mode of the spectral flow (7): sigma_Y = {}, alpha = {}",
            short(m.sigma, 3),
            short(m.alpha, 2)
        ),
        "time t (units of 1/sigma_Y)",
        "sigma_W(t)",
    );
    let pts = m
        .times
        .iter()
        .copied()
        .zip(m.curve.iter().copied())
        .collect();
    plot.series
        .push(Series::line("sigma_W(t), closed form", pts));
    for y in [m.eps, m.sigma - m.eps] {
        plot.markers.push(Marker::Horizontal(y, 1));
    }
    for x in [lo, hi] {
        plot.markers.push(Marker::Vertical(x, 1));
    }
    plot.marker_label = "dashed: eps and sigma_Y - eps (horizontal); log(c_eps/alpha)/(2 sigma_Y) and log(C_eps/alpha)/(2 sigma_Y) (vertical)".into();
    report.figure(
        out,
        "talk_figure3",
        &plot,
        &format!(
            "The talk's Figure 3: the learning curve of one singular value, sigma_Y = {}, sigma_0 = 1, alpha = {}, eps = {} \
             (the talk gives no values), c_eps = eps, C_eps = sigma_Y^2/eps (Theorem 3 with s = 1). Data: data/talk.json.",
            short(m.sigma, 3),
            short(m.alpha, 2),
            short(m.eps, 2)
        ),
    )?;
    let before = m.times.iter().zip(&m.curve).filter(|(t, _)| **t <= lo);
    let after = m.times.iter().zip(&m.curve).filter(|(t, _)| **t >= hi);
    let below = before.map(|(_, v)| *v).fold(m.at_ends.0, f64::max);
    let above = after.map(|(_, v)| *v).fold(m.at_ends.1, f64::min);
    report.set("talk_sigma", short(m.sigma, 3));
    report.set("talk_t_lo", short(lo, 4));
    report.set("talk_t_hi", short(hi, 4));
    report.set("talk_below", short(below, 3));
    report.set("talk_above", short(above, 4));
    report.check(
        "talk_bounds_hold",
        below <= m.eps && above >= m.sigma - m.eps,
        format!(
            "max before = {below:e} (eps {}), min after = {above:e}",
            m.eps
        ),
    );
    Ok(())
}

fn report_emergence(e: &Emergence, out: &Outputs, report: &mut Report) -> Result<()> {
    let mut plot = LinePlot::new(
        format!(
            "Incremental learning emerges: alpha = {} x e^(-k M), M = {}",
            short(e.alphas[0], 2),
            short(e.log_factor, 3)
        ),
        "time t (units of 1/sigma_Y)",
        "sigma_i,W(t)",
    );
    for (k, (alpha, curve)) in e.alphas.iter().zip(&e.curves).enumerate() {
        // One legend entry per alpha, naming every mode drawn in its colour.
        let modes: Vec<String> = (1..=e.modes.len()).map(|i| format!("sigma_{i}")).collect();
        for i in 0..e.modes.len() {
            let pts = e.times.iter().zip(curve).map(|(t, c)| (*t, c[i])).collect();
            let name = match i {
                0 => format!("alpha = {}: {}", short(*alpha, 2), modes.join(", ")),
                _ => String::new(),
            };
            plot.series.push(Series::line(name, pts).coloured(k));
        }
    }
    for &s in &e.modes {
        plot.markers.push(Marker::Horizontal(s, 7));
    }
    plot.marker_label = "dashed: the targets sigma_i,Y".into();
    let modes: Vec<String> = e.modes.iter().map(|v| short(*v, 3)).collect();
    report.figure(
        out,
        "talk_figure4",
        &plot,
        &format!(
            "The talk's Figure 4: modes sigma_Y = {} of the spectral flow (7) (sigma_0 = 1) at alpha = {} x e^(-k M), \
             k = 0..{}, M = {} (the talk gives no values); one colour per alpha. Data: data/talk.json.",
            modes.join(", "),
            short(e.alphas[0], 2),
            e.alphas.len() - 1,
            short(e.log_factor, 3)
        ),
    )?;
    delays(e, report);
    overlap(e, report);
    Ok(())
}

/// The shift of each half-time per factor `e^{−M}` against `M/(2σ_i)` from (7).
fn delays(e: &Emergence, report: &mut Report) {
    let mut worst = 0.0f64;
    let mut complete = true;
    for pair in e.halves.windows(2) {
        for (i, &s) in e.modes.iter().enumerate() {
            match (pair[0][i], pair[1][i]) {
                (Some(a), Some(b)) => {
                    let predicted = e.log_factor / (2.0 * s);
                    worst = worst.max(((b - a) - predicted).abs() / predicted);
                }
                _ => complete = false,
            }
        }
    }
    report.set("talk_m", short(e.log_factor, 3));
    report.set("talk_delay_error", short(100.0 * worst, 2));
    report.check(
        "talk_delay_half",
        complete && worst <= 0.01,
        format!(
            "half-time shifts differ from M/(2 sigma_i) by up to {worst:e} (complete: {complete})"
        ),
    );
}

/// Whether the transition phases (from `ε` to `σ_i − ε`) of consecutive modes overlap, per α.
fn overlap(e: &Emergence, report: &mut Report) {
    let separated: Vec<bool> = e
        .phases
        .iter()
        .map(|p| {
            p.windows(2).all(|w| match (w[0].1, w[1].0) {
                (Some(end), Some(start)) => end < start,
                _ => false,
            })
        })
        .collect();
    let list = |want: bool| -> String {
        let v: Vec<String> = e
            .alphas
            .iter()
            .zip(&separated)
            .filter(|(_, s)| **s == want)
            .map(|(a, _)| short(*a, 2))
            .collect();
        if v.is_empty() {
            "none".into()
        } else {
            v.join(", ")
        }
    };
    report.set("talk_overlap", list(false));
    report.set("talk_separated", list(true));
    // The talk's claim: for small enough alpha the phases stop overlapping (and stay apart).
    let emerges = separated.last() == Some(&true) && separated.windows(2).all(|w| w[0] <= w[1]);
    report.check(
        "talk_emerges",
        emerges,
        format!("phases separated per alpha: {separated:?}"),
    );
}

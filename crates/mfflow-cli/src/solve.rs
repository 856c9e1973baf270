//! `mfflow solve`: the trajectory at the instance's times, by the closed form, the ODE
//! integrator or gradient descent, streamed as JSON or written as NumPy's `.npz`.

use crate::args::{Method, Quantity};
use crate::failure::{bad, Failure};
use crate::instance::Instance;
use mfflow::ode::OdeOptions;
use mfflow::trajectory::Want;
use mfflow::{gd, metrics, Form, Mat, Trajectory};
use std::io::{Seek, Write};
use std::time::Instant;

/// The trajectory at the requested times, by one of the three methods: each sequence holds one
/// entry per time when its quantity was asked for (`--want`), and is empty otherwise.
pub struct Solution {
    n: usize,
    r: usize,
    alpha: f64,
    method: Method,
    form: Option<&'static str>,
    times: Vec<f64>,
    reached: Option<Vec<f64>>,
    w: Vec<Mat<f64>>,
    eigenvalues: Vec<Vec<f64>>,
    factors: Vec<Mat<f64>>,
    elapsed: f64,
}

/// What `--want` asked for.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    w: bool,
    eigenvalues: bool,
    factor: bool,
}

impl Wanted {
    /// From the `--want` list (repetitions allowed).
    pub fn from_list(list: &[Quantity]) -> Self {
        Self {
            w: list.contains(&Quantity::W),
            eigenvalues: list.contains(&Quantity::Eigenvalues),
            factor: list.contains(&Quantity::Factor),
        }
    }
}

/// Computes what `want` asks for; `eta` is the step of gradient descent.
pub fn solve(
    inst: &Instance,
    method: Method,
    eta: Option<f64>,
    want: Wanted,
) -> Result<Solution, Failure> {
    let (target, init, times) = (&inst.target, &inst.init, &inst.times);
    let start = Instant::now();
    let mut reached = None;
    let mut form = None;
    let (mut w, mut eigenvalues, mut factors) = (Vec::new(), Vec::new(), Vec::new());
    match method {
        Method::ClosedForm => {
            let traj = Trajectory::new(target, init, Form::Auto)?;
            form = Some(match traj.form() {
                Form::Inverse => "inverse",
                _ => "factor",
            });
            let out = traj.evaluate(
                times,
                Want {
                    w: want.w,
                    eigenvalues: want.eigenvalues,
                    factor: want.factor,
                    ..Want::default()
                },
            )?;
            (w, eigenvalues) = (out.w, out.eigenvalues);
            // The eigenbasis factor G (W̃ = G Gᵀ) rotated back: F = Φ G, W = F Fᵀ.
            factors = out
                .factors
                .iter()
                .map(|g| target.from_eigenbasis(g.as_ref()))
                .collect();
        }
        Method::Ode => {
            if want.factor {
                return Err(bad(
                    "--want factor is available with --method closed-form and gd, not ode",
                ));
            }
            // Integrated in the eigenbasis with row-wise error control, so that α-level
            // directions are resolved (see mfflow::ode::solve).
            let (points, _) = mfflow::ode::solve(target, init, times, OdeOptions::default())?;
            (w, eigenvalues) = points.into_iter().unzip();
        }
        Method::Gd => {
            let eta = eta.expect("clap requires --eta with --method gd");
            mfflow::trajectory::check_representable(target, init)?;
            let iterates = gd::gradient_descent(target.y(), init.u0().as_ref(), eta, times)?;
            reached = Some(iterates.iter().map(|(t, _)| *t).collect());
            for (_, u) in &iterates {
                if want.w {
                    w.push(u * u.transpose());
                }
                if want.eigenvalues {
                    // One-sided Jacobi on the graded rows of the factor rotated into the
                    // eigenbasis of Y: every eigenvalue to relative accuracy.
                    eigenvalues.push(metrics::eigenvalues_of_factor(
                        target.to_eigenbasis(u.as_ref()).as_ref(),
                    )?);
                }
            }
            if want.factor {
                factors = iterates.into_iter().map(|(_, u)| u).collect();
            }
        }
    }
    if !want.w {
        w.clear();
    }
    if !want.eigenvalues {
        eigenvalues.clear();
    }
    Ok(Solution {
        n: target.n(),
        r: init.shape().ncols(),
        alpha: init.alpha(),
        method,
        form,
        times: times.clone(),
        reached,
        w,
        eigenvalues,
        factors,
        elapsed: start.elapsed().as_secs_f64(),
    })
}

impl Solution {
    /// Streams the JSON object: the matrices are written row by row, never built as one string.
    pub fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let num = |x: f64| serde_json::to_string(&x).map_err(std::io::Error::other);
        write!(
            out,
            "{{\"n\":{},\"r\":{},\"alpha\":{},\"method\":\"{}\"",
            self.n,
            self.r,
            num(self.alpha)?,
            self.method.name()
        )?;
        if let Some(form) = self.form {
            write!(out, ",\"form\":\"{form}\"")?;
        }
        write!(out, ",\"elapsed_seconds\":{}", num(self.elapsed)?)?;
        write!(out, ",\"times\":")?;
        serde_json::to_writer(&mut *out, &self.times).map_err(std::io::Error::other)?;
        if let Some(reached) = &self.reached {
            write!(out, ",\"times_reached\":")?;
            serde_json::to_writer(&mut *out, reached).map_err(std::io::Error::other)?;
        }
        if !self.eigenvalues.is_empty() {
            write!(out, ",\"eigenvalues\":")?;
            serde_json::to_writer(&mut *out, &self.eigenvalues).map_err(std::io::Error::other)?;
        }
        if !self.w.is_empty() {
            write!(out, ",\"w\":")?;
            write_matrices(out, &self.w)?;
        }
        if !self.factors.is_empty() {
            write!(out, ",\"factor\":")?;
            write_matrices(out, &self.factors)?;
        }
        writeln!(out, "}}")
    }

    /// Writes NumPy's `.npz` (see `mfflow solve --help`): one `.npy` per array, C order, in a
    /// stored zip archive (what `numpy.savez` writes), through the seekable file writer.
    pub fn write_npz<W: Write + Seek>(&self, out: W) -> std::io::Result<()> {
        let t = self.times.len() as u64;
        let n = self.n as u64;
        let mut zip = crate::npz::Archive::new(out);
        zip.array("times", &[t], self.times.iter().copied())?;
        if let Some(reached) = &self.reached {
            zip.array("times_reached", &[t], reached.iter().copied())?;
        }
        if !self.w.is_empty() {
            zip.array("w", &[t, n, n], entries(&self.w))?;
        }
        if !self.eigenvalues.is_empty() {
            zip.array(
                "eigenvalues",
                &[t, n],
                self.eigenvalues.iter().flatten().copied(),
            )?;
        }
        if let Some(first) = self.factors.first() {
            let m = first.ncols() as u64;
            zip.array("factor", &[t, n, m], entries(&self.factors))?;
        }
        zip.finish()
    }
}

/// The entries of a sequence of matrices in C order (matrix, row, column).
fn entries(mats: &[Mat<f64>]) -> impl Iterator<Item = f64> + '_ {
    mats.iter()
        .flat_map(|m| (0..m.nrows()).flat_map(move |i| (0..m.ncols()).map(move |j| m[(i, j)])))
}

/// A JSON array of matrices, each as an array of rows, streamed row by row.
fn write_matrices(out: &mut dyn Write, mats: &[Mat<f64>]) -> std::io::Result<()> {
    write!(out, "[")?;
    for (k, m) in mats.iter().enumerate() {
        write!(out, "{}[", if k > 0 { "," } else { "" })?;
        let mut row = vec![0.0; m.ncols()];
        for i in 0..m.nrows() {
            for (j, x) in row.iter_mut().enumerate() {
                *x = m[(i, j)];
            }
            if i > 0 {
                write!(out, ",")?;
            }
            serde_json::to_writer(&mut *out, &row).map_err(std::io::Error::other)?;
        }
        write!(out, "]")?;
    }
    write!(out, "]")
}

//! `mfflow solve`: the trajectory at the instance's times, by the closed form, the ODE
//! integrator or gradient descent, streamed as JSON.

use crate::args::Method;
use crate::failure::Failure;
use crate::instance::Instance;
use mfflow::ode::OdeOptions;
use mfflow::{gd, metrics, Form, Mat, Trajectory};
use std::io::Write;
use std::time::Instant;

/// The trajectory at the requested times, by one of the three methods.
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
    elapsed: f64,
}

/// Computes `W(t)` and its eigenvalues; `eta` is the step of gradient descent.
pub fn solve(inst: &Instance, method: Method, eta: Option<f64>) -> Result<Solution, Failure> {
    let (target, init, times) = (&inst.target, &inst.init, &inst.times);
    let start = Instant::now();
    let mut reached = None;
    let mut form = None;
    let (w, eigenvalues) = match method {
        Method::ClosedForm => {
            let traj = Trajectory::new(target, init, Form::Auto)?;
            form = Some(match traj.form() {
                Form::Inverse => "inverse",
                _ => "factor",
            });
            traj.w_and_eigenvalues(times)?
        }
        Method::Ode => {
            // Integrated in the eigenbasis with row-wise error control, so that α-level
            // directions are resolved (see mfflow::ode::solve).
            let (points, _) = mfflow::ode::solve(target, init, times, OdeOptions::default())?;
            points.into_iter().unzip()
        }
        Method::Gd => {
            let eta = eta.expect("clap requires --eta with --method gd");
            mfflow::trajectory::check_representable(target, init)?;
            let iterates = gd::gradient_descent(target.y(), init.u0().as_ref(), eta, times)?;
            reached = Some(iterates.iter().map(|(t, _)| *t).collect());
            gram_and_spectrum(target, iterates.iter().map(|(_, u)| u))?
        }
    };
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
        elapsed: start.elapsed().as_secs_f64(),
    })
}

/// `W` and its eigenvalues at each time.
type Series = (Vec<Mat<f64>>, Vec<Vec<f64>>);

/// `W = U Uᵀ` and its eigenvalues, from the factor rotated into the eigenbasis of `Y` (one-sided
/// Jacobi on the graded rows: every eigenvalue to relative accuracy, and no eigensolver that
/// stops on graded matrices).
fn gram_and_spectrum<'a>(
    target: &mfflow::Target,
    factors: impl Iterator<Item = &'a Mat<f64>>,
) -> Result<Series, Failure> {
    factors
        .map(|u| {
            let w = u * u.transpose();
            let e = metrics::eigenvalues_of_factor(target.to_eigenbasis(u.as_ref()).as_ref())?;
            Ok((w, e))
        })
        .collect::<Result<Vec<_>, Failure>>()
        .map(|v| v.into_iter().unzip())
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
        write!(out, ",\"eigenvalues\":")?;
        serde_json::to_writer(&mut *out, &self.eigenvalues).map_err(std::io::Error::other)?;
        write!(out, ",\"w\":[")?;
        for (k, w) in self.w.iter().enumerate() {
            write!(out, "{}[", if k > 0 { "," } else { "" })?;
            let mut row = vec![0.0; w.ncols()];
            for i in 0..w.nrows() {
                for (j, x) in row.iter_mut().enumerate() {
                    *x = w[(i, j)];
                }
                if i > 0 {
                    write!(out, ",")?;
                }
                serde_json::to_writer(&mut *out, &row).map_err(std::io::Error::other)?;
            }
            write!(out, "]")?;
        }
        writeln!(out, "]}}")
    }
}

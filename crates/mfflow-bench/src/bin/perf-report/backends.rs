//! faer against nalgebra and LAPACK/OpenBLAS (issue 22): one function per section.

use crate::data::{secs, times, Data, Estimate};
use crate::trajectory::python_row;
use mfflow_lab::output::{short, Outputs};
use mfflow_lab::plot::{LinePlot, Series};
use mfflow_lab::report::{figure_markdown, Report};
use mfflow_lab::Result;

/// The kernels: (id, title, flops as a multiple of n³ for the rate, or 0 when not counted).
const KERNELS: [(&str, &str); 7] = [
    ("matmul", "Matrix multiply"),
    ("cholesky", "Cholesky"),
    ("triangular-solve", "Triangular solve, n right-hand sides"),
    ("eigenvalues", "Symmetric eigenvalues"),
    ("eigen", "Symmetric eigendecomposition"),
    ("qr-col-piv", "QR with column pivoting"),
    ("svd", "SVD (U, S, V)"),
];

/// The backends in table order: (id, label). `openblas-*` come from the Python script.
const BACKENDS: [(&str, &str); 5] = [
    ("faer-1t", "faer, 1 thread"),
    ("faer-2t", "faer, 2 threads"),
    ("nalgebra", "nalgebra"),
    ("openblas-1t", "OpenBLAS, 1 thread"),
    ("openblas-2t", "OpenBLAS, 2 threads"),
];

/// One measurement: time and accuracy.
#[derive(Clone, Copy)]
struct Cell {
    time: Estimate,
    accuracy: Option<f64>,
}

/// A backend and its mean time.
type Fastest = (&'static str, f64);

/// All measurements of the comparison.
struct Table<'a> {
    data: &'a Data,
}

impl Table<'_> {
    fn cell(&self, kernel: &str, backend: &str, n: usize) -> Option<Cell> {
        if backend.starts_with("openblas") {
            let py = self.data.python.as_ref().ok()?;
            let row = py["kernels"].as_array()?.iter().find(|r| {
                r["kernel"] == kernel
                    && r["backend"] == backend
                    && r["n"].as_u64() == Some(n as u64)
            })?;
            return Some(Cell {
                time: Estimate::from_json(row)?,
                accuracy: row["accuracy"].as_f64(),
            });
        }
        let time = self
            .data
            .try_get(&format!("backends-{kernel}/{backend}/{n}"))?;
        let accuracy = self.data.backends["accuracy"].as_array().and_then(|rows| {
            rows.iter()
                .find(|r| {
                    r["kernel"] == kernel
                        && r["backend"] == backend
                        && r["n"].as_u64() == Some(n as u64)
                })
                .and_then(|r| r["accuracy"].as_f64())
        });
        Some(Cell { time, accuracy })
    }

    /// faer's better thread count and the best alternative, with their names.
    fn faer_vs_best(&self, kernel: &str, n: usize) -> Option<(Fastest, Fastest)> {
        let best = |ids: &[(&'static str, &str)]| {
            ids.iter()
                .filter_map(|(id, _)| self.cell(kernel, id, n).map(|c| (*id, c.time.mean)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
        };
        Some((best(&BACKENDS[..2])?, best(&BACKENDS[2..])?))
    }
}

/// Renders every section of this part.
pub fn render(data: &Data, out: &Outputs, report: &mut Report) -> Result<()> {
    let table = Table { data };
    environment(data, report);
    kernel_tables(data, &table, report);
    kernel_figures(data, &table, out, report)?;
    ratios(data, &table, report);
    why(data, &table, report);
    end_to_end(data, report);
    Ok(())
}

fn environment(data: &Data, report: &mut Report) {
    let text = match &data.python {
        Err(why) => format!(
            "**LAPACK/OpenBLAS was not measured in this run:** {why}. The OpenBLAS columns below are empty; install Python 3 with NumPy and SciPy (and threadpoolctl, to record the BLAS kernel) and rerun `cargo xtask bench`."
        ),
        Ok(py) => {
            let env = &py["environment"];
            let libs = env["threadpoolctl"].as_array().map(|libs| {
                libs.iter()
                    .map(|l| {
                        format!(
                            "{} {} ({}, kernel `{}`, {} threads by default, {} threading)",
                            l["internal_api"].as_str().unwrap_or("?"),
                            l["version"].as_str().unwrap_or("?"),
                            l["prefix"].as_str().unwrap_or("?"),
                            l["architecture"].as_str().unwrap_or("?"),
                            l["num_threads"],
                            l["threading_layer"].as_str().unwrap_or("?"),
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            });
            let unset: Vec<String> = env["unset"]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x.as_str()).map(|s| format!("`{s}`")).collect())
                .unwrap_or_default();
            format!(
                "LAPACK/OpenBLAS side: Python {}, NumPy {}, SciPy {}; BLAS libraries loaded: {}. {}",
                env["python"].as_str().unwrap_or("?"),
                env["numpy"].as_str().unwrap_or("?"),
                env["scipy"].as_str().unwrap_or("?"),
                libs.unwrap_or_else(|| "not recorded (threadpoolctl is not installed)".into()),
                if unset.is_empty() {
                    "Neither `OPENBLAS_CORETYPE` nor `OPENBLAS_L2_SIZE` was set, so OpenBLAS chose its kernel itself.".to_string()
                } else {
                    format!("{} were set in the machine's environment and unset before NumPy was loaded, so OpenBLAS chose its kernel itself.", unset.join(" and "))
                }
            )
        }
    };
    report.set("python_environment", text);
}

fn kernel_tables(data: &Data, table: &Table<'_>, report: &mut Report) {
    let mut text = String::new();
    for (kernel, title) in KERNELS {
        let rows: Vec<Vec<String>> = data
            .backend_plan
            .sizes
            .iter()
            .map(|&n| {
                let mut row = vec![n.to_string()];
                row.extend(BACKENDS.iter().map(|(id, _)| {
                    table.cell(kernel, id, n).map_or("-".into(), |c| {
                        format!(
                            "{} ({})",
                            secs(c.time.mean),
                            c.accuracy.map_or("?".into(), |a| short(a, 2))
                        )
                    })
                }));
                row
            })
            .collect();
        let mut r = Report::new("{{t}}");
        let mut header = vec!["n"];
        header.extend(BACKENDS.iter().map(|(_, l)| *l));
        r.table("t", &header, &rows);
        text.push_str(&format!(
            "**{title}**, time (accuracy):\n\n{}\n\n",
            r.render().unwrap_or_default()
        ));
    }
    text.push_str(&format!(
        "A dash: not measured (nalgebra's symmetric eigensolver, SVD and pivoted QR only up to n = {}: beyond it each call takes seconds; OpenBLAS only when Python ran). Accuracy as defined in `benches/backends.rs`: relative residuals in the Frobenius norm, and for eigenvalues the largest error against the known spectrum relative to the largest eigenvalue.",
        data.backend_plan.nalgebra_slow_max_n
    ));
    report.set("backend_tables", text.trim_end().to_string());
}

fn kernel_figures(
    data: &Data,
    table: &Table<'_>,
    out: &Outputs,
    report: &mut Report,
) -> Result<()> {
    let mut text = Vec::new();
    for (kernel, title) in KERNELS {
        let mut plot = LinePlot::new(
            title,
            "n (log scale)",
            "time per call in seconds (log scale)",
        );
        plot.log_x = true;
        plot.log_y = true;
        for (i, (id, label)) in BACKENDS.iter().enumerate() {
            let pts: Vec<(f64, f64)> = data
                .backend_plan
                .sizes
                .iter()
                .filter_map(|&n| table.cell(kernel, id, n).map(|c| (n as f64, c.time.mean)))
                .collect();
            if !pts.is_empty() {
                plot.series.push(Series::line(*label, pts).coloured(i));
            }
        }
        text.push(figure_markdown(
            out,
            &format!("backend_{}", kernel.replace('-', "_")),
            &plot,
            &format!("{title}: mean time per call against n, log-log, every backend of this run."),
        )?);
    }
    report.set("backend_figures", text.join("\n\n"));
    Ok(())
}

fn label(id: &str) -> &'static str {
    BACKENDS
        .iter()
        .find(|(b, _)| *b == id)
        .map_or("?", |(_, l)| *l)
}

fn ratios(data: &Data, table: &Table<'_>, report: &mut Report) {
    let sizes = &data.backend_plan.sizes;
    let rows: Vec<Vec<String>> = sizes
        .iter()
        .map(|&n| {
            let mut row = vec![n.to_string()];
            row.extend(KERNELS.iter().map(|(k, _)| {
                table
                    .faer_vs_best(k, n)
                    .map_or("-".into(), |((_, f), (who, b))| {
                        format!("{} (vs {})", times(f / b), label(who))
                    })
            }));
            row
        })
        .collect();
    let mut header = vec!["n"];
    header.extend(KERNELS.iter().map(|(_, t)| *t));
    report.table("ratio_table", &header, &rows);
    let mut lines = Vec::new();
    for (kernel, title) in KERNELS {
        let rs: Vec<(usize, f64, &str)> = sizes
            .iter()
            .filter_map(|&n| {
                table
                    .faer_vs_best(kernel, n)
                    .map(|((_, f), (w, b))| (n, f / b, w))
            })
            .collect();
        if rs.is_empty() {
            continue;
        }
        let wins: Vec<String> = rs
            .iter()
            .filter(|r| r.1 < 1.0)
            .map(|r| r.0.to_string())
            .collect();
        let losses: Vec<String> = rs
            .iter()
            .filter(|r| r.1 >= 1.0)
            .map(|r| format!("{} ({} slower than {})", r.0, times(r.1), label(r.2)))
            .collect();
        lines.push(match (wins.is_empty(), losses.is_empty()) {
            (false, true) => format!("- {title}: faer is fastest at every n measured."),
            (true, _) => format!(
                "- {title}: faer is slower at every n: {}.",
                losses.join(", ")
            ),
            (false, false) => format!(
                "- {title}: faer is fastest at n = {}; slower at n = {}.",
                wins.join(", "),
                losses.join(", ")
            ),
        });
    }
    // OpenBLAS on two threads against one, per kernel: on a loaded machine its spinning
    // worker threads can make two threads much slower than one.
    let worst = KERNELS
        .iter()
        .flat_map(|(k, t)| sizes.iter().map(move |&n| (*k, *t, n)))
        .filter_map(|(k, t, n)| {
            let one = table.cell(k, "openblas-1t", n)?.time.mean;
            let two = table.cell(k, "openblas-2t", n)?.time.mean;
            Some((two / one, t, n))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((ratio, title, n)) = worst {
        if ratio > 2.0 {
            lines.push(format!(
                "\nOpenBLAS on two threads was up to {} slower than on one in this run ({title}, n = {n}): this run does not measure why; OpenBLAS's worker threads busy-wait for work, which on a machine whose cores are busy with other processes is the likely cause (on an idle machine two threads should not be slower). The ratios above therefore compare faer with OpenBLAS on one thread wherever its two-thread timing was slower.",
                times(ratio)
            ));
        }
    }
    report.set("wins_losses", lines.join("\n"));
}

fn why(data: &Data, table: &Table<'_>, report: &mut Report) {
    let mut lines = Vec::new();
    for &n in &data.backend_plan.sizes {
        let n3 = (n as f64).powi(3);
        let get = |id: &str| data.try_get(&format!("backends-profile/{id}/{n}"));
        let mm = table
            .cell("matmul", "faer-1t", n)
            .map(|c| 2.0 * n3 / c.time.mean);
        let eig = table.cell("eigenvalues", "faer-1t", n);
        let svd = table.cell("svd", "faer-1t", n);
        if let (Some(t), Some(e), Some(mm)) = (get("tridiag-faer-1t"), eig, mm) {
            let ob = table.cell("eigenvalues", "openblas-1t", n);
            lines.push(format!(
                "- n = {n}, one thread: faer's tridiagonalization alone takes {} of its {} for the eigenvalues ({}%), at {} GFLOP/s (`4/3 n^3` flops) against its matmul's {} GFLOP/s{}.{}",
                secs(t.mean),
                secs(e.time.mean),
                short(100.0 * t.mean / e.time.mean, 3),
                short(4.0 / 3.0 * n3 / t.mean * 1e-9, 3),
                short(mm * 1e-9, 3),
                ob.map_or(String::new(), |o| format!("; OpenBLAS's whole `eigvalsh` takes {}", secs(o.time.mean))),
                match (get("bidiag-faer-1t"), svd) {
                    (Some(b), Some(s)) => format!(
                        " The bidiagonalization alone takes {} of the SVD's {} ({}%, {} GFLOP/s for `8/3 n^3` flops).",
                        secs(b.mean),
                        secs(s.time.mean),
                        short(100.0 * b.mean / s.time.mean, 3),
                        short(8.0 / 3.0 * n3 / b.mean * 1e-9, 3)
                    ),
                    _ => String::new(),
                }
            ));
        }
    }
    let parallel: Vec<String> = data
        .backend_plan
        .sizes
        .iter()
        .filter_map(|&n| {
            let one = data.try_get(&format!("backends-profile/tridiag-faer-1t/{n}"))?;
            let two = data.try_get(&format!("backends-profile/tridiag-faer-2t/{n}"))?;
            Some(format!("{} at n = {n}", times(one.mean / two.mean)))
        })
        .collect();
    lines.push(format!(
        "- Two threads speed faer's tridiagonalization up by {}.",
        parallel.join(", ")
    ));
    lines.push(String::new());
    lines.push(conclusion(data, table));
    report.set("why_backends", lines.join("\n"));
}

/// What the profile and the ratios say, decided on the data at the largest n where faer and
/// OpenBLAS both ran: whether faer's eigenvalues lose, whether the tridiagonal reduction takes
/// most of their time and how its rate compares with matmul's; and faer's standing on the
/// three kernels of a `W` time point (Cholesky, triangular solve, matmul) at n = 256.
fn conclusion(data: &Data, table: &Table<'_>) -> String {
    let sizes = &data.backend_plan.sizes;
    let at = sizes.iter().rev().copied().find(|&n| {
        table.cell("eigenvalues", "faer-1t", n).is_some()
            && table.cell("eigenvalues", "openblas-1t", n).is_some()
    });
    let mut text = Vec::new();
    if let Some(n) = at {
        let n3 = (n as f64).powi(3);
        let eig = table.cell("eigenvalues", "faer-1t", n).map(|c| c.time.mean);
        let ob = table
            .cell("eigenvalues", "openblas-1t", n)
            .map(|c| c.time.mean);
        let tri = data.try_get(&format!("backends-profile/tridiag-faer-1t/{n}"));
        let mm = table
            .cell("matmul", "faer-1t", n)
            .map(|c| 2.0 * n3 / c.time.mean);
        if let (Some(e), Some(o), Some(t), Some(mm)) = (eig, ob, tri, mm) {
            let share = t.mean / e;
            let rate = 4.0 / 3.0 * n3 / t.mean / mm;
            text.push(format!(
                "At n = {n} on one thread faer's symmetric eigenvalues take {} of OpenBLAS's time; the tridiagonal reduction is {}% of faer's time and runs at {}% of faer's matmul rate{}.",
                times(e / o),
                short(100.0 * share, 3),
                short(100.0 * rate, 3),
                if t.mean > o {
                    format!(
                        ", and alone it takes longer than OpenBLAS's whole `eigvalsh` ({} against {}): the reduction, a Householder sweep whose matrix-vector half is bound by memory bandwidth, is where faer loses",
                        secs(t.mean),
                        secs(o)
                    )
                } else {
                    String::new()
                }
            ));
        }
    }
    let n = 256;
    let parts: Vec<String> = ["cholesky", "triangular-solve", "matmul"]
        .iter()
        .filter_map(|k| {
            table
                .faer_vs_best(k, n)
                .map(|((_, f), (w, b))| format!("{k} {} ({})", times(f / b), label(w)))
        })
        .collect();
    if !parts.is_empty() {
        text.push(format!(
            "For the trajectory kernels: a `W` time point is a Cholesky, a triangular solve and a product; at n = {n} faer's time over the best alternative's is {} (below one: faer is faster). Eigenvalues through a dense symmetric eigensolver per time point would pay the tridiagonal reduction at the rate above; eigenvalues from a factor the kernel already has avoid it.",
            parts.join(", ")
        ));
    }
    text.join(" ")
}

fn end_to_end(data: &Data, report: &mut Report) {
    let mut rows = Vec::new();
    let get = |id: &str| data.try_get(&format!("targets/{id}"));
    for e in data.trajectory["e2e"].as_array().into_iter().flatten() {
        let name = e["name"].as_str().unwrap_or("?");
        let w = get(&format!("{name}-auto-w"));
        let eig = get(&format!("{name}-auto-eigenvalues"));
        let ours = match (w, eig) {
            (Some(w), Some(e)) => Some(w.plus(e)),
            _ => None,
        };
        // The NumPy setup is paid once: no ratio to a per-call time.
        let setup = python_row(data, name, "numpy-setup").and_then(Estimate::from_json);
        rows.push(vec![
            format!("`{name}`"),
            "NumPy setup: `eigh` of `Y`, the inverse of the shape (once)".into(),
            setup.map_or("not measured".into(), |t| t.with_interval()),
            String::new(),
        ]);
        let mut push = |method: &str, t: Option<Estimate>, wonly: bool| {
            let base = if wonly { w } else { ours };
            rows.push(vec![
                format!("`{name}`"),
                method.to_string(),
                t.map_or("not measured".into(), |t| t.with_interval()),
                match (t, base) {
                    (Some(t), Some(b)) => times(t.mean / b.mean),
                    _ => String::new(),
                },
            ]);
        };
        push("mfflow, `W` (Auto)", w, true);
        push("mfflow, `W` and eigenvalues (Auto, two calls)", ours, false);
        let py = |m: &str| python_row(data, name, m).and_then(Estimate::from_json);
        for threads in [1, 2] {
            let row = |m: &str| {
                data.python.as_ref().ok().and_then(|p| {
                    p["e2e"].as_array()?.iter().find(|e| e["name"] == name)?["rows"]
                        .as_array()?
                        .iter()
                        .find(|r| r["method"] == m && r["threads"].as_u64() == Some(threads))
                        .and_then(Estimate::from_json)
                })
            };
            push(
                &format!("NumPy/SciPy, stable inverse form, `W`, {threads} OpenBLAS thread(s)"),
                row("numpy-w"),
                true,
            );
            push(
                &format!("NumPy/SciPy, `W` then `eigvalsh`, {threads} OpenBLAS thread(s)"),
                row("numpy-w-eigvalsh"),
                false,
            );
        }
        if e["n"].as_u64().is_some_and(|n| n <= 64) {
            push(
                "SciPy `solve_ivp` DOP853 rtol `1e-12`, then `eigvalsh`",
                py("scipy-dop853-eigvalsh"),
                false,
            );
            push(
                "Rust DP5(4), rtol `1e-12` (`mfflow::ode`), `W` only",
                get(&format!("{name}-ode")),
                true,
            );
        }
    }
    let mut r = Report::new("{{t}}");
    r.table(
        "t",
        &[
            "instance",
            "method",
            "time (mean [95% CI])",
            "time / mfflow's same output",
        ],
        &rows,
    );
    report.set("e2e_table", r.render().unwrap_or_default());
    report.set(
        "e2e_notes",
        "The NumPy/SciPy script is what a skilled user writes from the same closed form (MATH.md section 3): the eigendecomposition of `Y` once (timed separately, as `Trajectory::new` is not timed here), then per output time the inner matrix `E P E + alpha D`, its Cholesky factor, a triangular solve against `Phi^T` and a product; `eigvalsh` of each `W` for the eigenvalues. The generic route integrates the factor ODE (2) with SciPy's DOP853 at `rtol = 1e-12` (atol `1e-15 max abs(U(0))`, as `mfflow::ode`). How far their answers are from mfflow's is in the notes under the targets.",
    );
}

//! `perf-report`: renders `reports/performance/README.md` from the criterion results of
//! `cargo bench -p mfflow --bench kernels` (run by `cargo xtask bench`).
//!
//! Usage: `perf-report --criterion DIR --out DIR`. Reads each benchmark's `new/estimates.json`
//! (mean and its confidence interval) and `mfflow-bench.json` written by the bench binary (the
//! plan of the run — sizes, time counts — and the measured accuracy), and derives everything in
//! the report from them: no number is typed in.

use mfflow_lab::output::{short, Outputs};
use mfflow_lab::plot::{LinePlot, Series};
use mfflow_lab::report::Report;
use mfflow_lab::stats::least_squares_slope;
use mfflow_lab::{lab_err, Result};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::ExitCode;

const TEMPLATE: &str = include_str!("perf-report.md");
/// Flops per output time of the inverse form with `W` in the original basis (issue #7's model):
/// a Cholesky (n³/3), one triangular solve with n right-hand sides (n³) and a half Gram (n³).
const INVERSE_FLOPS: f64 = 2.3;
const TARGET_256: f64 = 0.08;
const TARGET_SPEEDUP: f64 = 200.0;
const TARGET_ACCURACY: f64 = 1e-12;

struct Args {
    criterion: PathBuf,
    out: PathBuf,
}

fn parse_args() -> Result<Args> {
    let mut criterion = None;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--criterion" => criterion = args.next().map(PathBuf::from),
            "--out" => out = args.next().map(PathBuf::from),
            other => return Err(lab_err!("unknown argument `{other}`")),
        }
    }
    Ok(Args {
        criterion: criterion.ok_or_else(|| lab_err!("--criterion DIR is required"))?,
        out: out.ok_or_else(|| lab_err!("--out DIR is required"))?,
    })
}

fn main() -> ExitCode {
    match parse_args().and_then(|a| run(&a)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("perf-report: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Mean time in seconds with its 95% interval, from criterion's `estimates.json`.
#[derive(Debug, Clone, Copy)]
struct Estimate {
    mean: f64,
    lo: f64,
    hi: f64,
}

struct Results {
    dir: PathBuf,
}

impl Results {
    fn get(&self, id: &str) -> Result<Estimate> {
        let path = self.dir.join(id).join("new").join("estimates.json");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            lab_err!(
                "{}: {e} (run `cargo xtask bench` to produce it)",
                path.display()
            )
        })?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| lab_err!("{}: not criterion JSON: {e}", path.display()))?;
        let f = |p: &str| {
            v.pointer(p)
                .and_then(Value::as_f64)
                .ok_or_else(|| lab_err!("{}: missing {p}", path.display()))
        };
        Ok(Estimate {
            mean: f("/mean/point_estimate")? * 1e-9,
            lo: f("/mean/confidence_interval/lower_bound")? * 1e-9,
            hi: f("/mean/confidence_interval/upper_bound")? * 1e-9,
        })
    }

    fn sweep(&self, group: &str, name: &str, sizes: &[usize]) -> Result<Vec<(f64, Estimate)>> {
        sizes
            .iter()
            .map(|&n| Ok((n as f64, self.get(&format!("{group}/{name}/{n}"))?)))
            .collect()
    }
}

/// Least-squares slope of log(time) against log(size) over the given points.
fn loglog_slope(pts: &[(f64, Estimate)]) -> f64 {
    let xy: Vec<(f64, f64)> = pts.iter().map(|(n, e)| (n.ln(), e.mean.ln())).collect();
    least_squares_slope(&xy).unwrap_or(f64::NAN)
}

/// What the bench run measured (written by the bench binary, so the sizes live in one place).
struct Plan {
    quick: bool,
    sizes: Vec<usize>,
    reference_sizes: Vec<usize>,
    gd_max_n: usize,
    sweep_times: usize,
    time_counts: Vec<usize>,
}

impl Plan {
    fn read(v: &Value) -> Option<Self> {
        let list = |key: &str| -> Option<Vec<usize>> {
            v[key]
                .as_array()?
                .iter()
                .map(|x| x.as_u64().map(|x| x as usize))
                .collect()
        };
        Some(Self {
            quick: v["quick"].as_bool()?,
            sizes: list("sizes")?,
            reference_sizes: list("reference_sizes")?,
            gd_max_n: v["gd_max_n"].as_u64()? as usize,
            sweep_times: v["sweep_times"].as_u64()? as usize,
            time_counts: list("time_counts")?,
        })
    }
}

fn secs(x: f64) -> String {
    if x >= 1.0 {
        format!("{} s", short(x, 3))
    } else if x >= 1e-3 {
        format!("{} ms", short(x * 1e3, 3))
    } else if x >= 1e-6 {
        format!("{} µs", short(x * 1e6, 3))
    } else {
        format!("{} ns", short(x * 1e9, 3))
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let threads = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "rustc (unknown version)".into());
    let (rev, dirty) = mfflow_lab::output::git_revision();
    format!(
        "{cpu}, {threads} hardware threads available; {rustc}; faer 0.24; {} {}, git {rev}{}",
        std::env::consts::OS,
        std::env::consts::ARCH,
        if dirty {
            " (with uncommitted changes)"
        } else {
            ""
        }
    )
}

/// Where one time point of the n = 256 kernel goes, from the `phases` benchmarks of the same
/// run (the faer calls the kernel makes, each timed alone on one thread) against the measured
/// one-thread kernel.
fn why_256(res: &Results, w_seq: Estimate, into_seq: Estimate, mm_seq: Estimate) -> Result<String> {
    let n3 = 256f64.powi(3);
    let chol = res.get("phases/cholesky")?.mean;
    let solve = res.get("phases/triangular-solve")?.mean;
    let gram = res.get("phases/half-gram")?.mean;
    let fresh = res.get("phases/fresh-output-x101")?.mean / 101.0;
    let per_into = into_seq.mean / 101.0;
    let roof = 2.0 * n3 / mm_seq.mean;
    let rate = |flops: f64, t: f64| short(flops / t * 1e-9, 3);
    let pct = |x: f64| short(100.0 * x / per_into, 3);
    let sum = chol + solve + gram;
    Ok(format!(
        "one time point on one thread takes {} in `w_into`. Its three faer calls, each timed alone in this run: the Cholesky of the inner matrix {} ({} GFLOP/s, {}% of the time point), the triangular solve with 256 right-hand sides {} ({} GFLOP/s, {}%), the half Gram {} ({} GFLOP/s, {}%); a sequential 256 x 256 matmul runs at {} GFLOP/s. The rest, {} ({}%), is forming the inner matrix, copying `Phi^T` and mirroring the Gram. {} So the kernel does the minimal {} n^3 flops; what keeps it below the matmul roof is that at n = 256 faer's Cholesky and triangular solve run at {}% and {}% of its matmul rate, and the O(n^2) work between them.",
        secs(per_into),
        secs(chol),
        rate(n3 / 3.0, chol),
        pct(chol),
        secs(solve),
        rate(n3, solve),
        pct(solve),
        secs(gram),
        rate(n3, gram),
        pct(gram),
        short(roof * 1e-9, 3),
        secs((per_into - sum).max(0.0)),
        pct((per_into - sum).max(0.0)),
        fresh_output_note(w_seq, into_seq, fresh),
        INVERSE_FLOPS,
        short(100.0 * n3 / 3.0 / chol / roof, 2),
        short(100.0 * n3 / solve / roof, 2),
    ))
}

/// What a fresh output costs `w` over `w_into` on one thread at n = 256: the measured
/// difference when the two intervals are apart, otherwise that it is within the noise; and the
/// cost of a fresh matrix alone (`phases/fresh-output-x101`).
fn fresh_output_note(w_seq: Estimate, into_seq: Estimate, fresh: f64) -> String {
    let per = |e: f64| secs(e / 101.0);
    let alone = format!(
        "a fresh zeroed 256 x 256 matrix alone (allocation, first-touch page faults, the free) costs {} in this run",
        secs(fresh)
    );
    if w_seq.lo > into_seq.hi {
        format!(
            "`w` on one thread takes {} per time point, {} more than `w_into`; {alone}.",
            per(w_seq.mean),
            per(w_seq.mean - into_seq.mean)
        )
    } else if w_seq.hi < into_seq.lo {
        format!(
            "In this run `w` on one thread ({} per time point) was faster than `w_into` ({}), although {alone}. The two benchmarks ran at different moments, and criterion's interval does not capture the drift of the machine's speed between benchmarks (the n = 256 roof itself differs from run to run), so read this gap as noise, not as `w` being cheaper.",
            per(w_seq.mean),
            per(into_seq.mean)
        )
    } else {
        format!(
            "`w` on one thread ({} per time point) and `w_into` ({}) are within each other's interval in this run; {alone}.",
            per(w_seq.mean),
            per(into_seq.mean)
        )
    }
}

/// The matmul roof in flop/s at size `n`: the better of one `n x n` product taking `one`
/// seconds and two independent ones at once, one per thread (how the closed-form kernels use
/// the threads), taking `pair` seconds.
fn matmul_roof(n: usize, one: f64, pair: f64) -> f64 {
    let n3 = (n as f64).powi(3);
    (2.0 * n3 / one).max(4.0 * n3 / pair)
}

/// Rows of the memory table from the bench's `memory` record.
fn memory_rows(mem: &Value) -> Vec<Vec<String>> {
    let mib = |b: f64| format!("{} MiB", short(b / 1048576.0, 3));
    mem["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    let out = r["output_bytes"].as_f64().unwrap_or(f64::NAN);
                    let growth = r["peak_growth_bytes"].as_f64();
                    vec![
                        format!("`{}`", r["call"].as_str().unwrap_or("?")),
                        r["times"].to_string(),
                        mib(out),
                        growth.map_or("not measured (no /proc)".into(), mib),
                        growth.map_or(String::new(), |g| short(g / out, 3)),
                        r["note"].as_str().unwrap_or("").to_string(),
                    ]
                })
                .collect()
        })
        .unwrap_or_default()
}

fn run(args: &Args) -> Result<()> {
    let res = Results {
        dir: args.criterion.clone(),
    };
    let record_path = args.criterion.join("mfflow-bench.json");
    let record: Value = std::fs::read_to_string(&record_path)
        .map_err(|e| lab_err!("{}: {e}", record_path.display()))
        .and_then(|t| {
            serde_json::from_str(&t).map_err(|e| lab_err!("{}: {e}", record_path.display()))
        })?;
    let plan = Plan::read(&record["plan"])
        .ok_or_else(|| lab_err!("{}: no valid `plan`", record_path.display()))?;
    let acc = &record["accuracy"];
    let sizes = &plan.sizes;
    let out = Outputs::create(&args.out)?;
    let mut report = Report::new(TEMPLATE);
    report.set("machine", machine());
    report.set(
        "mode",
        if plan.quick {
            "quick (`cargo xtask bench --quick`: n up to 128, short measurements)"
        } else {
            "full (`cargo xtask bench`)"
        },
    );

    // --- Targets.
    let t256 = res.get("targets/n256-t101-inverse")?;
    let t256_seq = res.get("targets/n256-t101-inverse-seq")?;
    let into256 = res.get("targets/n256-t101-inverse-into")?;
    let into256_seq = res.get("targets/n256-t101-inverse-into-seq")?;
    let mm256 = res.get("targets/n256-matmul")?;
    let mm256_seq = res.get("targets/n256-matmul-seq")?;
    let mm256_pair = res.get("targets/n256-matmul-pair")?;
    let flops256 = INVERSE_FLOPS * 256f64.powi(3) * 101.0;
    // The roof on all threads: one product split by faer, or two at once, one per thread.
    let roof256 = matmul_roof(256, mm256.mean, mm256_pair.mean);
    let t64 = res.get("targets/n64-t201-inverse")?;
    let into64 = res.get("targets/n64-t201-inverse-into")?;
    let ode64 = res.get("targets/n64-t201-ode")?;
    let rows = acc["rows"]
        .as_array()
        .ok_or_else(|| lab_err!("{}: no accuracy rows", record_path.display()))?;
    let err_of = |m: &str| {
        rows.iter()
            .find(|r| r["method"] == m)
            .and_then(|r| r["error"].as_f64())
    };
    let inv_err = err_of("inverse").ok_or_else(|| lab_err!("no inverse accuracy"))?;
    let ode_err = err_of("ode-rtol1e-12");
    let verdict = |ok: bool| if ok { "met" } else { "**missed**" };
    let time_row = |what: &str, e: Estimate| -> Vec<String> {
        vec![
            what.into(),
            format!("<= {}", secs(TARGET_256)),
            format!("{} [{}, {}]", secs(e.mean), secs(e.lo), secs(e.hi)),
            format!(
                "{} ({}% of target time{})",
                verdict(e.mean <= TARGET_256),
                short(100.0 * e.mean / TARGET_256, 3),
                if e.mean <= TARGET_256 {
                    String::new()
                } else {
                    format!(", {}% over", short(100.0 * (e.mean / TARGET_256 - 1.0), 2))
                }
            ),
        ]
    };
    let rate_row = |what: &str, e: Estimate| -> Vec<String> {
        let achieved = flops256 / e.mean;
        vec![
            what.into(),
            "about 60% of the roof".into(),
            format!(
                "{} vs {} GFLOP/s = {}%",
                short(achieved * 1e-9, 3),
                short(roof256 * 1e-9, 3),
                short(100.0 * achieved / roof256, 3)
            ),
            verdict(achieved / roof256 >= 0.6).into(),
        ]
    };
    let speedup_row = |what: &str, e: Estimate| -> Vec<String> {
        let speedup = ode64.mean / e.mean;
        vec![
            what.into(),
            format!(">= {TARGET_SPEEDUP}x"),
            format!(
                "{}x ({} vs {})",
                short(speedup, 3),
                secs(e.mean),
                secs(ode64.mean)
            ),
            verdict(speedup >= TARGET_SPEEDUP).into(),
        ]
    };
    let target_rows = vec![
        time_row(
            "n = 256, 101 times, full W (original basis), 2 threads: `w` (allocates the output)",
            t256,
        ),
        time_row(
            "same, `w_into` (into matrices the caller owns; no fresh pages)",
            into256,
        ),
        rate_row(
            "`w`: achieved GFLOP/s vs matmul at n = 256 (same run)",
            t256,
        ),
        rate_row("`w_into`: same", into256),
        speedup_row(
            "n = 64, 201 times: speed-up of `w` over the ODE route (rtol 1e-12)",
            t64,
        ),
        speedup_row("same, `w_into`", into64),
        vec![
            "same: error of the closed form vs the known answer".into(),
            format!("<= {}", short(TARGET_ACCURACY, 1)),
            format!(
                "{} (ODE at rtol 1e-12: {})",
                short(inv_err, 2),
                ode_err.map_or("failed".into(), |e| short(e, 2))
            ),
            verdict(inv_err <= TARGET_ACCURACY).into(),
        ],
    ];
    report.table(
        "target_table",
        &["target", "asked", "measured (mean [95% CI])", "verdict"],
        &target_rows,
    );
    report.set("why_256", why_256(&res, t256_seq, into256_seq, mm256_seq)?);
    // The issue pairs its two n = 256 targets: 80 ms is "about 60% of the roof" only on a
    // machine with a particular roof. Say what this machine's roof implies.
    let rate_for_target = flops256 / TARGET_256;
    report.set(
        "target_consistency",
        format!(
            "The two n = 256 targets agree only on a machine whose roof is about {} GFLOP/s ({} GFLOP/s needed for {} within {}, divided by 0.6). This run measured a roof of {} GFLOP/s, so on this machine the target time would take {}% of the roof, and 60% of the roof means about {}.",
            short(rate_for_target / 0.6 * 1e-9, 3),
            short(rate_for_target * 1e-9, 3),
            format_args!("{} n^3 flops x 101 times", INVERSE_FLOPS),
            secs(TARGET_256),
            short(roof256 * 1e-9, 3),
            short(100.0 * rate_for_target / roof256, 3),
            secs(flops256 / (0.6 * roof256)),
        ),
    );
    report.set(
        "parallel_256",
        format!(
            "{}x for `w` ({} on one thread) and {}x for `w_into` ({} on one thread); for comparison, faer splitting one 256 x 256 product over 2 threads gains {}x, and two independent products at once, one per thread, {}x",
            short(t256_seq.mean / t256.mean, 3),
            secs(t256_seq.mean),
            short(into256_seq.mean / into256.mean, 3),
            secs(into256_seq.mean),
            short(mm256_seq.mean / mm256.mean, 3),
            short(2.0 * mm256_seq.mean / mm256_pair.mean, 3)
        ),
    );
    report.table(
        "memory_table",
        &[
            "call",
            "output times",
            "output size",
            "peak resident memory growth",
            "growth / output",
            "note",
        ],
        &memory_rows(&record["memory"]),
    );

    // --- Size sweep.
    let methods = [
        ("closed-form", "inverse", "inverse form, full W"),
        ("closed-form", "inverse-seq", "inverse form, 1 thread"),
        (
            "closed-form",
            "inverse-eigenvalues",
            "inverse form, eigenvalues only",
        ),
        ("closed-form", "factor", "factor form (any rank), full W"),
        (
            "closed-form",
            "spectral-scalar",
            "spectral scalar form (12)-(13)",
        ),
        ("closed-form", "printed-5", "printed formula (5) (baseline)"),
        ("matmul", "par", "faer matmul, 2 threads (one product)"),
        ("matmul", "seq", "faer matmul, 1 thread (one product)"),
        (
            "matmul",
            "pair",
            "faer matmul, two products at once, one per thread",
        ),
    ];
    let mut plot = LinePlot::new(
        format!(
            "Time against n ({} output times; matmul: one product)",
            plan.sweep_times
        ),
        "n (log scale)",
        "time in seconds (log scale)",
    );
    plot.log_x = true;
    plot.log_y = true;
    let mut sweep_rows = Vec::new();
    let tail = sizes.len().saturating_sub(3);
    let mut sweeps = Vec::new();
    for (i, (group, name, label)) in methods.iter().enumerate() {
        let pts = res.sweep(group, name, sizes)?;
        let slope = loglog_slope(&pts[tail..]);
        plot.series.push(
            Series::line(
                format!("{label} (slope {})", short(slope, 2)),
                pts.iter().map(|(n, e)| (*n, e.mean)).collect(),
            )
            .coloured(i),
        );
        let mut row = vec![label.to_string(), short(slope, 3)];
        row.extend(pts.iter().map(|(_, e)| secs(e.mean)));
        sweep_rows.push(row);
        sweeps.push(pts);
    }
    let fig = mfflow_lab::report::figure_markdown(
        &out,
        "time_vs_n",
        &plot,
        &format!("Mean time per call against n, log-log; the slope in the legend is fitted over the three largest n. Closed-form kernels evaluate {} output times per call.", plan.sweep_times),
    )?;
    report.set("time_figure", fig);
    let mut header = vec!["method".to_string(), "slope".to_string()];
    header.extend(sizes.iter().map(|n| format!("n = {n}")));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    report.table("sweep_table", &header, &sweep_rows);

    // GFLOP/s of the inverse form against matmul, per n.
    let gflops_rows: Vec<Vec<String>> = sizes
        .iter()
        .enumerate()
        .map(|(k, &n)| {
            let nf = n as f64;
            let flops = INVERSE_FLOPS * nf.powi(3) * plan.sweep_times as f64;
            let inv = flops / sweeps[0][k].1.mean;
            // The roof: one product split over the threads or on one thread (at small n
            // splitting costs more than it gains), whichever is faster, or two at once.
            let mm = matmul_roof(
                n,
                sweeps[6][k].1.mean.min(sweeps[7][k].1.mean),
                sweeps[8][k].1.mean,
            );
            let seq = flops / sweeps[1][k].1.mean;
            vec![
                n.to_string(),
                short(inv * 1e-9, 3),
                short(seq * 1e-9, 3),
                short(mm * 1e-9, 3),
                format!("{}%", short(100.0 * inv / mm, 3)),
                format!("{}x", short(sweeps[1][k].1.mean / sweeps[0][k].1.mean, 3)),
                format!("{}x", short(sweeps[0][k].1.mean / sweeps[2][k].1.mean, 3)),
                format!("{}x", short(sweeps[3][k].1.mean / sweeps[0][k].1.mean, 3)),
            ]
        })
        .collect();
    report.table(
        "gflops_table",
        &[
            "n",
            "inverse form GFLOP/s (2 threads)",
            "same, 1 thread",
            "matmul GFLOP/s (roof: best of one product on 1 or 2 threads, two at once)",
            "inverse / matmul",
            "parallel speed-up",
            "full W / eigenvalues only",
            "factor / inverse",
        ],
        &gflops_rows,
    );

    // --- Time sweep.
    let counts = &plan.time_counts;
    let pts = res.sweep("times", "inverse-n64", counts)?;
    let slope = loglog_slope(&pts[1..]);
    let mut plot = LinePlot::new(
        "Time against the number of output times, n = 64",
        "output times (log scale)",
        "time in seconds (log scale)",
    );
    plot.log_x = true;
    plot.log_y = true;
    plot.series.push(Series::line(
        format!("inverse form, full W (slope {})", short(slope, 2)),
        pts.iter().map(|(n, e)| (*n, e.mean)).collect(),
    ));
    report.figure(
        &out,
        "times_figure",
        &plot,
        &format!(
            "Mean time per call against the number of output times (n = 64, 2 threads); slope fitted over {}..{} times (a single time pays the fixed costs alone).",
            counts[1.min(counts.len() - 1)],
            counts[counts.len() - 1]
        ),
    )?;
    report.set("times_slope", short(slope, 3));
    report.set(
        "per_time_64",
        secs(pts[pts.len() - 1].1.mean / counts[counts.len() - 1] as f64),
    );

    // --- References.
    let mut ref_rows = Vec::new();
    for &n in &plan.reference_sizes {
        let ode = res.get(&format!("references/ode-rtol1e-12/{n}"))?;
        // The closed form's time at this n, when the size sweep has it.
        let closed = sizes.iter().position(|&s| s == n).map(|k| sweeps[0][k].1);
        let gdt = if n <= plan.gd_max_n {
            Some(res.get(&format!("references/gd-eta1e-3/{n}"))?)
        } else {
            None
        };
        ref_rows.push(vec![
            n.to_string(),
            closed.map_or("(see targets)".into(), |c| secs(c.mean)),
            secs(ode.mean),
            closed.map_or("".into(), |c| format!("{}x", short(ode.mean / c.mean, 3))),
            gdt.map_or("".into(), |g| secs(g.mean)),
            match (gdt, closed) {
                (Some(g), Some(c)) => format!("{}x", short(g.mean / c.mean, 3)),
                _ => String::new(),
            },
        ]);
    }
    report.table(
        "reference_table",
        &[
            "n",
            &format!("closed form ({} times)", plan.sweep_times),
            "ODE, rtol 1e-12",
            "ODE / closed",
            "GD, eta 1e-3",
            "GD / closed",
        ],
        &ref_rows,
    );

    // --- Accuracy.
    let acc_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r["method"].as_str().unwrap_or("?").to_string(),
                r["error"]
                    .as_f64()
                    .map_or("failed / not finite".into(), |e| short(e, 2)),
                r["note"].as_str().unwrap_or("").to_string(),
            ]
        })
        .collect();
    report.table(
        "accuracy_table",
        &["method", "max abs(W - W_exact) / norm(Y)", "what"],
        &acc_rows,
    );
    report.set("acc_n", acc["n"].to_string());
    report.set("acc_times", acc["times"].to_string());

    out.write("README.md", report.render()?.as_bytes())?;
    out.commit(json!({
        "report": "performance",
        "mode": if plan.quick { "quick" } else { "full" },
        "machine": machine(),
    }))
}

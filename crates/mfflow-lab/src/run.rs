//! One experiment run: the object an experiment's `main.rs` drives as a table of contents.
//!
//! A [`Run`] owns the validated config, the named seeds, the staged outputs, the report and the
//! timings of its parts. Each part of an experiment is a module with
//! `measure(&cfg, &seeds) -> Result<Data>` (all the computing) and
//! `report(&data, &out, &mut report) -> Result<()>` (CSV files, figures, tables and checked
//! sentences, reading only the data):
//!
//! ```ignore
//! mfflow_lab::run::main::<Config>(NAME, TEMPLATE, DEFAULT_CONFIG, |c| c.master_seed, |run| {
//!     run.part("agreement", agreement::measure, agreement::report)?;
//!     Ok(())
//! })
//! ```
//!
//! **Measure → data → render.** [`Run::part`] saves each part's data as
//! `data/<part>.json` in the report directory (serde; numbers in Rust's shortest round-trip
//! form, read back exactly), then renders from it. `--render-from DIR` (or `cargo xtask
//! reproduce NAME --render-only`) skips every `measure`: the config and the seed streams come
//! from `DIR/manifest.json`, each part's data from `DIR/data/<part>.json`, and the same
//! `report` functions write a report byte-identical to the full run (each experiment's smoke
//! test and `cargo xtask reproduce --check` compare the two). A caption or a sentence is
//! changed and re-rendered in seconds, without rerunning the Monte Carlo.
//!
//! The data files are also the seam for splitting a run over machines (issue 21): a shard
//! would save the data of its share of a part's independent units, a merge would combine the
//! shards' data into the part's `Data` (checking they are complete, disjoint and from one
//! commit and config) and hand it to the same `report`, so the merged report is the one a
//! single run writes. Data types therefore hold measurements only, never text derived from
//! them: everything said about the data is computed by `report`.

use crate::cli::Args;
use crate::config::{self, Validate};
use crate::output::{Outputs, MANIFEST};
use crate::report::{FileSink, Report};
use crate::seeds::Seeds;
use crate::{lab_err, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The directory of the saved part data inside a report.
pub const DATA_DIR: &str = "data";

/// A run in progress.
pub struct Run<C> {
    name: &'static str,
    /// The validated configuration.
    pub cfg: C,
    /// The named random streams of the config's master seed.
    pub seeds: Seeds,
    /// Where the run writes (staged until [`Run::finish`]).
    pub out: Outputs,
    /// The report being filled.
    pub report: Report,
    /// `Some(dir)` when rendering from the data saved in `dir` instead of measuring.
    render_from: Option<PathBuf>,
}

/// The whole `main` of an experiment: parses the command line ([`crate::cli`]), starts the
/// run, calls `parts` (the table of contents: one [`Run::part`] per part) and finishes.
pub fn main<C: DeserializeOwned + Validate + Serialize>(
    name: &'static str,
    template: &'static str,
    default_config: &str,
    master_seed: fn(&C) -> u64,
    parts: impl FnOnce(&mut Run<C>) -> Result<()>,
) -> ExitCode {
    crate::cli::main(name, default_config, |args| {
        let mut run = Run::<C>::start(name, template, args, master_seed)?;
        parts(&mut run)?;
        run.finish()
    })
}

impl<C: DeserializeOwned + Validate + Serialize> Run<C> {
    /// Reads and validates the config named by `args` (or, with `--render-from DIR`, the one
    /// recorded in `DIR/manifest.json`), derives the seeds from `master_seed(&cfg)` and opens
    /// the staged outputs.
    pub fn start(
        name: &'static str,
        template: &str,
        args: &Args,
        master_seed: impl Fn(&C) -> u64,
    ) -> Result<Self> {
        let (cfg, streams) = match &args.render_from {
            None => (config::load::<C>(&args.config)?.0, Vec::new()),
            Some(dir) => saved_config(dir, name)?,
        };
        let seeds = Seeds::new(master_seed(&cfg));
        seeds.record_used(streams);
        let out = Outputs::create(&args.out)?;
        Ok(Self {
            name,
            cfg,
            seeds,
            out,
            report: Report::new(template),
            render_from: args.render_from.clone(),
        })
    }

    /// Runs one part: `measure` (timed under `phase` in `run-info.json`) computes its data from
    /// the config and seeds — or, when rendering from saved data, the data is read from
    /// `data/<phase>.json` — the data is saved, and `report` writes the part's files and
    /// fills the report from that data alone. Returns the data for parts that build on it.
    pub fn part<D: Serialize + DeserializeOwned>(
        &mut self,
        phase: &str,
        measure: impl FnOnce(&C, &Seeds) -> Result<D>,
        report: impl FnOnce(&D, &Outputs, &mut Report) -> Result<()>,
    ) -> Result<D> {
        let rel = data_file(phase);
        let data = match &self.render_from {
            None => {
                let (cfg, seeds) = (&self.cfg, &self.seeds);
                self.out.time(phase, || measure(cfg, seeds))?
            }
            Some(dir) => read_json(&dir.join(&rel))?,
        };
        let mut text = serde_json::to_string(&data).map_err(|e| lab_err!("{rel}: {e}"))?;
        text.push('\n');
        self.out.write(&rel, text.as_bytes())?;
        report(&data, &self.out, &mut self.report)?;
        Ok(data)
    }

    /// Runs one part whose data is kept in memory only (not saved under `data/`): `measure` runs
    /// every time, also under `--render-from` (with the config and seed streams of the saved
    /// run, so the report comes out the same), then `report` renders from it. For parts whose
    /// data has no serialized form yet; a part that can be saved should use [`Run::part`], which
    /// re-renders without measuring.
    pub fn part_in_memory<D>(
        &mut self,
        phase: &str,
        measure: impl FnOnce(&C, &Seeds) -> Result<D>,
        report: impl FnOnce(&D, &Outputs, &mut Report) -> Result<()>,
    ) -> Result<D> {
        let (cfg, seeds) = (&self.cfg, &self.seeds);
        let data = self.out.time(phase, || measure(cfg, seeds))?;
        report(&data, &self.out, &mut self.report)?;
        Ok(data)
    }

    /// Renders the report, records the manifest and swaps the outputs in place.
    pub fn finish(self) -> Result<()> {
        self.out
            .finish(self.name, &self.report, &self.seeds, &self.cfg)
    }
}

/// `data/<phase>.json`, the phase's spaces and slashes as dashes.
pub fn data_file(phase: &str) -> String {
    let slug: String = phase
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{DATA_DIR}/{slug}.json")
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        lab_err!(
            "{}: cannot read the saved data ({e}); --render-from needs a report written by a \
             full run of this version",
            path.display()
        )
    })?;
    serde_json::from_str(&text).map_err(|e| {
        lab_err!(
            "{}: the saved data does not match this version's data types ({e}); rerun the \
             experiment without --render-from",
            path.display()
        )
    })
}

/// The config and the seed streams recorded in `dir/manifest.json` by a run of `name`.
fn saved_config<C: DeserializeOwned + Validate>(
    dir: &Path,
    name: &str,
) -> Result<(C, Vec<String>)> {
    #[derive(serde::Deserialize)]
    struct Manifest<C> {
        experiment: String,
        seed_streams: Vec<String>,
        config: C,
    }
    let path = dir.join(MANIFEST);
    let manifest: Manifest<C> = read_json(&path)?;
    if manifest.experiment != name {
        return Err(lab_err!(
            "{}: the data is from experiment `{}`, not `{name}`",
            path.display(),
            manifest.experiment
        ));
    }
    manifest
        .config
        .validate()
        .map_err(|e| lab_err!("{}: config: {e}", path.display()))?;
    Ok((manifest.config, manifest.seed_streams))
}

impl FileSink for Outputs {
    fn write_file(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        self.write(rel, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files_are_named_after_the_phase() {
        assert_eq!(
            data_file("limits and windows"),
            "data/limits-and-windows.json"
        );
        assert_eq!(data_file("cross-check"), "data/cross-check.json");
    }

    /// Every f64 written to a data file reads back as the same f64 (the float_roundtrip
    /// feature of serde_json; without it, some of these come back one ulp off).
    #[test]
    fn numbers_survive_the_data_file_exactly() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let values: Vec<f64> = (0..20000)
            .map(|_| {
                f64::from_bits(rng.random::<u64>() >> 2) * if rng.random() { -1.0 } else { 1.0 }
            })
            .filter(|v| v.is_finite())
            .chain([1e-300, 5e-324, f64::MAX, 0.1 + 0.2, -0.0])
            .collect();
        let text = serde_json::to_string(&values).unwrap();
        let back: Vec<f64> = serde_json::from_str(&text).unwrap();
        for (a, b) in values.iter().zip(&back) {
            assert_eq!(a.to_bits(), b.to_bits(), "{a:e}");
        }
    }
}

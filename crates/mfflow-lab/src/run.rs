//! One experiment run: the object an experiment's `main.rs` drives as a table of contents.
//!
//! A [`Run`] owns the validated config, the named seeds, the staged outputs, the report and the
//! timings of its parts. Each part of an experiment is a module with
//! `measure(&cfg, &seeds) -> Result<Data>` (all the computing; the data it returns is what the
//! part's CSV files hold) and `report(&data, &out, &mut report) -> Result<()>` (figures, tables
//! and checked sentences, reading only the data), so a caption or a sentence can be changed and
//! re-rendered without touching the measurement:
//!
//! ```ignore
//! let mut run = Run::<Config>::start(NAME, TEMPLATE, args, |c| c.master_seed)?;
//! run.part("agreement", agreement::measure, agreement::report)?;
//! run.finish()
//! ```

use crate::cli::Args;
use crate::config::{self, Validate};
use crate::output::Outputs;
use crate::report::{FileSink, Report};
use crate::seeds::Seeds;
use crate::Result;
use serde::de::DeserializeOwned;
use serde::Serialize;

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
}

impl<C: DeserializeOwned + Validate + Serialize> Run<C> {
    /// Reads and validates the config named by `args`, derives the seeds from
    /// `master_seed(&cfg)` and opens the staged outputs.
    pub fn start(
        name: &'static str,
        template: &str,
        args: &Args,
        master_seed: impl Fn(&C) -> u64,
    ) -> Result<Self> {
        let (cfg, _) = config::load::<C>(&args.config)?;
        let seeds = Seeds::new(master_seed(&cfg));
        let out = Outputs::create(&args.out)?;
        Ok(Self {
            name,
            cfg,
            seeds,
            out,
            report: Report::new(template),
        })
    }

    /// Runs one part: `measure` (timed under `phase` in `run-info.json`) computes its data from
    /// the config and seeds, `report` writes its files and fills the report from that data
    /// alone. Returns the data for parts that build on it.
    pub fn part<D>(
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

impl FileSink for Outputs {
    fn write_file(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        self.write(rel, bytes)
    }
}

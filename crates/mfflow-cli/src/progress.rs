//! A progress indicator for long work: an indicatif spinner with the phase and the elapsed
//! time, on stderr only, only when stderr is a terminal, never with `--quiet`, and only once
//! the work has taken longer than a second (short runs print nothing).
//!
//! The library computes all time points (or all grid points of a theorem) in one call and
//! reports nothing in between, so the indicator shows the current phase and the elapsed time,
//! not a fraction done.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long work runs before the indicator appears. `MFFLOW_PROGRESS_DELAY_MS` overrides it
/// (the tests use 0 to see the indicator without a slow instance).
fn delay() -> Duration {
    std::env::var("MFFLOW_PROGRESS_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(1))
}

/// The indicator of one run.
pub struct Progress {
    bar: ProgressBar,
    finished: Arc<Mutex<bool>>,
}

impl Progress {
    /// Starts the clock; the spinner appears after the delay if `enabled` and stderr is a
    /// terminal.
    pub fn start(enabled: bool, message: &str) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
            bar.set_style(style);
        }
        bar.set_message(message.to_string());
        let finished = Arc::new(Mutex::new(false));
        if enabled && std::io::stderr().is_terminal() {
            let (bar, finished) = (bar.clone(), finished.clone());
            std::thread::spawn(move || {
                std::thread::sleep(delay());
                let done = finished.lock().unwrap_or_else(|e| e.into_inner());
                if !*done {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                    bar.enable_steady_tick(Duration::from_millis(120));
                }
            });
        }
        Self { bar, finished }
    }

    /// Names the current phase.
    pub fn phase(&self, message: &str) {
        self.bar.set_message(message.to_string());
    }

    /// Removes the indicator (it leaves nothing on the terminal).
    pub fn finish(self) {
        let mut done = self.finished.lock().unwrap_or_else(|e| e.into_inner());
        *done = true;
        self.bar.finish_and_clear();
    }
}

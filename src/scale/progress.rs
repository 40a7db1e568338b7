//! Progress of long commands: an indicatif bar with rate and ETA on a
//! terminal, a log line every 10% or 30 seconds otherwise (batch jobs, Slurm
//! logs), nothing when hidden.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{HumanDuration, ProgressBar, ProgressStyle};

/// A progress report over `total` items (see the module docs).
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    label: String,
    unit: String,
    log: Option<Mutex<LogState>>,
}

#[derive(Debug)]
struct LogState {
    last: Instant,
    next_pct: u64,
}

/// Seconds between log lines when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(30);

impl Progress {
    /// A report labelled `label` counting `unit` (e.g. `run`, `programs`);
    /// hidden when `show` is false.
    ///
    /// ```
    /// let p = codefail::scale::Progress::new("run", "programs", 500, false);
    /// p.inc(10);
    /// assert_eq!(p.position(), 10);
    /// p.finish();
    /// ```
    pub fn new(label: &str, unit: &str, total: u64, show: bool) -> Progress {
        Self::with_terminal(label, unit, total, show, std::io::stderr().is_terminal())
    }

    /// [`Progress::new`] with the terminal test decided by the caller
    /// (`terminal: false` gives log lines).
    ///
    /// ```
    /// let p = codefail::scale::Progress::with_terminal("sample", "answers", 4, true, false);
    /// p.inc(4);
    /// p.finish();
    /// ```
    pub fn with_terminal(
        label: &str,
        unit: &str,
        total: u64,
        show: bool,
        terminal: bool,
    ) -> Progress {
        let (bar, log) = if show && terminal {
            let b = ProgressBar::new(total);
            b.set_style(
                ProgressStyle::with_template(&format!(
                    "{{spinner}} {label} {{bar:30}} {{pos}}/{{len}} {unit}  {{per_sec}}  ETA {{eta}} {{msg}}"
                ))
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.enable_steady_tick(Duration::from_millis(250));
            (b, None)
        } else {
            let b = ProgressBar::hidden();
            b.set_length(total);
            let log = show.then(|| {
                Mutex::new(LogState {
                    last: Instant::now(),
                    next_pct: 10,
                })
            });
            (b, log)
        };
        Progress {
            bar,
            label: label.into(),
            unit: unit.into(),
            log,
        }
    }

    /// Count `n` more items done.
    ///
    /// ```
    /// let p = codefail::scale::Progress::new("x", "items", 2, false);
    /// p.inc(1);
    /// ```
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
        if let Some(log) = &self.log {
            let mut st = log.lock().unwrap_or_else(|e| e.into_inner());
            let len = self.bar.length().unwrap_or(0).max(1);
            let pct = 100 * self.bar.position() / len;
            if pct >= st.next_pct || st.last.elapsed() >= LOG_EVERY {
                st.next_pct = (pct / 10 + 1) * 10;
                st.last = Instant::now();
                eprintln!("{}", self.line());
            }
        }
    }

    /// A note shown after the counts (e.g. `12.3 tok/s`).
    ///
    /// ```
    /// let p = codefail::scale::Progress::new("x", "items", 2, false);
    /// p.set_message("fast");
    /// ```
    pub fn set_message(&self, msg: impl Into<String>) {
        self.bar.set_message(msg.into());
    }

    /// Items done so far.
    ///
    /// ```
    /// assert_eq!(codefail::scale::Progress::new("x", "items", 2, false).position(), 0);
    /// ```
    pub fn position(&self) -> u64 {
        self.bar.position()
    }

    fn line(&self) -> String {
        let pos = self.bar.position();
        let len = self.bar.length().unwrap_or(0);
        let msg = self.bar.message();
        format!(
            "{}: {pos}/{len} {} ({}%), {:.2}/s, elapsed {}, ETA {}{}",
            self.label,
            self.unit,
            100 * pos / len.max(1),
            self.bar.per_sec(),
            HumanDuration(self.bar.elapsed()),
            HumanDuration(self.bar.eta()),
            if msg.is_empty() {
                String::new()
            } else {
                format!(", {msg}")
            }
        )
    }

    /// Clear the bar (terminal) or log the final count (log lines).
    ///
    /// ```
    /// codefail::scale::Progress::new("x", "items", 0, false).finish();
    /// ```
    pub fn finish(&self) {
        if self.log.is_some() && self.bar.position() > 0 {
            eprintln!(
                "{}: done, {} {} in {}",
                self.label,
                self.bar.position(),
                self.unit,
                HumanDuration(self.bar.elapsed())
            );
        }
        self.bar.finish_and_clear();
    }
}

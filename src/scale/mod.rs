//! Scaling out: long runs that survive faults, shards for job arrays (Slurm),
//! merging parts, progress reporting and experiment tracking.
//!
//! - [`Shard`] (`--shard I/N`, 0-based) and [`shard_of`]: a task's shard
//!   depends only on its id and `N` (a stable hash), so every stage sees the
//!   same tasks in shard `I`; [`Shard::filter`] keeps a frame's rows of one shard.
//! - [`ShardRun`]: a command's part file `<out stem>.shard-I-of-N.<ext>`, its
//!   journal and its [`Manifest`] (`<part stem>.manifest.json`: command,
//!   settings, shard, the tasks it owns, rows, finished flag, timings,
//!   versions). Journals are appended in whole lines and fsync'd in batches;
//!   a torn last line from a kill is cut off on resume ([`Journal`]).
//! - [`merge`]: concatenates parts, sorts them, refuses duplicated rows and
//!   reports missing tasks by id (`codefail merge`).
//! - [`Tracker`] and [`list_runs`]: every CLI run writes
//!   `outputs/runs/<run_id>/run.json` (settings, versions, timings,
//!   metrics) and its frames as parquet; [`list_runs`] puts all runs in one frame.
//! - [`Progress`]: a bar with rate and ETA on a terminal, periodic log lines
//!   otherwise (batch jobs), nothing when quiet.
//!
//! ```no_run
//! use codefail::prelude::*;
//! use codefail::scale::{PartSpec, Shard, ShardRun};
//! let problems = load("mbpp", &LoadOptions { split: Some("test".into()), ..Default::default() })?;
//! let (gens, _) = load_generations("../shared/data/generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl")?;
//! let shard: Shard = "1/4".parse()?;
//! let spec = PartSpec { command: "run", config: serde_json::json!({}), input: &gens, rows_per_task: None, keeps_output: false };
//! let mut part = ShardRun::begin("outputs/r.parquet".as_ref(), shard, &spec)?;
//! let cfg = RunConfig { journal: Some(part.journal()), ..Default::default() };
//! let mut results = run(&problems, &shard.filter(&gens)?, &cfg)?;
//! write_results(&mut results, &part.part)?;
//! part.finish(results.height())?;
//! # Ok::<(), codefail::Error>(())
//! ```

mod parts;
mod progress;
mod shard;
mod track;

use std::time::{SystemTime, UNIX_EPOCH};

/// The store's journal and atomic writes, under their earlier paths.
pub use crate::store::{Journal, cut_torn_tail, write_atomic};
pub use parts::{
    MANIFEST_FORMAT, Manifest, MergeReport, Merged, PartSpec, ShardRun, chunks_path, frame_digest,
    journal_path, manifest_path, merge, rows_without_timing, sort_rows,
};
pub use progress::Progress;
pub use shard::{Shard, natural_key, shard_of, task_counts};
pub use track::{
    Tracker, git_commit, list_runs, model_sha256, python_version, read_run, run_frame, run_status,
};

/// The current UTC time as RFC 3339 (`2025-06-11T14:26:53Z`).
///
/// ```
/// let t = codefail::scale::now_utc();
/// assert!(t.ends_with('Z') && t.len() == 20);
/// ```
pub fn now_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    utc_string(secs, true)
}

/// Seconds since 1970 as `YYYY-MM-DDTHH:MM:SSZ` (or compact `YYYYMMDDTHHMMSSZ`).
pub(crate) fn utc_string(secs: u64, separators: bool) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    if separators {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}Z")
    } else {
        format!("{y:04}{mo:02}{d:02}T{h:02}{m:02}{s:02}Z")
    }
}

/// codefail's version and the git commit of its source tree (when known).
///
/// ```
/// let v = codefail::scale::versions_json();
/// assert_eq!(v["codefail"], env!("CARGO_PKG_VERSION"));
/// ```
pub fn versions_json() -> serde_json::Value {
    serde_json::json!({
        "codefail": env!("CARGO_PKG_VERSION"),
        "git_commit": git_commit(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_strings() {
        assert_eq!(utc_string(0, true), "1970-01-01T00:00:00Z");
        assert_eq!(utc_string(951_782_400, true), "2000-02-29T00:00:00Z");
        assert_eq!(utc_string(1_700_000_000, false), "20231114T221320Z");
    }

    #[test]
    fn torn_tails_are_cut_and_whole_lines_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j");
        std::fs::write(&p, "x").unwrap();
        assert_eq!(cut_torn_tail(&p).unwrap(), 1);
        assert_eq!(std::fs::read(&p).unwrap(), b"");
        let long = "y".repeat(200_000);
        std::fs::write(&p, format!("a\n{long}")).unwrap();
        assert_eq!(cut_torn_tail(&p).unwrap(), 200_000);
        assert_eq!(std::fs::read(&p).unwrap(), b"a\n");
        assert_eq!(cut_torn_tail(&p).unwrap(), 0);
        assert_eq!(cut_torn_tail(&dir.path().join("none")).unwrap(), 0);
    }
}

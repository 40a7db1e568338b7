//! Scaling out: long runs that survive faults, shards for job arrays (Slurm),
//! merging parts, progress reporting and experiment tracking.
//!
//! - [`Shard`] (`--shard I/N`, 0-based) and [`shard_of`]: a task's shard
//!   depends only on its id and `N` (a stable hash), so every stage sees the
//!   same tasks in shard `I`; [`Shard::filter`] keeps a frame's rows of one shard.
//! - [`Stage`], the one stage runner: a command's part file (`<out
//!   stem>.shard-I-of-N.<ext>` for a shard), its checkpoint and its
//!   [`Manifest`] (`<part stem>.manifest.json`: command, settings, shard,
//!   the tasks it owns, rows, finished flag, timings, versions). Work is
//!   resumed through the checkpoint ([`Checkpoint`]: one JSON line per
//!   finished unit, a torn last line cut off on resume).
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
//! use codefail::exec::run;
//! use codefail::data::{generations_from_frame, load, load_generations, problems_from_frame, results_frame, write_results};
//! use codefail::scale::{StageSpec, Shard, Stage};
//! let problems = load("mbpp", &LoadOptions { split: Some("test".into()), ..Default::default() })?;
//! let (gens, _) = load_generations("../shared/data/generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl", &Default::default())?;
//! let shard: Shard = "1/4".parse()?;
//! let spec = StageSpec { command: "run", config: serde_json::json!({}), input: &gens, rows_per_task: None, keeps_output: false };
//! let mut part = Stage::begin("outputs/r.parquet".as_ref(), shard, &spec)?;
//! let cfg = RunConfig { checkpoint: Some(part.checkpoint()), ..Default::default() };
//! let rows = run(&mut problems_from_frame(&problems)?, &generations_from_frame(&shard.filter(&gens)?)?, &cfg)?;
//! let mut results = results_frame(&rows)?;
//! write_results(&mut results, &part.part)?;
//! part.finish(results.height())?;
//! # Ok::<(), codefail::Error>(())
//! ```

mod parts;
mod progress;
mod shard;
mod track;

use std::time::{SystemTime, UNIX_EPOCH};

/// The store's checkpoint, journal and atomic writes.
pub use crate::store::{Checkpoint, Journal, cut_torn_tail, write_atomic};
pub use parts::{
    MANIFEST_FORMAT, Manifest, MergeReport, Merged, Stage, StageSpec, checkpoint_path,
    frame_digest, manifest_path, merge, rows_without_timing, sort_rows,
};
pub use progress::Progress;
pub use shard::{NaturalKey, Shard, natural_key, shard_of, task_counts};
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
    let t = UNIX_EPOCH + std::time::Duration::from_secs(secs);
    let text = humantime::format_rfc3339_seconds(t).to_string();
    if separators {
        text
    } else {
        text.replace(['-', ':'], "")
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
}

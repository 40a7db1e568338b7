//! Experiment tracking: one folder per run under `outputs/runs/`, with
//! `run.json` (command, settings, versions, timings, metrics) and the run's
//! frames as parquet; [`list_runs`] gathers them into one frame.
//!
//! `run.json`:
//!
//! | key | what |
//! |---|---|
//! | `run_id` | `YYYYMMDDTHHMMSSZ-<command>-<6 hex>` (UTC start, random) |
//! | `command`, `argv`, `cwd`, `host` | what ran where |
//! | `status` | `running`, `finished`, `failed` (an error or a panic); [`list_runs`] shows a `running` run whose process is gone from this host as `died` (killed, or the machine went down) |
//! | `pid`, `pid_start` | the process and its start time (clock ticks since boot), to tell a live run from a dead one |
//! | `started_at`, `finished_at`, `seconds` | UTC times and wall time |
//! | `config` | the settings (the command's flags) |
//! | `shard` | `I/N` or null |
//! | `versions` | `codefail`, `git_commit`, `python` (the sandbox interpreter's version), `model_sha256` and `model_path` when a model is used |
//! | `timings` | seconds per phase (`load_s`, `model_load_s`, `work_s`, `write_s`, ...) |
//! | `metrics` | summary numbers (`rows`, `n_tasks`, `n_passed`, `pass_at_1`, counts) |
//! | `outputs` | the files the command wrote |
//! | `frames` | names of the parquet files in the folder (`results` -> `results.parquet`) |
//! | `error` | the error, when `failed` |

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::store::Digest;
use polars::prelude::*;
use rand::Rng;
use serde_json::{Map, Value, json};

use super::{now_utc, utc_string, write_atomic};
use crate::error::{Error, Result};

/// A run being recorded (see the module docs). Drop without
/// [`Tracker::finish`] marks it `failed`.
#[derive(Debug)]
pub struct Tracker {
    dir: PathBuf,
    record: Map<String, Value>,
    t0: Instant,
    done: bool,
}

impl Tracker {
    /// Create `<runs_dir>/<run_id>/` and write `run.json` (`running`).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let t = codefail::scale::Tracker::start(dir.path(), "run", serde_json::json!({"timeout": 5.0}))?;
    /// let path = t.finish(serde_json::json!({"pass_at_1": 0.5}))?;
    /// assert!(path.join("run.json").exists());
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn start(runs_dir: &Path, command: &str, config: Value) -> Result<Tracker> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut rng = rand::rng();
        let run_id = format!(
            "{}-{}-{:06x}",
            utc_string(now, false),
            command,
            rng.random::<u32>() & 0xff_ffff
        );
        let dir = runs_dir.join(&run_id);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let mut versions = super::versions_json();
        if let Some(v) = versions.as_object_mut() {
            v.insert("python".into(), Value::Null);
        }
        let record = json!({
            "run_id": run_id,
            "command": command,
            "status": "running",
            "argv": std::env::args().collect::<Vec<_>>(),
            "cwd": std::env::current_dir().ok().map(|d| d.display().to_string()),
            "host": hostname(),
            "pid": std::process::id(),
            "pid_start": process_start(std::process::id()),
            "started_at": now_utc(),
            "finished_at": null,
            "seconds": null,
            "config": config,
            "shard": null,
            "versions": versions,
            "timings": {},
            "metrics": {},
            "outputs": {},
            "frames": [],
        });
        let Value::Object(record) = record else {
            return Err(Error::Invalid("run record is not an object".into()));
        };
        let t = Tracker {
            dir,
            record,
            t0: Instant::now(),
            done: false,
        };
        t.save()?;
        Ok(t)
    }

    /// The run's folder.
    ///
    /// ```no_run
    /// # let t: codefail::scale::Tracker = todo!();
    /// println!("{}", t.dir().display());
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The run id (the folder's name).
    ///
    /// ```no_run
    /// # let t: codefail::scale::Tracker = todo!();
    /// println!("{}", t.run_id());
    /// ```
    pub fn run_id(&self) -> &str {
        self.record
            .get("run_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// Set a top-level key of `run.json` (e.g. `shard`, `inputs`).
    ///
    /// ```no_run
    /// # let mut t: codefail::scale::Tracker = todo!();
    /// t.set("shard", serde_json::json!("1/4"));
    /// ```
    pub fn set(&mut self, key: &str, value: Value) {
        self.record.insert(key.into(), value);
    }

    /// Set one entry of an object key (`versions`, `timings`, `metrics`, `outputs`).
    ///
    /// ```no_run
    /// # let mut t: codefail::scale::Tracker = todo!();
    /// t.set_in("timings", "load_s", serde_json::json!(1.5));
    /// ```
    pub fn set_in(&mut self, key: &str, field: &str, value: Value) {
        let slot = self
            .record
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        if let Some(m) = slot.as_object_mut() {
            m.insert(field.into(), value);
        }
    }

    /// Record the sandbox interpreter's version (`python --version`).
    ///
    /// ```no_run
    /// # let mut t: codefail::scale::Tracker = todo!();
    /// t.record_python("python3");
    /// ```
    pub fn record_python(&mut self, python: &str) {
        self.set_in("versions", "python", json!(python_version(python)));
    }

    /// Record a model file or folder: its path and SHA-256 ([`model_sha256`]).
    ///
    /// ```no_run
    /// # let mut t: codefail::scale::Tracker = todo!();
    /// t.record_model("model.gguf".as_ref())?;
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn record_model(&mut self, path: &Path) -> Result<()> {
        let sha = model_sha256(path)?;
        self.set_in("versions", "model_path", json!(path.display().to_string()));
        self.set_in("versions", "model_sha256", json!(sha));
        self.save()
    }

    /// Write `df` as `<name>.parquet` in the run folder and list it in `frames`.
    ///
    /// ```no_run
    /// # let mut t: codefail::scale::Tracker = todo!();
    /// let mut df = codefail::data::results_frame(&[])?;
    /// t.add_frame("results", &mut df)?;
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn add_frame(&mut self, name: &str, df: &mut DataFrame) -> Result<()> {
        let path = self.dir.join(format!("{name}.parquet"));
        crate::data::write_parquet(df, &path)?;
        let frames = self
            .record
            .entry("frames".to_string())
            .or_insert_with(|| json!([]));
        if let Some(a) = frames.as_array_mut() {
            if !a.iter().any(|v| v == name) {
                a.push(json!(name));
            }
        }
        self.save()
    }

    fn save(&self) -> Result<()> {
        let text = serde_json::to_string_pretty(&Value::Object(self.record.clone()))
            .map_err(|e| Error::Invalid(e.to_string()))?;
        write_atomic(&self.dir.join("run.json"), text.as_bytes())
    }

    /// Mark the run finished with `metrics`; returns the run folder.
    ///
    /// ```no_run
    /// # let t: codefail::scale::Tracker = todo!();
    /// let dir = t.finish(serde_json::json!({"rows": 500}))?;
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn finish(mut self, metrics: Value) -> Result<PathBuf> {
        self.set("metrics", metrics);
        self.close("finished", None)?;
        Ok(self.dir.clone())
    }

    /// Mark the run failed with `error`.
    ///
    /// ```no_run
    /// # let t: codefail::scale::Tracker = todo!();
    /// t.fail("out of memory")?;
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn fail(mut self, error: &str) -> Result<()> {
        self.close("failed", Some(error))
    }

    fn close(&mut self, status: &str, error: Option<&str>) -> Result<()> {
        self.done = true;
        self.set("status", json!(status));
        self.set("finished_at", json!(now_utc()));
        self.set("seconds", json!(self.t0.elapsed().as_secs_f64()));
        if let Some(e) = error {
            self.set("error", json!(e));
        }
        self.save()
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.close("failed", Some("stopped before finishing"));
        }
    }
}

fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .or_else(|| std::env::var("HOSTNAME").ok())
}

/// When a process started (clock ticks since boot, field 22 of
/// `/proc/<pid>/stat`), or `None` when there is no such process.
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count
    // fields from the last `)`.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// A run's status as recorded, except that a `running` run recorded on this
/// host whose process is gone (or whose pid now belongs to another process)
/// is `died`: it was killed, or the machine went down, before it could
/// record an end. Runs from other hosts keep their recorded status.
///
/// ```
/// let v = serde_json::json!({"status": "running", "host": "elsewhere", "pid": 1});
/// assert_eq!(codefail::scale::run_status(&v), "running");
/// assert_eq!(codefail::scale::run_status(&serde_json::json!({"status": "finished"})), "finished");
/// ```
pub fn run_status(v: &Value) -> String {
    let status = v["status"].as_str().unwrap_or("unknown").to_string();
    if status != "running"
        || v["host"].as_str().is_none()
        || v["host"].as_str() != hostname().as_deref()
    {
        return status;
    }
    let Some(pid) = v["pid"].as_u64().and_then(|p| u32::try_from(p).ok()) else {
        return status;
    };
    let alive = match (process_start(pid), v["pid_start"].as_u64()) {
        (None, _) => false,
        (Some(now), Some(then)) => now == then,
        (Some(_), None) => true,
    };
    if alive { status } else { "died".into() }
}

/// The interpreter's `--version` (`Python 3.11.2` -> `3.11.2`), or `None`
/// when it cannot be run.
///
/// ```no_run
/// println!("{:?}", codefail::scale::python_version("python3"));
/// ```
pub fn python_version(python: &str) -> Option<String> {
    let out = std::process::Command::new(python)
        .arg("--version")
        .output()
        .ok()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v = text.trim().trim_start_matches("Python ").to_string();
    (out.status.success() && !v.is_empty()).then_some(v)
}

/// The git commit of codefail's source tree (`-dirty` when it has
/// uncommitted changes), or `None` outside a git checkout.
///
/// ```
/// let c = codefail::scale::git_commit();
/// assert!(c.is_none_or(|c| c.len() >= 40));
/// ```
pub fn git_commit() -> Option<String> {
    let root = crate::data::project_root();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let head = git(&["rev-parse", "HEAD"]).filter(|h| h.len() >= 40)?;
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{head}-dirty") } else { head })
}

/// SHA-256 (hex) of a model file, or of a model folder (its files' names and
/// contents in name order, subfolders skipped). Hashed once: the result is
/// cached in `<cache>/model-sha256.json` by path, size and modification time.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let f = dir.path().join("m.gguf");
/// std::fs::write(&f, b"abc").unwrap();
/// let h = codefail::scale::model_sha256(&f)?;
/// assert_eq!(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn model_sha256(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let files: Vec<PathBuf> = if meta.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Error::io(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    // Cache key: path, and every file's size and mtime.
    let mut key = path
        .canonicalize()
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string();
    for f in &files {
        let m = std::fs::metadata(f).map_err(|e| Error::io(f, e))?;
        let mtime = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        key.push_str(&format!("|{}:{}:{mtime}", f.display(), m.len()));
    }
    let cache = crate::data::cache_dir().join("model-sha256.json");
    let mut known: BTreeMap<String, String> = std::fs::read(&cache)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    if let Some(h) = known.get(&key) {
        return Ok(h.clone());
    }
    let mut digests = Vec::with_capacity(files.len());
    for f in &files {
        digests.push(Digest::file(f)?.raw());
    }
    let hex = if meta.is_dir() {
        let mut total = Digest::new();
        for (f, d) in files.iter().zip(&digests) {
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
            total.field(name.unwrap_or_default()).bytes(d);
        }
        total.hex()
    } else {
        digests.first().map(hex::encode).unwrap_or_default()
    };
    known.insert(key, hex.clone());
    if let Ok(text) = serde_json::to_string(&known) {
        // A cache that cannot be written only costs a second hash later.
        let _ = write_atomic(&cache, text.as_bytes());
    }
    Ok(hex)
}

/// A run's `run.json`.
///
/// ```no_run
/// let r = codefail::scale::read_run("outputs/runs/20250611T142653Z-run-3fa2c1".as_ref())?;
/// println!("{}", r["metrics"]["pass_at_1"]);
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn read_run(run_dir: &Path) -> Result<Value> {
    let p = run_dir.join("run.json");
    let bytes = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::parse(&p, e.line(), None, e.to_string()))
}

/// One of a run's frames (`results`, `generations`, `classified`, ...).
///
/// ```no_run
/// let df = codefail::scale::run_frame("outputs/runs/20250611T142653Z-run-3fa2c1".as_ref(), "results")?;
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn run_frame(run_dir: &Path, name: &str) -> Result<DataFrame> {
    crate::data::read_parquet(run_dir.join(format!("{name}.parquet")))
}

/// Every run under `runs_dir` (default of the CLI: `outputs/runs`) as one
/// row, oldest first: `run_id`, `command`, `status` (see [`run_status`]), `started_at`,
/// `seconds`, `shard`, `model`, `dataset`, `rows`, `n_tasks`, `n_passed`,
/// `pass_at_1`, `codefail_version`, `git_commit`, `python`, `model_sha256`,
/// `frames` (comma-separated), `dir`, and `config` / `metrics` as JSON text
/// (spread them with [`crate::data::with_metadata`]-style parsing to
/// compare any setting). A folder without a readable `run.json` is skipped
/// with a warning.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let t = codefail::scale::Tracker::start(dir.path(), "run", serde_json::json!({"dataset": "mbpp"}))?;
/// t.finish(serde_json::json!({"pass_at_1": 0.25, "n_tasks": 4}))?;
/// let runs = codefail::scale::list_runs(dir.path())?;
/// assert_eq!(runs.height(), 1);
/// assert_eq!(runs.column("pass_at_1")?.f64()?.get(0), Some(0.25));
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn list_runs(runs_dir: &Path) -> Result<DataFrame> {
    let mut runs = Vec::new();
    if runs_dir.exists() {
        for e in std::fs::read_dir(runs_dir).map_err(|e| Error::io(runs_dir, e))? {
            let dir = e.map_err(|e| Error::io(runs_dir, e))?.path();
            if !dir.join("run.json").is_file() {
                continue;
            }
            match read_run(&dir) {
                Ok(v) => runs.push((dir, v)),
                Err(e) => tracing::warn!("skipping {}: {e}", dir.display()),
            }
        }
    }
    runs.sort_by(|a, b| {
        let k = |v: &Value| v["run_id"].as_str().unwrap_or_default().to_string();
        k(&a.1).cmp(&k(&b.1))
    });
    let text = |v: &Value| -> Option<String> {
        match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    };
    let num = |v: &Value| v.as_f64();
    let int = |v: &Value| v.as_i64();
    let col_s = |name: &str, f: &dyn Fn(&Value) -> Option<String>| {
        Column::new(
            name.into(),
            runs.iter().map(|(_, v)| f(v)).collect::<Vec<_>>(),
        )
    };
    let cols = vec![
        col_s("run_id", &|v| text(&v["run_id"])),
        col_s("command", &|v| text(&v["command"])),
        col_s("status", &|v| Some(run_status(v))),
        col_s("started_at", &|v| text(&v["started_at"])),
        Column::new(
            "seconds".into(),
            runs.iter()
                .map(|(_, v)| num(&v["seconds"]))
                .collect::<Vec<_>>(),
        ),
        col_s("shard", &|v| text(&v["shard"])),
        col_s("model", &|v| text(&v["config"]["model"])),
        col_s("dataset", &|v| {
            text(&v["config"]["dataset"]).or_else(|| text(&v["config"]["problems"]))
        }),
        Column::new(
            "rows".into(),
            runs.iter()
                .map(|(_, v)| int(&v["metrics"]["rows"]))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "n_tasks".into(),
            runs.iter()
                .map(|(_, v)| int(&v["metrics"]["n_tasks"]))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "n_passed".into(),
            runs.iter()
                .map(|(_, v)| int(&v["metrics"]["n_passed"]))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "pass_at_1".into(),
            runs.iter()
                .map(|(_, v)| num(&v["metrics"]["pass_at_1"]))
                .collect::<Vec<_>>(),
        ),
        col_s("codefail_version", &|v| text(&v["versions"]["codefail"])),
        col_s("git_commit", &|v| text(&v["versions"]["git_commit"])),
        col_s("python", &|v| text(&v["versions"]["python"])),
        col_s("model_sha256", &|v| text(&v["versions"]["model_sha256"])),
        col_s("frames", &|v| {
            v["frames"].as_array().map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            })
        }),
        Column::new(
            "dir".into(),
            runs.iter()
                .map(|(d, _)| d.display().to_string())
                .collect::<Vec<_>>(),
        ),
        col_s("config", &|v| Some(v["config"].to_string())),
        col_s("metrics", &|v| Some(v["metrics"].to_string())),
    ];
    Ok(DataFrame::new(runs.len(), cols)?)
}

//! Part files, their manifests, and merging parts back into one output.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::store::Digest;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::shard::{NaturalKey, Shard, natural_key, task_counts};
use super::{now_utc, versions_json, write_atomic};
use crate::data::read;
use crate::error::{Error, Result};

/// The `format` of every manifest this version writes.
pub const MANIFEST_FORMAT: &str = "codefail-manifest/1";

/// What a part file holds and how far it got: written (atomically) when a
/// sharded command starts and again when it finishes, as
/// `<part stem>.manifest.json` beside the part (see [`manifest_path`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// The command (`run`, `sample`, `classify`, `repair`, ...).
    pub command: String,
    /// The command line of the latest attempt.
    pub argv: Vec<String>,
    /// The settings that decide the output (what the digest covers).
    pub config: Value,
    /// SHA-256 of command, config and the unsharded input: parts merge only
    /// when their digests agree, and a part resumes only under the same digest.
    pub digest: String,
    /// Which shard this part is.
    pub shard: Shard,
    /// The part's file name (beside the manifest).
    pub output: String,
    /// Every task of the unsharded input and the rows it should give.
    pub input_tasks: BTreeMap<String, usize>,
    /// The tasks this shard owns (natural order).
    pub tasks: Vec<String>,
    /// Rows this shard should give.
    pub expected_rows: usize,
    /// Rows written (when finished).
    pub rows: Option<usize>,
    /// Whether the part file is complete.
    pub finished: bool,
    /// Starts of this part (1 + resumes).
    pub attempts: u32,
    /// UTC time of the first start (RFC 3339).
    pub started_at: String,
    /// UTC time of the finish.
    pub finished_at: Option<String>,
    /// Seconds spent, summed over attempts that finished or were recorded.
    pub seconds: f64,
    /// codefail version, git commit, ...
    pub versions: Value,
    /// For a merged output: the parts it was made of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
}

/// The manifest beside a part: `r.shard-0-of-4.parquet` ->
/// `r.shard-0-of-4.manifest.json`, `r.parquet` -> `r.manifest.json`.
///
/// ```
/// let m = codefail::scale::manifest_path("o/r.shard-0-of-4.parquet".as_ref());
/// assert_eq!(m, std::path::PathBuf::from("o/r.shard-0-of-4.manifest.json"));
/// ```
pub fn manifest_path(part: &Path) -> PathBuf {
    let stem = part
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    part.with_file_name(format!("{stem}.manifest.json"))
}

/// The checkpoint beside a part (`<part>.checkpoint.jsonl`, a
/// [`Checkpoint`](crate::store::Checkpoint)), where `run`, `sample`,
/// `classify` and `repair` record finished units.
///
/// ```
/// let j = codefail::scale::checkpoint_path("r.parquet".as_ref());
/// assert_eq!(j, std::path::PathBuf::from("r.parquet.checkpoint.jsonl"));
/// ```
pub fn checkpoint_path(part: &Path) -> PathBuf {
    PathBuf::from(format!("{}.checkpoint.jsonl", part.display()))
}

/// Whether units computed for `part` are saved anywhere but in the part
/// itself: a checkpoint with lines.
fn saved_rows(part: &Path) -> bool {
    std::fs::metadata(checkpoint_path(part)).is_ok_and(|m| m.len() > 0)
}

impl Manifest {
    /// Read a manifest, with errors naming the file and field.
    ///
    /// ```no_run
    /// let m = codefail::scale::Manifest::read("r.shard-0-of-4.manifest.json".as_ref())?;
    /// println!("{} {} finished: {}", m.command, m.shard, m.finished);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn read(path: &Path) -> Result<Manifest> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        let m: Manifest = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            Error::parse(path, e.inner().line(), Some(&field), e.inner().to_string())
        })?;
        if m.format != MANIFEST_FORMAT {
            return Err(Error::parse(
                path,
                0,
                Some("format"),
                format!("`{}` is not `{MANIFEST_FORMAT}`", m.format),
            ));
        }
        Ok(m)
    }

    /// Write the manifest atomically (temporary file, fsync, rename).
    ///
    /// ```no_run
    /// # let m: codefail::scale::Manifest = todo!();
    /// m.write("r.manifest.json".as_ref())?;
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::Invalid(e.to_string()))?;
        write_atomic(path, text.as_bytes())
    }
}

/// SHA-256 (hex) of a frame's content, row by row as JSON: the input digest
/// a manifest records.
///
/// ```
/// use polars::prelude::*;
/// let a = df!("task_id" => ["x"]).unwrap();
/// let b = df!("task_id" => ["y"]).unwrap();
/// assert_ne!(codefail::scale::frame_digest(&a)?, codefail::scale::frame_digest(&b)?);
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn frame_digest(df: &DataFrame) -> Result<String> {
    let mut h = Digest::new();
    for name in df.get_column_names() {
        h.field(name.as_str());
    }
    for row in crate::data::frame_to_json_rows(df)? {
        h.bytes(row.to_string()).bytes("\n");
    }
    Ok(h.hex())
}

/// The one stage runner: a stage's output in progress, resumable and
/// shardable. It owns the part file (`out` itself, or
/// `<out stem>.shard-I-of-N.<ext>` for one shard), its
/// [`Checkpoint`](crate::store::Checkpoint) ([`Stage::checkpoint`]) and
/// its [`Manifest`]. [`Stage::begin`] before the work (it refuses to mix
/// settings, and says when a shard is already finished), give the stage's
/// function [`Stage::checkpoint`] as its checkpoint, then
/// [`Stage::finish`] once the part file is written (it removes the
/// checkpoint). The CLI's `run`, `sample`, `classify` and `repair` all go
/// through it.
#[derive(Debug)]
pub struct Stage {
    /// The shard.
    pub shard: Shard,
    /// The part file the command writes (`out` itself for the whole set).
    pub part: PathBuf,
    /// Its manifest.
    pub manifest_path: PathBuf,
    /// The manifest as written at the start.
    pub manifest: Manifest,
    /// Whether an earlier attempt of this part was found (and is resumed).
    pub resumed: bool,
    /// A shard (not the whole set) whose part is already finished, by the
    /// same command, settings and input: nothing to do (a resubmitted job
    /// array skips its finished tasks). The manifest is left as it was.
    /// Commands that add to their output (`keeps_output`) never see this:
    /// they resume, finding nothing left.
    pub already_finished: bool,
    keeps_output: bool,
    t0: Instant,
}

/// What a sharded command is, for [`Stage::begin`].
#[derive(Clone, Debug)]
pub struct StageSpec<'a> {
    /// Command name (`run`, `sample`, `egcfg`, ...).
    pub command: &'a str,
    /// The settings that decide the output (not the shard, progress or
    /// parallelism); parts merge only when these agree.
    pub config: Value,
    /// The whole (unsharded) input: a problems or generations frame with a
    /// `task_id` column.
    pub input: &'a DataFrame,
    /// Rows expected per task: `None` counts the input's rows per task
    /// (`run` over generations), `Some(n)` is a fixed number (`sample --n`).
    pub rows_per_task: Option<usize>,
    /// The command keeps an existing output and adds to it (`sample`,
    /// `repair`): then a part made with other settings is an error even
    /// when finished, instead of being overwritten.
    pub keeps_output: bool,
}

impl Stage {
    /// Start (or resume) shard `shard` of a command whose user-given output
    /// is `out`: works out the part path, checks an existing manifest was
    /// made with the same command, settings and input (else a clear error:
    /// resuming would mix outputs), and writes the manifest (not finished).
    /// Then run the command on `shard.filter(input)` into [`Stage::part`]
    /// with checkpoint [`Stage::checkpoint`], and call [`Stage::finish`].
    ///
    /// ```no_run
    /// use codefail::scale::{StageSpec, Shard, Stage};
    /// # let gens = codefail::data::generations_frame(&[])?;
    /// let spec = StageSpec { command: "egcfg", config: serde_json::json!({"gamma": 0.5}),
    ///     input: &gens, rows_per_task: Some(1), keeps_output: false };
    /// let mut part = Stage::begin("out/e.parquet".as_ref(), "1/4".parse()?, &spec)?;
    /// let mine = part.shard.filter(&gens)?;
    /// // ... compute with checkpoint part.checkpoint(), write part.part ...
    /// part.finish(mine.height())?;
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn begin(out: &Path, shard: Shard, spec: &StageSpec) -> Result<Stage> {
        let part = shard.part_path(out);
        let manifest_path = manifest_path(&part);
        let input_tasks = task_counts(spec.input, spec.rows_per_task)?;
        let mut tasks: Vec<String> = input_tasks
            .keys()
            .filter(|t| shard.owns(t))
            .cloned()
            .collect();
        tasks.sort_by_key(|t| natural_key(t));
        let expected_rows = tasks.iter().map(|t| input_tasks[t]).sum();
        let mut h = Digest::new();
        h.field(spec.command)
            .field(spec.config.to_string())
            .bytes(frame_digest(spec.input)?);
        let digest = h.hex();
        let argv: Vec<String> = std::env::args().collect();
        let mut resumed = false;
        let manifest = if manifest_path.exists() {
            let mut old = Manifest::read(&manifest_path)?;
            // Rows computed under the old settings: a checkpoint with
            // units, or a part that is unfinished or kept (`sample`,
            // `repair`). A run that failed before its first row (a wrong
            // model path) left only its manifest, and that is replaced.
            let has_state =
                saved_rows(&part) || ((!old.finished || spec.keeps_output) && part.exists());
            if old.digest != digest || old.shard != shard || old.command != spec.command {
                if has_state {
                    return Err(Error::Invalid(format!(
                        "{} was made by another command, settings or input ({} {}, config {}); \
                         resuming would mix two runs: delete {} (and its part and checkpoint) or use another --out",
                        manifest_path.display(),
                        old.command,
                        old.shard,
                        old.config,
                        manifest_path.display()
                    )));
                }
                None
            } else if old.finished && part.exists() && !shard.is_whole() && !spec.keeps_output {
                return Ok(Stage {
                    shard,
                    part,
                    manifest_path,
                    manifest: old,
                    resumed: false,
                    already_finished: true,
                    keeps_output: spec.keeps_output,
                    t0: Instant::now(),
                });
            } else {
                resumed = !old.finished || spec.keeps_output;
                old.attempts += 1;
                old.finished = false;
                old.finished_at = None;
                old.rows = None;
                old.argv = argv.clone();
                old.versions = versions_json();
                Some(old)
            }
        } else {
            None
        };
        let manifest = manifest.unwrap_or_else(|| Manifest {
            format: MANIFEST_FORMAT.into(),
            command: spec.command.into(),
            argv,
            config: spec.config.clone(),
            digest,
            shard,
            output: part
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            input_tasks,
            tasks,
            expected_rows,
            rows: None,
            finished: false,
            attempts: 1,
            started_at: now_utc(),
            finished_at: None,
            seconds: 0.0,
            versions: versions_json(),
            merged_from: Vec::new(),
        });
        manifest.write(&manifest_path)?;
        Ok(Stage {
            shard,
            part,
            manifest_path,
            manifest,
            resumed,
            already_finished: false,
            keeps_output: spec.keeps_output,
            t0: Instant::now(),
        })
    }

    /// The part's checkpoint path (see [`checkpoint_path`]).
    ///
    /// ```no_run
    /// # let part: codefail::scale::Stage = todo!();
    /// let checkpoint = part.checkpoint();
    /// ```
    pub fn checkpoint(&self) -> PathBuf {
        checkpoint_path(&self.part)
    }

    /// Mark the part finished with `rows` rows written and remove its
    /// checkpoint (kept by commands that add to their output: `repair`
    /// restores finished problems' turns from it); returns the manifest.
    ///
    /// ```no_run
    /// # let mut part: codefail::scale::Stage = todo!();
    /// let m = part.finish(125)?;
    /// assert!(m.finished);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn finish(&mut self, rows: usize) -> Result<Manifest> {
        let checkpoint = self.checkpoint();
        if !self.keeps_output {
            match std::fs::remove_file(&checkpoint) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io(&checkpoint, e));
                }
                _ => {}
            }
        }
        self.manifest.finished = true;
        self.manifest.rows = Some(rows);
        self.manifest.finished_at = Some(now_utc());
        self.manifest.seconds += self.t0.elapsed().as_secs_f64();
        self.manifest.write(&self.manifest_path)?;
        Ok(self.manifest.clone())
    }
}

/// What [`merge`] found.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MergeReport {
    /// The command the parts come from (`None` without manifests).
    pub command: Option<String>,
    /// Shards in the partition (`N` of `I/N`).
    pub shard_count: Option<usize>,
    /// Part files merged.
    pub parts: Vec<String>,
    /// Shards with no manifest at all (never started, or not given).
    pub missing_shards: Vec<String>,
    /// Parts whose manifest says they did not finish (resume them).
    pub unfinished_parts: Vec<String>,
    /// Tasks the input had and the merged rows lack entirely.
    pub missing_tasks: Vec<String>,
    /// Tasks with fewer rows than expected: (task, expected, found).
    pub short_tasks: Vec<(String, usize, usize)>,
    /// Tasks expected in all.
    pub expected_tasks: usize,
    /// Rows merged.
    pub rows: usize,
    /// Whether completeness could be checked (manifests found).
    pub checked: bool,
}

impl MergeReport {
    /// Every expected task is present with all its rows, in finished parts.
    ///
    /// ```
    /// assert!(codefail::scale::MergeReport::default().is_complete());
    /// ```
    pub fn is_complete(&self) -> bool {
        self.missing_shards.is_empty()
            && self.unfinished_parts.is_empty()
            && self.missing_tasks.is_empty()
            && self.short_tasks.is_empty()
    }

    /// A human summary: what is missing, by id.
    ///
    /// ```
    /// let r = codefail::scale::MergeReport { checked: true, missing_tasks: vec!["Mbpp/12".into()], ..Default::default() };
    /// assert!(r.describe().contains("Mbpp/12"));
    /// ```
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} rows from {} part(s){}",
            self.rows,
            self.parts.len(),
            match (&self.command, self.shard_count) {
                (Some(c), Some(n)) => format!(" of `{c}` in {n} shard(s)"),
                _ => String::new(),
            }
        );
        if !self.checked {
            s.push_str("; no manifests, so completeness was not checked");
            return s;
        }
        if self.is_complete() {
            s.push_str(&format!("; complete: all {} tasks", self.expected_tasks));
            return s;
        }
        if !self.missing_shards.is_empty() {
            s.push_str(&format!(
                "\nshards without a manifest (never started?): {}",
                self.missing_shards.join(", ")
            ));
        }
        if !self.unfinished_parts.is_empty() {
            s.push_str(&format!(
                "\nunfinished parts (run the same command again to resume): {}",
                self.unfinished_parts.join(", ")
            ));
        }
        if !self.missing_tasks.is_empty() {
            s.push_str(&format!(
                "\n{} of {} tasks missing: {}",
                self.missing_tasks.len(),
                self.expected_tasks,
                self.missing_tasks.join(", ")
            ));
        }
        if !self.short_tasks.is_empty() {
            let v: Vec<String> = self
                .short_tasks
                .iter()
                .map(|(t, e, f)| format!("{t} ({f} of {e} rows)"))
                .collect();
            s.push_str(&format!("\ntasks with rows missing: {}", v.join(", ")));
        }
        s
    }
}

/// Merged parts: a frame (parquet parts) or JSON lines (JSON Lines parts,
/// e.g. `repair`'s `GenerationResult` files), sorted by task (natural
/// order), model, sample, turn.
#[derive(Clone, Debug)]
pub struct Merged {
    /// The merged frame (parquet parts).
    pub frame: Option<DataFrame>,
    /// The merged lines (JSON Lines parts).
    pub lines: Option<Vec<String>>,
    /// Completeness.
    pub report: MergeReport,
    manifest: Option<Manifest>,
}

impl Merged {
    /// Write the merged output (parquet or JSON Lines, as the parts were)
    /// atomically, and a manifest beside it (`<out stem>.manifest.json`,
    /// shard `0/1`, listing the parts) when the parts had manifests.
    ///
    /// ```no_run
    /// let mut m = codefail::scale::merge(&["outputs/".into()])?;
    /// m.write("outputs/r.parquet".as_ref())?;
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn write(&mut self, out: &Path) -> Result<()> {
        if let Some(df) = self.frame.as_mut() {
            crate::data::write_parquet_or_jsonl(df, out)?;
        } else if let Some(lines) = &self.lines {
            let mut text = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
            for l in lines {
                text.push_str(l);
                text.push('\n');
            }
            write_atomic(out, text.as_bytes())?;
        }
        if let Some(m) = &self.manifest {
            let mut m = m.clone();
            m.output = out
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            m.rows = Some(self.report.rows);
            m.finished = self.report.is_complete();
            m.finished_at = Some(now_utc());
            m.merged_from = self.report.parts.clone();
            m.write(&manifest_path(out))?;
        }
        Ok(())
    }
}

/// Resolve merge inputs (part files, manifests, folders) to part files.
fn resolve(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut parts = BTreeSet::new();
    for p in inputs {
        if p.is_dir() {
            let mut found = Vec::new();
            for e in std::fs::read_dir(p).map_err(|e| Error::io(p, e))? {
                let path = e.map_err(|e| Error::io(p, e))?.path();
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                if name.is_some_and(|n| n.contains(".shard-") && n.ends_with(".manifest.json")) {
                    found.push(path);
                }
            }
            if found.is_empty() {
                return Err(Error::Invalid(format!(
                    "{}: no shard manifests (*.shard-I-of-N.manifest.json) in this folder",
                    p.display()
                )));
            }
            for m in found {
                parts.insert(part_of_manifest(&m)?);
            }
        } else if p.to_string_lossy().ends_with(".manifest.json") {
            parts.insert(part_of_manifest(p)?);
        } else {
            parts.insert(p.clone());
        }
    }
    Ok(parts.into_iter().collect())
}

fn part_of_manifest(m: &Path) -> Result<PathBuf> {
    Ok(m.with_file_name(Manifest::read(m)?.output))
}

/// One row key: (natural task key, model, sample, turn), and a printable form.
type Key = (NaturalKey, String, String, i64, i64);

fn frame_keys(df: &DataFrame, path: &Path) -> Result<Vec<(Key, String)>> {
    let task = read::texts(df, "task_id")
        .map_err(|e| Error::parse(path, 0, Some("task_id"), e.to_string()))?;
    let has = |c: &str| df.get_column_names().iter().any(|n| n.as_str() == c);
    let model = if has("model") {
        read::texts(df, "model")?
    } else {
        vec![None; df.height()]
    };
    let sample = if has("sample_idx") {
        read::numbers(df, "sample_idx")?
    } else {
        vec![None; df.height()]
    };
    let turn = if has("turn") {
        read::numbers(df, "turn")?
    } else {
        vec![None; df.height()]
    };
    (0..df.height())
        .map(|i| {
            let t = task[i].clone().ok_or_else(|| {
                Error::parse(path, 0, Some("task_id"), format!("row {i} has no task id"))
            })?;
            let m = model[i].clone().unwrap_or_default();
            let s = sample[i].map(|x| x as i64).unwrap_or(-1);
            let u = turn[i].map(|x| x as i64).unwrap_or(-1);
            let shown = format!(
                "task {t}, model {m}, sample {s}{}",
                if u >= 0 {
                    format!(", turn {u}")
                } else {
                    String::new()
                }
            );
            Ok(((natural_key(&t), t, m, s, u), shown))
        })
        .collect()
}

fn line_keys(path: &Path) -> Result<Vec<(Key, String, String)>> {
    let mut seen: HashMap<(String, String), i64> = HashMap::new();
    let mut out = Vec::new();
    for (line, text) in crate::data::jsonl_lines(path)? {
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| Error::parse(path, line, None, format!("not JSON: {e}")))?;
        let task = v
            .get("task_id")
            .or_else(|| v.pointer("/problem/problem_id"))
            .and_then(|t| {
                t.as_str()
                    .map(str::to_string)
                    .or_else(|| t.as_i64().map(|i| i.to_string()))
            })
            .ok_or_else(|| {
                Error::parse(
                    path,
                    line,
                    Some("task_id"),
                    "no task id (task_id or problem.problem_id)",
                )
            })?;
        let model = v
            .get("model")
            .or_else(|| v.pointer("/generation_metadata/model"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let sample = match v.get("sample_idx").and_then(Value::as_i64) {
            Some(s) => s,
            None => {
                let e = seen.entry((task.clone(), model.clone())).or_insert(0);
                *e += 1;
                *e - 1
            }
        };
        let shown = format!("task {task}, model {model}, sample {sample}");
        out.push(((natural_key(&task), task, model, sample, -1), shown, text));
    }
    Ok(out)
}

/// Merge part files (or folders of them, or their manifests) into one
/// output: concatenate, sort by task (natural order), model, sample and
/// turn, refuse duplicated rows (naming the row and both parts), and check
/// completeness against the manifests: every task of the input present with
/// every row it should have, every shard present and finished; the report
/// lists what is missing by task id. Parts must come from the same
/// command, settings and input (same manifest digest) and one partition.
///
/// ```no_run
/// let m = codefail::scale::merge(&["outputs/r.shard-0-of-2.parquet".into(), "outputs/r.shard-1-of-2.parquet".into()])?;
/// assert!(m.report.is_complete(), "{}", m.report.describe());
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn merge(inputs: &[PathBuf]) -> Result<Merged> {
    let parts = resolve(inputs)?;
    if parts.is_empty() {
        return Err(Error::Invalid(
            "nothing to merge: give part files or a folder".into(),
        ));
    }
    // Manifests: all or none.
    let mut manifests: Vec<(PathBuf, Manifest)> = Vec::new();
    for p in &parts {
        let m = manifest_path(p);
        if m.exists() {
            manifests.push((p.clone(), Manifest::read(&m)?));
        }
    }
    if !manifests.is_empty() && manifests.len() != parts.len() {
        let without: Vec<String> = parts
            .iter()
            .filter(|p| !manifest_path(p).exists())
            .map(|p| p.display().to_string())
            .collect();
        return Err(Error::Invalid(format!(
            "some parts have no manifest: {}",
            without.join(", ")
        )));
    }
    let mut report = MergeReport::default();
    let mut base_manifest = None;
    if let Some((first_path, first)) = manifests.first() {
        for (p, m) in &manifests[1..] {
            if m.digest != first.digest || m.shard.count != first.shard.count {
                return Err(Error::Invalid(format!(
                    "{} and {} come from different runs (command, settings, input or shard count differ: {} {} vs {} {})",
                    first_path.display(),
                    p.display(),
                    first.command,
                    first.shard,
                    m.command,
                    m.shard
                )));
            }
        }
        let mut by_index: BTreeMap<usize, &PathBuf> = BTreeMap::new();
        for (p, m) in &manifests {
            if let Some(other) = by_index.insert(m.shard.index, p) {
                return Err(Error::Invalid(format!(
                    "shard {} given twice: {} and {}",
                    m.shard,
                    other.display(),
                    p.display()
                )));
            }
        }
        report.checked = true;
        report.command = Some(first.command.clone());
        report.shard_count = Some(first.shard.count);
        report.expected_tasks = first.input_tasks.len();
        report.missing_shards = (0..first.shard.count)
            .filter(|i| !by_index.contains_key(i))
            .map(|i| format!("{i}/{}", first.shard.count))
            .collect();
        report.unfinished_parts = manifests
            .iter()
            .filter(|(p, m)| !m.finished || !p.exists())
            .map(|(p, _)| p.display().to_string())
            .collect();
        let mut whole = first.clone();
        whole.shard = Shard::WHOLE;
        whole.tasks = Vec::new();
        whole.expected_rows = first.input_tasks.values().sum();
        whole.attempts = 1;
        whole.seconds = manifests.iter().map(|(_, m)| m.seconds).sum();
        whole.started_at = manifests
            .iter()
            .map(|(_, m)| m.started_at.clone())
            .min()
            .unwrap_or_default();
        whole.argv = std::env::args().collect();
        base_manifest = Some(whole);
    }
    let present: Vec<&PathBuf> = parts.iter().filter(|p| p.exists()).collect();
    if present.is_empty() {
        return Err(Error::Invalid(format!(
            "none of the parts exists yet; {}",
            report.describe()
        )));
    }
    let parquet = crate::data::is_parquet(present[0]);
    if present
        .iter()
        .any(|p| crate::data::is_parquet(p) != parquet)
    {
        return Err(Error::Invalid(
            "parts mix parquet and JSON Lines files".into(),
        ));
    }
    // Collect keys and rows.
    let mut keys: Vec<(Key, String, usize)> = Vec::new(); // key, shown, part index
    let mut frames = Vec::new();
    let mut lines = Vec::new();
    for (pi, p) in present.iter().enumerate() {
        report.parts.push(p.display().to_string());
        if parquet {
            let df = crate::data::read_parquet(p)?;
            for (k, shown) in frame_keys(&df, p)? {
                keys.push((k, shown, pi));
            }
            frames.push(df);
        } else {
            for (k, shown, text) in line_keys(p)? {
                keys.push((k, shown, pi));
                lines.push(text);
            }
        }
    }
    // Duplicates.
    let mut first_seen: HashMap<&Key, usize> = HashMap::new();
    for (k, shown, pi) in &keys {
        if let Some(other) = first_seen.insert(k, *pi) {
            return Err(Error::Invalid(format!(
                "duplicated row ({shown}) in {}{}",
                present[other].display(),
                if other == *pi {
                    String::new()
                } else {
                    format!(" and {}", present[*pi].display())
                }
            )));
        }
    }
    report.rows = keys.len();
    // Completeness.
    if let Some(m) = &base_manifest {
        let mut found: HashMap<String, usize> = HashMap::new();
        for (k, _, _) in &keys {
            *found.entry(k.1.clone()).or_default() += 1;
        }
        let mut tasks: Vec<(&String, &usize)> = m.input_tasks.iter().collect();
        tasks.sort_by_key(|(t, _)| natural_key(t));
        for (t, want) in tasks {
            match found.get(t.as_str()).copied().unwrap_or(0) {
                0 => report.missing_tasks.push(t.clone()),
                n if n < *want => report.short_tasks.push((t.clone(), *want, n)),
                _ => {}
            }
        }
    }
    // Sort.
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| keys[a].0.cmp(&keys[b].0));
    let (frame, lines) = if parquet {
        let mut all = frames[0].clone();
        for f in &frames[1..] {
            all.vstack_mut(f).map_err(|e| {
                Error::Invalid(format!("parts have different columns or types: {e}"))
            })?;
        }
        let idx = IdxCa::from_vec("idx".into(), order.iter().map(|&i| i as IdxSize).collect());
        (Some(all.take(&idx)?), None)
    } else {
        (
            None,
            Some(order.iter().map(|&i| lines[i].clone()).collect()),
        )
    };
    Ok(Merged {
        frame,
        lines,
        report,
        manifest: base_manifest,
    })
}

/// Rows of a frame as JSON objects with timing removed, for comparing two
/// runs row for row: every field named `wall_ms` (the row's and each test's)
/// and, inside `gen_metadata` (JSON text), `gen_s`, `batch_prefill_s`,
/// `batch_decode_s` and `batch_rows` (model time, and the batch a row
/// happened to share, which differ between an interrupted and an
/// uninterrupted run). Everything else must be equal.
///
/// ```
/// use polars::prelude::*;
/// let a = df!("task_id" => ["t"], "wall_ms" => [1.0]).unwrap();
/// let b = df!("task_id" => ["t"], "wall_ms" => [2.0]).unwrap();
/// assert_eq!(codefail::scale::rows_without_timing(&a)?, codefail::scale::rows_without_timing(&b)?);
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn rows_without_timing(df: &DataFrame) -> Result<Vec<Value>> {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("wall_ms");
                for x in m.values_mut() {
                    strip(x);
                }
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut rows = crate::data::frame_to_json_rows(df)?;
    for r in &mut rows {
        strip(r);
        if let Some(Value::String(meta)) = r.get_mut("gen_metadata") {
            if let Ok(Value::Object(mut m)) = serde_json::from_str::<Value>(meta) {
                for k in ["gen_s", "batch_prefill_s", "batch_decode_s", "batch_rows"] {
                    m.remove(k);
                }
                *meta = Value::Object(m).to_string();
            }
        }
    }
    Ok(rows)
}

/// A frame sorted as [`merge`] sorts: task (natural order), model, sample, turn.
///
/// ```
/// use polars::prelude::*;
/// let df = df!("task_id" => ["Mbpp/10", "Mbpp/9"], "sample_idx" => [0i64, 0]).unwrap();
/// let s = codefail::scale::sort_rows(&df)?;
/// assert_eq!(s.column("task_id")?.str()?.get(0), Some("Mbpp/9"));
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn sort_rows(df: &DataFrame) -> Result<DataFrame> {
    let keys = frame_keys(df, Path::new("<frame>"))?;
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| keys[a].0.cmp(&keys[b].0));
    let idx = IdxCa::from_vec("idx".into(), order.iter().map(|&i| i as IdxSize).collect());
    Ok(df.take(&idx)?)
}

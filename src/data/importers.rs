//! Importers of published generations, with format auto-detection.
//!
//! | format | detected by | notes |
//! |---|---|---|
//! | codefail generations (`.parquet` / JSON Lines) | `sample_idx` + `raw_output` keys | the frame itself |
//! | EvalPlus samples | `task_id` + `solution` or `completion` | a `completion` is marked `is_completion` and run after the prompt |
//! | DeepSeek-Coder / EG-CFG "official eval" | `gpt_completion` / `generation` | `generation` (their extracted code) is kept as `code` |
//! | EG-CFG results folder | a folder of `task_id=N_gamma=G.json` | gamma and the recorded verdict go into `gen_metadata`; `code: null` is a generation error |
//! | `GenerationResult` JSONL | `problem` + `final_code` | the seed framework's output; see [`write_generation_results`] |
//! | LiveCodeBench checkpoints | `variant` + `checkpoint_step` | `model` = checkpoint; variant, step, recorded verdict in `gen_metadata` |
//!
//! Bare integer task ids (`11`) become `Mbpp/11` unless another data set is named.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use polars::prelude::DataFrame;
use regex::Regex;
use serde_json::{Value, json};

use super::extract::extract_code;
use super::io::{read_bytes, read_generations, read_jsonl_values, write_jsonl_records};
use super::schema::{Generation, Problem, TestKind, generations_frame, generations_from_frame};
use crate::error::{Error, Result};

/// Options of [`load_generations`].
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Model name to record (default: from the file or folder name).
    pub model: Option<String>,
    /// Data set the task ids belong to (`mbpp` default; `humaneval` turns `0` into `HumanEval/0`).
    pub dataset: Option<String>,
}

/// What an import found besides the rows: anomalies worth a warning.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportReport {
    /// The detected format.
    pub format: String,
    /// Rows read.
    pub n_rows: usize,
    /// Task ids that occur more often than the others, with their count
    /// (for one-sample formats: any id seen twice).
    pub duplicates: Vec<(String, usize)>,
    /// Integer task ids missing from the range the file covers.
    pub missing: Vec<String>,
    /// Rows with nothing to run (`code` null).
    pub n_no_code: usize,
    /// Files that could not be read (EG-CFG folders: empty or broken files),
    /// with the reason; their rows are absent, everything else is kept.
    pub unreadable: Vec<String>,
}

impl ImportReport {
    /// Human-readable warnings (empty when nothing is odd).
    ///
    /// ```
    /// let r = codefail::data::ImportReport { duplicates: vec![("Mbpp/99".into(), 2)], ..Default::default() };
    /// assert_eq!(r.warnings().len(), 1);
    /// ```
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if !self.duplicates.is_empty() {
            let list: Vec<String> = self
                .duplicates
                .iter()
                .map(|(t, n)| format!("{t} x{n}"))
                .collect();
            w.push(format!(
                "{} duplicated task id(s), all rows kept as extra samples: {}",
                self.duplicates.len(),
                preview(&list)
            ));
        }
        if !self.missing.is_empty() {
            w.push(format!(
                "{} task id(s) missing from the covered range: {}",
                self.missing.len(),
                preview(&self.missing)
            ));
        }
        if self.n_no_code > 0 {
            w.push(format!(
                "{} row(s) have no code (generation errors)",
                self.n_no_code
            ));
        }
        for u in &self.unreadable {
            w.push(format!("skipped an unreadable file: {u}"));
        }
        w
    }
}

/// At most [`PREVIEW_ITEMS`] items of a list for a warning, then how many
/// more there are: a stray id such as `Mbpp/9999` must not print ten
/// thousand missing ids.
fn preview(items: &[String]) -> String {
    if items.len() <= PREVIEW_ITEMS {
        return items.join(", ");
    }
    format!(
        "{}, ... and {} more",
        items[..PREVIEW_ITEMS].join(", "),
        items.len() - PREVIEW_ITEMS
    )
}

/// How many items of a list a warning names (the full list stays in the
/// [`ImportReport`]).
const PREVIEW_ITEMS: usize = 20;

/// Load generations from any supported format (see the module docs), with
/// [`ImportOptions`] (`&Default::default()` for none).
///
/// ```no_run
/// use codefail::data::{load_generations, ImportOptions};
/// let (gens, report) = load_generations(
///     "../shared/data/generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl", &Default::default())?;
/// assert_eq!(gens.height(), 500);
/// assert_eq!(report.duplicates, vec![("Mbpp/99".to_string(), 2)]);
/// let opts = ImportOptions { model: Some("my-model".into()), ..Default::default() };
/// let (gens, _) = load_generations("samples.jsonl", &opts)?;
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn load_generations(
    path: impl AsRef<Path>,
    opts: &ImportOptions,
) -> Result<(DataFrame, ImportReport)> {
    let path = path.as_ref();
    let mut unreadable = Vec::new();
    let (rows, format) = import_rows(path, opts, &mut unreadable)?;
    let mut report = make_report(&format, &rows);
    report.unreadable = unreadable;
    Ok((generations_frame(&rows)?, report))
}

fn import_rows(
    path: &Path,
    opts: &ImportOptions,
    unreadable: &mut Vec<String>,
) -> Result<(Vec<Generation>, String)> {
    if path.is_dir() {
        return Ok((
            import_egcfg_dir(path, opts, unreadable)?,
            "egcfg-results".into(),
        ));
    }
    // The OS's own reason (no such file, permission denied, ...).
    if let Err(e) = std::fs::metadata(path) {
        return Err(Error::io(path, e));
    }
    if super::is_parquet(path) {
        return Ok((
            generations_from_frame(&read_generations(path)?)?,
            "codefail".into(),
        ));
    }
    let rows = json_rows(path)?;
    let Some((line, first)) = rows.first() else {
        return Err(Error::parse(path, 0, None, "no rows"));
    };
    let has = |k: &str| first.get(k).is_some();
    let model = opts.model.clone().unwrap_or_else(|| model_from_path(path));
    let format = if has("problem") && has("final_code") {
        "generation-result"
    } else if has("variant") && has("checkpoint_step") {
        "lcb-checkpoints"
    } else if has("sample_idx") && has("raw_output") {
        "codefail"
    } else if has("gpt_completion") || (has("generation") && has("prompt")) {
        "official-eval"
    } else if has("task_id") && (has("solution") || has("completion")) {
        "evalplus"
    } else {
        let keys: Vec<&String> = first
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        return Err(Error::parse(
            path,
            *line,
            None,
            format!(
                "unknown generations format (keys: {keys:?}); expected EvalPlus samples, official-eval, GenerationResult, LiveCodeBench checkpoints or codefail generations"
            ),
        ));
    };
    let mut per_task: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut next_idx = |task: &str, model: &str| {
        let e = per_task
            .entry((task.to_string(), model.to_string()))
            .or_insert(0);
        *e += 1;
        *e - 1
    };
    let mut out = Vec::with_capacity(rows.len());
    for (line, v) in rows {
        let g = match format {
            "codefail" => super::io::from_value::<Generation>(path, line, v)?,
            "generation-result" => {
                let g = parse_generation_result(path, line, &v, opts)?;
                Generation {
                    sample_idx: next_idx(&g.task_id, &g.model),
                    ..g
                }
            }
            "lcb-checkpoints" => {
                let task_id = str_field(path, line, &v, "problem_id")?;
                let ckpt = v
                    .get("checkpoint")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| {
                        format!(
                            "{}-step-{}",
                            v["variant"].as_str().unwrap_or("?"),
                            v["checkpoint_step"]
                        )
                    });
                let raw = str_field(path, line, &v, "raw_output")?;
                let code = v
                    .get("code")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .filter(|c| !c.trim().is_empty());
                let mut meta = v.as_object().cloned().unwrap_or_default();
                for k in ["problem_id", "raw_output", "code"] {
                    meta.remove(k);
                }
                meta.insert("source".into(), json!("lcb-checkpoints"));
                Generation {
                    sample_idx: next_idx(&task_id, &ckpt),
                    task_id,
                    model: ckpt,
                    prompt_id: "lcb-stdin".into(),
                    raw_output: raw,
                    code,
                    gen_metadata: Value::Object(meta).to_string(),
                }
            }
            "official-eval" => {
                let task_id = task_id_field(path, line, &v, opts)?;
                let raw = v
                    .get("gpt_completion")
                    .and_then(Value::as_str)
                    .or_else(|| v.get("generation").and_then(Value::as_str))
                    .ok_or_else(|| {
                        Error::parse(
                            path,
                            line,
                            Some("gpt_completion"),
                            "missing or not a string",
                        )
                    })?
                    .to_string();
                let code = match v.get("generation") {
                    Some(Value::String(s)) => Some(s.clone()).filter(|c| !c.trim().is_empty()),
                    Some(Value::Null) | None => extract_code(&raw),
                    Some(_) => {
                        return Err(Error::parse(path, line, Some("generation"), "not a string"));
                    }
                };
                Generation {
                    sample_idx: next_idx(&task_id, &model),
                    task_id,
                    model: model.clone(),
                    prompt_id: "mbpp-deepseek-3shot".into(),
                    raw_output: raw,
                    code,
                    gen_metadata: json!({"source": "official-eval", "file": path.display().to_string(), "line": line}).to_string(),
                }
            }
            _ => {
                let task_id = task_id_field(path, line, &v, opts)?;
                let (raw, is_completion) = match (v.get("solution"), v.get("completion")) {
                    (Some(Value::String(s)), _) => (s.clone(), false),
                    (_, Some(Value::String(c))) => (c.clone(), true),
                    _ => {
                        return Err(Error::parse(
                            path,
                            line,
                            Some("solution"),
                            "expected a string `solution` or `completion`",
                        ));
                    }
                };
                Generation {
                    sample_idx: next_idx(&task_id, &model),
                    task_id,
                    model: model.clone(),
                    prompt_id: "evalplus".into(),
                    code: if is_completion {
                        Some(raw.clone())
                    } else {
                        extract_code(&raw)
                    },
                    raw_output: raw,
                    gen_metadata:
                        json!({"source": "evalplus", "is_completion": is_completion, "line": line})
                            .to_string(),
                }
            }
        };
        out.push(g);
    }
    Ok((out, format.to_string()))
}

/// JSON rows of a JSON Lines file, or of a `.json` file holding one array.
fn json_rows(path: &Path) -> Result<Vec<(usize, Value)>> {
    if path.extension().is_some_and(|e| e == "json") {
        let bytes = read_bytes(path)?;
        if let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&bytes) {
            return Ok(items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (i + 1, v))
                .collect());
        }
    }
    read_jsonl_values(path)
}

fn model_from_path(path: &Path) -> String {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("unknown");
    let name = name.trim_end_matches(".gz");
    let name = name
        .strip_suffix(".jsonl")
        .or_else(|| name.strip_suffix(".json"))
        .unwrap_or(name);
    name.strip_suffix(".mbpp-official")
        .unwrap_or(name)
        .to_string()
}

fn str_field(path: &Path, line: usize, v: &Value, field: &str) -> Result<String> {
    match v.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(Error::parse(path, line, Some(field), "expected a string")),
        None => Err(Error::parse(path, line, Some(field), "missing")),
    }
}

/// Normalise a task id: strings stay, integers become `Mbpp/N` (or `HumanEval/N`).
///
/// ```
/// use serde_json::json;
/// assert_eq!(codefail::data::normalize_task_id(&json!(11), None).as_deref(), Some("Mbpp/11"));
/// assert_eq!(codefail::data::normalize_task_id(&json!("Mbpp/2"), None).as_deref(), Some("Mbpp/2"));
/// assert_eq!(codefail::data::normalize_task_id(&json!(3), Some("humaneval")).as_deref(), Some("HumanEval/3"));
/// assert_eq!(codefail::data::normalize_task_id(&json!([1]), None), None);
/// ```
pub fn normalize_task_id(v: &Value, dataset: Option<&str>) -> Option<String> {
    let prefix = match dataset.unwrap_or("mbpp") {
        "humaneval" => "HumanEval",
        _ => "Mbpp",
    };
    match v {
        Value::String(s) => Some(match s.parse::<i64>() {
            Ok(n) => format!("{prefix}/{n}"),
            Err(_) => s.clone(),
        }),
        Value::Number(n) => n.as_i64().map(|n| format!("{prefix}/{n}")),
        _ => None,
    }
}

fn task_id_field(path: &Path, line: usize, v: &Value, opts: &ImportOptions) -> Result<String> {
    let raw = v
        .get("task_id")
        .ok_or_else(|| Error::parse(path, line, Some("task_id"), "missing"))?;
    normalize_task_id(raw, opts.dataset.as_deref()).ok_or_else(|| {
        Error::parse(
            path,
            line,
            Some("task_id"),
            "expected a string or an integer",
        )
    })
}

static EGCFG_FILE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^task_id=(\d+)_gamma=([0-9.]+)\.json$").expect("valid regex"));
static EGCFG_CONFIG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ns(\d+)t([0-9.]+)").expect("valid regex"));

fn import_egcfg_dir(
    dir: &Path,
    opts: &ImportOptions,
    unreadable: &mut Vec<String>,
) -> Result<Vec<Generation>> {
    let mut files: Vec<(i64, f64, PathBuf)> = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let p = e.map_err(|e| Error::io(dir, e))?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if let Some(c) = EGCFG_FILE.captures(name) {
            let task: i64 = c[1]
                .parse()
                .map_err(|_| Error::parse(&p, 0, None, "bad task id in file name"))?;
            let gamma: f64 = c[2]
                .parse()
                .map_err(|_| Error::parse(&p, 0, None, "bad gamma in file name"))?;
            files.push((task, gamma, p));
        }
    }
    if files.is_empty() {
        return Err(Error::parse(
            dir,
            0,
            None,
            "no task_id=N_gamma=G.json files in this folder",
        ));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let dir_name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("egcfg")
        .to_string();
    let model = opts.model.clone().unwrap_or_else(|| dir_name.clone());
    let (s, t) = EGCFG_CONFIG
        .captures(&dir_name)
        .map(|c| (c[1].parse::<i64>().ok(), c[2].parse::<f64>().ok()))
        .unwrap_or((None, None));
    let mut out = Vec::with_capacity(files.len());
    let mut last_task = None;
    let mut idx = 0;
    for (task, gamma, p) in files {
        if last_task != Some(task) {
            idx = 0;
            last_task = Some(task);
        }
        let bytes = read_bytes(&p)?;
        let v: Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                // One broken file (the published folder has empty ones) must not
                // lose the rest: skip it, visibly.
                unreadable.push(format!(
                    "{}: {}",
                    p.display(),
                    if bytes.is_empty() {
                        "empty file".to_string()
                    } else {
                        format!("invalid JSON: {e}")
                    }
                ));
                continue;
            }
        };
        let code = match v.get("code") {
            Some(Value::String(c)) => Some(c.clone()),
            Some(Value::Null) => None,
            _ => {
                return Err(Error::parse(
                    &p,
                    1,
                    Some("code"),
                    "missing, or neither a string nor null",
                ));
            }
        };
        let passed = v
            .get("passed")
            .and_then(Value::as_bool)
            .ok_or_else(|| Error::parse(&p, 1, Some("passed"), "missing or not a boolean"))?;
        let meta = json!({
            "source": "egcfg-results", "file": p.display().to_string(), "config": dir_name,
            "s": s, "t": t, "gamma": gamma,
            "recorded_passed": passed, "recorded_accuracy": v.get("accuracy"),
            "general_error": v.get("general_error"), "has_testcase_error": v.get("has_testcase_error"),
            "recorded_results": v.get("results"), "tb": v.get("tb"),
        });
        out.push(Generation {
            task_id: format!("Mbpp/{task}"),
            sample_idx: idx,
            model: model.clone(),
            prompt_id: "egcfg".into(),
            raw_output: code.clone().unwrap_or_default(),
            code,
            gen_metadata: meta.to_string(),
        });
        idx += 1;
    }
    Ok(out)
}

fn parse_generation_result(
    path: &Path,
    line: usize,
    v: &Value,
    opts: &ImportOptions,
) -> Result<Generation> {
    let problem = v
        .get("problem")
        .filter(|p| p.is_object())
        .ok_or_else(|| Error::parse(path, line, Some("problem"), "missing or not an object"))?;
    let pid = problem
        .get("problem_id")
        .ok_or_else(|| Error::parse(path, line, Some("problem.problem_id"), "missing"))?;
    let task_id = normalize_task_id(pid, opts.dataset.as_deref()).ok_or_else(|| {
        Error::parse(
            path,
            line,
            Some("problem.problem_id"),
            "expected a string or an integer",
        )
    })?;
    let code = match v.get("final_code") {
        Some(Value::String(c)) => Some(c.clone()).filter(|c| !c.trim().is_empty()),
        Some(Value::Null) => None,
        _ => {
            return Err(Error::parse(
                path,
                line,
                Some("final_code"),
                "missing, or neither a string nor null",
            ));
        }
    };
    let history = v
        .get("full_message_history")
        .cloned()
        .unwrap_or(Value::Array(vec![]));
    if !history.is_array() {
        return Err(Error::parse(
            path,
            line,
            Some("full_message_history"),
            "expected a list of messages",
        ));
    }
    let raw = history
        .as_array()
        .and_then(|h| {
            h.iter()
                .rev()
                .find(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
                .and_then(|m| m.get("content").and_then(Value::as_str))
                .map(str::to_string)
        })
        .or_else(|| code.clone())
        .unwrap_or_default();
    let meta = v.get("generation_metadata").cloned().unwrap_or(json!({}));
    let model = opts
        .model
        .clone()
        .or_else(|| {
            meta.get("model")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "unknown".into());
    let prompt_id = meta
        .get("prompt_id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut m = meta.as_object().cloned().unwrap_or_default();
    m.insert("full_message_history".into(), history);
    m.insert("source".into(), json!("generation-result"));
    Ok(Generation {
        task_id,
        sample_idx: 0,
        model,
        prompt_id,
        raw_output: raw,
        code,
        gen_metadata: Value::Object(m).to_string(),
    })
}

/// Write generations with their problems as the seed framework's
/// `GenerationResult` JSON Lines: `{problem: {problem_id, problem, solutions,
/// test_cases, metadata: {func_name}}, final_code, full_message_history,
/// generation_metadata: {model, temperature, prompt_id, ...}}`.
///
/// The message history comes from `gen_metadata.full_message_history` when
/// present, else a single assistant turn with the raw output.
///
/// ```no_run
/// # let (problems, gens) = (vec![], vec![]);
/// codefail::data::write_generation_results("out.jsonl", &problems, &gens).unwrap();
/// ```
pub fn write_generation_results(
    path: impl AsRef<Path>,
    problems: &[Problem],
    gens: &[Generation],
) -> Result<()> {
    let by_id: BTreeMap<&str, &Problem> =
        problems.iter().map(|p| (p.task_id.as_str(), p)).collect();
    let rows: Vec<Value> = gens
        .iter()
        .map(|g| generation_result_record(by_id.get(g.task_id.as_str()).copied(), g))
        .collect();
    write_jsonl_records(path, &rows)
}

/// One `GenerationResult` record (a line of [`write_generation_results`]'s
/// file) for a generation and its problem.
///
/// ```
/// use codefail::data::{Generation, generation_result_record};
/// let g = Generation { task_id: "Mbpp/2".into(), sample_idx: 0, model: "m".into(),
///     prompt_id: "p".into(), raw_output: "x = 1".into(), code: Some("x = 1".into()),
///     gen_metadata: "{}".into() };
/// let rec = generation_result_record(None, &g);
/// assert_eq!(rec["final_code"], "x = 1");
/// assert_eq!(rec["full_message_history"][0]["role"], "assistant");
/// ```
pub fn generation_result_record(p: Option<&Problem>, g: &Generation) -> Value {
    let mut meta = g.metadata_json().as_object().cloned().unwrap_or_default();
    let history = meta
        .remove("full_message_history")
        .unwrap_or_else(|| json!([{"role": "assistant", "content": g.raw_output}]));
    meta.remove("source");
    meta.insert("model".into(), json!(g.model));
    meta.insert("prompt_id".into(), json!(g.prompt_id));
    let test_cases: Vec<Value> = p.map(|p| p.tests.iter().map(|t| match t.kind {
        TestKind::Assert => json!({"kind": "assert", "input": t.code, "output": null, "public": t.public}),
        _ => json!({"kind": t.kind.as_str(), "input": t.input, "output": t.expected, "public": t.public}),
    }).collect()).unwrap_or_default();
    json!({
        "problem": {
            "problem_id": g.task_id,
            "problem": p.map(|p| p.prompt.as_str()),
            "solutions": p.and_then(|p| p.reference.as_ref()).map(|r| vec![r]).unwrap_or_default(),
            "test_cases": test_cases,
            "metadata": {"func_name": p.and_then(|p| p.entry_point.as_deref()), "dataset": p.map(|p| p.dataset.as_str())},
        },
        "final_code": g.code,
        "full_message_history": history,
        "generation_metadata": Value::Object(meta),
    })
}

fn make_report(format: &str, rows: &[Generation]) -> ImportReport {
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for g in rows {
        *counts
            .entry((g.task_id.as_str(), g.model.as_str()))
            .or_default() += 1;
    }
    let typical = {
        let mut freq: BTreeMap<usize, usize> = BTreeMap::new();
        for &n in counts.values() {
            *freq.entry(n).or_default() += 1;
        }
        freq.into_iter()
            .max_by_key(|&(n, f)| (f, std::cmp::Reverse(n)))
            .map(|(n, _)| n)
            .unwrap_or(1)
    };
    // Only formats with one sample per task (per model) can have duplicates;
    // EvalPlus samples and codefail frames hold n samples by design.
    let one_sample = matches!(format, "official-eval" | "lcb-checkpoints");
    let duplicates = if !one_sample {
        Vec::new()
    } else {
        counts
            .iter()
            .filter(|&(_, &n)| n > typical)
            .map(|((t, _), &n)| (t.to_string(), n))
            .collect()
    };
    let mut nums: Vec<i64> = rows
        .iter()
        .filter_map(|g| g.task_id.strip_prefix("Mbpp/").and_then(|n| n.parse().ok()))
        .collect();
    nums.sort_unstable();
    nums.dedup();
    let missing = match (nums.first(), nums.last()) {
        (Some(&lo), Some(&hi)) if nums.len() > 1 => (lo..=hi)
            .filter(|n| nums.binary_search(n).is_err())
            .map(|n| format!("Mbpp/{n}"))
            .collect(),
        _ => Vec::new(),
    };
    ImportReport {
        format: format.to_string(),
        n_rows: rows.len(),
        duplicates,
        missing,
        n_no_code: rows.iter().filter(|g| g.code.is_none()).count(),
        unreadable: Vec::new(),
    }
}

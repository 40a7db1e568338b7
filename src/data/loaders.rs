//! Benchmark loaders: MBPP, MBPP+, HumanEval, LiveCodeBench-style stdin sets,
//! DeepCoder configs and SWE-bench oracle files, each as a problems frame.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use polars::prelude::DataFrame;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use regex::Regex;
use serde::Deserialize;
use serde_json::{Value, json};

use super::io::{
    frame_to_json_rows, from_value, jsonl_lines, read_bytes, read_jsonl_values, read_parquet,
};
use super::schema::{Problem, TestCase, TestKind, TestType, problems_frame};
use super::sources::{HubFile, fetch_hub, find_local};
use crate::error::{Error, Result};

/// Which tests are shown to the model (public) and which are held out (private).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PublicSplit {
    /// Number of public tests per task (the rest private).
    pub n_public: Option<usize>,
    /// Fraction of public tests per task (rounded down, at least one when there are tests).
    pub ratio: Option<f64>,
    /// `None`: the first tests in the benchmark's order are public; `Some(seed)`:
    /// a seeded shuffle per task picks them (stable for a task id and seed).
    pub seed: Option<u64>,
}

/// Options of [`load`] (serializable: a results file written from the
/// chain records them, see [`crate::chain::Results::read`]).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LoadOptions {
    /// Read this file (or folder) instead of searching the data roots.
    pub path: Option<PathBuf>,
    /// Data set configuration: MBPP `full` (default) or `sanitized`; DeepCoder
    /// `lcbv5`, `primeintellect`, `taco`, `codeforces`.
    pub config: Option<String>,
    /// Keep only this split (`prompt`, `test`, `validation`, `train`, ...).
    pub split: Option<String>,
    /// Keep only these task ids (`11` matches `Mbpp/11`).
    pub task_ids: Option<Vec<String>>,
    /// Keep at most this many tasks (after the other filters).
    pub limit: Option<usize>,
    /// Public/private test split (MBPP, MBPP+ base tests).
    pub public: PublicSplit,
}

/// The data sets [`load`] knows, with their configurations.
pub const DATASETS: &[(&str, &[&str])] = &[
    ("mbpp", &["full", "sanitized"]),
    ("mbppplus", &[]),
    ("humaneval", &[]),
    ("lcb-atcoder", &[]),
    (
        "deepcoder",
        &["lcbv5", "primeintellect", "taco", "codeforces"],
    ),
    ("swebench", &["oracle"]),
];

/// Load a benchmark as a problems frame (see [`crate::data::schema`]).
///
/// ```no_run
/// use codefail::data::{load, LoadOptions};
/// let opts = LoadOptions { split: Some("test".into()), ..Default::default() };
/// let problems = load("mbpp", &opts).unwrap();
/// assert_eq!(problems.height(), 500);
/// ```
pub fn load(name: &str, opts: &LoadOptions) -> Result<DataFrame> {
    problems_frame(&load_problems(name, opts)?)
}

/// Like [`load`], as records.
///
/// ```no_run
/// let p = codefail::data::load_problems("humaneval", &Default::default()).unwrap();
/// assert_eq!(p.len(), 164);
/// ```
pub fn load_problems(name: &str, opts: &LoadOptions) -> Result<Vec<Problem>> {
    let mut rows = match name {
        "mbpp" => match opts.config.as_deref().unwrap_or("full") {
            "full" => load_mbpp_full(opts)?,
            "sanitized" => load_mbpp_sanitized(opts)?,
            other => {
                return Err(Error::Invalid(format!(
                    "mbpp has configs `full` and `sanitized`, not `{other}`"
                )));
            }
        },
        "mbppplus" | "mbpp+" => load_mbppplus(opts)?,
        "humaneval" => load_humaneval(opts)?,
        "lcb-atcoder" | "lcb" => load_lcb(opts)?,
        "deepcoder" => super::external::load_deepcoder(opts)?,
        "swebench" => super::external::load_swebench(opts)?,
        other => {
            let known: Vec<_> = DATASETS.iter().map(|(n, _)| *n).collect();
            return Err(Error::Invalid(format!(
                "unknown data set `{other}`; known: {}",
                known.join(", ")
            )));
        }
    };
    apply_public_split(&mut rows, &opts.public)?;
    Ok(filter(rows, opts))
}

fn filter(rows: Vec<Problem>, opts: &LoadOptions) -> Vec<Problem> {
    let mut rows: Vec<Problem> = rows
        .into_iter()
        .filter(|p| opts.split.as_deref().is_none_or(|s| p.split == s))
        .filter(|p| {
            opts.task_ids
                .as_ref()
                .is_none_or(|ids| ids.iter().any(|id| task_id_matches(&p.task_id, id)))
        })
        .collect();
    if let Some(n) = opts.limit {
        rows.truncate(n);
    }
    rows
}

/// Whether a task id matches a user's filter: exactly, or by the part after
/// the last `/` (`11` matches `Mbpp/11`).
///
/// ```
/// assert!(codefail::data::task_id_matches("Mbpp/11", "11"));
/// assert!(codefail::data::task_id_matches("Mbpp/11", "Mbpp/11"));
/// assert!(!codefail::data::task_id_matches("Mbpp/111", "11"));
/// ```
pub fn task_id_matches(task_id: &str, wanted: &str) -> bool {
    task_id == wanted || task_id.rsplit('/').next() == Some(wanted)
}

/// The MBPP split of a task number, as in the original release.
///
/// ```
/// assert_eq!(codefail::data::mbpp_split(11), "test");
/// assert_eq!(codefail::data::mbpp_split(600), "validation");
/// ```
pub fn mbpp_split(n: i64) -> &'static str {
    match n {
        1..=10 => "prompt",
        11..=510 => "test",
        511..=600 => "validation",
        _ => "train",
    }
}

/// The canonical MBPP task id for a task number (`Mbpp/N`, as EvalPlus writes it).
///
/// ```
/// assert_eq!(codefail::data::mbpp_task_id(11), "Mbpp/11");
/// ```
pub fn mbpp_task_id(n: i64) -> String {
    format!("Mbpp/{n}")
}

fn apply_public_split(rows: &mut [Problem], split: &PublicSplit) -> Result<()> {
    if split.n_public.is_none() && split.ratio.is_none() {
        return Ok(());
    }
    if let Some(r) = split.ratio {
        if !(0.0..=1.0).contains(&r) {
            return Err(Error::Invalid(format!(
                "public ratio must be in [0, 1], got {r}"
            )));
        }
    }
    for p in rows.iter_mut() {
        let idx: Vec<usize> = p
            .tests
            .iter()
            .enumerate()
            .filter(|(_, t)| t.group == "base" || t.group == "sample")
            .map(|(i, _)| i)
            .collect();
        let n = match (split.n_public, split.ratio) {
            (Some(n), _) => n.min(idx.len()),
            (None, Some(r)) => ((idx.len() as f64 * r).floor() as usize)
                .max(usize::from(!idx.is_empty() && r > 0.0)),
            (None, None) => idx.len(),
        };
        let mut order = idx.clone();
        if let Some(seed) = split.seed {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ stable_hash(&p.task_id));
            order.shuffle(&mut rng);
        }
        for (rank, &i) in order.iter().enumerate() {
            p.tests[i].public = rank < n;
        }
    }
    Ok(())
}

/// FNV-1a: a hash that does not change between runs or platforms.
fn stable_hash(s: &str) -> u64 {
    crate::store::fnv1a(s.as_bytes(), crate::store::FNV_OFFSET)
}

static DEF_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\s*def\s+([A-Za-z_]\w*)\s*\(").expect("valid regex"));
static CALL_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([A-Za-z_][\w.]*)\s*\(").expect("valid regex"));

const NOT_ENTRY: &[&str] = &[
    "set",
    "sorted",
    "list",
    "tuple",
    "dict",
    "str",
    "int",
    "float",
    "abs",
    "round",
    "len",
    "math.isclose",
    "isclose",
    "not",
    "all",
    "any",
    "sum",
    "max",
    "min",
    "frozenset",
    "type",
    "isinstance",
    "bool",
    "repr",
    "print",
    "range",
    "map",
    "filter",
    "zip",
    "enumerate",
    "and",
    "or",
    "in",
];

/// The function an MBPP task tests: the first function defined by the
/// reference that the asserts call; else the first non-builtin call in the
/// first assert.
///
/// ```
/// let code = "def helper(x): return x\ndef min_cost(c, m, n): return helper(c)";
/// let tests = ["assert min_cost([[1]], 0, 0) == 1".to_string()];
/// assert_eq!(codefail::data::mbpp_entry_point(code, &tests).as_deref(), Some("min_cost"));
/// ```
pub fn mbpp_entry_point(reference: &str, tests: &[String]) -> Option<String> {
    let defs: Vec<&str> = DEF_RE
        .captures_iter(reference)
        .filter_map(|c| c.get(1).map(|m| m.as_str()))
        .collect();
    for t in tests {
        let mut first: Option<(usize, &str)> = None;
        for d in &defs {
            let pat = Regex::new(&format!(r"\b{}\s*\(", regex::escape(d))).ok()?;
            if let Some(m) = pat.find(t) {
                if first.is_none_or(|(pos, _)| m.start() < pos) {
                    first = Some((m.start(), d));
                }
            }
        }
        if let Some((_, d)) = first {
            return Some(d.to_string());
        }
    }
    let t = tests.first()?;
    let body = t.trim_start().strip_prefix("assert").unwrap_or(t);
    CALL_RE
        .captures_iter(body)
        .filter_map(|c| c.get(1).map(|m| m.as_str()))
        .find(|name| !NOT_ENTRY.contains(name))
        .map(str::to_string)
}

pub(crate) fn locate(
    what: &str,
    explicit: Option<&Path>,
    rel: &str,
    hub: &[HubFile],
) -> Result<Source> {
    let mut tried = Vec::new();
    if let Some(p) = find_local(explicit, rel, &mut tried)? {
        return Ok(Source::Local(p));
    }
    Ok(Source::Hub(fetch_hub(what, hub, tried)?))
}

pub(crate) enum Source {
    /// A local file.
    Local(PathBuf),
    /// Downloaded hub parquet files.
    Hub(Vec<PathBuf>),
}

/// JSON rows of a local JSON Lines file, or of the downloaded hub parquet files.
pub(crate) fn rows_of(source: &Source) -> Result<Vec<(PathBuf, usize, Value)>> {
    match source {
        Source::Local(p) => Ok(read_jsonl_values(p)?
            .into_iter()
            .map(|(l, v)| (p.clone(), l, v))
            .collect()),
        Source::Hub(files) => {
            let mut out = Vec::new();
            for f in files {
                let df = read_parquet(f)?;
                for (i, v) in frame_to_json_rows(&df)?.into_iter().enumerate() {
                    out.push((f.clone(), i + 1, v));
                }
            }
            Ok(out)
        }
    }
}

#[derive(Deserialize)]
struct MbppRow {
    task_id: i64,
    text: String,
    code: String,
    #[serde(default)]
    test_setup_code: String,
    test_list: Vec<String>,
    #[serde(default)]
    challenge_test_list: Vec<String>,
}

fn mbpp_hub(config: &str) -> Vec<HubFile> {
    let files: &[&'static str] = if config == "full" {
        &[
            "full/prompt-00000-of-00001.parquet",
            "full/test-00000-of-00001.parquet",
            "full/validation-00000-of-00001.parquet",
            "full/train-00000-of-00001.parquet",
        ]
    } else {
        &[
            "sanitized/prompt-00000-of-00001.parquet",
            "sanitized/test-00000-of-00001.parquet",
            "sanitized/validation-00000-of-00001.parquet",
            "sanitized/train-00000-of-00001.parquet",
        ]
    };
    files
        .iter()
        .map(|f| HubFile::new("google-research-datasets/mbpp", *f))
        .collect()
}

fn entry_point_or_err(path: &Path, line: usize, code: &str, tests: &[String]) -> Result<String> {
    mbpp_entry_point(code, tests).ok_or_else(|| {
        Error::parse(
            path,
            line,
            Some("test_list"),
            "cannot find the function the asserts call",
        )
    })
}

fn load_mbpp_full(opts: &LoadOptions) -> Result<Vec<Problem>> {
    let src = locate(
        "MBPP (full)",
        opts.path.as_deref(),
        "mbpp/mbpp.jsonl",
        &mbpp_hub("full"),
    )?;
    let mut out = Vec::new();
    for (path, line, v) in rows_of(&src)? {
        let r: MbppRow = from_value(&path, line, v)?;
        let entry = entry_point_or_err(&path, line, &r.code, &r.test_list)?;
        let mut tests: Vec<TestCase> = r.test_list.iter().map(TestCase::assert).collect();
        tests.extend(r.challenge_test_list.iter().map(|c| TestCase {
            public: false,
            group: "challenge".into(),
            ..TestCase::assert(c)
        }));
        out.push(Problem {
            task_id: mbpp_task_id(r.task_id),
            dataset: "mbpp".into(),
            split: mbpp_split(r.task_id).into(),
            prompt: r.text,
            entry_point: Some(entry),
            test_type: TestType::Functional,
            tests,
            setup_code: r.test_setup_code,
            reference: Some(r.code),
            atol: 0.0,
            metadata: json!({"config": "full", "source": path.display().to_string(), "line": line})
                .to_string(),
        });
    }
    out.sort_by_key(|p| task_number(&p.task_id));
    Ok(out)
}

fn task_number(id: &str) -> i64 {
    id.rsplit('/')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(i64::MAX)
}

#[derive(Deserialize)]
struct SanitizedRow {
    task_id: i64,
    prompt: String,
    code: String,
    #[serde(default)]
    test_imports: Vec<String>,
    test_list: Vec<String>,
    #[serde(default)]
    source_file: Option<String>,
}

fn load_mbpp_sanitized(opts: &LoadOptions) -> Result<Vec<Problem>> {
    let src = locate(
        "MBPP (sanitized)",
        opts.path.as_deref(),
        "mbpp/sanitized-mbpp.json",
        &mbpp_hub("sanitized"),
    )?;
    let rows: Vec<(PathBuf, usize, Value)> = match &src {
        Source::Local(p) if p.extension().is_some_and(|e| e == "json") => {
            let bytes = read_bytes(p)?;
            let all: Vec<Value> = serde_json::from_slice(&bytes)
                .map_err(|e| Error::parse(p, e.line(), None, format!("invalid JSON: {e}")))?;
            all.into_iter()
                .enumerate()
                .map(|(i, v)| (p.clone(), i + 1, v))
                .collect()
        }
        other => rows_of(other)?,
    };
    let mut out = Vec::new();
    for (path, item, v) in rows {
        let r: SanitizedRow = from_value(&path, item, v)?;
        let entry = entry_point_or_err(&path, item, &r.code, &r.test_list)?;
        out.push(Problem {
            task_id: mbpp_task_id(r.task_id),
            dataset: "mbpp".into(),
            split: mbpp_split(r.task_id).into(),
            prompt: r.prompt,
            entry_point: Some(entry),
            test_type: TestType::Functional,
            tests: r.test_list.iter().map(TestCase::assert).collect(),
            setup_code: r.test_imports.join("\n"),
            reference: Some(r.code),
            atol: 0.0,
            metadata: json!({"config": "sanitized", "source": path.display().to_string(),
                "item": item, "source_file": r.source_file})
            .to_string(),
        });
    }
    out.sort_by_key(|p| task_number(&p.task_id));
    Ok(out)
}

/// Replace Python's JSON extensions (`NaN`, `Infinity`, `-Infinity`) outside
/// strings by placeholder strings that [`restore_python_json`] turns back.
fn python_json_compat(line: &str) -> std::borrow::Cow<'_, str> {
    if !(line.contains("NaN") || line.contains("Infinity")) {
        return line.into();
    }
    let mut out = String::with_capacity(line.len() + 32);
    let mut in_str = false;
    let mut escaped = false;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let mut matched = false;
        for (tok, ph) in [
            ("-Infinity", r#""\u0001-Infinity""#),
            ("Infinity", r#""\u0001Infinity""#),
            ("NaN", r#""\u0001NaN""#),
        ] {
            if rest.starts_with(tok) {
                out.push_str(ph);
                rest = &rest[tok.len()..];
                matched = true;
                break;
            }
        }
        if matched {
            continue;
        }
        if c == '"' {
            in_str = true;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out.into()
}

fn restore_python_json(raw: &str) -> String {
    raw.replace(r#""\u0001-Infinity""#, "-Infinity")
        .replace(r#""\u0001Infinity""#, "Infinity")
        .replace(r#""\u0001NaN""#, "NaN")
}

#[derive(Deserialize)]
struct MbppPlusRow<'a> {
    task_id: String,
    prompt: String,
    entry_point: String,
    canonical_solution: String,
    #[serde(borrow)]
    base_input: &'a serde_json::value::RawValue,
    #[serde(borrow)]
    plus_input: &'a serde_json::value::RawValue,
    #[serde(default)]
    atol: Option<f64>,
    #[serde(default)]
    contract: Option<String>,
    #[serde(default)]
    assertion: Option<String>,
}

/// Split a raw JSON array into the raw text of its elements (`{}` counts as empty).
fn raw_elements(
    path: &Path,
    line: usize,
    field: &str,
    raw: &serde_json::value::RawValue,
) -> Result<Vec<String>> {
    let text = raw.get().trim();
    if text == "{}" || text == "null" {
        return Ok(Vec::new());
    }
    let items: Vec<&serde_json::value::RawValue> = serde_json::from_str(text).map_err(|e| {
        Error::parse(
            path,
            line,
            Some(field),
            format!("expected a list of inputs: {e}"),
        )
    })?;
    Ok(items
        .into_iter()
        .map(|r| restore_python_json(r.get()))
        .collect())
}

/// Strip the triple quotes around an MBPP+ prompt.
fn strip_docstring(p: &str) -> String {
    let t = p.trim();
    for q in ["\"\"\"", "'''"] {
        if let Some(inner) = t.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner.trim().to_string();
        }
    }
    t.to_string()
}

fn load_mbppplus(opts: &LoadOptions) -> Result<Vec<Problem>> {
    let path = match locate(
        "MBPP+",
        opts.path.as_deref(),
        "mbppplus/MbppPlus.jsonl",
        &[],
    ) {
        Ok(Source::Local(p)) => p,
        Ok(Source::Hub(_)) => unreachable!("no hub files requested"),
        Err(Error::NotFound { what, mut tried }) => {
            tried.push("hf://datasets/evalplus/mbppplus is not used: it stores the tests as Python scripts, not the MbppPlus.jsonl inputs; download MbppPlus.jsonl from the EvalPlus release".into());
            return Err(Error::NotFound { what, tried });
        }
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for (line, text) in jsonl_lines(&path)? {
        let text = python_json_compat(&text);
        let r: MbppPlusRow = {
            let de = &mut serde_json::Deserializer::from_str(&text);
            serde_path_to_error::deserialize(de).map_err(|e| {
                let field = e.path().to_string();
                Error::parse(
                    &path,
                    line,
                    (field != ".").then_some(field.as_str()),
                    e.into_inner().to_string(),
                )
            })?
        };
        let base = raw_elements(&path, line, "base_input", r.base_input)?;
        let plus = raw_elements(&path, line, "plus_input", r.plus_input)?;
        let mut tests: Vec<TestCase> = base.into_iter().map(|i| TestCase::call(i, None)).collect();
        tests.extend(plus.into_iter().map(|i| TestCase {
            public: false,
            group: "plus".into(),
            ..TestCase::call(i, None)
        }));
        let n = task_number(&r.task_id);
        out.push(Problem {
            split: mbpp_split(n).into(),
            task_id: r.task_id,
            dataset: "mbppplus".into(),
            prompt: strip_docstring(&r.prompt),
            entry_point: Some(r.entry_point),
            test_type: TestType::Functional,
            tests,
            setup_code: String::new(),
            reference: Some(r.canonical_solution),
            atol: r.atol.unwrap_or(0.0),
            metadata: json!({"source": path.display().to_string(), "line": line,
                "raw_prompt": r.prompt, "contract": r.contract, "assertion": r.assertion})
            .to_string(),
        });
    }
    Ok(out)
}

#[derive(Deserialize)]
struct HumanEvalRow {
    task_id: String,
    prompt: String,
    canonical_solution: String,
    test: String,
    entry_point: String,
}

fn load_humaneval(opts: &LoadOptions) -> Result<Vec<Problem>> {
    let src = locate(
        "HumanEval",
        opts.path.as_deref(),
        "humaneval/HumanEval.jsonl.gz",
        &[HubFile::new(
            "openai/openai_humaneval",
            "openai_humaneval/test-00000-of-00001.parquet",
        )],
    )?;
    let mut out = Vec::new();
    for (path, line, v) in rows_of(&src)? {
        let r: HumanEvalRow = from_value(&path, line, v)?;
        let check = format!("{}\n\ncheck({})\n", r.test, r.entry_point);
        out.push(Problem {
            task_id: r.task_id,
            dataset: "humaneval".into(),
            split: "test".into(),
            reference: Some(format!("{}{}", r.prompt, r.canonical_solution)),
            prompt: r.prompt,
            entry_point: Some(r.entry_point),
            test_type: TestType::Functional,
            tests: vec![TestCase::assert(check)],
            setup_code: String::new(),
            atol: 0.0,
            metadata: json!({"source": path.display().to_string(), "line": line,
                "completion_prompt": true, "canonical_solution": r.canonical_solution})
            .to_string(),
        });
    }
    Ok(out)
}

#[derive(Deserialize)]
struct LcbTest {
    input: String,
    output: String,
}

#[derive(Deserialize)]
struct LcbRow {
    problem_id: String,
    question: String,
    tests: Vec<LcbTest>,
    #[serde(default)]
    starter_code: String,
    #[serde(default)]
    testtype: Option<String>,
    #[serde(flatten)]
    rest: serde_json::Map<String, Value>,
}

fn load_lcb(opts: &LoadOptions) -> Result<Vec<Problem>> {
    let src = locate(
        "LiveCodeBench AtCoder problems",
        opts.path.as_deref(),
        "lcb-atcoder/problems.jsonl",
        &[],
    )?;
    let mut out = Vec::new();
    for (path, line, v) in rows_of(&src)? {
        let r: LcbRow = from_value(&path, line, v)?;
        if let Some(tt) = r.testtype.as_deref().filter(|t| *t != "stdin") {
            return Err(Error::parse(
                &path,
                line,
                Some("testtype"),
                format!("only stdin problems are supported here, got `{tt}`"),
            ));
        }
        let mut meta = r.rest;
        meta.insert("starter_code".into(), Value::String(r.starter_code));
        meta.insert("source".into(), Value::String(path.display().to_string()));
        out.push(Problem {
            task_id: r.problem_id,
            dataset: "lcb-atcoder".into(),
            split: "test".into(),
            prompt: r.question,
            entry_point: None,
            test_type: TestType::Stdin,
            tests: r
                .tests
                .into_iter()
                .map(|t| TestCase::stdin(t.input, t.output))
                .collect(),
            setup_code: String::new(),
            reference: None,
            atol: 0.0,
            metadata: Value::Object(meta).to_string(),
        });
    }
    Ok(out)
}

/// Tests of a problem of one kind.
///
/// ```
/// use codefail::data::{TestCase, TestKind, count_tests};
/// let tests = vec![TestCase::assert("assert True"), TestCase::stdin("", "")];
/// assert_eq!(count_tests(&tests, TestKind::Assert), 1);
/// ```
pub fn count_tests(tests: &[TestCase], kind: TestKind) -> usize {
    tests.iter().filter(|t| t.kind == kind).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_json_extensions_survive() {
        let line = r#"{"a": [Infinity, -Infinity, NaN, "NaN in a string"]}"#;
        let compat = python_json_compat(line);
        let v: Value = serde_json::from_str(&compat).unwrap();
        let raw = serde_json::to_string(&v["a"]).unwrap();
        assert_eq!(
            restore_python_json(&raw),
            r#"[Infinity,-Infinity,NaN,"NaN in a string"]"#
        );
    }

    #[test]
    fn public_split_first_n_and_seeded() {
        let mk = || Problem {
            task_id: "Mbpp/9".into(),
            dataset: "mbpp".into(),
            split: "test".into(),
            prompt: String::new(),
            entry_point: None,
            test_type: TestType::Functional,
            tests: (0..5)
                .map(|i| TestCase::assert(format!("assert {i}")))
                .collect(),
            setup_code: String::new(),
            reference: None,
            atol: 0.0,
            metadata: "{}".into(),
        };
        let mut a = vec![mk()];
        apply_public_split(
            &mut a,
            &PublicSplit {
                n_public: Some(1),
                ..Default::default()
            },
        )
        .unwrap();
        let public: Vec<bool> = a[0].tests.iter().map(|t| t.public).collect();
        assert_eq!(public, vec![true, false, false, false, false]);
        let mut b = vec![mk()];
        let seeded = PublicSplit {
            n_public: Some(2),
            seed: Some(7),
            ..Default::default()
        };
        apply_public_split(&mut b, &seeded).unwrap();
        assert_eq!(b[0].tests.iter().filter(|t| t.public).count(), 2);
        let mut c = vec![mk()];
        apply_public_split(&mut c, &seeded).unwrap();
        assert_eq!(b, c, "same seed, same split");
        let mut d = vec![mk()];
        apply_public_split(
            &mut d,
            &PublicSplit {
                ratio: Some(0.5),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(d[0].tests.iter().filter(|t| t.public).count(), 2);
        assert!(
            apply_public_split(
                &mut d,
                &PublicSplit {
                    ratio: Some(1.5),
                    ..Default::default()
                }
            )
            .is_err()
        );
    }

    #[test]
    fn entry_point_falls_back_to_first_call() {
        let tests = vec!["assert math.isclose(volume(2), 8.0)".to_string()];
        assert_eq!(mbpp_entry_point("", &tests).as_deref(), Some("volume"));
        let tests = vec!["assert set(similar((1,), (1,))) == set((1,))".to_string()];
        assert_eq!(mbpp_entry_point("", &tests).as_deref(), Some("similar"));
    }

    #[test]
    fn docstring_stripped() {
        assert_eq!(strip_docstring("'''\nWrite x.\n'''"), "Write x.");
        assert_eq!(strip_docstring("\"\"\"\nWrite y.\n\"\"\""), "Write y.");
    }
}

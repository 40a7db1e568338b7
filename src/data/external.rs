//! Loaders for hub-only data sets: DeepCoder-Preview (four configs) and
//! SWE-bench oracle files. Both read JSON Lines or parquet in the hub's own
//! schema, from an explicit path (a file or a folder of files), from
//! `deepcoder/<config>` / `swebench/` under the data roots, or from the hub.
//!
//! DeepCoder schema (`agentica-org/DeepCoder-Preview-Dataset`, one folder per config):
//! `problem` (str), `tests` (str: JSON), `lcbv5` also `starter_code` (str) and
//! `metadata` (struct `{func_name}`), `primeintellect`/`taco` also `solutions` (list[str]).
//! `tests` per config:
//! - `lcbv5`: `[{input, output, testtype: "stdin"|"functional"}]`; functional
//!   inputs are newline-separated JSON arguments for `Solution().<func_name>`.
//! - `primeintellect`: `[{type: "stdin_stdout"|"function_call", input, output, fn_name}]`;
//!   a call's `output` wraps the return value in a one-element list.
//! - `taco`: `{inputs: [...], outputs: [...], fn_name?}` (APPS style).
//! - `codeforces`: `[{input, output}]`.
//!
//! SWE-bench oracle: 13 string columns (`instance_id`, `text`, `repo`,
//! `base_commit`, `problem_statement`, `hints_text`, `created_at`, `patch`,
//! `test_patch`, `version`, `FAIL_TO_PASS`, `PASS_TO_PASS` (JSON lists as
//! strings), `environment_setup_commit`); loaded with `test_type = patch`, never executed.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::io::{frame_to_json_rows, read_jsonl_values, read_parquet};
use super::loaders::LoadOptions;
use super::schema::{Problem, TestCase, TestType};
use super::sources::{HubFile, fetch_hub, find_local};
use crate::error::{Error, Result};

const DEEPCODER_REPO: &str = "agentica-org/DeepCoder-Preview-Dataset";

type Row = (PathBuf, usize, Value);

/// Rows of a JSON Lines or parquet file, or of every such file in a folder.
fn rows_of_path(path: &Path) -> Result<Vec<Row>> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Error::io(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .is_some_and(|e| e == "parquet" || e == "jsonl")
            })
            .collect();
        files.sort();
        let mut out = Vec::new();
        for f in files {
            out.extend(rows_of_path(&f)?);
        }
        return Ok(out);
    }
    if super::is_parquet(path) {
        let df = read_parquet(path)?;
        return Ok(frame_to_json_rows(&df)?
            .into_iter()
            .enumerate()
            .map(|(i, v)| (path.to_path_buf(), i + 1, v))
            .collect());
    }
    Ok(read_jsonl_values(path)?
        .into_iter()
        .map(|(l, v)| (path.to_path_buf(), l, v))
        .collect())
}

fn rows_from(
    what: &str,
    explicit: Option<&Path>,
    rels: &[String],
    hub: Vec<HubFile>,
) -> Result<Vec<Row>> {
    let mut tried = Vec::new();
    if explicit.is_some() {
        if let Some(p) = find_local(explicit, "", &mut tried)? {
            return rows_of_path(&p);
        }
    }
    for rel in rels {
        if let Some(p) = find_local(None, rel, &mut tried)? {
            return rows_of_path(&p);
        }
    }
    let mut out = Vec::new();
    for f in fetch_hub(what, &hub, tried)? {
        out.extend(rows_of_path(&f)?);
    }
    Ok(out)
}

/// The split named by a file (`train-0000-of-0001.parquet` -> `train`), else `test`.
fn split_of(path: &Path) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    for s in ["train", "test", "dev", "validation"] {
        if name.starts_with(s) {
            return s.to_string();
        }
    }
    "test".to_string()
}

fn field_str<'a>(path: &Path, line: usize, v: &'a Value, field: &str) -> Result<&'a str> {
    v.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| Error::parse(path, line, Some(field), "missing or not a string"))
}

/// A field that may hold JSON directly or JSON encoded in a string.
fn json_field(path: &Path, line: usize, v: &Value, field: &str) -> Result<Value> {
    match v.get(field) {
        Some(Value::String(s)) => serde_json::from_str(s)
            .map_err(|e| Error::parse(path, line, Some(field), format!("not valid JSON: {e}"))),
        Some(Value::Null) | None => Ok(Value::Null),
        Some(other) => Ok(other.clone()),
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join("\n"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn deepcoder_hub(config: &str) -> Vec<HubFile> {
    let parts: &[(&str, usize)] = match config {
        "lcbv5" => &[("train", 11), ("test", 8)],
        "primeintellect" => &[("train", 5)],
        "taco" => &[("train", 4)],
        _ => &[("test", 1)],
    };
    parts
        .iter()
        .flat_map(|&(split, n)| {
            (0..n).map(move |i| {
                HubFile::new(
                    DEEPCODER_REPO,
                    format!("{config}/{split}-{i:05}-of-{n:05}.parquet"),
                )
            })
        })
        .collect()
}

/// Load a DeepCoder-Preview config (`opts.config`: `lcbv5`, `primeintellect`, `taco`, `codeforces`).
pub(crate) fn load_deepcoder(opts: &LoadOptions) -> Result<Vec<Problem>> {
    let config = opts.config.as_deref().ok_or_else(|| {
        Error::Invalid("deepcoder needs a config: lcbv5, primeintellect, taco or codeforces".into())
    })?;
    if !["lcbv5", "primeintellect", "taco", "codeforces"].contains(&config) {
        return Err(Error::Invalid(format!(
            "deepcoder has configs lcbv5, primeintellect, taco, codeforces; not `{config}`"
        )));
    }
    let rels = [
        format!("deepcoder/{config}"),
        format!("deepcoder/{config}.jsonl"),
    ];
    let rows = rows_from(
        &format!("DeepCoder ({config})"),
        opts.path.as_deref(),
        &rels,
        deepcoder_hub(config),
    )?;
    let mut out = Vec::with_capacity(rows.len());
    let mut counters = std::collections::HashMap::<String, usize>::new();
    for (path, line, v) in rows {
        let split = split_of(&path);
        let idx = counters.entry(split.clone()).or_default();
        let task_id = format!("deepcoder/{config}/{split}/{idx}");
        *idx += 1;
        let prompt = field_str(&path, line, &v, "problem")?.to_string();
        let tests_v = json_field(&path, line, &v, "tests")?;
        let (tests, mut entry) = deepcoder_tests(&path, line, config, &tests_v)?;
        if config == "lcbv5" {
            let meta = json_field(&path, line, &v, "metadata")?;
            if let Some(f) = meta.get("func_name").and_then(Value::as_str) {
                entry = Some(f.to_string());
            }
        }
        let has_call = tests.iter().any(|t| t.kind == super::TestKind::Call);
        if has_call && entry.is_none() {
            return Err(Error::parse(
                &path,
                line,
                Some("tests"),
                "function-call tests without a function name (fn_name / metadata.func_name)",
            ));
        }
        let solutions = v.get("solutions").cloned().unwrap_or(Value::Null);
        out.push(Problem {
            task_id,
            dataset: format!("deepcoder/{config}"),
            split,
            prompt,
            entry_point: entry,
            test_type: if has_call {
                TestType::Functional
            } else {
                TestType::Stdin
            },
            tests,
            setup_code: String::new(),
            reference: solutions.get(0).and_then(Value::as_str).map(str::to_string),
            atol: 0.0,
            metadata: json!({
                "source": path.display().to_string(), "line": line,
                "starter_code": v.get("starter_code"),
                "call_style": if config == "lcbv5" { "solution_class" } else { "function" },
                "n_solutions": solutions.as_array().map(Vec::len),
            })
            .to_string(),
        });
    }
    Ok(out)
}

fn deepcoder_tests(
    path: &Path,
    line: usize,
    config: &str,
    v: &Value,
) -> Result<(Vec<TestCase>, Option<String>)> {
    let bad = |msg: &str| Error::parse(path, line, Some("tests"), msg.to_string());
    let mut entry = None;
    let mut tests = Vec::new();
    match config {
        "taco" => {
            let inputs = v
                .get("inputs")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("expected {inputs, outputs}"))?;
            let outputs = v
                .get("outputs")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("expected {inputs, outputs}"))?;
            if inputs.len() != outputs.len() {
                return Err(bad("inputs and outputs differ in length"));
            }
            entry = v.get("fn_name").and_then(Value::as_str).map(str::to_string);
            for (i, o) in inputs.iter().zip(outputs) {
                tests.push(if entry.is_some() {
                    let args = if i.is_array() { i.clone() } else { json!([i]) };
                    let ret = match o.as_array() {
                        Some(a) if a.len() == 1 => a[0].clone(),
                        _ => o.clone(),
                    };
                    TestCase::call(args.to_string(), Some(ret.to_string()))
                } else {
                    TestCase::stdin(text_of(i), text_of(o))
                });
            }
        }
        _ => {
            let items = v
                .as_array()
                .ok_or_else(|| bad("expected a list of tests"))?;
            for t in items {
                let kind = t
                    .get("testtype")
                    .or_else(|| t.get("type"))
                    .and_then(Value::as_str)
                    .unwrap_or("stdin");
                let input = t.get("input").unwrap_or(&Value::Null);
                let output = t.get("output").unwrap_or(&Value::Null);
                match kind {
                    "functional" => {
                        let args: Vec<Value> = text_of(input)
                            .lines()
                            .filter(|l| !l.trim().is_empty())
                            .map(|l| {
                                serde_json::from_str(l).map_err(|e| {
                                    bad(&format!("functional input line is not JSON: {e}"))
                                })
                            })
                            .collect::<Result<_>>()?;
                        let ret: Value = serde_json::from_str(&text_of(output))
                            .map_err(|e| bad(&format!("functional output is not JSON: {e}")))?;
                        tests.push(TestCase::call(
                            Value::Array(args).to_string(),
                            Some(ret.to_string()),
                        ));
                    }
                    "function_call" => {
                        if let Some(f) = t.get("fn_name").and_then(Value::as_str) {
                            entry = Some(f.to_string());
                        }
                        let args = if input.is_array() {
                            input.clone()
                        } else {
                            json!([input])
                        };
                        let ret = match output.as_array() {
                            Some(a) if a.len() == 1 => a[0].clone(),
                            _ => output.clone(),
                        };
                        tests.push(TestCase::call(args.to_string(), Some(ret.to_string())));
                    }
                    "stdin" | "stdin_stdout" => {
                        tests.push(TestCase::stdin(text_of(input), text_of(output)))
                    }
                    other => return Err(bad(&format!("unknown test type `{other}`"))),
                }
            }
        }
    }
    Ok((tests, entry))
}

fn swebench_hub() -> Vec<HubFile> {
    vec![HubFile::new(
        "princeton-nlp/SWE-bench_oracle",
        "data/test-00000-of-00001.parquet",
    )]
}

/// Load SWE-bench oracle rows (never executed: `test_type = patch`, no tests).
pub(crate) fn load_swebench(opts: &LoadOptions) -> Result<Vec<Problem>> {
    let rels = ["swebench/oracle.jsonl".to_string(), "swebench".to_string()];
    let rows = rows_from(
        "SWE-bench oracle",
        opts.path.as_deref(),
        &rels,
        swebench_hub(),
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for (path, line, v) in rows {
        let s = |f: &str| field_str(&path, line, &v, f);
        let mut meta = serde_json::Map::new();
        for f in [
            "repo",
            "base_commit",
            "hints_text",
            "created_at",
            "test_patch",
            "version",
            "environment_setup_commit",
            "text",
        ] {
            if let Some(x) = v.get(f) {
                meta.insert(f.into(), x.clone());
            }
        }
        for f in ["FAIL_TO_PASS", "PASS_TO_PASS"] {
            meta.insert(f.into(), json_field(&path, line, &v, f)?);
        }
        meta.insert("source".into(), json!(path.display().to_string()));
        out.push(Problem {
            task_id: s("instance_id")?.to_string(),
            dataset: "swebench".into(),
            split: split_of(&path),
            prompt: s("problem_statement")?.to_string(),
            entry_point: None,
            test_type: TestType::Patch,
            tests: Vec::new(),
            setup_code: String::new(),
            reference: Some(s("patch")?.to_string()),
            atol: 0.0,
            metadata: Value::Object(meta).to_string(),
        });
    }
    Ok(out)
}

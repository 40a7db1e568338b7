//! Semantic failure categories by differential testing against the reference.
//!
//! For every failed row whose problem has a reference solution and an entry
//! point, codefail takes the task's own test inputs (the literal arguments of
//! the asserts, or the call tests' inputs) and mutates them by type, EvalPlus
//! style: *boundary* mutants (empty and single-element containers, empty or
//! one-character strings, zero, one, negatives, parity flips, unequal lengths)
//! and *ordinary* mutants (reversed, shuffled, duplicated, longer inputs,
//! multi-digit numbers, scaled values), and adds *fresh* ordinary inputs:
//! three per task input, every argument drawn anew with the same types and
//! sizes (numbers of the same sign and magnitude other than 0 and 1, strings
//! of the same length and letters, containers of the same length): what a
//! careful reader tries beside the tests. The reference runs on every input in
//! the sandbox (inputs on which it raises are outside the task's domain and are
//! dropped), then the candidate runs on the rest, and the two are compared.
//! The reference's answers are cached under `<cache dir>/semantic/` (keyed by
//! reference, inputs, limits, Python and hash seed), so classifying other
//! programs of the same tasks runs only the candidates; delete the folder to
//! recompute them.
//!
//! **Which failures get a semantic category** ([`semantic_scope`], the rules
//! in one place). A semantic category says how the program's *behaviour on
//! the task* differs from the reference's: wrong values, or exceptions on
//! some inputs only. Failures unrelated to the task's logic keep only their
//! execution category, and `semantic_skip` says why:
//! `syntax` (it does not parse), `no_code`, `truncated` (cut off by the
//! token limit), `undefined_name` (`NameError`, `UnboundLocalError`),
//! `import` (a missing module), `signature` (a `TypeError` about the entry
//! point's own arguments: the program's signature does not match the
//! tests), `timeout` / `memory` (a limit ran out on the task's tests),
//! `tampering`, `protocol`; and after the differential run
//! `timeout_everywhere` (it timed out on every input) and
//! `same_failure_everywhere` (it failed every input the same way: one
//! exception type, or one and the same wrong output). Rows that cannot be
//! compared at all: `no_reference` (no reference solution or entry point),
//! `stdin` (stdin/stdout tasks), `unknown_task`.
//!
//! Rules, in order, for the rest (S = the task's own inputs, B = boundary,
//! O = ordinary):
//! 1. no disagreement anywhere (or no input both ran): `no_evidence`: the
//!    inputs did not reproduce the failure;
//! 2. `edge_case`: the candidate agrees on every ordinary input (mutant or
//!    fresh) made from the task inputs it gets right (at least two ran), and
//!    the reference's answers on the S and O inputs it agrees on are not all
//!    one value: it fails on boundary inputs or on particular inputs of its
//!    own tests, not on inputs like the ones it handles. (A program right only where the
//!    answer is `False` or `'Not matched!'` agrees where a constant would:
//!    that shows nothing about the task, so it is not an edge case.)
//! 3. `math`: among the S and O inputs whose reference answer is a number
//!    (at least three, and at least half of the S and O inputs), it
//!    answers another number (or raises) on at least 80%: a wrong formula
//!    is wrong almost everywhere. Boundary values, where formulas tend to
//!    coincide (0 -> 0), do not count; nor do inputs the reference answers
//!    with a message (`'Invalid Input'`), which say nothing about the
//!    formula; a list or a string where a number belongs is another thing,
//!    not a wrong formula;
//! 4. `generalization`: it agrees on some S and O inputs and disagrees on
//!    others (it fits some examples, not the task);
//! 5. otherwise `inconclusive`: it disagrees, but not in a way these rules
//!    decide.
//!
//! Outputs compare with Python's `==`, as the tasks' asserts do (a tuple is
//! not a list). The evidence kept is the smallest disagreeing input, the
//! mutation that made it, the reference's output and the candidate's.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use serde_json::{Value, json};

use crate::data::{Problem, RunResult, TestKind};
use crate::error::Result;
use crate::exec::{RunConfig, run_jobs, run_jobs_longest_first};

/// One input of the differential test.
#[derive(Clone, Debug)]
struct Input {
    args: String,
    kind: String,
    mutation: String,
    repr: String,
    seed: i64,
}

/// The verdict for one failed generation.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SemanticVerdict {
    /// `edge_case`, `generalization`, `math`, `no_evidence` or
    /// `inconclusive`; empty when the row is out of scope (`skip`).
    pub category: String,
    /// Why the failure gets no semantic category (see the module docs), or
    /// `None` when it was analysed.
    #[serde(default)]
    pub skip: Option<String>,
    /// Inputs both ran on.
    pub n_inputs: usize,
    /// Inputs and disagreements by kind.
    pub counts: Counts,
    /// The smallest disagreeing input (a Python repr).
    pub evidence_input: Option<String>,
    /// How that input was made.
    pub evidence_mutation: Option<String>,
    /// The reference's output on it.
    pub evidence_expected: Option<String>,
    /// The candidate's output (or exception) on it.
    pub evidence_actual: Option<String>,
}

/// Inputs run and disagreements, per kind of input: `(ran, disagreed)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// The task's own inputs.
    pub seeds: (usize, usize),
    /// Boundary mutants.
    pub boundary: (usize, usize),
    /// Ordinary mutants.
    pub ordinary: (usize, usize),
    /// Ordinary mutants of the task inputs the candidate gets right.
    pub ordinary_of_right: (usize, usize),
    /// The task's own inputs and ordinary mutants whose reference answer is
    /// a number; disagreed: the candidate answered another number or raised
    /// (a list or a string in the number's place does not count).
    pub numeric: (usize, usize),
    /// Distinct reference answers among the task's own inputs and ordinary
    /// mutants the candidate agrees on, counted up to 2 (1: it agrees only
    /// where a constant would).
    pub agreed_answers: usize,
}

/// Decide the category from the counts (the rules in the module docs).
///
/// ```
/// use codefail::classify::{decide_semantic, Counts};
/// // Wrong on a failing test and on boundaries, right on the ordinary
/// // variants of the tests it passes (whose answers vary): an edge case.
/// let c = Counts { seeds: (3, 1), boundary: (8, 3), ordinary: (10, 2), ordinary_of_right: (6, 0),
///     numeric: (13, 3), agreed_answers: 2 };
/// assert_eq!(decide_semantic(&c), "edge_case");
/// // The same, but every input it agrees on has one answer (`False`): a
/// // constant would agree there too, so it fits the examples, not the task.
/// let c = Counts { agreed_answers: 1, numeric: (0, 0), ..c };
/// assert_eq!(decide_semantic(&c), "generalization");
/// // Wrong almost everywhere with numeric answers: math.
/// let c = Counts { seeds: (3, 3), boundary: (8, 6), ordinary: (10, 10), ordinary_of_right: (0, 0),
///     numeric: (13, 13), agreed_answers: 0 };
/// assert_eq!(decide_semantic(&c), "math");
/// // Right on some inputs, wrong on ordinary ones: generalization.
/// let c = Counts { seeds: (3, 1), boundary: (8, 1), ordinary: (10, 4), ordinary_of_right: (6, 2),
///     numeric: (0, 0), agreed_answers: 2 };
/// assert_eq!(decide_semantic(&c), "generalization");
/// assert_eq!(decide_semantic(&Counts { seeds: (3, 0), ..Default::default() }), "no_evidence");
/// ```
pub fn decide_semantic(c: &Counts) -> &'static str {
    let d_all = c.seeds.1 + c.boundary.1 + c.ordinary.1;
    let t_all = c.seeds.0 + c.boundary.0 + c.ordinary.0;
    if d_all == 0 || t_all == 0 {
        return "no_evidence";
    }
    // Disagreements on the task's own inputs and ordinary mutants.
    let (t_ord, d_ord) = (c.seeds.0 + c.ordinary.0, c.seeds.1 + c.ordinary.1);
    if c.ordinary_of_right.1 == 0 && c.ordinary_of_right.0 >= 2 && c.agreed_answers >= 2 {
        return "edge_case";
    }
    // A wrong formula is wrong on almost every ordinary input whose answer
    // is a number; boundary values (0, 1, empty) are where formulas tend to
    // coincide, so they do not count here.
    let (t_num, d_num) = c.numeric;
    if t_num >= 3 && 2 * t_num >= t_ord && d_num as f64 >= 0.8 * t_num as f64 {
        return "math";
    }
    // Right on some of the task's and ordinary inputs, wrong on others.
    if t_ord > d_ord && d_ord >= 1 {
        return "generalization";
    }
    "inconclusive"
}

/// Whether a results row is in the semantic analysis's scope (`Ok`), or
/// why not (the `semantic_skip` reasons of the module docs that can be told
/// before running anything). Passing rows are `Err("passed")`.
///
/// ```
/// use codefail::classify::semantic_scope;
/// use codefail::data::RunResult;
/// let r = |t: &str, m: &str| RunResult { status: "error".into(), first_error_type: Some(t.into()),
///     first_error_message: Some(m.into()), ..Default::default() };
/// assert_eq!(semantic_scope(&r("NameError", "name 'math' is not defined"), Some("f")), Err("undefined_name"));
/// assert_eq!(semantic_scope(&r("TypeError", "f() takes 2 positional arguments but 3 were given"), Some("f")), Err("signature"));
/// // A TypeError inside the program's own logic is in scope.
/// assert_eq!(semantic_scope(&r("TypeError", "unsupported operand type(s) for +: 'int' and 'str'"), Some("f")), Ok(()));
/// assert_eq!(semantic_scope(&r("IndexError", "list index out of range"), Some("f")), Ok(()));
/// ```
pub fn semantic_scope(
    r: &RunResult,
    entry_point: Option<&str>,
) -> std::result::Result<(), &'static str> {
    if r.passed {
        return Err("passed");
    }
    if !r.tamper.is_empty() {
        return Err("tampering");
    }
    if super::is_truncated(r) {
        return Err("truncated");
    }
    match r.status.as_str() {
        "failed" | "error" => {}
        "no_code" => return Err("no_code"),
        "timeout" => return Err("timeout"),
        "memory" => return Err("memory"),
        _ => return Err("not_run"),
    }
    match r.first_error_type.as_deref() {
        Some("SyntaxError" | "IndentationError" | "TabError") => Err("syntax"),
        Some("ProtocolViolation") => Err("protocol"),
        Some("NameError" | "UnboundLocalError") => Err("undefined_name"),
        Some("ImportError" | "ModuleNotFoundError") => Err("import"),
        Some("Timeout") => Err("timeout"),
        Some("MemoryError") => Err("memory"),
        Some("TypeError")
            if is_signature_error(r.first_error_message.as_deref().unwrap_or(""), entry_point) =>
        {
            Err("signature")
        }
        _ => Ok(()),
    }
}

/// A `TypeError` about how the entry point itself is called: too many or
/// too few arguments, an unexpected keyword (Python names the function:
/// `f() takes 2 positional arguments but 3 were given`).
pub(crate) fn is_signature_error(message: &str, entry_point: Option<&str>) -> bool {
    const ARITY: [&str; 6] = [
        "positional argument",
        "required positional",
        "required keyword-only",
        "unexpected keyword argument",
        "takes no arguments",
        "multiple values for argument",
    ];
    let Some(name) = entry_point else {
        return false;
    };
    let head = format!("{name}()");
    let tail = message.rsplit('.').next().unwrap_or(message);
    (message.starts_with(&head) || tail.starts_with(&head))
        && ARITY.iter().any(|a| message.contains(a))
}

/// A verdict that gives no semantic category, for `why`.
fn skipped(why: &str) -> SemanticVerdict {
    SemanticVerdict {
        skip: Some(why.to_string()),
        ..Default::default()
    }
}

/// `timeout_everywhere` or `same_failure_everywhere` when the candidate
/// failed every input the same way (every input timed out; or raised one
/// exception type; or gave one and the same wrong output), else `None`.
fn same_everywhere(tests: &[&Value]) -> Option<&'static str> {
    if tests.is_empty() || tests.iter().any(|t| t["passed"] == true) {
        return None;
    }
    let status = |t: &Value| t["status"].as_str().unwrap_or("").to_string();
    if tests.iter().all(|t| status(t) == "timeout") {
        return Some("timeout_everywhere");
    }
    // Object reprs differ only by address (`<generator object f at 0x7f..>`).
    static ADDRESS: std::sync::LazyLock<Option<regex::Regex>> =
        std::sync::LazyLock::new(|| regex::Regex::new(r" at 0x[0-9a-fA-F]+").ok());
    let address = &*ADDRESS;
    let how = |t: &Value| match status(t).as_str() {
        "failed" => {
            let out = t["output"].as_str().unwrap_or("");
            let out = match &address {
                Some(re) => re.replace_all(out, "").into_owned(),
                None => out.to_string(),
            };
            format!("output {out}")
        }
        s => format!("{s} {}", t["error_type"].as_str().unwrap_or("")),
    };
    let first = how(tests[0]);
    (tests.len() >= 2 && tests.iter().all(|t| how(t) == first)).then_some("same_failure_everywhere")
}

/// `constant_output` when the candidate answered one and the same value on
/// every input, boundary values included (right only where the reference's
/// answer happens to be that value): its answer does not depend on the
/// input, so it says nothing about how the program reads the task. Needs
/// the answers on passing inputs too (the `python` comparison reports them).
fn constant_output(tests: &[&Value]) -> Option<&'static str> {
    fn answer(t: &Value) -> Option<&str> {
        matches!(t["status"].as_str(), Some("passed" | "failed"))
            .then(|| t["output"].as_str())
            .flatten()
    }
    let first = answer(tests.first()?)?;
    (tests.len() >= 3 && tests.iter().all(|t| answer(t) == Some(first)))
        .then_some("constant_output")
}

/// Whether a Python repr is a number (`3`, `-2.5`, `1e-07`, `inf`, a
/// complex `(1.5+2j)`); a list, a string, a bool or `None` is another kind
/// of answer.
fn is_number_repr(r: Option<&str>) -> bool {
    // Rust's float syntax covers Python's int and float reprs, `inf`, `nan`.
    let real = |r: &str| r.parse::<f64>().is_ok();
    r.is_some_and(|r| {
        let r = r.trim();
        let inner = r
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .unwrap_or(r);
        let complex = inner.strip_suffix('j').is_some_and(|z| {
            real(z)
                || z.char_indices()
                    .skip(1)
                    .filter(|&(i, c)| (c == '+' || c == '-') && !z[..i].ends_with(['e', 'E']))
                    .any(|(i, _)| real(&z[..i]) && real(&z[i..]))
        });
        real(r) || complex
    })
}

fn is_number(v: &Value) -> bool {
    v.is_number() || v.get("$float").is_some() || v.get("$int").is_some()
}

/// Cache key of a reference's answers: the reference, its setup and entry
/// point, the inputs, the limits, the Python and the hash seed.
fn reference_key(p: &Problem, inputs: &[Input], limits: &Value, cfg: &RunConfig) -> String {
    let mut h = crate::store::Digest::new();
    h.field("codefail-semantic-reference-v1"); // bump when the answers' encoding changes
    for part in [
        p.reference.as_deref().unwrap_or(""),
        p.setup_code.as_str(),
        p.entry_point.as_deref().unwrap_or(""),
        &limits.to_string(),
        // Set and dict order in the answers follow the hash seed.
        &format!("{} {}", cfg.python, cfg.hash_seed),
    ] {
        h.field(part);
    }
    for i in inputs {
        h.field(&i.args);
    }
    h.hex()[..32].to_string()
}

/// Run the differential tests for the failed rows of `results`; one verdict
/// per row, `None` for rows that passed or cannot be analysed (no reference,
/// no entry point, no code, stdin tasks, syntax errors, timeouts).
pub(crate) fn semantic_verdicts(
    problems: &[Problem],
    results: &[RunResult],
    cfg: &RunConfig,
    max_inputs: usize,
) -> Result<Vec<Option<SemanticVerdict>>> {
    let by_id: HashMap<&str, &Problem> = problems.iter().map(|p| (p.task_id.as_str(), p)).collect();
    // Which rows to analyse.
    let mut todo: Vec<(usize, &Problem, &str)> = Vec::new();
    let mut out: Vec<Option<SemanticVerdict>> = vec![None; results.len()];
    for (i, r) in results.iter().enumerate() {
        if r.passed {
            continue;
        }
        let Some(p) = by_id.get(r.task_id.as_str()) else {
            out[i] = Some(skipped("unknown_task"));
            continue;
        };
        let reason = if p.tests.iter().any(|t| t.kind == TestKind::Stdin) {
            Err("stdin")
        } else if p.reference.is_none() || p.entry_point.is_none() {
            Err("no_reference")
        } else {
            semantic_scope(r, p.entry_point.as_deref())
                .and_then(|()| r.code.as_deref().ok_or("no_code"))
        };
        match reason {
            Ok(code) => todo.push((i, p, code)),
            Err(why) => out[i] = Some(skipped(why)),
        }
    }
    if todo.is_empty() {
        return Ok(out);
    }
    let pool = cfg.pool();
    // Mutants can be much larger than the tests (multi-digit numbers, longer
    // lists): a short limit per input and a budget per program keep a slow
    // candidate from holding the analysis up.
    let limits = RunConfig {
        timeout: 2.0,
        load_timeout: 10.0,
        program_timeout: 30.0,
        output_bytes: 4096,
        ..cfg.clone()
    }
    .limits();

    // 1. Inputs per task.
    let mut tasks: Vec<&Problem> = Vec::new();
    for (_, p, _) in &todo {
        if !tasks.iter().any(|t| t.task_id == p.task_id) {
            tasks.push(p);
        }
    }
    let mutate_jobs: Vec<Value> = tasks
        .iter()
        .map(|p| {
            let asserts: Vec<&str> = p.tests.iter().filter(|t| t.kind == TestKind::Assert && t.group != "challenge").filter_map(|t| t.code.as_deref()).collect();
            let inputs: Vec<&str> = p.tests.iter().filter(|t| t.kind == TestKind::Call && t.group == "base").filter_map(|t| t.input.as_deref()).collect();
            json!({"op": "mutate", "task_id": p.task_id, "entry_point": p.entry_point, "asserts": asserts,
                   "inputs": inputs, "evalplus": p.dataset == "mbppplus", "max": max_inputs})
        })
        .collect();
    let mut inputs: Vec<Vec<Input>> = vec![Vec::new(); tasks.len()];
    let t_step = std::time::Instant::now();
    let n_mutate = mutate_jobs.len();
    run_jobs(&pool, mutate_jobs, |j, a, _| {
        inputs[j] = a
            .get("inputs")
            .and_then(Value::as_array)
            .map(|xs| {
                xs.iter()
                    .map(|x| Input {
                        args: x["args"].as_str().unwrap_or("[]").to_string(),
                        kind: x["kind"].as_str().unwrap_or("ordinary").to_string(),
                        mutation: x["mutation"].as_str().unwrap_or("").to_string(),
                        repr: x["repr"].as_str().unwrap_or("").to_string(),
                        seed: x["seed"].as_i64().unwrap_or(-1),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(())
    })?;
    tracing::debug!(
        "semantic: inputs for {n_mutate} tasks in {:.1}s",
        t_step.elapsed().as_secs_f64()
    );
    let t_step = std::time::Instant::now();
    // 2. The reference on every input; keep those it answers. The answers
    // depend only on the reference, the inputs and the limits, so they are
    // cached like MBPP+'s expected outputs (`<cache>/semantic/<key>.json`):
    // classifying other programs of the same tasks runs no reference again.
    let cache = crate::data::cache_dir().join("semantic");
    let keys: Vec<String> = tasks
        .iter()
        .zip(&inputs)
        .map(|(p, ins)| reference_key(p, ins, &limits, cfg))
        .collect();
    let mut expected: Vec<Vec<Option<String>>> = vec![Vec::new(); tasks.len()];
    let mut todo_ref: Vec<usize> = Vec::new();
    for (j, key) in keys.iter().enumerate() {
        let cached = std::fs::read(cache.join(format!("{key}.json")))
            .ok()
            .and_then(|b| serde_json::from_slice::<Vec<Option<String>>>(&b).ok())
            .filter(|e| e.len() == inputs[j].len());
        match cached {
            Some(e) => expected[j] = e,
            None => todo_ref.push(j),
        }
    }
    let ref_jobs: Vec<Value> = todo_ref
        .iter()
        .map(|&j| {
            let (p, ins) = (tasks[j], &inputs[j]);
            let tests: Vec<Value> = ins.iter().map(|i| json!({"kind": "call", "input": i.args})).collect();
            json!({"id": j, "task_id": p.task_id, "program": p.reference, "setup": p.setup_code, "entry_point": p.entry_point,
                   "mode": "functional", "compare": "equal", "want_values": true, "tagged_inputs": true,
                   "tests": tests, "limits": limits})
        })
        .collect();
    if !ref_jobs.is_empty() {
        // Best effort: without a writable cache the answers are only not kept.
        let _ = std::fs::create_dir_all(&cache);
    }
    let costs: Vec<f64> = todo_ref.iter().map(|&j| inputs[j].len() as f64).collect();
    run_jobs_longest_first(&pool, ref_jobs, &costs, |k, a, _| {
        let j = todo_ref[k];
        // A job that failed as a whole (`fatal`) answers nothing and is not cached.
        let answered = a.get("tests").and_then(Value::as_array);
        expected[j] = answered
            .map(|ts| {
                ts.iter()
                    .map(|t| {
                        (t["passed"] == true)
                            .then(|| t["output"].as_str().unwrap_or("null").to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        if answered.is_some() && expected[j].len() == inputs[j].len() {
            if let Ok(bytes) = serde_json::to_vec(&expected[j]) {
                let _ =
                    crate::store::write_atomic(&cache.join(format!("{}.json", keys[j])), &bytes);
            }
        }
        Ok(())
    })?;
    tracing::debug!(
        "semantic: reference on {} inputs in {:.1}s",
        inputs.iter().map(Vec::len).sum::<usize>(),
        t_step.elapsed().as_secs_f64()
    );
    let t_step = std::time::Instant::now();
    let task_index: HashMap<&str, usize> = tasks
        .iter()
        .enumerate()
        .map(|(j, p)| (p.task_id.as_str(), j))
        .collect();
    // 3. The candidate on the inputs the reference answered.
    let mut valid: Vec<Vec<usize>> = Vec::new();
    let cand_jobs: Vec<Value> = todo
        .iter()
        .enumerate()
        .map(|(k, (_, p, code))| {
            let j = task_index[p.task_id.as_str()];
            let keep: Vec<usize> = (0..inputs[j].len()).filter(|&i| expected[j].get(i).is_some_and(Option::is_some)).collect();
            let tests: Vec<Value> = keep
                .iter()
                .map(|&i| json!({"kind": "call", "input": inputs[j][i].args, "expected": expected[j][i]}))
                .collect();
            valid.push(keep);
            json!({"id": k, "task_id": p.task_id, "program": code, "setup": p.setup_code, "entry_point": p.entry_point,
                   "mode": "functional", "compare": "python", "tagged_inputs": true, "atol": p.atol,
                   "tests": tests, "limits": limits})
        })
        .collect();
    let mut answers: Vec<Value> = vec![Value::Null; todo.len()];
    let mut slowest: Vec<(f64, String)> = Vec::new();
    let debug = tracing::enabled!(tracing::Level::DEBUG);
    run_jobs(&pool, cand_jobs, |k, a, _| {
        if let Some(ms) = a.get("wall_ms").and_then(Value::as_f64).filter(|_| debug) {
            slowest.push((ms / 1000.0, todo[k].1.task_id.clone()));
        }
        answers[k] = a;
        Ok(())
    })?;
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    tracing::debug!(
        "semantic: {} candidates in {:.1}s; slowest {:?}",
        todo.len(),
        t_step.elapsed().as_secs_f64(),
        &slowest[..slowest.len().min(8)]
    );
    // 4. Decide.
    for (k, (row, p, _)) in todo.iter().enumerate() {
        let j = task_index[p.task_id.as_str()];
        let Some(tests) = answers[k].get("tests").and_then(Value::as_array) else {
            continue;
        };
        // Which of the task's own inputs the candidate gets right.
        let mut seed_right: BTreeMap<i64, bool> = BTreeMap::new();
        for (t, &i) in tests.iter().zip(&valid[k]) {
            if inputs[j][i].kind == "seed" {
                seed_right.insert(inputs[j][i].seed, t["passed"] == true);
            }
        }
        // Out of scope after all: the same failure on every ordinary input
        // (the task's own and their ordinary mutants; boundary values such
        // as an empty list may fail differently or not at all).
        let ordinary: Vec<&Value> = tests
            .iter()
            .zip(&valid[k])
            .filter(|(_, i)| inputs[j][**i].kind != "boundary")
            .map(|(t, _)| t)
            .collect();
        let constant = || constant_output(&tests.iter().collect::<Vec<_>>());
        if let Some(why) = same_everywhere(&ordinary).or_else(constant) {
            out[*row] = Some(skipped(why));
            continue;
        }
        let mut c = Counts::default();
        let mut best: Option<(usize, &Input, &Value)> = None;
        // The reference's answers where the candidate agrees (S and O).
        let mut agreed: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for (t, &i) in tests.iter().zip(&valid[k]) {
            let inp = &inputs[j][i];
            let wrong = t["passed"] != true;
            let bump = |e: &mut (usize, usize)| {
                e.0 += 1;
                e.1 += usize::from(wrong);
            };
            match inp.kind.as_str() {
                "seed" => bump(&mut c.seeds),
                "boundary" => bump(&mut c.boundary),
                _ => {
                    bump(&mut c.ordinary);
                    if seed_right.get(&inp.seed).copied().unwrap_or(false) {
                        bump(&mut c.ordinary_of_right);
                    }
                }
            }
            if inp.kind != "boundary" {
                let answer = expected[j][i].as_deref();
                if answer
                    .and_then(|x| serde_json::from_str::<Value>(x).ok())
                    .is_some_and(|v| is_number(&v))
                {
                    // A wrong number or an exception; a list, a string or
                    // a set in the number's place is another thing, not a
                    // wrong formula.
                    let other_value =
                        t["status"] == "failed" && !is_number_repr(t["output"].as_str());
                    c.numeric.0 += 1;
                    c.numeric.1 += usize::from(wrong && !other_value);
                }
                if let (false, Some(a)) = (wrong, answer) {
                    agreed.insert(a);
                }
            }
            if wrong && best.is_none_or(|(len, _, _)| inp.args.len() < len) {
                best = Some((inp.args.len(), inp, t));
            }
        }
        c.agreed_answers = agreed.len().min(2);
        let n = c.seeds.0 + c.boundary.0 + c.ordinary.0;
        let cat = decide_semantic(&c);
        let mut v = SemanticVerdict {
            category: cat.to_string(),
            n_inputs: n,
            counts: c,
            ..Default::default()
        };
        if let Some((_, inp, t)) = best {
            v.evidence_input = Some(inp.repr.clone());
            v.evidence_mutation = Some(inp.mutation.clone());
            v.evidence_expected = t["expected"]
                .as_str()
                .map(str::to_string)
                .or_else(|| expected[j].first().cloned().flatten());
            v.evidence_actual = match t["status"].as_str() {
                Some("failed") => t["output"].as_str().map(str::to_string),
                _ => Some(format!(
                    "{}: {}",
                    t["error_type"].as_str().unwrap_or("error"),
                    t["message"].as_str().unwrap_or("")
                )),
            };
        }
        out[*row] = Some(v);
    }
    Ok(out)
}

/// The verdicts as frame columns (appended to a classified results frame).
pub(crate) fn semantic_columns(verdicts: &[Option<SemanticVerdict>]) -> Vec<Column> {
    let s = |f: &dyn Fn(&SemanticVerdict) -> Option<String>| -> Vec<Option<String>> {
        verdicts.iter().map(|v| v.as_ref().and_then(f)).collect()
    };
    let i = |f: &dyn Fn(&SemanticVerdict) -> usize| -> Vec<Option<i64>> {
        verdicts
            .iter()
            .map(|v| v.as_ref().map(|v| f(v) as i64))
            .collect()
    };
    vec![
        Column::new(
            "semantic".into(),
            s(&|v| v.skip.is_none().then(|| v.category.clone())),
        ),
        Column::new("semantic_skip".into(), s(&|v| v.skip.clone())),
        Column::new("semantic_inputs".into(), i(&|v| v.n_inputs)),
        Column::new(
            "semantic_disagree".into(),
            i(&|v| v.counts.seeds.1 + v.counts.boundary.1 + v.counts.ordinary.1),
        ),
        Column::new(
            "semantic_disagree_boundary".into(),
            i(&|v| v.counts.boundary.1),
        ),
        Column::new(
            "semantic_disagree_ordinary".into(),
            i(&|v| v.counts.ordinary.1),
        ),
        Column::new("evidence_input".into(), s(&|v| v.evidence_input.clone())),
        Column::new(
            "evidence_mutation".into(),
            s(&|v| v.evidence_mutation.clone()),
        ),
        Column::new(
            "evidence_expected".into(),
            s(&|v| v.evidence_expected.clone()),
        ),
        Column::new("evidence_actual".into(), s(&|v| v.evidence_actual.clone())),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_reprs() {
        for r in [
            "3",
            "-2.5",
            "1e-07",
            "inf",
            "nan",
            "(1.5+2j)",
            "(-1-0.5j)",
            "2j",
            "(1e-05+3j)",
        ] {
            assert!(is_number_repr(Some(r)), "{r}");
        }
        for r in [
            "True", "None", "'3'", "[1, 2]", "(1, 2)", "{1}", "", "(1+)", "j",
        ] {
            assert!(!is_number_repr(Some(r)), "{r}");
        }
        assert!(!is_number_repr(None));
    }

    #[test]
    fn one_answer_everywhere_is_constant_output() {
        let t = |status: &str, out: &str| json!({"status": status, "output": out});
        let (a, b, c) = (
            t("passed", "False"),
            t("failed", "False"),
            t("passed", "False"),
        );
        assert_eq!(constant_output(&[&a, &b, &c]), Some("constant_output"));
        // Another answer anywhere, an exception, or too few inputs: not constant.
        let d = t("passed", "True");
        assert_eq!(constant_output(&[&a, &b, &d]), None);
        let e = json!({"status": "error", "output": null, "error_type": "IndexError"});
        assert_eq!(constant_output(&[&a, &b, &e]), None);
        assert_eq!(constant_output(&[&a, &b]), None);
    }
}

//! Multi-turn repair with execution feedback (the code-generation
//! framework's loop): generate, run the tests, show the model what failed on
//! the public tests (the test, error type, message, trimmed traceback,
//! expected vs actual), let it answer again; up to `max_turns` answers per
//! problem, stopping at the first success.
//!
//! Success is "every public test passes", or with
//! [`RepairConfig::should_pass_private`] "every test passes" (the private
//! tests are never shown: when only they fail, the feedback says so without
//! quoting them). Problems of one turn are answered together (batched
//! prompts). Nothing local is retried: a local model and the test runs are
//! deterministic, so a second try gives the same error; a
//! [`repair_with`] responder that calls a remote service can ask for
//! retries with exponential backoff ([`RepairConfig::retries`]). A problem
//! whose calls fail keeps its last answer and the error, so nothing already
//! computed is lost.
//!
//! Output frames:
//!
//! | frame | one row per | columns |
//! |---|---|---|
//! | `generations` | problem | the generations schema; `gen_metadata` holds `turns`, `success`, `passed_public`, `passed_all`, `full_message_history`, the time profile and any `error` |
//! | `turns` | problem x answer | `task_id`, `turn`, `code`, `passed_public`, `passed_all`, `n_tests`, `n_passed`, `status`, `first_error_type`, `feedback` (what the next user turn said; null after the last), `model_s`, `exec_s` |
//! | `profile` | problem | `task_id`, `turns`, `success`, `model_s`, `exec_s`, `io_s`, `model_pct`, `exec_pct`, `io_pct` |
//!
//! Times are wall-clock seconds of the model calls, of running the tests and
//! of writing output, each batch's time shared equally by its problems.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use polars::prelude::*;
use serde_json::json;

use crate::data::{
    Generation, Problem, RunResult, extract_code, generations_frame, problems_from_frame,
};
use crate::exec::{RunConfig, run};
use crate::sample::{
    Message, Model, PromptInput, PromptJob, Sampling, generate_batch, prompt_for, system_prompt,
};
use crate::{Error, Result};

/// Settings of a repair run.
#[derive(Clone, Debug)]
pub struct RepairConfig {
    /// Prompt id of the first turn (a chat prompt, e.g. `mbpp-instruct`).
    pub prompt: String,
    /// System prompt id.
    pub system: String,
    /// Answers per problem at most (the first included).
    pub max_turns: usize,
    /// Token choice (the seed key of turn t of task T is `T#t`).
    pub sampling: Sampling,
    /// Success needs the private tests too (never shown to the model).
    pub should_pass_private: bool,
    /// Retries of a failing responder call in [`repair_with`] (default 0),
    /// for responders that call a remote service. [`repair`]'s local model
    /// is deterministic and never retried; test runs are never retried.
    pub retries: usize,
    /// First backoff; doubles at each retry.
    pub backoff: Duration,
    /// Problems answered together in one model call.
    pub batch_size: usize,
    /// Failing public tests quoted in one feedback turn.
    pub max_feedback_tests: usize,
    /// How the tests run.
    pub run: RunConfig,
    /// Append each finished problem to this `GenerationResult` JSON Lines
    /// file. A checkpoint beside it (`<out>.checkpoint.jsonl`: each finished
    /// problem's answer, turns and times, fsync'd; kept with the output)
    /// makes a rerun resume:
    /// problems already finished are not asked again, and their rows come
    /// back in the frames.
    pub out: Option<std::path::PathBuf>,
    /// Show progress (problems finished) with rate and ETA.
    pub progress: bool,
}

impl Default for RepairConfig {
    fn default() -> Self {
        RepairConfig {
            prompt: "mbpp-instruct".into(),
            system: "none".into(),
            max_turns: 3,
            sampling: Sampling::default(),
            should_pass_private: false,
            retries: 0,
            backoff: Duration::from_millis(200),
            batch_size: 4,
            max_feedback_tests: 3,
            run: RunConfig::default(),
            out: None,
            progress: false,
        }
    }
}

/// What [`repair`] gives (see the module table).
#[derive(Clone, Debug)]
pub struct Repaired {
    /// One row per problem: the last answer.
    pub generations: DataFrame,
    /// One row per answer.
    pub turns: DataFrame,
    /// Time profile per problem.
    pub profile: DataFrame,
}

/// Call `f` until it succeeds, at most `1 + retries` times, sleeping
/// `backoff`, `2 backoff`, ... in between; the last error is returned.
///
/// ```
/// use std::time::Duration;
/// let mut calls = 0;
/// let r = codefail::methods::with_retries(2, Duration::from_millis(1), || {
///     calls += 1;
///     if calls < 3 { Err(codefail::Error::Invalid("busy".into())) } else { Ok(calls) }
/// });
/// assert_eq!(r.unwrap(), 3);
/// ```
pub fn with_retries<T>(
    retries: usize,
    backoff: Duration,
    mut f: impl FnMut() -> Result<T>,
) -> Result<T> {
    let mut wait = backoff;
    let mut attempt = 0;
    loop {
        match f() {
            Ok(v) => return Ok(v),
            Err(e) if attempt >= retries => return Err(e),
            Err(e) => {
                tracing::warn!("attempt {} failed ({e}); retrying in {wait:?}", attempt + 1);
                std::thread::sleep(wait);
                wait *= 2;
                attempt += 1;
            }
        }
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(n).collect::<String>())
    }
}

/// The user turn that reports `result` (a run of the last answer) to the
/// model: the failing public tests with error type, message, expected and
/// actual values, and the trimmed traceback of the first error. `None` when
/// there is nothing to report (success).
///
/// ```
/// use codefail::data::{Problem, RunResult, TestCase, TestType};
/// use codefail::methods::feedback_message;
/// let p = Problem { task_id: "t".into(), dataset: "mbpp".into(), split: "test".into(),
///     prompt: "add".into(), entry_point: Some("f".into()), test_type: TestType::Functional,
///     tests: vec![TestCase::assert("assert f(1) == 2")], setup_code: String::new(),
///     reference: None, atol: 0.0, metadata: "{}".into() };
/// let mut r: RunResult = serde_json::from_value(serde_json::json!({
///     "task_id": "t", "sample_idx": 0, "model": "m", "passed": false, "n_tests": 1, "n_passed": 0,
///     "status": "failed", "first_error_stage": "test 0", "first_error_type": "AssertionError",
///     "first_error_message": null, "first_error_line": null, "traceback": null, "stdout": "", "stderr": "",
///     "wall_ms": 1.0, "code": "def f(x): return x", "run_metadata": "{}",
///     "tests": [{"idx": 0, "group": "base", "public": true, "passed": false, "status": "failed",
///                "error_type": "AssertionError", "message": null, "line": null, "wall_ms": 1.0,
///                "output": "1", "expected": "2"}]})).unwrap();
/// let m = feedback_message(&p, &r, 3, false).unwrap();
/// assert!(m.contains("assert f(1) == 2") && m.contains("Expected: 2") && m.contains("Got: 1"));
/// r.passed = true;
/// assert!(feedback_message(&p, &r, 3, false).is_none());
/// ```
pub fn feedback_message(
    problem: &Problem,
    result: &RunResult,
    max_tests: usize,
    should_pass_private: bool,
) -> Option<String> {
    let public_ok = result.tests.iter().filter(|t| t.public).all(|t| t.passed);
    let load_failed = result
        .first_error_stage
        .as_deref()
        .is_some_and(|s| s == "load" || s == "setup");
    if result.passed || (public_ok && !load_failed && !should_pass_private) {
        return None;
    }
    let mut m = String::new();
    if result.status == "no_code" {
        m.push_str("I could not find any Python code in your answer.\n");
    } else if load_failed {
        m.push_str(&format!(
            "Your code failed before any test ran: {}{}{}\n",
            result.first_error_type.as_deref().unwrap_or("error"),
            result
                .first_error_message
                .as_deref()
                .map(|s| format!(": {}", clip(s, 300)))
                .unwrap_or_default(),
            result
                .first_error_line
                .map(|l| format!(" (line {l})"))
                .unwrap_or_default(),
        ));
        if let Some(tb) = &result.traceback {
            m.push_str(&format!("\n{}\n", clip(tb.trim_end(), 1200)));
        }
    } else if public_ok {
        m.push_str(
            "Your code passes the tests shown above but fails other tests of the same task: \
             think about edge cases and the general rule the task states.\n",
        );
    } else {
        let failing: Vec<_> = result
            .tests
            .iter()
            .filter(|t| t.public && !t.passed)
            .collect();
        let n_public = result.tests.iter().filter(|t| t.public).count();
        m.push_str(&format!(
            "Your code failed {} of the {} tests:\n",
            failing.len(),
            n_public
        ));
        for t in failing.iter().take(max_tests) {
            let test = problem.tests.get(t.idx as usize);
            let shown = test
                .and_then(|c| c.code.clone().or_else(|| c.input.clone()))
                .unwrap_or_else(|| format!("test {}", t.idx));
            m.push_str(&format!("\nTest: {}\n", clip(shown.trim(), 400)));
            match t.status.as_str() {
                "timeout" => m.push_str("Result: it timed out (too slow or an endless loop)\n"),
                "memory" => m.push_str("Result: it ran out of memory\n"),
                _ => {
                    if let Some(et) = &t.error_type {
                        m.push_str(&format!(
                            "Error: {et}{}\n",
                            t.message
                                .as_deref()
                                .filter(|s| !s.is_empty())
                                .map(|s| format!(": {}", clip(s, 300)))
                                .unwrap_or_default()
                        ));
                    }
                    if let Some(e) = &t.expected {
                        m.push_str(&format!("Expected: {}\n", clip(e, 300)));
                    }
                    if let Some(o) = &t.output {
                        // Assert tests report the candidate-side operands
                        // as `{index: repr}`; show just the values.
                        let shown = match serde_json::from_str::<serde_json::Value>(o) {
                            Ok(serde_json::Value::Object(vals)) => vals
                                .values()
                                .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
                                .collect::<Vec<_>>()
                                .join(", "),
                            _ => o.clone(),
                        };
                        m.push_str(&format!("Got: {}\n", clip(&shown, 300)));
                    }
                }
            }
        }
        if let Some(tb) = result
            .traceback
            .as_deref()
            .filter(|_| result.status == "error")
        {
            m.push_str(&format!(
                "\nTraceback of the first error:\n{}\n",
                clip(tb.trim_end(), 1200)
            ));
        }
    }
    m.push_str("\nPlease fix the code. Answer with the complete corrected program in one ```python code block.");
    Some(m)
}

/// Whether an answer's run counts as a success.
fn succeeded(r: &RunResult, should_pass_private: bool) -> bool {
    if should_pass_private {
        r.passed
    } else {
        r.status != "no_code"
            && !r
                .first_error_stage
                .as_deref()
                .is_some_and(|s| s == "load" || s == "setup")
            && r.tests.iter().filter(|t| t.public).all(|t| t.passed)
    }
}

/// State of one problem across turns.
struct Conversation {
    messages: Vec<Message>,
    turns: Vec<TurnRow>,
    done: bool,
    success: bool,
    error: Option<String>,
    model_s: f64,
    exec_s: f64,
    io_s: f64,
    last: Option<(Generation, RunResult)>,
    /// The final answer of a problem finished by an earlier, interrupted run.
    resumed: Option<Generation>,
}

/// A finished problem in the repair checkpoint.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Finished {
    generation: Generation,
    turns: Vec<TurnRow>,
    success: bool,
    model_s: f64,
    exec_s: f64,
    io_s: f64,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct TurnRow {
    turn: usize,
    code: Option<String>,
    passed_public: bool,
    passed_all: bool,
    n_tests: i64,
    n_passed: i64,
    status: String,
    first_error_type: Option<String>,
    feedback: Option<String>,
    model_s: f64,
    exec_s: f64,
}

/// [`repair`] with any responder: `respond(conversations, turn)` answers
/// each conversation (same order) and is the only place a model is called.
/// Tests use a scripted responder; [`repair`] passes the local model.
///
/// ```no_run
/// # let problems = codefail::data::problems_frame(&[]).unwrap();
/// let out = codefail::methods::repair_with(&problems, &Default::default(), "echo", |convs, _turn| {
///     Ok(convs.iter().map(|_| "```python\ndef f(x):\n    return x\n```".to_string()).collect())
/// })?;
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn repair_with(
    problems: &DataFrame,
    cfg: &RepairConfig,
    model_name: &str,
    mut respond: impl FnMut(&[(&str, &[Message])], usize) -> Result<Vec<String>>,
) -> Result<Repaired> {
    if cfg.max_turns == 0 {
        return Err(Error::Invalid("max_turns must be at least 1".into()));
    }
    let mut problems = problems_from_frame(problems)?;
    let system = system_prompt(&cfg.system)?;
    let mut convs: Vec<Conversation> = Vec::with_capacity(problems.len());
    for p in &problems {
        let messages = match prompt_for(p, &cfg.prompt, system.as_deref())? {
            PromptInput::Chat(m) => m,
            PromptInput::Completion(_) => {
                return Err(Error::Invalid(format!(
                    "repair needs a chat prompt; `{}` is a completion prompt",
                    cfg.prompt
                )));
            }
        };
        convs.push(Conversation {
            messages,
            turns: vec![],
            done: false,
            success: false,
            error: None,
            model_s: 0.0,
            exec_s: 0.0,
            io_s: 0.0,
            last: None,
            resumed: None,
        });
    }
    let mut out_file = match &cfg.out {
        Some(path) => Some(resume(path, &problems, &mut convs)?),
        None => None,
    };
    let n_done = convs.iter().filter(|c| c.done).count() as u64;
    let bar = crate::scale::Progress::new(
        "repair",
        "problems",
        convs.len() as u64 - n_done,
        cfg.progress,
    );
    for turn in 1..=cfg.max_turns {
        let active: Vec<usize> = (0..convs.len()).filter(|&i| !convs[i].done).collect();
        if active.is_empty() {
            break;
        }
        for chunk in active.chunks(cfg.batch_size.max(1)) {
            // Model.
            let t0 = Instant::now();
            let asked: Vec<(&str, &[Message])> = chunk
                .iter()
                .map(|&i| (problems[i].task_id.as_str(), convs[i].messages.as_slice()))
                .collect();
            let answers = with_retries(cfg.retries, cfg.backoff, || {
                let a = respond(&asked, turn)?;
                if a.len() != asked.len() {
                    return Err(Error::Invalid(format!(
                        "the responder gave {} answers for {} conversations",
                        a.len(),
                        asked.len()
                    )));
                }
                Ok(a)
            });
            let model_share = t0.elapsed().as_secs_f64() / chunk.len() as f64;
            let answers = match answers {
                Ok(a) => a,
                Err(e) => {
                    for &i in chunk {
                        let c = &mut convs[i];
                        c.model_s += model_share;
                        c.error = Some(format!("model call failed at turn {turn}: {e}"));
                        c.done = true;
                    }
                    flush_finished(chunk, &mut convs, &problems, model_name, cfg, &mut out_file)?;
                    bar.inc(chunk.len() as u64);
                    continue;
                }
            };
            // Tests.
            let gens: Vec<Generation> = chunk
                .iter()
                .zip(&answers)
                .map(|(&i, raw)| Generation {
                    task_id: problems[i].task_id.clone(),
                    sample_idx: 0,
                    model: model_name.to_string(),
                    prompt_id: format!("repair:{}", cfg.prompt),
                    raw_output: raw.clone(),
                    code: extract_code(raw),
                    gen_metadata: "{}".into(),
                })
                .collect();
            let t1 = Instant::now();
            // A test run is local and deterministic: it is not retried.
            let results = run(&mut problems, &gens, &cfg.run);
            let exec_share = t1.elapsed().as_secs_f64() / chunk.len() as f64;
            let results = match results {
                Ok(r) => r,
                Err(e) => {
                    for (&i, g) in chunk.iter().zip(gens) {
                        let c = &mut convs[i];
                        c.model_s += model_share;
                        c.exec_s += exec_share;
                        c.error = Some(format!("running the tests failed at turn {turn}: {e}"));
                        c.messages
                            .push(Message::new("assistant", g.raw_output.clone()));
                        c.done = true;
                    }
                    flush_finished(chunk, &mut convs, &problems, model_name, cfg, &mut out_file)?;
                    bar.inc(chunk.len() as u64);
                    continue;
                }
            };
            for ((&i, g), r) in chunk.iter().zip(gens).zip(results) {
                let c = &mut convs[i];
                c.model_s += model_share;
                c.exec_s += exec_share;
                c.messages
                    .push(Message::new("assistant", g.raw_output.clone()));
                let ok = succeeded(&r, cfg.should_pass_private);
                let feedback = if ok || turn == cfg.max_turns {
                    None
                } else {
                    feedback_message(
                        &problems[i],
                        &r,
                        cfg.max_feedback_tests,
                        cfg.should_pass_private,
                    )
                };
                c.turns.push(TurnRow {
                    turn,
                    code: g.code.clone(),
                    passed_public: succeeded(&r, false),
                    passed_all: r.passed,
                    n_tests: r.n_tests,
                    n_passed: r.n_passed,
                    status: r.status.clone(),
                    first_error_type: r.first_error_type.clone(),
                    feedback: feedback.clone(),
                    model_s: model_share,
                    exec_s: exec_share,
                });
                match feedback {
                    Some(f) => c.messages.push(Message::new("user", f)),
                    None => {
                        c.done = true;
                        c.success = ok;
                    }
                }
                c.last = Some((g, r));
            }
            flush_finished(chunk, &mut convs, &problems, model_name, cfg, &mut out_file)?;
            bar.inc(chunk.iter().filter(|&&i| convs[i].done).count() as u64);
        }
    }
    bar.finish();
    frames(&problems, &convs, model_name, cfg)
}

/// The output file and its checkpoint, opened for appending after restoring
/// the problems an earlier run finished (marked done, with their turns and
/// times). A problem in the checkpoint but not in the output (a kill between
/// the two writes) gets its output line now.
fn resume(
    path: &std::path::Path,
    problems: &[Problem],
    convs: &mut [Conversation],
) -> Result<OutFiles> {
    let checkpoint_path = crate::scale::checkpoint_path(path);
    crate::store::cut_torn_tail(path)?;
    let mut checkpoint = crate::store::Checkpoint::<Finished>::open(&checkpoint_path)?;
    let mut in_out = std::collections::HashSet::new();
    if path.exists() {
        for (line, v) in crate::data::read_jsonl_values(path)? {
            let id = v
                .pointer("/problem/problem_id")
                .and_then(|t| {
                    t.as_str()
                        .map(str::to_string)
                        .or_else(|| t.as_i64().map(|i| i.to_string()))
                })
                .ok_or_else(|| {
                    Error::parse(
                        path,
                        line,
                        Some("problem.problem_id"),
                        "missing: not a GenerationResult line",
                    )
                })?;
            in_out.insert(id);
        }
    }
    let mut out = crate::store::Journal::open(path)?;
    let mut restored = std::collections::HashSet::new();
    for (i, p) in problems.iter().enumerate() {
        let Some(f) = checkpoint
            .take(&p.task_id)
            .and_then(|rows| rows.into_iter().next())
        else {
            continue;
        };
        if !in_out.contains(&f.generation.task_id) {
            let rec = crate::data::generation_result_record(Some(&problems[i]), &f.generation);
            out.append(&[rec.to_string()])?;
        }
        restored.insert(f.generation.task_id.clone());
        let c = &mut convs[i];
        c.done = true;
        c.success = f.success;
        c.turns = f.turns;
        c.model_s = f.model_s;
        c.exec_s = f.exec_s;
        c.io_s = f.io_s;
        c.resumed = Some(f.generation);
    }
    out.sync()?;
    let mut unknown: Vec<&String> = in_out.difference(&restored).collect();
    if !unknown.is_empty() {
        unknown.sort();
        return Err(Error::Invalid(format!(
            "{} holds problems that its checkpoint {} does not ({}): it was written by an older \
             codefail or another run; move it away or use another output file",
            path.display(),
            checkpoint_path.display(),
            unknown
                .iter()
                .take(5)
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(OutFiles { out, checkpoint })
}

/// The repair output (`GenerationResult` lines) and its checkpoint (one
/// unit per finished problem).
struct OutFiles {
    out: crate::store::Journal,
    checkpoint: crate::store::Checkpoint<Finished>,
}

/// Append the problems of `chunk` that are done to the output file (fsync'd),
/// charging the time to them as IO.
fn flush_finished(
    chunk: &[usize],
    convs: &mut [Conversation],
    problems: &[Problem],
    model_name: &str,
    cfg: &RepairConfig,
    out_file: &mut Option<OutFiles>,
) -> Result<()> {
    let Some(files) = out_file else {
        return Ok(());
    };
    let t0 = Instant::now();
    let finished: Vec<usize> = chunk
        .iter()
        .copied()
        .filter(|&i| convs[i].done && convs[i].resumed.is_none())
        .collect();
    let mut records = Vec::with_capacity(finished.len());
    let mut entries = Vec::with_capacity(finished.len());
    for &i in &finished {
        let g = final_generation(&problems[i], &convs[i], model_name, cfg);
        records.push(crate::data::generation_result_record(Some(&problems[i]), &g).to_string());
        let c = &convs[i];
        let f = Finished {
            generation: g,
            turns: c.turns.clone(),
            success: c.success,
            model_s: c.model_s,
            exec_s: c.exec_s,
            io_s: c.io_s,
        };
        entries.push((problems[i].task_id.clone(), vec![f]));
    }
    // The checkpoint first: a kill between the two writes is repaired on resume.
    files.checkpoint.record(&entries)?;
    files.checkpoint.sync()?;
    files.out.append(&records)?;
    files.out.sync()?;
    let io = t0.elapsed().as_secs_f64();
    for &i in &finished {
        convs[i].io_s += io / finished.len().max(1) as f64;
    }
    Ok(())
}

fn final_generation(
    p: &Problem,
    c: &Conversation,
    model_name: &str,
    cfg: &RepairConfig,
) -> Generation {
    if let Some(g) = &c.resumed {
        return g.clone();
    }
    let last = c.last.as_ref();
    let history: Vec<serde_json::Value> = c
        .messages
        .iter()
        .map(|m| json!({"role": m.role, "content": m.content}))
        .collect();
    let total = c.model_s + c.exec_s + c.io_s;
    let meta = json!({
        "turns": c.turns.len(),
        "max_turns": cfg.max_turns,
        "success": c.success,
        "should_pass_private": cfg.should_pass_private,
        "passed_public": last.map(|(_, r)| succeeded(r, false)),
        "passed_all": last.map(|(_, r)| r.passed),
        "temperature": cfg.sampling.temperature,
        "seed": cfg.sampling.seed,
        "model_s": c.model_s,
        "exec_s": c.exec_s,
        "io_s": c.io_s,
        "model_pct": 100.0 * c.model_s / total.max(1e-12),
        "exec_pct": 100.0 * c.exec_s / total.max(1e-12),
        "io_pct": 100.0 * c.io_s / total.max(1e-12),
        "error": c.error,
        "full_message_history": history,
    });
    Generation {
        task_id: p.task_id.clone(),
        sample_idx: 0,
        model: model_name.to_string(),
        prompt_id: format!("repair:{}", cfg.prompt),
        raw_output: last.map(|(g, _)| g.raw_output.clone()).unwrap_or_default(),
        code: last.and_then(|(g, _)| g.code.clone()),
        gen_metadata: meta.to_string(),
    }
}

fn frames(
    problems: &[Problem],
    convs: &[Conversation],
    model_name: &str,
    cfg: &RepairConfig,
) -> Result<Repaired> {
    let gens: Vec<Generation> = problems
        .iter()
        .zip(convs)
        .map(|(p, c)| final_generation(p, c, model_name, cfg))
        .collect();
    let rows: Vec<(&Problem, &TurnRow)> = problems
        .iter()
        .zip(convs)
        .flat_map(|(p, c)| c.turns.iter().map(move |r| (p, r)))
        .collect();
    let turns = df!(
        "task_id" => rows.iter().map(|(p, _)| p.task_id.clone()).collect::<Vec<_>>(),
        "turn" => rows.iter().map(|(_, r)| r.turn as i64).collect::<Vec<_>>(),
        "code" => rows.iter().map(|(_, r)| r.code.clone()).collect::<Vec<_>>(),
        "passed_public" => rows.iter().map(|(_, r)| r.passed_public).collect::<Vec<_>>(),
        "passed_all" => rows.iter().map(|(_, r)| r.passed_all).collect::<Vec<_>>(),
        "n_tests" => rows.iter().map(|(_, r)| r.n_tests).collect::<Vec<_>>(),
        "n_passed" => rows.iter().map(|(_, r)| r.n_passed).collect::<Vec<_>>(),
        "status" => rows.iter().map(|(_, r)| r.status.clone()).collect::<Vec<_>>(),
        "first_error_type" => rows.iter().map(|(_, r)| r.first_error_type.clone()).collect::<Vec<_>>(),
        "feedback" => rows.iter().map(|(_, r)| r.feedback.clone()).collect::<Vec<_>>(),
        "model_s" => rows.iter().map(|(_, r)| r.model_s).collect::<Vec<_>>(),
        "exec_s" => rows.iter().map(|(_, r)| r.exec_s).collect::<Vec<_>>(),
    )?;
    let pct = |c: &Conversation, v: f64| {
        let total = c.model_s + c.exec_s + c.io_s;
        100.0 * v / total.max(1e-12)
    };
    let profile = df!(
        "task_id" => problems.iter().map(|p| p.task_id.clone()).collect::<Vec<_>>(),
        "turns" => convs.iter().map(|c| c.turns.len() as i64).collect::<Vec<_>>(),
        "success" => convs.iter().map(|c| c.success).collect::<Vec<_>>(),
        "model_s" => convs.iter().map(|c| c.model_s).collect::<Vec<_>>(),
        "exec_s" => convs.iter().map(|c| c.exec_s).collect::<Vec<_>>(),
        "io_s" => convs.iter().map(|c| c.io_s).collect::<Vec<_>>(),
        "model_pct" => convs.iter().map(|c| pct(c, c.model_s)).collect::<Vec<_>>(),
        "exec_pct" => convs.iter().map(|c| pct(c, c.exec_s)).collect::<Vec<_>>(),
        "io_pct" => convs.iter().map(|c| pct(c, c.io_s)).collect::<Vec<_>>(),
    )?;
    Ok(Repaired {
        generations: generations_frame(&gens)?,
        turns,
        profile,
    })
}

/// Repair loop on a local model: each turn's open conversations are rendered
/// with the model's chat template and answered in batches of
/// [`RepairConfig::batch_size`]. See the module docs.
///
/// ```no_run
/// use codefail::prelude::*;
/// use codefail::data::load;
/// use codefail::methods::{RepairConfig, repair};
/// use codefail::sample::Model;
/// let problems = load("mbpp", &LoadOptions { split: Some("test".into()), limit: Some(3), ..Default::default() })?;
/// let model = Model::load("qwen2.5-coder-0.5b", &Default::default())?;
/// let out = repair(&problems, &model, &RepairConfig::default())?;
/// println!("{}", out.turns);
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn repair(problems: &DataFrame, model: &Model, cfg: &RepairConfig) -> Result<Repaired> {
    let template = model.chat_template().ok_or_else(|| Error::Model {
        path: model.path.clone(),
        message: "repair needs a chat model (no chat template found)".into(),
    })?;
    let sampling = crate::sample::with_prompt_stops(&cfg.sampling, &cfg.prompt);
    // A local model is deterministic: a failed call would fail again.
    let cfg = &RepairConfig {
        retries: 0,
        ..cfg.clone()
    };
    repair_with(problems, cfg, model.name(), |convs, turn| {
        let mut jobs = Vec::with_capacity(convs.len());
        for (key, messages) in convs {
            let text = template.render(messages, true).map_err(|e| Error::Model {
                path: model.path.clone(),
                message: e,
            })?;
            jobs.push(PromptJob {
                ids: model.encode(&text)?,
                n: 1,
                key: format!("{key}#{turn}"),
            });
        }
        let (out, _) = generate_batch(model, &jobs, &sampling)?;
        Ok(out
            .into_iter()
            .map(|s| s.into_iter().next().map(|a| a.text).unwrap_or_default())
            .collect())
    })
}

/// Tasks solved within k turns, from a [`Repaired::turns`] frame: per turn
/// `k`, `solved_public` (tasks whose public tests passed at some turn <= k),
/// `solved_all` (of those, the ones whose successful answer also passes the
/// private tests), `n_tasks`, and both as percentages.
///
/// ```
/// use polars::prelude::*;
/// let turns = df!("task_id" => ["a", "a", "b"], "turn" => [1i64, 2, 1],
///     "passed_public" => [false, true, true], "passed_all" => [false, false, true]).unwrap();
/// let t = codefail::methods::repair_by_turn(&turns).unwrap();
/// let s = t.column("solved_public").unwrap().i64().unwrap();
/// assert_eq!((s.get(0), s.get(1)), (Some(1), Some(2)));
/// ```
pub fn repair_by_turn(turns: &DataFrame) -> Result<DataFrame> {
    use crate::data::read;
    let task = read::texts(turns, "task_id")?;
    let turn = read::numbers(turns, "turn")?;
    let public = read::bools(turns, "passed_public")?;
    let all = read::bools(turns, "passed_all")?;
    // First successful turn of each task, and whether that answer passed all.
    let mut first: BTreeMap<String, Option<(i64, bool)>> = BTreeMap::new();
    let mut max_turn = 0;
    for i in 0..turns.height() {
        let Some(t) = task[i].clone() else { continue };
        let k = turn[i].unwrap_or(0.0) as i64;
        max_turn = max_turn.max(k);
        let e = first.entry(t).or_insert(None);
        if public[i] == Some(true) && e.is_none_or(|(f, _)| k < f) {
            *e = Some((k, all[i] == Some(true)));
        }
    }
    let n = first.len() as i64;
    let ks: Vec<i64> = (1..=max_turn).collect();
    let count = |k: i64, need_all: bool| -> i64 {
        first
            .values()
            .filter(|v| v.is_some_and(|(f, a)| f <= k && (a || !need_all)))
            .count() as i64
    };
    let sp: Vec<i64> = ks.iter().map(|&k| count(k, false)).collect();
    let sa: Vec<i64> = ks.iter().map(|&k| count(k, true)).collect();
    let pct = |v: &[i64]| -> Vec<f64> {
        v.iter()
            .map(|x| 100.0 * *x as f64 / n.max(1) as f64)
            .collect()
    };
    Ok(df!(
        "turn" => ks.clone(),
        "solved_public" => sp.clone(),
        "solved_all" => sa.clone(),
        "n_tasks" => vec![n; ks.len()],
        "solved_public_pct" => pct(&sp),
        "solved_all_pct" => pct(&sa),
    )?)
}

/// Where the time went: the sums of `model_s`, `exec_s` and `io_s` over a
/// frame's rows (a [`Repaired::profile`], or recorded `gen_metadata` spread
/// with [`crate::data::with_metadata`]) as `stage`, `seconds`, `percent`.
///
/// ```
/// use polars::prelude::*;
/// let p = df!("model_s" => [9.0, 10.0], "exec_s" => [0.5, 0.5], "io_s" => [0.0, 0.0]).unwrap();
/// let t = codefail::methods::time_shares(&p).unwrap();
/// assert_eq!(t.column("percent").unwrap().f64().unwrap().get(0), Some(95.0));
/// ```
pub fn time_shares(profile: &DataFrame) -> Result<DataFrame> {
    let stages = [
        ("model", "model_s"),
        ("execution", "exec_s"),
        ("IO", "io_s"),
    ];
    let mut secs = Vec::with_capacity(3);
    for (_, col) in stages {
        secs.push(
            crate::data::read::numbers(profile, col)?
                .into_iter()
                .flatten()
                .sum::<f64>(),
        );
    }
    let total: f64 = secs.iter().sum();
    Ok(df!(
        "stage" => stages.iter().map(|s| s.0).collect::<Vec<_>>(),
        "seconds" => secs.clone(),
        "percent" => secs.iter().map(|s| 100.0 * s / total.max(1e-12)).collect::<Vec<_>>(),
    )?)
}

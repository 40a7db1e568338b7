//! EG-CFG: execution-guided line-by-line decoding with classifier-free
//! guidance (Lavon et al., "Execution-Guided Line-by-Line Code Generation",
//! NeurIPS 2025).
//!
//! For each task and each guidance strength `gamma`, the answer is decoded
//! token by token from two contexts that share the answer so far:
//! - the **unconditional** context: the task's prompt;
//! - the **conditional** context: the same prompt with the *dynamic signal*
//!   appended to its last user message.
//!
//! At the start of every new line of code (each time the answer gains a
//! newline after its opening code fence), `s` candidate continuations of up to
//! `d` lines are sampled at temperature `t` from the unconditional context
//! (its key/value cache copied `s` times: no second prefill); each candidate,
//! appended to the code so far, is made runnable (see
//! [`crate::exec::trace_programs`]) and traced on the calls of the task's
//! public tests in the sandbox; the distinct runnable candidates with their
//! traces form the dynamic signal (see [`dynamic_signal`]), and the
//! conditional context is prefilled again with it (from where it leaves the
//! unconditional prompt: the keys and values of the shared head, system
//! message and task, are copied from the unconditional cache). Each next token is chosen
//! from `log p_u + gamma * (log p_c - log p_u)` ([`cfg_mix`]; gamma 0 is the
//! plain model, gamma 1 the conditional one), greedily by default.
//! Traces of the same code on the same calls are cached for the whole run
//! (across lines, gammas and tasks).
//!
//! Gamma 0 needs no signal and is decoded without candidates: it is the
//! greedy baseline of the same model and prompt, against which
//! [`egcfg_table`] computes RSR. Every answer (all gammas alike) ends where
//! its code block closes or, by default, where top-level test code starts
//! after the function ([`EgCfgConfig::stop_at_tests`]).
//!
//! Output: a generations frame (one row per task and gamma, `sample_idx` the
//! gamma's position in [`EgCfgConfig::gammas`], `gen_metadata` with the
//! config, gamma, lines, signals, traces run and cache hits, model and
//! execution seconds), the results frame of running each answer on all the
//! task's tests, and, with [`EgCfgConfig::out_dir`], EG-CFG's own layout:
//! `<out_dir>/<config>/task_id=N_gamma=G.json` with `code`, per-assert
//! `results` (`result`, `time`, `error`), `passed`, `accuracy`,
//! `general_error`, `has_testcase_error` (and codefail's `raw_output` and
//! `metadata`), which `load_generations` reads back like the published runs.
//!
//! Resuming goes through [`crate::store::Checkpoint`], as every stage's does:
//! each decoded answer (its raw output and metadata) is recorded as one unit
//! (task and gamma) before it is evaluated, in
//! [`EgCfgConfig::checkpoint`] (by default `<out_dir>/<config>.checkpoint.jsonl`),
//! and a later run with the same checkpoint takes it from there instead of
//! decoding it again. The checkpoint is kept after the run: it is the record
//! of what was decoded, while the per-task files are the output.
//! [`egcfg_collect`] merges shards' output files without a model.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::Tensor;
use polars::prelude::*;
use serde_json::{Value, json};

use crate::data::{
    Generation, Problem, RunResult, TestKind, extract_code, generations_frame, problems_from_frame,
    results_frame,
};
use crate::exec::{RunConfig, TraceConfig, TraceJob, TracedProgram, run, trace_programs};
use crate::runtime::decoder::KvCache;
use crate::runtime::model::{Backend, Model, model_err};
use crate::sample::{
    Message, PromptInput, Sampling, choose, prompt_for, sample_rng, system_prompt,
};
use crate::{Error, Result};

/// Settings of an EG-CFG run.
#[derive(Clone, Debug)]
pub struct EgCfgConfig {
    /// Prompt id (see [`crate::sample::PROMPT_IDS`]).
    pub prompt: String,
    /// System prompt id.
    pub system: String,
    /// `s`: candidate continuations per line.
    pub candidates: usize,
    /// `t`: their sampling temperature.
    pub temperature: f64,
    /// `d`: lines per candidate (the completion horizon).
    pub horizon: usize,
    /// Guidance strengths; one answer per task and gamma.
    pub gammas: Vec<f64>,
    /// Tokens per answer at most.
    pub max_new_tokens: usize,
    /// Tokens per candidate line at most.
    pub line_tokens: usize,
    /// Tokens of dynamic signal at most (entries, one per candidate and
    /// call, that do not fit are left out, last first). The conditional
    /// context is prefilled again at every line, so this bounds the cost of
    /// a line: on 2 CPU cores Qwen2.5-Coder-0.5B prefills about 46 tokens/s,
    /// and uncapped signals of 3 candidates x 3 calls reached 2000 tokens.
    /// Default 1024.
    pub max_signal_tokens: usize,
    /// Seed of the candidates' generators.
    pub seed: u64,
    /// Text that ends an answer (a chat answer also ends where its code
    /// block closes).
    pub stop: Vec<String>,
    /// A chat answer also ends where, after a `def`, top-level test code
    /// begins (a line starting `assert`, `print(`, `if __name__`, or a
    /// `# Test` / `# Example` / `# Check` comment): small models append
    /// their own asserts (often wrong ones, which then fail the program at
    /// load) and guiding them line by line is the costliest part of a run.
    /// Applies to every gamma alike, so gamma 0 stays the baseline of the
    /// same rule. Default true.
    pub stop_at_tests: bool,
    /// Limits of the traced executions.
    pub trace: TraceConfig,
    /// Limits of the final evaluation.
    pub run: RunConfig,
    /// Write EG-CFG's per-task files under `<out_dir>/<config name>/`.
    pub out_dir: Option<PathBuf>,
    /// Where decoded answers are recorded, so that a killed or repeated run
    /// resumes instead of decoding them again (see the module docs). `None`:
    /// `<out_dir>/<config name>.checkpoint.jsonl` when `out_dir` is set, no
    /// checkpoint otherwise. Shards of one run need one each (the CLI names
    /// them by shard).
    pub checkpoint: Option<PathBuf>,
    /// Show progress on stderr: a bar with rate and ETA on a terminal, log
    /// lines otherwise (each with the last task and its verdict).
    pub progress: bool,
}

impl Default for EgCfgConfig {
    fn default() -> Self {
        EgCfgConfig {
            prompt: "mbpp-instruct".into(),
            system: "none".into(),
            candidates: 3,
            temperature: 0.7,
            horizon: 2,
            gammas: vec![0.0, 0.5, 1.0, 3.0],
            max_new_tokens: 512,
            line_tokens: 48,
            max_signal_tokens: 1024,
            seed: 0,
            stop: Vec::new(),
            trace: TraceConfig::default(),
            run: RunConfig::default(),
            out_dir: None,
            checkpoint: None,
            progress: false,
            stop_at_tests: true,
        }
    }
}

impl EgCfgConfig {
    /// The run's folder name, EG-CFG style: `ns{s}t{t}d{d}`.
    ///
    /// ```
    /// let c = codefail::methods::EgCfgConfig::default();
    /// assert_eq!(c.name(), "ns3t0.7d2");
    /// ```
    pub fn name(&self) -> String {
        format!(
            "ns{}t{}d{}",
            self.candidates, self.temperature, self.horizon
        )
    }

    /// The checkpoint a run with a model uses: [`EgCfgConfig::checkpoint`],
    /// else `<out_dir>/<config name>.checkpoint.jsonl`, else none.
    ///
    /// ```
    /// let c = codefail::methods::EgCfgConfig { out_dir: Some("eg".into()), ..Default::default() };
    /// assert_eq!(c.checkpoint_path(), Some("eg/ns3t0.7d2.checkpoint.jsonl".into()));
    /// ```
    pub fn checkpoint_path(&self) -> Option<PathBuf> {
        match (&self.checkpoint, &self.out_dir) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(d)) => Some(crate::scale::checkpoint_path(&d.join(self.name()))),
            (None, None) => None,
        }
    }
}

/// One decoded answer in EG-CFG's checkpoint (unit: task and gamma).
#[derive(serde::Serialize, serde::Deserialize)]
struct Decoded {
    raw_output: String,
    gen_metadata: Value,
}

/// A checkpoint unit's name: the task and the gamma.
fn unit(task_id: &str, gamma: f64) -> String {
    format!("{task_id}\u{0}{gamma:?}")
}

/// Classifier-free guidance on one row of logits: the log-probabilities
/// `log p_u + gamma * (log p_c - log p_u)`, normalised (EG-CFG's
/// `P * (P_c / P)^gamma`). Gamma 0 gives the unconditional distribution,
/// gamma 1 the conditional one.
///
/// ```
/// let u = [1.0f32, 2.0, 3.0];
/// let c = [3.0f32, 2.0, 1.0];
/// let m = codefail::methods::cfg_mix(&u, &c, 1.0);
/// assert!(m[0] > m[2]);
/// ```
pub fn cfg_mix(uncond: &[f32], cond: &[f32], gamma: f64) -> Vec<f32> {
    let lu = log_softmax(uncond);
    let lc = log_softmax(cond);
    let mixed: Vec<f64> = lu
        .iter()
        .zip(&lc)
        .map(|(&u, &c)| {
            // A token impossible under either model stays impossible.
            if u == f64::NEG_INFINITY || c == f64::NEG_INFINITY {
                if gamma == 0.0 { u } else { f64::NEG_INFINITY }
            } else {
                u + gamma * (c - u)
            }
        })
        .collect();
    let max = mixed.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let z = max + mixed.iter().map(|&x| (x - max).exp()).sum::<f64>().ln();
    mixed.iter().map(|&x| (x - z) as f32).collect()
}

fn log_softmax(l: &[f32]) -> Vec<f64> {
    let max = l.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let z = max
        + l.iter()
            .map(|&x| (f64::from(x) - max).exp())
            .sum::<f64>()
            .ln();
    l.iter().map(|&x| f64::from(x) - z).collect()
}

/// The dynamic signal text: a header, then for each distinct runnable
/// candidate and each traced call, the candidate's code, the call and its
/// trace ([`crate::exec::Trace::format`]). Empty when nothing ran.
///
/// ```
/// use codefail::exec::{Trace, TracedProgram};
/// let t = Trace { invocation: "f(1)".into(), status: "returned".into(), steps: vec![],
///     returned: Some("2".into()), exception: None, exception_line: None, truncated: false,
///     stdout: String::new() };
/// let p = TracedProgram { program: Some("def f(x):\n    return x + 1".into()), traces: vec![t] };
/// let s = codefail::methods::dynamic_signal(&[p]);
/// assert!(s.contains("# Invocation:\nf(1)") && s.contains("Returned: 2"));
/// assert!(codefail::methods::dynamic_signal(&[]).is_empty());
/// ```
pub fn dynamic_signal(programs: &[TracedProgram]) -> String {
    let entries = signal_entries(programs);
    signal_text(&entries)
}

fn signal_entries(programs: &[TracedProgram]) -> Vec<String> {
    let mut entries = Vec::new();
    for p in programs {
        let Some(code) = &p.program else { continue };
        for t in &p.traces {
            entries.push(format!(
                "# Function:\n{code}\n\n# Invocation:\n{}\n\n# Execution Trace:\n{}\n",
                t.invocation,
                t.format()
            ));
        }
    }
    entries
}

const SIGNAL_HEADER: &str = "### Runtime behavior of possible continuations\n\
Below, the code written so far was extended with a few possible continuations \
(they may be partial or wrong), made runnable, and called on the task's test \
inputs. Each entry shows a candidate program, the call, and its execution \
trace: each line run with the local variables that changed, returned values \
and exceptions. Use what they reveal to write the next line correctly.\n\n";

fn signal_text(entries: &[String]) -> String {
    if entries.is_empty() {
        return String::new();
    }
    format!("{SIGNAL_HEADER}{}", entries.join("\n"))
}

/// The prompt with the signal added: appended to the last user message of a
/// chat prompt; above a completion prompt as Python comments.
fn with_signal(input: &PromptInput, signal: &str) -> PromptInput {
    match input {
        PromptInput::Chat(messages) => {
            let mut m: Vec<Message> = messages.clone();
            if let Some(last) = m.iter_mut().rev().find(|m| m.role == "user") {
                last.content = format!("{}\n\n{signal}", last.content.trim_end());
            }
            PromptInput::Chat(m)
        }
        PromptInput::Completion(t) => {
            let commented: String = signal.lines().map(|l| format!("# {l}\n")).collect();
            PromptInput::Completion(format!("{commented}\n{t}"))
        }
    }
}

fn render(model: &Model, input: &PromptInput) -> Result<String> {
    match input {
        PromptInput::Completion(t) => Ok(t.clone()),
        PromptInput::Chat(messages) => match model.chat_template() {
            Some(t) => t
                .render(messages, true)
                .map_err(|e| model_err(&model.path, e)),
            None => Err(model_err(
                &model.path,
                "a chat prompt was asked for but the model has no chat template",
            )),
        },
    }
}

/// The code written so far: for chat prompts the text after the answer's
/// opening code fence (None before it); for completion prompts the prompt
/// and the answer.
fn code_so_far(input: &PromptInput, answer: &str) -> Option<String> {
    match input {
        PromptInput::Completion(t) => Some(format!("{t}{answer}")),
        PromptInput::Chat(_) => {
            let start = answer.find("```")?;
            let after = &answer[start..];
            let nl = after.find('\n')?;
            Some(after[nl + 1..].to_string())
        }
    }
}

/// Where the code block of a chat answer closes: the first fence after the
/// line that opens it.
fn closing_fence(answer: &str) -> Option<usize> {
    let open = answer.find("```")?;
    let body = open + answer[open..].find('\n')? + 1;
    answer[body..].find("```").map(|i| body + i)
}

/// Where top-level test code starts in a chat answer's code block, after a
/// `def` line (see [`EgCfgConfig::stop_at_tests`]).
fn test_code_start(answer: &str) -> Option<usize> {
    let open = answer.find("```")?;
    let mut at = open + answer[open..].find('\n')? + 1;
    let mut seen_def = false;
    for line in answer[at..].split_inclusive('\n') {
        if seen_def
            && [
                "assert ",
                "assert(",
                "print(",
                "if __name__",
                "# Test",
                "# test",
                "# Example",
                "# Check",
            ]
            .iter()
            .any(|p| line.starts_with(p))
        {
            return Some(at);
        }
        if line.starts_with("def ") || line.starts_with("async def ") {
            seen_def = true;
        }
        at += line.len();
    }
    None
}

/// The counters of one decoded answer.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct EgCfgStats {
    /// Lines at whose start a signal was built.
    pub lines: usize,
    /// Signals that were not empty.
    pub signals: usize,
    /// Candidate programs traced (cache misses).
    pub traced: usize,
    /// Candidate programs found in the trace cache.
    pub cache_hits: usize,
    /// Tokens of conditional prefill.
    pub cond_prefill_tokens: usize,
    /// Seconds sampling candidates.
    pub candidates_s: f64,
    /// Seconds of conditional prefill.
    pub cond_prefill_s: f64,
    /// Seconds in the model (prefill, candidates, decoding).
    pub model_s: f64,
    /// Seconds tracing candidates.
    pub exec_s: f64,
    /// Answer tokens.
    pub new_tokens: usize,
    /// `stop` or `length`.
    pub finish_reason: String,
}

type Cache = HashMap<(String, Vec<String>), TracedProgram>;

struct Ctx<'a> {
    model: &'a Model,
    dec: &'a crate::runtime::decoder::Decoder,
}

impl Ctx<'_> {
    fn prefill(&self, ids: &[u32]) -> Result<(KvCache, Vec<f32>)> {
        self.continue_row(KvCache::new(vec![0]), ids)
    }

    /// The first `keep` positions of `base` continued with `ids`: a second
    /// context that shares a prefix with the first.
    fn extend(&self, base: &KvCache, keep: usize, ids: &[u32]) -> Result<(KvCache, Vec<f32>)> {
        let cache = base
            .truncate(keep)
            .map_err(|e| model_err(&self.model.path, e))?;
        self.continue_row(cache, ids)
    }

    /// Feed `ids` to a one-row cache; the logits after the last of them.
    fn continue_row(&self, mut cache: KvCache, ids: &[u32]) -> Result<(KvCache, Vec<f32>)> {
        let e = |e| model_err(&self.model.path, e);
        let t = Tensor::from_vec(ids.to_vec(), (1, ids.len()), &self.model.device).map_err(e)?;
        let l = self
            .dec
            .forward(&t, &mut cache)
            .and_then(|l| l.to_vec2::<f32>())
            .map_err(e)?;
        Ok((cache, l.into_iter().next().unwrap_or_default()))
    }

    fn step(&self, cache: &mut KvCache, toks: &[u32]) -> Result<Vec<Vec<f32>>> {
        let e = |e| model_err(&self.model.path, e);
        let t = Tensor::from_vec(toks.to_vec(), (toks.len(), 1), &self.model.device).map_err(e)?;
        self.dec
            .forward(&t, cache)
            .and_then(|l| l.to_vec2::<f32>())
            .map_err(e)
    }

    /// `s` continuations of up to `d` lines from the unconditional state.
    fn candidates(
        &self,
        cache: &KvCache,
        logits: &[f32],
        cfg: &EgCfgConfig,
        key: &str,
    ) -> Result<Vec<String>> {
        let s = cfg.candidates;
        let sampling = Sampling {
            temperature: cfg.temperature,
            top_p: 0.95,
            ..Default::default()
        };
        let mut rngs: Vec<_> = (0..s).map(|i| sample_rng(cfg.seed, key, i)).collect();
        let mut toks: Vec<Vec<u32>> = vec![Vec::new(); s];
        let mut texts: Vec<String> = vec![String::new(); s];
        let cap = cfg.horizon.max(1) * cfg.line_tokens;
        let mut active: Vec<usize> = (0..s).collect();
        let mut cache = cache
            .repeat(s)
            .map_err(|e| model_err(&self.model.path, e))?;
        let mut rows: Vec<Vec<f32>> = vec![logits.to_vec(); s];
        loop {
            let mut keep = Vec::new();
            let mut next = Vec::new();
            for (pos, &r) in active.iter().enumerate() {
                let (tok, _, _) = choose(&rows[pos], &sampling, &mut rngs[r]);
                if self.model.stop_ids().contains(&tok) {
                    continue;
                }
                toks[r].push(tok);
                texts[r] = self.model.decode(&toks[r])?;
                let done = texts[r].matches('\n').count() >= cfg.horizon
                    || texts[r].contains("```")
                    || toks[r].len() >= cap;
                if !done {
                    keep.push(pos);
                    next.push(tok);
                }
            }
            if keep.is_empty() {
                break;
            }
            if keep.len() < active.len() {
                cache = cache
                    .select(&keep)
                    .map_err(|e| model_err(&self.model.path, e))?;
                active = keep.iter().map(|&p| active[p]).collect();
            }
            rows = self.step(&mut cache, &next)?;
        }
        Ok(texts
            .into_iter()
            .map(|t| match t.find("```") {
                Some(i) => t[..i].to_string(),
                None => t,
            })
            .collect())
    }
}

/// Decode one answer for `problem` at guidance strength `gamma`.
fn decode_one(
    ctx: &Ctx,
    problem: &Problem,
    input: &PromptInput,
    gamma: f64,
    cfg: &EgCfgConfig,
    trace_cache: &mut Cache,
) -> Result<(String, EgCfgStats)> {
    let model = ctx.model;
    let mut stats = EgCfgStats::default();
    let t_model = Instant::now();
    let mut exec_s = 0.0;
    let prompt_u = render(model, input)?;
    let ids_u = model.encode(&prompt_u)?;
    if ids_u.len() + 1 >= model.context_len() {
        return Err(Error::Invalid(format!(
            "{}: the prompt has {} tokens, the model takes {}",
            problem.task_id,
            ids_u.len(),
            model.context_len()
        )));
    }
    let (mut cache_u, mut logits_u) = ctx.prefill(&ids_u)?;
    let mut cond: Option<(KvCache, Vec<f32>)> = None;
    let mut signal = String::new();
    let mut answer_ids: Vec<u32> = Vec::new();
    let mut answer = String::new();
    let mut lines_seen = usize::MAX;
    let tests: Vec<String> = problem
        .tests
        .iter()
        .filter(|t| t.kind == TestKind::Assert && t.public)
        .filter_map(|t| t.code.clone())
        .collect();
    let greedy = Sampling::default();
    let mut rng = sample_rng(cfg.seed, &problem.task_id, 0);
    stats.finish_reason = "length".into();
    while answer_ids.len() < cfg.max_new_tokens
        && ids_u.len() + answer_ids.len() + 1 < model.context_len()
    {
        // A new line of code: build the signal (only when guidance is on).
        if gamma != 0.0
            && let Some(code) = code_so_far(input, &answer)
        {
            let n_lines = code.matches('\n').count();
            if n_lines != lines_seen {
                lines_seen = n_lines;
                stats.lines += 1;
                let key = format!("{}:{gamma}:{}", problem.task_id, answer_ids.len());
                let t_cand = Instant::now();
                let conts = ctx.candidates(&cache_u, &logits_u, cfg, &key)?;
                stats.candidates_s += t_cand.elapsed().as_secs_f64();
                let t_exec = Instant::now();
                let mut distinct: Vec<String> = Vec::new();
                for c in conts {
                    let full = format!("{code}{c}");
                    if !distinct.contains(&full) {
                        distinct.push(full);
                    }
                }
                let todo: Vec<TraceJob> = distinct
                    .iter()
                    .filter(|c| !trace_cache.contains_key(&((*c).clone(), tests.clone())))
                    .map(|c| TraceJob {
                        code: c.clone(),
                        invocations: vec![],
                        tests: tests.clone(),
                        entry_point: problem.entry_point.clone(),
                    })
                    .collect();
                stats.cache_hits += distinct.len() - todo.len();
                stats.traced += todo.len();
                if !todo.is_empty() {
                    let traced = trace_programs(&todo, &cfg.trace)?;
                    for (j, t) in todo.into_iter().zip(traced) {
                        trace_cache.insert((j.code, tests.clone()), t);
                    }
                }
                // Distinct runnable programs, in candidate order.
                let mut programs: Vec<TracedProgram> = Vec::new();
                for c in &distinct {
                    if let Some(t) = trace_cache.get(&(c.clone(), tests.clone()))
                        && t.program.is_some()
                        && !programs.iter().any(|p| p.program == t.program)
                    {
                        programs.push(t.clone());
                    }
                }
                exec_s += t_exec.elapsed().as_secs_f64();
                // Fit the signal in its token budget, dropping later entries.
                let mut entries = signal_entries(&programs);
                let mut text = signal_text(&entries);
                while !entries.is_empty() && model.encode(&text)?.len() > cfg.max_signal_tokens {
                    entries.pop();
                    text = signal_text(&entries);
                }
                tracing::debug!(
                    task = %problem.task_id,
                    gamma,
                    line = stats.lines,
                    programs = programs.len(),
                    signal_chars = text.len(),
                    elapsed_s = t_model.elapsed().as_secs_f64(),
                    candidates_s = stats.candidates_s,
                    exec_s,
                    cond_prefill_s = stats.cond_prefill_s,
                    cond_prefill_tokens = stats.cond_prefill_tokens,
                    "egcfg line"
                );
                if text != signal || cond.is_none() && !text.is_empty() {
                    signal = text;
                    cond = if signal.is_empty() {
                        None
                    } else {
                        stats.signals += 1;
                        let prompt_c = render(model, &with_signal(input, &signal))?;
                        let mut ids_c = model.encode(&prompt_c)?;
                        // The prompt's head (system message, task) is the
                        // same in both contexts: its keys and values are
                        // taken from the unconditional cache, and only the
                        // rest (signal, answer so far) is prefilled.
                        let shared = ids_u
                            .iter()
                            .zip(&ids_c)
                            .take_while(|(a, b)| a == b)
                            .count()
                            .min(ids_c.len().saturating_sub(1));
                        ids_c.extend_from_slice(&answer_ids);
                        if ids_c.len() + 1 >= model.context_len() {
                            None
                        } else {
                            stats.cond_prefill_tokens += ids_c.len() - shared;
                            let t_pre = Instant::now();
                            let c = ctx.extend(&cache_u, shared, &ids_c[shared..])?;
                            stats.cond_prefill_s += t_pre.elapsed().as_secs_f64();
                            Some(c)
                        }
                    };
                }
            }
        }
        let mixed = match &cond {
            Some((_, lc)) => cfg_mix(&logits_u, lc, gamma),
            None => logits_u.clone(),
        };
        let (tok, _, _) = choose(&mixed, &greedy, &mut rng);
        if model.stop_ids().contains(&tok) {
            stats.finish_reason = "stop".into();
            break;
        }
        answer_ids.push(tok);
        answer = model.decode(&answer_ids)?;
        let (fence, tests_at) = match input {
            PromptInput::Chat(_) => (
                closing_fence(&answer),
                if cfg.stop_at_tests {
                    test_code_start(&answer)
                } else {
                    None
                },
            ),
            PromptInput::Completion(_) => (None, None),
        };
        if let Some(cut) = cfg
            .stop
            .iter()
            .filter_map(|s| answer.find(s.as_str()))
            .chain(fence)
            .chain(tests_at)
            .min()
        {
            answer.truncate(cut);
            stats.finish_reason = "stop".into();
            break;
        }
        logits_u = ctx
            .step(&mut cache_u, &[tok])?
            .into_iter()
            .next()
            .unwrap_or_default();
        if let Some((c, l)) = cond.as_mut() {
            *l = ctx.step(c, &[tok])?.into_iter().next().unwrap_or_default();
        }
    }
    stats.new_tokens = answer_ids.len();
    stats.exec_s = exec_s;
    stats.model_s = t_model.elapsed().as_secs_f64() - exec_s;
    Ok((answer, stats))
}

/// What [`egcfg`] gives.
#[derive(Clone, Debug)]
pub struct EgCfgRun {
    /// One row per task and gamma (`sample_idx`: the gamma's position).
    pub generations: DataFrame,
    /// Each answer run on all its task's tests.
    pub results: DataFrame,
}

fn gamma_file(dir: &Path, task_id: &str, gamma: f64) -> PathBuf {
    let n = task_id.rsplit('/').next().unwrap_or(task_id);
    dir.join(format!("task_id={n}_gamma={gamma:?}.json"))
}

/// EG-CFG's per-task record of one evaluated answer.
fn egcfg_record(problem: &Problem, g: &Generation, r: &RunResult) -> Value {
    let mut results = serde_json::Map::new();
    let asserts: Vec<&str> = problem
        .tests
        .iter()
        .filter_map(|t| t.code.as_deref())
        .collect();
    let mut testcase_error = false;
    for (k, tr) in r.tests.iter().enumerate() {
        let name = asserts
            .get(k)
            .map(|s| s.to_string())
            .unwrap_or_else(|| format!("test {k}"));
        let error = match tr.status.as_str() {
            "passed" | "failed" => Value::Null,
            _ => {
                testcase_error = true;
                json!(format!(
                    "{}: {}",
                    tr.error_type.as_deref().unwrap_or(&tr.status),
                    tr.message.as_deref().unwrap_or("")
                ))
            }
        };
        results.insert(
            name,
            json!({"result": tr.passed, "time": tr.wall_ms / 1000.0, "error": error}),
        );
    }
    let n = r.tests.len().max(1) as f64;
    let general_error = match (&g.code, r.first_error_stage.as_deref()) {
        (None, _) => json!("no code in the answer"),
        (_, Some("load")) | (_, Some("setup")) => json!(format!(
            "{}: {}",
            r.first_error_type.as_deref().unwrap_or("Error"),
            r.first_error_message.as_deref().unwrap_or("")
        )),
        _ => Value::Null,
    };
    json!({
        "code": g.code, "results": results, "passed": r.passed,
        "accuracy": r.n_passed as f64 / n, "general_error": general_error,
        "has_testcase_error": testcase_error, "tb": r.traceback,
        "raw_output": g.raw_output,
        "metadata": serde_json::from_str::<Value>(&g.gen_metadata).unwrap_or(Value::Null),
    })
}

/// Run EG-CFG on every problem of the frame for every gamma of `cfg`; see the
/// module docs.
///
/// ```no_run
/// use codefail::prelude::*;
/// use codefail::data::load;
/// use codefail::methods::{EgCfgConfig, egcfg, egcfg_table};
/// use codefail::sample::Model;
/// let problems = load("mbpp", &LoadOptions { split: Some("test".into()), limit: Some(3), ..Default::default() })?;
/// let model = Model::load("qwen2.5-coder-0.5b", &Default::default())?;
/// let run = egcfg(&problems, &model, &EgCfgConfig { gammas: vec![0.0, 1.0], ..Default::default() })?;
/// println!("{}", egcfg_table(&run.generations, &run.results)?);
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn egcfg(problems: &DataFrame, model: &Model, cfg: &EgCfgConfig) -> Result<EgCfgRun> {
    let Backend::Decoder(dec) = &model.backend else {
        return Err(Error::Invalid(format!(
            "EG-CFG needs a model with its own key/value cache (Qwen2, Llama, GGUF); {} is not one",
            model.name()
        )));
    };
    if cfg.candidates == 0 && cfg.gammas.iter().any(|&g| g != 0.0) {
        return Err(Error::Invalid(
            "EG-CFG: guidance (gamma > 0) needs at least one candidate".into(),
        ));
    }
    let ctx = Ctx { model, dec };
    let (run, _) = answers(problems, Some(&ctx), model.name(), cfg)?;
    Ok(run)
}

/// Gather a finished (or sharded) EG-CFG run from its files under
/// `cfg.out_dir` without a model: every task and gamma whose file exists is
/// read back and evaluated again; the others are returned by name
/// (`Mbpp/12 gamma=1.0`), in task order, so a merge can report what is
/// missing instead of decoding it. The model name comes from the files
/// (`metadata.model`, written since codefail 0.1) or else is `model_name`.
///
/// ```no_run
/// use codefail::prelude::*;
/// use codefail::data::load;
/// use codefail::methods::{EgCfgConfig, egcfg_collect};
/// let problems = load("mbpp", &LoadOptions { split: Some("test".into()), ..Default::default() })?;
/// let cfg = EgCfgConfig { gammas: vec![0.0, 1.0], out_dir: Some("runs/egcfg".into()), ..Default::default() };
/// let (run, missing) = egcfg_collect(&problems, "qwen2.5-coder-0.5b-instruct-q4_k_m", &cfg)?;
/// println!("{} answers, {} missing", run.generations.height(), missing.len());
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn egcfg_collect(
    problems: &DataFrame,
    model_name: &str,
    cfg: &EgCfgConfig,
) -> Result<(EgCfgRun, Vec<String>)> {
    if cfg.out_dir.is_none() {
        return Err(Error::Invalid(
            "EG-CFG collect: no out_dir to read the answers from".into(),
        ));
    }
    answers(problems, None, model_name, cfg)
}

/// The answers for every task and gamma: read back from their files, else
/// decoded with `ctx`, else (no model) listed as missing.
fn answers(
    problems: &DataFrame,
    ctx: Option<&Ctx>,
    model_name: &str,
    cfg: &EgCfgConfig,
) -> Result<(EgCfgRun, Vec<String>)> {
    if cfg.gammas.is_empty() {
        return Err(Error::Invalid("EG-CFG: no gamma given".into()));
    }
    let mut probs = problems_from_frame(problems)?;
    let system = system_prompt(&cfg.system)?;
    let dir = match &cfg.out_dir {
        Some(d) => {
            let dir = d.join(cfg.name());
            if ctx.is_some() {
                std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            }
            Some(dir)
        }
        None => None,
    };
    // With a model the checkpoint is the resume; without one (collect) the
    // shards' output files are what is merged.
    let checkpoint_path = ctx.and(cfg.checkpoint_path());
    let mut checkpoint = match &checkpoint_path {
        Some(p) => {
            crate::store::create_parent(p)?;
            Some(crate::store::Checkpoint::<Decoded>::open(p)?)
        }
        None => None,
    };
    let mut trace_cache: Cache = HashMap::new();
    let mut gens: Vec<Generation> = Vec::new();
    let mut results: Vec<RunResult> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    // Progress counts the answers still to decode (those in the checkpoint
    // are taken at once and would only distort the rate and ETA).
    let to_decode = if ctx.is_some() {
        probs
            .iter()
            .flat_map(|p| cfg.gammas.iter().map(move |&g| (p, g)))
            .filter(|(p, g)| {
                checkpoint
                    .as_ref()
                    .is_none_or(|c| !c.contains(&unit(&p.task_id, *g)))
            })
            .count()
    } else {
        0
    };
    let bar = crate::scale::Progress::new("egcfg", "answers", to_decode as u64, cfg.progress);
    for pi in 0..probs.len() {
        let problem = probs[pi].clone();
        let input = prompt_for(&problem, &cfg.prompt, system.as_deref())?;
        for (gi, &gamma) in cfg.gammas.iter().enumerate() {
            let file = dir.as_ref().map(|d| gamma_file(d, &problem.task_id, gamma));
            let key = unit(&problem.task_id, gamma);
            let resumed = match (&mut checkpoint, &file) {
                (Some(c), _) => c
                    .take(&key)
                    .and_then(|rows| rows.into_iter().next())
                    .map(|d| {
                        resumed_from(d.raw_output, d.gen_metadata, checkpoint_path.as_deref())
                    }),
                (None, Some(f)) if ctx.is_none() && f.exists() => Some(read_record(f)?),
                _ => None,
            };
            let decoded = resumed.is_none();
            let (raw, meta) = match (resumed, ctx) {
                (Some(found), _) => found,
                (None, None) => {
                    missing.push(format!("{} gamma={gamma:?}", problem.task_id));
                    continue;
                }
                (None, Some(ctx)) => {
                    let (raw, stats) =
                        decode_one(ctx, &problem, &input, gamma, cfg, &mut trace_cache)?;
                    let meta = json!({
                        "method": "egcfg", "config": cfg.name(), "model": model_name,
                        "s": cfg.candidates,
                        "t": cfg.temperature, "d": cfg.horizon, "gamma": gamma,
                        "prompt": cfg.prompt, "system": cfg.system, "seed": cfg.seed,
                        "max_new_tokens": cfg.max_new_tokens,
                        "max_signal_tokens": cfg.max_signal_tokens,
                        "stop_at_tests": cfg.stop_at_tests, "stats": stats,
                    });
                    // Recorded before it is evaluated: a kill after this
                    // point loses no decoding.
                    if let Some(c) = &mut checkpoint {
                        let d = Decoded {
                            raw_output: raw.clone(),
                            gen_metadata: meta.clone(),
                        };
                        c.record(&[(key.clone(), vec![d])])?;
                        c.sync()?;
                    }
                    (raw, meta)
                }
            };
            let g = Generation {
                task_id: problem.task_id.clone(),
                sample_idx: gi as i64,
                model: meta
                    .get("model")
                    .and_then(Value::as_str)
                    .unwrap_or(model_name)
                    .to_string(),
                prompt_id: format!("egcfg:{}", cfg.prompt),
                code: extract_code(&raw),
                raw_output: raw,
                gen_metadata: meta.to_string(),
            };
            let r = run(&mut probs, std::slice::from_ref(&g), &cfg.run)?
                .into_iter()
                .next()
                .ok_or_else(|| Error::Invalid("the run gave no result".into()))?;
            if let Some(f) = &file
                && !f.exists()
            {
                let rec = egcfg_record(&problem, &g, &r);
                let text = serde_json::to_string_pretty(&rec)
                    .map_err(|e| Error::Invalid(e.to_string()))?;
                // Written whole then renamed: a killed run leaves no half file.
                crate::store::write_atomic(f, text.as_bytes())?;
            }
            if decoded {
                let verdict = if r.passed {
                    "passed"
                } else {
                    r.status.as_str()
                };
                bar.set_message(format!("last: {} gamma={gamma} {verdict}", problem.task_id));
                bar.inc(1);
            }
            gens.push(g);
            results.push(r);
        }
    }
    bar.finish();
    Ok((
        EgCfgRun {
            generations: generations_frame(&gens)?,
            results: results_frame(&results)?,
        },
        missing,
    ))
}

/// A resumed answer's metadata names where it came from.
fn resumed_from(raw: String, mut meta: Value, path: Option<&Path>) -> (String, Value) {
    if let (Some(m), Some(p)) = (meta.as_object_mut(), path) {
        m.insert("resumed_from".into(), json!(p.display().to_string()));
    }
    (raw, meta)
}

fn read_record(path: &Path) -> Result<(String, Value)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::parse(path, 1, None, format!("invalid JSON: {e}")))?;
    let raw = v
        .get("raw_output")
        .and_then(Value::as_str)
        .or_else(|| v.get("code").and_then(Value::as_str))
        .ok_or_else(|| {
            Error::parse(
                path,
                1,
                Some("raw_output"),
                "missing (and no `code` either): not a codefail EG-CFG file",
            )
        })?
        .to_string();
    let meta = v.get("metadata").cloned().unwrap_or_else(|| json!({}));
    Ok(resumed_from(raw, meta, Some(path)))
}

/// Accuracy per gamma of an EG-CFG run: `gamma`, `n_tasks`, `passed`,
/// `accuracy` (%), `crash_rate` (% of answers ending in a syntax or runtime
/// error: status `error`), `wrong_rate`, `no_code_rate`, `rsr` against gamma
/// 0 (the greedy baseline; null when the run has no gamma 0), and one last
/// row `gamma = NaN`, `label = "solved by any gamma"`: a task counts when any
/// gamma solved it (the paper's headline counts this way; the per-gamma rows
/// are the honest accuracies).
///
/// ```no_run
/// # let run: codefail::methods::EgCfgRun = todo!();
/// let table = codefail::methods::egcfg_table(&run.generations, &run.results)?;
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn egcfg_table(generations: &DataFrame, results: &DataFrame) -> Result<DataFrame> {
    let gens = crate::data::generations_from_frame(generations)?;
    let res = crate::data::results_from_frame(results)?;
    let gamma_of: HashMap<(String, i64), f64> = gens
        .iter()
        .map(|g| {
            let gm = g.metadata_json()["gamma"].as_f64().unwrap_or(f64::NAN);
            ((g.task_id.clone(), g.sample_idx), gm)
        })
        .collect();
    let mut by_gamma: Vec<(f64, Vec<&RunResult>)> = Vec::new();
    for r in &res {
        let gm = gamma_of
            .get(&(r.task_id.clone(), r.sample_idx))
            .copied()
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "result {} #{} has no generation with a gamma",
                    r.task_id, r.sample_idx
                ))
            })?;
        match by_gamma.iter_mut().find(|(g, _)| *g == gm) {
            Some((_, v)) => v.push(r),
            None => by_gamma.push((gm, vec![r])),
        }
    }
    by_gamma.sort_by(|a, b| a.0.total_cmp(&b.0));
    let pct = |k: usize, n: usize| {
        if n == 0 {
            f64::NAN
        } else {
            100.0 * k as f64 / n as f64
        }
    };
    let base = by_gamma
        .iter()
        .find(|(g, _)| *g == 0.0)
        .map(|(_, v)| pct(v.iter().filter(|r| r.passed).count(), v.len()));
    let (mut gam, mut label, mut n_tasks, mut passed) = (vec![], vec![], vec![], vec![]);
    let (mut acc, mut crash, mut wrong, mut nocode, mut rsr) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (g, v) in &by_gamma {
        let n = v.len();
        let k = v.iter().filter(|r| r.passed).count();
        let count = |s: &str| v.iter().filter(|r| r.status == s).count();
        gam.push(*g);
        label.push(if *g == 0.0 {
            "gamma 0 (greedy baseline)".to_string()
        } else {
            format!("gamma {g}")
        });
        n_tasks.push(n as i64);
        passed.push(k as i64);
        acc.push(pct(k, n));
        crash.push(pct(count("error"), n));
        wrong.push(pct(count("failed"), n));
        nocode.push(pct(count("no_code"), n));
        rsr.push(base.map(|b| crate::metrics::rsr(pct(k, n), b)));
    }
    // Solved by any gamma.
    let mut any: HashMap<&str, bool> = HashMap::new();
    for r in &res {
        *any.entry(r.task_id.as_str()).or_default() |= r.passed;
    }
    let n = any.len();
    let k = any.values().filter(|&&p| p).count();
    gam.push(f64::NAN);
    label.push("solved by any gamma".into());
    n_tasks.push(n as i64);
    passed.push(k as i64);
    acc.push(pct(k, n));
    crash.push(f64::NAN);
    wrong.push(f64::NAN);
    nocode.push(f64::NAN);
    rsr.push(base.map(|b| crate::metrics::rsr(pct(k, n), b)));
    Ok(DataFrame::new(
        gam.len(),
        vec![
            Column::new("gamma".into(), gam),
            Column::new("label".into(), label),
            Column::new("n_tasks".into(), n_tasks),
            Column::new("passed".into(), passed),
            Column::new("accuracy".into(), acc),
            Column::new("crash_rate".into(), crash),
            Column::new("wrong_rate".into(), wrong),
            Column::new("no_code_rate".into(), nocode),
            Column::new("rsr".into(), rsr),
        ],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f32], b: &[f64]) -> bool {
        a.iter()
            .zip(b)
            .all(|(x, y)| (f64::from(*x) - y).abs() < 1e-5)
    }

    #[test]
    fn gamma_zero_is_unconditional_and_one_is_conditional() {
        let u = [0.5f32, -1.0, 2.0, 0.0];
        let c = [3.0f32, 0.0, -2.0, 1.0];
        assert!(close(&cfg_mix(&u, &c, 0.0), &log_softmax(&u)));
        assert!(close(&cfg_mix(&u, &c, 1.0), &log_softmax(&c)));
    }

    #[test]
    fn stronger_guidance_moves_past_the_conditional() {
        let u = [0.0f32, 0.0];
        let c = [1.0f32, 0.0];
        let p = |g| cfg_mix(&u, &c, g)[0].exp();
        // gamma 3: P ∝ P_u (P_c / P_u)^3 favours token 0 more than P_c does.
        assert!(p(0.5) > 0.5 && p(1.0) > p(0.5) && p(3.0) > p(1.0));
        let total: f32 = cfg_mix(&u, &c, 3.0).iter().map(|x| x.exp()).sum();
        assert!((total - 1.0).abs() < 1e-5);
    }

    #[test]
    fn impossible_tokens_stay_impossible_under_guidance() {
        let u = [0.0f32, f32::NEG_INFINITY];
        let c = [0.0f32, 0.0];
        assert_eq!(cfg_mix(&u, &c, 1.0)[1], f32::NEG_INFINITY);
        assert_eq!(cfg_mix(&u, &c, 0.0)[1], f32::NEG_INFINITY);
    }

    #[test]
    fn code_so_far_starts_after_the_fence() {
        let chat = PromptInput::Chat(vec![]);
        assert_eq!(code_so_far(&chat, "Here is it:\n"), None);
        assert_eq!(code_so_far(&chat, "Sure.\n```python"), None);
        assert_eq!(
            code_so_far(&chat, "Sure.\n```python\ndef f(x):\n"),
            Some("def f(x):\n".into())
        );
        let comp = PromptInput::Completion("def f(x):\n".into());
        assert_eq!(
            code_so_far(&comp, "    return 1"),
            Some("def f(x):\n    return 1".into())
        );
    }

    #[test]
    fn test_code_after_the_function_ends_the_answer() {
        let a = "Here:\n```python\nimport re\ndef f(x):\n    assert x\n    return x\n\n# Test cases\nassert f(1) == 1\n";
        assert_eq!(
            &a[..test_code_start(a).unwrap()],
            "Here:\n```python\nimport re\ndef f(x):\n    assert x\n    return x\n\n"
        );
        let b = "```python\ndef f(x):\n    return x\nassert f(1) == 1";
        assert_eq!(
            &b[..test_code_start(b).unwrap()],
            "```python\ndef f(x):\n    return x\n"
        );
        // Nothing before the first def is test code; a partial line waits.
        assert_eq!(
            test_code_start("```python\nassert True\ndef f():\n    pass\nasse"),
            None
        );
        assert_eq!(test_code_start("no code yet"), None);
    }

    #[test]
    fn the_answer_ends_where_its_code_block_closes() {
        assert_eq!(closing_fence("Sure:\n```python\ndef f"), None);
        assert_eq!(closing_fence("Sure:\n```python"), None);
        let a = "Sure:\n```python\nx = 1\n```\nMore text";
        assert_eq!(&a[..closing_fence(a).unwrap()], "Sure:\n```python\nx = 1\n");
    }

    #[test]
    fn the_signal_goes_into_the_last_user_message() {
        let chat = PromptInput::Chat(vec![
            Message::new("system", "sys"),
            Message::new("user", "task\n"),
        ]);
        let PromptInput::Chat(m) = with_signal(&chat, "SIGNAL") else {
            panic!("chat stays chat")
        };
        assert_eq!(m[0].content, "sys");
        assert_eq!(m[1].content, "task\n\nSIGNAL");
    }

    #[test]
    fn gamma_file_names_follow_egcfg() {
        let d = Path::new("x");
        assert_eq!(
            gamma_file(d, "Mbpp/11", 0.0),
            Path::new("x/task_id=11_gamma=0.0.json")
        );
        assert_eq!(
            gamma_file(d, "Mbpp/11", 0.5),
            Path::new("x/task_id=11_gamma=0.5.json")
        );
        assert_eq!(
            gamma_file(d, "Mbpp/11", 3.0),
            Path::new("x/task_id=11_gamma=3.0.json")
        );
    }
}

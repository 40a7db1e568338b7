//! `sample`: problems frame in, generations frame out, through a local model
//! run with candle (CPU by default, CUDA with the `cuda` feature).
//!
//! The generations frame has the columns of [`crate::data::generations_schema`]
//! plus, per answer, the chosen tokens and what the model thought of them:
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `token_ids` | list[u32] | chosen token ids (stop token excluded) |
//! | `token_logprobs` | list[f32] | log p(token) under the model (temperature 1, unfiltered) |
//! | `token_entropies` | list[f32] | entropy (nats) of the model's next-token distribution |
//!
//! `gen_metadata` holds the sampling settings, `prompt_tokens`, `new_tokens`,
//! `finish_reason` (`stop` | `length`), and the time profile: `gen_s` (this
//! answer's share of its batch's model time), `batch_prefill_s`,
//! `batch_decode_s`, `batch_rows`.
//!
//! ```no_run
//! use codefail::prelude::*;
//! use codefail::data::load;
//! use codefail::sample::{Model, ModelOptions, SampleConfig, sample};
//! let problems = load("mbpp", &LoadOptions { split: Some("test".into()), limit: Some(2), ..Default::default() })?;
//! let model = Model::load("~/.cache/codefail/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", &ModelOptions::default())?;
//! let gens = sample(&problems, &model, &SampleConfig::default())?;
//! # Ok::<(), codefail::Error>(())
//! ```

mod prompts;

// The model runtime's types the stage takes and gives, re-exported so that a
// notebook needs one path (`codefail::sample::Model`, `Sampling`, ...).
pub use crate::runtime::{
    ChatTemplate, DENSE_PREFILL_MAX_BYTES, Decoder, DecoderConfig, DeviceChoice, GgufModel,
    KvCache, MODELS, Message, Model, ModelOptions, PromptJob, Sampled, Sampling, SpecialTokens,
    Timing, choose, cuda_available, fetch_models, generate_batch, hf_cache_root, model_dir,
    models_dir, pin_cpu_threads, sample_rng, tokenizer_from_gguf,
};
pub use prompts::{
    LCB_SYSTEM, PROMPT_IDS, PromptInput, default_stops, prompt_for, system_prompt,
    with_prompt_stops,
};

use crate::data::{Generation, Problem, extract_code, generations_frame, problems_from_frame};
use crate::{Error, Result};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

/// Column names `sample` adds to the generations frame.
pub mod columns {
    /// list[u32]: chosen token ids.
    pub const TOKEN_IDS: &str = "token_ids";
    /// list[f32]: log-probability of each chosen token.
    pub const TOKEN_LOGPROBS: &str = "token_logprobs";
    /// list[f32]: entropy of each step's distribution.
    pub const TOKEN_ENTROPIES: &str = "token_entropies";
}

/// Settings of a sampling run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleConfig {
    /// Prompt id (see [`PROMPT_IDS`]).
    pub prompt: String,
    /// System prompt id (`none`, `expert`, `lcb`).
    pub system: String,
    /// Samples per problem.
    pub n: usize,
    /// Prompts decoded together (left-padded; Llama/Qwen2 family only).
    pub batch_size: usize,
    /// Token choice.
    pub sampling: Sampling,
    /// Resume: each task's answers are recorded in this checkpoint once all
    /// `n` are in, and a later call with the same checkpoint takes them
    /// from there instead of sampling them again (a task cut short by a kill
    /// is sampled again). `None`: no checkpoint.
    pub checkpoint: Option<std::path::PathBuf>,
    /// A progress bar (tokens/s) on stderr; log lines when not a terminal.
    pub progress: bool,
    /// Start no new batch once this much time has passed since the call
    /// began (a job with a wall-time limit, a timed GPU loan): the frame
    /// then holds the tasks finished by then, in order, and the checkpoint
    /// has them, so a later call samples only the rest. `None`: no limit.
    pub time_budget: Option<std::time::Duration>,
}

impl Default for SampleConfig {
    fn default() -> Self {
        SampleConfig {
            prompt: "mbpp-instruct".into(),
            system: "none".into(),
            n: 1,
            batch_size: 1,
            sampling: Sampling::default(),
            checkpoint: None,
            progress: false,
            time_budget: None,
        }
    }
}

/// One answer with its token record (a row of `sample`'s frame).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleRow {
    /// The generations-frame part.
    #[serde(flatten)]
    pub generation: Generation,
    /// Chosen token ids.
    pub token_ids: Vec<u32>,
    /// Their log-probabilities.
    pub token_logprobs: Vec<f32>,
    /// Step entropies.
    pub token_entropies: Vec<f32>,
}

/// The text fed to the model for `problem`: the chat template rendered with
/// the generation prompt, or the plain completion prompt.
///
/// ```no_run
/// # let model = codefail::sample::Model::load("m.gguf", &Default::default())?;
/// # let problem: codefail::data::Problem = todo!();
/// let text = codefail::sample::render_prompt(&model, &problem, &Default::default())?;
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn render_prompt(model: &Model, problem: &Problem, cfg: &SampleConfig) -> Result<String> {
    let system = system_prompt(&cfg.system)?;
    match prompt_for(problem, &cfg.prompt, system.as_deref())? {
        PromptInput::Completion(t) => Ok(t),
        PromptInput::Chat(messages) => match model.chat_template() {
            Some(t) => t.render(&messages, true).map_err(|e| Error::Model {
                path: model.path.clone(),
                message: e,
            }),
            None => Err(Error::Model {
                path: model.path.clone(),
                message: format!(
                    "prompt `{}` is a chat prompt but the model has no chat template",
                    cfg.prompt
                ),
            }),
        },
    }
}

/// Sample `cfg.n` answers for every problem of the frame; see the module
/// docs for the columns. Rows come in the problems' order. With
/// [`SampleConfig::checkpoint`] the call resumes: tasks whose answers the
/// checkpoint holds are taken from it, and each newly finished task is
/// recorded there.
///
/// ```no_run
/// # let (problems, model): (polars::prelude::DataFrame, codefail::sample::Model) = todo!();
/// let gens = codefail::sample::sample(&problems, &model, &Default::default())?;
/// assert!(gens.column("token_logprobs").is_ok());
/// let cfg = codefail::sample::SampleConfig { checkpoint: Some("gens.checkpoint.jsonl".into()), ..Default::default() };
/// let again = codefail::sample::sample(&problems, &model, &cfg)?; // resumable
/// // At most about a minute of decoding (the batch under way finishes):
/// let budget = Some(std::time::Duration::from_secs(60));
/// let first = codefail::sample::sample(&problems, &model, &codefail::sample::SampleConfig { time_budget: budget, ..cfg })?;
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn sample(problems: &DataFrame, model: &Model, cfg: &SampleConfig) -> Result<DataFrame> {
    if cfg.n == 0 {
        return Err(Error::Invalid("n must be at least 1".into()));
    }
    let all = problems_from_frame(problems)?;
    let mut checkpoint = match &cfg.checkpoint {
        Some(p) => {
            crate::store::create_parent(p)?;
            Some(crate::store::Checkpoint::<SampleRow>::open(p)?)
        }
        None => None,
    };
    // A task is one unit of the checkpoint, recorded once all its `n`
    // answers are in.
    let mut rows: Vec<SampleRow> = Vec::new();
    let mut todo: Vec<Problem> = Vec::new();
    for p in &all {
        match checkpoint.as_mut().and_then(|c| c.take(&p.task_id)) {
            Some(r) if r.len() >= cfg.n => rows.extend(r),
            _ => todo.push(p.clone()),
        }
    }
    let bar = crate::scale::Progress::new(
        "sample",
        "answers",
        (todo.len() * cfg.n) as u64,
        cfg.progress,
    );
    let (mut tokens, mut model_s) = (0usize, 0.0f64);
    let mut pending: std::collections::BTreeMap<String, Vec<SampleRow>> = Default::default();
    sample_each(&todo, model, cfg, |batch| {
        let mut finished = Vec::new();
        for r in batch {
            tokens += r.token_ids.len();
            model_s += r.generation.metadata_json()["gen_s"]
                .as_f64()
                .unwrap_or(0.0);
            // Only a checkpoint needs the answers grouped by task.
            if checkpoint.is_none() {
                continue;
            }
            let task = r.generation.task_id.clone();
            let answers = pending.entry(task.clone()).or_default();
            answers.push(r.clone());
            if answers.len() >= cfg.n
                && let Some(answers) = pending.remove(&task)
            {
                finished.push((task, answers));
            }
        }
        if let Some(c) = &mut checkpoint {
            c.record(&finished)?;
            c.sync()?;
        }
        rows.extend_from_slice(batch);
        bar.set_message(format!("{:.1} tok/s", tokens as f64 / model_s.max(1e-9)));
        bar.inc(batch.len() as u64);
        Ok(())
    })?;
    bar.finish();
    // Rows in the problems' order, as they would be without a resume.
    let order: std::collections::HashMap<&str, usize> = all
        .iter()
        .enumerate()
        .map(|(i, p)| (p.task_id.as_str(), i))
        .collect();
    rows.sort_by_key(|r| {
        (
            order.get(r.generation.task_id.as_str()).copied(),
            r.generation.sample_idx,
        )
    });
    sample_frame(&rows)
}

/// The sampling loop: each finished batch of rows goes to `sink`.
fn sample_each(
    problems: &[Problem],
    model: &Model,
    cfg: &SampleConfig,
    mut sink: impl FnMut(&[SampleRow]) -> Result<()>,
) -> Result<()> {
    let sampling = with_prompt_stops(&cfg.sampling, &cfg.prompt);
    let t0 = std::time::Instant::now();
    for chunk in problems.chunks(cfg.batch_size.max(1)) {
        if cfg.time_budget.is_some_and(|b| t0.elapsed() >= b) {
            break;
        }
        let mut jobs = Vec::with_capacity(chunk.len());
        for p in chunk {
            let text = render_prompt(model, p, cfg)?;
            jobs.push(PromptJob {
                ids: model.encode(&text)?,
                n: cfg.n,
                key: p.task_id.clone(),
            });
        }
        let (out, timing) = generate_batch(model, &jobs, &sampling)?;
        let batch_rows: usize = out.iter().map(Vec::len).sum();
        let model_s = timing.prefill_s + timing.decode_s;
        let mut rows = Vec::with_capacity(batch_rows);
        for (p, samples) in chunk.iter().zip(out) {
            for s in samples {
                let raw = s.text.clone();
                let code = if cfg.prompt == "humaneval-complete" {
                    Some(format!("{}{}", p.prompt, raw))
                } else {
                    extract_code(&raw)
                };
                let meta = serde_json::json!({
                    "temperature": sampling.temperature,
                    "top_p": sampling.top_p,
                    "top_k": sampling.top_k,
                    "seed": sampling.seed,
                    "max_new_tokens": sampling.max_new_tokens,
                    "system": cfg.system,
                    "prompt_tokens": s.prompt_tokens,
                    "new_tokens": s.token_ids.len(),
                    "finish_reason": s.finish_reason,
                    "gen_s": model_s / batch_rows.max(1) as f64,
                    "batch_prefill_s": timing.prefill_s,
                    "batch_decode_s": timing.decode_s,
                    "batch_rows": batch_rows,
                    "device": if model.device.is_cpu() { "cpu" } else { "cuda" },
                });
                rows.push(SampleRow {
                    generation: Generation {
                        task_id: p.task_id.clone(),
                        sample_idx: s.sample_idx as i64,
                        model: model.name().to_string(),
                        prompt_id: cfg.prompt.clone(),
                        raw_output: raw,
                        code,
                        gen_metadata: meta.to_string(),
                    },
                    token_ids: s.token_ids,
                    token_logprobs: s.logprobs,
                    token_entropies: s.entropies,
                });
            }
        }
        sink(&rows)?;
    }
    Ok(())
}

/// The generations frame of sampled rows (token columns included).
///
/// ```
/// let df = codefail::sample::sample_frame(&[]).unwrap();
/// assert!(df.column("token_logprobs").is_ok());
/// ```
pub fn sample_frame(rows: &[SampleRow]) -> Result<DataFrame> {
    let gens: Vec<Generation> = rows.iter().map(|r| r.generation.clone()).collect();
    let mut df = generations_frame(&gens)?;
    let ids = if rows.is_empty() {
        Column::new_empty(
            columns::TOKEN_IDS.into(),
            &DataType::List(Box::new(DataType::UInt32)),
        )
    } else {
        let mut lc: ListChunked = rows
            .iter()
            .map(|r| Some(Series::new("".into(), &r.token_ids)))
            .collect();
        lc.rename(columns::TOKEN_IDS.into());
        lc.into_series().into()
    };
    let lp = list_f32(rows, columns::TOKEN_LOGPROBS, |r| &r.token_logprobs);
    let ent = list_f32(rows, columns::TOKEN_ENTROPIES, |r| &r.token_entropies);
    df.with_column(ids)?;
    df.with_column(lp)?;
    df.with_column(ent)?;
    Ok(df)
}

fn list_f32(rows: &[SampleRow], name: &str, f: impl Fn(&SampleRow) -> &Vec<f32>) -> Column {
    if rows.is_empty() {
        return Column::new_empty(name.into(), &DataType::List(Box::new(DataType::Float32)));
    }
    let mut lc: ListChunked = rows
        .iter()
        .map(|r| Some(Series::new("".into(), f(r))))
        .collect();
    lc.rename(name.into());
    lc.into_series().into()
}

/// Per answer, summaries of its token record: `n_new_tokens`,
/// `mean_logprob`, `min_logprob`, `mean_entropy`, `max_entropy` (keyed by
/// `model`, `task_id`, `sample_idx`), ready to set against verdicts.
///
/// ```
/// let rows = vec![];
/// let df = codefail::sample::token_stats(&codefail::sample::sample_frame(&rows).unwrap()).unwrap();
/// assert!(df.column("mean_logprob").is_ok());
/// ```
pub fn token_stats(gens: &DataFrame) -> Result<DataFrame> {
    fn missing(name: &'static str) -> impl Fn(Error) -> Error {
        move |_| {
            Error::column(
                name,
                "missing or not a list: the frame does not come from `sample`",
            )
        }
    }
    let lp = crate::data::read::float_lists(gens, columns::TOKEN_LOGPROBS)
        .map_err(missing(columns::TOKEN_LOGPROBS))?;
    let ent = crate::data::read::float_lists(gens, columns::TOKEN_ENTROPIES)
        .map_err(missing(columns::TOKEN_ENTROPIES))?;
    let mean = |v: &Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let min = |v: &Vec<f64>| v.iter().copied().reduce(f64::min);
    let max = |v: &Vec<f64>| v.iter().copied().reduce(f64::max);
    let mut df = gens.select([
        crate::data::schema::generations::MODEL,
        crate::data::schema::generations::TASK_ID,
        crate::data::schema::generations::SAMPLE_IDX,
    ])?;
    df.with_column(Column::new(
        "n_new_tokens".into(),
        lp.iter().map(|v| v.len() as i64).collect::<Vec<_>>(),
    ))?;
    df.with_column(Column::new(
        "mean_logprob".into(),
        lp.iter().map(mean).collect::<Vec<_>>(),
    ))?;
    df.with_column(Column::new(
        "min_logprob".into(),
        lp.iter().map(min).collect::<Vec<_>>(),
    ))?;
    df.with_column(Column::new(
        "mean_entropy".into(),
        ent.iter().map(mean).collect::<Vec<_>>(),
    ))?;
    df.with_column(Column::new(
        "max_entropy".into(),
        ent.iter().map(max).collect::<Vec<_>>(),
    ))?;
    Ok(df)
}

/// `results` with each answer's [`token_stats`] and model time (`gen_s`)
/// added, matched on `model`, `task_id`, `sample_idx`.
///
/// ```
/// use polars::prelude::*;
/// let gens = codefail::sample::sample_frame(&[]).unwrap();
/// let res = df!("model" => Vec::<String>::new(), "task_id" => Vec::<String>::new(), "sample_idx" => Vec::<i64>::new()).unwrap();
/// let out = codefail::sample::with_token_stats(&res, &gens).unwrap();
/// assert!(out.column("mean_entropy").is_ok());
/// ```
pub fn with_token_stats(results: &DataFrame, gens: &DataFrame) -> Result<DataFrame> {
    let stats = token_stats(gens)?;
    let timed = crate::data::with_metadata(&stats, gens, &["gen_s"])?;
    let keys = ["model", "task_id", "sample_idx"];
    let rows = crate::data::match_rows(results, &timed, &keys)?;
    let take = IdxCa::from_iter_options(
        "idx".into(),
        rows.into_iter().map(|r| r.map(|r| r as IdxSize)),
    );
    let mut out = results.clone();
    for name in [
        "n_new_tokens",
        "mean_logprob",
        "min_logprob",
        "mean_entropy",
        "max_entropy",
        "gen_s",
    ] {
        let col = timed.column(name)?.take(&take)?;
        out.with_column(col)?;
    }
    Ok(out)
}

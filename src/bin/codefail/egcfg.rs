//! `codefail egcfg`: eG-CFG: execution-guided line-by-line decoding with classifier-free

use super::*;

/// EG-CFG: execution-guided line-by-line decoding with classifier-free
/// guidance; one answer per task and gamma, evaluated on all tests.
#[derive(Args)]
pub(crate) struct Cmd {
    #[command(flatten)]
    pub(crate) source: ProblemSource,
    #[command(flatten)]
    pub(crate) tasks: TaskArgs,
    /// A .gguf file, a model folder, a hub id in the HF cache, or a fetched
    /// model's name (`smollm2` / `qwen2.5-coder-0.5b`).
    #[arg(long)]
    pub(crate) model: String,
    /// Prompt id (mbpp-instruct, mbpp-deepseek-3shot, humaneval-complete).
    #[arg(long, default_value_t = codefail::methods::EgCfgConfig::default().prompt)]
    pub(crate) prompt: String,
    /// System prompt id: none, expert.
    #[arg(long, default_value_t = codefail::methods::EgCfgConfig::default().system)]
    pub(crate) system: String,
    /// s: candidate continuations per line.
    #[arg(long, default_value_t = codefail::methods::EgCfgConfig::default().candidates)]
    pub(crate) candidates: usize,
    /// t: the candidates' temperature (the answer itself is greedy).
    #[arg(long, default_value_t = codefail::methods::EgCfgConfig::default().temperature)]
    pub(crate) temperature: f64,
    /// d: lines per candidate.
    #[arg(long, default_value_t = codefail::methods::EgCfgConfig::default().horizon)]
    pub(crate) horizon: usize,
    /// Guidance strengths (comma-separated); 0 is the greedy baseline.
    #[arg(long, value_delimiter = ',', default_values_t = codefail::methods::EgCfgConfig::default().gammas)]
    pub(crate) gammas: Vec<f64>,
    /// Keep decoding after the function when the model starts writing
    /// top-level test code (asserts, prints); by default the answer ends there.
    #[arg(long)]
    pub(crate) keep_tests: bool,
    /// Tokens of dynamic signal at most (entries that do not fit are left out).
    #[arg(long, default_value_t = codefail::methods::EgCfgConfig::default().max_signal_tokens)]
    pub(crate) max_signal_tokens: usize,
    #[arg(long, default_value_t = codefail::methods::EgCfgConfig::default().max_new_tokens)]
    pub(crate) max_new_tokens: usize,
    #[arg(long, default_value_t = codefail::methods::EgCfgConfig::default().seed)]
    pub(crate) seed: u64,
    /// Seconds per traced call of a candidate.
    #[arg(long, default_value_t = codefail::methods::EgCfgConfig::default().trace.timeout)]
    pub(crate) trace_timeout: f64,
    /// Seconds per test of the final evaluation.
    #[arg(long, default_value_t = codefail::methods::EgCfgConfig::default().run.timeout)]
    pub(crate) timeout: f64,
    /// EG-CFG's layout: <out-dir>/ns{s}t{t}d{d}/task_id=N_gamma=G.json;
    /// decoded answers are also recorded in
    /// <out-dir>/ns{s}t{t}d{d}[.shard-I-of-N].checkpoint.jsonl, and a rerun
    /// takes them from there instead of decoding them again.
    #[arg(long)]
    pub(crate) out_dir: PathBuf,
    /// Also write the generations frame (.parquet, else JSON Lines).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Also write the results frame.
    #[arg(long)]
    pub(crate) results: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) device: DeviceArgs,
    /// Work on shard I of N of the tasks. Each task's answers go to their
    /// own files under --out-dir, so shards never collide; once all are
    /// done, the same command without --shard reads every file (nothing is
    /// decoded again) and writes the whole frames and table.
    #[command(flatten)]
    pub(crate) shard: ShardArgs,
    /// Merge the shards: read every answer's file under --out-dir without
    /// loading the model or decoding anything; answers without a file are
    /// listed and the command fails (unless --allow-missing).
    #[arg(long, conflicts_with_all = ["gpu", "device"])]
    pub(crate) collect: bool,
    /// With --collect: write the frames and table of the answers found
    /// even when some are missing (they are still listed).
    #[arg(long, requires = "collect")]
    pub(crate) allow_missing: bool,
}

pub(crate) fn run(cmd: Cmd, g: &Globals) -> anyhow::Result<()> {
    let Cmd {
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
    } = cmd;
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
    let mut cfg = codefail::methods::EgCfgConfig {
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
    // One checkpoint per shard (shards of a Slurm array may share out_dir).
    cfg.checkpoint = Some(out_dir.join(if shard.is_whole() {
        format!("{}.checkpoint.jsonl", cfg.name())
    } else {
        format!(
            "{}.shard-{}-of-{}.checkpoint.jsonl",
            cfg.name(),
            shard.index,
            shard.count
        )
    }));
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
            let (run, missing) = codefail::methods::egcfg_collect(&problems, &model_name, &cfg)?;
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
    Ok(())
}

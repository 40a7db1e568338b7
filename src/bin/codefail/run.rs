//! `codefail run`: execute generations against a benchmark's tests in the sandbox.

use super::*;

/// Execute generations against a benchmark's tests in the sandbox.
#[derive(Args)]
pub(crate) struct Cmd {
    #[command(flatten)]
    pub(crate) source: ProblemSource,
    /// Generations in any importer format (or an EG-CFG results folder).
    #[arg(long)]
    pub(crate) generations: PathBuf,
    /// Results file (.parquet, else JSON Lines). A `<out>.checkpoint.jsonl`
    /// beside it makes an interrupted run resume where it stopped.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Seconds per test.
    #[arg(long, default_value_t = codefail::exec::RunConfig::default().timeout)]
    pub(crate) timeout: f64,
    /// Seconds for a whole program (all its tests); 0: no such limit.
    #[arg(long, default_value_t = codefail::exec::RunConfig::default().program_timeout)]
    pub(crate) program_timeout: f64,
    /// Address-space limit per program (MiB).
    #[arg(long, default_value_t = codefail::exec::RunConfig::default().memory_mb)]
    pub(crate) memory_mb: u64,
    /// Parallel workers (default: the number of cores).
    #[arg(long)]
    pub(crate) jobs: Option<usize>,
    /// Also run MBPP's challenge asserts.
    #[arg(long)]
    pub(crate) with_challenge: bool,
    /// Stop each program at its first failing test (EvalPlus's default);
    /// verdicts are unchanged, later tests stay not_run.
    #[arg(long)]
    pub(crate) fail_fast: bool,
    /// MBPP+: judge Mbpp/164 and Mbpp/295 by their expected outputs, not by
    /// EvalPlus 0.3.1's rules that accept any output / 0 there.
    #[arg(long)]
    pub(crate) strict_oracles: bool,
    /// PYTHONHASHSEED of every program.
    #[arg(long, default_value_t = codefail::exec::RunConfig::default().hash_seed)]
    pub(crate) hash_seed: u64,
    /// Python interpreter.
    #[arg(long, default_value_t = codefail::exec::RunConfig::default().python)]
    pub(crate) python: String,
    #[command(flatten)]
    pub(crate) shard: ShardArgs,
}

pub(crate) fn run(cmd: Cmd, g: &Globals) -> anyhow::Result<()> {
    let Cmd {
        source,
        generations,
        out,
        timeout,
        program_timeout,
        memory_mb,
        jobs,
        with_challenge,
        fail_fast,
        strict_oracles,
        hash_seed,
        python,
        shard,
    } = cmd;
    let t0 = std::time::Instant::now();
    let shard = shard.get();
    let config = merged(&[
        source.describe(),
        json!({
            "generations": generations.display().to_string(),
            "timeout": timeout, "program_timeout": program_timeout,
            "memory_mb": memory_mb, "with_challenge": with_challenge,
            "fail_fast": fail_fast, "strict_oracles": strict_oracles,
            "hash_seed": hash_seed, "python": python,
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
        strict_oracles,
        hash_seed,
        python,
        progress: !g.quiet,
        ..Default::default()
    };
    cfg.check()?;
    let footer = source.footer();
    let Some(problems) = source.load()? else {
        anyhow::bail!("give --dataset NAME or --problems FILE");
    };
    let (gens, report) = data::load_generations(&generations, &Default::default())?;
    for w in report.warnings() {
        eprintln!("warning: {w}");
    }
    let spec = StageSpec {
        command: "run",
        config: config.clone(),
        input: &gens,
        rows_per_task: None,
        keeps_output: false,
    };
    let Some(mut stage) = g.begin(&spec, &out, shard)? else {
        return Ok(());
    };
    let mine = stage.mine(&gens)?;
    if let Some(t) = stage.tracker.as_mut() {
        t.record_python(&cfg.python);
    }
    let load_s = secs(t0);
    cfg.checkpoint = Some(stage.part.checkpoint());
    let t1 = std::time::Instant::now();
    let mut records = data::problems_from_frame(&problems)?;
    let rows = exec::run(&mut records, &data::generations_from_frame(&mine)?, &cfg)?;
    let mut results = data::results_frame(&rows)?;
    let run_s = secs(t1);
    let part = stage.part.part.clone();
    data::write_results_with(&mut results, &part, &footer)?;
    let tasks: Vec<String> = records.into_iter().map(|p| p.task_id).collect();
    let s = exec::summary(&results, Some(&tasks))?;
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
        part.display()
    );
    let metrics = merged(&[json!({"rows": results.height()}), s]);
    stage.finish(
        results.height(),
        vec![("results", &mut results)],
        json!({"results": part.display().to_string()}),
        json!({"load_s": load_s, "run_s": run_s, "total_s": secs(t0)}),
        metrics,
    )?;
    Ok(())
}

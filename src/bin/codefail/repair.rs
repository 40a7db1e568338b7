//! `codefail repair`: multi-turn repair: answer, run the tests, feed the public failures

use super::*;

/// Multi-turn repair: answer, run the tests, feed the public failures
/// back, answer again (up to --max-turns); writes `GenerationResult` JSON Lines.
#[derive(Args)]
pub(crate) struct Cmd {
    #[command(flatten)]
    pub(crate) source: ProblemSource,
    #[command(flatten)]
    pub(crate) tasks: TaskArgs,
    /// Public tests per task (shown to the model; the rest are private).
    #[arg(long)]
    pub(crate) n_public: Option<usize>,
    #[command(flatten)]
    pub(crate) decoding: GenArgs,
    /// Answers per problem at most.
    #[arg(long, default_value_t = codefail::methods::RepairConfig::default().max_turns)]
    pub(crate) max_turns: usize,
    /// Success needs the private tests to pass too.
    #[arg(long)]
    pub(crate) should_pass_private: bool,
    /// Problems answered together.
    #[arg(long, default_value_t = codefail::methods::RepairConfig::default().batch_size)]
    pub(crate) batch_size: usize,
    /// Seconds per test.
    #[arg(long, default_value_t = codefail::methods::RepairConfig::default().run.timeout)]
    pub(crate) timeout: f64,
    /// `GenerationResult` JSON Lines, one line per problem as it finishes.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Also write the per-turn frame here (.parquet, else JSON Lines).
    #[arg(long)]
    pub(crate) turns: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) shard: ShardArgs,
}

pub(crate) fn run(cmd: Cmd, g: &Globals) -> anyhow::Result<()> {
    let Cmd {
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
    } = cmd;
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
    let spec = StageSpec {
        command: "repair",
        config: config.clone(),
        input: &problems,
        rows_per_task: Some(1),
        keeps_output: true,
    };
    let Some(mut stage) = g.begin(&spec, &out, shard)? else {
        return Ok(());
    };
    let mine = stage.mine(&problems)?;
    let part = stage.part.part.clone();
    if let Some(t) = stage.tracker.as_mut() {
        t.record_python("python3");
    }
    let t1 = std::time::Instant::now();
    let model = decoding.load_model()?;
    let model_load_s = secs(t1);
    if let Some(t) = stage.tracker.as_mut() {
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
        out: Some(part.clone()),
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
    let success = done.profile.column("success")?.bool()?.sum().unwrap_or(0);
    eprintln!(
        "repaired {} problems: {} succeeded within {} turns, {:.1}s; wrote {}",
        done.profile.height(),
        success,
        max_turns,
        secs(t0),
        part.display()
    );
    let n = done.profile.height();
    stage.finish(
        n,
        vec![
            ("generations", &mut done.generations),
            ("turns", &mut done.turns),
            ("profile", &mut done.profile),
        ],
        json!({"generation_results": part.display().to_string(),
               "turns": turns_path.map(|p| p.display().to_string())}),
        json!({"model_load_s": model_load_s, "repair_s": repair_s, "total_s": secs(t0)}),
        json!({"rows": n, "n_tasks": n, "n_passed": success,
               "pass_at_1": success as f64 / n.max(1) as f64}),
    )?;
    Ok(())
}

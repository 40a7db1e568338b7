//! `codefail sample`: sample answers from a local model (GGUF file, HF folder or cached hub id).

use super::*;

/// Sample answers from a local model (GGUF file, HF folder or cached hub id).
#[derive(Args)]
pub(crate) struct Cmd {
    #[command(flatten)]
    pub(crate) source: ProblemSource,
    #[command(flatten)]
    pub(crate) tasks: TaskArgs,
    #[command(flatten)]
    pub(crate) decoding: GenArgs,
    /// Samples per task.
    #[arg(long, default_value_t = codefail::sample::SampleConfig::default().n)]
    pub(crate) n: usize,
    /// Prompts decoded together (Llama/Qwen2 family).
    #[arg(long, default_value_t = codefail::sample::SampleConfig::default().batch_size)]
    pub(crate) batch_size: usize,
    /// Output (.parquet to resume into; a `<out>.checkpoint.jsonl` beside it
    /// keeps finished tasks if the run is interrupted).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Start no new batch after this many seconds (a job's wall-time limit,
    /// a timed GPU loan): the output holds the tasks finished by then, the
    /// part is left unfinished, and the same command again samples the rest.
    #[arg(long, value_name = "SECONDS")]
    pub(crate) time_budget: Option<f64>,
    #[command(flatten)]
    pub(crate) shard: ShardArgs,
}

pub(crate) fn run(cmd: Cmd, g: &Globals) -> anyhow::Result<()> {
    let Cmd {
        source,
        tasks,
        decoding,
        n,
        batch_size,
        out,
        time_budget,
        shard,
    } = cmd;
    let t0 = std::time::Instant::now();
    // Not part of the run's settings: a rerun with another budget (or none)
    // continues the same run.
    if time_budget.is_some() && !data::is_parquet(&out) {
        anyhow::bail!(
            "--time-budget needs a .parquet --out (the next run continues from it), not {}",
            out.display()
        );
    }
    let time_budget = match time_budget {
        Some(s) if s.is_finite() && s >= 0.0 => Some(std::time::Duration::from_secs_f64(s)),
        Some(s) => anyhow::bail!("--time-budget: {s} is not a number of seconds >= 0"),
        None => None,
    };
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
        ..Default::default()
    };
    let spec = StageSpec {
        command: "sample",
        config: config.clone(),
        input: &problems,
        rows_per_task: Some(n),
        keeps_output: true,
    };
    let Some(mut stage) = g.begin(&spec, &out, shard)? else {
        return Ok(());
    };
    let mine = stage.mine(&problems)?;
    let part = stage.part.part.clone();
    let t1 = std::time::Instant::now();
    let model = decoding.load_model()?;
    let model_load_s = secs(t1);
    if let Some(t) = stage.tracker.as_mut() {
        t.record_model(model.path())?;
    }
    // Tasks already in the output are not sampled again (a rerun with more
    // tasks adds to it); finished tasks of an interrupted run come back from
    // the part's checkpoint.
    let t2 = std::time::Instant::now();
    let previous = if part.exists() {
        if !data::is_parquet(&part) {
            anyhow::bail!(
                "{} exists; resuming needs a .parquet output (or delete it)",
                part.display()
            );
        }
        Some(data::read_parquet(&part)?)
    } else {
        None
    };
    let mut in_output = std::collections::HashSet::new();
    if let Some(prev) = &previous {
        for t in prev.column("task_id")?.str()?.iter().flatten() {
            in_output.insert(t.to_string());
        }
    }
    let keep: polars::prelude::BooleanChunked = mine
        .column("task_id")?
        .str()?
        .iter()
        .map(|t| t.is_none_or(|t| !in_output.contains(t)))
        .collect();
    let todo = mine.filter(&keep)?;
    let checkpoint = stage.part.checkpoint();
    // Tasks of this run that an interrupted one finished (`sample` takes
    // them from the checkpoint; counted here for the report).
    let from_checkpoint = if checkpoint.exists() {
        let c = codefail::store::Checkpoint::<serde_json::Value>::open(&checkpoint)?;
        todo.column("task_id")?
            .str()?
            .iter()
            .flatten()
            .filter(|t| c.contains(t))
            .count()
    } else {
        0
    };
    let cfg = codefail::sample::SampleConfig {
        checkpoint: Some(checkpoint.clone()),
        progress: !g.quiet,
        time_budget,
        ..cfg
    };
    let new = codefail::sample::sample(&todo, &model, &cfg)?;
    let (mut tokens, mut model_s) = (0.0, 0.0);
    for answer in data::generations_from_frame(&new)? {
        let m = answer.metadata_json();
        tokens += m["new_tokens"].as_f64().unwrap_or(0.0);
        model_s += m["gen_s"].as_f64().unwrap_or(0.0);
    }
    let tokens_per_s = tokens / f64::max(model_s, 1e-9);
    let new_rows = new.height();
    let mut written = match previous {
        Some(prev) => prev.vstack(&new)?,
        None => new,
    };
    data::write_parquet_or_jsonl(&mut written, &part)?;
    // The output has every finished task now.
    if let Err(e) = std::fs::remove_file(&checkpoint)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        return Err(anyhow::anyhow!("{}: {e}", checkpoint.display()));
    }
    let sample_s = secs(t2);
    let rows = written.height();
    let resumed_tasks = mine.height() - todo.height() + from_checkpoint;
    let done: std::collections::HashSet<&str> =
        written.column("task_id")?.str()?.iter().flatten().collect();
    let left = mine
        .column("task_id")?
        .str()?
        .iter()
        .flatten()
        .filter(|t| !done.contains(t))
        .count();
    eprintln!(
        "sampled {new_rows} answers ({resumed_tasks} tasks resumed from earlier runs) in {sample_s:.1}s, {tokens_per_s:.1} tokens/s; wrote {}",
        part.display()
    );
    let mut frame = data::is_parquet(&part).then_some(written);
    let frames = frame
        .as_mut()
        .map(|f| ("generations", f))
        .into_iter()
        .collect();
    let outputs = json!({"generations": part.display().to_string()});
    let timings = json!({"model_load_s": model_load_s, "sample_s": sample_s, "total_s": secs(t0)});
    let mut metrics = json!({"rows": rows, "new_rows": new_rows, "resumed_tasks": resumed_tasks,
                             "tokens_per_s": tokens_per_s, "n_tasks": mine.height()});
    if left > 0 {
        eprintln!(
            "time budget reached: {left} of {} tasks not sampled yet; the same command samples them",
            mine.height()
        );
        metrics["tasks_left"] = json!(left);
        // The part stays unfinished (`merge` says so), its rows written.
        return stage.pause(frames, outputs, timings, metrics);
    }
    stage.finish(rows, frames, outputs, timings, metrics)?;
    Ok(())
}

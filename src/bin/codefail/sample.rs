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
        shard,
    } = cmd;
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
    let stats = codefail::sample::sample_to_file(&mine, &model, &cfg, &part, !g.quiet)?;
    let mut frame = if data::is_parquet(&part) {
        Some(data::read_parquet(&part)?)
    } else {
        None
    };
    let rows = frame
        .as_ref()
        .map_or(stats.new_rows, polars::prelude::DataFrame::height);
    eprintln!(
        "sampled {} answers ({} tasks resumed from earlier runs) in {:.1}s, {:.1} tokens/s; wrote {}",
        stats.new_rows,
        stats.resumed_tasks,
        stats.seconds,
        stats.tokens_per_s,
        part.display()
    );
    stage.finish(
        rows,
        frame
            .as_mut()
            .map(|f| ("generations", f))
            .into_iter()
            .collect(),
        json!({"generations": part.display().to_string()}),
        json!({"model_load_s": model_load_s, "sample_s": stats.seconds, "total_s": secs(t0)}),
        json!({"rows": rows, "new_rows": stats.new_rows, "resumed_tasks": stats.resumed_tasks,
               "tokens_per_s": stats.tokens_per_s, "n_tasks": mine.height()}),
    )?;
    Ok(())
}

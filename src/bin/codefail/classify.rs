//! `codefail classify`: add failure categories to a results file.

use super::*;

/// Add failure categories to a results file.
#[derive(Args)]
pub(crate) struct Cmd {
    /// Results written by `codefail run`.
    pub(crate) results: PathBuf,
    /// Output file (.parquet, else JSON Lines).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// The problems (for semantic categories; without them, execution
    /// categories only).
    #[command(flatten)]
    pub(crate) source: ProblemSource,
    /// Execution categories only (no differential testing).
    #[arg(long)]
    pub(crate) no_semantic: bool,
    /// Tasks classified between two checkpoint records
    /// (`<out>.checkpoint.jsonl`): an interrupted run resumes after the last
    /// recorded task.
    #[arg(long, default_value_t = 16)]
    pub(crate) chunk_tasks: usize,
    #[command(flatten)]
    pub(crate) shard: ShardArgs,
}

pub(crate) fn run(cmd: Cmd, g: &Globals) -> anyhow::Result<()> {
    let Cmd {
        results,
        out,
        source,
        no_semantic,
        chunk_tasks,
        shard,
    } = cmd;
    let t0 = std::time::Instant::now();
    let shard = shard.get();
    let config = merged(&[
        source.describe(),
        json!({"results": results.display().to_string(), "no_semantic": no_semantic}),
    ]);
    let df = data::read_results(&results)?;
    // The problems: --dataset/--problems, else the ones the results file
    // records (`codefail run --dataset` and `Results::write` record them);
    // the semantic categories need them, so without them classify refuses
    // unless --no-semantic.
    let problems = match source.load()? {
        Some(p) => p,
        None if no_semantic => data::problems_frame(&[])?,
        None => match codefail::chain::Results::read(&results) {
            Ok(r) => {
                eprintln!(
                    "problems: {} as {} records them",
                    r.problems().name(),
                    results.display()
                );
                r.problems().clone().into_frame()
            }
            Err(e) => anyhow::bail!(
                "{e}\nthe semantic categories need the problems: give --dataset NAME (with --split) \
                 or --problems FILE, or --no-semantic for the execution categories only"
            ),
        },
    };
    let spec = StageSpec {
        command: "classify",
        config: config.clone(),
        input: &df,
        rows_per_task: None,
        keeps_output: false,
    };
    let Some(stage) = g.begin(&spec, &out, shard)? else {
        return Ok(());
    };
    let mine = stage.mine(&df)?;
    let cfg = codefail::classify::ClassifyConfig {
        semantic: !no_semantic && problems.height() > 0,
        checkpoint: Some(stage.part.checkpoint()),
        chunk_tasks,
        progress: !g.quiet,
        ..Default::default()
    };
    let load_s = secs(t0);
    let t1 = std::time::Instant::now();
    let mut classified = codefail::classify::classify(&mine, &problems, &cfg)?;
    let part = stage.part.part.clone();
    data::write_parquet_or_jsonl(&mut classified, &part)?;
    let classify_s = secs(t1);
    let counts = codefail::classify::category_counts(&mine)?;
    eprintln!(
        "wrote {} classified rows to {}: {}",
        classified.height(),
        part.display(),
        serde_json::to_string(&counts)?
    );
    stage.finish(
        classified.height(),
        vec![("classified", &mut classified)],
        json!({"classified": part.display().to_string()}),
        json!({"load_s": load_s, "classify_s": classify_s, "total_s": secs(t0)}),
        json!({"rows": mine.height(), "by_category": counts}),
    )?;
    Ok(())
}

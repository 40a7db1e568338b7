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
    /// Tasks per saved chunk: an interrupted run resumes after the last
    /// finished chunk.
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
    Ok(())
}

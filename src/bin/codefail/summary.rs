//! `codefail summary`: print a results file's headline numbers.

use super::*;

/// Print a results file's headline numbers.
#[derive(Args)]
pub(crate) struct Cmd {
    /// Results written by `codefail run`.
    pub(crate) results: PathBuf,
    /// One JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn run(cmd: Cmd, _g: &Globals) -> anyhow::Result<()> {
    let Cmd { results, json } = cmd;
    // pass@1 over the benchmark's tasks when the file records them
    // (`codefail run --dataset`, `Results::write`), else over its own.
    let (df, tasks) = match codefail::chain::Results::read(&results) {
        Ok(r) => {
            let tasks = r.problems().task_ids();
            (r.into_frame(), Some(tasks))
        }
        Err(_) => (data::read_results(&results)?, None),
    };
    let mut s = exec::summary(&df, tasks.as_deref())?;
    s["pass_at_1_over"] = serde_json::json!(if tasks.is_some() {
        "the benchmark's tasks (a task without a sample counts as failed)"
    } else {
        "the tasks in the file"
    });
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
    Ok(())
}

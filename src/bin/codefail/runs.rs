//! `codefail runs`: list the tracked runs under --runs-dir (one row per run).

use super::*;

/// List the tracked runs under --runs-dir (one row per run).
#[derive(Args)]
pub(crate) struct Cmd {
    /// JSON Lines instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn run(cmd: Cmd, g: &Globals) -> anyhow::Result<()> {
    let Cmd { json } = cmd;
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
    Ok(())
}

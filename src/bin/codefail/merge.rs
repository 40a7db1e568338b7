//! `codefail merge`: join the parts of sharded commands (`--shard I/N`) into one output:

use super::*;

/// Join the parts of sharded commands (`--shard I/N`) into one output:
/// sorted by task and sample, duplicates refused, missing tasks reported
/// by id (from the parts' manifests).
#[derive(Args)]
pub(crate) struct Cmd {
    /// Part files, their manifests, or a folder of parts.
    #[arg(required = true)]
    pub(crate) inputs: Vec<PathBuf>,
    /// The merged output (.parquet, or JSON Lines for JSON Lines parts).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Write the merged output even when tasks or shards are missing
    /// (they are still reported, and the exit status is still 0).
    #[arg(long)]
    pub(crate) allow_missing: bool,
}

pub(crate) fn run(cmd: Cmd, _g: &Globals) -> anyhow::Result<()> {
    let Cmd {
        inputs,
        out,
        allow_missing,
    } = cmd;
    let mut m = codefail::scale::merge(&inputs)?;
    eprintln!("{}", m.report.describe());
    if !m.report.is_complete() && !allow_missing {
        anyhow::bail!(
            "not merged: the parts are incomplete (see above); finish the missing shards, \
             or pass --allow-missing to write what there is"
        );
    }
    m.write(&out)?;
    eprintln!("wrote {} rows to {}", m.report.rows, out.display());
    Ok(())
}

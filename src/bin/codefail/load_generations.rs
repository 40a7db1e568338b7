//! `codefail load-generations`: import published generations (format detected) as a generations frame.

use super::*;

/// Import published generations (format detected) as a generations frame.
#[derive(Args)]
pub(crate) struct Cmd {
    /// A file or an EG-CFG results folder.
    pub(crate) input: PathBuf,
    /// Output file (.parquet, else JSON Lines).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Model name to record.
    #[arg(long)]
    pub(crate) model: Option<String>,
    /// Data set of bare integer task ids (mbpp or humaneval).
    #[arg(long)]
    pub(crate) dataset: Option<String>,
}

pub(crate) fn run(cmd: Cmd, _g: &Globals) -> anyhow::Result<()> {
    let Cmd {
        input,
        out,
        model,
        dataset,
    } = cmd;
    let (mut df, report) = data::load_generations(&input, &ImportOptions { model, dataset })?;
    for w in report.warnings() {
        eprintln!("warning: {w}");
    }
    data::write_generations(&mut df, &out)?;
    eprintln!(
        "wrote {} generations ({} format) to {}",
        df.height(),
        report.format,
        out.display()
    );
    Ok(())
}

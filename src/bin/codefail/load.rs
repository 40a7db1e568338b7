//! `codefail load`: load a benchmark as a problems frame (parquet or JSON Lines by extension).

use super::*;

/// Load a benchmark as a problems frame (parquet or JSON Lines by extension).
#[derive(Args)]
pub(crate) struct Cmd {
    /// mbpp, mbppplus, humaneval, lcb-atcoder, deepcoder, swebench.
    #[arg(required_unless_present = "dataset")]
    pub(crate) name: Option<String>,
    /// The same as NAME, spelled as `run` and `sample` spell it.
    #[arg(long, conflicts_with = "name")]
    pub(crate) dataset: Option<String>,
    /// Output file (.parquet, else JSON Lines).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Configuration (mbpp: full|sanitized; deepcoder: lcbv5|primeintellect|taco|codeforces).
    #[arg(long)]
    pub(crate) config: Option<String>,
    /// Keep one split (prompt, test, validation, train).
    #[arg(long)]
    pub(crate) split: Option<String>,
    /// Keep these task ids (comma-separated; `11` matches `Mbpp/11`).
    #[arg(long, value_delimiter = ',')]
    pub(crate) task_ids: Option<Vec<String>>,
    /// Keep at most this many tasks.
    #[arg(long)]
    pub(crate) limit: Option<usize>,
    /// Public tests per task (the rest private).
    #[arg(long)]
    pub(crate) n_public: Option<usize>,
    /// Fraction of public tests per task.
    #[arg(long, conflicts_with = "n_public")]
    pub(crate) public_ratio: Option<f64>,
    /// Seed of the public/private shuffle (default: the first tests are public).
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Read this file instead of searching the data folders.
    #[arg(long)]
    pub(crate) path: Option<PathBuf>,
}

pub(crate) fn run(cmd: Cmd, _g: &Globals) -> anyhow::Result<()> {
    let Cmd {
        name,
        dataset,
        out,
        config,
        split,
        task_ids,
        limit,
        n_public,
        public_ratio,
        seed,
        path,
    } = cmd;
    let opts = LoadOptions {
        path,
        config,
        split,
        task_ids,
        limit,
        public: PublicSplit {
            n_public,
            ratio: public_ratio,
            seed,
        },
    };
    // clap requires one of the two.
    let name = name.or(dataset).unwrap_or_default();
    let mut df = data::load(&name, &opts)?;
    data::write_problems(&mut df, &out)?;
    eprintln!("wrote {} problems to {}", df.height(), out.display());
    Ok(())
}

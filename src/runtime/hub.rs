//! Hugging Face model ids: the standard cache first (works offline), then a
//! download through hf-hub when the crate has the `hub` feature and
//! `HF_HUB_OFFLINE` is not set.

use crate::{Error, Result};
use std::path::PathBuf;

/// The files a model folder needs.
const MODEL_FILES: &[&str] = &["config.json", "tokenizer.json", "tokenizer_config.json"];

/// The Hugging Face hub cache root: `HF_HUB_CACHE`, `HUGGINGFACE_HUB_CACHE`,
/// `HF_HOME/hub`, `XDG_CACHE_HOME/huggingface/hub`, `~/.cache/huggingface/hub`.
///
/// ```
/// let root = codefail::sample::hf_cache_root();
/// assert!(root.ends_with("hub") || std::env::var_os("HF_HUB_CACHE").is_some() || std::env::var_os("HUGGINGFACE_HUB_CACHE").is_some());
/// ```
pub fn hf_cache_root() -> PathBuf {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("HF_HUB_CACHE")
        .or_else(|| var("HUGGINGFACE_HUB_CACHE"))
        .or_else(|| var("HF_HOME").map(|h| h.join("hub")))
        .or_else(|| var("XDG_CACHE_HOME").map(|h| h.join("huggingface").join("hub")))
        .or_else(|| var("HOME").map(|h| h.join(".cache").join("huggingface").join("hub")))
        .unwrap_or_else(|| PathBuf::from(".cache/huggingface/hub"))
}

fn offline() -> bool {
    std::env::var("HF_HUB_OFFLINE")
        .map(|v| matches!(v.as_str(), "1" | "true" | "TRUE" | "yes" | "ON" | "on"))
        .unwrap_or(false)
}

/// The local folder of hub model `id` (`owner/name`, optionally
/// `owner/name@revision`): the cached snapshot when `config.json` is there,
/// else (feature `hub`, not offline) a download of config, tokenizer files
/// and safetensors weights. The error lists every place tried.
///
/// ```
/// let e = codefail::sample::model_dir("nobody/no-such-model").unwrap_err();
/// assert!(e.to_string().contains("tried"));
/// ```
pub fn model_dir(id: &str) -> Result<PathBuf> {
    let (repo, revision) = id.split_once('@').unwrap_or((id, "main"));
    let mut tried = Vec::new();
    if !repo.contains('/') {
        return Err(Error::NotFound {
            what: format!("model `{id}`"),
            tried: vec![format!(
                "{id} (not a file, not a folder, not an owner/name hub id)"
            )],
        });
    }
    let folder = hf_cache_root().join(format!("models--{}", repo.replace('/', "--")));
    let snapshot = std::fs::read_to_string(folder.join("refs").join(revision))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| revision.to_string());
    let dir = folder.join("snapshots").join(&snapshot);
    if dir.join("config.json").is_file() {
        return Ok(dir);
    }
    tried.push(format!("{} (no config.json)", dir.display()));
    download(repo, revision, &mut tried).map_err(|()| Error::NotFound {
        what: format!("model `{id}`"),
        tried,
    })
}

#[cfg(feature = "hub")]
fn download(
    repo: &str,
    revision: &str,
    tried: &mut Vec<String>,
) -> std::result::Result<PathBuf, ()> {
    if offline() {
        tried.push(format!(
            "hf://{repo} (not downloaded: HF_HUB_OFFLINE is set)"
        ));
        return Err(());
    }
    let client = hf_hub::HFClientSync::new()
        .map_err(|e| tried.push(format!("hf://{repo}: client error: {e}")))?;
    let (owner, name) = repo.split_once('/').unwrap_or(("", repo));
    let get = |file: &str| {
        client
            .model(owner, name)
            .download_file()
            .filename(file.to_string())
            .revision(revision.to_string())
            .send()
    };
    let mut dir = None;
    for f in MODEL_FILES {
        match get(f) {
            Ok(p) => dir = p.parent().map(PathBuf::from),
            Err(e) if *f == "config.json" => {
                tried.push(format!("hf://{repo}/{f}: {e}"));
                return Err(());
            }
            Err(_) => {}
        }
    }
    // Weights: one file, or the shards an index names.
    let weights: Vec<String> = match get("model.safetensors.index.json") {
        Ok(p) => {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| tried.push(format!("{}: {e}", p.display())))?;
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| tried.push(format!("{}: {e}", p.display())))?;
            let mut files: Vec<String> = v["weight_map"]
                .as_object()
                .map(|m| {
                    m.values()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            files.sort();
            files.dedup();
            files
        }
        Err(_) => vec!["model.safetensors".into()],
    };
    for w in weights {
        if let Err(e) = get(&w) {
            tried.push(format!("hf://{repo}/{w}: {e}"));
            return Err(());
        }
    }
    dir.ok_or(())
}

#[cfg(not(feature = "hub"))]
fn download(
    repo: &str,
    _revision: &str,
    tried: &mut Vec<String>,
) -> std::result::Result<PathBuf, ()> {
    let _ = (MODEL_FILES, offline());
    tried.push(format!(
        "hf://{repo} (not downloaded: build codefail with `--features hub`, or place the model in the cache)"
    ));
    Err(())
}

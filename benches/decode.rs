//! Decoding speed of the two CPU paths for Q5_0 weights, side by side in one
//! run on the same GGUF file, prompts and greedy decoding: codefail's own
//! AVX2 Q5_0 kernel (the default) against re-quantizing those weights to
//! Q8_0 at load and using candle's kernel (`ModelOptions::requantize_q5_0`,
//! what codefail did before). Qwen2.5-Coder-0.5B's Q4_K_M file keeps all its
//! 896-wide projections in Q5_0, so this is most of its decoding work.
//!
//! `cargo bench --bench decode`. Settings: `CODEFAIL_BENCH_MODEL` (default:
//! the fetched Qwen2.5-Coder-0.5B), `CODEFAIL_BENCH_TASKS` (MBPP test tasks
//! from 11, default 5), `CODEFAIL_BENCH_MAX_NEW` (default 128),
//! `CODEFAIL_BENCH_ROUNDS` (default 2: the variants alternate, A B A B, so
//! that a slower stretch of a shared machine hits both). Writes
//! `outputs/bench-decode.json`.

use std::path::PathBuf;

use codefail::data::{LoadOptions, load};
use codefail::sample::{Model, ModelOptions, SampleConfig, Sampling, sample};
use polars::prelude::*;
use serde_json::json;

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

/// Per-answer metadata and the generated token ids of a generations frame.
fn read(gens: &DataFrame) -> (Vec<serde_json::Value>, Vec<Vec<u32>>) {
    let meta = gens.column("gen_metadata").expect("gen_metadata");
    let meta = meta.str().expect("str");
    let meta = (0..meta.len())
        .map(|i| serde_json::from_str(meta.get(i).unwrap_or("{}")).unwrap_or_default())
        .collect();
    let ids = gens.column("token_ids").expect("token_ids");
    let ids = ids.list().expect("list");
    let ids = (0..ids.len())
        .map(|i| {
            ids.get_as_series(i)
                .map(|s| s.u32().expect("u32").into_no_null_iter().collect())
                .unwrap_or_default()
        })
        .collect();
    (meta, ids)
}

fn main() {
    let n_tasks = env_usize("CODEFAIL_BENCH_TASKS", 5);
    let max_new = env_usize("CODEFAIL_BENCH_MAX_NEW", 128);
    let rounds = env_usize("CODEFAIL_BENCH_ROUNDS", 2);
    let model_path = std::env::var("CODEFAIL_BENCH_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            codefail::sample::models_dir().join("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
        });
    if !model_path.is_file() {
        eprintln!(
            "{} missing: run `codefail models fetch`",
            model_path.display()
        );
        std::process::exit(2);
    }
    let problems = load(
        "mbpp",
        &LoadOptions {
            split: Some("test".into()),
            limit: Some(n_tasks),
            ..Default::default()
        },
    )
    .expect("load MBPP");
    let path = model_path.to_str().expect("utf-8 path");
    let variants = [
        ("q5_0 kernel", ModelOptions::default()),
        (
            "q8_0 requantized",
            ModelOptions {
                requantize_q5_0: true,
                ..Default::default()
            },
        ),
    ];
    let models: Vec<Model> = variants
        .iter()
        .map(|(_, o)| Model::load(path, o).expect("model"))
        .collect();
    let cfg = SampleConfig {
        prompt: "mbpp-instruct".into(),
        sampling: Sampling {
            max_new_tokens: max_new,
            ..Default::default()
        },
        ..Default::default()
    };
    println!(
        "decode bench: {} MBPP test tasks, {}, greedy, <= {max_new} new tokens, {rounds} rounds, {} threads",
        problems.height(),
        model_path.display(),
        candle_core::utils::get_num_threads()
    );
    // Per variant: decoded tokens (after the first) and their seconds.
    let mut totals = vec![(0f64, 0f64); variants.len()];
    let mut answers: Vec<Vec<Vec<u32>>> = vec![Vec::new(); variants.len()];
    for round in 0..rounds {
        for (v, model) in models.iter().enumerate() {
            let gens = sample(&problems, model, &cfg).expect("sample");
            let (meta, ids) = read(&gens);
            let tokens: f64 = meta
                .iter()
                .map(|m| (m["new_tokens"].as_f64().unwrap_or(0.0) - 1.0).max(0.0))
                .sum();
            let secs: f64 = meta
                .iter()
                .map(|m| {
                    m["gen_s"].as_f64().unwrap_or(0.0)
                        - m["batch_prefill_s"].as_f64().unwrap_or(0.0)
                })
                .sum();
            println!(
                "  round {round} {:<17}: {tokens} tokens decoded in {secs:.1} s = {:.2} tokens/s",
                variants[v].0,
                tokens / secs
            );
            totals[v].0 += tokens;
            totals[v].1 += secs;
            if round == 0 {
                answers[v] = ids;
            } else {
                assert_eq!(
                    answers[v], ids,
                    "{}: greedy differs between rounds",
                    variants[v].0
                );
            }
        }
    }
    let rate = |v: usize| totals[v].0 / totals[v].1;
    let same = answers[0]
        .iter()
        .zip(&answers[1])
        .filter(|(a, b)| a == b)
        .count();
    println!(
        "  q5_0 kernel / q8_0 requantized: decoding x{:.2} ({:.2} vs {:.2} tokens/s); identical answers {same}/{}",
        rate(0) / rate(1),
        rate(0),
        rate(1),
        answers[0].len()
    );
    let report = json!({
        "tasks": problems.height(), "max_new_tokens": max_new, "rounds": rounds,
        "model": model_path.display().to_string(),
        "q5_0_kernel": {"tokens": totals[0].0, "seconds": totals[0].1, "tokens_per_s": rate(0)},
        "q8_0_requantized": {"tokens": totals[1].0, "seconds": totals[1].1, "tokens_per_s": rate(1)},
        "identical_answers": same,
    });
    let out = codefail::plot::outputs_dir().join("bench-decode.json");
    if let Err(e) = codefail::scale::write_atomic(&out, report.to_string().as_bytes()) {
        eprintln!("could not write {}: {e}", out.display());
    }
}

//! Decoding speed of the two CPU paths for a GGUF file's Q5_0 and Q8_0
//! weights, side by side in one run on the same file, prompts and greedy
//! decoding: codefail's own AVX2 Q5_0/Q8_0 kernels (the default) against
//! candle's kernels after re-quantizing Q5_0 to Q8_0 at load
//! (`ModelOptions::requantize_q5_0`, what codefail did before it had its own
//! kernels). Qwen2.5-Coder-0.5B's Q4_K_M file keeps all its 896-wide
//! projections in Q5_0 and its head in Q8_0, so this is most of its decoding
//! work.
//!
//! `cargo bench --bench decode`. Settings: `CODEFAIL_BENCH_MODEL` (default:
//! the fetched Qwen2.5-Coder-0.5B), `CODEFAIL_BENCH_TASKS` (MBPP test tasks
//! from 11, default 5), `CODEFAIL_BENCH_MAX_NEW` (default 128),
//! `CODEFAIL_BENCH_ROUNDS` (default 2: the variants alternate, A B A B, so
//! that a slower stretch of a shared machine hits both). Writes
//! `outputs/bench-decode.json`.

mod common;

use codefail::sample::{Model, ModelOptions, SampleConfig, Sampling, sample};
use common::{decoded, env_usize, gen_metadata, mbpp_test, model_path};
use polars::prelude::*;
use serde_json::json;

/// The generated token ids of each answer.
fn token_ids(gens: &DataFrame) -> Vec<Vec<u32>> {
    let ids = gens.column("token_ids").expect("token_ids");
    let ids = ids.list().expect("list");
    (0..ids.len())
        .map(|i| {
            ids.get_as_series(i)
                .map(|s| s.u32().expect("u32").into_no_null_iter().collect())
                .unwrap_or_default()
        })
        .collect()
}

fn main() {
    // SAFETY: the first statement of main; no other thread exists yet.
    unsafe { codefail::sample::pin_cpu_threads() };
    let n_tasks = env_usize("CODEFAIL_BENCH_TASKS", 5);
    let max_new = env_usize("CODEFAIL_BENCH_MAX_NEW", 128);
    let rounds = env_usize("CODEFAIL_BENCH_ROUNDS", 2);
    let model_path = model_path();
    let problems = mbpp_test(n_tasks);
    let path = model_path.to_str().expect("utf-8 path");
    let variants = [
        ("codefail kernels", ModelOptions::default()),
        (
            "candle kernels",
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
            let (tokens, secs) = decoded(&gen_metadata(&gens));
            let ids = token_ids(&gens);
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
        "  codefail kernels / candle kernels: decoding x{:.2} ({:.2} vs {:.2} tokens/s); identical answers {same}/{}",
        rate(0) / rate(1),
        rate(0),
        rate(1),
        answers[0].len()
    );
    let report = json!({
        "tasks": problems.height(), "max_new_tokens": max_new, "rounds": rounds,
        "model": model_path.display().to_string(),
        "codefail_kernels": {"tokens": totals[0].0, "seconds": totals[0].1, "tokens_per_s": rate(0)},
        "candle_kernels": {"tokens": totals[1].0, "seconds": totals[1].1, "tokens_per_s": rate(1)},
        "identical_answers": same,
    });
    let out = codefail::plot::outputs_dir().join("bench-decode.json");
    if let Err(e) = codefail::scale::write_atomic(&out, report.to_string().as_bytes()) {
        eprintln!("could not write {}: {e}", out.display());
    }
}

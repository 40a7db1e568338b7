//! Generation benchmark, side by side in one run on the same GGUF file, the
//! same prompt text and greedy decoding: codefail (candle) vs llama.cpp
//! (llama-cpp-python), on MBPP test tasks 11..40 with the `mbpp-instruct`
//! prompt. Reports each side's generated tokens per second (new tokens over
//! prefill + decode wall time, summed over tasks) and pass@1 after `run`.
//!
//! `LLAMA_CPP_PYTHON=/path/to/python cargo bench --bench generation`
//! (a Python with llama-cpp-python; without it only codefail runs).
//! Settings: `CODEFAIL_BENCH_MODEL` (default: the fetched Qwen2.5-Coder-0.5B),
//! `CODEFAIL_BENCH_TASKS` (default 30), `CODEFAIL_BENCH_THREADS` (default 2),
//! `CODEFAIL_BENCH_MAX_NEW` (default 512), `CODEFAIL_LLAMA_KV` (llama.cpp's
//! key/value cache: `f16`, its default, or `f32` as codefail keeps it),
//! `CODEFAIL_LLAMA_REUSE_PREFIX=1` (llama.cpp evaluates only what a prompt
//! does not share with the previous one; see `benches/llama_cpp_generate.py`),
//! `CODEFAIL_LLAMA_ROUNDING=1` (then also run llama.cpp in its other three
//! settings of those two, and report its pass@1 range and how many answers
//! stay the same: how far its greedy answers move with rounding alone).
//! Writes `outputs/bench-generation.json`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

mod common;

use codefail::data::{Generation, extract_code, problems_from_frame};
use codefail::exec::{RunConfig, run};
use codefail::sample::{Model, ModelOptions, SampleConfig, Sampling, render_prompt, sample};
use common::{decoded, env_usize, gen_metadata, mbpp_test, model_path};
use polars::prelude::*;
use serde_json::json;

/// Each answer's token ids (the `token_ids` list column).
fn list_u32(df: &DataFrame, col: &str) -> Vec<Vec<u32>> {
    let lists = df
        .column(col)
        .expect("column")
        .list()
        .expect("list")
        .clone();
    (0..lists.len())
        .map(|i| {
            lists
                .get_as_series(i)
                .map(|s| s.u32().expect("u32").into_no_null_iter().collect())
                .unwrap_or_default()
        })
        .collect()
}

fn pass_rate(results: &DataFrame) -> (usize, usize) {
    let p = results
        .column("passed")
        .expect("passed")
        .bool()
        .expect("bool");
    (
        (0..p.len()).filter(|&i| p.get(i) == Some(true)).count(),
        p.len(),
    )
}

/// Each task's verdict, by task id.
fn passes(results: &DataFrame) -> std::collections::BTreeMap<String, bool> {
    let ids = results
        .column("task_id")
        .expect("task_id")
        .str()
        .expect("str");
    let p = results
        .column("passed")
        .expect("passed")
        .bool()
        .expect("bool");
    (0..p.len())
        .map(|i| {
            (
                ids.get(i).unwrap_or_default().to_string(),
                p.get(i) == Some(true),
            )
        })
        .collect()
}

/// Two-sided exact McNemar p-value for `b` and `c` discordant pairs: how
/// likely a split at least this uneven is when both sides are equally good.
fn mcnemar(b: usize, c: usize) -> f64 {
    let n = b + c;
    let k = b.min(c);
    // P(X <= k) for X ~ Binomial(n, 1/2), summed in logs.
    let ln_choose = |n: usize, r: usize| -> f64 {
        (1..=r)
            .map(|i| ((n - r + i) as f64).ln() - (i as f64).ln())
            .sum()
    };
    let tail: f64 = (0..=k)
        .map(|i| (ln_choose(n, i) - n as f64 * std::f64::consts::LN_2).exp())
        .sum();
    (2.0 * tail).min(1.0)
}

/// One llama.cpp rounding setting: key/value cache type and whether each
/// prompt reuses the cache of the prefix it shares with the previous one.
#[derive(Clone, Copy)]
struct Rounding {
    kv: &'static str,
    reuse_prefix: bool,
}

impl Rounding {
    const ALL: [Rounding; 4] = [
        Rounding {
            kv: "f16",
            reuse_prefix: false,
        },
        Rounding {
            kv: "f16",
            reuse_prefix: true,
        },
        Rounding {
            kv: "f32",
            reuse_prefix: false,
        },
        Rounding {
            kv: "f32",
            reuse_prefix: true,
        },
    ];

    fn label(&self) -> String {
        format!(
            "{}, {}",
            self.kv,
            if self.reuse_prefix {
                "prefix reused"
            } else {
                "whole prompt"
            }
        )
    }
}

/// The rows `benches/llama_cpp_generate.py` writes (one JSON object per
/// prompt), for the prompts in `prompts`. `rounding: None` leaves the setting
/// to the environment (`CODEFAIL_LLAMA_KV`, `CODEFAIL_LLAMA_REUSE_PREFIX`).
fn llama_rows(
    py: &str,
    model: &Path,
    prompts: &Path,
    threads: usize,
    max_new: usize,
    rounding: Option<Rounding>,
) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.jsonl");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/llama_cpp_generate.py");
    let mut cmd = std::process::Command::new(py);
    cmd.arg(&script)
        .arg(model)
        .arg(prompts)
        .arg(&out)
        .arg(threads.to_string())
        .arg(max_new.to_string())
        .env("OMP_WAIT_POLICY", "PASSIVE");
    if let Some(r) = rounding {
        cmd.env("CODEFAIL_LLAMA_KV", r.kv).env(
            "CODEFAIL_LLAMA_REUSE_PREFIX",
            if r.reuse_prefix { "1" } else { "0" },
        );
    }
    let st = cmd.status().expect("start llama.cpp");
    assert!(st.success(), "llama.cpp side failed");
    std::fs::read_to_string(&out)
        .expect("out")
        .lines()
        .map(|line| serde_json::from_str(line).expect("json"))
        .collect()
}

/// How many answers are the same text in `a` and `b`, position by position.
fn identical_answers(a: &[Generation], b: &[&str]) -> usize {
    a.iter().zip(b).filter(|(g, o)| g.raw_output == **o).count()
}

/// llama.cpp's answers run against the MBPP tests: the results frame.
fn judge(problems: &DataFrame, answers: &[Generation]) -> DataFrame {
    let rows = run(
        &mut problems_from_frame(problems).expect("problems"),
        answers,
        &RunConfig::default(),
    )
    .expect("run");
    codefail::data::results_frame(&rows).expect("results")
}

/// llama.cpp's answers as generations (code extracted as for codefail's).
fn llama_generations(rows: &[serde_json::Value]) -> Vec<Generation> {
    rows.iter()
        .map(|v| {
            let raw = v["raw_output"].as_str().unwrap_or_default().to_string();
            Generation {
                task_id: v["task_id"].as_str().unwrap_or_default().into(),
                sample_idx: 0,
                model: "llama.cpp".into(),
                prompt_id: "mbpp-instruct".into(),
                code: extract_code(&raw),
                raw_output: raw,
                gen_metadata: "{}".into(),
            }
        })
        .collect()
}

fn main() {
    // SAFETY: the first statement of main; no other thread exists yet.
    unsafe { codefail::sample::pin_cpu_threads() };
    let threads = env_usize("CODEFAIL_BENCH_THREADS", 2);
    // candle's CPU kernels use rayon's global pool.
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .ok();
    let n_tasks = env_usize("CODEFAIL_BENCH_TASKS", 30);
    let max_new = env_usize("CODEFAIL_BENCH_MAX_NEW", 512);
    let model_path = model_path();
    let problems = mbpp_test(n_tasks);
    let model = Model::load(
        model_path.to_str().expect("utf-8 path"),
        &ModelOptions::default(),
    )
    .expect("model");
    let cfg = SampleConfig {
        prompt: "mbpp-instruct".into(),
        sampling: Sampling {
            max_new_tokens: max_new,
            ..Default::default()
        },
        ..Default::default()
    };
    println!(
        "generation bench: {} MBPP test tasks, {}, {threads} threads, greedy, <= {max_new} new tokens",
        problems.height(),
        model_path.display()
    );

    // codefail
    let t0 = Instant::now();
    let gens = sample(&problems, &model, &cfg).expect("sample");
    let wall = t0.elapsed().as_secs_f64();
    let texts = |col: &str| -> Vec<String> {
        let ca = gens
            .column(col)
            .expect("column")
            .str()
            .expect("str")
            .clone();
        (0..ca.len())
            .map(|i| ca.get(i).unwrap_or_default().to_string())
            .collect()
    };
    let meta = gen_metadata(&gens);
    let ours_tokens: f64 = meta
        .iter()
        .map(|m| m["new_tokens"].as_f64().unwrap_or(0.0))
        .sum();
    let ours_s: f64 = meta
        .iter()
        .map(|m| m["gen_s"].as_f64().unwrap_or(0.0))
        .sum();
    let ours_prefill: f64 = meta
        .iter()
        .map(|m| m["batch_prefill_s"].as_f64().unwrap_or(0.0))
        .sum();
    // Decode rate: tokens after the first over the time after the prefill
    // (the prefill's logits choose the first token, on both sides).
    let (decoded_tokens, decode_s) = decoded(&meta);
    let ours_decode = decoded_tokens / decode_s;
    let ours_rows = run(
        &mut codefail::data::problems_from_frame(&problems).expect("problems"),
        &codefail::data::generations_from_frame(&gens).expect("generations"),
        &RunConfig::default(),
    )
    .expect("run");
    let ours_res = codefail::data::results_frame(&ours_rows).expect("results");
    let (ours_pass, n) = pass_rate(&ours_res);
    println!(
        "  codefail : {ours_tokens} tokens in {ours_s:.1} s model time ({wall:.1} s wall) = {:.2} tokens/s end to end, {ours_decode:.2} tokens/s decoding (prefill {ours_prefill:.1} s); pass@1 {ours_pass}/{n} = {:.3}",
        ours_tokens / ours_s,
        ours_pass as f64 / n as f64
    );
    let mut report = json!({
        "tasks": n, "threads": threads, "max_new_tokens": max_new, "model": model_path.display().to_string(),
        "codefail": {"new_tokens": ours_tokens, "seconds": ours_s, "tokens_per_s": ours_tokens / ours_s,
                     "prefill_seconds": ours_prefill, "decode_tokens_per_s": ours_decode,
                     "passed": ours_pass, "pass_at_1": ours_pass as f64 / n as f64},
    });

    // llama.cpp on the same prompt text.
    match std::env::var("LLAMA_CPP_PYTHON") {
        Err(_) => println!(
            "  llama.cpp: not run (set LLAMA_CPP_PYTHON to a python with llama-cpp-python)"
        ),
        Ok(py) => {
            let dir = tempfile::tempdir().expect("tempdir");
            let prompts = dir.path().join("prompts.jsonl");
            let rows = problems_from_frame(&problems).expect("problems");
            let prompt_texts: Vec<String> = rows
                .iter()
                .map(|p| render_prompt(&model, p, &cfg).expect("prompt"))
                .collect();
            let mut f = std::fs::File::create(&prompts).expect("prompts");
            for (p, text) in rows.iter().zip(&prompt_texts) {
                writeln!(f, "{}", json!({"task_id": p.task_id, "prompt": text})).expect("write");
            }
            drop(f);
            let llama = llama_rows(&py, &model_path, &prompts, threads, max_new, None);
            let gens_l = llama_generations(&llama);
            let (mut toks, mut secs, mut pre, mut answered) = (0.0, 0.0, 0.0, 0.0);
            // Tokenization and greedy agreement, token by token.
            let ours_ids = list_u32(&gens, "token_ids");
            let (mut same_prompt, mut shared, mut shortest) = (0, Vec::new(), Vec::new());
            for (i, v) in llama.iter().enumerate() {
                let ids = |key: &str| -> Vec<u32> {
                    v[key]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_u64())
                                .map(|x| x as u32)
                                .collect()
                        })
                        .unwrap_or_default()
                };
                if model.encode(&prompt_texts[i]).expect("encode") == ids("prompt_ids") {
                    same_prompt += 1;
                }
                let theirs = ids("token_ids");
                let ours = ours_ids.get(i).cloned().unwrap_or_default();
                shared.push(ours.iter().zip(&theirs).take_while(|(a, b)| a == b).count());
                shortest.push(ours.len().min(theirs.len()));
                toks += v["new_tokens"].as_f64().unwrap_or(0.0);
                secs += v["seconds"].as_f64().unwrap_or(0.0);
                pre += v["prefill_seconds"].as_f64().unwrap_or(0.0);
                if v["new_tokens"].as_f64().unwrap_or(0.0) > 0.0 {
                    answered += 1.0;
                }
            }
            // One setting per run: every row records the same one.
            let first = llama.first();
            let kv_type = first
                .and_then(|v| v["kv_type"].as_str())
                .unwrap_or("f16")
                .to_string();
            let reuse_prefix = first
                .and_then(|v| v["reuse_prefix"].as_bool())
                .unwrap_or(false);
            let res = judge(&problems, &gens_l);
            let (pass, n) = pass_rate(&res);
            // Which tasks the two sides judge differently, and whether the
            // split could be chance (exact McNemar test on those tasks).
            let (ours_by, theirs_by) = (passes(&ours_res), passes(&res));
            let only = |a: &std::collections::BTreeMap<String, bool>,
                        b: &std::collections::BTreeMap<String, bool>| {
                a.iter()
                    .filter(|&(t, &p)| p && !b.get(t).copied().unwrap_or(false))
                    .map(|(t, _)| t.clone())
                    .collect::<Vec<_>>()
            };
            let (only_ours, only_theirs) = (only(&ours_by, &theirs_by), only(&theirs_by, &ours_by));
            println!(
                "  verdicts differ on {} tasks: codefail alone passes {only_ours:?}, llama.cpp alone {only_theirs:?} (exact McNemar p = {:.2})",
                only_ours.len() + only_theirs.len(),
                mcnemar(only_ours.len(), only_theirs.len())
            );
            if n > 30 {
                // The comparison set: MBPP test tasks 11..40.
                let first: Vec<&String> = ours_by
                    .keys()
                    .filter(|t| {
                        t.trim_start_matches("Mbpp/")
                            .parse::<usize>()
                            .is_ok_and(|i| (11..=40).contains(&i))
                    })
                    .collect();
                let count = |m: &std::collections::BTreeMap<String, bool>| {
                    first.iter().filter(|t| m[**t]).count()
                };
                println!(
                    "  on MBPP test 11..40 alone: codefail {}/{}, llama.cpp {}/{}",
                    count(&ours_by),
                    first.len(),
                    count(&theirs_by),
                    first.len()
                );
            }
            // Both sides' answers and verdicts, to read.
            let answers = codefail::plot::outputs_dir().join("bench-generation-answers.jsonl");
            let ours_raw = texts("raw_output");
            let ours_tasks = texts("task_id");
            let mut lines = String::new();
            for (i, g) in gens_l.iter().enumerate() {
                lines.push_str(
                    &json!({"task_id": g.task_id,
                    "codefail_passed": ours_tasks.get(i).and_then(|t| ours_by.get(t)).copied(),
                    "llama_cpp_passed": theirs_by.get(&g.task_id).copied(),
                    "codefail": ours_raw.get(i), "llama_cpp": g.raw_output})
                    .to_string(),
                );
                lines.push('\n');
            }
            std::fs::create_dir_all(answers.parent().expect("parent")).ok();
            std::fs::write(&answers, lines).expect("write answers");
            // Same answers? (greedy on the same weights; kernels differ, so not always)
            let ours_texts: Vec<&str> = ours_raw.iter().map(String::as_str).collect();
            let main_texts: Vec<&str> = gens_l.iter().map(|g| g.raw_output.as_str()).collect();
            let same = identical_answers(&gens_l, &ours_texts);
            let decode = (toks - answered) / (secs - pre);
            let whole = shared.iter().zip(&shortest).filter(|(a, b)| a == b).count();
            let mut parted: Vec<usize> = shared
                .iter()
                .zip(&shortest)
                .filter(|(a, b)| a != b)
                .map(|(a, _)| *a)
                .collect();
            parted.sort_unstable();
            println!(
                "  tokenization: prompt token ids identical on {same_prompt}/{n}; greedy answers agree token for token on {whole}/{n} (up to the shorter one's end); the others part after {parted:?} tokens"
            );
            println!(
                "  llama.cpp: {toks} tokens in {secs:.1} s = {:.2} tokens/s end to end, {decode:.2} tokens/s decoding (prefill {pre:.1} s); pass@1 {pass}/{n} = {:.3}; key/value cache {kv_type}{}",
                toks / secs,
                pass as f64 / n as f64,
                if reuse_prefix {
                    ", each prompt's shared prefix reused from the previous one"
                } else {
                    ""
                }
            );
            println!(
                "  codefail / llama.cpp: end to end x{:.2}, decoding x{:.2}; pass@1 difference {:+.1} points; identical answers {same}/{n}",
                (ours_tokens / ours_s) / (toks / secs),
                ours_decode / decode,
                100.0 * (ours_pass as f64 - pass as f64) / n as f64
            );
            report["llama_cpp"] = json!({"new_tokens": toks, "seconds": secs, "tokens_per_s": toks / secs,
                                         "prefill_seconds": pre, "decode_tokens_per_s": decode,
                                         "passed": pass, "pass_at_1": pass as f64 / n as f64, "identical_answers": same,
                                         "identical_prompt_ids": same_prompt, "tokens_before_answers_part": shared,
                                         "kv_type": kv_type, "reuse_prefix": reuse_prefix});

            // How far llama.cpp's own answers move when only its rounding
            // changes: its other three settings, answers and verdicts only
            // (their times are not compared).
            if std::env::var("CODEFAIL_LLAMA_ROUNDING").is_ok_and(|v| v == "1") {
                println!("  rounding: llama.cpp's answers in its other settings");
                let mut seen = vec![pass];
                let mut rounding = Vec::new();
                for r in Rounding::ALL {
                    if r.kv == kv_type && r.reuse_prefix == reuse_prefix {
                        continue;
                    }
                    let rows = llama_rows(&py, &model_path, &prompts, threads, max_new, Some(r));
                    let other = llama_generations(&rows);
                    let res = judge(&problems, &other);
                    let (p, _) = pass_rate(&res);
                    let by = passes(&res);
                    let with_ours = identical_answers(&other, &ours_texts);
                    let with_main = identical_answers(&other, &main_texts);
                    let differ: Vec<&String> = by
                        .iter()
                        .filter(|&(t, &v)| ours_by.get(t).copied().unwrap_or(false) != v)
                        .map(|(t, _)| t)
                        .collect();
                    println!(
                        "    {:<24} pass@1 {p}/{n}; identical answers {with_ours}/{n} with codefail's, {with_main}/{n} with the run above; verdicts differ from codefail's on {differ:?}",
                        r.label()
                    );
                    seen.push(p);
                    rounding.push(json!({"kv_type": r.kv, "reuse_prefix": r.reuse_prefix,
                                         "passed": p, "identical_with_codefail": with_ours,
                                         "identical_with_main_run": with_main,
                                         "verdicts_differ_from_codefail": differ}));
                }
                let (lo, hi) = (
                    seen.iter().copied().min().unwrap_or(pass),
                    seen.iter().copied().max().unwrap_or(pass),
                );
                println!(
                    "    llama.cpp's pass@1 over its {} settings: {lo}..{hi} of {n}; codefail's {ours_pass} is {}",
                    seen.len(),
                    if (lo..=hi).contains(&ours_pass) {
                        "inside that range"
                    } else {
                        "outside it"
                    }
                );
                report["llama_cpp_rounding"] = json!(rounding);
            }
        }
    }
    let out = codefail::plot::outputs_dir().join("bench-generation.json");
    std::fs::create_dir_all(out.parent().expect("parent")).ok();
    std::fs::write(&out, serde_json::to_string_pretty(&report).expect("json"))
        .expect("write report");
    println!("  wrote {}", out.display());
}

//! Greedy decoding speed on a GPU (or, for scripts/gpu-check.sh --dry-run,
//! the CPU): codefail's `generate_batch` on a random-initialised bf16 Qwen2
//! model, one prompt copied to batch B, a fixed number of new tokens, against
//! the memory-bandwidth bound (the bytes of weights and cache read per
//! decode step over the device's bandwidth). HF transformers on the same
//! model and prompt is scripts/hf_decode.py, which reads the prompt ids this
//! writes.
//!
//! `cargo bench --features cuda --bench gpu_decode`. Settings (environment):
//! - `CODEFAIL_BENCH_MAKE_MODEL=DIR`: write a random-weight Qwen2 folder
//!   (config.json, model.safetensors; the tokenizer files are exported from
//!   the GGUF file `CODEFAIL_BENCH_TOKENIZER_FROM`, or copied from the folder
//!   `CODEFAIL_BENCH_TOKENIZER_DIR`) and exit. Its size is
//!   `CODEFAIL_BENCH_SIZE`: `1.5b` (Qwen2.5-Coder-1.5B's shapes, the
//!   default) or `tiny`. Weights are drawn on `CODEFAIL_BENCH_DEVICE`.
//! - `CODEFAIL_BENCH_MODEL=DIR`: the model to decode with (any folder or
//!   GGUF `Model::load` takes).
//! - `CODEFAIL_BENCH_DEVICE` (`cuda:0`), `CODEFAIL_BENCH_DTYPE` (`bf16`;
//!   `f32`), `CODEFAIL_BENCH_BATCHES` (`1,32`), `CODEFAIL_BENCH_MAX_NEW`
//!   (256), `CODEFAIL_BENCH_BANDWIDTH_GBS` (the device's bandwidth for the
//!   bound, GB/s; gpu-check.sh measures it), `CODEFAIL_BENCH_OUT` (a JSON
//!   file; default outputs/bench-gpu-decode.json), `CODEFAIL_BENCH_IDS` (where
//!   to write the prompt's token ids for hf_decode.py).

use candle_core::{DType, Device, Tensor};
use codefail::sample::{DeviceChoice, Model, ModelOptions, PromptJob, Sampling, generate_batch};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The prompt every run decodes (an MBPP-style task).
const PROMPT: &str = "You are an expert Python programmer, and here is your task: Write a function to find the shared elements from the given two lists. Your code should pass these tests:\n\nassert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))\nassert set(similar_elements((1, 2, 3, 4),(5, 4, 3, 7))) == set((3, 4))\n";

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn die(msg: impl std::fmt::Display) -> ! {
    eprintln!("gpu_decode: {msg}");
    std::process::exit(2)
}

/// Qwen2 shapes: Qwen2.5-Coder-1.5B's, or a tiny one for dry runs.
fn qwen2_config(size: &str) -> serde_json::Value {
    let (h, i, l, heads, kv, vocab) = match size {
        "1.5b" => (1536, 8960, 28, 12, 2, 151_936),
        "tiny" => (64, 128, 2, 4, 2, 151_936),
        other => die(format!("CODEFAIL_BENCH_SIZE `{other}`: 1.5b or tiny")),
    };
    json!({
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
        "vocab_size": vocab, "hidden_size": h, "intermediate_size": i,
        "num_hidden_layers": l, "num_attention_heads": heads, "num_key_value_heads": kv,
        "max_position_embeddings": 32768, "rope_theta": 1_000_000.0, "rms_norm_eps": 1e-6,
        "tie_word_embeddings": true, "sliding_window": null, "use_sliding_window": false,
        "bos_token_id": 151643, "eos_token_id": 151645, "torch_dtype": "bfloat16",
        "hidden_act": "silu", "attention_dropout": 0.0, "initializer_range": 0.02,
    })
}

/// Write a random-weight Qwen2 folder: normal(0, 0.02) matrices (drawn on
/// `device`), biases zero, norms one, stored as bf16 safetensors.
fn make_model(dir: &Path, size: &str, device: &Device) {
    let cfg = qwen2_config(size);
    std::fs::create_dir_all(dir).unwrap_or_else(|e| die(format!("{}: {e}", dir.display())));
    let u = |k: &str| cfg[k].as_u64().unwrap_or_default() as usize;
    let (h, i, v) = (u("hidden_size"), u("intermediate_size"), u("vocab_size"));
    let hd = h / u("num_attention_heads");
    let (q, kv) = (u("num_attention_heads") * hd, u("num_key_value_heads") * hd);
    let randn = |shape: &[usize]| -> Tensor {
        Tensor::randn(0f32, 0.02, shape, device)
            .and_then(|t| t.to_dtype(DType::BF16))
            .unwrap_or_else(|e| die(e))
    };
    let fill = |shape: &[usize], x: f64| -> Tensor {
        Tensor::ones(shape, DType::BF16, device)
            .and_then(|t| t.affine(x, 0.0))
            .unwrap_or_else(|e| die(e))
    };
    let mut w: HashMap<String, Tensor> = HashMap::new();
    w.insert("model.embed_tokens.weight".into(), randn(&[v, h]));
    w.insert("model.norm.weight".into(), fill(&[h], 1.0));
    for l in 0..u("num_hidden_layers") {
        let p = format!("model.layers.{l}");
        for (name, shape) in [
            ("self_attn.q_proj.weight", [q, h]),
            ("self_attn.k_proj.weight", [kv, h]),
            ("self_attn.v_proj.weight", [kv, h]),
            ("self_attn.o_proj.weight", [h, q]),
            ("mlp.gate_proj.weight", [i, h]),
            ("mlp.up_proj.weight", [i, h]),
            ("mlp.down_proj.weight", [h, i]),
        ] {
            w.insert(format!("{p}.{name}"), randn(&shape));
        }
        for (name, n) in [("q_proj", q), ("k_proj", kv), ("v_proj", kv)] {
            w.insert(format!("{p}.self_attn.{name}.bias"), fill(&[n], 0.0));
        }
        w.insert(format!("{p}.input_layernorm.weight"), fill(&[h], 1.0));
        w.insert(
            format!("{p}.post_attention_layernorm.weight"),
            fill(&[h], 1.0),
        );
    }
    candle_core::safetensors::save(&w, dir.join("model.safetensors")).unwrap_or_else(|e| die(e));
    std::fs::write(dir.join("config.json"), cfg.to_string()).unwrap_or_else(|e| die(e));
    if let Ok(gguf) = std::env::var("CODEFAIL_BENCH_TOKENIZER_FROM") {
        export_tokenizer(Path::new(&gguf), dir);
    } else if let Ok(tok) = std::env::var("CODEFAIL_BENCH_TOKENIZER_DIR") {
        for f in ["tokenizer.json", "tokenizer_config.json"] {
            std::fs::copy(Path::new(&tok).join(f), dir.join(f))
                .unwrap_or_else(|e| die(format!("{tok}/{f}: {e}")));
        }
    }
    eprintln!("wrote {} ({size}, bf16)", dir.display());
}

/// Write a GGUF file's tokenizer as `tokenizer.json` and its chat template
/// and special tokens as `tokenizer_config.json` into `dir` (the hub's layout,
/// which `Model::load` and transformers both read).
fn export_tokenizer(gguf: &Path, dir: &Path) {
    let mut f =
        std::fs::File::open(gguf).unwrap_or_else(|e| die(format!("{}: {e}", gguf.display())));
    let ct = candle_core::quantized::gguf_file::Content::read(&mut f)
        .unwrap_or_else(|e| die(format!("{}: {e}", gguf.display())));
    let (tok, special) = codefail::sample::tokenizer_from_gguf(&ct)
        .unwrap_or_else(|e| die(format!("{}: {e}", gguf.display())));
    tok.save(dir.join("tokenizer.json"), false)
        .unwrap_or_else(|e| die(format!("tokenizer.json: {e}")));
    let template = ct
        .metadata
        .get("tokenizer.chat_template")
        .and_then(|v| v.to_string().ok())
        .cloned();
    let tc = json!({
        "chat_template": template,
        "bos_token": special.bos.map(|b| b.1),
        "eos_token": special.eos.map(|e| e.1),
        "add_bos_token": special.add_bos,
        "tokenizer_class": "PreTrainedTokenizerFast",
    });
    std::fs::write(dir.join("tokenizer_config.json"), tc.to_string()).unwrap_or_else(|e| die(e));
}

/// Bytes one decode step at batch `b` reads at the least: every weight
/// matrix once (the embedding only `b` rows; tied to the head, which reads
/// it whole), and the cache of `positions` positions per row.
fn step_bytes(cfg: &serde_json::Value, b: usize, positions: usize, dtype_bytes: usize) -> f64 {
    let u = |k: &str| cfg[k].as_u64().unwrap_or_default() as usize;
    let (h, i, v, layers) = (
        u("hidden_size"),
        u("intermediate_size"),
        u("vocab_size"),
        u("num_hidden_layers"),
    );
    let hd = h / u("num_attention_heads");
    let (q, kv) = (u("num_attention_heads") * hd, u("num_key_value_heads") * hd);
    let per_layer = h * (q + 2 * kv) + q * h + 3 * h * i + (q + 2 * kv) + 2 * h;
    let head = v * h;
    let tied = cfg["tie_word_embeddings"].as_bool().unwrap_or(false);
    let embed_rows = if tied { b * h } else { v * h + b * h };
    let weights = layers * per_layer + head + embed_rows + h;
    let cache = layers * 2 * kv * positions * b;
    ((weights + cache) * dtype_bytes) as f64
}

/// Microseconds per small tensor operation on `device` (an add of two
/// 1 x 1536 bf16 vectors, 2000 in a row, then one synchronising read): what
/// issuing one kernel costs when the arithmetic is nil. A decode step of a
/// 28-layer model issues some hundreds of them, so this floor, not memory
/// bandwidth, bounds batch-1 speed when it is large.
fn small_op_us(device: &Device) -> f64 {
    let run = |n: usize| -> candle_core::Result<f64> {
        let x = Tensor::ones((1, 1536), DType::BF16, device)?;
        let mut y = x.clone();
        let t = Instant::now();
        for _ in 0..n {
            y = (&y + &x)?;
        }
        y.to_dtype(DType::F32)?.sum_all()?.to_scalar::<f32>()?;
        Ok(t.elapsed().as_secs_f64() * 1e6 / n as f64)
    };
    run(200).and_then(|_| run(2000)).unwrap_or(f64::NAN)
}

fn main() {
    let device_choice: DeviceChoice = env("CODEFAIL_BENCH_DEVICE", "cuda:0")
        .parse()
        .unwrap_or_else(|e| die(e));
    if let Ok(dir) = std::env::var("CODEFAIL_BENCH_MAKE_MODEL") {
        let device = device_choice.open().unwrap_or_else(|e| die(e));
        let t0 = Instant::now();
        make_model(
            Path::new(&dir),
            &env("CODEFAIL_BENCH_SIZE", "1.5b"),
            &device,
        );
        eprintln!("made in {:.1} s", t0.elapsed().as_secs_f64());
        return;
    }
    let Ok(model_dir) = std::env::var("CODEFAIL_BENCH_MODEL") else {
        eprintln!(
            "gpu_decode: set CODEFAIL_BENCH_MODEL (or CODEFAIL_BENCH_MAKE_MODEL); see the top of benches/gpu_decode.rs"
        );
        return;
    };
    let dtype = match env("CODEFAIL_BENCH_DTYPE", "bf16").as_str() {
        "bf16" => DType::BF16,
        "f32" => DType::F32,
        other => die(format!("CODEFAIL_BENCH_DTYPE `{other}`: bf16 or f32")),
    };
    let batches: Vec<usize> = env("CODEFAIL_BENCH_BATCHES", "1,32")
        .split(',')
        .map(|b| {
            b.trim()
                .parse()
                .unwrap_or_else(|e| die(format!("batch `{b}`: {e}")))
        })
        .collect();
    let max_new: usize = env("CODEFAIL_BENCH_MAX_NEW", "256")
        .parse()
        .unwrap_or_else(|e| die(e));
    let bandwidth: Option<f64> = std::env::var("CODEFAIL_BENCH_BANDWIDTH_GBS")
        .ok()
        .and_then(|b| b.parse().ok());
    let t0 = Instant::now();
    let model = Model::load(
        &model_dir,
        &ModelOptions {
            device: device_choice,
            dtype: Some(dtype),
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| die(e));
    let load_s = t0.elapsed().as_secs_f64();
    let ids = model.encode(PROMPT).unwrap_or_else(|e| die(e));
    if let Ok(p) = std::env::var("CODEFAIL_BENCH_IDS") {
        std::fs::write(&p, json!(ids).to_string()).unwrap_or_else(|e| die(format!("{p}: {e}")));
    }
    let cfg: serde_json::Value = std::fs::read_to_string(Path::new(&model_dir).join("config.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let greedy = |n: usize| Sampling {
        temperature: 0.0,
        max_new_tokens: n,
        ..Default::default()
    };
    eprintln!(
        "{} on {device_choice} ({dtype:?}), loaded in {load_s:.1} s; prompt {} tokens, {max_new} new",
        model.name(),
        ids.len()
    );
    let op_us = small_op_us(&device_choice.open().unwrap_or_else(|e| die(e)));
    eprintln!("one small op (bf16 add of 1 x 1536, issued and run): {op_us:.1} us");
    let mut rows = Vec::new();
    for &b in &batches {
        let job = PromptJob {
            ids: ids.clone(),
            n: b,
            key: "bench".into(),
        };
        // Warm-up: kernels loaded, cuBLAS handles and workspaces made.
        generate_batch(&model, std::slice::from_ref(&job), &greedy(8)).unwrap_or_else(|e| die(e));
        let t = Instant::now();
        let (out, timing) = generate_batch(&model, std::slice::from_ref(&job), &greedy(max_new))
            .unwrap_or_else(|e| die(e));
        let wall = t.elapsed().as_secs_f64();
        let lens: Vec<usize> = out[0].iter().map(|s| s.token_ids.len()).collect();
        let tokens: usize = lens.iter().sum();
        let positions = ids.len() + max_new / 2;
        let bytes = step_bytes(&cfg, b, positions, if dtype == DType::BF16 { 2 } else { 4 });
        let bound = bandwidth.map(|gbs| b as f64 * gbs * 1e9 / bytes);
        let row = json!({
            "engine": "codefail", "device": device_choice.to_string(), "dtype": format!("{dtype:?}"),
            "batch": b, "new_tokens": tokens, "max_new_tokens": max_new,
            "rows_stopped_early": lens.iter().filter(|&&n| n < max_new).count(),
            "wall_s": wall, "prefill_s": timing.prefill_s, "decode_s": timing.decode_s,
            "tokens_per_s": tokens as f64 / wall,
            "decode_tokens_per_s": tokens as f64 / timing.decode_s,
            "step_ms": 1e3 * timing.decode_s / (lens.iter().copied().max().unwrap_or(1).max(1) as f64),
            "bytes_per_step": bytes, "bandwidth_gbs": bandwidth,
            "bound_tokens_per_s": bound,
            "small_op_us": op_us,
        });
        println!("{row}");
        rows.push(row);
    }
    let out = PathBuf::from(env("CODEFAIL_BENCH_OUT", "outputs/bench-gpu-decode.json"));
    if let Some(p) = out.parent() {
        let _ = std::fs::create_dir_all(p);
    }
    let doc =
        json!({"model": model_dir, "load_s": load_s, "prompt_tokens": ids.len(), "runs": rows});
    std::fs::write(&out, serde_json::to_string_pretty(&doc).unwrap_or_default())
        .unwrap_or_else(|e| die(format!("{}: {e}", out.display())));
    eprintln!("wrote {}", out.display());
}

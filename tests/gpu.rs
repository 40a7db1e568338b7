//! GPU decoding against CPU decoding (`--features cuda`; scripts/gpu-check.sh
//! runs these on a lent GPU). Tiny random-weight Qwen2 and Llama models the
//! test makes itself: greedy answers on CUDA equal the CPU's token for token
//! (f32), logits agree within a stated tolerance (f32 tight, bf16 and GGUF
//! looser), and batching does not change answers on the GPU either.
//!
//! Without a usable GPU each test prints SKIP and passes, unless
//! `CODEFAIL_REQUIRE_GPU` is set (gpu-check.sh sets it), when it fails: a
//! GPU run cannot pass by skipping.
#![cfg(feature = "cuda")]

mod common;

use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use candle_core::{DType, Device, Tensor};
use codefail::sample::{
    Decoder, DecoderConfig, DeviceChoice, KvCache, Model, ModelOptions, PromptJob, Sampling,
    generate_batch,
};
use common::tiny::{random_weights, tiny_model};
use common::{max_abs, max_abs_diff};
use std::path::Path;

/// Logits of f32 models on CPU and GPU differ by at most this (absolute;
/// the tiny models' logits are of order 10): summation order only.
const F32_TOL: f32 = 1e-3;
/// bf16 weights and activations (8 bits of mantissa) against the CPU's f32:
/// at most this fraction of the largest logit magnitude.
const BF16_REL_TOL: f32 = 0.05;
/// Q8_0/Q5_0 weights: codefail's AVX2 kernels (CPU) and candle's CUDA
/// kernels quantize activations differently (Q8_0 vs Q8_1 blocks): at most
/// this fraction of the largest logit magnitude.
const GGUF_REL_TOL: f32 = 0.03;

/// CUDA device 0, or `None` with a SKIP line (a failure under
/// `CODEFAIL_REQUIRE_GPU`).
fn gpu() -> Option<Device> {
    match DeviceChoice::Cuda(0).open() {
        Ok(d) => Some(d),
        Err(e) if std::env::var_os("CODEFAIL_REQUIRE_GPU").is_some() => {
            panic!("CODEFAIL_REQUIRE_GPU is set but: {e}")
        }
        Err(e) => {
            eprintln!("SKIP: no usable GPU ({e})");
            None
        }
    }
}

fn load(dir: &Path, device: DeviceChoice, dtype: DType) -> Model {
    Model::load(
        dir.to_str().unwrap(),
        &ModelOptions {
            device,
            dtype: Some(dtype),
            ..Default::default()
        },
    )
    .unwrap()
}

fn greedy(max_new_tokens: usize) -> Sampling {
    Sampling {
        temperature: 0.0,
        max_new_tokens,
        ..Default::default()
    }
}

/// The prompts every test decodes: two lengths, so batching pads.
fn prompts(model: &Model) -> Vec<PromptJob> {
    [
        "def is_prime(n):\n    \"\"\"Return True when n is prime.\"\"\"\n",
        "import sys\nfor line in sys.stdin:\n",
    ]
    .iter()
    .enumerate()
    .map(|(i, p)| PromptJob {
        ids: model.encode(p).unwrap(),
        n: 1,
        key: format!("p{i}"),
    })
    .collect()
}

/// Greedy answers of `jobs`, one `generate_batch` per prompt.
fn answers(model: &Model, jobs: &[PromptJob], s: &Sampling) -> Vec<codefail::sample::Sampled> {
    jobs.iter()
        .map(|j| {
            generate_batch(model, std::slice::from_ref(j), s)
                .unwrap()
                .0
                .remove(0)
                .remove(0)
        })
        .collect()
}

/// A decoder on `device` from the tiny model folder's safetensors.
fn decoder(dir: &Path, cfg: &DecoderConfig, dtype: DType, device: &Device) -> Decoder {
    // SAFETY: the test's own file, not modified while mapped.
    let vb = unsafe {
        candle_nn::VarBuilder::from_mmaped_safetensors(
            &[dir.join("model.safetensors")],
            dtype,
            device,
        )
    }
    .unwrap();
    Decoder::from_safetensors(cfg.clone(), vb).unwrap()
}

/// Prefill logits of a 9-token prompt, then of two single-token steps.
fn logits_trace(d: &Decoder, device: &Device) -> Vec<Tensor> {
    let mut cache = KvCache::new(vec![0]);
    let ids = Tensor::new(&[[5u32, 17, 99, 3, 250, 8, 41, 77, 12]], device).unwrap();
    let mut out = vec![d.forward(&ids, &mut cache).unwrap()];
    for t in [33u32, 400] {
        let ids = Tensor::new(&[[t]], device).unwrap();
        out.push(d.forward(&ids, &mut cache).unwrap());
    }
    out.into_iter()
        .map(|t| t.to_device(&Device::Cpu).unwrap())
        .collect()
}

#[test]
fn greedy_decoding_on_gpu_equals_cpu_f32() {
    let Some(_) = gpu() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for (model_type, seed) in [("qwen2", 11u64), ("llama", 12)] {
        let dir = tmp.path().join(model_type);
        tiny_model(&dir, model_type, seed);
        let cpu = load(&dir, DeviceChoice::Cpu, DType::F32);
        let cuda = load(&dir, DeviceChoice::Cuda(0), DType::F32);
        let jobs = prompts(&cpu);
        let s = greedy(32);
        let (a, b) = (answers(&cpu, &jobs, &s), answers(&cuda, &jobs, &s));
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            let n = x.token_ids.len().min(32);
            assert!(
                n >= 8,
                "{model_type} prompt {i}: only {n} tokens to compare"
            );
            assert_eq!(
                x.token_ids[..n],
                y.token_ids[..n.min(y.token_ids.len())],
                "{model_type} prompt {i}: GPU greedy tokens differ from the CPU's"
            );
            for (k, (p, q)) in x.logprobs.iter().zip(&y.logprobs).enumerate() {
                assert!(
                    (p - q).abs() < 1e-3,
                    "{model_type} prompt {i} token {k}: logprob {p} (CPU) vs {q} (GPU)"
                );
            }
            eprintln!("{model_type} prompt {i}: {n} greedy tokens equal on CPU and GPU (f32)");
        }
    }
}

#[test]
fn logits_on_gpu_match_cpu_within_tolerance() {
    let Some(dev) = gpu() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for (model_type, seed) in [("qwen2", 21u64), ("llama", 22)] {
        let dir = tmp.path().join(model_type);
        let cfg = tiny_model(&dir, model_type, seed);
        let want = logits_trace(&decoder(&dir, &cfg, DType::F32, &Device::Cpu), &Device::Cpu);
        let f32_gpu = logits_trace(&decoder(&dir, &cfg, DType::F32, &dev), &dev);
        let bf16_gpu = logits_trace(&decoder(&dir, &cfg, DType::BF16, &dev), &dev);
        for (step, ((w, f), h)) in want.iter().zip(&f32_gpu).zip(&bf16_gpu).enumerate() {
            let scale = max_abs(w);
            let d32 = max_abs_diff(w, f);
            let d16 = max_abs_diff(w, h);
            eprintln!(
                "{model_type} step {step}: max |logit| {scale:.3}, f32 GPU diff {d32:.2e}, bf16 GPU diff {d16:.3e} ({:.2}%)",
                100.0 * d16 / scale
            );
            assert!(d32 <= F32_TOL, "{model_type} step {step}: f32 diff {d32}");
            assert!(
                d16 <= BF16_REL_TOL * scale,
                "{model_type} step {step}: bf16 diff {d16} > {BF16_REL_TOL} x {scale}"
            );
            // bf16 keeps the greedy choice of the prefill, up to a near tie:
            // a different choice must be within twice bf16's error of the
            // best f32 logit.
            if step == 0 {
                let am = |t: &Tensor| t.argmax(1).unwrap().to_vec1::<u32>().unwrap()[0] as usize;
                let (a, b) = (am(w), am(h));
                let wl = w.to_vec2::<f32>().unwrap();
                assert!(
                    a == b || wl[0][b] >= wl[0][a] - 2.0 * d16,
                    "{model_type}: bf16 chose token {b} (f32 logit {}), f32 chose {a} ({})",
                    wl[0][b],
                    wl[0][a]
                );
            }
        }
    }
}

#[test]
fn batching_does_not_change_answers_on_gpu() {
    let Some(_) = gpu() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("qwen2");
    tiny_model(&dir, "qwen2", 31);
    let cuda = load(&dir, DeviceChoice::Cuda(0), DType::F32);
    let jobs = prompts(&cuda);
    let s = greedy(24);
    let alone = answers(&cuda, &jobs, &s);
    // Both prompts in one left-padded batch, with 3 copies of each.
    let batch: Vec<PromptJob> = jobs
        .iter()
        .map(|j| PromptJob { n: 3, ..j.clone() })
        .collect();
    let (together, _) = generate_batch(&cuda, &batch, &s).unwrap();
    for (i, (a, t)) in alone.iter().zip(&together).enumerate() {
        for (k, row) in t.iter().enumerate() {
            assert_eq!(
                a.token_ids, row.token_ids,
                "prompt {i} copy {k}: batched answer differs on the GPU"
            );
        }
    }
    // Sampling (temperature > 0) takes the host path on the GPU too and
    // stays reproducible across batch sizes.
    let hot = Sampling {
        temperature: 0.8,
        top_p: 0.95,
        seed: 5,
        max_new_tokens: 16,
        ..Default::default()
    };
    let one = answers(&cuda, &jobs, &hot);
    let (both, _) = generate_batch(&cuda, &jobs, &hot).unwrap();
    for (i, (a, b)) in one.iter().zip(&both).enumerate() {
        assert_eq!(
            a.token_ids, b[0].token_ids,
            "prompt {i}: sampled answer depends on batch"
        );
    }
}

/// A GGUF file with the tiny config's weights, quantized (Q5_0 attention, Q8_0
/// elsewhere: the two formats of Qwen2.5-Coder-0.5B's rows that are not
/// multiples of 256), in llama.cpp's tensor names.
fn tiny_gguf(path: &Path, cfg: &DecoderConfig, seed: u64) {
    let w = random_weights(cfg, seed);
    let q = |name: &str, t: GgmlDType| QTensor::quantize(&w[name], t).unwrap();
    let mut tensors: Vec<(String, QTensor)> = vec![
        (
            "token_embd.weight".into(),
            q("model.embed_tokens.weight", GgmlDType::Q8_0),
        ),
        (
            "output_norm.weight".into(),
            q("model.norm.weight", GgmlDType::F32),
        ),
    ];
    for l in 0..cfg.num_hidden_layers {
        let hf = format!("model.layers.{l}");
        let gg = format!("blk.{l}");
        for (from, to, t) in [
            ("self_attn.q_proj", "attn_q", GgmlDType::Q5_0),
            ("self_attn.k_proj", "attn_k", GgmlDType::Q5_0),
            ("self_attn.v_proj", "attn_v", GgmlDType::Q5_0),
            ("self_attn.o_proj", "attn_output", GgmlDType::Q5_0),
            ("mlp.gate_proj", "ffn_gate", GgmlDType::Q8_0),
            ("mlp.up_proj", "ffn_up", GgmlDType::Q8_0),
            ("mlp.down_proj", "ffn_down", GgmlDType::Q8_0),
        ] {
            tensors.push((
                format!("{gg}.{to}.weight"),
                q(&format!("{hf}.{from}.weight"), t),
            ));
            if cfg.attention_bias && to != "attn_output" && to.starts_with("attn") {
                tensors.push((
                    format!("{gg}.{to}.bias"),
                    q(&format!("{hf}.{from}.bias"), GgmlDType::F32),
                ));
            }
        }
        tensors.push((
            format!("{gg}.attn_norm.weight"),
            q(&format!("{hf}.input_layernorm.weight"), GgmlDType::F32),
        ));
        tensors.push((
            format!("{gg}.ffn_norm.weight"),
            q(
                &format!("{hf}.post_attention_layernorm.weight"),
                GgmlDType::F32,
            ),
        ));
    }
    use gguf_file::Value;
    let a = &cfg.architecture;
    let meta: Vec<(String, Value)> = vec![
        ("general.architecture".into(), Value::String(a.clone())),
        (
            format!("{a}.embedding_length"),
            Value::U32(cfg.hidden_size as u32),
        ),
        (
            format!("{a}.feed_forward_length"),
            Value::U32(cfg.intermediate_size as u32),
        ),
        (
            format!("{a}.block_count"),
            Value::U32(cfg.num_hidden_layers as u32),
        ),
        (
            format!("{a}.attention.head_count"),
            Value::U32(cfg.num_attention_heads as u32),
        ),
        (
            format!("{a}.attention.head_count_kv"),
            Value::U32(cfg.num_key_value_heads as u32),
        ),
        (format!("{a}.vocab_size"), Value::U32(cfg.vocab_size as u32)),
        (
            format!("{a}.context_length"),
            Value::U32(cfg.max_position_embeddings as u32),
        ),
        (
            format!("{a}.rope.freq_base"),
            Value::F32(cfg.rope_theta as f32),
        ),
        (
            format!("{a}.attention.layer_norm_rms_epsilon"),
            Value::F32(cfg.rms_norm_eps as f32),
        ),
    ];
    let mut f = std::fs::File::create(path).unwrap();
    let meta_refs: Vec<(&str, &Value)> = meta.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    gguf_file::write(&mut f, &meta_refs, &tensor_refs).unwrap();
}

#[test]
fn gguf_on_gpu_uses_candles_quantized_kernels_and_matches_cpu() {
    let Some(dev) = gpu() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let cfg = DecoderConfig::tiny();
    let path = tmp.path().join("tiny.gguf");
    tiny_gguf(&path, &cfg, 41);
    let open = |device: &Device| {
        let mut f = std::fs::File::open(&path).unwrap();
        let ct = gguf_file::Content::read(&mut f).unwrap();
        let c = DecoderConfig::from_gguf(&ct).unwrap();
        Decoder::from_gguf(c, &ct, &mut f, device).unwrap()
    };
    let (cpu, cuda) = (open(&Device::Cpu), open(&dev));
    assert!(!cuda.device().is_cpu());
    let want = logits_trace(&cpu, &Device::Cpu);
    let got = logits_trace(&cuda, &dev);
    for (step, (w, g)) in want.iter().zip(&got).enumerate() {
        let (scale, d) = (max_abs(w), max_abs_diff(w, g));
        eprintln!(
            "gguf step {step}: max |logit| {scale:.3}, GPU diff {d:.3e} ({:.2}%)",
            100.0 * d / scale
        );
        assert!(
            d <= GGUF_REL_TOL * scale,
            "gguf step {step}: diff {d} > {GGUF_REL_TOL} x {scale}"
        );
    }
}

/// Without a GPU the device fails with an error that says what to check,
/// not a panic; with one it opens. Runs on any machine with a `cuda` build
/// (scripts/cuda-toolkit.sh's stub libraries let it start without a driver).
#[test]
fn cuda_device_opens_or_says_why() {
    match DeviceChoice::Cuda(0).open() {
        Ok(d) => assert!(d.is_cuda()),
        Err(e) => {
            let text = e.to_string();
            assert!(text.contains("CUDA device 0 is not usable"), "{text}");
            assert!(text.contains("nvidia-smi"), "{text}");
        }
    }
    // A device number far past any machine's fails the same way.
    let e = DeviceChoice::Cuda(999).open().unwrap_err().to_string();
    assert!(e.contains("CUDA device 999"), "{e}");
}

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
/// One Q8_0/Q5_0 product with its activations rounded to 8 bits per
/// 32-value block, against the exact product of the dequantized weight: at
/// most this fraction of the largest output magnitude. Measured on an H200
/// (2026-12-04): candle's CPU kernel 0.37-0.48%, its CUDA kernels the same
/// for Q8_0 and 0.57-0.66% for Q5_0 by one row (MMVQ: llama.cpp's Q5_0 x
/// Q8_1 product subtracts 16 x the block's unrounded sum, stored in f16).
const MATMUL_ROUNDING: f32 = 0.01;
/// The tiny random model's logits from those products against its logits
/// from the exact dequantized weights: at most this fraction of the largest
/// |logit|. Two random layers amplify the per-product rounding about
/// sevenfold; measured: codefail's CPU kernels (Q8_0 activations) 1.3-3.0%,
/// candle's CUDA kernels 2.4-4.9%, candle's exact-activation CUDA kernels
/// (dmmv) 0.000%, which the test holds to 1e-4.
const GGUF_REL_TOL: f32 = 0.06;

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

/// The exact dequantized weights of [`tiny_gguf`] as an f32 safetensors
/// folder (HF names), for [`decoder`].
fn tiny_gguf_exact(dir: &Path, cfg: &DecoderConfig, seed: u64) {
    let exact: std::collections::HashMap<String, Tensor> = random_weights(cfg, seed)
        .into_iter()
        .map(|(name, t)| {
            let kind = if t.rank() == 1 {
                GgmlDType::F32
            } else if name.contains("self_attn") {
                GgmlDType::Q5_0
            } else {
                GgmlDType::Q8_0
            };
            let q = QTensor::quantize(&t, kind).unwrap();
            (name, q.dequantize(&Device::Cpu).unwrap())
        })
        .collect();
    candle_core::safetensors::save(&exact, dir.join("model.safetensors")).unwrap();
}

/// GGUF on the GPU goes through candle's CUDA quantized kernels, and is right:
/// with candle's exact-activation kernels (dmmv) the logits equal those of
/// the dequantized weights in f32; with its default kernels (activations
/// rounded to Q8_1, as llama.cpp's) each product and the logits stay within
/// the rounding bounds, as codefail's CPU kernels (activations rounded to
/// Q8_0) do. One test, because the dmmv switch is process-wide.
#[test]
fn gguf_on_gpu_matches_exact_weights_within_rounding() {
    use candle_core::Module;
    use candle_core::quantized::{QMatMul, cuda::set_force_dmmv};
    use rand::{Rng, SeedableRng};
    let Some(dev) = gpu() else { return };
    // One product: (rows x k) times a quantized (n x k) weight.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut rand = |shape: (usize, usize, usize)| {
        let n = shape.0 * shape.1 * shape.2;
        let v: Vec<f32> = (0..n).map(|_| rng.random::<f32>() * 2.0 - 1.0).collect();
        Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
    };
    for (t, n, k) in [
        (GgmlDType::Q5_0, 64, 64),
        (GgmlDType::Q8_0, 128, 64),
        (GgmlDType::Q8_0, 64, 128),
        (GgmlDType::Q5_0, 896, 896),
    ] {
        let w = rand((1, n, k)).squeeze(0).unwrap();
        let exact_w = QTensor::quantize(&w, t)
            .unwrap()
            .dequantize(&Device::Cpu)
            .unwrap();
        let gpu_w = QMatMul::from_qtensor(QTensor::quantize_onto(&w, t, &dev).unwrap()).unwrap();
        // One row: candle's vector kernel (MMVQ); nine: its matrix kernel.
        for rows in [1usize, 9] {
            let x = rand((1, rows, k));
            let exact = x.broadcast_matmul(&exact_w.t().unwrap()).unwrap();
            let rel = |y: &Tensor| max_abs_diff(&exact, y) / max_abs(&exact);
            let xg = x.to_device(&dev).unwrap();
            let fast = rel(&gpu_w.forward(&xg).unwrap());
            set_force_dmmv(true);
            let dmmv = rel(&gpu_w.forward(&xg).unwrap());
            set_force_dmmv(false);
            eprintln!(
                "{t:?} {n}x{k}, {rows} row(s) against exact: GPU {:.3}%, GPU dmmv {:.5}%",
                100.0 * fast,
                100.0 * dmmv
            );
            assert!(dmmv <= 1e-4, "{t:?} {n}x{k} x{rows}: dmmv {dmmv}");
            assert!(fast <= MATMUL_ROUNDING, "{t:?} {n}x{k} x{rows}: {fast}");
        }
    }
    // The whole tiny model against the exact dequantized weights in f32.
    let tmp = tempfile::tempdir().unwrap();
    let cfg = DecoderConfig::tiny();
    let path = tmp.path().join("tiny.gguf");
    tiny_gguf(&path, &cfg, 41);
    tiny_gguf_exact(tmp.path(), &cfg, 41);
    let open = |device: &Device| {
        let mut f = std::fs::File::open(&path).unwrap();
        let ct = gguf_file::Content::read(&mut f).unwrap();
        let c = DecoderConfig::from_gguf(&ct).unwrap();
        Decoder::from_gguf(c, &ct, &mut f, device).unwrap()
    };
    let exact = logits_trace(
        &decoder(tmp.path(), &cfg, DType::F32, &Device::Cpu),
        &Device::Cpu,
    );
    let cuda = open(&dev);
    assert!(!cuda.device().is_cpu());
    let cpu = logits_trace(&open(&Device::Cpu), &Device::Cpu);
    let gpu = logits_trace(&cuda, &dev);
    set_force_dmmv(true);
    let gpu_dmmv = logits_trace(&cuda, &dev);
    set_force_dmmv(false);
    for step in 0..exact.len() {
        let scale = max_abs(&exact[step]);
        let rel = |t: &[Tensor]| max_abs_diff(&exact[step], &t[step]) / scale;
        let (c, g, d) = (rel(&cpu), rel(&gpu), rel(&gpu_dmmv));
        eprintln!(
            "gguf step {step} against exact (max |logit| {scale:.3}): CPU {:.2}%, GPU {:.2}%, GPU dmmv {:.5}%; GPU vs CPU {:.2}%",
            100.0 * c,
            100.0 * g,
            100.0 * d,
            100.0 * max_abs_diff(&cpu[step], &gpu[step]) / scale
        );
        assert!(d <= 1e-4, "gguf step {step}: dmmv {d}");
        assert!(
            c <= GGUF_REL_TOL,
            "gguf step {step}: CPU {c} > {GGUF_REL_TOL}"
        );
        assert!(
            g <= GGUF_REL_TOL,
            "gguf step {step}: GPU {g} > {GGUF_REL_TOL}"
        );
    }
}

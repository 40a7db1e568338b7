//! `sample` on tiny random-weight models the test makes itself (safetensors
//! path, batching, cache copy, seeds), on chat templates and prompts, and on
//! the two real GGUF models when they have been fetched
//! (`codefail models fetch`; CI fetches them).

mod common;

use candle_core::{DType, Device, Tensor};
use codefail::data::{LoadOptions, load, problems_from_frame};
use codefail::sample::{
    ChatTemplate, Decoder, DecoderConfig, KvCache, Message, Model, ModelOptions, PromptInput,
    SampleConfig, Sampling, prompt_for, sample,
};
use common::max_abs_diff;
use common::tiny::{CHATML, tiny_model, train_tokenizer};
use polars::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn mbpp_test(limit: usize) -> DataFrame {
    load(
        "mbpp",
        &LoadOptions {
            split: Some("test".into()),
            limit: Some(limit),
            ..Default::default()
        },
    )
    .unwrap()
}

fn lists_u32(df: &DataFrame, col: &str) -> Vec<Vec<u32>> {
    let lc = df.column(col).unwrap().list().unwrap().clone();
    (0..lc.len())
        .map(|i| {
            lc.get_as_series(i)
                .unwrap()
                .u32()
                .unwrap()
                .into_no_null_iter()
                .collect()
        })
        .collect()
}

fn lists_f32(df: &DataFrame, col: &str) -> Vec<Vec<f32>> {
    let lc = df.column(col).unwrap().list().unwrap().clone();
    (0..lc.len())
        .map(|i| {
            lc.get_as_series(i)
                .unwrap()
                .f32()
                .unwrap()
                .into_no_null_iter()
                .collect()
        })
        .collect()
}

#[test]
fn tiny_safetensors_models_sample_batch_and_reproduce() {
    let tmp = tempfile::tempdir().unwrap();
    for (model_type, seed) in [("qwen2", 1u64), ("llama", 2)] {
        let dir = tmp.path().join(model_type);
        let cfg = tiny_model(&dir, model_type, seed);
        let model = Model::load(dir.to_str().unwrap(), &ModelOptions::default()).unwrap();
        assert_eq!(model.architecture(), model_type);
        assert!(
            model
                .stop_ids()
                .contains(&model.tokenizer().token_to_id("<|im_end|>").unwrap())
        );
        let problems = mbpp_test(3);
        let base = SampleConfig {
            n: 3,
            sampling: Sampling {
                temperature: 0.9,
                top_p: 0.95,
                top_k: 50,
                seed: 7,
                max_new_tokens: 12,
                stop: vec![],
            },
            ..Default::default()
        };
        let a = sample(&problems, &model, &base).unwrap();
        assert_eq!(a.height(), 9, "{model_type}: 3 tasks x n=3");
        let ids = lists_u32(&a, "token_ids");
        let lp = lists_f32(&a, "token_logprobs");
        let ent = lists_f32(&a, "token_entropies");
        for ((i, l), e) in ids.iter().zip(&lp).zip(&ent) {
            assert_eq!(i.len(), l.len());
            assert_eq!(i.len(), e.len());
            assert!(l.iter().all(|x| *x <= 0.0 && x.is_finite()));
            // Entropy of a distribution over 512 tokens lies in [0, ln 512].
            assert!(e.iter().all(|x| *x >= -1e-4 && *x <= (512f32).ln() + 1e-3));
        }
        // Same seed, batched differently: the same answers (each sample has its own generator).
        let b = sample(
            &problems,
            &model,
            &SampleConfig {
                batch_size: 3,
                ..base.clone()
            },
        )
        .unwrap();
        assert_eq!(
            ids,
            lists_u32(&b, "token_ids"),
            "{model_type}: batching changed the samples"
        );
        // Another seed: other answers.
        let mut other = base.clone();
        other.sampling.seed = 8;
        let c = sample(&problems, &model, &other).unwrap();
        assert_ne!(
            ids,
            lists_u32(&c, "token_ids"),
            "{model_type}: the seed is ignored"
        );
        // Greedy: n copies of one prefill all equal the single answer.
        let greedy = SampleConfig {
            n: 1,
            sampling: Sampling {
                max_new_tokens: 10,
                ..Default::default()
            },
            ..Default::default()
        };
        let one = lists_u32(&sample(&problems, &model, &greedy).unwrap(), "token_ids");
        let many = lists_u32(
            &sample(
                &problems,
                &model,
                &SampleConfig {
                    n: 4,
                    ..greedy.clone()
                },
            )
            .unwrap(),
            "token_ids",
        );
        for (t, single) in one.iter().enumerate() {
            for k in 0..4 {
                assert_eq!(
                    &many[t * 4 + k],
                    single,
                    "{model_type}: greedy sample {k} of task {t}"
                );
            }
        }
        decoder_padding_and_cache_copy_match(&dir, &cfg);
    }
}

/// codefail's decoder gives the logits of candle-transformers' own Qwen2
/// (grouped-query attention with 4 query and 2 key/value heads, q/k/v bias,
/// tied embeddings) on the same weights: a 7-token prefill, then two decode
/// steps on the cache.
#[test]
fn qwen2_decoder_matches_candle_transformers() {
    use candle_transformers::models::qwen2;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("qwen2");
    let cfg = tiny_model(&dir, "qwen2", 5);
    let vb = || unsafe {
        candle_nn::VarBuilder::from_mmaped_safetensors(
            &[dir.join("model.safetensors")],
            DType::F32,
            &Device::Cpu,
        )
        .unwrap()
    };
    let dec = Decoder::from_safetensors(cfg.clone(), vb()).unwrap();
    let ref_cfg: qwen2::Config = serde_json::from_value(serde_json::json!({
        "vocab_size": cfg.vocab_size, "hidden_size": cfg.hidden_size,
        "intermediate_size": cfg.intermediate_size, "num_hidden_layers": cfg.num_hidden_layers,
        "num_attention_heads": cfg.num_attention_heads,
        "num_key_value_heads": cfg.num_key_value_heads,
        "max_position_embeddings": cfg.max_position_embeddings,
        "sliding_window": cfg.max_position_embeddings, "max_window_layers": cfg.num_hidden_layers,
        "tie_word_embeddings": true, "rope_theta": cfg.rope_theta,
        "rms_norm_eps": cfg.rms_norm_eps, "use_sliding_window": false, "hidden_act": "silu",
    }))
    .unwrap();
    assert_eq!(cfg.num_attention_heads, 2 * cfg.num_key_value_heads);
    let mut reference = qwen2::ModelForCausalLM::new(&ref_cfg, vb()).unwrap();
    let dev = Device::Cpu;
    let prompt: Vec<u32> = vec![9, 1, 4, 77, 301, 12, 8];
    let mut cache = KvCache::new(vec![0]);
    let mut offset = 0;
    for (step, ids) in [prompt, vec![42], vec![7]].into_iter().enumerate() {
        let t = Tensor::new(ids.as_slice(), &dev)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        let ours = dec.forward(&t, &mut cache).unwrap();
        let want = reference.forward(&t, offset).unwrap().squeeze(1).unwrap();
        offset += ids.len();
        let d = max_abs_diff(&ours, &want);
        assert!(d < 1e-4, "step {step}: logits differ by {d}");
    }
}

/// On the real Qwen2.5-Coder-0.5B GGUF, codefail's decoder (its own Q5_0 and
/// Q8_0 kernels, grouped-query attention without copies) gives the logits of
/// candle-transformers' `quantized_qwen2` on the same file, for a 9-token
/// prefill and two single-token steps, up to the activations' 8-bit
/// rounding: every quantized matmul rounds its input to 8 bits per 32
/// values, so any change in float summation order flips some roundings and
/// moves the logits by a few tenths (measured on this prompt: candle's own
/// model, prefilled at once vs one token at a time, differs by 0.27 with
/// logits up to 15). Bound: 5% of the largest logit, and the same greedy
/// token. The exact, rounding-free comparison of the architecture is
/// `qwen2_decoder_matches_candle_transformers` (f32 weights).
#[test]
fn real_qwen_gguf_decoder_matches_candle_transformers() {
    use candle_core::quantized::gguf_file;
    use candle_transformers::models::quantized_qwen2;
    let Some(path) = common::fetched_model("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf") else {
        return;
    };
    let dev = Device::Cpu;
    let load = || {
        let mut f = std::fs::File::open(&path).unwrap();
        let ct = gguf_file::Content::read(&mut f).unwrap();
        (ct, f)
    };
    let (ct, mut f) = load();
    let cfg = DecoderConfig::from_gguf(&ct).unwrap();
    let ours = Decoder::from_gguf(cfg, &ct, &mut f, &dev).unwrap();
    let mut reference = {
        let (ct, mut f) = load();
        quantized_qwen2::ModelWeights::from_gguf(ct, &mut f, &dev).unwrap()
    };
    let mut cache = KvCache::new(vec![0]);
    let mut offset = 0;
    let steps = [
        QWEN_IDS[..9].to_vec(),
        vec![QWEN_IDS[9]],
        vec![QWEN_IDS[10]],
    ];
    for (step, ids) in steps.into_iter().enumerate() {
        let t = Tensor::new(ids.as_slice(), &dev)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        let a = ours.forward(&t, &mut cache).unwrap().squeeze(0).unwrap();
        let b = reference.forward(&t, offset).unwrap().squeeze(0).unwrap();
        offset += ids.len();
        let scale = b.abs().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap();
        let d = max_abs_diff(&a, &b);
        eprintln!("step {step}: max |logit| {scale}, max difference {d}");
        assert!(
            d <= 0.05 * scale,
            "step {step}: logits differ by {d} (max {scale})"
        );
        let top = |t: &Tensor| t.argmax(0).unwrap().to_scalar::<u32>().unwrap();
        assert_eq!(top(&a), top(&b), "step {step}: greedy token");
    }
}

/// Left-padded batch and cache copies give the logits of unpadded single runs.
fn decoder_padding_and_cache_copy_match(dir: &Path, cfg: &DecoderConfig) {
    let vb = unsafe {
        candle_nn::VarBuilder::from_mmaped_safetensors(
            &[dir.join("model.safetensors")],
            DType::F32,
            &Device::Cpu,
        )
        .unwrap()
    };
    let dec = Decoder::from_safetensors(cfg.clone(), vb).unwrap();
    let dev = Device::Cpu;
    let short: Vec<u32> = vec![5, 17, 200, 33];
    let long: Vec<u32> = vec![9, 1, 4, 77, 301, 12, 8];
    let single = |ids: &[u32], next: u32| {
        let mut c = KvCache::new(vec![0]);
        let first = dec
            .forward(
                &Tensor::new(ids, &dev).unwrap().unsqueeze(0).unwrap(),
                &mut c,
            )
            .unwrap();
        let second = dec
            .forward(&Tensor::new(&[[next]], &dev).unwrap(), &mut c)
            .unwrap();
        (first, second)
    };
    let (s1, s2) = single(&short, 42);
    let (l1, l2) = single(&long, 43);
    let pad = long.len() - short.len();
    let mut padded = vec![0u32; pad];
    padded.extend(&short);
    let mut flat = padded.clone();
    flat.extend(&long);
    let batch = Tensor::from_vec(flat, (2, long.len()), &dev).unwrap();
    let mut cache = KvCache::new(vec![pad, 0]);
    let b1 = dec.forward(&batch, &mut cache).unwrap();
    let b2 = dec
        .forward(&Tensor::new(&[[42u32], [43]], &dev).unwrap(), &mut cache)
        .unwrap();
    assert!(
        max_abs_diff(&b1.get(0).unwrap(), &s1.get(0).unwrap()) < 1e-4,
        "padded prefill"
    );
    assert!(max_abs_diff(&b1.get(1).unwrap(), &l1.get(0).unwrap()) < 1e-4);
    assert!(
        max_abs_diff(&b2.get(0).unwrap(), &s2.get(0).unwrap()) < 1e-4,
        "padded decode"
    );
    assert!(max_abs_diff(&b2.get(1).unwrap(), &l2.get(0).unwrap()) < 1e-4);
    // Cache copy: one prefill repeated for 3 rows decodes like three fresh runs.
    let mut c = KvCache::new(vec![0]);
    dec.forward(
        &Tensor::new(short.as_slice(), &dev)
            .unwrap()
            .unsqueeze(0)
            .unwrap(),
        &mut c,
    )
    .unwrap();
    let mut c3 = c.repeat(3).unwrap();
    let r = dec
        .forward(&Tensor::new(&[[42u32], [42], [42]], &dev).unwrap(), &mut c3)
        .unwrap();
    for row in 0..3 {
        assert!(
            max_abs_diff(&r.get(row).unwrap(), &s2.get(0).unwrap()) < 1e-4,
            "cache copy row {row}"
        );
    }
    // A row leaving the batch does not disturb the others.
    let mut c2 = c3.select(&[2]).unwrap();
    let next = dec
        .forward(&Tensor::new(&[[7u32]], &dev).unwrap(), &mut c2)
        .unwrap();
    let mut fresh = KvCache::new(vec![0]);
    let mut ids = short.clone();
    ids.extend([42, 7]);
    let want = dec
        .forward(
            &Tensor::new(ids.as_slice(), &dev)
                .unwrap()
                .unsqueeze(0)
                .unwrap(),
            &mut fresh,
        )
        .unwrap();
    assert!(
        max_abs_diff(&next, &want) < 1e-4,
        "select then decode equals one long prefill"
    );
    // Caches grow in place: a clone, a truncation and the original each keep
    // their own positions, whatever order they decode in (a shallow copy
    // would let the original's step overwrite the clone's position 4).
    let fresh_last = |ids: &[u32]| {
        let mut f = KvCache::new(vec![0]);
        dec.forward(
            &Tensor::new(ids, &dev).unwrap().unsqueeze(0).unwrap(),
            &mut f,
        )
        .unwrap()
    };
    let step = |cache: &mut KvCache, tok: u32| {
        dec.forward(&Tensor::new(&[[tok]], &dev).unwrap(), cache)
            .unwrap()
    };
    let mut clone = c.clone();
    let mut head = c.truncate(2).unwrap();
    step(&mut clone, 42);
    step(&mut c, 44);
    step(&mut head, 45);
    let got_clone = step(&mut clone, 50);
    let got_orig = step(&mut c, 51);
    let got_head = step(&mut head, 52);
    let with = |tail: &[u32], keep: usize| {
        let mut ids = short[..keep].to_vec();
        ids.extend(tail);
        fresh_last(&ids)
    };
    assert!(
        max_abs_diff(&got_clone, &with(&[42, 50], 4)) < 1e-4,
        "clone"
    );
    assert!(
        max_abs_diff(&got_orig, &with(&[44, 51], 4)) < 1e-4,
        "original"
    );
    assert!(
        max_abs_diff(&got_head, &with(&[45, 52], 2)) < 1e-4,
        "truncation"
    );
}

#[test]
fn hub_ids_resolve_from_the_local_cache_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = tmp
        .path()
        .join("models--codefail--tiny-qwen2")
        .join("snapshots")
        .join("abc123");
    tiny_model(&snap, "qwen2", 3);
    std::fs::create_dir_all(tmp.path().join("models--codefail--tiny-qwen2/refs")).unwrap();
    std::fs::write(
        tmp.path().join("models--codefail--tiny-qwen2/refs/main"),
        "abc123",
    )
    .unwrap();
    // SAFETY: no other test in this binary reads these variables.
    unsafe {
        std::env::set_var("HF_HUB_CACHE", tmp.path());
        std::env::set_var("HF_HUB_OFFLINE", "1");
    }
    let m = Model::load("codefail/tiny-qwen2", &ModelOptions::default()).unwrap();
    assert_eq!(m.architecture(), "qwen2");
    let err = Model::load("codefail/not-there", &ModelOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("models--codefail--not-there"), "{err}");
    // A missing file path is reported as a missing file, not looked up in
    // the hub cache.
    let missing = tmp.path().join("no-such-model.gguf");
    let no_file = std::io::Error::from_raw_os_error(2).to_string();
    for spec in [
        missing.to_str().unwrap(),
        "no-such-model.gguf",
        "./no-such-folder",
    ] {
        let err = Model::load(spec, &ModelOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(spec) && err.contains(&no_file),
            "{spec}: {err}"
        );
        assert!(!err.contains("models--"), "{spec}: {err}");
    }
}

#[test]
fn chat_templates_render_like_transformers() {
    let t = ChatTemplate::new(CHATML, "", "<|im_end|>");
    let out = t.render(&[Message::new("user", "hi")], true).unwrap();
    assert_eq!(
        out,
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    );
    let out = t
        .render(
            &[Message::new("system", "S"), Message::new("user", "hi")],
            false,
        )
        .unwrap();
    assert_eq!(
        out,
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
    );
    // A template with whitespace control, trim_blocks/lstrip_blocks and Python methods.
    let src = "{%- for m in messages %}\n    {%- if m.role == 'user' %}\n[INST] {{ m.content.strip() }} [/INST]\n    {%- endif %}\n{%- endfor %}\n{% if add_generation_prompt %}\n{{ bos_token }}\n{% endif %}";
    let t = ChatTemplate::new(src, "<s>", "</s>");
    assert_eq!(
        t.render(&[Message::new("user", "  x ")], true).unwrap(),
        "[INST] x [/INST]<s>\n"
    );
    let bad = ChatTemplate::new("{{ raise_exception('no system role') }}", "", "");
    assert!(
        bad.render(&[], true)
            .unwrap_err()
            .contains("no system role")
    );
}

#[test]
fn deepseek_prompt_matches_the_published_prompts() {
    let path =
        codefail::data::data_file("generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl")
            .unwrap();
    let problems = problems_from_frame(&mbpp_test(500)).unwrap();
    let by_id: HashMap<String, _> = problems
        .iter()
        .map(|p| (p.task_id.rsplit('/').next().unwrap().to_string(), p))
        .collect();
    let mut checked = 0;
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = v["task_id"].to_string();
        let Some(p) = by_id.get(id.trim_matches('"')) else {
            continue;
        };
        let PromptInput::Chat(m) = prompt_for(p, "mbpp-deepseek-3shot", None).unwrap() else {
            panic!()
        };
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].content, v["prompt"].as_str().unwrap(), "task {id}");
        checked += 1;
    }
    assert!(checked >= 499, "{checked}");
}

/// Token ids llama.cpp (llama-cpp-python 0.3) gives for this text with the same GGUF files.
const TOKENIZE_TEXT: &str = "def remove_Occ(s,ch): \n    return s.replace(ch, '')  # 12345\n";

#[test]
fn real_gguf_models_answer_an_mbpp_task_reproducibly() {
    let problems = mbpp_test(1);
    for (file, llama_cpp_ids, special_ids) in [
        (
            "SmolLM2-135M-Instruct.Q4_1.gguf",
            SMOLLM_IDS,
            SMOLLM_SPECIAL_IDS,
        ),
        (
            "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            QWEN_IDS,
            QWEN_SPECIAL_IDS,
        ),
    ] {
        let Some(path) = common::fetched_model(file) else {
            continue;
        };
        let model = Model::load(path.to_str().unwrap(), &ModelOptions::default()).unwrap();
        if let Some(t) = model.chat_template() {
            let text = t.render(&[Message::new("user", "hi")], true).unwrap();
            let want = if file.starts_with("qwen") {
                "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
            } else {
                "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
            };
            assert_eq!(text, want, "{file}: chat template");
        } else {
            panic!("{file} has no chat template");
        }
        let ids = model.encode(TOKENIZE_TEXT).unwrap();
        assert_eq!(
            ids, llama_cpp_ids,
            "{file}: tokenizer differs from llama.cpp"
        );
        assert_eq!(model.decode(&ids).unwrap(), TOKENIZE_TEXT);
        assert_eq!(
            model.encode(SPECIAL_TEXT).unwrap(),
            special_ids,
            "{file}: special tokens"
        );
        let cfg = SampleConfig {
            sampling: Sampling {
                max_new_tokens: 160,
                ..Default::default()
            },
            ..Default::default()
        };
        let a = sample(&problems, &model, &cfg).unwrap();
        let b = sample(&problems, &model, &cfg).unwrap();
        let raw = a
            .column("raw_output")
            .unwrap()
            .str()
            .unwrap()
            .get(0)
            .unwrap()
            .to_string();
        eprintln!("{file}:\n{raw}");
        assert!(
            raw.contains("def "),
            "{file}: no function definition in\n{raw}"
        );
        assert_eq!(
            lists_u32(&a, "token_ids"),
            lists_u32(&b, "token_ids"),
            "{file}: greedy is not reproducible"
        );
    }
}

// Measured with llama-cpp-python 0.3 (`Llama.tokenize(text, add_bos=False, special=True)`)
// on the same two files, 2026-11-23.
const SMOLLM_IDS: &[u32] = &[
    1604, 4351, 79, 25412, 24, 99, 28, 322, 727, 16390, 1003, 262, 30, 9630, 24, 322, 28, 27493,
    216, 907, 216, 33, 34, 35, 36, 37, 198,
];
const QWEN_IDS: &[u32] = &[
    750, 4057, 2232, 638, 1141, 69997, 1648, 715, 262, 470, 274, 6980, 7520, 11, 13453, 220, 671,
    220, 16, 17, 18, 19, 20, 198,
];
const SPECIAL_TEXT: &str = "<|im_start|>user\nhi 2024 ÄÖ 你好<|im_end|>\n";
const SMOLLM_SPECIAL_IDS: &[u32] = &[
    1, 4093, 198, 6004, 216, 34, 32, 34, 36, 5549, 222, 142, 240, 216, 18645, 250, 48392, 138, 2,
    198,
];
const QWEN_SPECIAL_IDS: &[u32] = &[
    151644, 872, 198, 6023, 220, 17, 15, 17, 19, 48686, 63361, 220, 108386, 151645, 198,
];

/// Save a randomly initialised model of another family: candle's `VarMap`
/// creates every tensor the model asks for, and saves them as safetensors.
fn tiny_varmap_model(dir: &Path, config: serde_json::Value) {
    use candle_nn::{VarBuilder, VarMap};
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    match config["model_type"].as_str().unwrap() {
        "starcoder2" => {
            let cfg: candle_transformers::models::starcoder2::Config =
                serde_json::from_value(config.clone()).unwrap();
            candle_transformers::models::starcoder2::Model::new(&cfg, vb).unwrap();
        }
        _ => {
            let cfg = candle_transformers::models::bigcode::Config {
                vocab_size: 512,
                max_position_embeddings: 1024,
                num_hidden_layers: 2,
                hidden_size: 64,
                layer_norm_epsilon: 1e-5,
                n_inner: Some(128),
                num_attention_heads: 4,
                multi_query: true,
                use_cache: true,
            };
            candle_transformers::models::bigcode::GPTBigCode::load(vb, cfg).unwrap();
        }
    }
    varmap.save(dir.join("model.safetensors")).unwrap();
    train_tokenizer(&dir.join("tokenizer.json"));
    let tc = serde_json::json!({"chat_template": CHATML, "eos_token": "<|im_end|>"});
    std::fs::write(dir.join("tokenizer_config.json"), tc.to_string()).unwrap();
}

#[test]
fn starcoder2_and_bigcode_folders_sample_reproducibly() {
    let tmp = tempfile::tempdir().unwrap();
    let configs = [
        serde_json::json!({"model_type": "starcoder2", "vocab_size": 512, "hidden_size": 64,
            "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
            "num_key_value_heads": 2, "hidden_act": "gelu_pytorch_tanh", "max_position_embeddings": 1024,
            "norm_epsilon": 1e-5, "rope_theta": 10000.0, "use_bias": true, "sliding_window": null}),
        serde_json::json!({"model_type": "gpt_bigcode", "vocab_size": 512, "n_positions": 1024,
            "n_layer": 2, "n_embd": 64, "n_head": 4, "n_inner": 128, "multi_query": true,
            "layer_norm_epsilon": 1e-5}),
    ];
    let problems = mbpp_test(2);
    for config in configs {
        let kind = config["model_type"].as_str().unwrap().to_string();
        let dir = tmp.path().join(&kind);
        tiny_varmap_model(&dir, config);
        let model = Model::load(dir.to_str().unwrap(), &ModelOptions::default()).unwrap();
        assert_eq!(model.architecture(), kind);
        let cfg = SampleConfig {
            n: 2,
            sampling: Sampling {
                temperature: 0.8,
                seed: 3,
                max_new_tokens: 8,
                ..Default::default()
            },
            ..Default::default()
        };
        let a = sample(&problems, &model, &cfg).unwrap();
        assert_eq!(a.height(), 4, "{kind}");
        let ids = lists_u32(&a, "token_ids");
        assert!(ids.iter().all(|t| t.len() <= 8), "{kind}: {ids:?}");
        assert!(ids.iter().any(|t| !t.is_empty()), "{kind}: {ids:?}");
        let b = sample(&problems, &model, &cfg).unwrap();
        assert_eq!(
            ids,
            lists_u32(&b, "token_ids"),
            "{kind}: same seed, same samples"
        );
        assert!(
            lists_f32(&a, "token_logprobs")
                .iter()
                .flatten()
                .all(|x| *x <= 0.0)
        );
    }
}

#[test]
fn stop_strings_cut_the_answer_and_files_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    tiny_model(&dir, "qwen2", 5);
    let model = Model::load(dir.to_str().unwrap(), &ModelOptions::default()).unwrap();
    let problems = mbpp_test(3);
    let greedy = SampleConfig {
        sampling: Sampling {
            max_new_tokens: 6,
            ..Default::default()
        },
        ..Default::default()
    };
    let plain = sample(&problems, &model, &greedy).unwrap();
    let first = lists_u32(&plain, "token_ids")[0].clone();
    assert!(!first.is_empty());
    // Stop at the text of the first token: the answer is cut to nothing before it.
    let stop = model.decode(&first[..1]).unwrap();
    assert!(!stop.is_empty());
    let mut cfg = greedy.clone();
    cfg.sampling.stop = vec![stop.clone()];
    let cut = sample(&problems.head(Some(1)), &model, &cfg).unwrap();
    let raw = cut
        .column("raw_output")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .unwrap()
        .to_string();
    assert!(!raw.contains(&stop), "{raw:?} still holds {stop:?}");
    let meta: serde_json::Value = serde_json::from_str(
        cut.column("gen_metadata")
            .unwrap()
            .str()
            .unwrap()
            .get(0)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(meta["finish_reason"], "stop");

    // Resume: a checkpoint that holds two tasks' answers gives them back, and
    // only the third task is sampled (its answers recorded in turn).
    let checkpoint = tmp.path().join("gens.checkpoint.jsonl");
    let resumable = SampleConfig {
        checkpoint: Some(checkpoint.clone()),
        ..greedy.clone()
    };
    let first = sample(&problems.head(Some(2)), &model, &resumable).unwrap();
    assert_eq!(first.height(), 2);
    assert_eq!(common::count_lines(&checkpoint), 2);
    let all = sample(&problems, &model, &resumable).unwrap();
    assert_eq!(
        common::count_lines(&checkpoint),
        3,
        "only the new task appended"
    );
    assert_eq!(all.height(), 3);
    assert_eq!(
        lists_u32(&all, "token_ids"),
        lists_u32(&plain, "token_ids"),
        "resumed rows equal one run, in the problems' order"
    );
    let out = tmp.path().join("gens.parquet");
    assert!(!PathBuf::from(format!("{}.journal.jsonl", out.display())).exists());
}

/// `codefail sample --time-budget`: no batch starts once the budget is spent
/// (0 s: none at all); the output is written with the finished tasks, the
/// part is left unfinished, and the same command without a budget samples
/// the rest and finishes it.
#[test]
fn time_budget_stops_the_run_and_the_same_command_finishes_it() {
    if common::shared_data().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("qwen2");
    tiny_model(&dir, "qwen2", 3);
    let out = tmp.path().join("g.parquet");
    let run = |extra: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_codefail"))
            .args([
                "--no-track",
                "--quiet",
                "sample",
                "--dataset",
                "mbpp",
                "--split",
                "test",
            ])
            .args(["--limit", "2", "--max-new-tokens", "4", "--model"])
            .arg(&dir)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    let finished = || {
        codefail::scale::Manifest::read(&codefail::scale::manifest_path(&out))
            .unwrap()
            .finished
    };
    let (code, err) = run(&["--time-budget", "0"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("time budget reached: 2 of 2 tasks"), "{err}");
    assert_eq!(codefail::data::read_parquet(&out).unwrap().height(), 0);
    assert!(!finished(), "a stopped run is not finished");
    let (code, err) = run(&[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("time budget"), "{err}");
    let gens = codefail::data::read_parquet(&out).unwrap();
    assert_eq!(gens.height(), 2);
    assert!(finished());
    // A budget needs an output the next run can continue from.
    let jsonl = tmp.path().join("g.jsonl");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_codefail"))
        .args([
            "--no-track",
            "sample",
            "--dataset",
            "mbpp",
            "--limit",
            "1",
            "--model",
        ])
        .arg(&dir)
        .arg("--out")
        .arg(&jsonl)
        .args(["--time-budget", "5"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("--time-budget needs a .parquet --out"),
        "{err}"
    );
}

/// `--device`/`--gpu` on a build without `cuda`: a clear error naming the
/// feature, before any decoding; a malformed device is refused by the parser;
/// the two flags exclude each other.
#[cfg(not(feature = "cuda"))]
#[test]
fn device_flags_say_what_a_cpu_build_cannot_do() {
    if common::shared_data().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("qwen2");
    tiny_model(&dir, "qwen2", 3);
    let run = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_codefail"))
            .args(["sample", "--dataset", "mbpp", "--limit", "1", "--model"])
            .arg(&dir)
            .arg("--out")
            .arg(tmp.path().join("g.parquet"))
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    for flags in [&["--device", "cuda:1"][..], &["--gpu"][..]] {
        let (code, err) = run(flags);
        assert_eq!(code, Some(1), "{flags:?}: {err}");
        assert!(
            err.contains("built without the `cuda` feature"),
            "{flags:?}: {err}"
        );
    }
    let (code, err) = run(&["--device", "tpu"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("expected `cpu`, `cuda`, `gpu` or `cuda:N`"),
        "{err}"
    );
    let (code, err) = run(&["--gpu", "--device", "cpu"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
    assert!(!tmp.path().join("g.parquet").exists());
}

/// The chain's `sample` stage: problems in, generations that carry them,
/// on to `run` with nothing passed twice.
#[test]
fn the_chain_samples_then_runs() {
    use codefail::prelude::*;
    if common::shared_data().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("qwen2");
    tiny_model(&dir, "qwen2", 4);
    let model = Model::load(dir.to_str().unwrap(), &ModelOptions::default()).unwrap();
    let opts = LoadOptions {
        split: Some("test".into()),
        limit: Some(2),
        ..Default::default()
    };
    let mbpp = Problems::load_with("mbpp", &opts).unwrap();
    let cfg = SampleConfig {
        n: 2,
        sampling: Sampling {
            max_new_tokens: 6,
            ..Default::default()
        },
        ..Default::default()
    };
    let gens = mbpp.sample(&model, &cfg).unwrap();
    assert_eq!(gens.height(), 4);
    assert_eq!(gens.problems().records().len(), 2);
    let res = gens.run(&RunConfig::default()).unwrap();
    assert_eq!(res.height(), 4);
    // Six tokens of a random model solve nothing.
    assert_eq!(res.passed().unwrap(), 0);
}

/// The research methods hang off the chain: repair and EG-CFG give
/// generations that carry their problems (on to `run` and `classify`), and
/// predictions come from the classified stage (tiny random model, one task:
/// the plumbing, not the accuracy).
#[test]
fn repair_and_egcfg_hang_off_the_chain() {
    use codefail::methods::{EgCfgConfig, RepairConfig};
    use codefail::prelude::*;
    if common::shared_data().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("qwen2");
    tiny_model(&dir, "qwen2", 5);
    let model = Model::load(dir.to_str().unwrap(), &ModelOptions::default()).unwrap();
    let opts = LoadOptions {
        split: Some("test".into()),
        task_ids: Some(vec!["Mbpp/17".into()]),
        ..Default::default()
    };
    let mbpp = Problems::load_with("mbpp", &opts).unwrap();
    let short = Sampling {
        max_new_tokens: 8,
        ..Default::default()
    };
    let fixed = mbpp
        .repair(
            &model,
            &RepairConfig {
                max_turns: 2,
                sampling: short.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(fixed.generations.height(), 1);
    assert_eq!(fixed.turns.height(), 2, "a random model fails both turns");
    let res = fixed.generations.run(&RunConfig::default()).unwrap();
    assert_eq!(res.problems().records().len(), 1);
    let guided = mbpp
        .egcfg(
            &model,
            &EgCfgConfig {
                candidates: 2,
                gammas: vec![0.0, 1.0],
                max_new_tokens: 16,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(guided.generations.height(), 2, "one answer per gamma");
    assert_eq!(guided.results.height(), 2);
    let table = guided.table().unwrap();
    assert!(table.height() >= 2, "{table}");
    let classified = guided
        .results
        .classify(&ClassifyConfig {
            semantic: false,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(classified.height(), 2);
}

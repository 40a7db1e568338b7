//! Tiny random-weight models the tests make themselves (safetensors, a
//! byte-level BPE trained on this repository's Python files, a ChatML template).

use candle_core::{Device, Tensor};
use codefail::sample::DecoderConfig;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::path::Path;

/// ChatML with SmolLM's default system turn.
pub const CHATML: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// Random weights from our own seeded generator (candle's CPU seed is not settable).
pub fn random_weights(cfg: &DecoderConfig, seed: u64) -> HashMap<String, Tensor> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut t = |shape: &[usize], scale: f32| {
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n)
            .map(|_| (rng.random::<f32>() * 2.0 - 1.0) * scale)
            .collect();
        Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
    };
    let (h, i, v) = (cfg.hidden_size, cfg.intermediate_size, cfg.vocab_size);
    let q = cfg.num_attention_heads * cfg.head_dim;
    let kv = cfg.num_key_value_heads * cfg.head_dim;
    let mut w = HashMap::new();
    w.insert("model.embed_tokens.weight".into(), t(&[v, h], 0.5));
    w.insert("model.norm.weight".into(), (t(&[h], 0.1) + 1.0).unwrap());
    if !cfg.tie_word_embeddings {
        w.insert("lm_head.weight".into(), t(&[v, h], 0.5));
    }
    for l in 0..cfg.num_hidden_layers {
        let p = format!("model.layers.{l}");
        for (name, shape) in [
            ("self_attn.q_proj", [q, h]),
            ("self_attn.k_proj", [kv, h]),
            ("self_attn.v_proj", [kv, h]),
            ("self_attn.o_proj", [h, q]),
            ("mlp.gate_proj", [i, h]),
            ("mlp.up_proj", [i, h]),
            ("mlp.down_proj", [h, i]),
        ] {
            w.insert(format!("{p}.{name}.weight"), t(&shape, 0.3));
        }
        if cfg.attention_bias {
            w.insert(format!("{p}.self_attn.q_proj.bias"), t(&[q], 0.1));
            w.insert(format!("{p}.self_attn.k_proj.bias"), t(&[kv], 0.1));
            w.insert(format!("{p}.self_attn.v_proj.bias"), t(&[kv], 0.1));
        }
        w.insert(
            format!("{p}.input_layernorm.weight"),
            (t(&[h], 0.1) + 1.0).unwrap(),
        );
        w.insert(
            format!("{p}.post_attention_layernorm.weight"),
            (t(&[h], 0.1) + 1.0).unwrap(),
        );
    }
    w
}

/// A byte-level BPE trained on this repository's Python files.
pub fn train_tokenizer(path: &Path) {
    use tokenizers::models::TrainerWrapper;
    use tokenizers::models::bpe::BpeTrainerBuilder;
    use tokenizers::pre_tokenizers::byte_level::ByteLevel;
    use tokenizers::{AddedToken, Tokenizer};
    let spec = serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": null,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
        "post_processor": null,
        "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
        "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                  "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
                  "ignore_merges": false, "vocab": {}, "merges": []}
    });
    let mut tok: Tokenizer = spec.to_string().parse().unwrap();
    let mut trainer = TrainerWrapper::BpeTrainer(
        BpeTrainerBuilder::new()
            .vocab_size(480)
            .show_progress(false)
            .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
            .special_tokens(
                ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
                    .iter()
                    .map(|t| AddedToken::from(*t, true))
                    .collect(),
            )
            .build(),
    );
    // The checkout the tests were built in, or (a test binary carried to
    // another machine, scripts/gpu-check.sh) the working directory.
    let built = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = if built.join("src/exec/judge.py").exists() {
        built
    } else {
        std::env::current_dir().unwrap()
    };
    let root = root.display();
    let mut files = vec![format!("{root}/src/exec/judge.py")];
    for e in std::fs::read_dir(format!("{root}/tests/hostile")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "py") {
            files.push(p.display().to_string());
        }
    }
    tok.train_from_files(&mut trainer, files).unwrap();
    tok.save(path, false).unwrap();
}

/// Write a tiny model folder (config.json, model.safetensors, tokenizer.json,
/// tokenizer_config.json with a ChatML template).
pub fn tiny_model(dir: &Path, model_type: &str, seed: u64) -> DecoderConfig {
    std::fs::create_dir_all(dir).unwrap();
    let qwen = model_type == "qwen2";
    let config = serde_json::json!({
        "architectures": [if qwen { "Qwen2ForCausalLM" } else { "LlamaForCausalLM" }],
        "model_type": model_type, "vocab_size": 512, "hidden_size": 64, "intermediate_size": 128,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "max_position_embeddings": 1024,
        "tie_word_embeddings": qwen, "sliding_window": null,
        "rope_scaling": if qwen { serde_json::Value::Null } else { serde_json::json!({"type": "linear", "factor": 2.0}) },
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    let cfg = DecoderConfig::from_hf_config(&config).unwrap();
    candle_core::safetensors::save(&random_weights(&cfg, seed), dir.join("model.safetensors"))
        .unwrap();
    train_tokenizer(&dir.join("tokenizer.json"));
    let tc = serde_json::json!({"chat_template": CHATML, "eos_token": "<|im_end|>", "add_bos_token": false});
    std::fs::write(dir.join("tokenizer_config.json"), tc.to_string()).unwrap();
    cfg
}

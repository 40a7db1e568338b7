//! Tokenizers built from GGUF metadata, and chat templates rendered as
//! transformers' `apply_chat_template(add_generation_prompt=True)` does.

use candle_core::quantized::gguf_file;
use serde_json::{Value, json};
use tokenizers::Tokenizer;

/// GGUF `tokenizer.ggml.token_type` values (llama.cpp's `llama_token_type`).
const TOKEN_CONTROL: i32 = 3;
const TOKEN_USER_DEFINED: i32 = 4;

/// Qwen2's pre-tokenizer split (from its `tokenizer.json`; llama.cpp `qwen2`).
const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// Llama 3's split (llama.cpp `llama-bpe`).
const LLAMA3_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// What the tokenizer of a GGUF file needs besides the vocabulary.
#[derive(Clone, Debug)]
pub struct SpecialTokens {
    /// Beginning-of-sequence token, when the model has one.
    pub bos: Option<(u32, String)>,
    /// End-of-sequence token.
    pub eos: Option<(u32, String)>,
    /// Whether prompts start with BOS (`tokenizer.ggml.add_bos_token`).
    pub add_bos: bool,
    /// Every token that ends a turn (EOS plus `<|im_end|>`, `<|endoftext|>`,
    /// `<|eot_id|>`, `<｜end▁of▁sentence｜>`, `<|EOT|>` when present).
    pub stop_ids: Vec<u32>,
}

fn meta<'a>(ct: &'a gguf_file::Content, key: &str) -> Result<&'a gguf_file::Value, String> {
    ct.metadata
        .get(key)
        .ok_or_else(|| format!("metadata `{key}` missing"))
}

fn pre_tokenizer(pre: &str) -> Result<Value, String> {
    let byte_level = |use_regex: bool| json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": use_regex});
    let split = |re: &str| json!({"type": "Split", "pattern": {"Regex": re}, "behavior": "Isolated", "invert": false});
    Ok(match pre {
        "qwen2" => {
            json!({"type": "Sequence", "pretokenizers": [split(QWEN2_SPLIT), byte_level(false)]})
        }
        "llama-bpe" | "llama3" => {
            json!({"type": "Sequence", "pretokenizers": [split(LLAMA3_SPLIT), byte_level(false)]})
        }
        // SmolLM/StarCoder: every digit alone, then GPT-2's byte-level split.
        "smollm" | "starcoder" | "refact" => json!({"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": true}, byte_level(true)]}),
        "default" | "gpt2" | "" => byte_level(true),
        // DeepSeek-Coder (llama.cpp's regex list for `deepseek-coder`).
        "deepseek-coder" => json!({"type": "Sequence", "pretokenizers": [
            split(r"[\r\n]"), split(r"\s?\p{L}+"), split(r"\s?\p{P}+"),
            split(r"[一-龥ࠀ-一가-퟿]+"), split(r"\p{N}"), byte_level(false)]}),
        other => {
            return Err(format!(
                "tokenizer.ggml.pre `{other}` is not supported (qwen2, llama-bpe, smollm, starcoder, gpt2, deepseek-coder); pass a tokenizer.json instead"
            ));
        }
    })
}

/// Build a Hugging Face tokenizer from GGUF metadata: the byte-level BPE
/// vocabulary and merges (`tokenizer.ggml.model = gpt2`), the pre-tokenizer
/// named by `tokenizer.ggml.pre`, control and user-defined tokens as added
/// tokens, and the special tokens.
///
/// ```no_run
/// let mut f = std::fs::File::open("model.gguf")?;
/// let ct = candle_core::quantized::gguf_file::Content::read(&mut f)?;
/// let (tok, special) = codefail::sample::tokenizer_from_gguf(&ct)?;
/// let ids = tok.encode("def f(): pass", false)?.get_ids().to_vec();
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub fn tokenizer_from_gguf(ct: &gguf_file::Content) -> Result<(Tokenizer, SpecialTokens), String> {
    let model = meta(ct, "tokenizer.ggml.model")?
        .to_string()
        .map_err(|e| e.to_string())?;
    if model != "gpt2" {
        return Err(format!(
            "tokenizer.ggml.model `{model}` is not supported (only byte-level BPE, `gpt2`); pass a tokenizer.json instead"
        ));
    }
    let strings = |key: &str| -> Result<Vec<String>, String> {
        meta(ct, key)?
            .to_vec()
            .map_err(|e| format!("{key}: {e}"))?
            .iter()
            .map(|v| v.to_string().cloned().map_err(|e| format!("{key}: {e}")))
            .collect()
    };
    let tokens = strings("tokenizer.ggml.tokens")?;
    let merges = strings("tokenizer.ggml.merges")?;
    let types: Vec<i32> = match ct.metadata.get("tokenizer.ggml.token_type") {
        Some(v) => v
            .to_vec()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|t| t.to_i32().unwrap_or(1))
            .collect(),
        None => vec![1; tokens.len()],
    };
    let pre = match ct.metadata.get("tokenizer.ggml.pre") {
        Some(v) => v.to_string().map_err(|e| e.to_string())?.clone(),
        None => "default".into(),
    };
    let vocab: serde_json::Map<String, Value> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), json!(i)))
        .collect();
    let added: Vec<Value> = tokens
        .iter()
        .zip(&types)
        .enumerate()
        .filter(|(_, (_, t))| **t == TOKEN_CONTROL || **t == TOKEN_USER_DEFINED)
        .map(|(i, (content, t))| {
            json!({"id": i, "content": content, "single_word": false, "lstrip": false,
                   "rstrip": false, "normalized": false, "special": *t == TOKEN_CONTROL})
        })
        .collect();
    let spec = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": pre_tokenizer(&pre)?,
        "post_processor": null,
        "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
        "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                  "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
                  "ignore_merges": false, "vocab": vocab, "merges": merges}
    });
    let tok: Tokenizer = spec
        .to_string()
        .parse()
        .map_err(|e| format!("building the tokenizer: {e}"))?;
    let id = |key: &str| {
        ct.metadata
            .get(key)
            .and_then(|v| v.to_u32().ok())
            .filter(|&i| (i as usize) < tokens.len())
            .map(|i| (i, tokens[i as usize].clone()))
    };
    let bos = id("tokenizer.ggml.bos_token_id");
    let eos = id("tokenizer.ggml.eos_token_id");
    let add_bos = ct
        .metadata
        .get("tokenizer.ggml.add_bos_token")
        .and_then(|v| v.to_bool().ok())
        .unwrap_or(false);
    let stop_ids = stop_ids(eos.as_ref().map(|e| e.0), |t| {
        tokens.iter().position(|x| x == t).map(|i| i as u32)
    });
    Ok((
        tok,
        SpecialTokens {
            bos,
            eos,
            add_bos,
            stop_ids,
        },
    ))
}

/// EOS plus the end-of-turn tokens a vocabulary has.
pub(crate) fn stop_ids(eos: Option<u32>, find: impl Fn(&str) -> Option<u32>) -> Vec<u32> {
    let mut out: Vec<u32> = eos.into_iter().collect();
    for t in [
        "<|im_end|>",
        "<|endoftext|>",
        "<|eot_id|>",
        "<|end_of_text|>",
        "<|EOT|>",
        "<｜end▁of▁sentence｜>",
    ] {
        if let Some(i) = find(t)
            && !out.contains(&i)
        {
            out.push(i);
        }
    }
    out
}

/// One chat message.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

impl Message {
    /// A message with this role.
    ///
    /// ```
    /// let m = codefail::sample::Message::new("user", "hi");
    /// assert_eq!(m.role, "user");
    /// ```
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Message {
            role: role.into(),
            content: content.into(),
        }
    }
}

/// A Jinja chat template (`tokenizer.chat_template` in GGUF, `chat_template`
/// in `tokenizer_config.json`), rendered with minijinja under the settings
/// transformers uses: `trim_blocks`, `lstrip_blocks`, Python string methods,
/// `raise_exception`, `tojson`.
#[derive(Clone, Debug)]
pub struct ChatTemplate {
    source: String,
    bos_token: String,
    eos_token: String,
}

impl ChatTemplate {
    /// A template with the model's BOS/EOS token strings.
    ///
    /// ```
    /// let t = codefail::sample::ChatTemplate::new("{{ bos_token }}{{ messages[0].content }}", "<s>", "</s>");
    /// let out = t.render(&[codefail::sample::Message::new("user", "hi")], true).unwrap();
    /// assert_eq!(out, "<s>hi");
    /// ```
    pub fn new(source: impl Into<String>, bos_token: &str, eos_token: &str) -> Self {
        ChatTemplate {
            source: source.into(),
            bos_token: bos_token.into(),
            eos_token: eos_token.into(),
        }
    }

    /// The template text.
    ///
    /// ```
    /// let t = codefail::sample::ChatTemplate::new("x", "", "");
    /// assert_eq!(t.source(), "x");
    /// ```
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Render `messages`, ending with the assistant header when
    /// `add_generation_prompt` is set.
    ///
    /// ```
    /// let src = "{% for m in messages %}<|{{ m.role }}|>{{ m.content.strip() }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";
    /// let t = codefail::sample::ChatTemplate::new(src, "", "");
    /// let out = t.render(&[codefail::sample::Message::new("user", " hi ")], true).unwrap();
    /// assert_eq!(out, "<|user|>hi\n<|assistant|>");
    /// ```
    pub fn render(
        &self,
        messages: &[Message],
        add_generation_prompt: bool,
    ) -> Result<String, String> {
        let mut env = minijinja::Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function(
            "raise_exception",
            |msg: String| -> Result<String, minijinja::Error> {
                Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    msg,
                ))
            },
        );
        env.add_template("chat", &self.source)
            .map_err(|e| format!("chat template: {e}"))?;
        let tmpl = env
            .get_template("chat")
            .map_err(|e| format!("chat template: {e}"))?;
        tmpl.render(minijinja::context! {
            messages => messages,
            add_generation_prompt => add_generation_prompt,
            bos_token => self.bos_token,
            eos_token => self.eos_token,
        })
        .map_err(|e| format!("chat template: {e}"))
    }
}

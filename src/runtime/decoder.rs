//! One decoder for the Llama family (Llama, DeepSeek-Coder, CodeLlama,
//! WizardCoder-Python, SmolLM2, Qwen2/Qwen2.5), from GGUF or safetensors.
//!
//! Written in the style of candle-transformers (an explicit config struct,
//! plain tensors), with one difference that sampling needs: the KV cache is a
//! value the caller owns ([`KvCache`]). That is what lets `n` samples of one
//! prompt share a single prefill (the cache is copied along the batch axis,
//! [`KvCache::repeat`]), lets finished rows leave the batch
//! ([`KvCache::select`]), and lets prompts of different lengths decode
//! together (left padding, [`KvCache::pad`], masked in every attention).

use candle_core::quantized::{QMatMul, QTensor, gguf_file};
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::VarBuilder;
use std::sync::Arc;

use super::attend::DecodeAttention;
use super::qdot::QDotMatMul;

type CResult<T> = candle_core::Result<T>;

/// Shape and numerics of a Llama-family decoder.
///
/// ```
/// let cfg = codefail::sample::DecoderConfig::tiny();
/// assert_eq!(cfg.head_dim, cfg.hidden_size / cfg.num_attention_heads);
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DecoderConfig {
    /// `llama` or `qwen2` (what GGUF calls `general.architecture`, HF `model_type`).
    pub architecture: String,
    /// Vocabulary size (rows of the embedding).
    pub vocab_size: usize,
    /// Model width.
    pub hidden_size: usize,
    /// MLP width.
    pub intermediate_size: usize,
    /// Number of decoder blocks.
    pub num_hidden_layers: usize,
    /// Query heads.
    pub num_attention_heads: usize,
    /// Key/value heads (grouped-query attention when fewer than query heads).
    pub num_key_value_heads: usize,
    /// Width of one head.
    pub head_dim: usize,
    /// RoPE base frequency.
    pub rope_theta: f64,
    /// Linear RoPE scaling factor (DeepSeek-Coder: 4.0); 1.0 for none.
    pub rope_scaling_factor: f64,
    /// RMSNorm epsilon.
    pub rms_norm_eps: f64,
    /// Longest context the RoPE tables cover.
    pub max_position_embeddings: usize,
    /// Q/K/V projections carry a bias (Qwen2).
    pub attention_bias: bool,
    /// The output head shares the embedding matrix.
    pub tie_word_embeddings: bool,
    /// RoPE rotates interleaved pairs: llama.cpp's GGUF conversion permutes
    /// Llama's Q/K rows that way; Qwen2 GGUF and every HF checkpoint rotate halves.
    pub rope_interleaved: bool,
}

impl DecoderConfig {
    /// A tiny config for tests and doc examples.
    ///
    /// ```
    /// assert_eq!(codefail::sample::DecoderConfig::tiny().num_hidden_layers, 2);
    /// ```
    pub fn tiny() -> Self {
        DecoderConfig {
            architecture: "qwen2".into(),
            vocab_size: 512,
            hidden_size: 64,
            intermediate_size: 128,
            num_hidden_layers: 2,
            num_attention_heads: 4,
            num_key_value_heads: 2,
            head_dim: 16,
            rope_theta: 10_000.0,
            rope_scaling_factor: 1.0,
            rms_norm_eps: 1e-6,
            max_position_embeddings: 512,
            attention_bias: true,
            tie_word_embeddings: true,
            rope_interleaved: false,
        }
    }

    /// Read the config from GGUF metadata (`{arch}.block_count`, ...).
    ///
    /// ```no_run
    /// let mut f = std::fs::File::open("model.gguf")?;
    /// let ct = candle_core::quantized::gguf_file::Content::read(&mut f)?;
    /// let cfg = codefail::sample::DecoderConfig::from_gguf(&ct)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_gguf(ct: &gguf_file::Content) -> Result<Self, String> {
        let arch = ct
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .ok_or("metadata `general.architecture` missing")?;
        if arch != "llama" && arch != "qwen2" {
            return Err(format!(
                "GGUF architecture `{arch}` is not supported (llama, qwen2)"
            ));
        }
        let get = |k: &str| {
            ct.metadata
                .get(&format!("{arch}.{k}"))
                .ok_or_else(|| format!("metadata `{arch}.{k}` missing"))
        };
        let u = |k: &str| -> Result<usize, String> {
            let v = get(k)?;
            v.to_u32()
                .map(|x| x as usize)
                .or_else(|_| v.to_u64().map(|x| x as usize))
                .map_err(|e| format!("metadata `{arch}.{k}`: {e}"))
        };
        let f = |k: &str| -> Result<f64, String> {
            get(k)?
                .to_f32()
                .map(f64::from)
                .map_err(|e| format!("metadata `{arch}.{k}`: {e}"))
        };
        let hidden = u("embedding_length")?;
        let heads = u("attention.head_count")?;
        let vocab = match u("vocab_size") {
            Ok(v) => v,
            Err(_) => ct
                .metadata
                .get("tokenizer.ggml.tokens")
                .and_then(|v| v.to_vec().ok())
                .map(Vec::len)
                .ok_or("no vocab size in metadata")?,
        };
        Ok(DecoderConfig {
            vocab_size: vocab,
            hidden_size: hidden,
            intermediate_size: u("feed_forward_length")?,
            num_hidden_layers: u("block_count")?,
            num_attention_heads: heads,
            num_key_value_heads: u("attention.head_count_kv").unwrap_or(heads),
            head_dim: u("rope.dimension_count").unwrap_or(hidden / heads),
            rope_theta: f("rope.freq_base").unwrap_or(10_000.0),
            rope_scaling_factor: f("rope.scale_linear").unwrap_or(1.0),
            rms_norm_eps: f("attention.layer_norm_rms_epsilon")?,
            max_position_embeddings: u("context_length")?,
            attention_bias: arch == "qwen2",
            tie_word_embeddings: !ct.tensor_infos.contains_key("output.weight"),
            rope_interleaved: arch == "llama",
            architecture: arch,
        })
    }

    /// Read a Hugging Face `config.json` of a `llama` or `qwen2` model. Fields
    /// candle's own config structs reject are handled here: `sliding_window:
    /// null`, `rope_scaling: {"type": "linear", "factor": 4.0}`.
    ///
    /// ```
    /// let json = serde_json::json!({"model_type": "llama", "vocab_size": 32256,
    ///   "hidden_size": 2048, "intermediate_size": 5504, "num_hidden_layers": 24,
    ///   "num_attention_heads": 16, "num_key_value_heads": 16, "rms_norm_eps": 1e-6,
    ///   "max_position_embeddings": 16384, "rope_theta": 100000,
    ///   "rope_scaling": {"type": "linear", "factor": 4.0}, "sliding_window": null});
    /// let cfg = codefail::sample::DecoderConfig::from_hf_config(&json).unwrap();
    /// assert_eq!(cfg.rope_scaling_factor, 4.0);
    /// assert!(!cfg.attention_bias);
    /// // transformers 5 keeps the base in `rope_parameters`.
    /// let json = serde_json::json!({"model_type": "qwen2", "vocab_size": 512, "hidden_size": 64,
    ///   "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
    ///   "rope_parameters": {"rope_theta": 1000000.0, "rope_type": "default"}});
    /// let cfg = codefail::sample::DecoderConfig::from_hf_config(&json).unwrap();
    /// assert_eq!((cfg.rope_theta, cfg.rope_scaling_factor), (1e6, 1.0));
    /// ```
    pub fn from_hf_config(json: &serde_json::Value) -> Result<Self, String> {
        let model_type = json["model_type"].as_str().unwrap_or_default();
        if model_type != "llama" && model_type != "qwen2" && model_type != "mistral" {
            return Err(format!(
                "model_type `{model_type}` is not a Llama-family decoder"
            ));
        }
        let c: HfConfig = serde_path_to_error::deserialize(json).map_err(|e| {
            let inner = e.inner().to_string();
            match e.path().to_string().as_str() {
                "." => inner,
                path => format!("field `{path}`: {inner}"),
            }
        })?;
        let params = c.rope_parameters.as_ref();
        let scaling = c.rope_scaling.as_ref().or(params.filter(|p| {
            p.rope_type
                .as_deref()
                .or(p.kind.as_deref())
                .unwrap_or("default")
                != "default"
        }));
        let rope_scaling_factor = match scaling {
            None => 1.0,
            Some(r) => {
                let kind = r.kind.as_deref().or(r.rope_type.as_deref()).unwrap_or("");
                if kind != "linear" {
                    return Err(format!(
                        "field `rope_scaling.type`: `{kind}` is not supported (linear)"
                    ));
                }
                r.factor
                    .ok_or("field `rope_scaling.factor`: expected a number")?
            }
        };
        let heads = c.num_attention_heads;
        Ok(DecoderConfig {
            vocab_size: c.vocab_size,
            hidden_size: c.hidden_size,
            intermediate_size: c.intermediate_size,
            num_hidden_layers: c.num_hidden_layers,
            num_attention_heads: heads,
            num_key_value_heads: c.num_key_value_heads.unwrap_or(heads),
            head_dim: c.head_dim.unwrap_or(c.hidden_size / heads.max(1)),
            rope_theta: c
                .rope_theta
                .or(params.and_then(|p| p.rope_theta))
                .unwrap_or(10_000.0),
            rope_scaling_factor,
            rms_norm_eps: c.rms_norm_eps.unwrap_or(1e-6),
            max_position_embeddings: c.max_position_embeddings.unwrap_or(4096),
            attention_bias: c.attention_bias.unwrap_or(model_type == "qwen2"),
            tie_word_embeddings: c.tie_word_embeddings.unwrap_or(false),
            rope_interleaved: false,
            architecture: if model_type == "qwen2" {
                "qwen2".into()
            } else {
                "llama".into()
            },
        })
    }
}

/// The fields of a Hugging Face `config.json` a Llama-family decoder needs
/// (absent optional fields take the defaults of `from_hf_config`; null
/// counts as absent; unknown fields are ignored).
#[derive(serde::Deserialize)]
struct HfConfig {
    vocab_size: usize,
    hidden_size: usize,
    intermediate_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    num_key_value_heads: Option<usize>,
    head_dim: Option<usize>,
    rope_theta: Option<f64>,
    rope_scaling: Option<HfRopeScaling>,
    rms_norm_eps: Option<f64>,
    max_position_embeddings: Option<usize>,
    attention_bias: Option<bool>,
    tie_word_embeddings: Option<bool>,
    /// transformers 5 writes `rope_theta` and the scaling here instead.
    rope_parameters: Option<HfRopeScaling>,
}

/// `rope_scaling` of a `config.json` (`type`, or `rope_type` in newer files),
/// or transformers 5's `rope_parameters` (`rope_type` `default` is none).
#[derive(serde::Deserialize)]
struct HfRopeScaling {
    #[serde(rename = "type")]
    kind: Option<String>,
    rope_type: Option<String>,
    factor: Option<f64>,
    rope_theta: Option<f64>,
}

/// New positions per row from which a projection uses its dense copy, when
/// it has one: prefill of prompts and long contexts. Counted per row, so a
/// batch of single-token steps (however large) stays on the quantized path.
const DENSE_POSITIONS: usize = 16;

/// A projection: quantized or plain weight, optional bias, and optionally a
/// dense f32 copy of a quantized weight for many-row inputs (see
/// [`Decoder::with_dense_prefill`]).
#[derive(Clone, Debug)]
struct Proj {
    w: QMatMul,
    b: Option<Tensor>,
    dense: Option<QMatMul>,
    /// codefail's AVX2 Q5_0/Q8_0 kernel for `w` (CPU), used instead of
    /// candle's.
    fast: Option<QDotMatMul>,
}

impl Proj {
    /// A projection through `w` (plus `b`), with no dense copy or Q5_0 kernel.
    fn new(w: QMatMul, b: Option<Tensor>) -> Self {
        Proj {
            w,
            b,
            dense: None,
            fast: None,
        }
    }

    /// Whether an input of `positions` new positions goes through the
    /// AVX2 kernel (not the dense copy, not candle's kernel).
    fn uses_fast(&self, positions: usize) -> bool {
        self.fast.is_some() && !(self.dense.is_some() && positions >= DENSE_POSITIONS)
    }

    fn forward(&self, x: &Tensor) -> CResult<Tensor> {
        let positions = match x.dims() {
            [_, s, _] => *s,
            _ => 1,
        };
        let y = match (&self.dense, &self.fast, &self.w) {
            (Some(d), _, _) if positions >= DENSE_POSITIONS => d.forward(x)?,
            (_, Some(f), _) => f.forward(x)?,
            // A plain weight on a GPU: one (batch x positions, in) matmul.
            // candle's QMatMul broadcasts the weight over the batch instead,
            // a batched cuBLAS call of one-row products that reads the
            // weight once per row (the CPU keeps that path, which its
            // batching tests pin down).
            (_, _, QMatMul::Tensor(w)) if !x.device().is_cpu() && x.rank() == 3 => {
                let (b, s, k) = x.dims3()?;
                x.reshape((b * s, k))?
                    .matmul(&w.t()?)?
                    .reshape((b, s, ()))?
            }
            _ => self.w.forward(x)?,
        };
        match &self.b {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}

#[derive(Clone, Debug)]
struct Block {
    q: Proj,
    k: Proj,
    v: Proj,
    o: Proj,
    gate: Proj,
    up: Proj,
    down: Proj,
    attn_norm: Tensor,
    ffn_norm: Tensor,
    /// The query, key and value projections as one AVX2 kernel, with their
    /// biases side by side, when all three have one (see [`Block::fuse`]).
    qkv: Option<(QDotMatMul, Option<Tensor>)>,
    /// `silu(gate(x)) * up(x)` as one AVX2 kernel, when both have one.
    glu: Option<QDotMatMul>,
}

impl Block {
    /// Build the fused kernels [`Block::qkv`] and [`Block::glu`] from the
    /// projections' own: one pass over the pool and one input quantization
    /// instead of three (and two). They compute exactly what the separate
    /// kernels compute and are used wherever those would be.
    fn fuse(&mut self) -> CResult<()> {
        self.qkv = match (&self.q.fast, &self.k.fast, &self.v.fast) {
            (Some(q), Some(k), Some(v)) => {
                let bias = match (&self.q.b, &self.k.b, &self.v.b) {
                    (Some(bq), Some(bk), Some(bv)) => Some(Some(Tensor::cat(&[bq, bk, bv], 0)?)),
                    (None, None, None) => Some(None),
                    _ => None,
                };
                QDotMatMul::stack(&[q, k, v]).zip(bias)
            }
            _ => None,
        };
        self.glu = match (&self.gate.fast, &self.up.fast) {
            (Some(g), Some(u)) => QDotMatMul::swiglu(g, u),
            _ => None,
        };
        Ok(())
    }

    /// `silu(gate(h)) * up(h)`.
    fn gated(&self, h: &Tensor) -> CResult<Tensor> {
        match &self.glu {
            Some(glu) if self.gate.uses_fast(h.dim(1)?) => glu.forward(h),
            _ => candle_nn::ops::silu(&self.gate.forward(h)?)? * self.up.forward(h)?,
        }
    }

    /// The query, key and value projections of `x` `(b, s, hidden)`.
    fn qkv(&self, x: &Tensor) -> CResult<(Tensor, Tensor, Tensor)> {
        match &self.qkv {
            Some((kernel, bias)) if self.q.uses_fast(x.dim(1)?) => {
                let y = kernel.forward(x)?;
                let y = match bias {
                    Some(b) => y.broadcast_add(b)?,
                    None => y,
                };
                let width = |p: &Proj| p.fast.as_ref().map_or(0, QDotMatMul::width);
                let (nq, nk) = (width(&self.q), width(&self.k));
                Ok((
                    y.narrow(2, 0, nq)?,
                    y.narrow(2, nq, nk)?,
                    y.narrow(2, nq + nk, width(&self.v))?,
                ))
            }
            _ => Ok((self.q.forward(x)?, self.k.forward(x)?, self.v.forward(x)?)),
        }
    }

    /// The seven projections of a block.
    fn projections(&self) -> [&Proj; 7] {
        [
            &self.q, &self.k, &self.v, &self.o, &self.gate, &self.up, &self.down,
        ]
    }

    fn projections_mut(&mut self) -> [&mut Proj; 7] {
        [
            &mut self.q,
            &mut self.k,
            &mut self.v,
            &mut self.o,
            &mut self.gate,
            &mut self.up,
            &mut self.down,
        ]
    }
}

/// The embedding: a quantized table looked up row by row, or a plain one.
#[derive(Clone, Debug)]
enum Embed {
    Quantized(Arc<QTensor>),
    Plain(Tensor),
}

/// A Llama-family decoder ready to run.
#[derive(Clone, Debug)]
pub struct Decoder {
    cfg: DecoderConfig,
    embed: Embed,
    blocks: Vec<Block>,
    norm: Tensor,
    head: Proj,
    cos: Tensor,
    sin: Tensor,
    dtype: DType,
    device: Device,
}

/// The attention cache of a batch: per layer keys and values of shape
/// `(batch, kv_heads, positions, head_dim)`, plus per row the number of
/// left-padding positions that every attention must ignore.
///
/// Each layer's keys and values live in buffers with room for more
/// positions than they hold (grown [`KV_CHUNK`] positions at a time): a
/// decoding step writes its position in place instead of copying the whole
/// cache. A buffer is written only past the cache's own length, and every
/// cache derived from another ([`Clone`], [`KvCache::truncate`],
/// [`KvCache::select`], [`KvCache::repeat`]) holds exactly its length, so
/// its first step moves to a buffer of its own: no cache ever sees
/// another's writes.
#[derive(Debug, Default)]
pub struct KvCache {
    layers: Vec<Option<(Tensor, Tensor)>>,
    pad: Vec<usize>,
    len: usize,
}

/// Positions by which a cache's buffers grow.
const KV_CHUNK: usize = 256;

impl Clone for KvCache {
    /// The same positions, as views of the same buffers trimmed to the
    /// cache's length (no copy; see [`KvCache`] for why that is safe).
    fn clone(&self) -> Self {
        let trim = |t: &Tensor| t.narrow(2, 0, self.len).unwrap_or_else(|_| t.clone());
        KvCache {
            layers: self
                .layers
                .iter()
                .map(|l| l.as_ref().map(|(k, v)| (trim(k), trim(v))))
                .collect(),
            pad: self.pad.clone(),
            len: self.len,
        }
    }
}

/// Write the new keys and values `(b, kv_heads, s, d)` of one layer at
/// position `start` of its buffers (growing them when full, or when they
/// are views another cache may share) and return views of positions
/// `0..start + s`.
fn append_kv(
    slot: &mut Option<(Tensor, Tensor)>,
    k: &Tensor,
    v: &Tensor,
    start: usize,
) -> CResult<(Tensor, Tensor)> {
    let end = start + k.dim(2)?;
    let room = match slot {
        Some((kb, vb)) => kb.is_contiguous() && vb.is_contiguous() && kb.dim(2)? >= end,
        None => false,
    };
    if !room {
        let (b, heads, _, d) = k.dims4()?;
        let cap = end.next_multiple_of(KV_CHUNK);
        let kb = Tensor::zeros((b, heads, cap, d), k.dtype(), k.device())?;
        let vb = Tensor::zeros((b, heads, cap, d), v.dtype(), v.device())?;
        if let Some((ok, ov)) = slot.take()
            && start > 0
        {
            kb.slice_set(&ok.narrow(2, 0, start)?.contiguous()?, 2, 0)?;
            vb.slice_set(&ov.narrow(2, 0, start)?.contiguous()?, 2, 0)?;
        }
        *slot = Some((kb, vb));
    }
    let Some((kb, vb)) = slot.as_ref() else {
        candle_core::bail!("key/value buffers missing after allocation");
    };
    kb.slice_set(&k.contiguous()?, 2, start)?;
    vb.slice_set(&v.contiguous()?, 2, start)?;
    Ok((kb.narrow(2, 0, end)?, vb.narrow(2, 0, end)?))
}

impl KvCache {
    /// An empty cache for a batch whose rows carry `pad` left-padding tokens.
    ///
    /// ```
    /// let c = codefail::sample::KvCache::new(vec![0, 3]);
    /// assert_eq!((c.len(), c.batch()), (0, 2));
    /// ```
    pub fn new(pad: Vec<usize>) -> Self {
        KvCache {
            layers: Vec::new(),
            pad,
            len: 0,
        }
    }

    /// Positions held (padding included).
    ///
    /// ```
    /// assert!(codefail::sample::KvCache::new(vec![0]).is_empty());
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Nothing cached yet.
    ///
    /// ```
    /// assert_eq!(codefail::sample::KvCache::new(vec![0]).len(), 0);
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Rows in the batch.
    ///
    /// ```
    /// assert_eq!(codefail::sample::KvCache::new(vec![0, 0, 1]).batch(), 3);
    /// ```
    pub fn batch(&self) -> usize {
        self.pad.len()
    }

    /// Left padding of each row.
    ///
    /// ```
    /// assert_eq!(codefail::sample::KvCache::new(vec![2]).pad(), &[2]);
    /// ```
    pub fn pad(&self) -> &[usize] {
        &self.pad
    }

    /// Copy every row `n` times along the batch axis (row `i` becomes rows
    /// `i*n .. i*n+n`): `n` samples of one prompt share its prefill.
    ///
    /// ```
    /// let c = codefail::sample::KvCache::new(vec![0]).repeat(4).unwrap();
    /// assert_eq!(c.batch(), 4);
    /// ```
    pub fn repeat(&self, n: usize) -> CResult<Self> {
        let rows: Vec<usize> = (0..self.batch())
            .flat_map(|r| std::iter::repeat_n(r, n))
            .collect();
        self.select(&rows)
    }

    /// Keep only the first `len` positions (a shared prompt prefix, reused
    /// by a second context that continues differently).
    ///
    /// ```
    /// # use candle_core::{DType, Device, Tensor};
    /// let vb = candle_nn::VarBuilder::zeros(DType::F32, &Device::Cpu);
    /// let m = codefail::sample::Decoder::from_safetensors(codefail::sample::DecoderConfig::tiny(), vb).unwrap();
    /// let mut cache = codefail::sample::KvCache::new(vec![0]);
    /// m.forward(&Tensor::new(&[[1u32, 2, 3, 4]], &Device::Cpu).unwrap(), &mut cache).unwrap();
    /// let head = cache.truncate(2).unwrap();
    /// assert_eq!((head.len(), cache.len()), (2, 4));
    /// assert!(cache.truncate(5).is_err());
    /// ```
    pub fn truncate(&self, len: usize) -> CResult<Self> {
        if len > self.len {
            candle_core::bail!(
                "cannot keep {len} positions of a cache holding {}",
                self.len
            );
        }
        let mut layers = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            layers.push(match l {
                None => None,
                Some((k, v)) => Some((
                    k.narrow(2, 0, len)?.contiguous()?,
                    v.narrow(2, 0, len)?.contiguous()?,
                )),
            });
        }
        Ok(KvCache {
            layers,
            pad: self.pad.clone(),
            len,
        })
    }

    /// Keep the given rows, in that order (finished samples leave the batch).
    ///
    /// ```
    /// let c = codefail::sample::KvCache::new(vec![0, 1, 2]).select(&[2, 0]).unwrap();
    /// assert_eq!(c.pad(), &[2, 0]);
    /// ```
    pub fn select(&self, rows: &[usize]) -> CResult<Self> {
        let mut layers = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            layers.push(match l {
                None => None,
                Some((k, v)) => {
                    let idx = Tensor::from_vec(
                        rows.iter().map(|&r| r as u32).collect::<Vec<_>>(),
                        rows.len(),
                        k.device(),
                    )?;
                    let held = |t: &Tensor| t.narrow(2, 0, self.len)?.contiguous();
                    Some((
                        held(k)?.index_select(&idx, 0)?.contiguous()?,
                        held(v)?.index_select(&idx, 0)?.contiguous()?,
                    ))
                }
            });
        }
        Ok(KvCache {
            layers,
            pad: rows.iter().map(|&r| self.pad[r]).collect(),
            len: self.len,
        })
    }
}

/// A quantized weight ready for matmul. On CPU, candle 0.11 has AVX2 dot
/// products for Q4_0, Q8_0 and the K-quants but only scalar ones for Q4_1,
/// Q5_0 and Q5_1 (about ten times slower); llama.cpp's small-model GGUFs use
/// Q5_0 wherever a row is not a multiple of 256 (all of Qwen2.5-0.5B's
/// 896-wide rows), SmolLM2's Q4_1 everywhere. Q5_0 and Q8_0 keep their bytes
/// and get codefail's own AVX2 kernel ([`QDotMatMul`], the same integer
/// products as ggml's). Q4_1 and Q5_1 (and Q5_0 on a CPU without AVX2) are re-quantized
/// once, at load, to Q8_0 from their exact dequantized values: 1.5x their
/// memory, and a rounding error of at most 1/254 of each 32-value block's
/// largest magnitude (the original 4-5 bit grid is much coarser than that).
fn fast_matmul(w: Arc<QTensor>, bias: Option<Tensor>, device: &Device) -> CResult<Proj> {
    use candle_core::quantized::GgmlDType;
    let slow = matches!(
        w.dtype(),
        GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1
    );
    let row = w.shape().dims().last().copied().unwrap_or(0);
    let (w, fast) = match QDotMatMul::new(w.clone()) {
        Some(fast) => (w, Some(fast)),
        None if device.is_cpu() && slow && row % GgmlDType::Q8_0.block_size() == 0 => {
            let q8 = requantize_q8_0(&w, device)?;
            (q8.clone(), QDotMatMul::new(q8))
        }
        None => (w, None),
    };
    Ok(Proj {
        fast,
        ..Proj::new(QMatMul::from_arc(w)?, bias)
    })
}

/// `w` re-quantized to Q8_0 from its exact dequantized values.
fn requantize_q8_0(w: &QTensor, device: &Device) -> CResult<Arc<QTensor>> {
    let q8 = QTensor::quantize(
        &w.dequantize(device)?,
        candle_core::quantized::GgmlDType::Q8_0,
    )?;
    Ok(Arc::new(q8))
}

fn rope_tables(cfg: &DecoderConfig, device: &Device) -> CResult<(Tensor, Tensor)> {
    let half = cfg.head_dim / 2;
    let inv: Vec<f32> = (0..half)
        .map(|i| {
            (1.0 / cfg.rope_theta.powf(2.0 * i as f64 / cfg.head_dim as f64)
                / cfg.rope_scaling_factor) as f32
        })
        .collect();
    let n = cfg.max_position_embeddings;
    let inv = Tensor::from_vec(inv, (1, half), device)?;
    let pos = Tensor::arange(0u32, n as u32, device)?
        .to_dtype(DType::F32)?
        .reshape((n, 1))?;
    let freqs = pos.matmul(&inv)?;
    Ok((freqs.cos()?, freqs.sin()?))
}

impl Decoder {
    /// Load a GGUF file's weights (read with `gguf_file::Content::read`).
    ///
    /// ```no_run
    /// use candle_core::{Device, quantized::gguf_file};
    /// let mut f = std::fs::File::open("model.gguf")?;
    /// let ct = gguf_file::Content::read(&mut f)?;
    /// let cfg = codefail::sample::DecoderConfig::from_gguf(&ct)?;
    /// let model = codefail::sample::Decoder::from_gguf(cfg, &ct, &mut f, &Device::Cpu)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_gguf<R: std::io::Read + std::io::Seek>(
        cfg: DecoderConfig,
        ct: &gguf_file::Content,
        reader: &mut R,
        device: &Device,
    ) -> CResult<Self> {
        let mut q =
            |name: &str| -> CResult<Arc<QTensor>> { ct.tensor(reader, name, device).map(Arc::new) };
        let embed_q = q("token_embd.weight")?;
        let norm = q("output_norm.weight")?.dequantize(device)?;
        let head = if cfg.tie_word_embeddings {
            fast_matmul(embed_q.clone(), None, device)?
        } else {
            fast_matmul(q("output.weight")?, None, device)?
        };
        let mut blocks = Vec::with_capacity(cfg.num_hidden_layers);
        for i in 0..cfg.num_hidden_layers {
            let p = format!("blk.{i}");
            let mut proj = |name: &str, bias: bool| -> CResult<Proj> {
                let b = if bias {
                    Some(q(&format!("{p}.{name}.bias"))?.dequantize(device)?)
                } else {
                    None
                };
                fast_matmul(q(&format!("{p}.{name}.weight"))?, b, device)
            };
            let bias = cfg.attention_bias;
            blocks.push(Block {
                q: proj("attn_q", bias)?,
                k: proj("attn_k", bias)?,
                v: proj("attn_v", bias)?,
                o: proj("attn_output", false)?,
                gate: proj("ffn_gate", false)?,
                up: proj("ffn_up", false)?,
                down: proj("ffn_down", false)?,
                attn_norm: q(&format!("{p}.attn_norm.weight"))?.dequantize(device)?,
                ffn_norm: q(&format!("{p}.ffn_norm.weight"))?.dequantize(device)?,
                qkv: None,
                glu: None,
            });
        }
        for b in &mut blocks {
            b.fuse()?;
        }
        let embed = match embed_q.dtype() {
            candle_core::quantized::GgmlDType::F32 | candle_core::quantized::GgmlDType::F16 => {
                Embed::Plain(embed_q.dequantize(device)?)
            }
            // Row lookup needs whole blocks per row; other tables are dequantized once.
            t if cfg.hidden_size % t.block_size() == 0 && device.is_cpu() => {
                Embed::Quantized(embed_q)
            }
            _ => Embed::Plain(embed_q.dequantize(device)?),
        };
        let (cos, sin) = rope_tables(&cfg, device)?;
        Ok(Decoder {
            cfg,
            embed,
            blocks,
            norm,
            head,
            cos,
            sin,
            dtype: DType::F32,
            device: device.clone(),
        })
    }

    /// Load HF safetensors weights (`model.embed_tokens`, `model.layers.N...`).
    ///
    /// ```no_run
    /// use candle_core::{DType, Device};
    /// let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string("m/config.json")?)?;
    /// let cfg = codefail::sample::DecoderConfig::from_hf_config(&json)?;
    /// let vb = unsafe { candle_nn::VarBuilder::from_mmaped_safetensors(&["m/model.safetensors"], DType::F32, &Device::Cpu)? };
    /// let model = codefail::sample::Decoder::from_safetensors(cfg, vb)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_safetensors(cfg: DecoderConfig, vb: VarBuilder) -> CResult<Self> {
        let device = vb.device().clone();
        let dtype = vb.dtype();
        let h = cfg.hidden_size;
        let kv = cfg.num_key_value_heads * cfg.head_dim;
        let qd = cfg.num_attention_heads * cfg.head_dim;
        let m = vb.pp("model");
        let embed = m.get((cfg.vocab_size, h), "embed_tokens.weight")?;
        let head_w = if cfg.tie_word_embeddings {
            embed.clone()
        } else {
            vb.get((cfg.vocab_size, h), "lm_head.weight")?
        };
        let proj = |vb: &VarBuilder, out: usize, inp: usize, bias: bool| -> CResult<Proj> {
            let b = if bias {
                Some(vb.get(out, "bias")?)
            } else {
                None
            };
            Ok(Proj::new(QMatMul::Tensor(vb.get((out, inp), "weight")?), b))
        };
        let mut blocks = Vec::with_capacity(cfg.num_hidden_layers);
        for i in 0..cfg.num_hidden_layers {
            let l = m.pp(format!("layers.{i}"));
            let a = l.pp("self_attn");
            let f = l.pp("mlp");
            let bias = cfg.attention_bias;
            blocks.push(Block {
                q: proj(&a.pp("q_proj"), qd, h, bias)?,
                k: proj(&a.pp("k_proj"), kv, h, bias)?,
                v: proj(&a.pp("v_proj"), kv, h, bias)?,
                o: proj(&a.pp("o_proj"), h, qd, false)?,
                gate: proj(&f.pp("gate_proj"), cfg.intermediate_size, h, false)?,
                up: proj(&f.pp("up_proj"), cfg.intermediate_size, h, false)?,
                down: proj(&f.pp("down_proj"), h, cfg.intermediate_size, false)?,
                attn_norm: l.get(h, "input_layernorm.weight")?,
                ffn_norm: l.get(h, "post_attention_layernorm.weight")?,
                qkv: None,
                glu: None,
            });
        }
        let norm = m.get(h, "norm.weight")?;
        let (cos, sin) = rope_tables(&cfg, &device)?;
        Ok(Decoder {
            embed: Embed::Plain(embed),
            blocks,
            norm,
            head: Proj::new(QMatMul::Tensor(head_w), None),
            cos: cos.to_dtype(dtype)?,
            sin: sin.to_dtype(dtype)?,
            dtype,
            device,
            cfg,
        })
    }

    /// Bytes an f32 copy of every quantized projection weight takes (what
    /// [`Decoder::with_dense_prefill`] adds); 0 for plain weights.
    ///
    /// ```
    /// # use candle_core::{DType, Device};
    /// let vb = candle_nn::VarBuilder::zeros(DType::F32, &Device::Cpu);
    /// let m = codefail::sample::Decoder::from_safetensors(codefail::sample::DecoderConfig::tiny(), vb).unwrap();
    /// assert_eq!(m.dense_prefill_bytes(), 0);
    /// ```
    pub fn dense_prefill_bytes(&self) -> usize {
        self.blocks
            .iter()
            .flat_map(Block::projections)
            .filter_map(|p| match &p.w {
                QMatMul::QTensor(q) => Some(q.shape().elem_count() * 4),
                _ => None,
            })
            .sum()
    }

    /// Keep an f32 copy of every quantized projection weight and use it for
    /// inputs of at least 16 new positions (prompt prefill, a long context prefilled
    /// again); single-token steps keep the quantized kernels. On CPU, candle's
    /// quantized matmul works a row at a time (a 583-token prefill of
    /// Qwen2.5-Coder-0.5B Q4_K_M took 39 s on 2 cores, about the speed of
    /// decoding), while the dense copy goes through a blocked GEMM. Costs
    /// [`Decoder::dense_prefill_bytes`] of memory. The logits differ from
    /// the quantized path's by rounding only: that path also rounds the
    /// activations to 8 bits, the dense one multiplies the exact dequantized
    /// weights in f32.
    ///
    /// ```
    /// # use candle_core::{DType, Device, Tensor};
    /// let vb = candle_nn::VarBuilder::zeros(DType::F32, &Device::Cpu);
    /// let m = codefail::sample::Decoder::from_safetensors(codefail::sample::DecoderConfig::tiny(), vb)
    ///     .unwrap()
    ///     .with_dense_prefill()
    ///     .unwrap();
    /// let mut cache = codefail::sample::KvCache::new(vec![0]);
    /// let ids = Tensor::new(&[[1u32; 20]], &Device::Cpu).unwrap();
    /// assert_eq!(m.forward(&ids, &mut cache).unwrap().dims(), &[1, 512]);
    /// ```
    pub fn with_dense_prefill(mut self) -> CResult<Self> {
        for b in &mut self.blocks {
            for p in b.projections_mut() {
                if let QMatMul::QTensor(q) = &p.w {
                    p.dense = Some(QMatMul::Tensor(q.dequantize(&self.device)?));
                }
            }
        }
        Ok(self)
    }

    /// Drop codefail's Q5_0/Q8_0 kernels: every Q5_0 weight is re-quantized
    /// to Q8_0 (1.5x the bytes read per token), and Q8_0 weights are
    /// multiplied by candle's kernel. What the decoder did before it had its
    /// own kernels; kept to compare the two
    /// (`ModelOptions::requantize_q5_0`). Call it before
    /// [`Decoder::with_dense_prefill`], whose copy is then made from the
    /// re-quantized values. A model without Q5_0 weights is unchanged.
    ///
    /// ```
    /// # use candle_core::{DType, Device, Tensor};
    /// let vb = candle_nn::VarBuilder::zeros(DType::F32, &Device::Cpu);
    /// let m = codefail::sample::Decoder::from_safetensors(codefail::sample::DecoderConfig::tiny(), vb)
    ///     .unwrap()
    ///     .with_requantized_q5_0()
    ///     .unwrap();
    /// let mut cache = codefail::sample::KvCache::new(vec![0]);
    /// let ids = Tensor::new(&[[1u32, 2]], &Device::Cpu).unwrap();
    /// assert_eq!(m.forward(&ids, &mut cache).unwrap().dims(), &[1, 512]);
    /// ```
    pub fn with_requantized_q5_0(mut self) -> CResult<Self> {
        let device = self.device.clone();
        let requantize = |p: &mut Proj| -> CResult<()> {
            if let Some(fast) = p.fast.take()
                && fast.is_q5_0()
                && let QMatMul::QTensor(q) = &p.w
            {
                p.w = QMatMul::from_arc(requantize_q8_0(q, &device)?)?;
            }
            Ok(())
        };
        for b in &mut self.blocks {
            b.qkv = None;
            b.glu = None;
            for p in b.projections_mut() {
                requantize(p)?;
            }
        }
        requantize(&mut self.head)?;
        Ok(self)
    }

    /// The config the model was built from.
    ///
    /// ```
    /// # use candle_core::{DType, Device};
    /// let cfg = codefail::sample::DecoderConfig::tiny();
    /// let vb = candle_nn::VarBuilder::zeros(DType::F32, &Device::Cpu);
    /// let m = codefail::sample::Decoder::from_safetensors(cfg.clone(), vb).unwrap();
    /// assert_eq!(m.config(), &cfg);
    /// ```
    pub fn config(&self) -> &DecoderConfig {
        &self.cfg
    }

    /// The device the weights live on.
    ///
    /// ```
    /// # use candle_core::{DType, Device};
    /// let vb = candle_nn::VarBuilder::zeros(DType::F32, &Device::Cpu);
    /// let m = codefail::sample::Decoder::from_safetensors(codefail::sample::DecoderConfig::tiny(), vb).unwrap();
    /// assert!(m.device().is_cpu());
    /// ```
    pub fn device(&self) -> &Device {
        &self.device
    }

    fn embed(&self, ids: &Tensor) -> CResult<Tensor> {
        match &self.embed {
            Embed::Quantized(q) => q.embedding(ids),
            Embed::Plain(t) => {
                let (b, s) = ids.dims2()?;
                t.index_select(&ids.flatten_all()?, 0)?
                    .reshape((b, s, self.cfg.hidden_size))
            }
        }
    }

    /// Run `ids` (shape `(batch, new)`, left-padded rows as the cache says)
    /// after what `cache` holds, append their keys and values to it, and
    /// return the logits (f32) of every row's last position: `(batch, vocab)`.
    ///
    /// ```
    /// # use candle_core::{DType, Device, Tensor};
    /// let vb = candle_nn::VarBuilder::zeros(DType::F32, &Device::Cpu);
    /// let m = codefail::sample::Decoder::from_safetensors(codefail::sample::DecoderConfig::tiny(), vb).unwrap();
    /// let mut cache = codefail::sample::KvCache::new(vec![0]);
    /// let ids = Tensor::new(&[[1u32, 2, 3]], &Device::Cpu).unwrap();
    /// let logits = m.forward(&ids, &mut cache).unwrap();
    /// assert_eq!(logits.dims(), &[1, 512]);
    /// assert_eq!(cache.len(), 3);
    /// ```
    pub fn forward(&self, ids: &Tensor, cache: &mut KvCache) -> CResult<Tensor> {
        let (b, s) = ids.dims2()?;
        if b != cache.batch() {
            candle_core::bail!("batch {b} but the cache holds {} rows", cache.batch());
        }
        let start = cache.len;
        let kv_len = start + s;
        if kv_len > self.cfg.max_position_embeddings {
            candle_core::bail!(
                "sequence of {kv_len} positions exceeds the model's {}",
                self.cfg.max_position_embeddings
            );
        }
        if cache.layers.is_empty() {
            cache.layers = vec![None; self.blocks.len()];
        }
        let padded = cache.pad.iter().any(|&p| p > 0);
        // RoPE tables for these positions: shared when no row is padded,
        // per row (position = index - padding) otherwise.
        let (cos, sin) = if padded {
            let pos: Vec<u32> = cache
                .pad
                .iter()
                .flat_map(|&p| (start..kv_len).map(move |i| i.saturating_sub(p) as u32))
                .collect();
            let idx = Tensor::from_vec(pos, b * s, &self.device)?;
            let half = self.cfg.head_dim / 2;
            (
                self.cos.index_select(&idx, 0)?.reshape((b, s, half))?,
                self.sin.index_select(&idx, 0)?.reshape((b, s, half))?,
            )
        } else {
            (self.cos.narrow(0, start, s)?, self.sin.narrow(0, start, s)?)
        };
        let mask = self.mask(&cache.pad, start, s)?;
        let mut x = self.embed(ids)?.to_dtype(self.dtype)?;
        for (block, slot) in self.blocks.iter().zip(cache.layers.iter_mut()) {
            let h = candle_nn::ops::rms_norm(&x, &block.attn_norm, self.cfg.rms_norm_eps as f32)?;
            let a = self.attention(
                block,
                &h,
                (&cos, &sin),
                mask.as_ref(),
                (&cache.pad, start),
                slot,
            )?;
            x = (x + a)?;
            let h = candle_nn::ops::rms_norm(&x, &block.ffn_norm, self.cfg.rms_norm_eps as f32)?;
            let f = block.down.forward(&block.gated(&h)?)?;
            x = (x + f)?;
        }
        cache.len = kv_len;
        let last = x.narrow(1, s - 1, 1)?.squeeze(1)?.contiguous()?;
        let last = candle_nn::ops::rms_norm(&last, &self.norm, self.cfg.rms_norm_eps as f32)?;
        self.head.forward(&last)?.to_dtype(DType::F32)
    }

    /// Additive mask `(batch, 1, new, kv_len)`: causal, and padding positions
    /// hidden. `None` when nothing needs masking (one new token, no padding).
    fn mask(&self, pad: &[usize], start: usize, s: usize) -> CResult<Option<Tensor>> {
        let padded = pad.iter().any(|&p| p > 0);
        if s == 1 && !padded {
            return Ok(None);
        }
        let kv = start + s;
        let b = pad.len();
        let mut m = vec![0f32; b * s * kv];
        for (r, &p) in pad.iter().enumerate() {
            for i in 0..s {
                for j in 0..kv {
                    if j > start + i || j < p {
                        m[(r * s + i) * kv + j] = f32::NEG_INFINITY;
                    }
                }
                // A padding query row would see nothing: let it see itself so
                // the softmax stays finite (its output is never used).
                if start + i < p {
                    m[(r * s + i) * kv + start + i] = 0.0;
                }
            }
        }
        Ok(Some(
            Tensor::from_vec(m, (b, 1, s, kv), &self.device)?.to_dtype(self.dtype)?,
        ))
    }

    fn attention(
        &self,
        block: &Block,
        x: &Tensor,
        (cos, sin): (&Tensor, &Tensor),
        mask: Option<&Tensor>,
        (pad, start): (&[usize], usize),
        slot: &mut Option<(Tensor, Tensor)>,
    ) -> CResult<Tensor> {
        let (b, s, _) = x.dims3()?;
        let c = &self.cfg;
        let shape = |t: Tensor, heads: usize| {
            t.reshape((b, s, heads, c.head_dim))?
                .transpose(1, 2)?
                .contiguous()
        };
        let (q, k, v) = block.qkv(x)?;
        let q = shape(q, c.num_attention_heads)?;
        let k = shape(k, c.num_key_value_heads)?;
        let v = shape(v, c.num_key_value_heads)?;
        let rope = if c.rope_interleaved {
            candle_nn::rotary_emb::rope_i
        } else {
            candle_nn::rotary_emb::rope
        };
        let q = rope(&q, cos, sin)?;
        let k = rope(&k, cos, sin)?;
        let (k, v) = append_kv(slot, &k, &v, start)?;
        if s == 1 && self.device.is_cpu() && self.dtype == DType::F32 {
            // One position per row: one fused pass (see `attend`).
            let op = DecodeAttention {
                pad: pad.to_vec(),
                scale: (1.0 / (c.head_dim as f64).sqrt()) as f32,
            };
            let y = q.contiguous()?.apply_op3_no_bwd(&k, &v, &op)?;
            return block.o.forward(&y);
        }
        // Grouped-query attention without copying keys and values per query
        // head: query head h reads key/value head h / rep, so the `rep`
        // query heads of one group stack into one (rep * s)-row matmul
        // against their shared keys (what repeat_kv would give, without its
        // copies of the whole cache on every token).
        let kv_heads = c.num_key_value_heads;
        let rep = c.num_attention_heads / kv_heads;
        let kv_len = k.dim(2)?;
        // The cache buffers are narrowed to the filled positions; cuBLAS
        // takes those strides as they are, the CPU's matmul wants them
        // contiguous.
        let (k, v) = if self.device.is_cpu() {
            (k.contiguous()?, v.contiguous()?)
        } else {
            (k, v)
        };
        let q = q.reshape((b, kv_heads, rep * s, c.head_dim))?;
        let att = (q.matmul(&k.t()?)? / (c.head_dim as f64).sqrt())?;
        let att = match mask {
            Some(m) => att
                .reshape((b, kv_heads, rep, s, kv_len))?
                .broadcast_add(&m.unsqueeze(1)?)?
                .reshape((b, kv_heads, rep * s, kv_len))?,
            None => att,
        };
        let att = candle_nn::ops::softmax_last_dim(&att)?;
        let y = att
            .matmul(&v)?
            .reshape((b, c.num_attention_heads, s, c.head_dim))?
            .transpose(1, 2)?
            .reshape((b, s, ()))?;
        block.o.forward(&y)
    }
}

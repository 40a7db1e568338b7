//! Loading a local model: a GGUF file, a Hugging Face model folder, or a hub
//! id found in the standard Hugging Face cache (downloaded with the `hub`
//! feature when it is not there).

use super::decoder::{Decoder, DecoderConfig};
use super::tokenizer::{ChatTemplate, SpecialTokens, stop_ids, tokenizer_from_gguf};
use crate::{Error, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::{bigcode, starcoder2};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tokenizers::Tokenizer;

/// Where a model runs: the CPU, or CUDA device N (which needs the crate built
/// with the `cuda` feature). Parsed from `cpu`, `cuda`, `gpu` or `cuda:N`,
/// the CLI's `--device` (`--gpu` is `cuda:0`).
///
/// ```
/// use codefail::sample::DeviceChoice;
/// assert_eq!("cuda:1".parse::<DeviceChoice>()?, DeviceChoice::Cuda(1));
/// assert_eq!("gpu".parse::<DeviceChoice>()?, DeviceChoice::Cuda(0));
/// assert_eq!(DeviceChoice::Cuda(1).to_string(), "cuda:1");
/// assert!("tpu".parse::<DeviceChoice>().is_err());
/// assert!(DeviceChoice::Cpu.open()?.is_cpu());
/// if !cfg!(feature = "cuda") {
///     let e = DeviceChoice::Cuda(0).open().unwrap_err().to_string();
///     assert!(e.contains("built without the `cuda` feature"), "{e}");
/// }
/// # Ok::<(), codefail::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum DeviceChoice {
    /// The CPU (codefail's own AVX2 kernels for GGUF where they apply).
    #[default]
    Cpu,
    /// CUDA device N: candle's CUDA kernels, cuBLAS, and its quantized
    /// kernels for GGUF weights.
    Cuda(usize),
}

impl DeviceChoice {
    /// CUDA device 0 when the crate is built with `cuda` and that device
    /// opens, else the CPU: what notebooks use to run on a GPU when there is
    /// one.
    ///
    /// ```
    /// let d = codefail::sample::DeviceChoice::detect();
    /// if !cfg!(feature = "cuda") { assert_eq!(d, codefail::sample::DeviceChoice::Cpu); }
    /// ```
    pub fn detect() -> Self {
        if DeviceChoice::Cuda(0).open().is_ok() {
            DeviceChoice::Cuda(0)
        } else {
            DeviceChoice::Cpu
        }
    }

    /// Whether this is a CUDA device.
    ///
    /// ```
    /// assert!(codefail::sample::DeviceChoice::Cuda(0).is_cuda());
    /// ```
    pub fn is_cuda(&self) -> bool {
        matches!(self, DeviceChoice::Cuda(_))
    }

    /// Open the device: a clear error when the crate was built without
    /// `cuda`, or when CUDA device N does not open (no driver, no such
    /// device, `CUDA_VISIBLE_DEVICES` hides it).
    ///
    /// ```
    /// let cpu = codefail::sample::DeviceChoice::Cpu.open()?;
    /// assert!(cpu.is_cpu());
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn open(&self) -> Result<Device> {
        match *self {
            DeviceChoice::Cpu => Ok(Device::Cpu),
            #[cfg(feature = "cuda")]
            DeviceChoice::Cuda(n) => Device::new_cuda(n).map_err(|e| {
                let text = e.to_string();
                let text = text.split("\n   0: ").next().unwrap_or_default().trim();
                Error::Invalid(format!(
                    "CUDA device {n} is not usable ({text}); `nvidia-smi` lists the devices \
                     this machine has, and CUDA_VISIBLE_DEVICES may hide some"
                ))
            }),
            #[cfg(not(feature = "cuda"))]
            DeviceChoice::Cuda(n) => Err(Error::Invalid(format!(
                "cuda:{n} was asked for but codefail was built without the `cuda` feature \
                 (build with `--features cuda`; scripts/cuda-toolkit.sh installs the compiler)"
            ))),
        }
    }
}

impl std::str::FromStr for DeviceChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase();
        match t.as_str() {
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" | "gpu" => Ok(DeviceChoice::Cuda(0)),
            _ => t
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(DeviceChoice::Cuda)
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "device `{s}`: expected `cpu`, `cuda`, `gpu` or `cuda:N`"
                    ))
                }),
        }
    }
}

impl std::fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceChoice::Cpu => f.write_str("cpu"),
            DeviceChoice::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

impl From<DeviceChoice> for String {
    fn from(d: DeviceChoice) -> String {
        d.to_string()
    }
}

impl TryFrom<String> for DeviceChoice {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

/// Where to run a model.
#[derive(Clone, Debug, Default)]
pub struct ModelOptions {
    /// The device (default: CPU).
    pub device: DeviceChoice,
    /// Weight dtype for safetensors models: `None` picks f32 on CPU, bf16 on
    /// GPU. GGUF weights stay quantized on both (activations f32): codefail's
    /// own AVX2 kernels on CPU, candle's CUDA quantized kernels on a GPU.
    pub dtype: Option<DType>,
    /// A `tokenizer.json` to use instead of the model's own.
    pub tokenizer: Option<PathBuf>,
    /// GGUF on CPU: never keep a dense f32 copy of the quantized weights for
    /// prefill. By default the copy is made when it takes at most
    /// [`DENSE_PREFILL_MAX_BYTES`] (see `Decoder::with_dense_prefill`:
    /// prompt prefill several times faster, single-token steps unchanged).
    pub quantized_prefill: bool,
    /// GGUF on CPU: re-quantize Q5_0 weights to Q8_0 at load and multiply
    /// them and the Q8_0 weights with candle's kernel, as codefail did before
    /// it had its own Q5_0/Q8_0 kernels (see `Decoder::with_requantized_q5_0`).
    /// For comparisons (`cargo bench --bench decode`); the default keeps the
    /// file's Q5_0.
    pub requantize_q5_0: bool,
}

/// The largest dense prefill copy made by default (4 GiB: models up to about
/// 1B parameters; DeepSeek-Coder-1.3B's copy is about 5 GiB).
pub const DENSE_PREFILL_MAX_BYTES: usize = 4 << 30;

/// The network behind a [`Model`].
pub(crate) enum Backend {
    /// Llama/Qwen2 family, caller-owned KV cache (batching, shared prefill).
    Decoder(Decoder),
    /// StarCoder2 (candle-transformers; internal cache, one prompt at a time).
    Starcoder2(Mutex<starcoder2::Model>),
    /// GPT-BigCode (candle-transformers; no cache reset, so rebuilt per prompt).
    Bigcode {
        json: serde_json::Value,
        vb: VarBuilder<'static>,
    },
}

/// A loaded model: network, tokenizer, special tokens, chat template.
pub struct Model {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    pub(crate) backend: Backend,
    pub(crate) tokenizer: Tokenizer,
    pub(crate) special: SpecialTokens,
    pub(crate) template: Option<ChatTemplate>,
    pub(crate) device: Device,
    /// Longest sequence (prompt + answer) the model takes.
    pub(crate) context: usize,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("architecture", &self.architecture())
            .finish()
    }
}

/// A model error naming the file; candle's captured backtrace (present when
/// `RUST_BACKTRACE` is set) is cut off.
pub(crate) fn model_err(path: &Path, message: impl std::fmt::Display) -> Error {
    let text = message.to_string();
    let text = match text.find("\n   0: ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    Error::Model {
        path: path.to_path_buf(),
        message: text,
    }
}

impl Model {
    /// The name [`Model::load`] gives the model `spec` (a GGUF file's stem,
    /// else `spec` itself), without reading it: what a merge of runs made
    /// with that model calls it.
    ///
    /// ```
    /// use codefail::sample::Model;
    /// assert_eq!(Model::name_of("qwen2.5-coder-0.5b"), "qwen2.5-coder-0.5b-instruct-q4_k_m");
    /// assert_eq!(Model::name_of("Qwen/Qwen2.5-Coder-1.5B-Instruct"), "Qwen/Qwen2.5-Coder-1.5B-Instruct");
    /// ```
    pub fn name_of(spec: &str) -> String {
        if let Some(m) = super::MODELS.iter().find(|m| m.name == spec) {
            return gguf_name(Path::new(m.file));
        }
        let expanded = expand_home(spec);
        let path = Path::new(&expanded);
        if path.is_file() {
            return gguf_name(path);
        }
        spec.to_string()
    }

    /// Load `spec`: a `.gguf` file, a folder with `config.json` and
    /// `*.safetensors`, or a hub id (`Qwen/Qwen2.5-Coder-1.5B-Instruct`)
    /// looked up in the Hugging Face cache (`HF_HUB_CACHE`, `HF_HOME`, ...),
    /// or the name of a model `codefail models fetch` fetched (`smollm2`,
    /// `qwen2.5-coder-0.5b`; see [`super::MODELS`]).
    ///
    /// ```no_run
    /// use codefail::sample::{Model, ModelOptions};
    /// let m = Model::load("qwen2.5-coder-0.5b", &ModelOptions::default())?;
    /// let m = Model::load("~/.cache/codefail/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", &ModelOptions::default())?;
    /// assert_eq!(m.architecture(), "qwen2");
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn load(spec: &str, opts: &ModelOptions) -> Result<Model> {
        let device = opts.device.open()?;
        if let Some(m) = super::MODELS.iter().find(|m| m.name == spec) {
            let path = super::models_dir().join(m.file);
            if !path.is_file() {
                return Err(model_err(
                    &path,
                    format!("not fetched yet: run `codefail models fetch {spec}`"),
                ));
            }
            return Self::load_gguf(&path, opts, device);
        }
        let expanded = expand_home(spec);
        let path = Path::new(&expanded);
        if path.is_file() {
            return Self::load_gguf(path, opts, device);
        }
        if path.is_dir() {
            return Self::load_hf_dir(path, spec, opts, device);
        }
        // A file path (absolute, relative with `./` or `../`, or a .gguf
        // name) that is not there: say so, not "not in the hub cache".
        let looks_like_path = spec.starts_with(['/', '.', '~'])
            || path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("gguf"));
        if looks_like_path {
            let reason = std::fs::metadata(path)
                .err()
                .unwrap_or_else(|| std::io::Error::other("not a file or folder"));
            return Err(Error::io(path, reason));
        }
        let dir = super::hub::model_dir(spec)?;
        Self::load_hf_dir(&dir, spec, opts, device)
    }

    fn load_gguf(path: &Path, opts: &ModelOptions, device: Device) -> Result<Model> {
        let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let ct = candle_core::quantized::gguf_file::Content::read(&mut f)
            .map_err(|e| model_err(path, format!("not a GGUF file: {e}")))?;
        let cfg = DecoderConfig::from_gguf(&ct).map_err(|e| model_err(path, e))?;
        let (tokenizer, special) = match &opts.tokenizer {
            Some(t) => {
                let (tok, mut special) = tokenizer_file(t)?;
                special.add_bos = false;
                (tok, special)
            }
            None => tokenizer_from_gguf(&ct).map_err(|e| model_err(path, e))?,
        };
        let template = ct
            .metadata
            .get("tokenizer.chat_template")
            .and_then(|v| v.to_string().ok())
            .map(|src| {
                ChatTemplate::new(
                    src.clone(),
                    special.bos.as_ref().map(|b| b.1.as_str()).unwrap_or(""),
                    special.eos.as_ref().map(|b| b.1.as_str()).unwrap_or(""),
                )
            });
        let context = cfg.max_position_embeddings;
        let mut decoder =
            Decoder::from_gguf(cfg, &ct, &mut f, &device).map_err(|e| model_err(path, e))?;
        if opts.requantize_q5_0 {
            decoder = decoder
                .with_requantized_q5_0()
                .map_err(|e| model_err(path, e))?;
        }
        if device.is_cpu()
            && !opts.quantized_prefill
            && decoder.dense_prefill_bytes() <= DENSE_PREFILL_MAX_BYTES
        {
            decoder = decoder
                .with_dense_prefill()
                .map_err(|e| model_err(path, e))?;
        }
        let name = gguf_name(path);
        Ok(Model {
            name,
            path: path.to_path_buf(),
            backend: Backend::Decoder(decoder),
            tokenizer,
            special,
            template,
            device,
            context,
        })
    }

    fn load_hf_dir(dir: &Path, name: &str, opts: &ModelOptions, device: Device) -> Result<Model> {
        let config_path = dir.join("config.json");
        let text = std::fs::read_to_string(&config_path).map_err(|e| Error::io(&config_path, e))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::parse(&config_path, e.line(), None, e.to_string()))?;
        let dtype = opts.dtype.unwrap_or(if device.is_cpu() {
            DType::F32
        } else {
            DType::BF16
        });
        let mut shards: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
            .collect();
        shards.sort();
        if shards.is_empty() {
            return Err(model_err(dir, "no *.safetensors file"));
        }
        // SAFETY: the files are memory-mapped read-only; like candle's own
        // loaders we assume nobody truncates them while the model is alive.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&shards, dtype, &device) }
            .map_err(|e| model_err(dir, e))?;
        let model_type = json["model_type"].as_str().unwrap_or_default().to_string();
        let backend = match model_type.as_str() {
            "llama" | "qwen2" | "mistral" => {
                let cfg = DecoderConfig::from_hf_config(&json)
                    .map_err(|e| Error::parse(&config_path, 0, None, e))?;
                Backend::Decoder(Decoder::from_safetensors(cfg, vb).map_err(|e| model_err(dir, e))?)
            }
            "starcoder2" => {
                let cfg: starcoder2::Config = serde_json::from_value(json.clone())
                    .map_err(|e| Error::parse(&config_path, 0, None, e.to_string()))?;
                Backend::Starcoder2(Mutex::new(
                    starcoder2::Model::new(&cfg, vb).map_err(|e| model_err(dir, e))?,
                ))
            }
            "gpt_bigcode" => {
                bigcode_config(&json).map_err(|e| Error::parse(&config_path, 0, None, e))?;
                Backend::Bigcode {
                    json: json.clone(),
                    vb,
                }
            }
            other => {
                return Err(Error::parse(
                    &config_path,
                    0,
                    Some("model_type"),
                    format!(
                        "`{other}` is not supported (llama, qwen2, mistral, starcoder2, gpt_bigcode)"
                    ),
                ));
            }
        };
        let tok_path = opts
            .tokenizer
            .clone()
            .unwrap_or_else(|| dir.join("tokenizer.json"));
        let (tokenizer, mut special) = tokenizer_file(&tok_path)?;
        let tc_path = dir.join("tokenizer_config.json");
        let mut template = None;
        if let Ok(text) = std::fs::read_to_string(&tc_path) {
            let tc: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| Error::parse(&tc_path, e.line(), None, e.to_string()))?;
            let token_str = |v: &serde_json::Value| match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Object(o) => {
                    o.get("content").and_then(|c| c.as_str()).map(String::from)
                }
                _ => None,
            };
            let lookup = |s: &str| tokenizer.token_to_id(s).map(|i| (i, s.to_string()));
            if let Some(b) = token_str(&tc["bos_token"]).and_then(|s| lookup(&s)) {
                special.bos = Some(b);
            }
            if let Some(e) = token_str(&tc["eos_token"]).and_then(|s| lookup(&s)) {
                special.eos = Some(e);
            }
            special.add_bos = tc["add_bos_token"].as_bool().unwrap_or(false);
            special.stop_ids = stop_ids(special.eos.as_ref().map(|e| e.0), |t| {
                tokenizer.token_to_id(t)
            });
            if let Some(src) = tc["chat_template"].as_str() {
                template = Some(ChatTemplate::new(
                    src,
                    special.bos.as_ref().map(|b| b.1.as_str()).unwrap_or(""),
                    special.eos.as_ref().map(|b| b.1.as_str()).unwrap_or(""),
                ));
            }
        }
        if let Some(eos) = json["eos_token_id"].as_u64()
            && !special.stop_ids.contains(&(eos as u32))
        {
            special.stop_ids.push(eos as u32);
        }
        let context = json["max_position_embeddings"]
            .as_u64()
            .or(json["n_positions"].as_u64())
            .unwrap_or(4096) as usize;
        Ok(Model {
            name: name.to_string(),
            path: dir.to_path_buf(),
            backend,
            tokenizer,
            special,
            template,
            device,
            context,
        })
    }

    /// The model file or folder it was loaded from.
    ///
    /// ```no_run
    /// # let m = codefail::sample::Model::load("m.gguf", &Default::default())?;
    /// println!("{}", m.path().display());
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Short name (file stem or hub id), written to the `model` column.
    ///
    /// ```no_run
    /// # let m = codefail::sample::Model::load("m.gguf", &Default::default())?;
    /// println!("{}", m.name());
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `llama`, `qwen2`, `starcoder2` or `gpt_bigcode`.
    ///
    /// ```no_run
    /// # let m = codefail::sample::Model::load("m.gguf", &Default::default())?;
    /// assert!(["llama", "qwen2"].contains(&m.architecture()));
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn architecture(&self) -> &str {
        match &self.backend {
            Backend::Decoder(d) => &d.config().architecture,
            Backend::Starcoder2(_) => "starcoder2",
            Backend::Bigcode { .. } => "gpt_bigcode",
        }
    }

    /// The tokenizer.
    ///
    /// ```no_run
    /// # let m = codefail::sample::Model::load("m.gguf", &Default::default())?;
    /// let n = m.tokenizer().get_vocab_size(true);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The chat template, when the model ships one.
    ///
    /// ```no_run
    /// # let m = codefail::sample::Model::load("m.gguf", &Default::default())?;
    /// let has_chat = m.chat_template().is_some();
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn chat_template(&self) -> Option<&ChatTemplate> {
        self.template.as_ref()
    }

    /// Longest sequence (prompt plus answer, in tokens) the model takes;
    /// answers stop there with `finish_reason` `length`.
    ///
    /// ```no_run
    /// # let m = codefail::sample::Model::load("m.gguf", &Default::default())?;
    /// assert!(m.context_len() >= 2048);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn context_len(&self) -> usize {
        self.context
    }

    /// Token ids that end an answer.
    ///
    /// ```no_run
    /// # let m = codefail::sample::Model::load("m.gguf", &Default::default())?;
    /// assert!(!m.stop_ids().is_empty());
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn stop_ids(&self) -> &[u32] {
        &self.special.stop_ids
    }

    /// Encode a prompt (BOS first when the model wants it; special tokens in
    /// the text are recognised).
    ///
    /// ```no_run
    /// # let m = codefail::sample::Model::load("m.gguf", &Default::default())?;
    /// let ids = m.encode("<|im_start|>user\nhi<|im_end|>\n")?;
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| model_err(&self.path, format!("tokenizer: {e}")))?;
        let mut ids = Vec::with_capacity(enc.len() + 1);
        if self.special.add_bos
            && let Some((b, _)) = &self.special.bos
            && !text.starts_with(
                &self
                    .special
                    .bos
                    .as_ref()
                    .map(|x| x.1.clone())
                    .unwrap_or_default(),
            )
        {
            ids.push(*b);
        }
        ids.extend_from_slice(enc.get_ids());
        Ok(ids)
    }

    /// Decode ids to text, special tokens dropped.
    ///
    /// ```no_run
    /// # let m = codefail::sample::Model::load("m.gguf", &Default::default())?;
    /// let text = m.decode(&m.encode("def f(): pass")?)?;
    /// assert_eq!(text, "def f(): pass");
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.tokenizer
            .decode(ids, true)
            .map_err(|e| model_err(&self.path, format!("tokenizer: {e}")))
    }

    /// Logits of each prompt's last position for `rows` copies of one
    /// prompt, for the backends that keep their own cache (StarCoder2,
    /// BigCode): returns a stepper that continues the batch.
    pub(crate) fn internal_stepper(&self, rows: usize) -> Result<InternalStepper<'_>> {
        match &self.backend {
            Backend::Decoder(_) => Err(Error::Invalid(
                "decoder models own no internal cache".into(),
            )),
            Backend::Starcoder2(m) => {
                let mut g = m
                    .lock()
                    .map_err(|_| Error::Invalid("model lock poisoned".into()))?;
                g.clear_kv_cache();
                Ok(InternalStepper {
                    model: InternalModel::Starcoder2(g),
                    rows,
                    pos: 0,
                })
            }
            Backend::Bigcode { json, vb } => {
                let cfg = bigcode_config(json).map_err(Error::Invalid)?;
                let m = bigcode::GPTBigCode::load(vb.clone(), cfg)
                    .map_err(|e| model_err(&self.path, e))?;
                Ok(InternalStepper {
                    model: InternalModel::Bigcode(Box::new(m)),
                    rows,
                    pos: 0,
                })
            }
        }
    }
}

pub(crate) enum InternalModel<'a> {
    Starcoder2(std::sync::MutexGuard<'a, starcoder2::Model>),
    Bigcode(Box<bigcode::GPTBigCode>),
}

/// A batch of `rows` copies of one prompt on a model with an internal cache.
pub(crate) struct InternalStepper<'a> {
    model: InternalModel<'a>,
    rows: usize,
    pos: usize,
}

impl InternalStepper<'_> {
    /// Feed `ids` (`rows x new`) and return last-position logits `(rows, vocab)`.
    pub(crate) fn step(
        &mut self,
        ids: &[Vec<u32>],
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        let new = ids.first().map(Vec::len).unwrap_or(0);
        let flat: Vec<u32> = ids.iter().flatten().copied().collect();
        let t = Tensor::from_vec(flat, (self.rows, new), device)?;
        let out = match &mut self.model {
            InternalModel::Starcoder2(m) => m.forward(&t, self.pos)?,
            InternalModel::Bigcode(m) => m.forward(&t, self.pos)?,
        };
        self.pos += new;
        // starcoder2 returns (b, 1, vocab); bigcode (b, vocab).
        let out = if out.rank() == 3 {
            out.squeeze(1)?
        } else {
            out
        };
        out.to_dtype(DType::F32)
    }
}

fn bigcode_config(json: &serde_json::Value) -> std::result::Result<bigcode::Config, String> {
    let u = |k: &str| {
        json[k]
            .as_u64()
            .map(|x| x as usize)
            .ok_or_else(|| format!("field `{k}`: expected an unsigned integer"))
    };
    Ok(bigcode::Config {
        vocab_size: u("vocab_size")?,
        max_position_embeddings: u("n_positions")?,
        num_hidden_layers: u("n_layer")?,
        hidden_size: u("n_embd")?,
        layer_norm_epsilon: json["layer_norm_epsilon"].as_f64().unwrap_or(1e-5),
        n_inner: json["n_inner"].as_u64().map(|x| x as usize),
        num_attention_heads: u("n_head")?,
        multi_query: json["multi_query"].as_bool().unwrap_or(true),
        use_cache: true,
    })
}

/// Read a `tokenizer.json`; special tokens from its added tokens.
fn tokenizer_file(path: &Path) -> Result<(Tokenizer, SpecialTokens)> {
    let tok = Tokenizer::from_file(path).map_err(|e| model_err(path, format!("tokenizer: {e}")))?;
    let find = |t: &str| tok.token_to_id(t);
    let eos = [
        "<|im_end|>",
        "<|endoftext|>",
        "</s>",
        "<|EOT|>",
        "<｜end▁of▁sentence｜>",
    ]
    .iter()
    .find_map(|t| find(t).map(|i| (i, t.to_string())));
    let bos = ["<s>", "<|begin_of_text|>", "<｜begin▁of▁sentence｜>"]
        .iter()
        .find_map(|t| find(t).map(|i| (i, t.to_string())));
    let stop = stop_ids(eos.as_ref().map(|e| e.0), find);
    Ok((
        tok,
        SpecialTokens {
            bos,
            eos,
            add_bos: false,
            stop_ids: stop,
        },
    ))
}

fn expand_home(spec: &str) -> String {
    match (spec.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => spec.to_string(),
    }
}

/// Whether sampling can use a GPU: the crate was built with `cuda` and CUDA
/// device 0 opens (see [`DeviceChoice::detect`]).
///
/// ```
/// if !cfg!(feature = "cuda") { assert!(!codefail::sample::cuda_available()); }
/// ```
pub fn cuda_available() -> bool {
    DeviceChoice::detect().is_cuda()
}

/// A GGUF model's name: its file name without `.gguf`.
fn gguf_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".gguf").to_string())
        .unwrap_or_default()
}

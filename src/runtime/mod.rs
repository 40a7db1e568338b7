//! The model runtime: loading a model (GGUF, Hugging Face folders, the hub
//! cache, the fetched GGUF files), the Llama-family decoder and its CPU
//! kernels (AVX2 quantized dot products, fused single-token attention), the
//! tokenizer and chat templates, and the decoding loop (batches, shared
//! prefill, token choice, per-token log-probs and entropies) on the CPU or a
//! CUDA device. No frames here: the `sample` stage above turns problems
//! frames into prompts and answers into generations frames, and `methods`
//! (EG-CFG, repair) drive the decoder directly.

mod attend;
pub(crate) mod decoder;
mod fetch;
mod generate;
mod hub;
pub(crate) mod model;
mod qdot;
mod tokenizer;

pub use decoder::{Decoder, DecoderConfig, KvCache};
pub use fetch::{GgufModel, MODELS, fetch_models, models_dir};
pub use generate::{PromptJob, Sampled, Sampling, Timing, choose, generate_batch, sample_rng};
pub use hub::{hf_cache_root, model_dir};
pub use model::{DENSE_PREFILL_MAX_BYTES, DeviceChoice, Model, ModelOptions, cuda_available};
pub use tokenizer::{ChatTemplate, Message, SpecialTokens, tokenizer_from_gguf};

/// Fix candle's CPU thread count in the environment (`RAYON_NUM_THREADS`,
/// to candle's own default: the physical cores) when it is not set.
/// candle-core 0.11 otherwise counts the physical cores, reading
/// `/proc/cpuinfo`, on every CPU matmul: about 7% of decoding time measured
/// on Qwen2.5-Coder-0.5B (2 cores). Returns the count in force.
///
/// # Safety
/// It may set an environment variable, so no other thread may read or write
/// the environment meanwhile: call it first thing in `main`, before any
/// thread starts (the `codefail` CLI and the generation benches do).
///
/// ```no_run
/// // First thing in `main`: no other thread exists yet.
/// let n = unsafe { codefail::sample::pin_cpu_threads() };
/// assert_eq!(std::env::var("RAYON_NUM_THREADS").unwrap(), n.to_string());
/// ```
pub unsafe fn pin_cpu_threads() -> usize {
    let n = candle_core::utils::get_num_threads();
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // SAFETY: the caller guarantees no other thread uses the environment.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", n.to_string()) };
    }
    n
}

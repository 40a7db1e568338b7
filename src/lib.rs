//! # codefail
//!
//! Why does LLM-generated code fail? codefail loads benchmarks and published
//! generations, runs programs in a sandbox, classifies every failure and plots
//! the result, each step a polars `DataFrame` that carries what the next one
//! needs (see [`chain`]):
//!
//! ```
//! use codefail::prelude::*;
//! # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
//! let mbpp = Problems::load("mbpp")?.split("test")?;
//! let res = mbpp
//!     .generations(data_file("generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl")?)?
//!     .head(10) // all 500 take about 20 s on 2 cores
//!     .run(&RunConfig::default())?
//!     .classify(&ClassifyConfig { semantic: false, ..Default::default() })?;
//! let table = res.failed()?.counts(&["outcome", "category"])?;
//! let chart = res.plot_categories("category")?;
//! # assert_eq!(res.height(), 10);
//! # Ok::<(), codefail::Error>(())
//! ```
//!
//! The prelude holds the stages, their configs, the frame tables of
//! [`metrics`], [`plot`] and polars' own prelude. The functions under the
//! stages ([`data::load`] and [`classify::classify`] on frames,
//! [`exec::run`] on records) serve frames that come from elsewhere; they are
//! not in the prelude, so a notebook has one way to do each thing.
//!
//! Modules, bottom to top (each imports only those below it):
//! [`store`] (atomic files, journals, digests); [`data`] (loaders, schemas);
//! [`metrics`]; [`scale`] (shards, manifests, tracking, progress);
//! [`runtime`] (the model runtime: loading, the decoder and its kernels,
//! tokenizers, the decoding loop); the stages [`exec`] (the sandbox),
//! [`sample`] (prompts and frames over the runtime), [`classify`];
//! [`plot`] and [`display`]; [`methods`] (EG-CFG, repair, failure
//! prediction: they drive both `sample` and `exec`); [`chain`] (the typed
//! stages) on top.
#![warn(missing_docs)]

pub mod chain;
pub mod classify;
pub mod data;
pub mod display;
mod error;
pub mod exec;
pub mod methods;
pub mod metrics;
pub mod plot;
pub mod runtime;
pub mod sample;
pub mod scale;
pub mod store;

/// polars itself, the version codefail is built with (notebooks reach it
/// as `codefail::polars`).
pub use polars;

pub use error::{Error, Result};

/// The README's Rust block (the chain), run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Everything a notebook needs: `use codefail::prelude::*;`.
pub mod prelude {
    pub use crate::chain::{Classified, Generations, Guided, Problems, Repair, Results};
    pub use crate::classify::ClassifyConfig;
    pub use crate::data::{ImportOptions, LoadOptions, PublicSplit, data_file};
    pub use crate::display::FrameDisplay;
    pub use crate::exec::RunConfig;
    pub use crate::metrics::{
        Comparison, best_checkpoints, checkpoint_flips, checkpoint_pass_at_1,
        checkpoint_trajectories, filter_eq, filter_true, first_per_group, pass_at_k,
        pass_at_k_frame, rate_by, rows_differing, rsr, semi_join, solved_by_any, solved_up_to,
        value_counts, with_checkpoints, with_metadata,
    };
    pub use crate::plot::{self, Chart};
    pub use crate::sample::{DeviceChoice, Model, ModelOptions, SampleConfig, Sampling};
    pub use crate::{Error, Result};
    pub use polars::prelude::*;
}

//! # codefail
//!
//! Why does LLM-generated code fail? codefail loads benchmarks and published
//! generations, runs programs in a sandbox, classifies every failure and plots
//! the result, each step taking and giving a polars `DataFrame`.
//!
//! ```no_run
//! use codefail::prelude::*;
//! let problems = load("mbpp", &LoadOptions { split: Some("test".into()), ..Default::default() })?;
//! let (gens, report) = load_generations("../shared/data/generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl")?;
//! # Ok::<(), codefail::Error>(())
//! ```
#![warn(missing_docs)]

pub mod classify;
pub mod data;
pub mod display;
mod error;
pub mod exec;
pub mod metrics;
pub mod plot;
pub mod sample;
pub mod scale;

/// polars itself, for notebooks that only `:dep codefail`.
pub use polars;

pub use error::{Error, Result};

/// Everything a notebook needs: `use codefail::prelude::*;`.
pub mod prelude {
    pub use crate::classify::{ClassifyConfig, classify};
    pub use crate::data::{
        ImportOptions, LoadOptions, PublicSplit, data_file, load, load_generations,
        load_generations_with, read_generations, read_problems, read_results,
        reference_generations, write_generations, write_problems, write_results,
    };
    pub use crate::display::FrameDisplay;
    pub use crate::exec::{RunConfig, run, summary};
    pub use crate::metrics::{
        best_checkpoints, checkpoint_flips, checkpoint_pass_at_1, checkpoint_trajectories,
        filter_eq, filter_true, first_per_group, pass_at_k, pass_at_k_frame, rate_by,
        rows_differing, rsr, semi_join, solved_by_any, solved_up_to, value_counts,
        with_checkpoints, with_metadata,
    };
    pub use crate::plot::{self, Chart};
    pub use crate::{Error, Result};
    pub use polars::prelude::*;
}

//! Research methods built on the stages: they drive both the model
//! ([`crate::sample`]) and the executor ([`crate::exec`]), so they sit above
//! both, and neither stage imports them.
//!
//! - [`egcfg`]: EG-CFG, execution-guided line-by-line decoding with
//!   classifier-free guidance (candidates `s`, temperature `t`, horizon `d`,
//!   strengths `gamma`), and its accuracy/RSR table.
//! - [`repair`]: multi-turn repair with test feedback, its records in the
//!   `GenerationResult` JSONL and the time profile (model, execution, IO).
//! - [`predict`]: predicting failure from the model's own token record
//!   (log-probs, entropies), cross-validated by task.
//!
//! ```no_run
//! use codefail::methods::{EgCfgConfig, RepairConfig};
//! use codefail::methods::predict::PredictConfig;
//! let (e, r, p) = (EgCfgConfig::default(), RepairConfig::default(), PredictConfig::default());
//! ```

pub mod egcfg;
pub mod predict;
pub mod repair;

pub use egcfg::{
    EgCfgConfig, EgCfgRun, EgCfgStats, cfg_mix, dynamic_signal, egcfg, egcfg_collect, egcfg_table,
};
pub use repair::{
    RepairConfig, Repaired, feedback_message, repair, repair_by_turn, repair_with, time_shares,
    with_retries,
};

//! codefail for evcxr notebooks: codefail and polars in one shared library.
//!
//! A notebook's first cell:
//!
//! ```text
//! :dep codefail-nb = { path = "../kernel/codefail-nb" }
//! use codefail_nb::codefail::{self, prelude::*};
//! ```
//!
//! evcxr compiles each cell into a shared library. A cell that depended on
//! codefail directly would link its own static copy of codefail and polars,
//! statics included; polars' hasher (foldhash) seeds itself from such a
//! static, so a frame whose schema was hashed in one cell would not find its
//! columns in the next. Every cell links this one dylib instead, so there is
//! one copy of each static for the whole session (`kernel/warm.sh` checks it
//! with a 64-column frame made in one cell and read in the next).

pub use codefail;
pub use codefail::polars;

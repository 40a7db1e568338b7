//! The crate's error type: every failure names the file, line and field it came from.

use std::path::{Path, PathBuf};

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in codefail.
///
/// Errors about user data carry the file, the 1-based line and the field, so
/// that a researcher can open the file and fix it.
///
/// ```
/// use codefail::Error;
/// let e = Error::parse("gens.jsonl", 3, Some("task_id"), "expected a string or an integer");
/// assert_eq!(e.to_string(), "gens.jsonl:3: field `task_id`: expected a string or an integer");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed input at a known place.
    #[error("{}{}: {}{message}", path.display(), if *line > 0 { format!(":{line}") } else { String::new() }, field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when the whole file is concerned; then no line
        /// is printed).
        line: usize,
        /// The field, when known (a dotted path such as `problem.test_cases`).
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A data set or file could not be found anywhere.
    #[error("{what} not found; tried:\n  {}", tried.join("\n  "))]
    NotFound {
        /// What was looked for.
        what: String,
        /// Every location tried, in order, with why it failed.
        tried: Vec<String>,
    },
    /// A frame lacks a column or has the wrong type.
    #[error("frame column `{column}`: {message}")]
    Column {
        /// Column name.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// An argument or configuration is invalid.
    #[error("{0}")]
    Invalid(String),
    /// A model file or folder could not be used (weights, config, tokenizer).
    #[error("model {}: {message}", path.display())]
    Model {
        /// The model file or folder.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An error from polars.
    #[error(transparent)]
    Polars(#[from] polars::prelude::PolarsError),
}

impl Error {
    /// A parse error at `path:line`, optionally naming a field.
    ///
    /// ```
    /// let e = codefail::Error::parse("x.jsonl", 1, None, "bad JSON");
    /// assert!(e.to_string().starts_with("x.jsonl:1:"));
    /// // Line 0: the whole file.
    /// let e = codefail::Error::parse("x.parquet", 0, None, "not parquet");
    /// assert_eq!(e.to_string(), "x.parquet: not parquet");
    /// ```
    pub fn parse(
        path: impl AsRef<Path>,
        line: usize,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Error::Parse {
            path: path.as_ref().to_path_buf(),
            line,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    /// An I/O error on `path`.
    ///
    /// ```
    /// let e = codefail::Error::io("/nope", std::io::Error::from(std::io::ErrorKind::NotFound));
    /// assert!(e.to_string().starts_with("/nope:"));
    /// ```
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// A column error.
    ///
    /// ```
    /// let e = codefail::Error::column("tests", "expected list");
    /// assert_eq!(e.to_string(), "frame column `tests`: expected list");
    /// ```
    pub fn column(column: &str, message: impl Into<String>) -> Self {
        Error::Column {
            column: column.to_string(),
            message: message.into(),
        }
    }
}

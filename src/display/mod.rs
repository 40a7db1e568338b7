//! Rich display in notebooks (evcxr's `evcxr_display` convention) and HTML tables.
//!
//! evcxr shows a cell's last expression by calling `.evcxr_display()` on it
//! when such a method exists. polars' `DataFrame` is a foreign type, so
//! [`FrameDisplay`] (in the prelude) gives it one: a bare `df` at the end of a
//! cell renders as an HTML table, with its shape and dtypes, truncated like
//! polars does (first and last rows, middle columns elided, long cells cut).
//! A text version is sent beside it for front ends without HTML. A
//! [`Chart`](crate::plot::Chart) shows as a PNG.
//!
//! Outside Jupyter, `println!("{df}")` keeps working as usual.
//!
//! ```
//! use polars::prelude::*;
//! use codefail::display::{FrameDisplay, TableOptions};
//! let df = df!("task_id" => ["Mbpp/2", "Mbpp/3"], "passed" => [true, false]).unwrap();
//! let html = df.to_html(&TableOptions::default());
//! assert!(html.contains("<th>task_id</th>") && html.contains("shape: (2, 2)"));
//! ```

use std::fmt::Write as _;

use base64::Engine as _;
use polars::prelude::{AnyValue, DataFrame};

use crate::plot::Chart;

/// How much of a frame an HTML table shows.
#[derive(Clone, Debug)]
pub struct TableOptions {
    /// Frames with more rows show the first and last `max_rows / 2`.
    pub max_rows: usize,
    /// Frames with more columns show the first and last `max_cols / 2`.
    pub max_cols: usize,
    /// Longer cell texts are cut (with `…`).
    pub max_chars: usize,
}

impl Default for TableOptions {
    /// 20 rows, 24 columns, 100 characters a cell; `CODEFAIL_MAX_ROWS`
    /// overrides the row limit.
    fn default() -> Self {
        let max_rows = std::env::var("CODEFAIL_MAX_ROWS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20);
        TableOptions {
            max_rows,
            max_cols: 24,
            max_chars: 100,
        }
    }
}

/// Rich display for polars frames: `evcxr_display` and an HTML table.
pub trait FrameDisplay {
    /// The frame as an HTML table (escaped, truncated per `opts`).
    ///
    /// ```
    /// use polars::prelude::*;
    /// use codefail::display::{FrameDisplay, TableOptions};
    /// let df = df!("code" => ["print('<b>')"]).unwrap();
    /// assert!(df.to_html(&TableOptions::default()).contains("print(&#39;&lt;b&gt;&#39;)"));
    /// ```
    fn to_html(&self, opts: &TableOptions) -> String;

    /// Emit the frame to evcxr as `text/html` and `text/plain`.
    ///
    /// ```no_run
    /// use codefail::display::FrameDisplay;
    /// let df = polars::prelude::DataFrame::empty();
    /// df.evcxr_display(); // text/plain and text/html through evcxr_runtime
    /// ```
    fn evcxr_display(&self);
}

impl FrameDisplay for DataFrame {
    fn to_html(&self, opts: &TableOptions) -> String {
        html_table(self, opts)
    }

    fn evcxr_display(&self) {
        let html = html_table(self, &TableOptions::default());
        let text = format!("{self}");
        evcxr_runtime::mime_type("text/plain").text(&text);
        evcxr_runtime::mime_type("text/html").text(&html);
    }
}

impl Chart {
    /// Show the chart inline in a notebook (PNG).
    ///
    /// ```no_run
    /// let c = codefail::plot::Chart::bar_chart("A", "x", "y", vec![], vec![]);
    /// c.evcxr_display();
    /// ```
    pub fn evcxr_display(&self) {
        match self.png() {
            Ok(png) => {
                let b64 = base64::engine::general_purpose::STANDARD.encode(png);
                // evcxr takes binary content base64-encoded.
                evcxr_runtime::mime_type("image/png").text(&b64);
            }
            Err(e) => eprintln!("chart `{}` could not be drawn: {e}", self.name()),
        }
    }
}

/// Escape text for HTML.
///
/// ```
/// assert_eq!(codefail::display::escape_html("a<b & 'c'"), "a&lt;b &amp; &#39;c&#39;");
/// ```
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// One cell as short text: strings unquoted, newlines shown as `↵`, cut to `max` characters.
fn cell_text(v: &AnyValue<'_>, max: usize) -> String {
    let s = match v {
        AnyValue::Null => return "null".into(),
        AnyValue::String(s) => (*s).to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Float64(f) => format_float(*f),
        AnyValue::Float32(f) => format_float(*f as f64),
        other => format!("{other}"),
    };
    cut(s.replace('\n', "↵"), max)
}

/// `s` cut to `max` characters (the last one `…` when cut).
fn cut(s: String, max: usize) -> String {
    if s.chars().count() > max {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// A results frame's `tamper` cell, compactly: its events' kinds joined with
/// `, ` (empty when the program tried nothing). `None` for any other column.
fn tamper_cell(col: &polars::prelude::Column, row: usize) -> Option<String> {
    use polars::prelude::DataType;
    let DataType::List(inner) = col.dtype() else {
        return None;
    };
    if col.name().as_str() != crate::data::schema::results::TAMPER
        || !matches!(inner.as_ref(), DataType::Struct(_))
    {
        return None;
    }
    let Some(events) = col.list().ok()?.get_as_series(row) else {
        return Some("null".into());
    };
    let events = events.struct_().ok()?.field_by_name("event").ok()?;
    let kinds = events.str().ok()?;
    let kinds: Vec<&str> = (0..kinds.len()).filter_map(|i| kinds.get(i)).collect();
    Some(kinds.join(", "))
}

fn format_float(f: f64) -> String {
    if f.is_finite() && f.fract() != 0.0 && f.abs() < 1e6 {
        let s = format!("{f:.4}");
        s.trim_end_matches('0').to_string()
    } else {
        format!("{f}")
    }
}

/// Indices shown out of `n`, with `None` marking the elided middle.
fn shown(n: usize, max: usize) -> Vec<Option<usize>> {
    if n <= max.max(2) {
        return (0..n).map(Some).collect();
    }
    let half = max.max(2) / 2;
    (0..half)
        .map(Some)
        .chain(std::iter::once(None))
        .chain((n - half..n).map(Some))
        .collect()
}

/// The frame as an HTML table in polars' notebook style: shape, column
/// names, dtypes, then rows (first and last when long).
///
/// ```
/// use polars::prelude::*;
/// let df = df!("x" => (0..100).collect::<Vec<i64>>()).unwrap();
/// let html = codefail::display::html_table(&df, &codefail::display::TableOptions { max_rows: 10, ..Default::default() });
/// assert!(html.contains("<td>4</td>") && html.contains("<td>95</td>") && !html.contains("<td>50</td>"));
/// ```
///
/// A results frame's `tamper` column shows its events' kinds:
///
/// ```
/// use codefail::data::{RunResult, TamperEvent, results_frame};
/// let mut r: RunResult = serde_json::from_value(serde_json::json!({
///     "task_id": "Mbpp/2", "sample_idx": 0, "model": "m", "passed": true, "n_tests": 1,
///     "n_passed": 1, "status": "passed", "first_error_stage": null, "first_error_type": null,
///     "first_error_message": null, "first_error_line": null, "traceback": null, "stdout": "",
///     "stderr": "", "wall_ms": 1.0, "tests": [], "code": null, "run_metadata": "{}"})).unwrap();
/// let ev = |e: &str| TamperEvent { event: e.into(), detail: "x".into(), line: None };
/// r.tamper = vec![ev("frame"), ev("gc")];
/// let html = codefail::display::html_table(&results_frame(&[r]).unwrap(), &Default::default());
/// assert!(html.contains("<td>frame, gc</td>"));
/// ```
pub fn html_table(df: &DataFrame, opts: &TableOptions) -> String {
    let cols = df.columns();
    let col_idx = shown(cols.len(), opts.max_cols);
    let row_idx = shown(df.height(), opts.max_rows);
    let mut h = String::new();
    h.push_str(
        "<div><style>.codefail-df td, .codefail-df th { text-align: left; white-space: pre; \
         font-family: monospace; } .codefail-df .dtype { color: #888; font-weight: normal; }</style>",
    );
    let _ = write!(
        h,
        "<small>shape: ({}, {})</small><table border=\"1\" class=\"dataframe codefail-df\"><thead><tr>",
        df.height(),
        df.width()
    );
    for c in &col_idx {
        match c {
            Some(i) => {
                let _ = write!(h, "<th>{}</th>", escape_html(cols[*i].name()));
            }
            None => h.push_str("<th>…</th>"),
        }
    }
    h.push_str("</tr><tr>");
    for c in &col_idx {
        match c {
            Some(i) => {
                let _ = write!(
                    h,
                    "<th class=\"dtype\">{}</th>",
                    escape_html(&cols[*i].dtype().to_string())
                );
            }
            None => h.push_str("<th class=\"dtype\">…</th>"),
        }
    }
    h.push_str("</tr></thead><tbody>");
    for r in &row_idx {
        h.push_str("<tr>");
        for c in &col_idx {
            let text = match (r, c) {
                (Some(r), Some(c)) => match tamper_cell(&cols[*c], *r) {
                    Some(events) => cut(events, opts.max_chars),
                    None => match cols[*c].get(*r) {
                        Ok(v) => cell_text(&v, opts.max_chars),
                        Err(_) => "?".into(),
                    },
                },
                _ => "…".into(),
            };
            let _ = write!(h, "<td>{}</td>", escape_html(&text));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>");
    h
}

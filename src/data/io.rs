//! Reading and writing frames and JSON Lines, with errors that name file, line and field.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use polars::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::schema::{
    Generation, Problem, RunResult, add_missing_tamper, check_schema, generations_frame,
    generations_from_frame, generations_schema, problems_frame, problems_from_frame,
    problems_schema, results_frame, results_from_frame, results_schema,
};
use crate::error::{Error, Result};

/// Read a whole file into bytes, transparently un-gzipping `*.gz`.
///
/// ```no_run
/// let bytes = codefail::data::read_bytes("../shared/data/humaneval/HumanEval.jsonl.gz").unwrap();
/// ```
pub fn read_bytes(path: impl AsRef<Path>) -> Result<Vec<u8>> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(BufReader::new(file))
            .read_to_end(&mut out)
            .map_err(|e| Error::io(path, e))?;
    } else {
        BufReader::new(file)
            .read_to_end(&mut out)
            .map_err(|e| Error::io(path, e))?;
    }
    Ok(out)
}

/// The non-blank lines of a JSON Lines file, as `(1-based line number, text)`.
///
/// A line that is not UTF-8 is an error naming the line.
///
/// ```no_run
/// for (line, text) in codefail::data::jsonl_lines("x.jsonl").unwrap() {
///     println!("{line}: {text}");
/// }
/// ```
pub fn jsonl_lines(path: impl AsRef<Path>) -> Result<Vec<(usize, String)>> {
    let path = path.as_ref();
    let bytes = read_bytes(path)?;
    let mut out = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let text = std::str::from_utf8(raw).map_err(|e| {
            Error::parse(
                path,
                i + 1,
                None,
                format!("not UTF-8 (byte {})", e.valid_up_to()),
            )
        })?;
        let text = text.trim_end_matches('\r');
        if !text.trim().is_empty() {
            out.push((i + 1, text.to_string()));
        }
    }
    Ok(out)
}

/// Parse every line of a JSON Lines file as a JSON value.
///
/// ```no_run
/// let rows = codefail::data::read_jsonl_values("../shared/data/mbpp/mbpp.jsonl").unwrap();
/// assert_eq!(rows.len(), 974);
/// ```
pub fn read_jsonl_values(path: impl AsRef<Path>) -> Result<Vec<(usize, serde_json::Value)>> {
    let path = path.as_ref();
    jsonl_lines(path)?
        .into_iter()
        .map(|(line, text)| {
            let v = serde_json::from_str(&text)
                .map_err(|e| Error::parse(path, line, None, format!("invalid JSON: {e}")))?;
            Ok((line, v))
        })
        .collect()
}

/// Deserialize a JSON value into `T`; a mismatch names the field path.
pub(crate) fn from_value<T: DeserializeOwned>(
    path: &Path,
    line: usize,
    value: serde_json::Value,
) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let field = (field != ".").then_some(field);
        Error::parse(path, line, field.as_deref(), e.into_inner().to_string())
    })
}

/// Read JSON Lines into records of type `T`.
///
/// ```no_run
/// let rows: Vec<codefail::data::Generation> = codefail::data::read_jsonl_records("g.jsonl").unwrap();
/// ```
pub fn read_jsonl_records<T: DeserializeOwned>(path: impl AsRef<Path>) -> Result<Vec<T>> {
    let path = path.as_ref();
    read_jsonl_values(path)?
        .into_iter()
        .map(|(line, v)| from_value(path, line, v))
        .collect()
}

/// Write records as JSON Lines (one object a line).
///
/// ```no_run
/// let rows: Vec<codefail::data::Generation> = vec![];
/// codefail::data::write_jsonl_records("g.jsonl", &rows).unwrap();
/// ```
pub fn write_jsonl_records<T: Serialize>(path: impl AsRef<Path>, rows: &[T]) -> Result<()> {
    let path = path.as_ref();
    create_parent(path)?;
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = BufWriter::new(file);
    for row in rows {
        let line = serde_json::to_string(row).map_err(|e| Error::Invalid(e.to_string()))?;
        writeln!(w, "{line}").map_err(|e| Error::io(path, e))?;
    }
    w.flush().map_err(|e| Error::io(path, e))
}

pub(crate) use crate::store::create_parent;

/// Write any frame as parquet (zstd), atomically: the file is written
/// beside `path`, fsync'd and renamed, so an interrupted write never leaves
/// a half file under `path`.
///
/// ```no_run
/// let mut df = codefail::data::problems_frame(&[]).unwrap();
/// codefail::data::write_parquet(&mut df, "/tmp/p.parquet").unwrap();
/// ```
pub fn write_parquet(df: &mut DataFrame, path: impl AsRef<Path>) -> Result<()> {
    write_parquet_with(df, path, &[])
}

/// [`write_parquet`] with key-value metadata in the file's footer (what
/// [`parquet_metadata`] reads back).
///
/// ```
/// use polars::prelude::*;
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("x.parquet");
/// let mut df = df!("a" => [1i64]).unwrap();
/// codefail::data::write_parquet_with(&mut df, &p, &[("k".into(), "v".into())])?;
/// let kv = codefail::data::parquet_metadata(&p)?; // also polars' own `ARROW:schema`
/// assert!(kv.contains(&("k".to_string(), "v".to_string())));
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn write_parquet_with(
    df: &mut DataFrame,
    path: impl AsRef<Path>,
    metadata: &[(String, String)],
) -> Result<()> {
    let path = path.as_ref();
    let kv = (!metadata.is_empty()).then(|| KeyValueMetadata::from_static(metadata.to_vec()));
    crate::store::write_atomic_with(path, |file| {
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .with_key_value_metadata(kv)
            .finish(df)
            .map(|_| ())
            .map_err(|e| Error::parse(path, 0, None, e.to_string()))
    })
}

/// Read any parquet file as a frame.
///
/// ```no_run
/// let df = codefail::data::read_parquet("/tmp/p.parquet").unwrap();
/// ```
pub fn read_parquet(path: impl AsRef<Path>) -> Result<DataFrame> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| Error::parse(path, 0, None, format!("not a readable parquet file: {e}")))
}

/// The key-value metadata in a parquet file's footer (empty when there is
/// none); see [`write_parquet_with`].
///
/// ```no_run
/// let kv = codefail::data::parquet_metadata("outputs/results.parquet").unwrap();
/// ```
pub fn parquet_metadata(path: impl AsRef<Path>) -> Result<Vec<(String, String)>> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = ParquetReader::new(file);
    let meta = reader
        .get_metadata()
        .map_err(|e| Error::parse(path, 0, None, format!("not a readable parquet file: {e}")))?;
    Ok(meta
        .key_value_metadata()
        .iter()
        .flatten()
        .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
        .collect())
}

/// Whether a path names a parquet file (by its extension): the test every
/// reader and writer here dispatches on.
///
/// ```
/// assert!(codefail::data::is_parquet("r.parquet".as_ref()));
/// assert!(!codefail::data::is_parquet("r.jsonl".as_ref()));
/// ```
pub fn is_parquet(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "parquet")
}

/// Write a problems frame to `.parquet` or JSON Lines (any other extension).
///
/// ```no_run
/// let mut df = codefail::data::problems_frame(&[]).unwrap();
/// codefail::data::write_problems(&mut df, "/tmp/p.jsonl").unwrap();
/// ```
pub fn write_problems(df: &mut DataFrame, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    if is_parquet(path) {
        check_schema(df, &problems_schema())?;
        write_parquet(df, path)
    } else {
        write_jsonl_records(path, &problems_from_frame(df)?)
    }
}

/// Read a problems frame written by [`write_problems`].
///
/// ```no_run
/// let df = codefail::data::read_problems("/tmp/p.parquet").unwrap();
/// ```
pub fn read_problems(path: impl AsRef<Path>) -> Result<DataFrame> {
    let path = path.as_ref();
    let df = if is_parquet(path) {
        read_parquet(path)?
    } else {
        problems_frame(&read_jsonl_records::<Problem>(path)?)?
    };
    check_schema(&df, &problems_schema())
        .map_err(|e| Error::parse(path, 0, None, e.to_string()))?;
    Ok(df)
}

/// Write a generations frame to `.parquet` or JSON Lines (any other extension).
///
/// ```no_run
/// let mut df = codefail::data::generations_frame(&[]).unwrap();
/// codefail::data::write_generations(&mut df, "/tmp/g.parquet").unwrap();
/// ```
pub fn write_generations(df: &mut DataFrame, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    if is_parquet(path) {
        check_schema(df, &generations_schema())?;
        write_parquet(df, path)
    } else {
        write_jsonl_records(path, &generations_from_frame(df)?)
    }
}

/// Read a generations frame written by [`write_generations`].
///
/// ```no_run
/// let df = codefail::data::read_generations("/tmp/g.parquet").unwrap();
/// ```
pub fn read_generations(path: impl AsRef<Path>) -> Result<DataFrame> {
    let path = path.as_ref();
    let df = if is_parquet(path) {
        read_parquet(path)?
    } else {
        generations_frame(&read_jsonl_records::<Generation>(path)?)?
    };
    check_schema(&df, &generations_schema())
        .map_err(|e| Error::parse(path, 0, None, e.to_string()))?;
    Ok(df)
}

/// Write a results frame to `.parquet` or JSON Lines (any other extension).
///
/// ```no_run
/// let mut df = codefail::data::results_frame(&[]).unwrap();
/// codefail::data::write_results(&mut df, "/tmp/r.parquet").unwrap();
/// ```
pub fn write_results(df: &mut DataFrame, path: impl AsRef<Path>) -> Result<()> {
    write_results_with(df, path, &[])
}

/// [`write_results`], with key-value metadata where the file is parquet
/// (JSON Lines and CSV files have no place for it).
///
/// ```no_run
/// let mut df = codefail::data::results_frame(&[]).unwrap();
/// codefail::data::write_results_with(&mut df, "/tmp/r.parquet", &[("k".into(), "v".into())]).unwrap();
/// ```
pub fn write_results_with(
    df: &mut DataFrame,
    path: impl AsRef<Path>,
    metadata: &[(String, String)],
) -> Result<()> {
    let path = path.as_ref();
    if is_parquet(path) {
        check_schema(df, &results_schema())?;
        write_parquet_with(df, path, metadata)
    } else {
        write_jsonl_records(path, &results_from_frame(df)?)
    }
}

/// Read a results frame written by [`write_results`] (or `codefail run`).
/// A parquet file written before the `tamper` column existed reads with
/// that column added, empty in every row.
///
/// ```no_run
/// let df = codefail::data::read_results("/tmp/r.parquet").unwrap();
/// ```
pub fn read_results(path: impl AsRef<Path>) -> Result<DataFrame> {
    let path = path.as_ref();
    let df = if is_parquet(path) {
        let mut df = read_parquet(path)?;
        add_missing_tamper(&mut df)?;
        df
    } else {
        results_frame(&read_jsonl_records::<RunResult>(path)?)?
    };
    check_schema(&df, &results_schema()).map_err(|e| Error::parse(path, 0, None, e.to_string()))?;
    Ok(df)
}

/// Write any frame: parquet for `.parquet`, else JSON Lines (one object a row,
/// nested lists and structs as JSON).
///
/// ```no_run
/// let mut df = codefail::data::results_frame(&[]).unwrap();
/// codefail::data::write_parquet_or_jsonl(&mut df, "/tmp/x.jsonl").unwrap();
/// ```
pub fn write_parquet_or_jsonl(df: &mut DataFrame, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    if is_parquet(path) {
        write_parquet(df, path)
    } else {
        write_jsonl_records(path, &frame_to_json_rows(df)?)
    }
}

/// Convert a frame's rows to JSON objects (strings, numbers, booleans, lists,
/// structs and nulls), e.g. to read a hub parquet file with the JSON Lines parsers.
///
/// ```
/// use polars::prelude::*;
/// let df = DataFrame::new(1, vec![Column::new("a".into(), [1i64])]).unwrap();
/// assert_eq!(codefail::data::frame_to_json_rows(&df).unwrap()[0]["a"], 1);
/// ```
pub fn frame_to_json_rows(df: &DataFrame) -> Result<Vec<serde_json::Value>> {
    let mut rows = vec![serde_json::Map::new(); df.height()];
    for col in df.columns() {
        let s = col.as_materialized_series();
        for (i, row) in rows.iter_mut().enumerate() {
            let v = s
                .get(i)
                .map_err(|e| Error::column(s.name(), e.to_string()))?;
            row.insert(s.name().to_string(), any_to_json(&v));
        }
    }
    Ok(rows.into_iter().map(serde_json::Value::Object).collect())
}

fn any_to_json(v: &AnyValue) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        AnyValue::Null => J::Null,
        AnyValue::Boolean(b) => J::Bool(*b),
        AnyValue::String(s) => J::String(s.to_string()),
        AnyValue::StringOwned(s) => J::String(s.to_string()),
        AnyValue::Int8(x) => J::from(*x),
        AnyValue::Int16(x) => J::from(*x),
        AnyValue::Int32(x) => J::from(*x),
        AnyValue::Int64(x) => J::from(*x),
        AnyValue::UInt8(x) => J::from(*x),
        AnyValue::UInt16(x) => J::from(*x),
        AnyValue::UInt32(x) => J::from(*x),
        AnyValue::UInt64(x) => J::from(*x),
        AnyValue::Float32(x) => J::from(*x as f64),
        AnyValue::Float64(x) => J::from(*x),
        AnyValue::List(s) => J::Array(
            (0..s.len())
                .map(|i| s.get(i).map(|v| any_to_json(&v)).unwrap_or(J::Null))
                .collect(),
        ),
        AnyValue::Struct(_, _, _) | AnyValue::StructOwned(_) => {
            let mut m = serde_json::Map::new();
            for (name, value) in v._iter_struct_av().zip(struct_field_names(v)) {
                m.insert(value, any_to_json(&name));
            }
            J::Object(m)
        }
        other => J::String(other.to_string()),
    }
}

fn struct_field_names(v: &AnyValue) -> Vec<String> {
    match v.dtype() {
        DataType::Struct(fields) => fields.iter().map(|f| f.name().to_string()).collect(),
        _ => Vec::new(),
    }
}

//! Small frame-to-frame tables the notebooks build on: counts, rates with
//! confidence intervals, per-task solved flags and generation metadata joins.
//! Groups keep the key columns' dtypes and come out in order of first
//! appearance (sort with `DataFrame::sort` when another order is wanted).

use std::collections::HashMap;

use polars::prelude::*;
use serde_json::Value;

use crate::data::read;
use crate::error::{Error, Result};

fn key_strings(df: &DataFrame, by: &[&str]) -> Result<Vec<Vec<Option<String>>>> {
    by.iter().map(|name| read::texts(df, name)).collect()
}

/// Row indices grouped by the values of `by` (nulls form their own group),
/// groups in order of first appearance.
fn groups(df: &DataFrame, by: &[&str]) -> Result<Vec<Vec<usize>>> {
    let keys = key_strings(df, by)?;
    let mut index: HashMap<Vec<Option<String>>, usize> = HashMap::new();
    let mut out: Vec<Vec<usize>> = Vec::new();
    for i in 0..df.height() {
        let k: Vec<Option<String>> = keys.iter().map(|c| c[i].clone()).collect();
        let g = *index.entry(k).or_insert_with(|| {
            out.push(vec![]);
            out.len() - 1
        });
        out[g].push(i);
    }
    Ok(out)
}

/// The index of each group's first row.
fn first_rows(groups: &[Vec<usize>]) -> IdxCa {
    IdxCa::from_vec(
        "idx".into(),
        groups.iter().map(|g| g[0] as IdxSize).collect(),
    )
}

/// The key columns of each group (the dtype of `df`'s columns kept).
fn key_frame(df: &DataFrame, by: &[&str], groups: &[Vec<usize>]) -> Result<DataFrame> {
    let idx = first_rows(groups);
    let cols: Vec<Column> = by
        .iter()
        .map(|c| Ok(df.column(c)?.take(&idx)?))
        .collect::<Result<_>>()?;
    Ok(DataFrame::new_infer_height(cols)?)
}

/// Rows per combination of `by` values: `by...`, `count`, `share` (of all
/// rows), sorted by count, largest first.
///
/// ```
/// use polars::prelude::*;
/// let df = df!("category" => ["a", "b", "a"]).unwrap();
/// let t = codefail::metrics::value_counts(&df, &["category"]).unwrap();
/// assert_eq!(t.column("count").unwrap().u32().unwrap().get(0), Some(2));
/// ```
pub fn value_counts(df: &DataFrame, by: &[&str]) -> Result<DataFrame> {
    let mut gs = groups(df, by)?;
    gs.sort_by_key(|g| std::cmp::Reverse(g.len()));
    let mut out = key_frame(df, by, &gs)?;
    let total = df.height().max(1) as f64;
    let counts: Vec<u32> = gs.iter().map(|g| g.len() as u32).collect();
    let share: Vec<f64> = gs.iter().map(|g| g.len() as f64 / total).collect();
    out.with_column(Column::new("count".into(), counts))?;
    out.with_column(Column::new("share".into(), share))?;
    Ok(out)
}

/// The rate of a boolean column per group: `by...`, `n`, `n_true`, `rate`
/// and a 95% Wilson interval (`ci_low`, `ci_high`). Null flags count as false.
///
/// ```
/// use polars::prelude::*;
/// let df = df!("model" => ["a", "a", "b"], "passed" => [true, false, true]).unwrap();
/// let t = codefail::metrics::rate_by(&df, &["model"], "passed").unwrap();
/// assert_eq!(t.column("rate").unwrap().f64().unwrap().get(0), Some(0.5));
/// ```
pub fn rate_by(df: &DataFrame, by: &[&str], flag: &str) -> Result<DataFrame> {
    let f = read::bools(df, flag)?;
    let gs = groups(df, by)?;
    let mut out = key_frame(df, by, &gs)?;
    let (mut n, mut t, mut rate, mut lo, mut hi) = (vec![], vec![], vec![], vec![], vec![]);
    for g in &gs {
        let k = g.iter().filter(|&&i| f[i] == Some(true)).count() as u64;
        let m = g.len() as u64;
        let (l, h) = super::wilson_interval(k, m, 1.959964);
        n.push(m as i64);
        t.push(k as i64);
        rate.push(k as f64 / m as f64);
        lo.push(l);
        hi.push(h);
    }
    out.with_column(Column::new("n".into(), n))?;
    out.with_column(Column::new("n_true".into(), t))?;
    out.with_column(Column::new("rate".into(), rate))?;
    out.with_column(Column::new("ci_low".into(), lo))?;
    out.with_column(Column::new("ci_high".into(), hi))?;
    Ok(out)
}

/// One row per task (within each `by` group): `by...`, `task_id`, `n`
/// (rows), `n_passed`, `solved` (any row passed). "Solved by any gamma" is
/// `solved_by_any(&results, &["model"])`.
///
/// ```
/// use polars::prelude::*;
/// let df = df!("model" => ["m", "m", "m"], "task_id" => ["1", "1", "2"], "passed" => [false, true, false]).unwrap();
/// let t = codefail::metrics::solved_by_any(&df, &["model"]).unwrap();
/// assert_eq!(t.column("solved").unwrap().bool().unwrap().get(0), Some(true));
/// assert_eq!(t.height(), 2);
/// ```
pub fn solved_by_any(df: &DataFrame, by: &[&str]) -> Result<DataFrame> {
    let f = read::bools(df, "passed")?;
    let mut keys: Vec<&str> = by.to_vec();
    keys.push("task_id");
    let gs = groups(df, &keys)?;
    let mut out = key_frame(df, &keys, &gs)?;
    let n: Vec<i64> = gs.iter().map(|g| g.len() as i64).collect();
    let np: Vec<i64> = gs
        .iter()
        .map(|g| g.iter().filter(|&&i| f[i] == Some(true)).count() as i64)
        .collect();
    let solved: Vec<bool> = np.iter().map(|&c| c > 0).collect();
    out.with_column(Column::new("n".into(), n))?;
    out.with_column(Column::new("n_passed".into(), np))?;
    out.with_column(Column::new("solved".into(), solved))?;
    Ok(out)
}

/// Add fields of the generations' `gen_metadata` JSON (e.g. `gamma`,
/// `recorded_passed`) as columns of a results frame, matched on `model`,
/// `task_id` and `sample_idx`. A field whose values are all numbers becomes
/// f64, all booleans bool, anything else text (JSON for objects); a row
/// without the field gets null. A field whose name is already a column of
/// `results` (e.g. a recorded `passed`) is added as `gen_<field>`.
///
/// ```
/// use polars::prelude::*;
/// let res = df!("model" => ["m"], "task_id" => ["Mbpp/2"], "sample_idx" => [0i64], "passed" => [true]).unwrap();
/// let gens = df!("model" => ["m"], "task_id" => ["Mbpp/2"], "sample_idx" => [0i64],
///                "gen_metadata" => [r#"{"gamma": 0.5}"#]).unwrap();
/// let out = codefail::metrics::with_metadata(&res, &gens, &["gamma"]).unwrap();
/// assert_eq!(out.column("gamma").unwrap().f64().unwrap().get(0), Some(0.5));
/// ```
pub fn with_metadata(
    results: &DataFrame,
    generations: &DataFrame,
    fields: &[&str],
) -> Result<DataFrame> {
    type Key = (Option<String>, Option<String>, Option<String>);
    let key = |df: &DataFrame| -> Result<Vec<Key>> {
        let k = key_strings(df, &["model", "task_id", "sample_idx"])?;
        Ok((0..df.height())
            .map(|i| (k[0][i].clone(), k[1][i].clone(), k[2][i].clone()))
            .collect())
    };
    let gk = key(generations)?;
    let meta = key_strings(generations, &["gen_metadata"])?.remove(0);
    let mut by_key: HashMap<_, Value> = HashMap::new();
    for (i, k) in gk.into_iter().enumerate() {
        let v = match &meta[i] {
            Some(s) => serde_json::from_str(s).map_err(|e| {
                Error::column("gen_metadata", format!("row {i}: not a JSON object: {e}"))
            })?,
            None => Value::Null,
        };
        by_key.insert(k, v);
    }
    let rk = key(results)?;
    let mut out = results.clone();
    for field in fields {
        let vals: Vec<Option<&Value>> = rk
            .iter()
            .map(|k| {
                by_key
                    .get(k)
                    .and_then(|m| m.get(*field))
                    .filter(|v| !v.is_null())
            })
            .collect();
        let name = if results.column(field).is_ok() {
            format!("gen_{field}")
        } else {
            (*field).to_string()
        };
        let col = if vals.iter().flatten().all(|v| v.is_number()) {
            Column::new(
                name.as_str().into(),
                vals.iter()
                    .map(|v| v.and_then(Value::as_f64))
                    .collect::<Vec<_>>(),
            )
        } else if vals.iter().flatten().all(|v| v.is_boolean()) {
            Column::new(
                name.as_str().into(),
                vals.iter()
                    .map(|v| v.and_then(Value::as_bool))
                    .collect::<Vec<_>>(),
            )
        } else {
            Column::new(
                name.as_str().into(),
                vals.iter()
                    .map(|v| {
                        v.map(|v| {
                            v.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| v.to_string())
                        })
                    })
                    .collect::<Vec<_>>(),
            )
        };
        out.with_column(col)?;
    }
    Ok(out)
}

/// Keep the rows where column `column` (read as text) equals `value`.
///
/// ```
/// use polars::prelude::*;
/// let df = df!("status" => ["passed", "error", "error"]).unwrap();
/// assert_eq!(codefail::metrics::filter_eq(&df, "status", "error").unwrap().height(), 2);
/// ```
pub fn filter_eq(df: &DataFrame, column: &str, value: &str) -> Result<DataFrame> {
    let k = key_strings(df, &[column])?.remove(0);
    let mask: BooleanChunked = k.iter().map(|v| v.as_deref() == Some(value)).collect();
    Ok(df.filter(&mask)?)
}

/// Keep the rows where the boolean column `column` is true (null: dropped).
///
/// ```
/// use polars::prelude::*;
/// let df = df!("passed" => [Some(true), None, Some(false)]).unwrap();
/// assert_eq!(codefail::metrics::filter_true(&df, "passed").unwrap().height(), 1);
/// ```
pub fn filter_true(df: &DataFrame, column: &str) -> Result<DataFrame> {
    let mask: BooleanChunked = read::bools(df, column)?
        .into_iter()
        .map(|v| v == Some(true))
        .collect();
    Ok(df.filter(&mask)?)
}

/// Keep the rows of `df` whose `column` value (read as text) occurs in the
/// same column of `other` (a semi-join), e.g. generations of the tasks MBPP+
/// also has.
///
/// ```
/// use polars::prelude::*;
/// let gens = df!("task_id" => ["Mbpp/2", "Mbpp/3", "Mbpp/4"]).unwrap();
/// let plus = df!("task_id" => ["Mbpp/3", "Mbpp/4", "Mbpp/5"]).unwrap();
/// assert_eq!(codefail::metrics::semi_join(&gens, &plus, "task_id").unwrap().height(), 2);
/// ```
pub fn semi_join(df: &DataFrame, other: &DataFrame, column: &str) -> Result<DataFrame> {
    let keep: std::collections::HashSet<String> = key_strings(other, &[column])?
        .remove(0)
        .into_iter()
        .flatten()
        .collect();
    let k = key_strings(df, &[column])?.remove(0);
    let mask: BooleanChunked = k
        .iter()
        .map(|v| v.as_ref().is_some_and(|v| keep.contains(v)))
        .collect();
    Ok(df.filter(&mask)?)
}

/// Tasks solved by any row whose `column` value is at most each of its
/// distinct values, in ascending order: `<column>`, `n_rows` (rows at this
/// value), `n_solved_here` (tasks a row at this value solves),
/// `n_solved_cumulative` (tasks solved by any row at or below it), `n_tasks`
/// (distinct tasks in the frame), `accuracy` (cumulative / n_tasks) and
/// `accuracy_pct` (the same in percent). For
/// EG-CFG's gamma sweep: "solved by any gamma up to g".
///
/// ```
/// use polars::prelude::*;
/// let df = df!("gamma" => [0.0, 0.0, 0.5], "task_id" => ["1", "2", "2"], "passed" => [false, false, true]).unwrap();
/// let t = codefail::metrics::solved_up_to(&df, "gamma").unwrap();
/// let acc = t.column("accuracy").unwrap().f64().unwrap();
/// assert_eq!((acc.get(0), acc.get(1)), (Some(0.0), Some(0.5)));
/// ```
pub fn solved_up_to(df: &DataFrame, column: &str) -> Result<DataFrame> {
    let x = read::numbers(df, column)?;
    let tasks = key_strings(df, &["task_id"])?.remove(0);
    let passed = read::bools(df, "passed")?;
    let mut values: Vec<f64> = x.iter().flatten().copied().collect();
    values.sort_by(f64::total_cmp);
    values.dedup();
    let all: std::collections::HashSet<&String> = tasks.iter().flatten().collect();
    let n_tasks = all.len() as i64;
    let mut solved: std::collections::HashSet<&String> = Default::default();
    let (mut n_rows, mut here, mut cum, mut acc) = (vec![], vec![], vec![], vec![]);
    for v in &values {
        let rows: Vec<usize> = (0..x.len()).filter(|&i| x[i] == Some(*v)).collect();
        let solved_here: std::collections::HashSet<&String> = rows
            .iter()
            .filter(|&&i| passed[i] == Some(true))
            .filter_map(|&i| tasks[i].as_ref())
            .collect();
        solved.extend(solved_here.iter().copied());
        n_rows.push(rows.len() as i64);
        here.push(solved_here.len() as i64);
        cum.push(solved.len() as i64);
        acc.push(solved.len() as f64 / n_tasks.max(1) as f64);
    }
    let n = values.len();
    Ok(DataFrame::new_infer_height(vec![
        Column::new(column.into(), values),
        Column::new("n_rows".into(), n_rows),
        Column::new("n_solved_here".into(), here),
        Column::new("n_solved_cumulative".into(), cum),
        Column::new("n_tasks".into(), vec![n_tasks; n]),
        Column::new(
            "accuracy_pct".into(),
            acc.iter().map(|a| 100.0 * a).collect::<Vec<_>>(),
        ),
        Column::new("accuracy".into(), acc),
    ])?)
}

/// The first row of each group of `by` values (groups in order of first
/// appearance), e.g. one example failure per category.
///
/// ```
/// use polars::prelude::*;
/// let df = df!("semantic" => ["edge", "math", "edge"], "task_id" => ["1", "2", "3"]).unwrap();
/// let t = codefail::metrics::first_per_group(&df, &["semantic"]).unwrap();
/// assert_eq!(t.height(), 2);
/// assert_eq!(t.column("task_id").unwrap().str().unwrap().get(1), Some("2"));
/// ```
pub fn first_per_group(df: &DataFrame, by: &[&str]) -> Result<DataFrame> {
    Ok(df.take(&first_rows(&groups(df, by)?))?)
}

/// Keep the rows where two boolean columns are both set and differ (e.g. a
/// re-executed `passed` against a recorded verdict).
///
/// ```
/// use polars::prelude::*;
/// let df = df!("passed" => [Some(true), Some(false), None], "recorded" => [Some(false), Some(false), Some(true)]).unwrap();
/// assert_eq!(codefail::metrics::rows_differing(&df, "passed", "recorded").unwrap().height(), 1);
/// ```
pub fn rows_differing(df: &DataFrame, a: &str, b: &str) -> Result<DataFrame> {
    let (x, y) = (read::bools(df, a)?, read::bools(df, b)?);
    let mask: BooleanChunked = x
        .iter()
        .zip(&y)
        .map(|(p, q)| p.is_some() && q.is_some() && p != q)
        .collect();
    Ok(df.filter(&mask)?)
}

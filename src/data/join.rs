//! Joins of one frame's rows to another's on key columns, done by polars'
//! grouping: metadata of generations onto results, and the row matching
//! under the semi-join and the token statistics.

use polars::prelude::*;
use serde_json::Value;

use crate::data::read;
use crate::error::{Error, Result};

/// The row numbers of each group of `groups` (polars' grouping), in order.
pub(crate) fn group_rows(groups: &GroupsType) -> impl Iterator<Item = Vec<usize>> + '_ {
    groups.iter().map(|g| match g {
        GroupsIndicator::Idx((_, idx)) => idx.iter().map(|&i| i as usize).collect(),
        GroupsIndicator::Slice([first, len]) => (first as usize..(first + len) as usize).collect(),
    })
}

/// For each row of `df`, the first row of `other` whose `keys` values are
/// equal (polars' grouping over both frames' key columns stacked; columns of
/// different dtypes are compared as text), or `None`.
pub(crate) fn match_rows(
    df: &DataFrame,
    other: &DataFrame,
    keys: &[&str],
) -> Result<Vec<Option<usize>>> {
    let n_other = other.height();
    let mut cols = Vec::with_capacity(keys.len());
    for k in keys {
        let (a, b) = (read::column(other, k)?, read::column(df, k)?);
        let (a, b) = if a.dtype() == b.dtype() {
            (a.clone(), b.clone())
        } else {
            let text = |c: &Column| {
                c.cast(&DataType::String)
                    .map_err(|e| Error::column(k, format!("cannot be read as text: {e}")))
            };
            (text(a)?, text(b)?)
        };
        let mut stacked = a.as_materialized_series().clone();
        stacked.append(b.as_materialized_series())?;
        cols.push(stacked.into_column());
    }
    let both = DataFrame::new_infer_height(cols)?;
    let mut out = vec![None; df.height()];
    for rows in group_rows(both.group_by_stable(keys.iter().copied())?.get_groups()) {
        let first = rows.iter().copied().find(|&i| i < n_other);
        for &i in rows.iter().filter(|&&i| i >= n_other) {
            out[i - n_other] = first;
        }
    }
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
/// let out = codefail::data::with_metadata(&res, &gens, &["gamma"]).unwrap();
/// assert_eq!(out.column("gamma").unwrap().f64().unwrap().get(0), Some(0.5));
/// ```
pub fn with_metadata(
    results: &DataFrame,
    generations: &DataFrame,
    fields: &[&str],
) -> Result<DataFrame> {
    let matched = match_rows(results, generations, &["model", "task_id", "sample_idx"])?;
    let meta = read::texts(generations, "gen_metadata")?;
    let parsed: Vec<Value> = meta
        .iter()
        .enumerate()
        .map(|(i, m)| match m {
            Some(s) => serde_json::from_str(s).map_err(|e| {
                Error::column("gen_metadata", format!("row {i}: not a JSON object: {e}"))
            }),
            None => Ok(Value::Null),
        })
        .collect::<Result<_>>()?;
    let mut out = results.clone();
    for field in fields {
        let vals: Vec<Option<&Value>> = matched
            .iter()
            .map(|g| {
                g.and_then(|g| parsed[g].get(*field))
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

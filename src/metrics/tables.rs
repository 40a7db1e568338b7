//! Small frame-to-frame tables the notebooks build on: counts, rates with
//! confidence intervals, per-task solved flags and generation metadata joins.
//! The frame work is polars': groups come from its stable group-by (typed
//! keys, nulls a group of their own, groups in order of first appearance;
//! sort with `DataFrame::sort` when another order is wanted), filters from
//! its comparison kernels, first rows from `unique_stable`; what is left here
//! is the domain arithmetic (rates, Wilson intervals, solved-up-to sweeps).

use polars::prelude::*;

use crate::data::read;
use crate::error::{Error, Result};

/// Rows of `df` grouped by the values of `by` with polars' stable group-by
/// (typed keys; nulls form their own group; groups in order of first
/// appearance): the key frame (one row per group, dtypes kept) and each
/// group's row numbers.
fn grouped(df: &DataFrame, by: &[&str]) -> Result<(DataFrame, Vec<Vec<usize>>)> {
    for c in by {
        read::column(df, c)?;
    }
    let gb = df.group_by_stable(by.iter().copied())?;
    let keys = DataFrame::new_infer_height(gb.keys())?;
    let rows = crate::data::group_rows(gb.get_groups()).collect();
    Ok((keys, rows))
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
    let (mut out, rows) = grouped(df, by)?;
    let total = df.height().max(1) as f64;
    let counts: Vec<u32> = rows.iter().map(|g| g.len() as u32).collect();
    let share: Vec<f64> = rows.iter().map(|g| g.len() as f64 / total).collect();
    out.with_column(Column::new("count".into(), counts))?;
    out.with_column(Column::new("share".into(), share))?;
    Ok(out.sort(
        ["count"],
        SortMultipleOptions::default()
            .with_order_descending(true)
            .with_maintain_order(true),
    )?)
}

/// The share of rows whose boolean column `flag` is true, per group:
/// `by...`, `n`, `n_true`, `rows_<flag>_share` (e.g. `rows_passed_share`:
/// a share of *rows*, not pass@1 over tasks, which is
/// [`crate::exec::summary`]'s `pass_at_1`) and a 95% Wilson interval
/// (`ci_low`, `ci_high`). Null flags count as false.
///
/// ```
/// use polars::prelude::*;
/// let df = df!("model" => ["a", "a", "b"], "passed" => [true, false, true]).unwrap();
/// let t = codefail::metrics::rate_by(&df, &["model"], "passed").unwrap();
/// assert_eq!(t.column("rows_passed_share").unwrap().f64().unwrap().get(0), Some(0.5));
/// ```
pub fn rate_by(df: &DataFrame, by: &[&str], flag: &str) -> Result<DataFrame> {
    let f = read::flag(df, flag)?;
    let (mut out, rows) = grouped(df, by)?;
    let (mut n, mut t, mut rate, mut lo, mut hi) = (vec![], vec![], vec![], vec![], vec![]);
    for g in &rows {
        let k = g.iter().filter(|&&i| f.get(i) == Some(true)).count() as u64;
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
    out.with_column(Column::new(format!("rows_{flag}_share").into(), rate))?;
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
    let f = read::flag(df, "passed")?;
    let mut keys: Vec<&str> = by.to_vec();
    keys.push("task_id");
    let (mut out, rows) = grouped(df, &keys)?;
    let n: Vec<i64> = rows.iter().map(|g| g.len() as i64).collect();
    let np: Vec<i64> = rows
        .iter()
        .map(|g| g.iter().filter(|&&i| f.get(i) == Some(true)).count() as i64)
        .collect();
    let solved: Vec<bool> = np.iter().map(|&c| c > 0).collect();
    out.with_column(Column::new("n".into(), n))?;
    out.with_column(Column::new("n_passed".into(), np))?;
    out.with_column(Column::new("solved".into(), solved))?;
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
    let text = read::column(df, column)?
        .cast(&DataType::String)
        .map_err(|e| Error::column(column, format!("cannot be read as text: {e}")))?;
    Ok(df.filter(&text.str()?.equal(value))?)
}

/// Keep the rows where the boolean column `column` is true (null: dropped).
///
/// ```
/// use polars::prelude::*;
/// let df = df!("passed" => [Some(true), None, Some(false)]).unwrap();
/// assert_eq!(codefail::metrics::filter_true(&df, "passed").unwrap().height(), 1);
/// ```
pub fn filter_true(df: &DataFrame, column: &str) -> Result<DataFrame> {
    Ok(df.filter(&read::flag(df, column)?)?)
}

/// Keep the rows of `df` whose `column` value occurs in the same column of
/// `other` (a semi-join; columns of different dtypes are compared as text),
/// e.g. generations of the tasks MBPP+ also has.
///
/// ```
/// use polars::prelude::*;
/// let gens = df!("task_id" => ["Mbpp/2", "Mbpp/3", "Mbpp/4"]).unwrap();
/// let plus = df!("task_id" => ["Mbpp/3", "Mbpp/4", "Mbpp/5"]).unwrap();
/// assert_eq!(codefail::metrics::semi_join(&gens, &plus, "task_id").unwrap().height(), 2);
/// ```
pub fn semi_join(df: &DataFrame, other: &DataFrame, column: &str) -> Result<DataFrame> {
    let nulls = read::column(df, column)?.is_null();
    let mask: BooleanChunked = crate::data::match_rows(df, other, &[column])?
        .iter()
        .enumerate()
        .map(|(i, m)| m.is_some() && nulls.get(i) != Some(true))
        .collect();
    Ok(df.filter(&mask)?)
}

/// Tasks solved by any row whose `column` value is at most each of its
/// distinct values, in ascending order: `<column>`, `n_rows` (rows at this
/// value), `n_solved_here` (tasks a row at this value solves),
/// `n_solved_cumulative` (tasks solved by any row at or below it), `n_tasks`
/// (distinct tasks in the frame), `accuracy` (cumulative / n_tasks),
/// `accuracy_pct` (the same in percent) and its 95% Wilson interval in
/// percent (`ci_low_pct`, `ci_high_pct`). For
/// EG-CFG's gamma sweep: "solved by any gamma up to g".
///
/// ```
/// use polars::prelude::*;
/// let df = df!("gamma" => [0.0, 0.0, 0.5], "task_id" => ["1", "2", "2"], "passed" => [false, false, true]).unwrap();
/// let t = codefail::metrics::solved_up_to(&df, "gamma").unwrap();
/// let acc = t.column("accuracy").unwrap().f64().unwrap();
/// assert_eq!((acc.get(0), acc.get(1)), (Some(0.0), Some(0.5)));
/// let hi = t.column("ci_high_pct").unwrap().f64().unwrap();
/// assert!(hi.get(1).unwrap() > 50.0);
/// ```
pub fn solved_up_to(df: &DataFrame, column: &str) -> Result<DataFrame> {
    let x = read::numbers(df, column)?;
    let passed = read::flag(df, "passed")?;
    // Each row's task as a group number (polars' grouping); null ids none.
    let (task_keys, task_rows) = grouped(df, &["task_id"])?;
    let mut task = vec![None; df.height()];
    let null_key = task_keys.column("task_id")?.is_null();
    let mut n_tasks = 0usize;
    for (g, rows) in task_rows.iter().enumerate() {
        if null_key.get(g) == Some(true) {
            continue;
        }
        for &i in rows {
            task[i] = Some(n_tasks);
        }
        n_tasks += 1;
    }
    let mut values: Vec<f64> = x.iter().flatten().copied().collect();
    values.sort_by(f64::total_cmp);
    values.dedup();
    let mut solved = vec![false; n_tasks];
    let (mut n_rows, mut here, mut cum, mut acc) = (vec![], vec![], vec![], vec![]);
    for v in &values {
        let rows: Vec<usize> = (0..x.len()).filter(|&i| x[i] == Some(*v)).collect();
        let mut solved_here = vec![false; n_tasks];
        for &i in &rows {
            if let (Some(t), Some(true)) = (task[i], passed.get(i)) {
                solved_here[t] = true;
                solved[t] = true;
            }
        }
        let total = solved.iter().filter(|&&s| s).count();
        n_rows.push(rows.len() as i64);
        here.push(solved_here.iter().filter(|&&s| s).count() as i64);
        cum.push(total as i64);
        acc.push(total as f64 / n_tasks.max(1) as f64);
    }
    let n = values.len();
    let (lo, hi): (Vec<f64>, Vec<f64>) = cum
        .iter()
        .map(|&k| {
            let (lo, hi) = super::wilson_interval(k as u64, n_tasks as u64, 1.96);
            (100.0 * lo, 100.0 * hi)
        })
        .unzip();
    Ok(DataFrame::new_infer_height(vec![
        Column::new(column.into(), values),
        Column::new("n_rows".into(), n_rows),
        Column::new("n_solved_here".into(), here),
        Column::new("n_solved_cumulative".into(), cum),
        Column::new("n_tasks".into(), vec![n_tasks as i64; n]),
        Column::new(
            "accuracy_pct".into(),
            acc.iter().map(|a| 100.0 * a).collect::<Vec<_>>(),
        ),
        Column::new("accuracy".into(), acc),
        Column::new("ci_low_pct".into(), lo),
        Column::new("ci_high_pct".into(), hi),
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
    for c in by {
        read::column(df, c)?;
    }
    let subset: Vec<String> = by.iter().map(|c| c.to_string()).collect();
    Ok(df.unique_stable(Some(&subset), UniqueKeepStrategy::First, None)?)
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
    let (x, y) = (read::flag(df, a)?, read::flag(df, b)?);
    let mask = x.not_equal_missing(&y) & x.is_not_null() & y.is_not_null();
    Ok(df.filter(&mask)?)
}

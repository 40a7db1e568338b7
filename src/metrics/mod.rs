//! Metrics over results frames: unbiased pass@k, confidence intervals, RSR,
//! paired comparisons (McNemar) and checkpoint analysis.

mod published;
mod tables;

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use crate::data::{RunResult, results_from_frame};
use crate::error::{Error, Result};

pub use crate::data::with_metadata;
pub use published::{Comparison, Figure};
pub use tables::{
    filter_eq, filter_true, first_per_group, rate_by, rows_differing, semi_join, solved_by_any,
    solved_up_to, value_counts,
};

/// Unbiased pass@k of one task with `n` samples of which `c` pass (Chen et al.
/// 2021): `1 - C(n-c, k) / C(n, k)`, computed as the numerically stable product
/// `1 - prod_{i=n-c+1}^{n} (1 - k / i)`.
///
/// ```
/// use codefail::metrics::pass_at_k;
/// assert!((pass_at_k(5, 2, 1) - 0.4).abs() < 1e-12);
/// assert_eq!(pass_at_k(5, 2, 4), 1.0);
/// assert_eq!(pass_at_k(5, 0, 3), 0.0);
/// ```
pub fn pass_at_k(n: u64, c: u64, k: u64) -> f64 {
    if k == 0 || n == 0 {
        return 0.0;
    }
    if n - c.min(n) < k {
        return 1.0;
    }
    let mut prod = 1.0f64;
    for i in (n - c + 1)..=n {
        prod *= 1.0 - k as f64 / i as f64;
    }
    1.0 - prod
}

/// Area under the ROC curve of `scores` predicting `positive`: the
/// Mann-Whitney probability that a random positive scores above a random
/// negative, ties counted half (average ranks). NaN when either class is
/// empty.
///
/// ```
/// use codefail::metrics::auroc;
/// assert_eq!(auroc(&[0.9, 0.8, 0.1], &[true, false, false]), 1.0);
/// assert_eq!(auroc(&[0.5, 0.5], &[true, false]), 0.5);
/// assert!(auroc(&[0.1], &[true]).is_nan());
/// ```
pub fn auroc(scores: &[f64], positive: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len().min(positive.len())).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum, mut n_pos) = (0.0f64, 0u64);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their average.
        let avg = (i + j + 2) as f64 / 2.0;
        for &k in &idx[i..=j] {
            if positive[k] {
                rank_sum += avg;
                n_pos += 1;
            }
        }
        i = j + 1;
    }
    let n_neg = idx.len() as u64 - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return f64::NAN;
    }
    let p = n_pos as f64;
    (rank_sum - p * (p + 1.0) / 2.0) / (p * n_neg as f64)
}

/// Wilson score interval for `successes` out of `n` at z (1.96 for 95%).
///
/// ```
/// let (lo, hi) = codefail::metrics::wilson_interval(257, 500, 1.96);
/// assert!(lo < 0.514 && 0.514 < hi);
/// assert!((hi - lo) < 0.1);
/// ```
pub fn wilson_interval(successes: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n_f = n as f64;
    let p = successes as f64 / n_f;
    let z2 = z * z;
    let denom = 1.0 + z2 / n_f;
    let centre = (p + z2 / (2.0 * n_f)) / denom;
    let half = z * ((p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt()) / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Relative success rate (EG-CFG): the share of the baseline's failures that a
/// method fixes, in percent: `(acc - base) / (100 - base) * 100`, accuracies in percent.
///
/// ```
/// let rsr = codefail::metrics::rsr(84.8, 50.8);
/// assert!((rsr - 69.11).abs() < 0.01);
/// ```
pub fn rsr(acc: f64, baseline: f64) -> f64 {
    if (100.0 - baseline).abs() < f64::EPSILON {
        return 0.0;
    }
    (acc - baseline) / (100.0 - baseline) * 100.0
}

/// Exact two-sided McNemar test on the discordant pairs `b` (only A passes)
/// and `c` (only B passes): the binomial p-value of `min(b, c)` under p = 1/2.
///
/// ```
/// let p = codefail::metrics::mcnemar_exact(10, 0);
/// assert!(p < 0.01);
/// assert_eq!(codefail::metrics::mcnemar_exact(3, 3), 1.0);
/// ```
pub fn mcnemar_exact(b: u64, c: u64) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let k = b.min(c);
    // P(X <= k) for X ~ Binomial(n, 1/2), in log space for large n.
    let ln_half_n = -(n as f64) * std::f64::consts::LN_2;
    let mut ln_c = 0.0f64; // ln C(n, 0)
    let mut tail = 0.0f64;
    for i in 0..=k {
        if i > 0 {
            ln_c += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        tail += (ln_c + ln_half_n).exp();
    }
    (2.0 * tail).min(1.0)
}

/// Samples and passes per (model, task) of a results frame.
fn counts(rows: &[RunResult]) -> BTreeMap<(String, String), (u64, u64)> {
    let mut m: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    for r in rows {
        let e = m.entry((r.model.clone(), r.task_id.clone())).or_default();
        e.0 += 1;
        e.1 += u64::from(r.passed);
    }
    m
}

/// pass@k per model for each k: columns `model`, `k`, `pass_at_k`, `n_tasks`,
/// `ci_low`, `ci_high` (95% percentile bootstrap over tasks, 2000 resamples,
/// seed 0), `min_samples` (tasks with fewer than k samples are left out).
///
/// ```no_run
/// # let results = codefail::data::results_frame(&[]).unwrap();
/// let df = codefail::metrics::pass_at_k_frame(&results, &[1, 5, 10]).unwrap();
/// ```
pub fn pass_at_k_frame(results: &DataFrame, ks: &[u64]) -> Result<DataFrame> {
    use rand::{Rng, SeedableRng};
    let rows = results_from_frame(results)?;
    let per = counts(&rows);
    let models: BTreeSet<&String> = per.keys().map(|(m, _)| m).collect();
    let (mut col_m, mut col_k, mut col_v, mut col_n, mut lo, mut hi, mut min_s) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for m in models {
        for &k in ks {
            let vals: Vec<f64> = per
                .iter()
                .filter(|((mm, _), (n, _))| mm == m && *n >= k)
                .map(|(_, &(n, c))| pass_at_k(n, c, k))
                .collect();
            if vals.is_empty() {
                continue;
            }
            let mean = vals.iter().sum::<f64>() / vals.len() as f64;
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
            let mut boots: Vec<f64> = (0..2000)
                .map(|_| {
                    (0..vals.len())
                        .map(|_| vals[rng.random_range(0..vals.len())])
                        .sum::<f64>()
                        / vals.len() as f64
                })
                .collect();
            boots.sort_by(f64::total_cmp);
            col_m.push(m.clone());
            col_k.push(k as i64);
            col_v.push(mean);
            col_n.push(vals.len() as i64);
            lo.push(boots[49]);
            hi.push(boots[1949]);
            min_s.push(
                per.iter()
                    .filter(|((mm, _), _)| mm == m)
                    .map(|(_, &(n, _))| n as i64)
                    .min()
                    .unwrap_or(0),
            );
        }
    }
    let height = col_m.len();
    Ok(DataFrame::new(
        height,
        vec![
            Column::new("model".into(), col_m),
            Column::new("k".into(), col_k),
            Column::new("pass_at_k".into(), col_v),
            Column::new("n_tasks".into(), col_n),
            Column::new("ci_low".into(), lo),
            Column::new("ci_high".into(), hi),
            Column::new("min_samples".into(), min_s),
        ],
    )?)
}

/// Paired comparison of two runs on the tasks both have (a task passes when
/// all its samples pass): `gained`, `lost`, `both`, `neither`, McNemar's exact
/// p-value, and the accuracies in percent.
///
/// ```no_run
/// # let (a, b) = (codefail::data::results_frame(&[]).unwrap(), codefail::data::results_frame(&[]).unwrap());
/// let cmp = codefail::metrics::paired(&a, &b).unwrap();
/// ```
pub fn paired(baseline: &DataFrame, method: &DataFrame) -> Result<DataFrame> {
    let pass = |df: &DataFrame| -> Result<BTreeMap<String, bool>> {
        let mut m: BTreeMap<String, bool> = BTreeMap::new();
        for r in results_from_frame(df)? {
            let e = m.entry(r.task_id.clone()).or_insert(true);
            *e &= r.passed;
        }
        Ok(m)
    };
    let (a, b) = (pass(baseline)?, pass(method)?);
    let (mut gained, mut lost, mut both, mut neither) = (0u64, 0u64, 0u64, 0u64);
    for (t, &pa) in &a {
        let Some(&pb) = b.get(t) else { continue };
        match (pa, pb) {
            (true, true) => both += 1,
            (false, false) => neither += 1,
            (false, true) => gained += 1,
            (true, false) => lost += 1,
        }
    }
    let n = gained + lost + both + neither;
    if n == 0 {
        return Err(Error::Invalid("the two runs share no task".into()));
    }
    let acc_a = 100.0 * (both + lost) as f64 / n as f64;
    let acc_b = 100.0 * (both + gained) as f64 / n as f64;
    Ok(DataFrame::new(
        1,
        vec![
            Column::new("n_tasks".into(), [n as i64]),
            Column::new("gained".into(), [gained as i64]),
            Column::new("lost".into(), [lost as i64]),
            Column::new("both".into(), [both as i64]),
            Column::new("neither".into(), [neither as i64]),
            Column::new("acc_baseline".into(), [acc_a]),
            Column::new("acc_method".into(), [acc_b]),
            Column::new("rsr".into(), [rsr(acc_b, acc_a)]),
            Column::new("mcnemar_p".into(), [mcnemar_exact(gained, lost)]),
        ],
    )?)
}

/// Add `variant` and `checkpoint_step` columns to a results frame, taken from
/// the generations' `gen_metadata` (as the LiveCodeBench checkpoint importer
/// records them), matched on `model`, `task_id`, `sample_idx`; and a short
/// `checkpoint_label` (`deep@100` for variant `deep_instruction`, step 100)
/// for chart axes.
///
/// ```no_run
/// # let (results, gens) = (codefail::data::results_frame(&[]).unwrap(), codefail::data::generations_frame(&[]).unwrap());
/// let df = codefail::metrics::with_checkpoints(&results, &gens).unwrap();
/// ```
pub fn with_checkpoints(results: &DataFrame, generations: &DataFrame) -> Result<DataFrame> {
    let gens = crate::data::generations_from_frame(generations)?;
    type Key = (String, String, i64);
    let mut meta: BTreeMap<Key, (Option<String>, Option<i64>)> = BTreeMap::new();
    for g in &gens {
        let m = g.metadata_json();
        meta.insert(
            (g.model.clone(), g.task_id.clone(), g.sample_idx),
            (
                m.get("variant")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                m.get("checkpoint_step").and_then(|v| v.as_i64()),
            ),
        );
    }
    let rows = results_from_frame(results)?;
    let (mut variant, mut step) = (
        Vec::with_capacity(rows.len()),
        Vec::with_capacity(rows.len()),
    );
    for r in &rows {
        let (v, s) = meta
            .get(&(r.model.clone(), r.task_id.clone(), r.sample_idx))
            .cloned()
            .unwrap_or((None, None));
        variant.push(v);
        step.push(s);
    }
    let label: Vec<Option<String>> = variant
        .iter()
        .zip(&step)
        .map(|(v, s)| match (v, s) {
            (Some(v), Some(s)) => Some(format!("{}@{s}", v.split('_').next().unwrap_or(v))),
            _ => None,
        })
        .collect();
    let mut out = results.clone();
    out.with_column(Column::new("variant".into(), variant))?;
    out.with_column(Column::new("checkpoint_step".into(), step))?;
    out.with_column(Column::new("checkpoint_label".into(), label))?;
    Ok(out)
}

struct CkptRow {
    variant: String,
    step: i64,
    task: String,
    passed: bool,
    partial: bool,
}

fn ckpt_rows(df: &DataFrame) -> Result<Vec<CkptRow>> {
    let c = crate::data::schema::Cols::new(df);
    let (variant, task) = (c.str("variant")?, c.str("task_id")?);
    let step = c.i64("checkpoint_step")?;
    let passed = c.bool("passed")?;
    let (n_passed, n_tests) = (c.i64("n_passed")?, c.i64("n_tests")?);
    let mut out = Vec::new();
    for i in 0..df.height() {
        let (Some(v), Some(s), Some(t)) = (variant.get(i), step.get(i), task.get(i)) else {
            continue;
        };
        let p = passed.get(i).unwrap_or(false);
        let np = n_passed.get(i).unwrap_or(0);
        out.push(CkptRow {
            variant: v.to_string(),
            step: s,
            task: t.to_string(),
            passed: p,
            partial: !p && np > 0 && np < n_tests.get(i).unwrap_or(0),
        });
    }
    Ok(out)
}

/// Pass@1 per checkpoint: `variant`, `checkpoint_step`, `n_tasks`, `n_solved`,
/// `n_partial` (some but not all tests pass), `pass_at_1`, and a 95% Wilson
/// interval (`ci_low`, `ci_high`), sorted by variant and step.
///
/// ```no_run
/// # let df = codefail::data::results_frame(&[]).unwrap();
/// let table = codefail::metrics::checkpoint_pass_at_1(&df).unwrap();
/// ```
#[allow(clippy::type_complexity)]
pub fn checkpoint_pass_at_1(df: &DataFrame) -> Result<DataFrame> {
    let rows = ckpt_rows(df)?;
    let mut agg: BTreeMap<(String, i64), (u64, u64, u64)> = BTreeMap::new();
    for r in &rows {
        let e = agg.entry((r.variant.clone(), r.step)).or_default();
        e.0 += 1;
        e.1 += u64::from(r.passed);
        e.2 += u64::from(r.partial);
    }
    let mut cols: (
        Vec<String>,
        Vec<i64>,
        Vec<i64>,
        Vec<i64>,
        Vec<i64>,
        Vec<f64>,
        Vec<f64>,
        Vec<f64>,
    ) = Default::default();
    for ((v, s), (n, c, p)) in &agg {
        let (lo, hi) = wilson_interval(*c, *n, 1.96);
        cols.0.push(v.clone());
        cols.1.push(*s);
        cols.2.push(*n as i64);
        cols.3.push(*c as i64);
        cols.4.push(*p as i64);
        cols.5.push(*c as f64 / *n as f64);
        cols.6.push(lo);
        cols.7.push(hi);
    }
    Ok(DataFrame::new(
        agg.len(),
        vec![
            Column::new("variant".into(), cols.0),
            Column::new("checkpoint_step".into(), cols.1),
            Column::new("n_tasks".into(), cols.2),
            Column::new("n_solved".into(), cols.3),
            Column::new("n_partial".into(), cols.4),
            Column::new("pass_at_1".into(), cols.5),
            Column::new("ci_low".into(), cols.6),
            Column::new("ci_high".into(), cols.7),
        ],
    )?)
}

/// The best checkpoint of each variant (highest pass@1; the earliest on a tie):
/// `variant`, `checkpoint_step`, `pass_at_1`, `n_solved`, `n_tasks`.
///
/// ```no_run
/// # let df = codefail::data::results_frame(&[]).unwrap();
/// let best = codefail::metrics::best_checkpoints(&df).unwrap();
/// ```
pub fn best_checkpoints(df: &DataFrame) -> Result<DataFrame> {
    let table = checkpoint_pass_at_1(df)?;
    let c = crate::data::schema::Cols::new(&table);
    let (v, s, p, solved, n) = (
        c.str("variant")?,
        c.i64("checkpoint_step")?,
        c.f64("pass_at_1")?,
        c.i64("n_solved")?,
        c.i64("n_tasks")?,
    );
    let mut best: BTreeMap<String, (i64, f64, i64, i64)> = BTreeMap::new();
    for i in 0..table.height() {
        let (Some(var), Some(step), Some(pass)) = (v.get(i), s.get(i), p.get(i)) else {
            continue;
        };
        let e = best.entry(var.to_string()).or_insert((
            step,
            pass,
            solved.get(i).unwrap_or(0),
            n.get(i).unwrap_or(0),
        ));
        if pass > e.1 {
            *e = (
                step,
                pass,
                solved.get(i).unwrap_or(0),
                n.get(i).unwrap_or(0),
            );
        }
    }
    Ok(DataFrame::new(
        best.len(),
        vec![
            Column::new("variant".into(), best.keys().cloned().collect::<Vec<_>>()),
            Column::new(
                "checkpoint_step".into(),
                best.values().map(|b| b.0).collect::<Vec<_>>(),
            ),
            Column::new(
                "pass_at_1".into(),
                best.values().map(|b| b.1).collect::<Vec<_>>(),
            ),
            Column::new(
                "n_solved".into(),
                best.values().map(|b| b.2).collect::<Vec<_>>(),
            ),
            Column::new(
                "n_tasks".into(),
                best.values().map(|b| b.3).collect::<Vec<_>>(),
            ),
        ],
    )?)
}

/// Per-problem trajectories across checkpoints: `variant`, `task_id`,
/// `trajectory` (one character per checkpoint in step order: `1` solved, `p`
/// partial, `0` failed), `n_solved`, `flips` (changes between consecutive
/// checkpoints), `regressions` (solved, then unsolved at the next checkpoint:
/// forgetting), and `class`: `always`, `never`, `learned` (unsolved first,
/// solved at the last checkpoint, never lost after), `forgotten` (solved at
/// some checkpoint, unsolved at the last), or `unstable` (the rest).
///
/// ```no_run
/// # let df = codefail::data::results_frame(&[]).unwrap();
/// let t = codefail::metrics::checkpoint_trajectories(&df).unwrap();
/// ```
pub fn checkpoint_trajectories(df: &DataFrame) -> Result<DataFrame> {
    let rows = ckpt_rows(df)?;
    let mut per: BTreeMap<(String, String), BTreeMap<i64, (bool, bool)>> = BTreeMap::new();
    for r in &rows {
        let e = per
            .entry((r.variant.clone(), r.task.clone()))
            .or_default()
            .entry(r.step)
            .or_insert((true, false));
        e.0 &= r.passed;
        e.1 |= r.partial;
    }
    let (mut c_variant, mut c_task, mut c_traj) = (Vec::new(), Vec::new(), Vec::new());
    let (mut c_solved, mut c_flips, mut c_regr, mut c_class) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((v, t), steps) in &per {
        let solved: Vec<bool> = steps.values().map(|s| s.0).collect();
        let traj: String = steps
            .values()
            .map(|&(p, part)| {
                if p {
                    '1'
                } else if part {
                    'p'
                } else {
                    '0'
                }
            })
            .collect();
        let flips = solved.windows(2).filter(|w| w[0] != w[1]).count() as i64;
        let regressions = solved.windows(2).filter(|w| w[0] && !w[1]).count() as i64;
        let n_solved = solved.iter().filter(|&&s| s).count() as i64;
        let last = *solved.last().unwrap_or(&false);
        let class = if n_solved as usize == solved.len() {
            "always"
        } else if n_solved == 0 {
            "never"
        } else if last && regressions == 0 {
            "learned"
        } else if !last {
            "forgotten"
        } else {
            "unstable"
        };
        c_variant.push(v.clone());
        c_task.push(t.clone());
        c_traj.push(traj);
        c_solved.push(n_solved);
        c_flips.push(flips);
        c_regr.push(regressions);
        c_class.push(class);
    }
    Ok(DataFrame::new(
        per.len(),
        vec![
            Column::new("variant".into(), c_variant),
            Column::new("task_id".into(), c_task),
            Column::new("trajectory".into(), c_traj),
            Column::new("n_solved".into(), c_solved),
            Column::new("flips".into(), c_flips),
            Column::new("regressions".into(), c_regr),
            Column::new("class".into(), c_class),
        ],
    )?)
}

/// Changes between consecutive checkpoints of each variant: `variant`,
/// `from_step`, `to_step`, `gained` (newly solved), `lost` (regressions).
///
/// ```no_run
/// # let df = codefail::data::results_frame(&[]).unwrap();
/// let f = codefail::metrics::checkpoint_flips(&df).unwrap();
/// ```
pub fn checkpoint_flips(df: &DataFrame) -> Result<DataFrame> {
    let rows = ckpt_rows(df)?;
    type Solved = BTreeMap<String, bool>;
    let mut per: BTreeMap<String, BTreeMap<i64, Solved>> = BTreeMap::new();
    for r in &rows {
        let e = per
            .entry(r.variant.clone())
            .or_default()
            .entry(r.step)
            .or_default()
            .entry(r.task.clone())
            .or_insert(true);
        *e &= r.passed;
    }
    let (mut c_variant, mut c_from, mut c_to, mut c_gained, mut c_lost) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (v, steps) in &per {
        let list: Vec<(&i64, &Solved)> = steps.iter().collect();
        for w in list.windows(2) {
            let (a, b) = (w[0].1, w[1].1);
            let gained = b
                .iter()
                .filter(|&(t, &p)| p && !a.get(t).copied().unwrap_or(false))
                .count();
            let lost = a
                .iter()
                .filter(|&(t, &p)| p && !b.get(t).copied().unwrap_or(false))
                .count();
            c_variant.push(v.clone());
            c_from.push(*w[0].0);
            c_to.push(*w[1].0);
            c_gained.push(gained as i64);
            c_lost.push(lost as i64);
        }
    }
    let h = c_variant.len();
    Ok(DataFrame::new(
        h,
        vec![
            Column::new("variant".into(), c_variant),
            Column::new("from_step".into(), c_from),
            Column::new("to_step".into(), c_to),
            Column::new("gained".into(), c_gained),
            Column::new("lost".into(), c_lost),
        ],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binom(n: u64, k: u64) -> f64 {
        (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
    }

    #[test]
    fn pass_at_k_matches_the_closed_form_n5_c2() {
        // 1 - C(3, k) / C(5, k): k=1 0.4, k=2 0.7, k=3 0.9, k=4 1, k=5 1.
        let expected = [0.4, 0.7, 0.9, 1.0, 1.0];
        for (k, e) in (1..=5).zip(expected) {
            let closed = 1.0 - binom(3, k) / binom(5, k);
            assert!((pass_at_k(5, 2, k) - e).abs() < 1e-12, "k={k}");
            assert!((pass_at_k(5, 2, k) - closed).abs() < 1e-12, "k={k}");
        }
    }

    #[test]
    fn pass_at_k_is_stable_for_large_n() {
        // C(1000, 500) overflows f64; the product form does not.
        let v = pass_at_k(1000, 3, 500);
        assert!(v.is_finite() && v > 0.87 && v < 0.88, "{v}");
        // Exact: 1 - (500*499*498)/(1000*999*998).
        let exact = 1.0 - (500.0 * 499.0 * 498.0) / (1000.0 * 999.0 * 998.0);
        assert!((v - exact).abs() < 1e-12);
        assert_eq!(pass_at_k(200, 200, 10), 1.0);
        assert_eq!(pass_at_k(200, 0, 10), 0.0);
    }

    #[test]
    fn mcnemar_matches_binomial() {
        // b=1, c=9: 2 * P(X<=1), X~B(10, .5) = 2 * 11/1024.
        assert!((mcnemar_exact(1, 9) - 22.0 / 1024.0).abs() < 1e-12);
        assert!((mcnemar_exact(9, 1) - 22.0 / 1024.0).abs() < 1e-12);
        let p = mcnemar_exact(400, 450);
        assert!(p > 0.05 && p < 0.1, "{p}");
    }

    #[test]
    fn wilson_edges() {
        let (lo, hi) = wilson_interval(0, 10, 1.96);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.2 && hi < 0.35);
        let (lo, hi) = wilson_interval(10, 10, 1.96);
        assert!(lo > 0.65 && hi == 1.0);
    }

    #[test]
    fn rsr_zero_when_equal() {
        assert_eq!(rsr(50.0, 50.0), 0.0);
        assert!(rsr(40.0, 50.0) < 0.0);
    }
}

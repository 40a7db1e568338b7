//! Predicting failure from model internals (the execution-aware study's
//! third question): per-answer features from the token record `sample`
//! keeps, a logistic regression (smartcore: L2, L-BFGS) cross-validated with
//! folds grouped by task (no task is in both the training and the test part
//! of a fold), AUROC with a task-clustered bootstrap interval, and per
//! feature the evidence that it carries the signal.
//!
//! Features, one row per `model`, `task_id`, `sample_idx` ([`FEATURES`]):
//!
//! | feature | meaning |
//! |---|---|
//! | `log_tokens` | ln(1 + number of new tokens) |
//! | `mean_logprob`, `min_logprob` | mean and minimum log p of the chosen tokens |
//! | `p10_logprob` | 10th percentile of the chosen tokens' log p |
//! | `std_logprob` | standard deviation of the chosen tokens' log p |
//! | `low_prob_frac` | share of chosen tokens with p < 0.5 |
//! | `mean_entropy`, `max_entropy`, `std_entropy` | entropy (nats) of each step's distribution |
//! | `max_entropy_pos` | where the most uncertain step is: 0 first token, 1 last |
//! | `head_logprob`, `head_entropy` | means over the first 16 tokens |
//! | `first_line_logprob`, `first_line_entropy` | means over the tokens of the first code line (after a Markdown fence; needs the tokenizer) |
//! | `truncated` | 1 when the answer ran into the token limit |
//!
//! Log-probs and entropies are those of the untempered, unfiltered
//! distribution (see [`crate::sample`]), so samples drawn at any temperature
//! compare.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use polars::prelude::*;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters};

use crate::data::read;
use crate::data::schema::generations as g;
use crate::error::{Error, Result};
use crate::metrics::auroc;
use crate::sample::{Model, columns as tok};

/// The feature columns [`internal_features`] computes, in order.
pub const FEATURES: &[&str] = &[
    "log_tokens",
    "mean_logprob",
    "min_logprob",
    "p10_logprob",
    "std_logprob",
    "low_prob_frac",
    "mean_entropy",
    "max_entropy",
    "std_entropy",
    "max_entropy_pos",
    "head_logprob",
    "head_entropy",
    "first_line_logprob",
    "first_line_entropy",
    "truncated",
];

/// Tokens that count as the head of an answer.
const HEAD: usize = 16;

/// Column names of the frames [`predict_failure`] and [`predict_category`] give.
pub mod columns {
    /// i64: the cross-validation fold the row was held out in.
    pub const FOLD: &str = "fold";
    /// str: the true label (`failed` / `passed`, or the category).
    pub const LABEL: &str = "label";
    /// str: the predicted label (most probable class).
    pub const PREDICTED: &str = "predicted";
    /// f64: P(failed) for [`super::predict_failure`]; P(predicted) for
    /// [`super::predict_category`]. Always out of fold.
    pub const SCORE: &str = "score";
    /// bool ([`super::predict_failure`] only): the answer failed (for ROC curves).
    pub const FAILED: &str = "failed";
}

/// Settings of a cross-validated prediction.
#[derive(Clone, Debug, PartialEq)]
pub struct PredictConfig {
    /// Feature columns to use (default: all of [`FEATURES`]).
    pub features: Vec<String>,
    /// Folds, grouped by task (capped at the number of tasks).
    pub folds: usize,
    /// L2 penalty of the logistic regression (features are standardised on
    /// each training part first).
    pub alpha: f64,
    /// Seed of the task-to-fold assignment and of the bootstrap.
    pub seed: u64,
    /// Bootstrap resamples of tasks for the AUROC interval (0: none).
    pub bootstrap: usize,
    /// [`predict_category`]: classes with fewer rows than this merge into `other`.
    pub min_class: usize,
}

impl Default for PredictConfig {
    fn default() -> Self {
        PredictConfig {
            features: FEATURES.iter().map(|s| s.to_string()).collect(),
            folds: 5,
            alpha: 1.0,
            seed: 0,
            bootstrap: 1000,
            min_class: 5,
        }
    }
}

/// What a cross-validated prediction gives.
#[derive(Clone, Debug)]
pub struct Prediction {
    /// One row: `target`, `n`, `n_tasks`, `n_classes`, `n_positive`
    /// (failed rows; null for categories), `folds`, `auroc` (binary; for
    /// categories the macro one-vs-rest mean), `auroc_low`/`auroc_high` (95%
    /// percentile interval over tasks resampled with replacement), `accuracy`
    /// (most probable class), `majority_accuracy` (always the commonest class).
    pub summary: DataFrame,
    /// Per answer: `model`, `task_id`, `sample_idx`, [`columns::FOLD`],
    /// [`columns::LABEL`], [`columns::PREDICTED`], [`columns::SCORE`], and for
    /// [`predict_failure`] [`columns::FAILED`].
    pub predictions: DataFrame,
    /// Per feature (binary target only; empty for categories): `feature`,
    /// `coefficient` (standardised, fitted on all rows: > 0 raises P(failed)),
    /// `auroc_alone` (the raw feature as a failure score: < 0.5 means low
    /// values fail), `cv_auroc_without` (cross-validated AUROC with the
    /// feature left out: the drop from the full model's is what it adds),
    /// ordered by |coefficient|.
    pub features: DataFrame,
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn std(v: &[f64]) -> Option<f64> {
    let m = mean(v)?;
    Some((v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64).sqrt())
}

fn percentile(v: &[f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    Some(s[((s.len() - 1) as f64 * q).round() as usize])
}

/// Character span of the first non-blank code line of `text`: after the
/// first Markdown fence line when there is one, else from the start.
fn first_code_line(text: &str) -> Option<(usize, usize)> {
    let start = match text.find("```") {
        Some(f) => f + text[f..].find('\n')? + 1,
        None => 0,
    };
    let mut pos = start;
    for line in text[start..].split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        if body.trim_start().starts_with("```") {
            return None;
        }
        if !body.trim().is_empty() {
            return Some((pos, pos + body.len()));
        }
        pos += line.len();
    }
    None
}

/// Indices of the tokens (given their texts) that overlap the first code line.
fn first_line_tokens(pieces: &[String]) -> Vec<usize> {
    let text: String = pieces.concat();
    let Some((ls, le)) = first_code_line(&text) else {
        return vec![];
    };
    let mut off = 0;
    let mut out = vec![];
    for (i, p) in pieces.iter().enumerate() {
        let end = off + p.len();
        if off < le && end > ls {
            out.push(i);
        }
        off = end;
    }
    out
}

/// Per-answer features of a generations frame from `sample` (see the module
/// table). With `model`, its tokenizer finds the first code line; without
/// it, `first_line_*` are null (drop them from [`PredictConfig::features`]).
///
/// ```
/// use codefail::sample::{SampleRow, sample_frame};
/// use codefail::methods::predict::internal_features;
/// let gens = sample_frame(&[]).unwrap();
/// let f = internal_features(&gens, None).unwrap();
/// assert!(f.column("mean_logprob").is_ok() && f.column("first_line_logprob").is_ok());
/// ```
pub fn internal_features(gens: &DataFrame, model: Option<&Model>) -> Result<DataFrame> {
    let lp = read::float_lists(gens, tok::TOKEN_LOGPROBS)?;
    let ent = read::float_lists(gens, tok::TOKEN_ENTROPIES)?;
    let ids: Vec<Vec<u32>> = read::float_lists(gens, tok::TOKEN_IDS)?
        .into_iter()
        .map(|v| v.into_iter().map(|t| t as u32).collect())
        .collect();
    let meta = read::texts(gens, g::GEN_METADATA)?;
    let n = gens.height();
    let mut cols: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(n); FEATURES.len()];
    for i in 0..n {
        let (l, e) = (&lp[i], &ent[i]);
        let head_l = &l[..l.len().min(HEAD)];
        let head_e = &e[..e.len().min(HEAD)];
        let max_pos = e
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(k, _)| {
                if e.len() > 1 {
                    k as f64 / (e.len() - 1) as f64
                } else {
                    0.0
                }
            });
        let (fl_l, fl_e) = match model {
            Some(m) if !ids[i].is_empty() => {
                let pieces = ids[i]
                    .iter()
                    .map(|t| m.decode(&[*t]))
                    .collect::<Result<Vec<String>>>()?;
                let idx = first_line_tokens(&pieces);
                let pick = |v: &[f64]| -> Vec<f64> {
                    idx.iter().filter_map(|&k| v.get(k).copied()).collect()
                };
                (mean(&pick(l)), mean(&pick(e)))
            }
            _ => (None, None),
        };
        let truncated = meta[i]
            .as_deref()
            .and_then(|m| serde_json::from_str::<serde_json::Value>(m).ok())
            .and_then(|m| {
                m["finish_reason"]
                    .as_str()
                    .map(|r| f64::from(r == "length"))
            });
        let row = [
            Some((1.0 + l.len() as f64).ln()),
            mean(l),
            l.iter().copied().reduce(f64::min),
            percentile(l, 0.1),
            std(l),
            (!l.is_empty())
                .then(|| l.iter().filter(|x| **x < 0.5f64.ln()).count() as f64 / l.len() as f64),
            mean(e),
            e.iter().copied().reduce(f64::max),
            std(e),
            max_pos,
            mean(head_l),
            mean(head_e),
            fl_l,
            fl_e,
            truncated,
        ];
        for (c, v) in cols.iter_mut().zip(row) {
            c.push(v);
        }
    }
    let mut df = gens.select([g::MODEL, g::TASK_ID, g::SAMPLE_IDX])?;
    for (name, c) in FEATURES.iter().zip(cols) {
        df.with_column(Column::new((*name).into(), c))?;
    }
    Ok(df)
}

/// Rows of `classified` matched with their features: keys, labels source
/// columns and the feature matrix (None = missing value).
struct Joined {
    model: Vec<Option<String>>,
    task: Vec<String>,
    sample: Vec<Option<f64>>,
    x: Vec<Vec<Option<f64>>>,
    /// Index into `classified` of each kept row.
    rows: Vec<usize>,
}

fn join(classified: &DataFrame, features: &DataFrame, names: &[String]) -> Result<Joined> {
    let key = |df: &DataFrame| -> Result<Vec<String>> {
        let m = read::texts(df, g::MODEL)?;
        let t = read::texts(df, g::TASK_ID)?;
        let s = read::numbers(df, g::SAMPLE_IDX)?;
        Ok((0..df.height())
            .map(|i| format!("{:?}\u{1f}{:?}\u{1f}{:?}", m[i], t[i], s[i]))
            .collect())
    };
    let mut fcols = Vec::with_capacity(names.len());
    for name in names {
        let v = read::numbers(features, name)?;
        if v.iter().all(Option::is_none) {
            return Err(Error::column(
                name,
                "has no values (first_line_* need the model's tokenizer: pass it to \
                 internal_features, or leave them out of PredictConfig::features)",
            ));
        }
        fcols.push(v);
    }
    let idx: HashMap<String, usize> = key(features)?
        .into_iter()
        .enumerate()
        .map(|(i, k)| (k, i))
        .collect();
    let models = read::texts(classified, g::MODEL)?;
    let tasks = read::texts(classified, g::TASK_ID)?;
    let samples = read::numbers(classified, g::SAMPLE_IDX)?;
    let mut j = Joined {
        model: vec![],
        task: vec![],
        sample: vec![],
        x: vec![],
        rows: vec![],
    };
    for (i, k) in key(classified)?.iter().enumerate() {
        let (Some(&f), Some(t)) = (idx.get(k), &tasks[i]) else {
            continue;
        };
        j.model.push(models[i].clone());
        j.task.push(t.clone());
        j.sample.push(samples[i]);
        j.x.push(fcols.iter().map(|c| c[f]).collect());
        j.rows.push(i);
    }
    if j.rows.is_empty() {
        return Err(Error::Invalid(
            "no row of the results matches a row of the features on model/task_id/sample_idx"
                .into(),
        ));
    }
    Ok(j)
}

/// Task-grouped fold of each row: distinct tasks shuffled by `seed`, dealt
/// round-robin into `k` folds.
fn folds_by_task(tasks: &[String], k: usize, seed: u64) -> Vec<usize> {
    let mut distinct: Vec<&String> = tasks.iter().collect::<BTreeSet<_>>().into_iter().collect();
    distinct.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let fold: HashMap<&String, usize> = distinct
        .into_iter()
        .enumerate()
        .map(|(i, t)| (t, i % k))
        .collect();
    tasks.iter().map(|t| fold[t]).collect()
}

/// Standardise with the training rows' mean and deviation; missing values
/// become the training mean (0 after standardising).
fn standardise(train: &[&Vec<Option<f64>>], rows: &[&Vec<Option<f64>>]) -> Vec<Vec<f64>> {
    let m = train.first().map_or(0, |r| r.len());
    let stats: Vec<(f64, f64)> = (0..m)
        .map(|c| {
            let v: Vec<f64> = train.iter().filter_map(|r| r[c]).collect();
            let mu = mean(&v).unwrap_or(0.0);
            let sd = std(&v).filter(|s| *s > 1e-12).unwrap_or(1.0);
            (mu, sd)
        })
        .collect();
    rows.iter()
        .map(|r| {
            r.iter()
                .zip(&stats)
                .map(|(v, (mu, sd))| v.map_or(0.0, |v| (v - mu) / sd))
                .collect()
        })
        .collect()
}

/// A fitted multinomial (or binary) logistic model over class indices.
struct Fitted {
    classes: Vec<usize>,
    /// Per present class (binary: one row for `classes[1]`), weights then intercept.
    w: Vec<Vec<f64>>,
}

fn fit(x: &[Vec<f64>], y: &[usize], alpha: f64) -> Result<Fitted> {
    let classes: Vec<usize> = y
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if classes.len() < 2 {
        return Ok(Fitted { classes, w: vec![] });
    }
    let m = x.first().map_or(0, Vec::len);
    let xm = DenseMatrix::from_2d_vec(&x.to_vec())
        .map_err(|e| Error::Invalid(format!("feature matrix: {e}")))?;
    let yv: Vec<u32> = y.iter().map(|v| *v as u32).collect();
    let params = LogisticRegressionParameters::default().with_alpha(alpha);
    let lr = LogisticRegression::fit(&xm, &yv, params)
        .map_err(|e| Error::Invalid(format!("logistic regression: {e}")))?;
    let (coef, icpt) = (lr.coefficients(), lr.intercept());
    let rows = if classes.len() == 2 { 1 } else { classes.len() };
    let w = (0..rows)
        .map(|r| {
            let mut v: Vec<f64> = (0..m).map(|c| *coef.get((r, c))).collect();
            v.push(*icpt.get((r, 0)));
            v
        })
        .collect();
    Ok(Fitted { classes, w })
}

impl Fitted {
    /// Probabilities over all `k` classes (absent classes get 0).
    fn proba(&self, x: &[f64], k: usize) -> Vec<f64> {
        let mut p = vec![0.0; k];
        let dot = |w: &Vec<f64>| -> f64 {
            x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() + w[w.len() - 1]
        };
        match self.classes.len() {
            0 => {}
            1 => p[self.classes[0]] = 1.0,
            2 => {
                let p1 = 1.0 / (1.0 + (-dot(&self.w[0])).exp());
                p[self.classes[1]] = p1;
                p[self.classes[0]] = 1.0 - p1;
            }
            _ => {
                let z: Vec<f64> = self.w.iter().map(dot).collect();
                let mx = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = z.iter().map(|v| (v - mx).exp()).collect();
                let s: f64 = e.iter().sum();
                for (c, v) in self.classes.iter().zip(e) {
                    p[*c] = v / s;
                }
            }
        }
        p
    }
}

/// Out-of-fold class probabilities of every row.
fn cross_validate(
    x: &[Vec<Option<f64>>],
    y: &[usize],
    fold: &[usize],
    k: usize,
    n_classes: usize,
    cols: &[usize],
    alpha: f64,
) -> Result<Vec<Vec<f64>>> {
    let pick = |r: &Vec<Option<f64>>| -> Vec<Option<f64>> { cols.iter().map(|&c| r[c]).collect() };
    let xs: Vec<Vec<Option<f64>>> = x.iter().map(pick).collect();
    let mut out = vec![vec![0.0; n_classes]; x.len()];
    for f in 0..k {
        let train: Vec<usize> = (0..x.len()).filter(|&i| fold[i] != f).collect();
        let test: Vec<usize> = (0..x.len()).filter(|&i| fold[i] == f).collect();
        if test.is_empty() {
            continue;
        }
        let tr: Vec<&Vec<Option<f64>>> = train.iter().map(|&i| &xs[i]).collect();
        let te: Vec<&Vec<Option<f64>>> = test.iter().map(|&i| &xs[i]).collect();
        let model = fit(
            &standardise(&tr, &tr),
            &train.iter().map(|&i| y[i]).collect::<Vec<_>>(),
            alpha,
        )?;
        for (i, row) in test.iter().zip(standardise(&tr, &te)) {
            out[*i] = model.proba(&row, n_classes);
        }
    }
    Ok(out)
}

/// Macro one-vs-rest AUROC over the classes that have both positives and negatives.
fn macro_auroc(p: &[Vec<f64>], y: &[usize], n_classes: usize) -> f64 {
    if n_classes == 2 {
        let s: Vec<f64> = p.iter().map(|r| r[1]).collect();
        return auroc(&s, &y.iter().map(|v| *v == 1).collect::<Vec<_>>());
    }
    let aucs: Vec<f64> = (0..n_classes)
        .map(|c| {
            let s: Vec<f64> = p.iter().map(|r| r[c]).collect();
            auroc(&s, &y.iter().map(|v| *v == c).collect::<Vec<_>>())
        })
        .filter(|a| a.is_finite())
        .collect();
    mean(&aucs).unwrap_or(f64::NAN)
}

/// 95% percentile interval of the AUROC over tasks resampled with replacement.
fn bootstrap(
    p: &[Vec<f64>],
    y: &[usize],
    tasks: &[String],
    n_classes: usize,
    reps: usize,
    seed: u64,
) -> (Option<f64>, Option<f64>) {
    if reps == 0 {
        return (None, None);
    }
    let mut by_task: BTreeMap<&String, Vec<usize>> = BTreeMap::new();
    for (i, t) in tasks.iter().enumerate() {
        by_task.entry(t).or_default().push(i);
    }
    let groups: Vec<&Vec<usize>> = by_task.values().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_b007);
    let mut stats = vec![];
    for _ in 0..reps {
        let (mut pp, mut yy) = (vec![], vec![]);
        for _ in 0..groups.len() {
            let g = groups[rand::Rng::random_range(&mut rng, 0..groups.len())];
            for &i in g {
                pp.push(p[i].clone());
                yy.push(y[i]);
            }
        }
        let a = macro_auroc(&pp, &yy, n_classes);
        if a.is_finite() {
            stats.push(a);
        }
    }
    (percentile(&stats, 0.025), percentile(&stats, 0.975))
}

fn majority_accuracy(y: &[usize], n_classes: usize) -> f64 {
    let mut counts = vec![0usize; n_classes];
    for v in y {
        counts[*v] += 1;
    }
    counts.iter().copied().max().unwrap_or(0) as f64 / y.len().max(1) as f64
}

/// Everything both targets share: fold, cross-validate, score, tabulate.
fn run(
    j: &Joined,
    y: &[usize],
    class_names: &[String],
    target: &str,
    n_positive: Option<i64>,
    cfg: &PredictConfig,
) -> Result<CvRun> {
    let n_tasks = j.task.iter().collect::<BTreeSet<_>>().len();
    let k = cfg.folds.min(n_tasks);
    if k < 2 {
        return Err(Error::Invalid(format!(
            "cross-validation needs at least 2 tasks and 2 folds (have {n_tasks} tasks, folds = {})",
            cfg.folds
        )));
    }
    let nc = class_names.len();
    let fold = folds_by_task(&j.task, k, cfg.seed);
    let all: Vec<usize> = (0..cfg.features.len()).collect();
    let p = cross_validate(&j.x, y, &fold, k, nc, &all, cfg.alpha)?;
    let auc = macro_auroc(&p, y, nc);
    let (lo, hi) = bootstrap(&p, y, &j.task, nc, cfg.bootstrap, cfg.seed);
    let argmax = |r: &Vec<f64>| -> usize {
        r.iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(c, _)| c)
    };
    let correct = p.iter().zip(y).filter(|(r, v)| argmax(r) == **v).count();
    let summary = df!(
        "target" => [target],
        "n" => [y.len() as i64],
        "n_tasks" => [n_tasks as i64],
        "n_classes" => [nc as i64],
        "n_positive" => [n_positive],
        "folds" => [k as i64],
        "auroc" => [auc],
        "auroc_low" => [lo],
        "auroc_high" => [hi],
        "accuracy" => [correct as f64 / y.len() as f64],
        "majority_accuracy" => [majority_accuracy(y, nc)],
    )?;
    let predictions = df!(
        g::MODEL => j.model.clone(),
        g::TASK_ID => j.task.clone(),
        g::SAMPLE_IDX => j.sample.iter().map(|v| v.map(|s| s as i64)).collect::<Vec<_>>(),
        columns::FOLD => fold.iter().map(|f| *f as i64).collect::<Vec<_>>(),
        columns::LABEL => y.iter().map(|v| class_names[*v].clone()).collect::<Vec<_>>(),
        columns::PREDICTED => p.iter().map(|r| class_names[argmax(r)].clone()).collect::<Vec<_>>(),
        columns::SCORE => p
            .iter()
            .map(|r| if nc == 2 { r[1] } else { r[argmax(r)] })
            .collect::<Vec<_>>(),
    )?;
    Ok(CvRun {
        summary,
        predictions,
        fold,
        k,
    })
}

/// What [`run`] gives: the tables, and the folds for further fits.
struct CvRun {
    summary: DataFrame,
    predictions: DataFrame,
    fold: Vec<usize>,
    k: usize,
}

/// Cross-validated prediction of failure (`passed == false`) from the
/// features of [`internal_features`]: rows of `classified` (or any results
/// frame with `model`, `task_id`, `sample_idx`, `passed`) are matched with
/// their features; rows that did not run or have no features are left out.
///
/// ```
/// use polars::prelude::*;
/// use codefail::methods::predict::{PredictConfig, predict_failure};
/// // Eight tasks, two answers each; the low-confidence answer fails.
/// let n = 16;
/// let tasks: Vec<String> = (0..n).map(|i| format!("t{}", i / 2)).collect();
/// let passed: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
/// let lp: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { -0.1 } else { -1.5 } - (i as f64) * 0.01).collect();
/// let res = df!("model" => vec!["m"; n], "task_id" => tasks.clone(), "sample_idx" => (0..n as i64).collect::<Vec<_>>(), "passed" => passed).unwrap();
/// let feats = df!("model" => vec!["m"; n], "task_id" => tasks, "sample_idx" => (0..n as i64).collect::<Vec<_>>(), "mean_logprob" => lp).unwrap();
/// let cfg = PredictConfig { features: vec!["mean_logprob".into()], folds: 4, bootstrap: 50, ..Default::default() };
/// let p = predict_failure(&res, &feats, &cfg).unwrap();
/// let auc = p.summary.column("auroc").unwrap().f64().unwrap().get(0).unwrap();
/// assert!(auc > 0.99);
/// ```
pub fn predict_failure(
    classified: &DataFrame,
    features: &DataFrame,
    cfg: &PredictConfig,
) -> Result<Prediction> {
    let mut j = join(classified, features, &cfg.features)?;
    let passed = read::bools(classified, crate::data::schema::results::PASSED)?;
    // Keep rows with a verdict; failed is class 1.
    let keep: Vec<usize> = (0..j.rows.len())
        .filter(|&i| passed[j.rows[i]].is_some())
        .collect();
    retain(&mut j, &keep);
    let y: Vec<usize> = j
        .rows
        .iter()
        .map(|&r| usize::from(passed[r] == Some(false)))
        .collect();
    let names = vec!["passed".to_string(), "failed".to_string()];
    let n_pos = y.iter().filter(|v| **v == 1).count() as i64;
    let CvRun {
        summary,
        mut predictions,
        fold,
        k,
    } = run(&j, &y, &names, "failed", Some(n_pos), cfg)?;
    predictions.with_column(Column::new(
        columns::FAILED.into(),
        y.iter().map(|v| *v == 1).collect::<Vec<_>>(),
    ))?;

    // Per feature: standardised coefficient on all rows, AUROC alone, and
    // the cross-validated AUROC without it.
    let refs: Vec<&Vec<Option<f64>>> = j.x.iter().collect();
    let full = fit(&standardise(&refs, &refs), &y, cfg.alpha)?;
    let failed: Vec<bool> = y.iter().map(|v| *v == 1).collect();
    let mut rows = vec![];
    for (c, name) in cfg.features.iter().enumerate() {
        let coef = full.w.first().map_or(f64::NAN, |w| w[c]);
        let (s, l): (Vec<f64>, Vec<bool>) =
            j.x.iter()
                .zip(&failed)
                .filter_map(|(r, f)| r[c].map(|v| (v, *f)))
                .unzip();
        let alone = auroc(&s, &l);
        let without = if cfg.features.len() > 1 {
            let cols: Vec<usize> = (0..cfg.features.len()).filter(|&o| o != c).collect();
            let p = cross_validate(&j.x, &y, &fold, k, 2, &cols, cfg.alpha)?;
            macro_auroc(&p, &y, 2)
        } else {
            f64::NAN
        };
        rows.push((name.clone(), coef, alone, without));
    }
    rows.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let features = df!(
        "feature" => rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        "coefficient" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "auroc_alone" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        "cv_auroc_without" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
    )?;
    Ok(Prediction {
        summary,
        predictions,
        features,
    })
}

fn retain(j: &mut Joined, keep: &[usize]) {
    j.model = keep.iter().map(|&i| j.model[i].clone()).collect();
    j.task = keep.iter().map(|&i| j.task[i].clone()).collect();
    j.sample = keep.iter().map(|&i| j.sample[i]).collect();
    j.x = keep.iter().map(|&i| j.x[i].clone()).collect();
    j.rows = keep.iter().map(|&i| j.rows[i]).collect();
}

/// Cross-validated prediction of a category column of `classified` (e.g.
/// `outcome`: passed / crash / wrong / timeout, or `category`, where a null
/// category on a passed row reads `passed`). Classes with fewer than
/// [`PredictConfig::min_class`] rows merge into `other`.
///
/// ```
/// use polars::prelude::*;
/// use codefail::methods::predict::{PredictConfig, predict_category};
/// let n = 24;
/// let tasks: Vec<String> = (0..n).map(|i| format!("t{}", i / 3)).collect();
/// let outcome: Vec<&str> = (0..n).map(|i| ["passed", "crash", "wrong"][i % 3]).collect();
/// let ent: Vec<f64> = (0..n).map(|i| (i % 3) as f64 + 0.01 * i as f64).collect();
/// let res = df!("model" => vec!["m"; n], "task_id" => tasks.clone(), "sample_idx" => (0..n as i64).collect::<Vec<_>>(), "passed" => outcome.iter().map(|o| *o == "passed").collect::<Vec<_>>(), "outcome" => outcome).unwrap();
/// let feats = df!("model" => vec!["m"; n], "task_id" => tasks, "sample_idx" => (0..n as i64).collect::<Vec<_>>(), "mean_entropy" => ent).unwrap();
/// let cfg = PredictConfig { features: vec!["mean_entropy".into()], folds: 4, bootstrap: 0, min_class: 2, ..Default::default() };
/// let p = predict_category(&res, &feats, "outcome", &cfg).unwrap();
/// assert_eq!(p.summary.column("n_classes").unwrap().i64().unwrap().get(0), Some(3));
/// ```
pub fn predict_category(
    classified: &DataFrame,
    features: &DataFrame,
    column: &str,
    cfg: &PredictConfig,
) -> Result<Prediction> {
    let mut j = join(classified, features, &cfg.features)?;
    let labels = read::texts(classified, column)?;
    let passed = read::bools(classified, crate::data::schema::results::PASSED)
        .unwrap_or_else(|_| vec![None; classified.height()]);
    let label = |r: usize| -> Option<String> {
        labels[r]
            .clone()
            .or_else(|| (passed[r] == Some(true)).then(|| "passed".to_string()))
    };
    let keep: Vec<usize> = (0..j.rows.len())
        .filter(|&i| label(j.rows[i]).is_some())
        .collect();
    retain(&mut j, &keep);
    let raw: Vec<String> = j.rows.iter().filter_map(|&r| label(r)).collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &raw {
        *counts.entry(l.as_str()).or_default() += 1;
    }
    let merged: Vec<String> = raw
        .iter()
        .map(|l| {
            if counts[l.as_str()] < cfg.min_class {
                "other".to_string()
            } else {
                l.clone()
            }
        })
        .collect();
    let names: Vec<String> = merged
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if names.len() < 2 {
        return Err(Error::column(
            column,
            format!("needs at least 2 classes to predict (has {names:?})"),
        ));
    }
    let y: Vec<usize> = merged
        .iter()
        .map(|l| names.iter().position(|n| n == l).unwrap_or(0))
        .collect();
    let CvRun {
        summary,
        predictions,
        ..
    } = run(&j, &y, &names, column, None, cfg)?;
    Ok(Prediction {
        summary,
        predictions,
        features: DataFrame::empty(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_code_line_skips_the_fence_and_blank_lines() {
        let t = "Here:\n```python\n\ndef f(x):\n    return x\n```";
        let (a, b) = first_code_line(t).unwrap();
        assert_eq!(&t[a..b], "def f(x):");
        assert_eq!(first_code_line("x = 1\ny = 2"), Some((0, 5)));
        assert_eq!(first_code_line("```python\n```"), None);
        let pieces: Vec<String> = ["```", "python", "\n", "def", " f", "():\n", "  pass"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(first_line_tokens(&pieces), vec![3, 4, 5]);
    }

    #[test]
    fn folds_keep_each_task_in_one_fold_and_are_seeded() {
        let tasks: Vec<String> = (0..40).map(|i| format!("t{}", i / 4)).collect();
        let f = folds_by_task(&tasks, 3, 7);
        for i in 0..40 {
            for k in 0..40 {
                if tasks[i] == tasks[k] {
                    assert_eq!(f[i], f[k]);
                }
            }
        }
        assert_eq!(f, folds_by_task(&tasks, 3, 7));
        assert_ne!(f, folds_by_task(&tasks, 3, 8));
        assert_eq!(f.iter().collect::<BTreeSet<_>>().len(), 3);
    }

    #[test]
    fn noise_features_give_chance_auroc_and_signal_is_found() {
        // 60 tasks x 4 answers: feature a decides failure, b is noise.
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let n = 240;
        let mut x = vec![];
        let mut y = vec![];
        for _ in 0..n {
            let a: f64 = rand::Rng::random_range(&mut rng, -1.0..1.0);
            let b: f64 = rand::Rng::random_range(&mut rng, -1.0..1.0);
            let noise: f64 = rand::Rng::random_range(&mut rng, -0.3..0.3);
            y.push(usize::from(a + noise > 0.0));
            x.push(vec![Some(a), Some(b)]);
        }
        let tasks: Vec<String> = (0..n).map(|i| format!("t{}", i / 4)).collect();
        let fold = folds_by_task(&tasks, 5, 0);
        let p = cross_validate(&x, &y, &fold, 5, 2, &[0, 1], 1.0).unwrap();
        assert!(macro_auroc(&p, &y, 2) > 0.9);
        let p = cross_validate(&x, &y, &fold, 5, 2, &[1], 1.0).unwrap();
        let a = macro_auroc(&p, &y, 2);
        assert!((0.3..0.7).contains(&a), "noise alone gave AUROC {a}");
        let (lo, hi) = bootstrap(&p, &y, &tasks, 2, 200, 0);
        assert!(lo.unwrap() < a && a < hi.unwrap());
    }
}

//! Failure prediction on real answers: the recorded Qwen2.5-Coder-0.5B
//! samples (5 per task at T=0.8 on 20 MBPP test tasks, made with
//! `codefail sample`), executed here, then features and cross-validation.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use codefail::classify::{ClassifyConfig, classify};
use codefail::data::*;
use codefail::exec::{RunConfig, run};
use codefail::methods::predict::{
    FEATURES, PredictConfig, internal_features, predict_category, predict_failure,
};
use polars::prelude::*;

const RECORDED: &str = "qwen2.5-coder-0.5b.mbpp-test20.n5-t0.8.parquet";

fn texts(df: &DataFrame, c: &str) -> Vec<String> {
    let ca = df.column(c).unwrap().str().unwrap().clone();
    (0..ca.len())
        .map(|i| ca.get(i).unwrap().to_string())
        .collect()
}

fn f64s(df: &DataFrame, c: &str) -> Vec<Option<f64>> {
    let s = df.column(c).unwrap().cast(&DataType::Float64).unwrap();
    let ca = s.f64().unwrap().clone();
    (0..ca.len()).map(|i| ca.get(i)).collect()
}

#[test]
fn failure_prediction_on_recorded_qwen_samples() {
    let Some(_) = common::shared_data() else {
        return;
    };
    let gens = read_parquet(common::fixtures().join(RECORDED)).unwrap();
    assert_eq!(gens.height(), 100);
    let problems = load(
        "mbpp",
        &LoadOptions {
            split: Some("test".into()),
            limit: Some(20),
            ..Default::default()
        },
    )
    .unwrap();
    let rows = run(
        &mut codefail::data::problems_from_frame(&problems).unwrap(),
        &codefail::data::generations_from_frame(&gens).unwrap(),
        &RunConfig::default(),
    )
    .unwrap();
    let results = codefail::data::results_frame(&rows).unwrap();
    let classified = classify(
        &results,
        &problems,
        &ClassifyConfig {
            semantic: false,
            ..Default::default()
        },
    )
    .unwrap();

    // Features without the tokenizer: first_line_* are null and must be
    // refused until left out.
    let feats = internal_features(&gens, None).unwrap();
    assert_eq!(feats.height(), 100);
    let err = predict_failure(&classified, &feats, &PredictConfig::default()).unwrap_err();
    assert!(err.to_string().contains("first_line"), "{err}");
    let cfg = PredictConfig {
        features: FEATURES
            .iter()
            .filter(|f| !f.starts_with("first_line"))
            .map(|f| f.to_string())
            .collect(),
        bootstrap: 300,
        ..Default::default()
    };
    let p = predict_failure(&classified, &feats, &cfg).unwrap();

    // One out-of-fold prediction per answer; every task in exactly one fold.
    assert_eq!(p.predictions.height(), 100);
    let mut fold_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let folds = f64s(&p.predictions, "fold");
    for (t, f) in texts(&p.predictions, "task_id").into_iter().zip(&folds) {
        fold_of.entry(t).or_default().insert(format!("{f:?}"));
    }
    assert!(fold_of.values().all(|f| f.len() == 1));
    assert_eq!(fold_of.len(), 20);

    // Labels are the verdicts.
    let passed: BTreeMap<(String, i64), bool> = {
        let t = texts(&results, "task_id");
        let s = f64s(&results, "sample_idx");
        let ca = results.column("passed").unwrap().bool().unwrap().clone();
        (0..results.height())
            .map(|i| ((t[i].clone(), s[i].unwrap() as i64), ca.get(i).unwrap()))
            .collect()
    };
    let pt = texts(&p.predictions, "task_id");
    let ps = f64s(&p.predictions, "sample_idx");
    let failed = p
        .predictions
        .column("failed")
        .unwrap()
        .bool()
        .unwrap()
        .clone();
    for i in 0..pt.len() {
        assert_eq!(
            failed.get(i),
            Some(!passed[&(pt[i].clone(), ps[i].unwrap() as i64)])
        );
    }

    // A real AUROC with an interval around it; every feature accounted for.
    let auc = f64s(&p.summary, "auroc")[0].unwrap();
    let lo = f64s(&p.summary, "auroc_low")[0].unwrap();
    let hi = f64s(&p.summary, "auroc_high")[0].unwrap();
    assert!(
        (0.0..=1.0).contains(&auc) && lo <= auc && auc <= hi,
        "{lo} {auc} {hi}"
    );
    assert_eq!(p.features.height(), cfg.features.len());

    // Outcome classes.
    let c = predict_category(&classified, &feats, "outcome", &cfg).unwrap();
    assert_eq!(c.predictions.height(), 100);
    assert!(f64s(&c.summary, "n_classes")[0].unwrap() >= 2.0);

    // With the real tokenizer the first code line is found.
    let Some(model_path) =
        Some(codefail::sample::models_dir().join("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"))
            .filter(|p| p.is_file() || std::env::var_os("CODEFAIL_REQUIRE_MODELS").is_some())
    else {
        eprintln!("skipping the first-line features: the model is not fetched");
        return;
    };
    let model =
        codefail::sample::Model::load(model_path.to_str().unwrap(), &Default::default()).unwrap();
    let feats = internal_features(&gens, Some(&model)).unwrap();
    let fl = f64s(&feats, "first_line_logprob");
    assert_eq!(fl.len(), 100);
    assert!(fl.iter().filter(|v| v.is_some()).count() >= 90);
    let p = predict_failure(
        &classified,
        &feats,
        &PredictConfig {
            bootstrap: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(p.features.height(), FEATURES.len());
}

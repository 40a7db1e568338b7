//! Metrics on real results: checkpoint analysis of the deep-vs-diverse LoRA
//! generations (their recorded verdicts; tests/run.rs checks those against a
//! re-execution), pass@k frames and paired comparisons.

mod common;

use codefail::data::*;
use codefail::metrics::*;

#[test]
fn checkpoint_analysis_on_recorded_lcb_verdicts() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let (gens_df, _) = load_generations(
        data.join("lcb-atcoder/checkpoints-qwen2.5-coder-1.5b-lora.jsonl"),
        &Default::default(),
    )
    .unwrap();
    let gens = generations_from_frame(&gens_df).unwrap();
    // The authors' recorded verdicts (tests/run.rs re-executes these programs
    // and compares; the analysis here needs verdicts, not another run).
    let rows: Vec<RunResult> = gens
        .iter()
        .map(|g| recorded(g, g.metadata_json()["passed"].as_bool().unwrap()))
        .collect();
    let results = with_checkpoints(&results_frame(&rows).unwrap(), &gens_df).unwrap();

    let table = checkpoint_pass_at_1(&results).unwrap();
    eprintln!("{table}");
    assert_eq!(table.height(), 18, "9 checkpoints x 2 variants");
    let n = table.column("n_tasks").unwrap().i64().unwrap().clone();
    assert!((0..18).all(|i| n.get(i) == Some(41)));
    // pass@1 per checkpoint equals the share of solved problems, recomputed here.
    let variant = table.column("variant").unwrap().str().unwrap().clone();
    let step = table
        .column("checkpoint_step")
        .unwrap()
        .i64()
        .unwrap()
        .clone();
    let pass = table.column("pass_at_1").unwrap().f64().unwrap().clone();
    for i in 0..table.height() {
        let (v, s) = (variant.get(i).unwrap(), step.get(i).unwrap());
        let solved = gens.iter().zip(&rows).filter(|(g, r)| {
            let m = g.metadata_json();
            m["variant"] == v && m["checkpoint_step"] == s && r.passed
        });
        assert!((pass.get(i).unwrap() - solved.count() as f64 / 41.0).abs() < 1e-12);
    }

    let best = best_checkpoints(&results).unwrap();
    eprintln!("{best}");
    assert_eq!(best.height(), 2);
    let best_pass = best.column("pass_at_1").unwrap().f64().unwrap().clone();
    let max_pass = (0..pass.len())
        .filter_map(|i| pass.get(i))
        .fold(f64::MIN, f64::max);
    assert!((0..2).any(|i| best_pass.get(i) == Some(max_pass)));

    let traj = checkpoint_trajectories(&results).unwrap();
    assert_eq!(traj.height(), 82, "41 problems x 2 variants");
    let class = traj.column("class").unwrap().str().unwrap().clone();
    let classes: std::collections::BTreeSet<&str> =
        (0..traj.height()).filter_map(|i| class.get(i)).collect();
    eprintln!("trajectory classes: {classes:?}");
    assert!(classes.contains("never"), "some problems are never solved");
    let t = traj.column("trajectory").unwrap().str().unwrap().clone();
    assert!((0..traj.height()).all(|i| t.get(i).unwrap().len() == 9));

    let flips = checkpoint_flips(&results).unwrap();
    assert_eq!(flips.height(), 16, "8 consecutive pairs x 2 variants");
    // Net change between consecutive checkpoints equals the change in solved counts.
    let gained = flips.column("gained").unwrap().i64().unwrap().clone();
    let lost = flips.column("lost").unwrap().i64().unwrap().clone();
    let solved = table.column("n_solved").unwrap().i64().unwrap().clone();
    for i in 0..8 {
        let d = solved.get(i + 1).unwrap() - solved.get(i).unwrap();
        assert_eq!(gained.get(i).unwrap() - lost.get(i).unwrap(), d);
    }
}

/// A result row carrying only a verdict.
fn verdict(task: &str, idx: i64, model: &str, passed: bool) -> RunResult {
    RunResult {
        task_id: task.into(),
        sample_idx: idx,
        model: model.into(),
        passed,
        n_tests: 1,
        n_passed: i64::from(passed),
        status: if passed { "passed" } else { "failed" }.into(),
        first_error_stage: None,
        first_error_type: None,
        first_error_message: None,
        first_error_line: None,
        traceback: None,
        stdout: String::new(),
        stderr: String::new(),
        wall_ms: 0.0,
        tests: vec![],
        code: None,
        run_metadata: "{}".into(),
        tamper: vec![],
    }
}

/// The recorded verdict of a generation as a result row.
fn recorded(g: &Generation, passed: bool) -> RunResult {
    verdict(&g.task_id, g.sample_idx, &g.model, passed)
}

#[test]
fn pass_at_k_frame_and_paired_comparison() {
    let mk = |task: &str, idx: i64, passed: bool| verdict(task, idx, "m", passed);
    // Task a: 2 of 5 pass; task b: 0 of 5.
    let mut rows = vec![];
    for i in 0..5 {
        rows.push(mk("a", i, i < 2));
        rows.push(mk("b", i, false));
    }
    let df = pass_at_k_frame(&results_frame(&rows).unwrap(), &[1, 2, 5]).unwrap();
    let v = df.column("pass_at_k").unwrap().f64().unwrap().clone();
    assert!((v.get(0).unwrap() - 0.2).abs() < 1e-12, "mean of 0.4 and 0");
    assert!(
        (v.get(1).unwrap() - 0.35).abs() < 1e-12,
        "mean of 0.7 and 0"
    );
    assert!((v.get(2).unwrap() - 0.5).abs() < 1e-12);
    let lo = df.column("ci_low").unwrap().f64().unwrap().clone();
    let hi = df.column("ci_high").unwrap().f64().unwrap().clone();
    assert!(lo.get(0).unwrap() <= 0.2 && 0.2 <= hi.get(0).unwrap());

    let base = results_frame(&[
        mk("a", 0, true),
        mk("b", 0, false),
        mk("c", 0, false),
        mk("d", 0, true),
    ])
    .unwrap();
    let method = results_frame(&[
        mk("a", 0, true),
        mk("b", 0, true),
        mk("c", 0, true),
        mk("d", 0, false),
    ])
    .unwrap();
    let p = paired(&base, &method).unwrap();
    let get = |c: &str| p.column(c).unwrap().i64().unwrap().get(0).unwrap();
    assert_eq!(
        (get("gained"), get("lost"), get("both"), get("neither")),
        (2, 1, 1, 0)
    );
    let rsr_v = p.column("rsr").unwrap().f64().unwrap().get(0).unwrap();
    assert!((rsr_v - rsr(75.0, 50.0)).abs() < 1e-9);
}

/// The frame helpers on the cases polars' grouping must get right: null keys
/// as their own group, ties in counts kept in order of first appearance,
/// numeric keys keeping their dtype, keys of different dtypes in the two
/// frames of a join, null flags.
#[test]
fn frame_helpers_group_nulls_ties_and_dtypes() {
    use polars::prelude::*;
    let df = df!(
        "model" => [Some("a"), None, Some("b"), Some("a"), None, Some("b")],
        "k" => [1i64, 2, 1, 1, 2, 3],
        "task_id" => ["t1", "t2", "t1", "t3", "t2", "t1"],
        "sample_idx" => [0i64, 0, 0, 0, 1, 0],
        "passed" => [Some(true), Some(false), None, Some(false), Some(true), Some(true)],
        "recorded" => [Some(false), Some(false), Some(true), None, Some(false), Some(true)],
    )
    .unwrap();
    // Counts: a 2, null 2, b 2 (ties keep first appearance), share 1/3 each.
    let vc = value_counts(&df, &["model"]).unwrap();
    let m = vc.column("model").unwrap().str().unwrap();
    assert_eq!(
        (0..3).map(|i| m.get(i)).collect::<Vec<_>>(),
        [Some("a"), None, Some("b")]
    );
    let k = value_counts(&df, &["k"]).unwrap();
    assert_eq!(k.column("k").unwrap().dtype(), &DataType::Int64);
    assert_eq!(k.column("count").unwrap().u32().unwrap().get(0), Some(3));
    // Rates: null flags count as false.
    let r = rate_by(&df, &["model"], "passed").unwrap();
    let rate = r.column("rows_passed_share").unwrap().f64().unwrap();
    assert_eq!(
        (rate.get(0), rate.get(1), rate.get(2)),
        (Some(0.5), Some(0.5), Some(0.5))
    );
    // Solved per (model, task): b/t1 has a null and a true.
    let s = solved_by_any(&df, &["model"]).unwrap();
    assert_eq!(s.height(), 4);
    assert_eq!(s.column("n_passed").unwrap().i64().unwrap().get(2), Some(1));
    // First per group, in order of first appearance, nulls a group.
    let f = first_per_group(&df, &["model"]).unwrap();
    assert_eq!(
        f.column("k").unwrap().i64().unwrap().to_vec(),
        [Some(1), Some(2), Some(1)]
    );
    // Both set and different: rows 0 and 4 only.
    let d = rows_differing(&df, "passed", "recorded").unwrap();
    assert_eq!(
        d.column("k").unwrap().i64().unwrap().to_vec(),
        [Some(1), Some(2)]
    );
    // Semi-join across dtypes (i64 against text): k in {"1", "3"}.
    let other = df!("k" => ["1", "3", "9"]).unwrap();
    assert_eq!(semi_join(&df, &other, "k").unwrap().height(), 4);
    // Metadata joined on (model, task_id, sample_idx) with sample_idx u32 in
    // the generations; the null-model rows match the null-model generation.
    let gens = df!(
        "model" => [Some("a"), None, Some("b")],
        "task_id" => ["t1", "t2", "t1"],
        "sample_idx" => [0u32, 1, 0],
        "gen_metadata" => [r#"{"gamma": 0.5, "passed": true}"#, r#"{"gamma": 1}"#, "{}"],
    )
    .unwrap();
    let out = with_metadata(&df, &gens, &["gamma", "passed"]).unwrap();
    let g = out.column("gamma").unwrap().f64().unwrap();
    assert_eq!(g.to_vec(), [Some(0.5), None, None, None, Some(1.0), None]);
    let gp = out.column("gen_passed").unwrap().bool().unwrap();
    assert_eq!(gp.get(0), Some(true));
    // Bad metadata names its column and row.
    let bad =
        df!("model" => ["a"], "task_id" => ["t1"], "sample_idx" => [0i64], "gen_metadata" => ["{"])
            .unwrap();
    let e = with_metadata(&df, &bad, &["gamma"])
        .unwrap_err()
        .to_string();
    assert!(e.contains("gen_metadata") && e.contains("row 0"), "{e}");
}

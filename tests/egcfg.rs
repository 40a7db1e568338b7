//! EG-CFG (issue 7 part 1): the sandboxed line tracer on real programs, and
//! execution-guided decoding with the real Qwen2.5-Coder-0.5B GGUF.

mod common;

use codefail::exec::{TraceConfig, TraceJob, trace_programs};

fn job(code: &str, tests: &[&str], entry: &str) -> TraceJob {
    TraceJob {
        code: code.into(),
        invocations: vec![],
        tests: tests.iter().map(|t| t.to_string()).collect(),
        entry_point: Some(entry.into()),
    }
}

fn cfg() -> TraceConfig {
    TraceConfig {
        timeout: 2.0,
        jobs: 2,
        ..TraceConfig::default()
    }
}

#[test]
fn a_partial_loop_is_completed_and_traced_line_by_line() {
    let out = trace_programs(
        &[job(
            "def add(a, b):\n    s = a\n    for _ in range(b):\n        s += 1\n    return s +",
            &["assert add(2, 3) == 5", "assert add(0, 1) == 1"],
            "add",
        )],
        &cfg(),
    )
    .expect("trace");
    let p = &out[0];
    let program = p.program.as_deref().expect("a runnable prefix");
    // The half-written last line cannot parse: it is dropped, the rest kept.
    assert!(!program.contains("return"), "{program}");
    assert!(program.contains("s += 1"), "{program}");
    assert_eq!(p.traces.len(), 2);
    let t = &p.traces[0];
    assert_eq!(t.invocation, "add(2, 3)");
    assert_eq!(t.status, "returned");
    let text = t.format();
    assert!(text.starts_with("call add(a=2, b=3)\n"), "{text}");
    // Each line shows the locals that changed before it runs.
    assert!(
        text.contains("\nL2  s = a\nL3  for _ in range(b):  | s=2\nL4  s += 1  | _=0\n"),
        "{text}"
    );
    assert!(
        text.contains("L3  for _ in range(b):  | s=5\nreturn None from add\n"),
        "{text}"
    );
    assert!(text.ends_with("Returned: None"), "{text}");
    assert_eq!(p.traces[1].invocation, "add(0, 1)");
}

#[test]
fn exceptions_endless_loops_and_unparsable_code_give_their_outcome() {
    let jobs = [
        job("def f(x):\n    return 10 // x", &["assert f(0) == 1"], "f"),
        job(
            "def f(x):\n    while True:\n        x += 1",
            &["assert f(1) == 2"],
            "f",
        ),
        job("def f(x:\n", &["assert f(1) == 2"], "f"),
        job(
            "import os\ndef f(x):\n    print('hi', x)\n    return os.getpid() > 0",
            &["assert f(3)"],
            "f",
        ),
    ];
    let out = trace_programs(&jobs, &cfg()).expect("trace");
    let t = &out[0].traces[0];
    assert_eq!(t.status, "exception", "{t:?}");
    assert!(
        t.format()
            .ends_with("Raised: ZeroDivisionError: integer division or modulo by zero (line 2)"),
        "{}",
        t.format()
    );
    // An endless loop is cut at max_steps and reported at once, not after
    // the timeout.
    let t = &out[1].traces[0];
    assert!(t.truncated, "{t:?}");
    assert_eq!(t.steps.len(), cfg().max_steps);
    assert!(
        t.format().contains("(trace cut after 40 events)"),
        "{}",
        t.format()
    );
    // Nothing before the broken header parses: the minimal completion keeps
    // no function, and the call fails to find it.
    let p = &out[2];
    if let Some(prog) = &p.program {
        assert!(p.traces[0].status != "returned", "{prog:?} {:?}", p.traces);
    }
    // Output is captured and shown, the program ran in the sandbox.
    let t = &out[3].traces[0];
    assert_eq!(t.status, "returned", "{t:?}");
    assert_eq!(t.stdout, "hi 3\n");
    assert!(t.format().contains("Stdout: \"hi 3\\n\""), "{}", t.format());
}

#[test]
fn egcfg_guides_a_real_model_and_writes_egcfg_files_that_resume() {
    use codefail::data::{LoadOptions, load, load_generations};
    use codefail::methods::{EgCfgConfig, egcfg};
    use codefail::sample::{Model, ModelOptions, SampleConfig, Sampling, sample};
    use polars::prelude::*;

    let Some(path) = common::fetched_model("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf") else {
        return;
    };
    if common::shared_data().is_none() {
        return;
    }
    let model = Model::load(path.to_str().unwrap(), &ModelOptions::default()).unwrap();
    // Mbpp/17 (square perimeter): short answers, so the test stays cheap.
    let problems = load(
        "mbpp",
        &LoadOptions {
            split: Some("test".into()),
            task_ids: Some(vec!["Mbpp/17".into()]),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(problems.height(), 1);
    let dir = tempfile::tempdir().unwrap();
    let cfg = EgCfgConfig {
        candidates: 2,
        gammas: vec![0.0, 1.0],
        max_new_tokens: 160,
        out_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let run = egcfg(&problems, &model, &cfg).unwrap();
    let str_col = |df: &DataFrame, c: &str| -> Vec<String> {
        df.column(c)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|s| s.unwrap_or("").to_string())
            .collect()
    };
    let raw = str_col(&run.generations, "raw_output");
    let meta: Vec<serde_json::Value> = str_col(&run.generations, "gen_metadata")
        .iter()
        .map(|m| serde_json::from_str(m).unwrap())
        .collect();
    assert_eq!(raw.len(), 2);
    assert_eq!(run.results.height(), 2);

    // Gamma 0 is the plain greedy answer of the same model and prompt.
    let plain = sample(
        &problems,
        &model,
        &SampleConfig {
            sampling: Sampling {
                max_new_tokens: 160,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    let plain_raw = str_col(&plain, "raw_output");
    assert!(
        plain_raw[0].starts_with(raw[0].trim_end()),
        "gamma 0:\n{}\nplain greedy:\n{}",
        raw[0],
        plain_raw[0]
    );
    // (EG-CFG ends it where test code after the function begins.)
    let code0 = str_col(&run.generations, "code")[0].clone();
    assert!(code0.contains("def "), "{code0}");
    assert!(
        str_col(&plain, "code")[0].starts_with(code0.trim_end()),
        "{code0}"
    );
    assert_eq!(meta[0]["stats"]["signals"], 0, "{}", meta[0]);

    // Gamma 1 built signals from traced candidates and decoded under them.
    let st = &meta[1]["stats"];
    assert!(st["lines"].as_u64().unwrap() >= 1, "{st}");
    assert!(st["signals"].as_u64().unwrap() >= 1, "{st}");
    assert!(st["traced"].as_u64().unwrap() >= 1, "{st}");
    assert!(st["cond_prefill_tokens"].as_u64().unwrap() > 0, "{st}");
    assert_eq!(meta[1]["gamma"], 1.0);
    eprintln!("gamma 1 answer:\n{}\nstats: {st}", raw[1]);

    // EG-CFG's layout, read back by the importer with the same code.
    let folder = dir.path().join(cfg.name());
    for g in ["0.0", "1.0"] {
        assert!(
            folder.join(format!("task_id=17_gamma={g}.json")).is_file(),
            "{g}"
        );
    }
    let (back, _) = load_generations(folder.to_str().unwrap(), &Default::default()).unwrap();
    assert_eq!(back.height(), 2);
    let mut want = str_col(&run.generations, "code");
    let mut got = str_col(&back, "code");
    want.sort();
    got.sort();
    assert_eq!(got, want);

    // Every decoded answer is in the checkpoint beside the folder; a second
    // run takes them from there and decodes nothing again, even with the
    // output files gone (they are written again).
    let checkpoint = cfg.checkpoint_path().unwrap();
    assert_eq!(common::count_lines(&checkpoint), 2);
    std::fs::remove_dir_all(&folder).unwrap();
    let again = egcfg(&problems, &model, &cfg).unwrap();
    assert_eq!(str_col(&again.generations, "raw_output"), raw);
    for m in str_col(&again.generations, "gen_metadata") {
        assert!(
            m.contains("resumed_from") && m.contains("checkpoint.jsonl"),
            "{m}"
        );
    }
    assert!(folder.join("task_id=17_gamma=1.0.json").is_file());
    assert_eq!(common::count_lines(&checkpoint), 2);
}

/// Shards of an EG-CFG run are merged by `codefail egcfg --collect`: every
/// answer's file is read back and evaluated again without loading the model,
/// and answers whose shard has not run are named, not decoded.
#[test]
fn collect_merges_egcfg_files_without_the_model_and_names_missing_answers() {
    if common::shared_data().is_none() {
        return;
    }
    let fixture = common::fixtures().join("egcfg/qwen2.5-coder-0.5b.mbpp-test");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("egcfg");
    let folder = out.join("ns3t0.7d2");
    std::fs::create_dir_all(&folder).unwrap();
    for t in [11, 12] {
        for g in ["0.0", "1.0"] {
            let name = format!("task_id={t}_gamma={g}.json");
            std::fs::copy(fixture.join("ns3t0.7d2").join(&name), folder.join(&name)).unwrap();
        }
    }
    let results = tmp.path().join("results.parquet");
    let runs = tmp.path().join("runs");
    let collect = |extra: &[&str]| {
        let mut cmd = common::codefail();
        cmd.args(["--runs-dir", runs.to_str().unwrap()]);
        cmd.args(["egcfg", "--collect", "--dataset", "mbpp", "--split", "test"]);
        cmd.args(["--task-ids", "11,12,20", "--gammas", "0,1"]);
        // Not fetched on this machine is fine: --collect never loads it.
        cmd.args(["--model", "qwen2.5-coder-0.5b"]);
        cmd.args(["--out-dir", out.to_str().unwrap()]);
        cmd.args(["--results", results.to_str().unwrap()]);
        cmd.args(extra);
        cmd.output().unwrap()
    };

    // Task 20's shard has not run: both of its answers are named, the
    // command fails and writes nothing.
    let o = collect(&[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{stderr}");
    assert!(stderr.contains("2 of 6 answers have no file"), "{stderr}");
    assert!(
        stderr.contains("Mbpp/20 gamma=0.0") && stderr.contains("Mbpp/20 gamma=1.0"),
        "{stderr}"
    );
    assert!(!results.exists());
    assert!(
        !folder.join("task_id=20_gamma=0.0.json").exists(),
        "nothing decoded"
    );

    // With --allow-missing the four answers found are evaluated and written,
    // with the verdicts their files recorded.
    let o = collect(&["--allow-missing"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    let df = codefail::data::read_parquet(&results).unwrap();
    assert_eq!(df.height(), 4);
    let passed: Vec<bool> = df
        .column("passed")
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .map(|b| b.unwrap())
        .collect();
    let mut recorded = Vec::new();
    for t in [11, 12] {
        for g in ["0.0", "1.0"] {
            let rec: serde_json::Value = serde_json::from_slice(
                &std::fs::read(folder.join(format!("task_id={t}_gamma={g}.json"))).unwrap(),
            )
            .unwrap();
            recorded.push(rec["passed"].as_bool().unwrap());
        }
    }
    assert_eq!(passed, recorded);
    let models = df.column("model").unwrap().str().unwrap().clone();
    assert_eq!(
        models.get(0),
        Some("qwen2.5-coder-0.5b-instruct-q4_k_m"),
        "the name loading the model would give"
    );
}

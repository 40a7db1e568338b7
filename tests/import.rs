//! Importers of published generations, and their error messages.

mod common;

use std::io::Write;

use codefail::data::*;

#[test]
fn deepseek_official_file_duplicate_and_missing_are_reported() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let path = data.join("generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl");
    let (df, report) = load_generations(&path, &Default::default()).unwrap();
    assert_eq!(df.height(), 500);
    assert_eq!(report.format, "official-eval");
    let rows = generations_from_frame(&df).unwrap();
    let distinct: std::collections::BTreeSet<_> = rows.iter().map(|g| &g.task_id).collect();
    assert_eq!(distinct.len(), 499);
    assert_eq!(report.duplicates, vec![("Mbpp/99".to_string(), 2)]);
    assert_eq!(report.missing, vec!["Mbpp/100".to_string()]);
    assert_eq!(rows[0].task_id, "Mbpp/11");
    assert_eq!(rows[0].model, "deepseek-coder-1.3b-instruct");
    assert!(
        rows[0]
            .code
            .as_deref()
            .unwrap()
            .starts_with("def remove_Occ")
    );
    let dup: Vec<_> = rows
        .iter()
        .filter(|g| g.task_id == "Mbpp/99")
        .map(|g| g.sample_idx)
        .collect();
    assert_eq!(
        dup,
        vec![0, 1],
        "the duplicate is kept as a second sample, visibly"
    );
    assert_eq!(report.warnings().len(), 2);
}

#[test]
fn egcfg_results_folder() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let dir = data.join("generations/egcfg-deepseek-coder-1.3b-instruct-ns2t0.7");
    let (df, report) = load_generations(&dir, &Default::default()).unwrap();
    // 1721 files, 10 of them empty in the published folder: skipped, listed.
    assert_eq!(report.unreadable.len(), 10, "{:?}", report.unreadable);
    assert!(report.unreadable.iter().all(|u| u.contains("empty file")));
    assert_eq!(df.height(), 1711);
    assert_eq!(report.format, "egcfg-results");
    assert!(report.duplicates.is_empty());
    let rows = generations_from_frame(&df).unwrap();
    let null_100 = rows
        .iter()
        .find(|g| g.task_id == "Mbpp/100" && g.metadata_json()["gamma"] == 0.0)
        .unwrap();
    assert!(
        null_100.code.is_none(),
        "code: null is a generation error row"
    );
    assert_eq!(
        null_100.metadata_json()["general_error"],
        "<class 'IndexError'>"
    );
    let g = rows
        .iter()
        .find(|g| g.task_id == "Mbpp/100" && g.metadata_json()["gamma"] == 0.5)
        .unwrap();
    assert!(
        g.code
            .as_deref()
            .unwrap()
            .contains("next_smallest_palindrome")
    );
    assert_eq!(g.metadata_json()["recorded_passed"], false);
    assert_eq!(g.metadata_json()["s"], 2);
    assert_eq!(
        report.n_no_code,
        rows.iter().filter(|g| g.code.is_none()).count()
    );
    assert!(report.n_no_code > 0);
}

#[test]
fn lcb_checkpoints() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let (df, report) = load_generations(
        data.join("lcb-atcoder/checkpoints-qwen2.5-coder-1.5b-lora.jsonl"),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(df.height(), 738);
    assert_eq!(report.format, "lcb-checkpoints");
    assert!(report.duplicates.is_empty(), "{:?}", report.duplicates);
    let rows = generations_from_frame(&df).unwrap();
    let models: std::collections::BTreeSet<_> = rows.iter().map(|g| g.model.as_str()).collect();
    assert_eq!(models.len(), 18, "9 checkpoints x 2 variants");
    let m = rows[0].metadata_json();
    assert_eq!(m["variant"], "deep_instruction");
    assert_eq!(m["checkpoint_step"], 100);
    assert!(m["passed"].is_boolean());
}

fn write(dir: &tempfile::TempDir, name: &str, text: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::File::create(&p).unwrap().write_all(text).unwrap();
    p
}

#[test]
fn evalplus_samples_solution_and_completion() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "s.jsonl",
        br#"{"task_id": "Mbpp/2", "solution": "def f():\n    return 1\n"}
{"task_id": "Mbpp/2", "solution": "```python\ndef f():\n    return 2\n```"}
{"task_id": 3, "completion": "    return 3\n"}
"#,
    );
    let (df, report) = load_generations(&p, &Default::default()).unwrap();
    assert_eq!(report.format, "evalplus");
    let rows = generations_from_frame(&df).unwrap();
    assert_eq!(
        rows.iter()
            .map(|g| (g.task_id.as_str(), g.sample_idx))
            .collect::<Vec<_>>(),
        [("Mbpp/2", 0), ("Mbpp/2", 1), ("Mbpp/3", 0)]
    );
    assert_eq!(rows[1].code.as_deref(), Some("def f():\n    return 2\n"));
    assert_eq!(rows[2].metadata_json()["is_completion"], true);
    assert!(
        report.duplicates.is_empty(),
        "two samples for one task and one for another is not a duplicate: {:?}",
        report.duplicates
    );
}

#[test]
fn generation_result_round_trip() {
    let Some(_) = common::shared_data() else {
        return;
    };
    let problems = load_problems(
        "mbpp",
        &LoadOptions {
            task_ids: Some(vec!["11".into()]),
            ..Default::default()
        },
    )
    .unwrap();
    let gens = vec![Generation {
        task_id: "Mbpp/11".into(), sample_idx: 0, model: "qwen".into(), prompt_id: "mbpp-instruct".into(),
        raw_output: "```python\ndef remove_Occ(s, c): return s\n```".into(),
        code: Some("def remove_Occ(s, c): return s\n".into()),
        gen_metadata: r#"{"temperature": 0.0, "full_message_history": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "```python\ndef remove_Occ(s, c): return s\n```"}]}"#.into(),
    }];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gr.jsonl");
    write_generation_results(&path, &problems, &gens).unwrap();
    let v: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(v["problem"]["metadata"]["func_name"], "remove_Occ");
    assert_eq!(
        v["problem"]["test_cases"].as_array().unwrap().len(),
        problems[0].tests.len()
    );
    assert!(
        v["problem"]["test_cases"][0]["input"]
            .as_str()
            .unwrap()
            .starts_with("assert remove_Occ")
    );
    assert_eq!(v["generation_metadata"]["model"], "qwen");
    assert_eq!(v["full_message_history"].as_array().unwrap().len(), 2);
    let (df, report) = load_generations(&path, &Default::default()).unwrap();
    assert_eq!(report.format, "generation-result");
    let back = generations_from_frame(&df).unwrap();
    assert_eq!(back[0].task_id, "Mbpp/11");
    assert_eq!(back[0].code, gens[0].code);
    assert_eq!(back[0].raw_output, gens[0].raw_output);
    assert_eq!(back[0].model, "qwen");
    assert_eq!(
        back[0].metadata_json()["full_message_history"],
        gens[0].metadata_json()["full_message_history"]
    );
}

#[test]
fn bad_input_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    // Bad JSON on line 2.
    let p = write(
        &dir,
        "bad.jsonl",
        b"{\"task_id\": 1, \"solution\": \"x\"}\n{not json\n",
    );
    let e = load_generations(&p, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bad.jsonl:2:") && e.contains("invalid JSON"),
        "{e}"
    );
    // Missing field on line 2.
    let p = write(
        &dir,
        "missing.jsonl",
        b"{\"task_id\": 1, \"solution\": \"x\"}\n{\"solution\": \"y\"}\n",
    );
    let e = load_generations(&p, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("missing.jsonl:2:") && e.contains("`task_id`"),
        "{e}"
    );
    // Wrong type.
    let p = write(
        &dir,
        "type.jsonl",
        b"{\"task_id\": [1], \"solution\": \"x\"}\n",
    );
    let e = load_generations(&p, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("type.jsonl:1:") && e.contains("`task_id`"),
        "{e}"
    );
    // Non-UTF-8 on line 3.
    let p = write(
        &dir,
        "latin.jsonl",
        b"{\"task_id\": 1, \"solution\": \"x\"}\n\n{\"task_id\": 2, \"solution\": \"caf\xe9\"}\n",
    );
    let e = load_generations(&p, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("latin.jsonl:3:") && e.contains("UTF-8"), "{e}");
    // Unknown format.
    let p = write(&dir, "odd.jsonl", b"{\"foo\": 1}\n");
    let e = load_generations(&p, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("odd.jsonl:1:") && e.contains("unknown generations format"),
        "{e}"
    );
    // A benchmark file with a wrong field type names the field.
    let p = write(&dir, "mbpp.jsonl", b"{\"task_id\": 1, \"text\": \"t\", \"code\": \"def f(): pass\", \"test_list\": \"assert f()\"}\n");
    let e = load(
        "mbpp",
        &LoadOptions {
            path: Some(p),
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("mbpp.jsonl:1:") && e.contains("test_list"),
        "{e}"
    );
    // A codefail generations file with a missing column names it.
    let p = write(
        &dir,
        "g.jsonl",
        b"{\"task_id\": \"a\", \"sample_idx\": 0, \"raw_output\": \"x\"}\n",
    );
    let e = load_generations(&p, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("g.jsonl:1:") && e.contains("model"), "{e}");
    // GenerationResult with a bad nested field.
    let p = write(
        &dir,
        "gr.jsonl",
        b"{\"problem\": {\"problem\": \"x\"}, \"final_code\": \"x\"}\n",
    );
    let e = load_generations(&p, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("gr.jsonl:1:") && e.contains("problem.problem_id"),
        "{e}"
    );
}

#[test]
fn a_stray_task_id_gives_a_short_warning_and_the_full_missing_list() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stray.jsonl");
    std::fs::write(
        &path,
        "{\"task_id\": \"Mbpp/11\", \"solution\": \"x = 1\"}\n{\"task_id\": \"Mbpp/9999\", \"solution\": \"x = 2\"}\n",
    )
    .unwrap();
    let (df, report) = load_generations(&path, &Default::default()).unwrap();
    assert_eq!(df.height(), 2);
    // Every id between the two is missing, and the report keeps them all.
    assert_eq!(report.missing.len(), 9999 - 11 - 1);
    assert_eq!(report.missing[0], "Mbpp/12");
    let warnings = report.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    // The warning names the first twenty and counts the rest.
    let w = &warnings[0];
    assert!(w.starts_with("9987 task id(s) missing"), "{w}");
    assert!(w.contains("Mbpp/31, ... and 9967 more"), "{w}");
    assert!(!w.contains("Mbpp/32"), "{w}");
    assert!(w.len() < 400, "{w}");
}

/// The CLI's error line for `args` (stderr's last line), and its exit code.
fn cli_error(args: &[&str]) -> (String, Option<i32>) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_codefail"))
        .arg("--no-track")
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last().unwrap_or("").to_string();
    (last, out.status.code())
}

#[test]
fn cli_errors_name_the_file_and_say_the_reason_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.parquet");
    let (line, code) = cli_error(&["summary", missing.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(
        line.starts_with("error: ") && line.contains("nope.parquet"),
        "{line}"
    );
    let reason = std::io::Error::from_raw_os_error(2).to_string();
    assert_eq!(line.matches(&reason).count(), 1, "{line}");

    // A file that is not parquet: the whole file is concerned, no line 0.
    let garbage = dir.path().join("garbage.parquet");
    std::fs::write(&garbage, "not parquet\n").unwrap();
    let (line, code) = cli_error(&["summary", garbage.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(line.contains("garbage.parquet: "), "{line}");
    assert!(!line.contains("garbage.parquet:0"), "{line}");
}

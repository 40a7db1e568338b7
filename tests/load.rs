//! The `load` stage on the real benchmark files and the project's fixtures.

mod common;

use std::collections::BTreeSet;

use codefail::data::*;
use polars::prelude::*;

fn opts() -> LoadOptions {
    LoadOptions::default()
}

#[test]
fn benchmark_sizes_are_the_published_ones() {
    if common::shared_data().is_none() {
        return;
    }
    assert_eq!(load("mbpp", &opts()).unwrap().height(), 974);
    let sanitized = LoadOptions {
        config: Some("sanitized".into()),
        ..opts()
    };
    assert_eq!(load("mbpp", &sanitized).unwrap().height(), 427);
    assert_eq!(load("mbppplus", &opts()).unwrap().height(), 399);
    assert_eq!(load("humaneval", &opts()).unwrap().height(), 164);
    assert_eq!(load("lcb-atcoder", &opts()).unwrap().height(), 41);
}

#[test]
fn mbpp_splits_follow_the_original_release() {
    if common::shared_data().is_none() {
        return;
    }
    let all = load_problems("mbpp", &opts()).unwrap();
    let count = |s: &str| all.iter().filter(|p| p.split == s).count();
    assert_eq!(
        (
            count("prompt"),
            count("test"),
            count("validation"),
            count("train")
        ),
        (10, 500, 90, 374)
    );
    let test = load(
        "mbpp",
        &LoadOptions {
            split: Some("test".into()),
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(test.height(), 500);
    let ids = test.column("task_id").unwrap().str().unwrap().clone();
    assert_eq!(ids.get(0), Some("Mbpp/11"));
    assert_eq!(ids.get(499), Some("Mbpp/510"));
}

#[test]
fn every_mbpp_entry_point_is_a_function_the_reference_defines() {
    if common::shared_data().is_none() {
        return;
    }
    for config in ["full", "sanitized"] {
        let all = load_problems(
            "mbpp",
            &LoadOptions {
                config: Some(config.into()),
                ..opts()
            },
        )
        .unwrap();
        for p in &all {
            let ep = p
                .entry_point
                .as_deref()
                .unwrap_or_else(|| panic!("{} has no entry point", p.task_id));
            let reference = p.reference.as_deref().unwrap();
            assert!(
                reference.contains(&format!("def {ep}")),
                "{} ({config}): entry point {ep} not defined by the reference",
                p.task_id
            );
            assert!(
                p.tests.iter().filter(|t| t.group == "base").all(|t| t
                    .code
                    .as_deref()
                    .unwrap()
                    .contains(ep))
            );
        }
    }
}

#[test]
fn mbpp_quirks_are_kept() {
    if common::shared_data().is_none() {
        return;
    }
    let all = load_problems("mbpp", &opts()).unwrap();
    let t1 = &all[0];
    assert_eq!(t1.task_id, "Mbpp/1");
    assert!(
        t1.reference.as_deref().unwrap().contains("\r\n"),
        "CRLF kept verbatim"
    );
    assert!(
        all.iter().any(|p| !p.setup_code.is_empty()),
        "some test_setup_code is non-empty"
    );
    assert!(
        all.iter()
            .any(|p| p.tests.iter().any(|t| t.group == "challenge" && !t.public))
    );
}

#[test]
fn public_private_split_on_mbpp() {
    if common::shared_data().is_none() {
        return;
    }
    let o = LoadOptions {
        split: Some("test".into()),
        public: PublicSplit {
            n_public: Some(1),
            ..Default::default()
        },
        ..opts()
    };
    let p = load_problems("mbpp", &o).unwrap();
    for prob in &p {
        let base: Vec<_> = prob.tests.iter().filter(|t| t.group == "base").collect();
        assert_eq!(
            base.iter().filter(|t| t.public).count(),
            1,
            "{}",
            prob.task_id
        );
        assert!(base[0].public, "without a seed the first test is public");
    }
    let seeded = LoadOptions {
        public: PublicSplit {
            n_public: Some(1),
            seed: Some(3),
            ..Default::default()
        },
        ..o.clone()
    };
    let a = load_problems("mbpp", &seeded).unwrap();
    let moved = a.iter().filter(|p| !p.tests[0].public).count();
    assert!(
        moved > 100,
        "a seeded split picks other tests too ({moved})"
    );
    assert_eq!(
        a,
        load_problems("mbpp", &seeded).unwrap(),
        "same seed, same split"
    );
}

#[test]
fn mbppplus_inputs_and_tolerances() {
    if common::shared_data().is_none() {
        return;
    }
    let all = load_problems("mbppplus", &opts()).unwrap();
    let p2 = all.iter().find(|p| p.task_id == "Mbpp/2").unwrap();
    assert_eq!(p2.entry_point.as_deref(), Some("similar_elements"));
    assert_eq!(
        p2.prompt,
        "Write a function to find the shared elements from the given two lists."
    );
    let base: Vec<_> = p2.tests.iter().filter(|t| t.group == "base").collect();
    assert_eq!(base.len(), 3);
    assert_eq!(
        base[0].input.as_deref(),
        Some("[[3, 4, 5, 6], [5, 7, 4, 10]]")
    );
    assert!(
        p2.tests
            .iter()
            .all(|t| t.kind == TestKind::Call && t.expected.is_none())
    );
    assert!(p2.tests.iter().any(|t| t.group == "plus" && !t.public));
    assert!(all.iter().any(|p| p.atol > 0.0), "float tasks carry atol");
    // Python's JSON extension survives: Mbpp/404 has Infinity inputs.
    let p404 = all.iter().find(|p| p.task_id == "Mbpp/404").unwrap();
    assert!(
        p404.tests
            .iter()
            .any(|t| t.input.as_deref().unwrap().contains("Infinity"))
    );
    // Mbpp/793 stores `plus_input: {}`: no plus tests.
    let p793 = all.iter().find(|p| p.task_id == "Mbpp/793").unwrap();
    assert!(p793.tests.iter().all(|t| t.group == "base"));
    // Big integers keep every digit.
    let big = all
        .iter()
        .flat_map(|p| &p.tests)
        .filter_map(|t| t.input.as_deref())
        .any(|i| i.split(|c: char| !c.is_ascii_digit()).any(|d| d.len() > 20));
    assert!(big);
}

#[test]
fn humaneval_and_lcb_shapes() {
    if common::shared_data().is_none() {
        return;
    }
    let he = load_problems("humaneval", &opts()).unwrap();
    assert_eq!(he[0].task_id, "HumanEval/0");
    assert!(
        he[0].tests[0]
            .code
            .as_deref()
            .unwrap()
            .ends_with("check(has_close_elements)\n")
    );
    assert!(
        he[0]
            .reference
            .as_deref()
            .unwrap()
            .starts_with(&he[0].prompt)
    );
    let lcb = load_problems("lcb-atcoder", &opts()).unwrap();
    assert!(
        lcb.iter()
            .all(|p| p.test_type == TestType::Stdin && p.entry_point.is_none())
    );
    assert_eq!(lcb.iter().map(|p| p.tests.len()).sum::<usize>(), 118);
}

#[test]
fn filters_limit_and_task_ids() {
    if common::shared_data().is_none() {
        return;
    }
    let o = LoadOptions {
        task_ids: Some(vec!["11".into(), "Mbpp/12".into(), "9999".into()]),
        ..opts()
    };
    let p = load_problems("mbpp", &o).unwrap();
    assert_eq!(
        p.iter().map(|p| p.task_id.as_str()).collect::<Vec<_>>(),
        ["Mbpp/11", "Mbpp/12"]
    );
    let o = LoadOptions {
        split: Some("train".into()),
        limit: Some(7),
        ..opts()
    };
    assert_eq!(load("mbpp", &o).unwrap().height(), 7);
}

#[test]
fn problems_round_trip_parquet_and_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let mut frames = vec![];
    if common::shared_data().is_some() {
        for name in ["mbpp", "mbppplus", "humaneval", "lcb-atcoder"] {
            frames.push(load(name, &opts()).unwrap());
        }
    }
    for config in ["lcbv5", "taco"] {
        let path = common::fixtures().join(format!("deepcoder/{config}.jsonl"));
        frames.push(
            load(
                "deepcoder",
                &LoadOptions {
                    config: Some(config.into()),
                    path: Some(path),
                    ..opts()
                },
            )
            .unwrap(),
        );
    }
    for (i, df) in frames.iter_mut().enumerate() {
        for ext in ["parquet", "jsonl"] {
            let path = dir.path().join(format!("p{i}.{ext}"));
            write_problems(df, &path).unwrap();
            let back = read_problems(&path).unwrap();
            assert!(
                back.equals_missing(df),
                "round trip through {ext} changed frame {i}"
            );
            assert_eq!(
                problems_from_frame(&back).unwrap(),
                problems_from_frame(df).unwrap()
            );
        }
    }
}

#[test]
fn generations_round_trip_parquet_and_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let rows = vec![
        Generation {
            task_id: "Mbpp/2".into(),
            sample_idx: 0,
            model: "m".into(),
            prompt_id: "p".into(),
            raw_output: "```python\nx = 1\n```".into(),
            code: Some("x = 1\n".into()),
            gen_metadata: r#"{"temperature":0.8}"#.into(),
        },
        Generation {
            task_id: "Mbpp/2".into(),
            sample_idx: 1,
            model: "m".into(),
            prompt_id: "p".into(),
            raw_output: "é \u{1F600}".into(),
            code: None,
            gen_metadata: "{}".into(),
        },
    ];
    let mut df = generations_frame(&rows).unwrap();
    for ext in ["parquet", "jsonl"] {
        let path = dir.path().join(format!("g.{ext}"));
        write_generations(&mut df, &path).unwrap();
        let back = read_generations(&path).unwrap();
        assert!(back.equals_missing(&df), "{ext}");
        assert_eq!(generations_from_frame(&back).unwrap(), rows);
    }
}

#[test]
fn deepcoder_configs_from_fixtures() {
    for (config, n) in [
        ("lcbv5", 3),
        ("primeintellect", 2),
        ("taco", 2),
        ("codeforces", 2),
    ] {
        for ext in ["jsonl", "parquet"] {
            let path = common::fixtures().join(format!("deepcoder/{config}.{ext}"));
            let p = load_problems(
                "deepcoder",
                &LoadOptions {
                    config: Some(config.into()),
                    path: Some(path),
                    ..opts()
                },
            )
            .unwrap();
            assert_eq!(p.len(), n, "{config}.{ext}");
            assert!(
                p.iter().all(|p| !p.tests.is_empty()),
                "{config}.{ext}: every problem has tests"
            );
            for prob in &p {
                let calls = prob
                    .tests
                    .iter()
                    .filter(|t| t.kind == TestKind::Call)
                    .count();
                if calls > 0 {
                    assert!(
                        prob.entry_point.is_some(),
                        "{config}: call tests need a function name"
                    );
                    assert_eq!(prob.test_type, TestType::Functional);
                } else {
                    assert_eq!(prob.test_type, TestType::Stdin);
                }
            }
        }
    }
    let lcb = load_problems(
        "deepcoder",
        &LoadOptions {
            config: Some("lcbv5".into()),
            path: Some(common::fixtures().join("deepcoder/lcbv5.jsonl")),
            ..opts()
        },
    )
    .unwrap();
    let func = lcb.iter().find(|p| p.entry_point.is_some()).unwrap();
    assert_eq!(func.entry_point.as_deref(), Some("sumOfLargest"));
    let t = &func.tests[0];
    let args: serde_json::Value = serde_json::from_str(t.input.as_deref().unwrap()).unwrap();
    assert!(
        args.is_array(),
        "functional input lines become an argument list"
    );
    assert!(load("deepcoder", &opts()).is_err(), "a config is required");
}

#[test]
fn swebench_oracle_loads_without_tests() {
    for ext in ["jsonl", "parquet"] {
        let path = common::fixtures().join(format!("swebench/oracle.{ext}"));
        let p = load_problems(
            "swebench",
            &LoadOptions {
                path: Some(path),
                ..opts()
            },
        )
        .unwrap();
        assert_eq!(p.len(), 2);
        for prob in &p {
            assert_eq!(prob.test_type, TestType::Patch);
            assert!(prob.tests.is_empty());
            assert!(prob.reference.as_deref().unwrap().contains("diff --git"));
            assert!(prob.metadata_json()["FAIL_TO_PASS"].is_array());
        }
    }
}

#[test]
fn missing_source_lists_every_location_tried() {
    let err = load(
        "mbpp",
        &LoadOptions {
            path: Some("/nonexistent/mbpp.jsonl".into()),
            ..opts()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/mbpp.jsonl"), "{err}");
    let err = fetch_hub(
        "MBPP",
        &[HubFile::new(
            "google-research-datasets/mbpp",
            "full/test-00000-of-00001.parquet",
        )],
        vec!["/a/mbpp.jsonl (missing)".into()],
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("/a/mbpp.jsonl") && msg.contains("google-research-datasets/mbpp"),
        "{msg}"
    );
    assert!(
        load("nope", &opts())
            .unwrap_err()
            .to_string()
            .contains("unknown data set")
    );
}

#[test]
fn problems_schema_is_checked() {
    let df = DataFrame::new(1, vec![Column::new("task_id".into(), ["x"])]).unwrap();
    let err = check_schema(&df, &problems_schema()).unwrap_err();
    assert!(err.to_string().contains("dataset"), "{err}");
    let ids: BTreeSet<_> = problems_schema()
        .iter_names()
        .map(|n| n.to_string())
        .collect();
    assert!(ids.contains("tests") && ids.contains("atol"));
}

#[test]
fn cli_load_takes_the_name_or_dataset_as_run_does() {
    if common::shared_data().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let load = |args: &[&str], out: &str| {
        let out = tmp.path().join(out);
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_codefail"))
            .args(["--no-track", "load"])
            .args(args)
            .args(["--split", "test", "--limit", "5", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        (status, out)
    };
    let (by_name, a) = load(&["mbpp"], "a.parquet");
    let (by_flag, b) = load(&["--dataset", "mbpp"], "b.parquet");
    assert!(by_name.status.success() && by_flag.status.success());
    let (a, b) = (read_parquet(&a).unwrap(), read_parquet(&b).unwrap());
    assert_eq!(a.height(), 5);
    assert!(a.equals_missing(&b));
    // Neither, or both: clap says what is wrong.
    let (neither, _) = load(&[], "c.parquet");
    assert!(!neither.status.success());
    let (both, _) = load(&["mbpp", "--dataset", "humaneval"], "d.parquet");
    assert!(!both.status.success());
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot be used with"));
}

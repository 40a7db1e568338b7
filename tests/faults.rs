//! Fault tests: `run`, `sample`, `classify` and `repair` killed with SIGKILL
//! at several seeded random points, then resumed, give exactly the rows of an
//! uninterrupted run (none lost, none duplicated; timing fields excluded, see
//! `codefail::scale::rows_without_timing`). Set `CODEFAIL_FAULT_SEED` to
//! try other kill points.

mod common;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

/// Both tests use every core; one at a time keeps time limits honest.
static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn heavy() -> std::sync::MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

fn seed() -> u64 {
    std::env::var("CODEFAIL_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8)
}

/// Start `args`, wait until `journal` has at least `lines` lines, SIGKILL
/// the process. Returns the journal's lines after the kill, or `None` when
/// the process finished first.
fn kill_at(args: &[String], journal: &Path, lines: usize) -> Option<usize> {
    kill_when(args, lines, || common::count_lines(journal))
}

/// Start `args`, wait until `progress()` reaches `at`, SIGKILL the process.
/// Returns `progress()` after the kill, or `None` when the process finished
/// first.
fn kill_when(args: &[String], at: usize, progress: impl Fn() -> usize) -> Option<usize> {
    let mut child: Child = common::codefail()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{args:?} failed before the kill point");
            return None;
        }
        if progress() >= at {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            return Some(progress());
        }
        assert!(
            t0.elapsed() < Duration::from_secs(300),
            "no progress: {args:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn run_to_end(args: &[String]) {
    common::run_ok(args);
}

/// Kill points: `k` distinct seeded random numbers in `1..max`, ascending.
fn kill_points(k: usize, max: usize) -> Vec<usize> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed());
    let mut v: Vec<usize> = Vec::new();
    while v.len() < k {
        let p = rng.random_range(1..max);
        if !v.contains(&p) {
            v.push(p);
        }
    }
    v.sort();
    v
}

#[test]
fn run_killed_at_random_points_resumes_to_the_same_rows() {
    let _g = heavy();
    let Some(data) = common::shared_data() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let generations = common::deepseek_generations(&data);
    let args = |out: &Path| common::run_args(&generations, out);
    let reference = tmp.path().join("reference.parquet");
    run_to_end(&args(&reference));
    let want = common::comparable_rows(&reference);
    assert_eq!(want.len(), 500);

    let out = tmp.path().join("killed.parquet");
    let journal = codefail::scale::checkpoint_path(&out);
    let points = kill_points(4, 490);
    let mut seen = Vec::new();
    let mut before = 0;
    for &p in &points {
        let after =
            kill_at(&args(&out), &journal, p).expect("the run finished before its kill point");
        assert!(after >= before, "the journal shrank: {before} -> {after}");
        assert!(!out.exists(), "no output before the run finishes");
        seen.push(after);
        before = after;
    }
    let manifest = codefail::scale::Manifest::read(&codefail::scale::manifest_path(&out)).unwrap();
    assert!(!manifest.finished);
    assert_eq!(manifest.attempts, points.len() as u32);
    run_to_end(&args(&out));
    eprintln!(
        "run: killed at checkpoint lines {points:?} (checkpoint then held {seen:?}), then resumed"
    );
    let got = common::comparable_rows(&out);
    common::assert_same_rows(&got, &want, "killed and resumed run vs one run");
    assert!(
        !journal.exists(),
        "the journal is removed once the output is written"
    );
    let manifest = codefail::scale::Manifest::read(&codefail::scale::manifest_path(&out)).unwrap();
    assert!(manifest.finished);
    assert_eq!(manifest.rows, Some(500));
}

#[test]
fn sample_killed_at_random_points_resumes_to_the_same_rows() {
    let _g = heavy();
    if common::shared_data().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (model, problems) = tiny_model_and_problems(tmp.path(), 11, 40);
    let args = |out: &Path| -> Vec<String> {
        [
            "--quiet",
            "--no-track",
            "sample",
            "--problems",
            &problems.display().to_string(),
            "--model",
            &model.display().to_string(),
            "--n",
            "2",
            "--temperature",
            "0.8",
            "--seed",
            "3",
            "--max-new-tokens",
            "48",
            "--out",
            &out.display().to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let reference = tmp.path().join("reference.parquet");
    run_to_end(&args(&reference));
    let want = common::comparable_rows(&reference);
    assert_eq!(want.len(), 80);

    let out = tmp.path().join("killed.parquet");
    let journal = codefail::scale::checkpoint_path(&out);
    // One checkpoint line per task (both its answers).
    let points = kill_points(3, 38);
    let seen = kill_at_each(&args(&out), &journal, &points);
    run_to_end(&args(&out));
    eprintln!(
        "sample: killed at checkpoint lines {points:?} (checkpoint then held {seen:?}), then resumed"
    );
    let got = common::comparable_rows(&out);
    common::assert_same_rows(&got, &want, "killed and resumed sample vs one run");
}

/// A tiny random-weight Qwen2 model (`seed`) and the first `limit` MBPP test
/// problems, written under `dir`: (model folder, problems file).
fn tiny_model_and_problems(
    dir: &Path,
    seed: u64,
    limit: usize,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let model = dir.join("tiny");
    common::tiny::tiny_model(&model, "qwen2", seed);
    let problems = dir.join("problems.parquet");
    let mut p = codefail::data::load(
        "mbpp",
        &codefail::data::LoadOptions {
            split: Some("test".into()),
            limit: Some(limit),
            ..Default::default()
        },
    )
    .unwrap();
    codefail::data::write_problems(&mut p, &problems).unwrap();
    (model, problems)
}

/// Start `args` once per kill point and SIGKILL it when `journal` reaches
/// that many lines; the journal's lines after each kill. A run that finishes
/// before its kill point fails the test.
fn kill_at_each(args: &[String], journal: &Path, points: &[usize]) -> Vec<usize> {
    points
        .iter()
        .map(|&p| {
            kill_at(args, journal, p)
                .unwrap_or_else(|| panic!("{args:?} finished before its kill point {p}"))
        })
        .collect()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn classify_killed_at_random_points_resumes_to_the_same_rows() {
    let _g = heavy();
    let Some(data) = common::shared_data() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // Results of the first 48 DeepSeek-Coder-1.3B generations (recorded 8
    // tasks at a time; semantic classification on).
    let (gens, _) =
        codefail::data::load_generations(common::deepseek_generations(&data), &Default::default())
            .unwrap();
    let gens_path = tmp.path().join("gens.parquet");
    codefail::data::write_parquet(&mut gens.head(Some(48)), &gens_path).unwrap();
    let results = tmp.path().join("results.parquet");
    run_to_end(&common::run_args(&gens_path, &results));
    let args = |out: &Path| {
        strings(&[
            "--quiet",
            "--no-track",
            "classify",
            &results.display().to_string(),
            "--dataset",
            "mbpp",
            "--split",
            "test",
            "--chunk-tasks",
            "8",
            "--out",
            &out.display().to_string(),
        ])
    };
    let reference = tmp.path().join("reference.parquet");
    run_to_end(&args(&reference));
    let want = common::comparable_rows(&reference);
    assert_eq!(want.len(), 48);
    let semantic = want.iter().filter(|r| r["semantic"].is_string()).count();
    assert!(
        semantic >= 5,
        "semantic categories were assigned ({semantic})"
    );

    let out = tmp.path().join("killed.parquet");
    let checkpoint = codefail::scale::checkpoint_path(&out);
    let points: Vec<usize> = kill_points(3, 6).iter().map(|p| p * 8).collect();
    let mut seen = Vec::new();
    let mut before = 0;
    for &p in &points {
        let after = kill_when(&args(&out), p, || common::count_lines(&checkpoint))
            .expect("classify finished before its kill point");
        assert!(after >= before, "tasks were lost: {before} -> {after}");
        assert!(!out.exists(), "no output before classify finishes");
        seen.push(after);
        before = after;
    }
    run_to_end(&args(&out));
    eprintln!("classify: killed at tasks {points:?} (then {seen:?} recorded), then resumed");
    let got = common::comparable_rows(&out);
    common::assert_same_rows(&got, &want, "killed and resumed classify vs one run");
    assert!(!checkpoint.exists(), "the checkpoint is removed at the end");
}

/// A `GenerationResult` JSON Lines file's records sorted by problem, without
/// timing fields (`*_s`, `*_pct`, `wall_ms`, at any depth).
fn repair_records(path: &Path) -> Vec<serde_json::Value> {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|k, _| !(k.ends_with("_s") || k.ends_with("_pct") || k == "wall_ms"));
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut recs: Vec<serde_json::Value> = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    recs.iter_mut().for_each(strip);
    recs.sort_by_key(|r| {
        let id = r["problem"]["problem_id"]
            .as_str()
            .unwrap_or("")
            .to_string();
        codefail::scale::natural_key(&id)
    });
    recs
}

#[test]
fn repair_killed_at_random_points_resumes_to_the_same_records() {
    let _g = heavy();
    if common::shared_data().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (model, problems) = tiny_model_and_problems(tmp.path(), 5, 12);
    // Greedy and one problem per batch: every answer depends on its own
    // conversation only, wherever a run resumes.
    let args = |out: &Path| {
        strings(&[
            "--quiet",
            "--no-track",
            "repair",
            "--problems",
            &problems.display().to_string(),
            "--model",
            &model.display().to_string(),
            "--n-public",
            "1",
            "--max-turns",
            "2",
            "--batch-size",
            "1",
            "--temperature",
            "0",
            "--max-new-tokens",
            "40",
            "--out",
            &out.display().to_string(),
        ])
    };
    let reference = tmp.path().join("reference.jsonl");
    run_to_end(&args(&reference));
    let want = repair_records(&reference);
    assert_eq!(want.len(), 12);

    let out = tmp.path().join("killed.jsonl");
    let journal = codefail::scale::checkpoint_path(&out);
    let points = kill_points(3, 11);
    let seen = kill_at_each(&args(&out), &journal, &points);
    run_to_end(&args(&out));
    eprintln!(
        "repair: killed at checkpoint lines {points:?} (checkpoint then held {seen:?}), then resumed"
    );
    let got = repair_records(&out);
    assert_eq!(
        got.len(),
        want.len(),
        "one record per problem, none repeated"
    );
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            g, w,
            "killed and resumed repair vs one run: {}",
            w["problem"]["problem_id"]
        );
    }
}

/// Every read from a worker has a deadline: a judge that answers its hello
/// and then stalls (a stand-in for one stalled by a hostile value) is killed
/// when the job's own limits plus the slack have passed, and the job gets a
/// `fatal` answer naming the limit; the next job gets a fresh worker. The
/// worker's environment names the interpreter (absolute) and the sandbox
/// script.
#[test]
fn a_stalled_worker_is_killed_at_the_jobs_deadline() {
    use codefail::exec::{PoolConfig, run_jobs};
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // A fake interpreter: keeps its environment, answers the hello, then
    // reads a job and never answers (`exec`: killing the worker kills the
    // sleep, no stray process keeps the pipe open).
    let fake = dir.path().join("stalling-python");
    std::fs::write(
        &fake,
        "#!/bin/sh\nenv > \"$0.env\"\nread hello\necho '{\"id\":-1,\"hello\":true,\"sandbox\":{}}'\nread job\nexec sleep 1000\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cfg = PoolConfig {
        python: fake.display().to_string(),
        jobs: 1,
        answer_slack: 1.0,
        ..PoolConfig::default()
    };
    let job = |id: i64| {
        serde_json::json!({"id": id, "mode": "functional",
            "limits": {"timeout": 0.5, "load_timeout": 0.5}, "tests": [{"timeout": null}]})
    };
    let t0 = Instant::now();
    let mut answers = Vec::new();
    run_jobs(&cfg, vec![job(0), job(1)], |i, v, _| {
        answers.push((i, v));
        Ok(())
    })
    .unwrap();
    let took = t0.elapsed();
    assert_eq!(answers.len(), 2);
    for (_, v) in &answers {
        let fatal = v["fatal"].as_str().unwrap_or_default();
        assert!(
            fatal.contains("did not answer within 3 s"),
            "job limit 0.5 + 0.5 + 1 s, slack 1 s: {v}"
        );
    }
    assert!(
        took < Duration::from_secs(30),
        "both stalled jobs ended at their deadlines ({took:?})"
    );
    // The judge learns the interpreter (absolute) and the sandbox script.
    let env = std::fs::read_to_string(dir.path().join("stalling-python.env")).unwrap();
    let var = |name: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} not set for the worker:\n{env}"))
            .to_string()
    };
    assert_eq!(var("CODEFAIL_PYTHON"), fake.display().to_string());
    let sandbox = std::path::PathBuf::from(var("CODEFAIL_SANDBOX_SCRIPT"));
    assert!(sandbox.is_file(), "{}", sandbox.display());
    assert_ne!(sandbox, codefail::exec::worker_script().unwrap());
}

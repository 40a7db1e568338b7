//! Fault tests: `run` and `sample` killed with SIGKILL at several seeded
//! random points, then resumed, give exactly the rows of an uninterrupted
//! run (none lost, none duplicated; timing fields excluded, see
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
        if common::count_lines(journal) >= lines {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            return Some(common::count_lines(journal));
        }
        assert!(
            t0.elapsed() < Duration::from_secs(300),
            "no progress: {args:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn run_to_end(args: &[String]) {
    let out = common::codefail().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    let args = |out: &Path| -> Vec<String> {
        [
            "--quiet",
            "--no-track",
            "run",
            "--dataset",
            "mbpp",
            "--split",
            "test",
            "--generations",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([
            common::deepseek_generations(&data).display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ])
        .collect()
    };
    let reference = tmp.path().join("reference.parquet");
    run_to_end(&args(&reference));
    let want = common::comparable_rows(&reference);
    assert_eq!(want.len(), 500);

    let out = tmp.path().join("killed.parquet");
    let journal = codefail::scale::journal_path(&out);
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
    eprintln!("run: killed at journal lines {points:?} (journal then held {seen:?}), then resumed");
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
    let model = tmp.path().join("tiny");
    common::tiny::tiny_model(&model, "qwen2", 11);
    let problems = tmp.path().join("problems.parquet");
    let mut p = codefail::data::load(
        "mbpp",
        &codefail::data::LoadOptions {
            split: Some("test".into()),
            limit: Some(40),
            ..Default::default()
        },
    )
    .unwrap();
    codefail::data::write_problems(&mut p, &problems).unwrap();
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
    let journal = codefail::scale::journal_path(&out);
    let points = kill_points(3, 76);
    let mut seen = Vec::new();
    for &p in &points {
        match kill_at(&args(&out), &journal, p) {
            Some(after) => seen.push(after),
            None => panic!("sampling finished before its kill point {p}"),
        }
    }
    run_to_end(&args(&out));
    eprintln!(
        "sample: killed at journal lines {points:?} (journal then held {seen:?}), then resumed"
    );
    let got = common::comparable_rows(&out);
    common::assert_same_rows(&got, &want, "killed and resumed sample vs one run");
}

//! A real Slurm job array: `scripts/slurm/cpu.sbatch` runs `codefail run`
//! as 4 shards over the 500 published DeepSeek-Coder-1.3B MBPP generations,
//! `codefail merge` joins them, and the merged rows equal one unsharded run
//! row for row (timing fields excluded).
//!
//! Needs `sbatch` and a running cluster (`scripts/slurm/local-cluster.sh
//! start` makes one on this machine); without them the test prints SKIP,
//! unless `CODEFAIL_REQUIRE_SLURM=1` (CI) makes that a failure.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

fn require() -> bool {
    std::env::var("CODEFAIL_REQUIRE_SLURM").is_ok_and(|v| v == "1")
}

/// Whether a Slurm cluster answers with a usable node; the reason otherwise.
fn cluster() -> Result<(), String> {
    let out = Command::new("sinfo")
        .args(["-h", "-o", "%T"])
        .output()
        .map_err(|e| format!("sinfo cannot run ({e}): is slurm-wlm installed?"))?;
    if !out.status.success() {
        return Err(format!(
            "sinfo failed: {} (start a cluster: scripts/slurm/local-cluster.sh start)",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let states = String::from_utf8_lossy(&out.stdout).to_string();
    if states
        .lines()
        .any(|s| ["idle", "mixed", "allocated", "completing"].contains(&s.trim()))
    {
        Ok(())
    } else {
        Err(format!("no usable Slurm node (states: {states:?})"))
    }
}

#[test]
fn slurm_array_of_run_shards_merges_to_the_unsharded_run() {
    if let Err(why) = cluster() {
        assert!(!require(), "CODEFAIL_REQUIRE_SLURM=1 but {why}");
        eprintln!("SKIP: {why}");
        return;
    }
    let Some(data) = common::shared_data() else {
        assert!(
            !require(),
            "CODEFAIL_REQUIRE_SLURM=1 but ../shared/data is absent"
        );
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let gens = common::deepseek_generations(&data);
    let tmp = tempfile::tempdir().unwrap();
    let t0 = Instant::now();

    // One unsharded run, the reference.
    let reference = tmp.path().join("reference.parquet");
    common::run_ok(common::run_args(&gens, &reference));
    let t_ref = t0.elapsed().as_secs_f64();

    // The array: 4 shards, each `codefail run --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`.
    let parts = tmp.path().join("parts");
    let runs = tmp.path().join("runs");
    let logs = tmp.path().join("slurm-%A_%a.out");
    let t1 = Instant::now();
    let out = Command::new("sbatch")
        .args([
            "--wait",
            "--array=0-3",
            "--cpus-per-task=1",
            "--mem-per-cpu=2G",
            "--time=20",
        ])
        .arg(format!("--output={}", logs.display()))
        .arg(format!("--chdir={}", tmp.path().display()))
        .arg(format!(
            "--export=ALL,CODEFAIL={}",
            env!("CARGO_BIN_EXE_codefail")
        ))
        .arg(root.join("scripts/slurm/cpu.sbatch"))
        .args(["run", "--dataset", "mbpp", "--split", "test"])
        .args(["--generations", gens.to_str().unwrap()])
        .args(["--out", parts.join("r.parquet").to_str().unwrap()])
        .args(["--runs-dir", runs.to_str().unwrap()])
        .output()
        .unwrap();
    let mut job_logs = String::new();
    for e in std::fs::read_dir(tmp.path()).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("slurm-"))
        {
            job_logs.push_str(&format!(
                "--- {}\n{}\n",
                p.display(),
                std::fs::read_to_string(&p).unwrap_or_default()
            ));
        }
    }
    assert!(
        out.status.success(),
        "sbatch: {}{}\n{job_logs}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let t_array = t1.elapsed().as_secs_f64();
    for i in 0..4 {
        assert!(
            job_logs.contains(&format!("shard {i}/4")),
            "array task {i} did not run shard {i}/4:\n{job_logs}"
        );
    }

    // Merge, and compare with the unsharded run.
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
    let report = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "merge: {report}");
    assert!(report.contains("complete: all 499 tasks"), "{report}");
    let want = common::comparable_rows(&reference);
    let got = common::comparable_rows(&merged);
    assert_eq!(want.len(), 500);
    common::assert_same_rows(&got, &want, "Slurm shards merged vs one run");

    // Every shard recorded its run, with its shard.
    let list = codefail::scale::list_runs(&runs).unwrap();
    let ca = list.column("shard").unwrap().str().unwrap().clone();
    let mut shards: Vec<String> = (0..ca.len())
        .filter_map(|i| ca.get(i).map(str::to_string))
        .collect();
    shards.sort();
    assert_eq!(shards, ["0/4", "1/4", "2/4", "3/4"]);
    eprintln!(
        "slurm: reference run {t_ref:.1}s, 4-task array {t_array:.1}s, total {:.1}s",
        t0.elapsed().as_secs_f64()
    );
}

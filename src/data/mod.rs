//! The `load` stage: frame schemas, benchmark loaders and generation importers.

mod external;
mod extract;
mod importers;
mod io;
mod loaders;
pub(crate) mod read;
pub mod schema;
mod sources;

pub use extract::extract_code;
pub use importers::{
    ImportOptions, ImportReport, load_generations, load_generations_with, normalize_task_id,
    write_generation_results,
};
pub use io::{
    frame_to_json_rows, jsonl_lines, read_bytes, read_generations, read_jsonl_records,
    read_jsonl_values, read_parquet, read_problems, read_results, write_generations,
    write_jsonl_records, write_parquet, write_parquet_or_jsonl, write_problems, write_results,
};
pub use loaders::{
    DATASETS, LoadOptions, PublicSplit, count_tests, load, load_problems, mbpp_entry_point,
    mbpp_split, mbpp_task_id, task_id_matches,
};
pub use schema::{
    Generation, Problem, RunResult, TestCase, TestKind, TestResult, TestType, check_schema,
    generations_frame, generations_from_frame, generations_schema, problems_frame,
    problems_from_frame, problems_schema, results_frame, results_from_frame, results_schema,
    test_result_dtype, test_struct_dtype,
};
pub use sources::{
    DATA_ENV, HubFile, cache_dir, data_file, data_roots, fetch_hub, find_local, project_root,
};

use crate::error::Result;
use polars::prelude::DataFrame;

/// A generations frame whose programs are the problems' own reference
/// solutions (model `reference`, one sample per problem that has one): the
/// harness's sanity check, every row should pass.
///
/// ```no_run
/// use codefail::prelude::*;
/// let problems = load("mbpp", &LoadOptions::default())?;
/// let refs = codefail::data::reference_generations(&problems)?;
/// assert_eq!(refs.height(), 974);
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn reference_generations(problems: &DataFrame) -> Result<DataFrame> {
    let rows: Vec<Generation> = problems_from_frame(problems)?
        .into_iter()
        .filter_map(|p| {
            let code = p.reference?;
            Some(Generation {
                task_id: p.task_id,
                sample_idx: 0,
                model: "reference".into(),
                prompt_id: "reference".into(),
                raw_output: code.clone(),
                code: Some(code),
                gen_metadata: "{}".into(),
            })
        })
        .collect();
    generations_frame(&rows)
}

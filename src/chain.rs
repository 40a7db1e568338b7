//! The chain: typed stages from `load` to `plot`, each a polars frame that
//! carries what the next stage needs.
//!
//! ```
//! use codefail::prelude::*;
//! # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
//! let mbpp = Problems::load("mbpp")?.split("test")?;
//! let res = mbpp
//!     .generations(data_file("generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl")?)?
//!     .head(8)
//!     .run(&RunConfig::default())?
//!     .classify(&ClassifyConfig { semantic: false, ..Default::default() })?;
//! let counts = res.failed()?.counts(&["outcome", "category"])?;
//! let chart = res.plot_categories("category")?;
//! assert_eq!(res.height(), 8);
//! # Ok::<(), codefail::Error>(())
//! ```
//!
//! Each stage derefs to its [`DataFrame`] (so `res.height()`,
//! `res.column("category")`, `res.clone().lazy()` where polars has it),
//! converts into one with [`Problems::into_frame`] and its siblings, and
//! shows as a table in evcxr. What a stage carries:
//!
//! | stage | frame | carries |
//! |---|---|---|
//! | [`Problems`] | the problems ([`crate::data::schema`]) | the decoded problem records and the benchmark's name |
//! | [`Generations`] | the generations (read, or made by [`Problems::sample`]) | the [`Problems`] they answer, the import report |
//! | [`Results`] | the results (`run`'s) | the [`Problems`] (with expected outputs filled where `run` computed them) |
//! | [`Classified`] | the results with the category columns | the [`Problems`] |
//!
//! The research methods hang off the same types: [`Problems::repair`]
//! (multi-turn repair) and [`Problems::egcfg`] (execution-guided decoding)
//! give generations in the chain, [`Generations::features`] and
//! [`Classified::predict_failure`] predict failure from the model's
//! internals.
//!
//! Design and trade-offs: the problems are decoded once, when loaded, and
//! travel by reference count, so `run` and `classify` cannot be handed the
//! wrong problem set or the arguments in the wrong order; the engines under
//! the stages ([`crate::exec::run`] on records, [`crate::classify::classify`]
//! on frames) stay for data that comes from elsewhere; a frame from a file
//! re-enters the chain with [`Problems::with_generations`] or
//! [`Problems::with_results`].
//! A stage is immutable: filtering gives a new stage of the same type with
//! the same problems. Problems loaded by name remember how ([`Problems::source`]):
//! a results parquet file written by [`Results::write`] records the data
//! set, configuration and split in its footer, and [`Results::read`] brings
//! it back into the chain with nothing else given.

use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;

use crate::classify::{ClassifyConfig, classify};
use crate::data::{
    ImportOptions, ImportReport, LoadOptions, Problem, generations_from_frame, is_parquet,
    load_generations, load_problems, parquet_metadata, problems_frame, read_results,
    reference_generation_records, results_frame, write_parquet_or_jsonl, write_parquet_with,
    write_results_with,
};
use crate::display::FrameDisplay;
use crate::error::{Error, Result};
use crate::exec::{RunConfig, run, summary};
use crate::methods::predict::{PredictConfig, Prediction};
use crate::methods::{EgCfgConfig, RepairConfig};
use crate::metrics::value_counts;
use crate::plot::{Chart, category_bars};
use crate::sample::{Model, SampleConfig};

/// The frame of a stage and its evcxr display; `$name` derefs to it.
macro_rules! stage_frame {
    ($name:ident) => {
        impl Deref for $name {
            type Target = DataFrame;
            fn deref(&self) -> &DataFrame {
                &self.frame
            }
        }

        impl $name {
            /// The stage's frame, for polars' own operations.
            ///
            /// ```no_run
            /// # use codefail::prelude::*;
            #[doc = concat!("# fn f(stage: ", stringify!($name), ") -> DataFrame {")]
            /// stage.into_frame()
            /// # }
            /// ```
            pub fn into_frame(self) -> DataFrame {
                self.frame
            }

            /// Show the frame as a table in an evcxr notebook (evcxr calls
            /// this for the value a cell ends with).
            ///
            /// ```no_run
            /// # use codefail::prelude::*;
            #[doc = concat!("# fn f(stage: ", stringify!($name), ") {")]
            /// stage.evcxr_display();
            /// # }
            /// ```
            pub fn evcxr_display(&self) {
                FrameDisplay::evcxr_display(&self.frame);
            }
        }

        impl From<$name> for DataFrame {
            fn from(s: $name) -> DataFrame {
                s.frame
            }
        }
    };
}

/// The problems of one benchmark (all of it, or one split).
#[derive(Clone)]
pub struct Problems {
    frame: DataFrame,
    records: Arc<Vec<Problem>>,
    name: String,
    /// How to load these problems again (None: made elsewhere).
    source: Option<LoadOptions>,
}

/// The parquet footer key under which [`Results::write`] records the
/// problems' data set and loading options (`{"dataset", "options"}`).
pub const PROBLEMS_KEY: &str = "codefail.problems";

stage_frame!(Problems);

impl Problems {
    /// A benchmark by name (`mbpp`, `mbppplus`, `humaneval`, `lcb-atcoder`,
    /// ...; see [`crate::data::load`]), every split.
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// let mbpp = codefail::chain::Problems::load("mbpp")?;
    /// assert_eq!(mbpp.height(), 974);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn load(name: &str) -> Result<Problems> {
        Self::load_with(name, &LoadOptions::default())
    }

    /// A benchmark with loading options (configuration, files, public tests).
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// use codefail::data::LoadOptions;
    /// let opts = LoadOptions { config: Some("sanitized".into()), ..Default::default() };
    /// let sanitized = codefail::chain::Problems::load_with("mbpp", &opts)?;
    /// assert!(sanitized.height() < 974);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn load_with(name: &str, opts: &LoadOptions) -> Result<Problems> {
        let mut p = Self::from_records(name, load_problems(name, opts)?)?;
        p.source = Some(opts.clone());
        Ok(p)
    }

    /// Problems made elsewhere (built by hand, read from a file), named
    /// `name` in error messages.
    ///
    /// ```
    /// let p = codefail::chain::Problems::from_records("none", Vec::new())?;
    /// assert_eq!(p.height(), 0);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn from_records(name: &str, records: Vec<Problem>) -> Result<Problems> {
        Ok(Problems {
            frame: problems_frame(&records)?,
            records: Arc::new(records),
            name: name.to_string(),
            source: None,
        })
    }

    /// The problems of one split (`test`, `train`, ...); an error names the
    /// splits there are when none matches.
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// let test = codefail::chain::Problems::load("mbpp")?.split("test")?;
    /// assert_eq!(test.height(), 500);
    /// assert!(codefail::chain::Problems::load("mbpp")?.split("tset").is_err());
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn split(&self, split: &str) -> Result<Problems> {
        let kept: Vec<Problem> = self
            .records
            .iter()
            .filter(|p| p.split == split)
            .cloned()
            .collect();
        if kept.is_empty() {
            let mut splits: Vec<&str> = self.records.iter().map(|p| p.split.as_str()).collect();
            splits.sort_unstable();
            splits.dedup();
            return Err(Error::Invalid(format!(
                "{}: no problems in split {split:?} (its splits: {})",
                self.name,
                splits.join(", ")
            )));
        }
        let mut p = Self::from_records(&self.name, kept)?;
        p.source = self.source.clone().map(|o| LoadOptions {
            split: Some(split.to_string()),
            ..o
        });
        Ok(p)
    }

    /// The data set and loading options that give these problems again, as
    /// JSON (`{"dataset", "options"}`); None for problems made elsewhere.
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// let test = codefail::chain::Problems::load("mbpp")?.split("test")?;
    /// let s = test.source().unwrap();
    /// assert_eq!((s["dataset"].as_str(), s["options"]["split"].as_str()), (Some("mbpp"), Some("test")));
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn source(&self) -> Option<serde_json::Value> {
        let opts = self.source.as_ref()?;
        Some(serde_json::json!({"dataset": self.name, "options": opts}))
    }

    /// The parquet footer that records [`Problems::source`] under
    /// [`PROBLEMS_KEY`] (empty for problems made elsewhere).
    fn footer(&self) -> Vec<(String, String)> {
        self.source()
            .map(|s| vec![(PROBLEMS_KEY.to_string(), s.to_string())])
            .unwrap_or_default()
    }

    /// The decoded problem records.
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// let mbpp = codefail::chain::Problems::load("mbpp")?;
    /// assert_eq!(mbpp.records()[0].task_id, "Mbpp/1");
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn records(&self) -> &[Problem] {
        &self.records
    }

    /// The benchmark's name, as loaded.
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// assert_eq!(codefail::chain::Problems::load("mbpp")?.name(), "mbpp");
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Published generations for these problems, from any format
    /// [`crate::data::load_generations`] reads; generations of tasks not in
    /// this set stay (`run` gives them `UnknownTask` rows).
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// use codefail::prelude::*;
    /// let gens = Problems::load("mbpp")?.split("test")?
    ///     .generations(data_file("generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl")?)?;
    /// assert_eq!(gens.height(), 500);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn generations(&self, path: impl AsRef<Path>) -> Result<Generations> {
        self.generations_with(path, &ImportOptions::default())
    }

    /// [`Problems::generations`] with import options (the model's name for
    /// files that do not record it, the format, a prompt id).
    ///
    /// ```no_run
    /// use codefail::prelude::*;
    /// let opts = ImportOptions { model: Some("qwen2.5-coder-0.5b-instruct".into()), ..Default::default() };
    /// let gens = Problems::load("mbpp")?.split("test")?
    ///     .generations_with("data/fixtures/egcfg/qwen2.5-coder-0.5b.mbpp-test/ns3t0.7d2", &opts)?;
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn generations_with(
        &self,
        path: impl AsRef<Path>,
        opts: &ImportOptions,
    ) -> Result<Generations> {
        let (frame, report) = load_generations(path, opts)?;
        Ok(Generations {
            frame,
            problems: self.clone(),
            report: Some(report),
        })
    }

    /// The task ids, in order.
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// let ids = codefail::chain::Problems::load("mbpp")?.split("test")?.task_ids();
    /// assert_eq!((ids.len(), ids[0].as_str()), (500, "Mbpp/11"));
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn task_ids(&self) -> Vec<String> {
        self.records.iter().map(|p| p.task_id.clone()).collect()
    }

    /// Answers of a local model to these problems: the `sample` stage
    /// (prompt, decode, extract the code; [`crate::sample::sample`]) as
    /// [`Generations`] that carry the problems on to `run`.
    ///
    /// ```no_run
    /// use codefail::prelude::*;
    /// use codefail::sample::{Model, ModelOptions, SampleConfig};
    /// let model = Model::load("qwen2.5-coder-0.5b", &ModelOptions::default())?;
    /// let opts = LoadOptions { split: Some("test".into()), limit: Some(5), ..Default::default() };
    /// let res = Problems::load_with("mbpp", &opts)?
    ///     .sample(&model, &SampleConfig::default())?
    ///     .run(&RunConfig::default())?;
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn sample(&self, model: &Model, cfg: &SampleConfig) -> Result<Generations> {
        let frame = crate::sample::sample(&self.frame, model, cfg)?;
        Ok(self.carrying(frame))
    }

    /// Multi-turn repair with test feedback ([`crate::methods::repair`]): the
    /// last answer per problem as [`Generations`] (on to `run` like any
    /// other), and the per-answer turns and time profile beside them.
    ///
    /// ```no_run
    /// use codefail::prelude::*;
    /// use codefail::methods::RepairConfig;
    /// let model = Model::load("qwen2.5-coder-0.5b", &ModelOptions::default())?;
    /// let opts = LoadOptions { split: Some("test".into()), limit: Some(3), ..Default::default() };
    /// let fixed = Problems::load_with("mbpp", &opts)?.repair(&model, &RepairConfig::default())?;
    /// let by_turn = codefail::methods::repair_by_turn(&fixed.turns)?;
    /// let res = fixed.generations.run(&RunConfig::default())?;
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn repair(&self, model: &Model, cfg: &RepairConfig) -> Result<Repair> {
        let r = crate::methods::repair(&self.frame, model, cfg)?;
        Ok(Repair {
            generations: self.carrying(r.generations),
            turns: r.turns,
            profile: r.profile,
        })
    }

    /// EG-CFG's execution-guided decoding ([`crate::methods::egcfg`]): one
    /// answer per task and guidance strength, each already run on all its
    /// task's tests; [`Guided::table`] is the accuracy per strength.
    ///
    /// ```no_run
    /// use codefail::prelude::*;
    /// use codefail::methods::EgCfgConfig;
    /// let model = Model::load("qwen2.5-coder-0.5b", &ModelOptions::default())?;
    /// let opts = LoadOptions { split: Some("test".into()), limit: Some(3), ..Default::default() };
    /// let guided = Problems::load_with("mbpp", &opts)?.egcfg(&model, &EgCfgConfig::default())?;
    /// let table = guided.table()?;
    /// let categories = guided.results.classify(&ClassifyConfig::default())?;
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn egcfg(&self, model: &Model, cfg: &EgCfgConfig) -> Result<Guided> {
        let run = crate::methods::egcfg(&self.frame, model, cfg)?;
        Ok(Guided {
            results: Results {
                frame: run.results,
                problems: self.clone(),
                generations: Some(Arc::new(run.generations.clone())),
            },
            generations: self.carrying(run.generations),
        })
    }

    /// `frame` as generations that carry these problems (no import report).
    fn carrying(&self, frame: DataFrame) -> Generations {
        Generations {
            frame,
            problems: self.clone(),
            report: None,
        }
    }

    /// Generations made elsewhere (`sample`'s frame, a frame read back from
    /// a file) for these problems; checked against the generations schema.
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// let mbpp = codefail::chain::Problems::load("mbpp")?.split("test")?;
    /// let again = mbpp.with_generations(mbpp.references()?.into_frame())?;
    /// assert_eq!(again.height(), 500);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn with_generations(&self, frame: DataFrame) -> Result<Generations> {
        generations_from_frame(&frame)?;
        Ok(self.carrying(frame))
    }

    /// Results written earlier ([`Results::write`], `codefail run --out`),
    /// back in the chain with these problems: classify them, count them,
    /// plot them. The file's rows are checked against the results schema.
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// use codefail::prelude::*;
    /// let mbpp = Problems::load("mbpp")?.split("test")?;
    /// let dir = tempfile::tempdir().unwrap();
    /// let file = dir.path().join("r.parquet");
    /// mbpp.references()?.head(2).run(&RunConfig::default())?.write(&file)?;
    /// let again = mbpp.results(&file)?;
    /// assert_eq!(again.passed()?, 2);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn results(&self, path: impl AsRef<Path>) -> Result<Results> {
        self.with_results(read_results(path)?)
    }

    /// A results frame made elsewhere, for these problems (checked against
    /// the results schema).
    ///
    /// ```no_run
    /// # use codefail::prelude::*;
    /// # fn f(mbpp: Problems, frame: DataFrame) -> codefail::Result<()> {
    /// let res = mbpp.with_results(frame)?;
    /// # Ok(()) }
    /// ```
    pub fn with_results(&self, frame: DataFrame) -> Result<Results> {
        crate::data::results_from_frame(&frame)?;
        Ok(Results {
            frame,
            problems: self.clone(),
            generations: None,
        })
    }

    /// Each problem's reference solution as a generation (model `reference`).
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// let refs = codefail::chain::Problems::load("mbpp")?.split("test")?.references()?;
    /// assert_eq!(refs.height(), 500);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn references(&self) -> Result<Generations> {
        self.with_generations(crate::data::generations_frame(
            &reference_generation_records(&self.records),
        )?)
    }
}

/// Generations (answers to the problems), with the problems they answer.
#[derive(Clone)]
pub struct Generations {
    frame: DataFrame,
    problems: Problems,
    report: Option<ImportReport>,
}

stage_frame!(Generations);

impl Generations {
    /// The first `n` generations (a quick look before a long run).
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// let refs = codefail::chain::Problems::load("mbpp")?.split("test")?.references()?;
    /// assert_eq!(refs.head(3).height(), 3);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn head(&self, n: usize) -> Generations {
        Generations {
            frame: self.frame.head(Some(n)),
            ..self.clone()
        }
    }

    /// The generations of these tasks only (say, the tasks MBPP+ also has:
    /// `gens.tasks(&plus.task_ids())`).
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// let refs = codefail::chain::Problems::load("mbpp")?.split("test")?.references()?;
    /// assert_eq!(refs.tasks(&["Mbpp/11", "Mbpp/12", "Mbpp/9999"])?.height(), 2);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn tasks<S: AsRef<str>>(&self, ids: &[S]) -> Result<Generations> {
        let ids: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
        let other = df!("task_id" => ids)?;
        Ok(Generations {
            frame: crate::metrics::semi_join(&self.frame, &other, "task_id")?,
            ..self.clone()
        })
    }

    /// The problems these generations answer.
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// let refs = codefail::chain::Problems::load("mbpp")?.split("test")?.references()?;
    /// assert_eq!(refs.problems().height(), 500);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn problems(&self) -> &Problems {
        &self.problems
    }

    /// What importing the file found (format, rows, duplicates, missing
    /// ids); `None` for generations not read from a file.
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// use codefail::prelude::*;
    /// let gens = Problems::load("mbpp")?.split("test")?
    ///     .generations(data_file("generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl")?)?;
    /// assert_eq!(gens.report().unwrap().n_rows, 500);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn report(&self) -> Option<&ImportReport> {
        self.report.as_ref()
    }

    /// The import report's warnings (duplicated or missing tasks, skipped
    /// files), one line each; none for generations not read from a file.
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// use codefail::prelude::*;
    /// let gens = Problems::load("mbpp")?.split("test")?
    ///     .generations(data_file("generations/deepseek-coder-1.3b-instruct.mbpp-official.jsonl")?)?;
    /// assert!(gens.warnings().iter().any(|w| w.contains("Mbpp/99")));
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn warnings(&self) -> Vec<String> {
        self.report
            .as_ref()
            .map(ImportReport::warnings)
            .unwrap_or_default()
    }

    /// Per-answer features of the model's internals for failure prediction
    /// ([`crate::methods::predict::internal_features`]): token statistics,
    /// and with `model` the hidden-state features it computes.
    ///
    /// ```no_run
    /// # fn f(gens: codefail::chain::Generations) -> codefail::Result<()> {
    /// let features = gens.features(None)?;
    /// # Ok(()) }
    /// ```
    pub fn features(&self, model: Option<&Model>) -> Result<DataFrame> {
        crate::methods::predict::internal_features(&self.frame, model)
    }

    /// Execute every generation against its problem's tests in the sandbox
    /// ([`crate::exec`]): one results row per generation, in this order.
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// use codefail::prelude::*;
    /// let res = Problems::load("mbpp")?.split("test")?.references()?.head(4).run(&RunConfig::default())?;
    /// assert_eq!(res.passed()?, 4);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn run(&self, cfg: &RunConfig) -> Result<Results> {
        let mut records = self.problems.records.to_vec();
        let gens = generations_from_frame(&self.frame)?;
        let rows = run(&mut records, &gens, cfg)?;
        let mut problems = Problems::from_records(&self.problems.name, records)?;
        problems.source = self.problems.source.clone();
        Ok(Results {
            frame: results_frame(&rows)?,
            problems,
            generations: Some(Arc::new(self.frame.clone())),
        })
    }
}

/// What result-like stages share: their problems, the failed rows, counts.
macro_rules! result_rows {
    ($name:ident) => {
        impl $name {
            /// The problems these results answer.
            ///
            /// ```no_run
            #[doc = concat!("# fn f(stage: codefail::chain::", stringify!($name), ") {")]
            /// println!("{}", stage.problems().name());
            /// # }
            /// ```
            pub fn problems(&self) -> &Problems {
                &self.problems
            }

            /// The rows that did not pass (same stage, same problems).
            ///
            /// ```no_run
            #[doc = concat!("# fn f(stage: codefail::chain::", stringify!($name), ") -> codefail::Result<()> {")]
            /// let failed = stage.failed()?;
            /// # Ok(()) }
            /// ```
            pub fn failed(&self) -> Result<$name> {
                self.keeping(self.frame.filter(&!&passed_mask(&self.frame)?)?)
            }

            /// The rows whose `column`, read as text, equals `value` (same
            /// stage; [`crate::metrics::filter_eq`]), e.g. `where_eq("gamma", "0.0")`.
            ///
            /// ```no_run
            #[doc = concat!("# fn f(stage: codefail::chain::", stringify!($name), ") -> codefail::Result<()> {")]
            /// let errors = stage.where_eq("status", "error")?;
            /// # Ok(()) }
            /// ```
            pub fn where_eq(&self, column: &str, value: &str) -> Result<$name> {
                self.keeping(crate::metrics::filter_eq(&self.frame, column, value)?)
            }

            /// The rows of these tasks (same stage), e.g. the ones a study
            /// discusses, or the tasks another benchmark also has
            /// (`stage.tasks(&plus.task_ids()?)`).
            ///
            /// ```no_run
            #[doc = concat!("# fn f(stage: codefail::chain::", stringify!($name), ") -> codefail::Result<()> {")]
            /// let five = stage.tasks(&["Mbpp/72", "Mbpp/233"])?;
            /// # Ok(()) }
            /// ```
            pub fn tasks<S: AsRef<str>>(&self, ids: &[S]) -> Result<$name> {
                let ids: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
                let other = df!("task_id" => ids)?;
                self.keeping(crate::metrics::semi_join(&self.frame, &other, "task_id")?)
            }

            /// The share of rows that passed, per value combination of `by`
            /// (`n`, `passed`, `rate`, Wilson `ci_low`/`ci_high`;
            /// [`crate::metrics::rate_by`]). This is a share of *rows*; the
            /// headline pass@1 over tasks is in `summary` /
            /// [`crate::metrics::pass_at_k_frame`].
            ///
            /// ```no_run
            #[doc = concat!("# fn f(stage: codefail::chain::", stringify!($name), ") -> codefail::Result<()> {")]
            /// let by_model = stage.rates(&["model"])?;
            /// # Ok(()) }
            /// ```
            pub fn rates(&self, by: &[&str]) -> Result<DataFrame> {
                crate::metrics::rate_by(&self.frame, by, "passed")
            }

            /// Fields of the generations' `gen_metadata` as columns (a
            /// recorded verdict, γ, a checkpoint's step; see
            /// [`crate::data::with_metadata`]); needs the generations this
            /// stage was run from in the chain.
            ///
            /// ```no_run
            #[doc = concat!("# fn f(stage: codefail::chain::", stringify!($name), ") -> codefail::Result<()> {")]
            /// let with_gamma = stage.with_metadata(&["gamma", "recorded_passed"])?;
            /// # Ok(()) }
            /// ```
            pub fn with_metadata(&self, fields: &[&str]) -> Result<$name> {
                let gens = self.run_from()?;
                self.keeping(crate::data::with_metadata(&self.frame, gens, fields)?)
            }

            /// `variant`, `checkpoint_step` and `checkpoint_label` from the
            /// generations' metadata (LiveCodeBench checkpoint files;
            /// [`crate::metrics::with_checkpoints`]).
            ///
            /// ```no_run
            #[doc = concat!("# fn f(stage: codefail::chain::", stringify!($name), ") -> codefail::Result<()> {")]
            /// let per_step = stage.with_checkpoints()?;
            /// # Ok(()) }
            /// ```
            pub fn with_checkpoints(&self) -> Result<$name> {
                let gens = self.run_from()?;
                self.keeping(crate::metrics::with_checkpoints(&self.frame, gens)?)
            }

            /// The generations frame this stage was run from.
            fn run_from(&self) -> Result<&DataFrame> {
                self.generations.as_deref().ok_or_else(|| {
                    Error::Invalid(
                        "these results were not run from generations in the chain (read from a file, \
                         or given as a frame): join the metadata with codefail::data::with_metadata"
                            .into(),
                    )
                })
            }

            /// A frame made from this stage's rows, as the same stage.
            fn keeping(&self, frame: DataFrame) -> Result<$name> {
                Ok($name {
                    frame,
                    problems: self.problems.clone(),
                    generations: self.generations.clone(),
                })
            }

            /// Rows per value combination of `by` (e.g. `["outcome",
            /// "category"]`), with `count` and `share`, most frequent first
            /// ([`crate::metrics::value_counts`]).
            ///
            /// ```no_run
            #[doc = concat!("# fn f(stage: codefail::chain::", stringify!($name), ") -> codefail::Result<()> {")]
            /// let table = stage.failed()?.counts(&["status"])?;
            /// # Ok(()) }
            /// ```
            pub fn counts(&self, by: &[&str]) -> Result<DataFrame> {
                value_counts(&self.frame, by)
            }
        }
    };
}

/// The results of a run (see [`crate::data::schema`]), with their problems
/// (and, when run in the chain, the generations they ran).
#[derive(Clone)]
pub struct Results {
    frame: DataFrame,
    problems: Problems,
    generations: Option<Arc<DataFrame>>,
}

stage_frame!(Results);
result_rows!(Results);

impl Results {
    /// Failure categories for every row ([`crate::classify::classify`]):
    /// execution categories, tampering, and with `cfg.semantic` the
    /// semantic ones from differential tests against the references.
    ///
    /// ```no_run
    /// # use codefail::prelude::*;
    /// # fn f(res: Results) -> codefail::Result<()> {
    /// let classified = res.classify(&ClassifyConfig::default())?;
    /// # Ok(()) }
    /// ```
    pub fn classify(&self, cfg: &ClassifyConfig) -> Result<Classified> {
        Ok(Classified {
            frame: classify(&self.frame, &self.problems.frame, cfg)?,
            problems: self.problems.clone(),
            generations: self.generations.clone(),
        })
    }

    /// How many rows passed.
    ///
    /// ```no_run
    /// # fn f(res: codefail::chain::Results) -> codefail::Result<()> {
    /// println!("{} of {} passed", res.passed()?, res.height());
    /// # Ok(()) }
    /// ```
    pub fn passed(&self) -> Result<usize> {
        Ok(passed_mask(&self.frame)?.sum().unwrap_or(0) as usize)
    }

    /// The run's summary: pass rates, statuses, tampering
    /// ([`crate::exec::summary`]).
    ///
    /// ```no_run
    /// # fn f(res: codefail::chain::Results) -> codefail::Result<()> {
    /// println!("{}", res.summary()?);
    /// # Ok(()) }
    /// ```
    pub fn summary(&self) -> Result<serde_json::Value> {
        summary(&self.frame, Some(&self.problems.task_ids()))
    }

    /// The programs whose verdict changes between these results and
    /// `other`'s (the same generations run on another benchmark with the
    /// same tasks: MBPP and MBPP+), each with its cause
    /// ([`crate::classify::benchmark_shift`]).
    ///
    /// ```no_run
    /// # fn f(mbpp: codefail::chain::Results, plus: codefail::chain::Results) -> codefail::Result<()> {
    /// let shift = mbpp.shift(&plus)?;
    /// # Ok(()) }
    /// ```
    pub fn shift(&self, other: &Results) -> Result<DataFrame> {
        crate::classify::benchmark_shift(&self.frame, &other.frame, other.problems.records())
    }

    /// pass@1 over the problems' tasks with a 95% Wilson interval, the one
    /// definition of [`crate::exec::summary`]: `(pass_at_1, ci_low, ci_high,
    /// n_tasks)` (one sample per task: passing tasks over tasks).
    ///
    /// ```no_run
    /// # fn f(res: codefail::chain::Results) -> codefail::Result<()> {
    /// let (p, lo, hi, n) = res.pass_at_1()?;
    /// # Ok(()) }
    /// ```
    pub fn pass_at_1(&self) -> Result<(f64, f64, f64, u64)> {
        let s = self.summary()?;
        let p = s["pass_at_1"].as_f64().unwrap_or(0.0);
        let n = s["n_tasks"].as_u64().unwrap_or(0);
        let (lo, hi) = crate::metrics::wilson_interval((p * n as f64).round() as u64, n, 1.959964);
        Ok((p, lo, hi, n))
    }

    /// Write the results (parquet, JSON Lines or CSV by extension; see
    /// [`crate::data::write_results`]).
    ///
    /// ```no_run
    /// # fn f(res: codefail::chain::Results) -> codefail::Result<()> {
    /// res.write("outputs/results.parquet")?;
    /// # Ok(()) }
    /// ```
    ///
    /// A parquet file also records the problems' data set and loading
    /// options (footer key [`PROBLEMS_KEY`]), so that [`Results::read`]
    /// brings it back into the chain with nothing else given.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        write_results_with(&mut self.frame.clone(), path, &self.problems.footer())
    }

    /// A results parquet file written by [`Results::write`], back in the
    /// chain with the problems it records (loaded again: the same data set,
    /// configuration and split). A file that records none (JSON Lines, or
    /// written outside the chain) is an error that says how to read it.
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// use codefail::prelude::*;
    /// let dir = tempfile::tempdir().unwrap();
    /// let file = dir.path().join("r.parquet");
    /// Problems::load("mbpp")?.split("test")?.references()?.head(2).run(&RunConfig::default())?.write(&file)?;
    /// let res = Results::read(&file)?;
    /// assert_eq!((res.problems().name(), res.problems().height(), res.passed()?), ("mbpp", 500, 2));
    /// // JSON Lines has no footer to record the problems in.
    /// res.write(dir.path().join("r.jsonl"))?;
    /// assert!(Results::read(dir.path().join("r.jsonl")).is_err());
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn read(path: impl AsRef<Path>) -> Result<Results> {
        let path = path.as_ref();
        let meta = if is_parquet(path) {
            parquet_metadata(path)?
        } else {
            Vec::new()
        };
        let Some((_, text)) = meta.iter().find(|(k, _)| k == PROBLEMS_KEY) else {
            return Err(Error::Invalid(format!(
                "{}: the file records no problems (only parquet files written by Results::write do); \
                 load them and use Problems::results",
                path.display()
            )));
        };
        let bad = |e: String| Error::parse(path, 0, Some(PROBLEMS_KEY), e);
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let dataset = v["dataset"]
            .as_str()
            .ok_or_else(|| bad("no \"dataset\"".into()))?;
        let opts: LoadOptions =
            serde_json::from_value(v["options"].clone()).map_err(|e| bad(e.to_string()))?;
        Problems::load_with(dataset, &opts)?.results(path)
    }
}

/// Results with their failure categories (see [`crate::classify`]).
#[derive(Clone)]
pub struct Classified {
    frame: DataFrame,
    problems: Problems,
    generations: Option<Arc<DataFrame>>,
}

stage_frame!(Classified);
result_rows!(Classified);

impl Classified {
    /// Write the classified results: parquet (every column, with the
    /// problems' source in the footer as [`Results::write`] records it) or
    /// JSON Lines (one object a row, any other extension).
    ///
    /// ```no_run
    /// # fn f(c: codefail::chain::Classified) -> codefail::Result<()> {
    /// c.write("outputs/classified.parquet")?;
    /// # Ok(()) }
    /// ```
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        if is_parquet(path) {
            write_parquet_with(&mut self.frame.clone(), path, &self.problems.footer())
        } else {
            write_parquet_or_jsonl(&mut self.frame.clone(), path)
        }
    }

    /// A classified results parquet file written by [`Classified::write`],
    /// back in the chain with the problems it records (see
    /// [`Results::read`]); a file without the `category` column is an error
    /// (read it with [`Results::read`] and classify it).
    ///
    /// ```
    /// # if codefail::data::data_file("mbpp/mbpp.jsonl").is_err() { return Ok(()); }
    /// use codefail::prelude::*;
    /// let dir = tempfile::tempdir().unwrap();
    /// let (r, c) = (dir.path().join("r.parquet"), dir.path().join("c.parquet"));
    /// let res = Problems::load("mbpp")?.split("test")?.references()?.head(2).run(&RunConfig::default())?;
    /// res.write(&r)?;
    /// res.classify(&ClassifyConfig { semantic: false, ..Default::default() })?.write(&c)?;
    /// assert_eq!(Classified::read(&c)?.column("category")?.len(), 2);
    /// assert!(Classified::read(&r).is_err());
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn read(path: impl AsRef<Path>) -> Result<Classified> {
        let path = path.as_ref();
        let res = Results::read(path)?;
        if res.frame.column("category").is_err() {
            return Err(Error::Invalid(format!(
                "{}: no `category` column (results not classified): read it with Results::read and classify it",
                path.display()
            )));
        }
        Ok(Classified {
            frame: res.frame,
            problems: res.problems,
            generations: None,
        })
    }

    /// Cross-validated prediction of failure from `features`
    /// ([`Generations::features`]; [`crate::methods::predict::predict_failure`]).
    ///
    /// ```no_run
    /// # fn f(gens: codefail::chain::Generations, c: codefail::chain::Classified) -> codefail::Result<()> {
    /// let cfg = codefail::methods::predict::PredictConfig::default();
    /// let p = c.predict_failure(&gens.features(None)?, &cfg)?;
    /// println!("{}", p.summary);
    /// # Ok(()) }
    /// ```
    pub fn predict_failure(&self, features: &DataFrame, cfg: &PredictConfig) -> Result<Prediction> {
        crate::methods::predict::predict_failure(&self.frame, features, cfg)
    }

    /// Cross-validated prediction of a category column (`outcome`,
    /// `category`, ...) from `features`
    /// ([`crate::methods::predict::predict_category`]).
    ///
    /// ```no_run
    /// # fn f(gens: codefail::chain::Generations, c: codefail::chain::Classified) -> codefail::Result<()> {
    /// let cfg = codefail::methods::predict::PredictConfig::default();
    /// let p = c.predict_category(&gens.features(None)?, "outcome", &cfg)?;
    /// # Ok(()) }
    /// ```
    pub fn predict_category(
        &self,
        features: &DataFrame,
        column: &str,
        cfg: &PredictConfig,
    ) -> Result<Prediction> {
        crate::methods::predict::predict_category(&self.frame, features, column, cfg)
    }

    /// Bars of the failures per value of a category column (`category`,
    /// `semantic`, `outcome`, ...), titled with the benchmark's name.
    ///
    /// ```no_run
    /// # fn f(c: codefail::chain::Classified) -> codefail::Result<()> {
    /// let chart = c.plot_categories("category")?;
    /// # Ok(()) }
    /// ```
    pub fn plot_categories(&self, column: &str) -> Result<Chart> {
        category_bars(
            &self.frame,
            column,
            None,
            &format!("{}: failures by {column}", self.problems.name),
        )
    }
}

/// What [`Problems::repair`] gives: the last answer per problem, in the
/// chain, and the repair loop's own frames.
pub struct Repair {
    /// One row per problem: its last answer (on to `run`).
    pub generations: Generations,
    /// One row per answer (turn), with its verdicts and feedback.
    pub turns: DataFrame,
    /// Time per problem: model, tests, other.
    pub profile: DataFrame,
}

/// What [`Problems::egcfg`] gives: EG-CFG's answers (one per task and
/// guidance strength) and their results, both carrying the problems.
pub struct Guided {
    /// One row per task and strength (`sample_idx`: the strength's position).
    pub generations: Generations,
    /// Each answer run on all its task's tests.
    pub results: Results,
}

impl Guided {
    /// Accuracy per guidance strength and the best-of-strengths row
    /// ([`crate::methods::egcfg_table`]).
    ///
    /// ```no_run
    /// # fn f(g: codefail::chain::Guided) -> codefail::Result<()> {
    /// println!("{}", g.table()?);
    /// # Ok(()) }
    /// ```
    pub fn table(&self) -> Result<DataFrame> {
        crate::methods::egcfg_table(&self.generations.frame, &self.results.frame)
    }
}

/// The `passed` column as a mask (nulls count as not passed).
fn passed_mask(df: &DataFrame) -> Result<BooleanChunked> {
    let col = df.column("passed")?.bool()?.clone();
    Ok(col.fill_null_with_values(false)?)
}

//! Published vs reproduced: one row per figure a study published, beside
//! ours, with a 95% interval for ours where it is a pass rate and a verdict.
//!
//! Verdicts:
//! - `within noise`: the published figure lies inside our 95% Wilson
//!   interval (pass rates), or equals ours to the printed precision;
//! - `explained difference`: it does not, and the row says why in one
//!   sentence (a different problem set, sampling temperature, harness rule);
//! - `unexplained`: it does not, and nothing says why. A notebook that
//!   shows an `unexplained` row fails `kernel/check_notebook.py`.

use polars::prelude::*;

use crate::error::Result;
use crate::metrics::wilson_interval;

/// One published figure and ours.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// What the figure is (`MBPP accuracy, baseline`).
    pub figure: String,
    /// The study's number, in the unit of `ours`.
    pub published: f64,
    /// Ours.
    pub ours: f64,
    /// For a pass rate: passed and total, for the Wilson interval.
    pub counts: Option<(u64, u64)>,
    /// Why the two differ, one sentence (None: no reason known).
    pub explanation: Option<String>,
    /// Printed precision of the published figure (absolute): a difference
    /// within half of it is no difference.
    pub precision: f64,
}

/// The rows of a study's published-vs-reproduced table, built figure by
/// figure; [`Comparison::frame`] gives the table.
///
/// ```
/// use codefail::metrics::Comparison;
/// let table = Comparison::new("EG-CFG (Lavon et al., 2025)")
///     .rate("MBPP accuracy, DeepSeek-Coder-1.3B baseline", 0.508, 257, 500, None)
///     .rate("MBPP accuracy, EG-CFG", 0.848, 300, 500,
///           Some("an early run of the method (s=2, t=0.7), not the paper's final configuration"))
///     .frame()?;
/// let verdicts = table.column("verdict")?.str()?.clone();
/// assert_eq!(verdicts.get(0), Some("within noise"));
/// assert_eq!(verdicts.get(1), Some("explained difference"));
/// # Ok::<(), codefail::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Comparison {
    study: String,
    figures: Vec<Figure>,
}

impl Comparison {
    /// An empty table for `study`.
    pub fn new(study: &str) -> Comparison {
        Comparison {
            study: study.to_string(),
            figures: Vec::new(),
        }
    }

    /// A pass rate (0..1): ours is `passed / n`, with a Wilson interval.
    pub fn rate(
        mut self,
        figure: &str,
        published: f64,
        passed: u64,
        n: u64,
        explanation: Option<&str>,
    ) -> Comparison {
        self.figures.push(Figure {
            figure: figure.to_string(),
            published,
            ours: if n == 0 {
                0.0
            } else {
                passed as f64 / n as f64
            },
            counts: Some((passed, n)),
            explanation: explanation.map(str::to_string),
            precision: 0.001,
        });
        self
    }

    /// Any other number (an RSR, a count): no interval; equal to the printed
    /// `precision` or explained.
    pub fn value(
        mut self,
        figure: &str,
        published: f64,
        ours: f64,
        precision: f64,
        explanation: Option<&str>,
    ) -> Comparison {
        self.figures.push(Figure {
            figure: figure.to_string(),
            published,
            ours,
            counts: None,
            explanation: explanation.map(str::to_string),
            precision,
        });
        self
    }

    /// The figures so far.
    pub fn figures(&self) -> &[Figure] {
        &self.figures
    }

    /// The table: `study`, `figure`, `published`, `ours`, `difference`
    /// (ours - published), `n`, `ci_low`, `ci_high` (95% Wilson, pass rates
    /// only), `verdict`, `explanation`.
    pub fn frame(&self) -> Result<DataFrame> {
        let mut ci_low = Vec::new();
        let mut ci_high = Vec::new();
        let mut verdict = Vec::new();
        for f in &self.figures {
            let ci = f.counts.map(|(k, n)| wilson_interval(k, n, 1.96));
            ci_low.push(ci.map(|c| c.0));
            ci_high.push(ci.map(|c| c.1));
            verdict.push(verdict_of(f, ci));
        }
        let f = &self.figures;
        Ok(df!(
            "study" => vec![self.study.as_str(); f.len()],
            "figure" => f.iter().map(|x| x.figure.as_str()).collect::<Vec<_>>(),
            "published" => f.iter().map(|x| x.published).collect::<Vec<_>>(),
            "ours" => f.iter().map(|x| x.ours).collect::<Vec<_>>(),
            "difference" => f.iter().map(|x| x.ours - x.published).collect::<Vec<_>>(),
            "n" => f.iter().map(|x| x.counts.map(|c| c.1 as i64)).collect::<Vec<_>>(),
            "ci_low" => ci_low,
            "ci_high" => ci_high,
            "verdict" => verdict,
            "explanation" => f.iter().map(|x| x.explanation.as_deref()).collect::<Vec<_>>(),
        )?)
    }
}

/// The verdict of one figure (see the module docs).
fn verdict_of(f: &Figure, ci: Option<(f64, f64)>) -> &'static str {
    let same = (f.ours - f.published).abs() <= f.precision / 2.0 + 1e-12;
    let inside = ci.is_some_and(|(lo, hi)| f.published >= lo && f.published <= hi);
    if same || inside {
        "within noise"
    } else if f
        .explanation
        .as_deref()
        .is_some_and(|e| !e.trim().is_empty())
    {
        "explained difference"
    } else {
        "unexplained"
    }
}

//! Deterministic shards of a task set (`--shard I/N`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::store::Digest;
use polars::prelude::*;

use crate::data::schema::generations::TASK_ID;
use crate::error::{Error, Result};

/// One part of a partition of tasks into `count` shards: shard `index` (0-based,
/// `0 <= index < count`) owns the tasks whose [`shard_of`] is `index`.
///
/// Written and parsed as `I/N`, 0-based, so that a Slurm job array
/// `--array=0-(N-1)` passes `--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`
/// directly. `0/1` ([`Shard::WHOLE`]) is the whole task set.
///
/// ```
/// use codefail::scale::Shard;
/// let s: Shard = "2/4".parse()?;
/// assert_eq!((s.index, s.count), (2, 4));
/// assert_eq!(s.to_string(), "2/4");
/// assert!("4/4".parse::<Shard>().is_err());
/// # Ok::<(), codefail::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Shard {
    /// 0-based index of this shard.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

/// The shard (0-based) of a task among `count` shards: the first 8 bytes of
/// SHA-256(`"codefail-shard-v1\0" + task_id`) as a big-endian integer, modulo
/// `count`. It depends on nothing but the task id and `count`, so it does not
/// change with frame order, with other tasks being present or missing, or
/// between stages: `sample --shard 1/4` and `run --shard 1/4` see the same
/// tasks. Shards are balanced in expectation (each gets about `1/count` of
/// the tasks, give or take a few per cent for hundreds of tasks).
///
/// ```
/// let s = codefail::scale::shard_of("Mbpp/11", 4);
/// assert!(s < 4);
/// assert_eq!(s, codefail::scale::shard_of("Mbpp/11", 4));
/// assert_eq!(codefail::scale::shard_of("Mbpp/11", 1), 0);
/// ```
pub fn shard_of(task_id: &str, count: usize) -> usize {
    if count <= 1 {
        return 0;
    }
    let mut h = Digest::new();
    h.field("codefail-shard-v1").bytes(task_id);
    let d = h.raw();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    (u64::from_be_bytes(b) % count as u64) as usize
}

impl Shard {
    /// The whole task set (`0/1`).
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// A shard, checked: `count >= 1` and `index < count`.
    ///
    /// ```
    /// assert!(codefail::scale::Shard::new(0, 4).is_ok());
    /// assert!(codefail::scale::Shard::new(4, 4).is_err());
    /// ```
    pub fn new(index: usize, count: usize) -> Result<Shard> {
        if count == 0 {
            return Err(Error::Invalid(
                "shard count must be at least 1 (--shard I/N with N >= 1)".into(),
            ));
        }
        if index >= count {
            return Err(Error::Invalid(format!(
                "shard index {index} is out of range for {count} shards: shards are 0-based, \
                 I/N needs 0 <= I < N (a Slurm array --array=0-{} gives $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)",
                count - 1
            )));
        }
        Ok(Shard { index, count })
    }

    /// Whether this is the whole task set (`0/1`).
    ///
    /// ```
    /// assert!(codefail::scale::Shard::WHOLE.is_whole());
    /// ```
    pub fn is_whole(&self) -> bool {
        self.count == 1
    }

    /// Whether this shard owns `task_id` (see [`shard_of`]).
    ///
    /// ```
    /// use codefail::scale::Shard;
    /// let owners = (0..3).filter(|&i| Shard::new(i, 3).unwrap().owns("Mbpp/11")).count();
    /// assert_eq!(owners, 1);
    /// ```
    pub fn owns(&self, task_id: &str) -> bool {
        shard_of(task_id, self.count) == self.index
    }

    /// The rows of `df` (any frame with a `task_id` column: problems,
    /// generations, results) whose task this shard owns, in their order.
    /// This is the one call a long command needs to honour `--shard`.
    ///
    /// ```
    /// use polars::prelude::*;
    /// use codefail::scale::Shard;
    /// let df = df!("task_id" => ["a", "b", "c", "d", "a"]).unwrap();
    /// let parts: Vec<DataFrame> = (0..2).map(|i| Shard::new(i, 2).unwrap().filter(&df).unwrap()).collect();
    /// assert_eq!(parts[0].height() + parts[1].height(), 5);
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn filter(&self, df: &DataFrame) -> Result<DataFrame> {
        if self.is_whole() {
            return Ok(df.clone());
        }
        let ids = task_ids(df)?;
        let mask: BooleanChunked = ids
            .iter()
            .map(|t| Some(t.as_deref().is_some_and(|t| self.owns(t))))
            .collect();
        Ok(df.filter(&mask)?)
    }

    /// Where this shard's output goes when the user asked for `out`:
    /// `out` itself for the whole set, else `<stem>.shard-I-of-N.<ext>`
    /// beside it (`r.parquet` -> `r.shard-2-of-4.parquet`).
    ///
    /// ```
    /// use codefail::scale::Shard;
    /// let p = Shard::new(2, 4)?.part_path("out/r.parquet".as_ref());
    /// assert_eq!(p, std::path::PathBuf::from("out/r.shard-2-of-4.parquet"));
    /// assert_eq!(Shard::WHOLE.part_path("r.parquet".as_ref()), std::path::PathBuf::from("r.parquet"));
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn part_path(&self, out: &Path) -> PathBuf {
        if self.is_whole() {
            return out.to_path_buf();
        }
        let stem = out
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = match out.extension() {
            Some(ext) => format!(
                "{stem}.shard-{}-of-{}.{}",
                self.index,
                self.count,
                ext.to_string_lossy()
            ),
            None => format!("{stem}.shard-{}-of-{}", self.index, self.count),
        };
        out.with_file_name(name)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = Error;

    fn from_str(s: &str) -> Result<Shard> {
        let bad = |why: &str| {
            Error::Invalid(format!(
                "--shard `{s}`: {why}; expected I/N with 0 <= I < N (0-based, e.g. 0/4 .. 3/4)"
            ))
        };
        let (i, n) = s.trim().split_once('/').ok_or_else(|| bad("no `/`"))?;
        let i: usize = i
            .trim()
            .parse()
            .map_err(|_| bad("I is not a whole number"))?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| bad("N is not a whole number"))?;
        if n == 0 {
            return Err(bad("N must be at least 1"));
        }
        if i >= n {
            return Err(bad(&format!(
                "I = {i} is not below N = {n} (shards are 0-based; Slurm: --array=0-{})",
                n - 1
            )));
        }
        Shard::new(i, n)
    }
}

/// Every value of the `task_id` column as text, with an error naming the
/// column when it is missing.
pub(crate) fn task_ids(df: &DataFrame) -> Result<Vec<Option<String>>> {
    crate::data::read::texts(df, TASK_ID)
}

/// The tasks of a frame with the number of rows each has, e.g. the expected
/// rows per task of a generations frame (`run`) or, with `per_task`, a fixed
/// count (`sample --n 5` on a problems frame gives 5 per task).
///
/// ```
/// use polars::prelude::*;
/// let df = df!("task_id" => ["a", "b", "a"]).unwrap();
/// let t = codefail::scale::task_counts(&df, None)?;
/// assert_eq!(t["a"], 2);
/// assert_eq!(codefail::scale::task_counts(&df, Some(5))?["b"], 5);
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn task_counts(df: &DataFrame, per_task: Option<usize>) -> Result<BTreeMap<String, usize>> {
    let mut m = BTreeMap::new();
    for (row, t) in task_ids(df)?.into_iter().enumerate() {
        let t =
            t.ok_or_else(|| Error::column(TASK_ID, format!("row {row} has no task id (null)")))?;
        *m.entry(t).or_insert(0) += 1;
    }
    if let Some(n) = per_task {
        for v in m.values_mut() {
            *v = n;
        }
    }
    Ok(m)
}

/// A sort key that orders task ids naturally (the `natord` crate): `Mbpp/9`
/// before `Mbpp/10` (digit runs compare as numbers, the rest as text). Ids
/// that natord finds equal (`a01`, `a1`) are ordered by their bytes, so the
/// order is total and agrees with equality.
///
/// ```
/// let mut v = vec!["Mbpp/10", "Mbpp/9", "HumanEval/2"];
/// v.sort_by_key(|t| codefail::scale::natural_key(t));
/// assert_eq!(v, ["HumanEval/2", "Mbpp/9", "Mbpp/10"]);
/// ```
pub fn natural_key(s: &str) -> NaturalKey {
    NaturalKey(s.to_string())
}

/// A string that sorts naturally; see [`natural_key`].
///
/// ```
/// use codefail::scale::natural_key;
/// assert!(natural_key("x/2") < natural_key("x/10"));
/// assert!(natural_key("a1") < natural_key("a01") || natural_key("a01") < natural_key("a1"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NaturalKey(String);

impl Ord for NaturalKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        natord::compare(&self.0, &other.0).then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for NaturalKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mbpp_ids() -> Vec<String> {
        (11..=510).map(|i| format!("Mbpp/{i}")).collect()
    }

    #[test]
    fn parse_accepts_only_zero_based_in_range() {
        assert_eq!("0/1".parse::<Shard>().unwrap(), Shard::WHOLE);
        assert_eq!(
            " 3/4 ".parse::<Shard>().unwrap(),
            Shard { index: 3, count: 4 }
        );
        for bad in [
            "4/4", "1/0", "0/0", "a/4", "1-4", "1/", "/4", "-1/4", "", "1/4/2",
        ] {
            let e = bad.parse::<Shard>().unwrap_err().to_string();
            assert!(e.contains("--shard"), "{bad}: {e}");
        }
        assert!(
            "4/4"
                .parse::<Shard>()
                .unwrap_err()
                .to_string()
                .contains("0-based")
        );
    }

    #[test]
    fn every_task_in_exactly_one_shard() {
        let ids = mbpp_ids();
        for n in [1, 2, 3, 4, 7, 16] {
            for t in &ids {
                let owners: Vec<usize> = (0..n)
                    .filter(|&i| Shard::new(i, n).unwrap().owns(t))
                    .collect();
                assert_eq!(owners.len(), 1, "{t} in {owners:?} of {n}");
            }
        }
    }

    #[test]
    fn partition_is_deterministic_and_order_free() {
        let ids = mbpp_ids();
        let df =
            DataFrame::new(ids.len(), vec![Column::new("task_id".into(), ids.clone())]).unwrap();
        let mut rev = ids.clone();
        rev.reverse();
        let df_rev = DataFrame::new(rev.len(), vec![Column::new("task_id".into(), rev)]).unwrap();
        let s = Shard::new(1, 4).unwrap();
        let mut a = task_ids(&s.filter(&df).unwrap()).unwrap();
        let mut b = task_ids(&s.filter(&df_rev).unwrap()).unwrap();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        // Fixed values: changing the hash would silently reshuffle old part files.
        assert_eq!(shard_of("Mbpp/11", 4), shard_of("Mbpp/11", 4));
        let first: Vec<usize> = ids.iter().take(8).map(|t| shard_of(t, 4)).collect();
        assert_eq!(first, PINNED);
    }

    /// `shard_of(Mbpp/11..=18, 4)`, pinned (also what Python gives:
    /// `int.from_bytes(sha256(b"codefail-shard-v1\0" + id).digest()[:8], "big") % 4`).
    const PINNED: [usize; 8] = [2, 1, 2, 2, 2, 2, 0, 1];

    #[test]
    fn shards_are_balanced() {
        let ids = mbpp_ids();
        for n in [2, 4, 8] {
            let mut sizes = vec![0usize; n];
            for t in &ids {
                sizes[shard_of(t, n)] += 1;
            }
            let mean = ids.len() as f64 / n as f64;
            for s in &sizes {
                assert!(
                    (*s as f64 - mean).abs() <= 0.2 * mean,
                    "{n} shards of 500 MBPP tasks: {sizes:?}"
                );
            }
        }
    }

    #[test]
    fn part_paths() {
        let s = Shard::new(0, 2).unwrap();
        assert_eq!(s.part_path(Path::new("x")), PathBuf::from("x.shard-0-of-2"));
        assert_eq!(
            s.part_path(Path::new("a/b.c.jsonl")),
            PathBuf::from("a/b.c.shard-0-of-2.jsonl")
        );
    }
}

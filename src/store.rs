//! The bottom layer: files that survive a kill at any moment. Atomic
//! writes (a temporary file beside the target, fsync, rename) and
//! append-only JSON Lines journals whose torn last line is cut on reopening.
//! The layers above (`data`, `scale`, `exec`, `sample`, `classify`) write
//! through here; this module imports none of them.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Write a file atomically: a temporary file beside it, fsync, rename, so a
/// kill leaves either the old file or the new one, never half of one.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("x.json");
/// codefail::store::write_atomic(&p, b"{}")?;
/// assert_eq!(std::fs::read(&p).unwrap(), b"{}");
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes).map_err(|e| Error::io(path, e)))
}

/// Write a file atomically through `write`, which gets the temporary file
/// (created beside `path` by `tempfile`, under a name no other writer
/// uses); it is fsync'd and renamed over `path`, or removed when `write`
/// fails.
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("x.txt");
/// codefail::store::write_atomic_with(&p, |f| f.write_all(b"hi").map_err(|e| codefail::Error::io(&p, e)))?;
/// assert_eq!(std::fs::read(&p).unwrap(), b"hi");
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn write_atomic_with(path: &Path, write: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    create_parent(path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".codefail-")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    write(tmp.as_file_mut())?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(tmp.path(), e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    sync_dir(path);
    Ok(())
}

/// Create the folder `path` goes in, where it has one.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// codefail::store::create_parent(&dir.path().join("a/b/c.txt"))?;
/// assert!(dir.path().join("a/b").is_dir());
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn create_parent(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

/// fsync the folder of `path` (so a rename survives a power cut); best effort.
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// An append-only JSON Lines journal that survives a kill at any moment:
/// each [`Journal::append`] writes whole lines with one `write` call, and
/// the file is fsync'd at most every `sync_every` (and on [`Journal::sync`]).
/// [`Journal::open`] first cuts a torn last line (bytes after the last
/// newline, left by a kill in mid-write).
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    last_sync: Instant,
    dirty: bool,
    /// Longest time between fsyncs.
    pub sync_every: Duration,
}

impl Journal {
    /// Open (create) a journal for appending, cutting a torn last line.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let p = dir.path().join("j.jsonl");
    /// std::fs::write(&p, "{\"a\":1}\n{\"a\":").unwrap();
    /// let mut j = codefail::store::Journal::open(&p)?;
    /// j.append(&["{\"a\":2}".to_string()])?;
    /// j.sync()?;
    /// assert_eq!(std::fs::read_to_string(&p).unwrap(), "{\"a\":1}\n{\"a\":2}\n");
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn open(path: &Path) -> Result<Journal> {
        create_parent(path)?;
        cut_torn_tail(path)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        Ok(Journal {
            path: path.to_path_buf(),
            file,
            last_sync: Instant::now(),
            dirty: false,
            sync_every: Duration::from_secs(1),
        })
    }

    /// Append lines (each without its newline) in one write; fsync when the
    /// last fsync is older than `sync_every`.
    ///
    /// ```no_run
    /// # let mut j: codefail::store::Journal = todo!();
    /// j.append(&[serde_json::json!({"task_id": "t"}).to_string()])?;
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn append(&mut self, lines: &[String]) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut buf = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for l in lines {
            buf.push_str(l);
            buf.push('\n');
        }
        self.file
            .write_all(buf.as_bytes())
            .map_err(|e| Error::io(&self.path, e))?;
        self.dirty = true;
        if self.last_sync.elapsed() >= self.sync_every {
            self.sync()?;
        }
        Ok(())
    }

    /// fsync now.
    ///
    /// ```no_run
    /// # let mut j: codefail::store::Journal = todo!();
    /// j.sync()?;
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn sync(&mut self) -> Result<()> {
        if self.dirty {
            self.file
                .sync_data()
                .map_err(|e| Error::io(&self.path, e))?;
            self.dirty = false;
        }
        self.last_sync = Instant::now();
        Ok(())
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        let _ = self.sync();
    }
}

/// The one way codefail resumes long work: a journal of finished *units*
/// (a generation run, a task sampled or repaired, a task classified), one
/// JSON line per unit, `{"unit": key, "rows": [...]}`, appended in one write.
/// A kill leaves at most a torn last line, which [`Checkpoint::open`] cuts;
/// so a unit is in the file whole or not at all. On reopening, finished
/// units are handed back by [`Checkpoint::take`] instead of being done again;
/// once the stage's output is written, [`Checkpoint::remove`] deletes the file.
/// `run`, `sample`, `classify`, `repair` and EG-CFG all resume through
/// this type.
///
/// ```
/// use codefail::store::Checkpoint;
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("out.checkpoint.jsonl");
/// let mut c: Checkpoint<i64> = Checkpoint::open(&p)?;
/// c.record(&[("Mbpp/2".to_string(), vec![1, 2])])?;
/// drop(c);
/// let mut again: Checkpoint<i64> = Checkpoint::open(&p)?;
/// assert_eq!(again.resumed(), 1);
/// assert_eq!(again.take("Mbpp/2"), Some(vec![1, 2]));
/// assert_eq!(again.take("Mbpp/3"), None);
/// again.remove()?;
/// assert!(!p.exists());
/// # Ok::<(), codefail::Error>(())
/// ```
#[derive(Debug)]
pub struct Checkpoint<R> {
    done: std::collections::HashMap<String, Vec<R>>,
    resumed: usize,
    journal: Journal,
}

#[derive(serde::Serialize)]
struct UnitLine<'a, R> {
    unit: &'a str,
    rows: &'a [R],
}

#[derive(serde::Deserialize)]
struct UnitLineOwned<R> {
    unit: String,
    rows: Vec<R>,
}

impl<R: serde::Serialize + serde::de::DeserializeOwned> Checkpoint<R> {
    /// Open (create) a checkpoint, reading the units already finished. A
    /// torn last line is cut; any other line that is not a unit is an error
    /// naming the file and line (a checkpoint of an older codefail, or of
    /// another stage: delete it to start over).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let p = dir.path().join("c.jsonl");
    /// std::fs::write(&p, "{\"task_id\": 1}\n").unwrap();
    /// let err = codefail::store::Checkpoint::<i64>::open(&p).unwrap_err();
    /// assert!(err.to_string().contains("c.jsonl:1"), "{err}");
    /// ```
    pub fn open(path: &Path) -> Result<Checkpoint<R>> {
        // The journal creates the file and cuts a torn last line first.
        let journal = Journal::open(path)?;
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut done = std::collections::HashMap::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let u: UnitLineOwned<R> = serde_json::from_str(line).map_err(|e| {
                Error::parse(
                    path,
                    i + 1,
                    None,
                    format!(
                        "not a checkpoint unit ({e}); it was written by another stage or an \
                         older codefail: delete the file to start over"
                    ),
                )
            })?;
            // A unit recorded twice (a rerun after a kill that came
            // between two writes): the later record wins.
            done.insert(u.unit, u.rows);
        }
        Ok(Checkpoint {
            resumed: done.len(),
            done,
            journal,
        })
    }

    /// How many finished units the file held when opened.
    pub fn resumed(&self) -> usize {
        self.resumed
    }

    /// Whether `unit` was finished before (and not yet taken).
    pub fn contains(&self, unit: &str) -> bool {
        self.done.contains_key(unit)
    }

    /// The rows of a unit finished before, handed over once.
    pub fn take(&mut self, unit: &str) -> Option<Vec<R>> {
        self.done.remove(unit)
    }

    /// Record finished units, all in one write (fsync'd at most once a
    /// second; [`Checkpoint::sync`] forces it).
    pub fn record(&mut self, units: &[(String, Vec<R>)]) -> Result<()> {
        let mut lines = Vec::with_capacity(units.len());
        for (unit, rows) in units {
            lines.push(
                serde_json::to_string(&UnitLine { unit, rows })
                    .map_err(|e| Error::Invalid(format!("checkpoint unit {unit}: {e}")))?,
            );
        }
        self.journal.append(&lines)
    }

    /// fsync now.
    pub fn sync(&mut self) -> Result<()> {
        self.journal.sync()
    }

    /// The stage's output is written: delete the checkpoint.
    pub fn remove(self) -> Result<()> {
        let path = self.journal.path.clone();
        drop(self.journal);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&path, e)),
        }
    }
}

/// Cut bytes after the last newline of a journal (a line torn by a kill).
/// Returns how many bytes were cut.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("j.jsonl");
/// std::fs::write(&p, "a\nb").unwrap();
/// assert_eq!(codefail::store::cut_torn_tail(&p)?, 1);
/// assert_eq!(std::fs::read_to_string(&p).unwrap(), "a\n");
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn cut_torn_tail(path: &Path) -> Result<u64> {
    let mut f = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::io(path, e)),
    };
    let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    if len == 0 {
        return Ok(0);
    }
    // Scan back in blocks for the last newline.
    let mut end = len;
    let mut buf = vec![0u8; 64 * 1024];
    let keep = loop {
        let start = end.saturating_sub(buf.len() as u64);
        let n = (end - start) as usize;
        f.seek(SeekFrom::Start(start))
            .and_then(|_| f.read_exact(&mut buf[..n]))
            .map_err(|e| Error::io(path, e))?;
        if let Some(i) = buf[..n].iter().rposition(|&b| b == b'\n') {
            break start + i as u64 + 1;
        }
        if start == 0 {
            break 0;
        }
        end = start;
    };
    if keep < len {
        tracing::warn!(
            "{}: cutting {} bytes of a torn last line (an interrupted write)",
            path.display(),
            len - keep
        );
        f.set_len(keep).map_err(|e| Error::io(path, e))?;
        f.sync_data().map_err(|e| Error::io(path, e))?;
    }
    Ok(len - keep)
}

/// SHA-256, the one digest codefail uses for cache keys, manifests and
/// file checks (cryptographic where a key must not collide by design:
/// cached expected outputs, model files). [`Digest::field`] ends each
/// field with a NUL byte, so that ("ab", "c") and ("a", "bc") differ.
///
/// ```
/// use codefail::store::Digest;
/// let mut d = Digest::new();
/// d.field("codefail-example-v1").field("Mbpp/2");
/// assert_eq!(d.hex().len(), 64);
/// assert_ne!(Digest::of(b"ab\0c\0"), Digest::of(b"a\0bc\0"));
/// ```
#[derive(Clone, Default)]
pub struct Digest(sha2::Sha256);

impl Digest {
    /// An empty digest.
    ///
    /// ```
    /// assert_eq!(codefail::store::Digest::new().hex(), codefail::store::Digest::of(b""));
    /// ```
    pub fn new() -> Digest {
        Digest::default()
    }

    /// Feed bytes as they are.
    ///
    /// ```
    /// let mut d = codefail::store::Digest::new();
    /// d.bytes(b"abc");
    /// assert_eq!(d.hex(), codefail::store::Digest::of(b"abc"));
    /// ```
    pub fn bytes(&mut self, data: impl AsRef<[u8]>) -> &mut Digest {
        sha2::Digest::update(&mut self.0, data.as_ref());
        self
    }

    /// Feed one field: its bytes, then a NUL byte.
    ///
    /// ```
    /// let mut d = codefail::store::Digest::new();
    /// d.field("a");
    /// assert_eq!(d.hex(), codefail::store::Digest::of(b"a\0"));
    /// ```
    pub fn field(&mut self, data: impl AsRef<[u8]>) -> &mut Digest {
        self.bytes(data).bytes([0u8])
    }

    /// The 32 bytes.
    ///
    /// ```
    /// assert_eq!(codefail::store::Digest::new().raw().len(), 32);
    /// ```
    pub fn raw(self) -> [u8; 32] {
        sha2::Digest::finalize(self.0).into()
    }

    /// Lower-case hex.
    ///
    /// ```
    /// assert!(codefail::store::Digest::new().hex().starts_with("e3b0c442"));
    /// ```
    pub fn hex(self) -> String {
        hex::encode(self.raw())
    }

    /// The hex digest of `data`.
    ///
    /// ```
    /// assert!(codefail::store::Digest::of(b"").starts_with("e3b0c442"));
    /// ```
    pub fn of(data: impl AsRef<[u8]>) -> String {
        let mut d = Digest::new();
        d.bytes(data);
        d.hex()
    }

    /// The digest of a file's bytes, read in a stream; errors name the file.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let p = dir.path().join("f");
    /// std::fs::write(&p, b"abc").unwrap();
    /// let d = codefail::store::Digest::file(&p)?;
    /// assert_eq!(d.hex(), codefail::store::Digest::of(b"abc"));
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn file(path: &Path) -> Result<Digest> {
        let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut d = Digest::new();
        std::io::copy(&mut f, &mut d.0).map_err(|e| Error::io(path, e))?;
        Ok(d)
    }
}

/// FNV-1a's offset basis: [`fnv1a`]'s usual starting state.
pub const FNV_OFFSET: u64 = 0xcbf29ce484222325;

/// FNV-1a from state `h`: a hash that is the same on every run and platform
/// (std's hasher is seeded per process), for shard assignment, public-test
/// choice and sampling seeds.
///
/// ```
/// use codefail::store::{FNV_OFFSET, fnv1a};
/// assert_eq!(fnv1a(b"", FNV_OFFSET), FNV_OFFSET);
/// assert_eq!(fnv1a(b"a", FNV_OFFSET), 0xaf63dc4c8601ec8c);
/// ```
pub fn fnv1a(data: &[u8], mut h: u64) -> u64 {
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torn_tails_are_cut_and_whole_lines_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j");
        std::fs::write(&p, "x").unwrap();
        assert_eq!(cut_torn_tail(&p).unwrap(), 1);
        assert_eq!(std::fs::read(&p).unwrap(), b"");
        let long = "y".repeat(200_000);
        std::fs::write(&p, format!("a\n{long}")).unwrap();
        assert_eq!(cut_torn_tail(&p).unwrap(), 200_000);
        assert_eq!(std::fs::read(&p).unwrap(), b"a\n");
        assert_eq!(cut_torn_tail(&p).unwrap(), 0);
        assert_eq!(cut_torn_tail(&dir.path().join("none")).unwrap(), 0);
    }
}

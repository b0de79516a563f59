//! A large predictions CSV split into chunks that several threads parse and append in order.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use crate::core::data::error::LoadError;
use crate::core::data::warnings::Warnings;

use super::super::control::{LoadControl, file_len};
use super::super::csv_reader::{CsvReader, Record};
use super::super::manifest::open_csv;
use super::*;

/// Files with a body at least twice this size are parsed in chunks of about this size, which any
/// thread can take (see [`crate::core::data::load::open`]).
pub(in crate::core::data::load) const CHUNK_BYTES: u64 = 4 << 20;

/// How a predictions CSV will be parsed: already parsed (small files), or chunks to share out.
#[allow(
    clippy::large_enum_variant,
    reason = "made once per load and moved once; boxing buys nothing"
)]
pub enum CsvPlan {
    /// Parsed in one pass.
    Parsed(RawPredictions),
    /// To be parsed chunk by chunk by [`ChunkPlan::work`] on one or more threads.
    Chunks(ChunkPlan),
}

/// Reads the header of a predictions CSV and either parses a small file at once or splits a large one.
pub(super) fn plan_csv(
    path: &Path,
    root: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<CsvPlan, LoadError> {
    let (mut reader, mut rec, names) = open_csv(
        path,
        control,
        warnings,
        "a header row with file_name and prob_<class> columns",
    )?;
    let layout = layout(&names, path, Some(1), warnings)?;
    let header = CsvHeader {
        path: path.to_path_buf(),
        root: root.to_path_buf(),
        control: control.cloned(),
        names,
        layout,
    };
    let size = file_len(path);
    let body_start = reader.consumed_bytes();
    if size.saturating_sub(body_start) >= 2 * CHUNK_BYTES
        && let Some(ranges) = chunk_ranges(path, body_start, size)
    {
        return Ok(CsvPlan::Chunks(ChunkPlan::new(header, ranges, size)));
    }
    let mut out = header.empty(size);
    parse_rows(&header, &mut reader, &mut out, &mut rec)?;
    Ok(CsvPlan::Parsed(out.finish()))
}

/// Byte ranges of about [`CHUNK_BYTES`] covering `body_start..size`, each starting right after a newline.
pub(in crate::core::data::load) fn chunk_ranges(
    path: &Path,
    body_start: u64,
    size: u64,
) -> Option<Vec<(u64, u64)>> {
    use std::os::unix::fs::FileExt as _;
    let file = std::fs::File::open(path).ok()?;
    let chunks = ((size - body_start) / CHUNK_BYTES).max(2);
    let mut starts = vec![body_start];
    let mut buf = vec![0u8; 64 << 10];
    for k in 1..chunks {
        let mut at = body_start + (size - body_start) * k / chunks;
        let start = loop {
            if at >= size {
                break size;
            }
            let n = file.read_at(&mut buf, at).ok()?;
            if n == 0 {
                break size;
            }
            if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
                break at + i as u64 + 1;
            }
            at += n as u64;
        };
        if start > *starts.last()? && start < size {
            starts.push(start);
        }
    }
    Some(
        starts
            .iter()
            .zip(starts.iter().skip(1).chain([&size]))
            .map(|(&a, &b)| (a, b))
            .collect(),
    )
}

/// A large predictions CSV split into chunks that several threads parse: each thread takes the next
/// chunk until none are left (no idle spinning, unlike a thread pool, so a thread still busy with the
/// dataset is not slowed), parses it into its own reused scratch buffers, then appends them to the
/// shared result in chunk order (waiting its turn), so there is no merge at the end and no per-chunk
/// allocation churn. Chunks start right after a newline; chunk k starts at a record boundary when
/// chunk k-1, itself rightly started, ends outside any quoted field, which its reader checks (an open
/// quote at its end is an error). Any error in any chunk makes [`ChunkPlan::finish`] parse the file in
/// one pass instead, which reports errors with exact line numbers.
pub struct ChunkPlan {
    header: CsvHeader,
    ranges: Vec<(u64, u64)>,
    next: AtomicUsize,
    failed: AtomicBool,
    joined: Mutex<Joined>,
    turn: Condvar,
}

/// The chunks appended so far.
pub(super) struct Joined {
    /// The chunk whose turn it is to append.
    next: usize,
    out: Parsed,
    /// Lines before the next chunk (the header is line 1).
    lines_before: u64,
}

impl ChunkPlan {
    fn new(header: CsvHeader, ranges: Vec<(u64, u64)>, size: u64) -> Self {
        let out = header.empty(size);
        Self {
            header,
            ranges,
            next: AtomicUsize::new(0),
            failed: AtomicBool::new(false),
            joined: Mutex::new(Joined {
                next: 0,
                out,
                lines_before: 1,
            }),
            turn: Condvar::new(),
        }
    }

    /// Stops all threads after their current chunk (the load failed elsewhere).
    pub fn abandon(&self) {
        self.fail();
    }

    fn fail(&self) {
        self.failed.store(true, Ordering::Relaxed);
        // Take the lock so no waiter misses the wake-up between its check and its wait.
        drop(self.joined.lock());
        self.turn.notify_all();
    }

    /// Parses chunks until none are left; call from any number of threads.
    pub fn work(&self) {
        use std::io::{Read as _, Seek as _};
        let h = &self.header;
        let mut scratch = h.empty(CHUNK_BYTES + CHUNK_BYTES / 2);
        let mut rec = Record::default();
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(&(start, end)) = self.ranges.get(i) else {
                return;
            };
            if self.failed.load(Ordering::Relaxed) {
                return;
            }
            scratch.clear();
            let lines = (|| {
                let mut f = std::fs::File::open(&h.path).ok()?;
                f.seek(std::io::SeekFrom::Start(start)).ok()?;
                let mut reader =
                    CsvReader::new_slice(f.take(end - start), &h.path, h.control.clone());
                parse_rows(h, &mut reader, &mut scratch, &mut rec).ok()?;
                Some(reader.line() - 1)
            })();
            let Some(lines) = lines else {
                self.fail();
                return;
            };
            let Ok(mut joined) = self.joined.lock() else {
                self.fail();
                return;
            };
            while joined.next != i && !self.failed.load(Ordering::Relaxed) {
                joined = match self.turn.wait(joined) {
                    Ok(j) => j,
                    Err(_) => {
                        self.failed.store(true, Ordering::Relaxed);
                        return;
                    }
                };
            }
            if self.failed.load(Ordering::Relaxed) {
                return;
            }
            let Joined {
                out,
                lines_before,
                next,
            } = &mut *joined;
            if out.append(&scratch, *lines_before).is_none() {
                drop(joined);
                self.fail();
                return;
            }
            *lines_before += lines;
            *next += 1;
            drop(joined);
            self.turn.notify_all();
        }
    }

    /// The joined chunks, or one pass over the file if any chunk could not be taken on its own.
    pub fn finish(self) -> Result<RawPredictions, LoadError> {
        let Self {
            header,
            failed,
            joined,
            ranges,
            ..
        } = self;
        let joined = joined
            .into_inner()
            .ok()
            .filter(|j| !failed.into_inner() && j.next == ranges.len());
        match joined {
            Some(j) => Ok(j.out.finish()),
            None => {
                let mut reader = CsvReader::open(&header.path, header.control.clone())?;
                let mut rec = Record::default();
                reader.read_record(&mut rec)?; // the header, already checked
                let mut out = header.empty(file_len(&header.path));
                parse_rows(&header, &mut reader, &mut out, &mut rec)?;
                Ok(out.finish())
            }
        }
    }
}

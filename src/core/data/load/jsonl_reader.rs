//! JSON Lines: one JSON object per line. Blank lines are skipped; anything else that is not an object
//! is an error naming the line. A line is capped at the CSV reader's record cap, and read in bounded
//! steps, so a file with no line breaks never lands in memory whole.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use serde_json::{Map, Value};

use crate::core::data::error::LoadError;

use super::control::LoadControl;
use super::csv_reader::MAX_RECORD_BYTES;

/// One JSONL object and the line it was on.
pub type JsonRow = (u64, Map<String, Value>);

/// Streams objects from a JSONL file (or bytes already in memory, as a Beam shard is).
pub struct JsonlReader<R = BufReader<File>> {
    reader: R,
    path: PathBuf,
    line: u64,
    buf: Vec<u8>,
    control: Option<LoadControl>,
    max_line: usize,
}

impl JsonlReader {
    /// Opens `path`.
    pub fn open(path: &Path, control: Option<LoadControl>) -> Result<Self, LoadError> {
        let file = File::open(path).map_err(|e| LoadError::io(path, e))?;
        Ok(Self {
            reader: BufReader::with_capacity(1 << 20, file),
            path: path.to_path_buf(),
            line: 0,
            buf: Vec::new(),
            control,
            max_line: MAX_RECORD_BYTES,
        })
    }
}

impl<R: BufRead> JsonlReader<R> {
    /// Reads objects from `reader`; `path` names the source in errors.
    pub fn from_reader(reader: R, path: &Path) -> Self {
        Self {
            reader,
            path: path.to_path_buf(),
            line: 0,
            buf: Vec::new(),
            control: None,
            max_line: MAX_RECORD_BYTES,
        }
    }

    /// The same reader with a smaller line cap (tests: a long line without writing 64 MiB).
    #[cfg(test)]
    fn with_max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line;
        self
    }

    /// The next object and the line it is on, or `None` at the end.
    pub fn next_object(&mut self) -> Result<Option<JsonRow>, LoadError> {
        loop {
            let n = read_line_capped(&mut self.reader, &mut self.buf, self.max_line)
                .map_err(|e| match e {
                    LineError::Io(e) => LoadError::io(&self.path, e),
                    LineError::TooLong => LoadError::parse(
                        &self.path,
                        self.line + 1,
                        format!(
                            "a line runs on for more than {} MiB; is this JSON Lines (one object per line)?",
                            self.max_line >> 20
                        ),
                    ),
                })?;
            if n == 0 {
                return Ok(None);
            }
            if let Some(c) = &self.control {
                c.progress.fetch_add(n as u64, Ordering::Relaxed);
            }
            self.line += 1;
            let mut bytes = self.buf.as_slice();
            if self.line == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
                bytes = &bytes[3..];
            }
            let text = std::str::from_utf8(bytes).map_err(|e| {
                LoadError::parse(
                    &self.path,
                    self.line,
                    format!("not valid UTF-8 (bad byte at offset {})", e.valid_up_to()),
                )
            })?;
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(text).map_err(|e| {
                let msg = e.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                LoadError::parse(
                    &self.path,
                    self.line,
                    format!("not valid JSON: {msg} (column {})", e.column()),
                )
            })?;
            return match value {
                Value::Object(map) => Ok(Some((self.line, map))),
                other => Err(LoadError::parse(
                    &self.path,
                    self.line,
                    format!(
                        "expected a JSON object on each line, found {}",
                        describe(&other)
                    ),
                )),
            };
        }
    }
}

impl<R> JsonlReader<R> {
    /// The text of the object [`Self::next_object`] returned last, as written (byte-order mark and
    /// surrounding white space removed): a Beam shard's rows are routed as they are, so a bucket
    /// reads exactly what the shard held (key order included).
    pub fn last_line(&self) -> &[u8] {
        let mut bytes = self.buf.as_slice();
        if self.line == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
            bytes = &bytes[3..];
        }
        bytes.trim_ascii()
    }
}

/// Why a line could not be read.
enum LineError {
    Io(std::io::Error),
    TooLong,
}

/// Reads one line (with its `\n`) into `buf` like `read_until`, but stops with
/// [`LineError::TooLong`] before `buf` would pass `max` bytes: memory stays bounded by `max` plus
/// the reader's buffer however long the line is. Returns the bytes read (0 at the end).
fn read_line_capped(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> Result<usize, LineError> {
    buf.clear();
    loop {
        let available = match reader.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(LineError::Io(e)),
        };
        if available.is_empty() {
            return Ok(buf.len());
        }
        let (take, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if buf.len() + take > max {
            return Err(LineError::TooLong);
        }
        buf.extend_from_slice(&available[..take]);
        reader.consume(take);
        if done {
            return Ok(buf.len());
        }
    }
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The string value of `key` in a JSONL object; `what` ends the error message when it is missing or
/// not a string (e.g. "must be a string").
pub fn string_field<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &Path,
    line: u64,
    what: &str,
) -> Result<&'a str, LoadError> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s.as_str()),
        _ => Err(LoadError::parse(path, line, format!("{key:?} {what}"))),
    }
}

/// A JSON value as the text a manifest cell would hold: strings as they are, `null` as empty,
/// numbers and booleans as written, arrays and objects as compact JSON.
pub fn value_text(v: &Value) -> std::borrow::Cow<'_, str> {
    match v {
        Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
        Value::Null => std::borrow::Cow::Borrowed(""),
        other => std::borrow::Cow::Owned(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, text: &[u8]) -> PathBuf {
        let path = dir.path().join("m.jsonl");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_line_over_the_cap_is_an_error_naming_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = b"{\"file_name\": \"a.jpg\"}\n\n{\"file_name\": \"".to_vec();
        text.extend(std::iter::repeat_n(b'x', 10_000));
        text.extend_from_slice(b"\"}\n");
        let path = write(&dir, &text);
        let mut reader = JsonlReader::open(&path, None).unwrap().with_max_line(4096);
        assert!(reader.next_object().unwrap().is_some());
        let err = reader.next_object().unwrap_err();
        match &err {
            LoadError::Parse {
                path: p,
                line,
                message,
            } => {
                assert_eq!(p, &path);
                assert_eq!(*line, Some(3));
                assert!(message.contains("runs on"), "{message}");
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
        // Memory stayed bounded: the line buffer never grew past the cap.
        assert!(
            reader.buf.capacity() <= 2 * 4096,
            "{}",
            reader.buf.capacity()
        );
    }

    #[test]
    fn lines_up_to_the_cap_read_whole_with_and_without_a_final_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, b"{\"a\": 1}\r\n{\"b\": 2}");
        let mut reader = JsonlReader::open(&path, None).unwrap().with_max_line(10);
        let (line, first) = reader.next_object().unwrap().unwrap();
        assert_eq!((line, first.get("a")), (1, Some(&Value::from(1))));
        let (line, second) = reader.next_object().unwrap().unwrap();
        assert_eq!((line, second.get("b")), (2, Some(&Value::from(2))));
        assert!(reader.next_object().unwrap().is_none());
    }

    #[test]
    fn bytes_in_memory_read_as_a_file_and_each_line_comes_back_as_written() {
        let text = b"\xEF\xBB\xBF{\"z\": 1, \"a\": 2}\r\n\n  {\"b\": [1,2]}  \n{\"c\": }\n";
        let mut reader = JsonlReader::from_reader(&text[..], Path::new("shard.jsonl"));
        let (line, first) = reader.next_object().unwrap().unwrap();
        assert_eq!((line, first.len()), (1, 2));
        // Key order and spacing as written, without the byte-order mark or the line break.
        assert_eq!(reader.last_line(), b"{\"z\": 1, \"a\": 2}");
        let (line, _) = reader.next_object().unwrap().unwrap();
        assert_eq!((line, reader.last_line()), (3, &b"{\"b\": [1,2]}"[..]));
        let err = reader.next_object().unwrap_err().to_string();
        assert!(err.starts_with("shard.jsonl:4: not valid JSON"), "{err}");
    }
}

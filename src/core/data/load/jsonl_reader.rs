//! JSON Lines: one JSON object per line. Blank lines are skipped; anything else that is not an object
//! is an error naming the line.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use serde_json::{Map, Value};

use crate::core::data::error::LoadError;

use super::control::LoadControl;

/// One JSONL object and the line it was on.
pub type JsonRow = (u64, Map<String, Value>);

/// Streams objects from a JSONL file.
pub struct JsonlReader {
    reader: BufReader<File>,
    path: PathBuf,
    line: u64,
    buf: Vec<u8>,
    control: Option<LoadControl>,
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
        })
    }

    /// The next object and the line it is on, or `None` at the end.
    pub fn next_object(&mut self) -> Result<Option<JsonRow>, LoadError> {
        loop {
            self.buf.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| LoadError::io(&self.path, e))?;
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

//! A lean, strict CSV reader (RFC 4180: `,` separators, `"` quoting with `""` escapes, `\n` or `\r\n`
//! line ends). Unquoted records, the vast majority, are split with `memchr` straight from a large read
//! buffer; records containing a quote take a byte-by-byte state machine. No allocation per field or
//! record. Physical line numbers are tracked so every error can point at the line to fix. Every record
//! read with [`CsvReader::read_record`] also knows where it and each of its fields are in the input
//! (byte offsets), so label write-back splices fields with this same tokenizer instead of a second one.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use super::control::LoadControl;
use crate::core::data::error::LoadError;

const CHUNK: usize = 1 << 20;
/// A record longer than this is almost surely an unbalanced quote swallowing the rest of the file.
/// JSONL lines share the cap, so neither format holds more than this of one row in memory.
pub(super) const MAX_RECORD_BYTES: usize = 64 << 20;

/// One parsed record: field `i` is `data[spans[i].0..spans[i].1]` (unescaped).
#[derive(Debug, Default, Clone)]
pub struct Record {
    data: Vec<u8>,
    spans: Vec<(usize, usize)>,
    field_start: usize,
    line: u64,
    /// The record's bytes as text when valid UTF-8 (checked once per record, not per field; `data`
    /// is moved in here, not copied).
    utf8: Option<String>,
    /// Byte offset in the input of the record's first byte.
    start: u64,
    /// Byte offset in the input where the record's content ends (before its line break).
    content_end: u64,
    /// For a record with quotes: each field's raw span in the input (quotes included). A record
    /// without quotes is its own raw text, so its spans are `start` plus `spans`.
    raw: Vec<(u64, u64)>,
    quoted: bool,
}

impl Record {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the record has no fields.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The line the record starts on (1-based).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Raw bytes of field `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let &(start, end) = self.spans.get(i)?;
        match &self.utf8 {
            Some(text) => text.as_bytes().get(start..end),
            None => self.data.get(start..end),
        }
    }

    /// Field `i` as text; invalid UTF-8 is an error naming the line and column.
    pub fn str(&self, i: usize, path: &Path, column: &str) -> Result<&str, LoadError> {
        if let (Some(text), Some(&(start, end))) = (self.utf8.as_deref(), self.spans.get(i))
            && let Some(field) = text.get(start..end)
        {
            return Ok(field);
        }
        let bytes = self.get(i).unwrap_or_default();
        std::str::from_utf8(bytes).map_err(|e| {
            LoadError::parse(
                path,
                self.line,
                format!(
                    "the {column:?} field is not valid UTF-8 (bad byte at offset {})",
                    e.valid_up_to()
                ),
            )
        })
    }

    /// Where field `i` is in the input, quotes included: what a write-back replaces to change the
    /// field and nothing else. Filled by [`CsvReader::read_record`] (not by [`Record::set_from_line`]).
    pub fn raw_span(&self, i: usize) -> Option<(u64, u64)> {
        if self.quoted {
            return self.raw.get(i).copied();
        }
        let &(a, b) = self.spans.get(i)?;
        Some((self.start + a as u64, self.start + b as u64))
    }

    /// Where the record's content ends in the input (before its line break): where a field appended
    /// to the row goes.
    pub fn content_end(&self) -> u64 {
        self.content_end
    }

    fn clear(&mut self, line: u64) {
        if let Some(text) = self.utf8.take() {
            self.data = text.into_bytes();
        }
        self.data.clear();
        self.spans.clear();
        self.raw.clear();
        self.quoted = false;
        self.field_start = 0;
        self.line = line;
    }

    /// Checks the whole record for UTF-8 once it is complete.
    fn finish(&mut self) {
        match String::from_utf8(std::mem::take(&mut self.data)) {
            Ok(text) => self.utf8 = Some(text),
            Err(e) => self.data = e.into_bytes(),
        }
    }

    fn end_field(&mut self) {
        self.spans.push((self.field_start, self.data.len()));
        self.field_start = self.data.len();
    }
}

/// What [`CsvReader::next_line`] found.
pub enum Next<'a> {
    /// A line with no quote character: its bytes (without the line end) and its line number.
    Line(&'a [u8], u64),
    /// A record with quotes, parsed into the caller's [`Record`].
    Record,
    /// The end of the input.
    End,
}

/// Where the next line is in the buffer (so the borrow of the buffer starts after the search).
enum Found {
    Line(usize, usize, u64),
    Record,
    End,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// Streams records from a CSV file.
pub struct CsvReader<R> {
    reader: R,
    path: PathBuf,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    started: bool,
    line: u64,
    control: Option<LoadControl>,
    /// Bytes taken from `reader` so far.
    read_total: u64,
    /// Whether a UTF-8 byte-order mark at the start is skipped (only at the start of a file).
    skip_bom: bool,
    /// Input offsets of the last line the fast path found (its start, and its end before the line break).
    line_span: (u64, u64),
}

impl CsvReader<File> {
    /// Opens `path` for reading.
    pub fn open(path: &Path, control: Option<LoadControl>) -> Result<Self, LoadError> {
        let file = File::open(path).map_err(|e| LoadError::io(path, e))?;
        Ok(Self::new(file, path, control))
    }
}

impl<R: Read> CsvReader<R> {
    /// Reads CSV from any reader; `path` is only used in error messages.
    pub fn new(reader: R, path: &Path, control: Option<LoadControl>) -> Self {
        Self {
            reader,
            path: path.to_path_buf(),
            buf: vec![0; CHUNK],
            pos: 0,
            end: 0,
            eof: false,
            started: false,
            line: 1,
            control,
            read_total: 0,
            skip_bom: true,
            line_span: (0, 0),
        }
    }

    /// A reader for a slice of a file that starts at a line boundary (parallel parsing): no byte-order
    /// mark is expected and line numbers count from 1 within the slice.
    pub fn new_slice(reader: R, path: &Path, control: Option<LoadControl>) -> Self {
        Self {
            skip_bom: false,
            ..Self::new(reader, path, control)
        }
    }

    /// The line number the next record would start on (so `line() - 1` lines were consumed).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Bytes of the input consumed by the records read so far (where the next record starts).
    pub fn consumed_bytes(&self) -> u64 {
        self.read_total - (self.end - self.pos) as u64
    }

    /// The file being read (for error messages built by callers).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The input offset of buffer index `i`.
    fn offset_of(&self, i: usize) -> u64 {
        self.read_total - self.end as u64 + i as u64
    }

    /// Moves unread bytes to the front and reads more; grows the buffer when a record fills it.
    fn fill(&mut self) -> Result<(), LoadError> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= MAX_RECORD_BYTES {
                return Err(LoadError::parse(
                    &self.path,
                    self.line,
                    "a record runs on for more than 64 MiB; is a quote unbalanced?",
                ));
            }
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => {
                    self.end += n;
                    self.read_total += n as u64;
                    if let Some(c) = &self.control {
                        c.progress.fetch_add(n as u64, Ordering::Relaxed);
                    }
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(LoadError::io(&self.path, e)),
            }
        }
        if !self.started && self.end >= 3 {
            self.started = true;
            if self.skip_bom && self.buf.starts_with(b"\xEF\xBB\xBF") {
                self.pos = 3;
            }
        } else if self.eof {
            self.started = true;
        }
        Ok(())
    }

    /// Reads the next non-blank record into `rec`; `Ok(false)` at the end of the file.
    pub fn read_record(&mut self, rec: &mut Record) -> Result<bool, LoadError> {
        match self.next_line(rec)? {
            Next::Line(line, line_no) => {
                split_unquoted(line, rec, line_no);
                rec.finish();
                (rec.start, rec.content_end) = self.line_span;
                Ok(true)
            }
            Next::Record => Ok(true),
            Next::End => Ok(false),
        }
    }

    /// The next non-blank record: a line without quotes as its raw bytes (not split, not copied, not
    /// checked for UTF-8: a caller that knows the layout can parse it in one pass), or any other
    /// record parsed into `rec`.
    pub fn next_line(&mut self, rec: &mut Record) -> Result<Next<'_>, LoadError> {
        let (start, len, line_no) = match self.find_unquoted_line(rec)? {
            Found::Line(start, len, line_no) => (start, len, line_no),
            Found::Record => return Ok(Next::Record),
            Found::End => return Ok(Next::End),
        };
        Ok(Next::Line(
            self.buf.get(start..start + len).unwrap_or_default(),
            line_no,
        ))
    }

    fn find_unquoted_line(&mut self, rec: &mut Record) -> Result<Found, LoadError> {
        loop {
            if self.pos == self.end || !self.started {
                if self.eof {
                    return Ok(Found::End);
                }
                self.fill()?;
                continue;
            }
            let avail = &self.buf[self.pos..self.end];
            match memchr::memchr2(b'\n', b'"', avail) {
                Some(i) if avail[i] == b'\n' => {
                    let line_no = self.line;
                    self.line += 1;
                    let mut line = &avail[..i];
                    if let Some(stripped) = line.strip_suffix(b"\r") {
                        line = stripped;
                    }
                    let consumed = i + 1;
                    if line.is_empty() {
                        self.pos += consumed;
                        continue;
                    }
                    let start = self.offset_of(self.pos);
                    self.line_span = (start, start + line.len() as u64);
                    let found = Found::Line(self.pos, line.len(), line_no);
                    self.pos += consumed;
                    return Ok(found);
                }
                Some(_) => {
                    self.read_quoted_record(rec)?;
                    return Ok(Found::Record);
                }
                None if self.eof => {
                    let line_no = self.line;
                    let mut line = avail;
                    if let Some(stripped) = line.strip_suffix(b"\r") {
                        line = stripped;
                    }
                    if line.is_empty() {
                        self.pos = self.end;
                        return Ok(Found::End);
                    }
                    let start = self.offset_of(self.pos);
                    self.line_span = (start, start + line.len() as u64);
                    let found = Found::Line(self.pos, line.len(), line_no);
                    self.pos = self.end;
                    return Ok(found);
                }
                None => self.fill()?,
            }
        }
    }

    /// The state machine for a record that contains at least one quote character.
    fn read_quoted_record(&mut self, rec: &mut Record) -> Result<bool, LoadError> {
        let start_line = self.line;
        rec.clear(start_line);
        rec.quoted = true;
        rec.start = self.offset_of(self.pos);
        let mut raw_field_start = rec.start;
        let mut last = 0u8;
        let mut state = State::FieldStart;
        let mut field_start_line = start_line;
        let mut i = 0usize;
        loop {
            if self.pos + i == self.end {
                if self.eof {
                    if state == State::Quoted {
                        return Err(LoadError::parse(
                            &self.path,
                            field_start_line,
                            "unbalanced quote: the quoted field that starts on this line is never closed",
                        ));
                    }
                    strip_cr(rec, state);
                    rec.end_field();
                    rec.content_end = self.offset_of(self.end) - u64::from(last == b'\r');
                    rec.raw.push((raw_field_start, rec.content_end));
                    rec.finish();
                    self.pos = self.end;
                    return Ok(true);
                }
                self.fill()?;
                continue;
            }
            let b = self.buf[self.pos + i];
            let at = self.offset_of(self.pos + i);
            i += 1;
            let before = last;
            last = b;
            match (state, b) {
                (State::FieldStart, b'"') => {
                    state = State::Quoted;
                    field_start_line = self.line;
                }
                (State::FieldStart | State::Unquoted | State::QuoteInQuoted, b',') => {
                    rec.end_field();
                    rec.raw.push((raw_field_start, at));
                    raw_field_start = at + 1;
                    state = State::FieldStart;
                }
                (State::FieldStart | State::Unquoted | State::QuoteInQuoted, b'\n') => {
                    strip_cr(rec, state);
                    rec.end_field();
                    rec.content_end = at - u64::from(before == b'\r');
                    rec.raw.push((raw_field_start, rec.content_end));
                    rec.finish();
                    self.line += 1;
                    self.pos += i;
                    return Ok(true);
                }
                (State::FieldStart | State::Unquoted, _) => {
                    rec.data.push(b);
                    state = State::Unquoted;
                }
                (State::Quoted, b'"') => state = State::QuoteInQuoted,
                (State::Quoted, _) => {
                    if b == b'\n' {
                        self.line += 1;
                    }
                    rec.data.push(b);
                }
                (State::QuoteInQuoted, b'"') => {
                    rec.data.push(b'"');
                    state = State::Quoted;
                }
                (State::QuoteInQuoted, b'\r') => {}
                (State::QuoteInQuoted, other) => {
                    return Err(LoadError::parse(
                        &self.path,
                        self.line,
                        format!(
                            "unexpected {:?} after the closing quote of field {}; a quote inside a quoted field must be doubled (\"\")",
                            char::from(other),
                            rec.len() + 1
                        ),
                    ));
                }
            }
        }
    }
}

/// A CSV field holding `value`: quoted (quotes doubled) when it holds a separator, a quote, a line
/// break or leading/trailing spaces (which some readers trim), or when `force` asks for it (a field that
/// was quoted before stays quoted). The one CSV quoter, for write-back and exports alike.
pub fn quote_field(value: &str, force: bool) -> std::borrow::Cow<'_, str> {
    if force || value.contains([',', '"', '\n', '\r']) || value.trim() != value {
        std::borrow::Cow::Owned(format!("\"{}\"", value.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

fn strip_cr(rec: &mut Record, state: State) {
    if state == State::Unquoted && rec.data.last() == Some(&b'\r') {
        rec.data.pop();
    }
}

impl Record {
    /// Fills the record from a line [`CsvReader::next_line`] returned raw.
    pub fn set_from_line(&mut self, line: &[u8], line_no: u64) {
        split_unquoted(line, self, line_no);
        self.finish();
    }
}

fn split_unquoted(line: &[u8], rec: &mut Record, line_no: u64) {
    rec.clear(line_no);
    rec.data.extend_from_slice(line);
    let mut start = 0;
    for_each_comma(line, |comma| {
        rec.spans.push((start, comma));
        start = comma + 1;
    });
    rec.spans.push((start, line.len()));
}

/// Calls `f` with the position of every `,` in `line`, eight bytes at a time. A `memchr` call per
/// field pays its setup on every short field; this scan does not. The zero-byte mask is the exact
/// form (no false positives from borrows), so every set bit is a comma.
fn for_each_comma(line: &[u8], mut f: impl FnMut(usize)) {
    const COMMAS: u64 = u64::from_ne_bytes([b','; 8]);
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut i = 0;
    let mut words = line.chunks_exact(8);
    for word in &mut words {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let x = u64::from_le_bytes(bytes) ^ COMMAS;
        // High bit set exactly in the bytes of x that are zero, i.e. the commas.
        let mut zeros = !(((x & LOW7) + LOW7) | x | LOW7);
        while zeros != 0 {
            f(i + (zeros.trailing_zeros() / 8) as usize);
            zeros &= zeros - 1;
        }
        i += 8;
    }
    for (k, &b) in words.remainder().iter().enumerate() {
        if b == b',' {
            f(i + k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<(u64, Vec<String>)>, LoadError> {
        let mut r = CsvReader::new(text.as_bytes(), Path::new("t.csv"), None);
        let mut rec = Record::default();
        let mut out = Vec::new();
        while r.read_record(&mut rec)? {
            let fields = (0..rec.len())
                .map(|i| String::from_utf8_lossy(rec.get(i).unwrap()).into_owned())
                .collect();
            out.push((rec.line(), fields));
        }
        Ok(out)
    }

    fn rows(text: &str) -> Vec<Vec<String>> {
        parse(text).unwrap().into_iter().map(|(_, f)| f).collect()
    }

    #[test]
    fn comma_scan_finds_every_comma() {
        for text in [
            "",
            ",",
            "a,b",
            ",,,,,,,,,,",
            "abcdefgh,ijklmnop,",
            "x\u{1}\u{2c}y,,\u{ff},",
            "0123456,89,,ab,cdefghijklmnop,q",
        ] {
            let mut found = Vec::new();
            for_each_comma(text.as_bytes(), |p| found.push(p));
            let expected: Vec<usize> = text
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b == b',')
                .map(|(i, _)| i)
                .collect();
            assert_eq!(found, expected, "{text:?}");
        }
        let all: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
        let mut found = Vec::new();
        for_each_comma(&all, |p| found.push(p));
        assert_eq!(found, [44, 300]);
    }

    #[test]
    fn plain_and_quoted_fields() {
        assert_eq!(
            rows("a,b,c\n1,,3\n"),
            [vec!["a", "b", "c"], vec!["1", "", "3"]]
        );
        assert_eq!(
            rows("a,\"x, \"\"y\"\"\",c\r\n"),
            [vec!["a", "x, \"y\"", "c"]]
        );
        assert_eq!(rows("\"\",b"), [vec!["", "b"]]);
        assert_eq!(
            rows("a,tagged \"blurry\"\n"),
            [vec!["a", "tagged \"blurry\""]]
        );
        assert_eq!(rows("a,b\r\n\r\n\nc,d"), [vec!["a", "b"], vec!["c", "d"]]);
        assert_eq!(rows("\u{feff}a,b\n"), [vec!["a", "b"]]);
        assert_eq!(rows("a,\"q\"\r\nc,d\n"), [vec!["a", "q"], vec!["c", "d"]]);
        assert_eq!(rows("x,"), [vec!["x", ""]]);
    }

    #[test]
    fn line_numbers_count_newlines_inside_quotes() {
        let out = parse("h1,h2\n\"multi\nline\",2\nlast,3\n").unwrap();
        assert_eq!(out[1].0, 2);
        assert_eq!(out[1].1, ["multi\nline", "2"]);
        assert_eq!(out[2].0, 4);
    }

    #[test]
    fn unbalanced_quote_names_its_line() {
        let err = parse("a,b\n1,2\n3,\"oops\n4,5\n").unwrap_err().to_string();
        assert!(err.starts_with("t.csv:3: unbalanced quote"), "{err}");
    }

    #[test]
    fn junk_after_closing_quote_is_an_error() {
        let err = parse("a,b\n\"x\"y,2\n").unwrap_err().to_string();
        assert!(err.starts_with("t.csv:2: unexpected 'y'"), "{err}");
    }

    #[test]
    fn raw_spans_point_at_each_field_in_the_input() {
        let text =
            "\u{feff}h1,h2\r\nplain,x\r\n\"q, \"\"1\"\"\",\"multi\r\nline\"\r\n\r\nlast,\"z\"";
        let mut r = CsvReader::new(text.as_bytes(), Path::new("t.csv"), None);
        let mut rec = Record::default();
        let mut seen = Vec::new();
        while r.read_record(&mut rec).unwrap() {
            let fields: Vec<&str> = (0..rec.len())
                .map(|i| {
                    let (a, b) = rec.raw_span(i).unwrap();
                    &text[a as usize..b as usize]
                })
                .collect();
            let rest = &text[rec.content_end() as usize..];
            seen.push((fields, rest.chars().take(2).collect::<String>()));
        }
        assert_eq!(
            seen,
            [
                (vec!["h1", "h2"], "\r\n".to_string()),
                (vec!["plain", "x"], "\r\n".to_string()),
                (
                    vec!["\"q, \"\"1\"\"\"", "\"multi\r\nline\""],
                    "\r\n".to_string()
                ),
                (vec!["last", "\"z\""], String::new()),
            ]
        );
    }

    #[test]
    fn quote_field_quotes_only_what_needs_it() {
        assert_eq!(quote_field("cat", false), "cat");
        assert_eq!(quote_field("cat", true), "\"cat\"");
        assert_eq!(quote_field("a, \"b\"", false), "\"a, \"\"b\"\"\"");
        assert_eq!(quote_field(" pad", false), "\" pad\"");
    }

    #[test]
    fn records_longer_than_the_buffer() {
        let long = "z".repeat(3 * CHUNK);
        let text = format!("a,b\n{long},\"{long}\"\nend,1\n");
        let out = rows(&text);
        assert_eq!(out[1][0].len(), 3 * CHUNK);
        assert_eq!(out[1][1].len(), 3 * CHUNK);
        assert_eq!(out[2], ["end", "1"]);
    }
}

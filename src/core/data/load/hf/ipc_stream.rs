//! Arrow IPC stream files (what `datasets`' `save_to_disk` writes), read without their media: the
//! stream is walked message by message, and a batch is decoded from only the byte ranges of the
//! columns asked for, so opening a folder of embedded images reads its labels, not its pixels.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_buffer::{Buffer, MutableBuffer};
use arrow_ipc::{MessageHeader, MetadataVersion};
use arrow_schema::{DataType, SchemaRef};

/// Largest flatbuffer header accepted for one message (real ones are a few KB).
const MAX_HEADER_BYTES: usize = 64 << 20;

/// Where one record batch of a stream lies in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEntry {
    /// The message's flatbuffer header.
    header_offset: u64,
    header_len: usize,
    /// The body the header's buffers point into.
    body_offset: u64,
    body_len: u64,
    /// Rows in the batch.
    pub rows: u64,
}

/// The schema and batch positions of one stream file.
#[derive(Debug, Clone)]
pub struct StreamIndex {
    /// The stream's schema (with its `huggingface` metadata).
    pub schema: SchemaRef,
    /// Record batches in stream order.
    pub batches: Vec<BatchEntry>,
    /// Dictionaries the stream declared (rare in `datasets` files), decoded at index time.
    dictionaries: HashMap<i64, ArrayRef>,
}

impl StreamIndex {
    /// Total rows.
    pub fn rows(&self) -> u64 {
        self.batches.iter().map(|b| b.rows).sum()
    }
}

fn err(what: impl std::fmt::Display) -> String {
    format!("not a readable Arrow IPC stream: {what}")
}

/// Reads a message's length prefix; `None` at the end of the stream.
fn read_prefix(r: &mut impl Read) -> Result<Option<usize>, String> {
    let mut word = [0u8; 4];
    match r.read_exact(&mut word) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.to_string()),
    }
    let mut len = i32::from_le_bytes(word);
    if len == -1 {
        r.read_exact(&mut word)
            .map_err(|_| err("the file ends inside a message length"))?;
        len = i32::from_le_bytes(word);
    }
    if len == 0 {
        return Ok(None);
    }
    usize::try_from(len)
        .ok()
        .filter(|&l| l <= MAX_HEADER_BYTES)
        .map(Some)
        .ok_or_else(|| err(format!("a message header of {len} bytes")))
}

/// Walks the stream once: the schema, each batch's position and row count, and any dictionaries.
pub fn index_stream(path: &Path) -> Result<StreamIndex, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let file_len = file.metadata().map_err(|e| e.to_string())?.len();
    let mut r = BufReader::new(file);
    let mut pos: u64 = 0;
    let mut schema: Option<SchemaRef> = None;
    let mut batches = Vec::new();
    let mut dictionaries = HashMap::new();
    let mut header = Vec::new();
    loop {
        let start = pos;
        let Some(len) = read_prefix(&mut r)? else {
            break;
        };
        // The prefix was 4 or 8 bytes; the reader's position tells which.
        pos = r.stream_position().map_err(|e| e.to_string())?;
        let _ = start;
        header.resize(len, 0);
        r.read_exact(&mut header)
            .map_err(|_| err("the file ends inside a message header (truncated?)"))?;
        let header_offset = pos;
        pos += len as u64;
        let message = arrow_ipc::root_as_message(&header).map_err(|e| {
            err(format!(
                "a corrupt message header at byte {header_offset}: {e}"
            ))
        })?;
        let body_len =
            u64::try_from(message.bodyLength()).map_err(|_| err("a negative body length"))?;
        if pos.checked_add(body_len).is_none_or(|end| end > file_len) {
            return Err(err(format!(
                "a message at byte {header_offset} says its body has {body_len} bytes, past the end of the file (truncated?)"
            )));
        }
        match message.header_type() {
            MessageHeader::Schema => {
                let fb = message
                    .header_as_schema()
                    .ok_or_else(|| err("an unreadable schema"))?;
                let s = arrow_ipc::convert::try_fb_to_schema(fb).map_err(err)?;
                schema = Some(Arc::new(s));
                r.seek_relative(body_len as i64)
                    .map_err(|e| e.to_string())?;
            }
            MessageHeader::RecordBatch => {
                let fb = message
                    .header_as_record_batch()
                    .ok_or_else(|| err("an unreadable record batch header"))?;
                let rows = u64::try_from(fb.length()).map_err(|_| err("a negative row count"))?;
                batches.push(BatchEntry {
                    header_offset,
                    header_len: len,
                    body_offset: pos,
                    body_len,
                    rows,
                });
                r.seek_relative(body_len as i64)
                    .map_err(|e| e.to_string())?;
            }
            MessageHeader::DictionaryBatch => {
                let schema = schema
                    .as_ref()
                    .ok_or_else(|| err("a dictionary before the schema"))?;
                let fb = message
                    .header_as_dictionary_batch()
                    .ok_or_else(|| err("an unreadable dictionary header"))?;
                let mut body = vec![0u8; body_len as usize];
                r.read_exact(&mut body)
                    .map_err(|_| err("the file ends inside a dictionary"))?;
                arrow_ipc::reader::read_dictionary(
                    &Buffer::from_vec(body),
                    fb,
                    schema,
                    &mut dictionaries,
                    &message.version(),
                )
                .map_err(err)?;
            }
            other => return Err(err(format!("an unexpected {other:?} message"))),
        }
        pos += body_len;
    }
    let schema = schema.ok_or_else(|| err("no schema message (is this an Arrow stream?)"))?;
    Ok(StreamIndex {
        schema,
        batches,
        dictionaries,
    })
}

/// How many IPC buffers a column of this type has (version 5 layout); `None` for types whose count
/// depends on the batch (views, unions), which are then read whole.
fn buffer_count(dt: &DataType) -> Option<usize> {
    Some(match dt {
        DataType::Null => 0,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Binary | DataType::LargeBinary => 3,
        DataType::List(f) | DataType::LargeList(f) | DataType::Map(f, _) => {
            2 + buffer_count(f.data_type())?
        }
        DataType::FixedSizeList(f, _) => 1 + buffer_count(f.data_type())?,
        DataType::Struct(fields) => {
            let mut n = 1;
            for f in fields {
                n += buffer_count(f.data_type())?;
            }
            n
        }
        DataType::Dictionary(_, _) => 2,
        DataType::Utf8View
        | DataType::BinaryView
        | DataType::ListView(_)
        | DataType::LargeListView(_)
        | DataType::Union(_, _)
        | DataType::RunEndEncoded(_, _) => return None,
        _ => 2,
    })
}

/// Decodes batch `entry` of a stream, columns `projection` only (in that order), reading from the
/// file just the byte ranges those columns occupy.
pub fn read_batch(
    file: &mut File,
    index: &StreamIndex,
    entry: &BatchEntry,
    projection: &[usize],
) -> Result<RecordBatch, String> {
    let mut header = vec![0u8; entry.header_len];
    file.seek(SeekFrom::Start(entry.header_offset))
        .and_then(|_| file.read_exact(&mut header))
        .map_err(|e| err(format!("cannot read a batch header: {e}")))?;
    let message = arrow_ipc::root_as_message(&header).map_err(err)?;
    let fb = message
        .header_as_record_batch()
        .ok_or_else(|| err("a batch header is no longer a batch (the file changed?)"))?;
    let buffers = fb
        .buffers()
        .ok_or_else(|| err("a batch with no buffer list"))?;
    let body_len = usize::try_from(entry.body_len).map_err(err)?;
    // Which buffers belong to the projected columns.
    let mut wanted = vec![false; buffers.len()];
    let mut next = 0usize;
    let mut whole = false;
    for (i, field) in index.schema.fields().iter().enumerate() {
        let Some(n) = buffer_count(field.data_type()) else {
            whole = true;
            break;
        };
        if projection.contains(&i) {
            for w in wanted.iter_mut().skip(next).take(n) {
                *w = true;
            }
        }
        next += n;
    }
    // Zeroed memory is not resident until written: only the ranges read below take pages.
    let mut body = MutableBuffer::from_len_zeroed(body_len);
    if whole {
        file.seek(SeekFrom::Start(entry.body_offset))
            .and_then(|_| file.read_exact(body.as_slice_mut()))
            .map_err(|e| err(format!("cannot read a batch: {e}")))?;
    } else {
        for (b, want) in buffers.iter().zip(&wanted) {
            if !want || b.length() == 0 {
                continue;
            }
            let (Ok(off), Ok(len)) = (usize::try_from(b.offset()), usize::try_from(b.length()))
            else {
                return Err(err("a buffer with a negative offset or length"));
            };
            let slot = off
                .checked_add(len)
                .and_then(|end| body.as_slice_mut().get_mut(off..end))
                .ok_or_else(|| err("a buffer that reaches past its batch"))?;
            file.seek(SeekFrom::Start(entry.body_offset + off as u64))
                .and_then(|_| file.read_exact(slot))
                .map_err(|e| err(format!("cannot read a batch: {e}")))?;
        }
    }
    let version: MetadataVersion = message.version();
    arrow_ipc::reader::read_record_batch(
        &body.into(),
        fb,
        index.schema.clone(),
        &index.dictionaries,
        Some(projection),
        &version,
    )
    .map_err(err)
}

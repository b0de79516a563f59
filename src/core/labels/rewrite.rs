//! Splicing new labels into a manifest's bytes: only the label field of each edited row changes
//! (or a label column is added), every other byte is kept. Rows are found with the loader's own CSV
//! tokenizer and column rules, and JSON members with serde_json, so write-back reads a manifest
//! exactly as loading does. A row that no longer holds the label the edit started from is left alone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::value::RawValue;

use crate::core::data::load::{
    CsvReader, FILE_COLUMNS, LABEL_COLUMNS, Record, RowIdentity, find_column,
    normalize_sample_path, quote_field, read_csv_header, value_text,
};
use crate::core::data::warnings::Warnings;

use super::replay::Pending;

/// One change to the manifest's bytes: `cut` bytes at `at` replaced by `with`.
#[derive(Debug)]
struct Splice {
    at: usize,
    cut: usize,
    with: String,
}

/// A manifest's new bytes and what became of each wanted edit.
#[derive(Debug, Default)]
pub(crate) struct RewrittenManifest {
    /// The whole file after the edits.
    pub bytes: Vec<u8>,
    /// Files whose row now carries the new label.
    pub written: BTreeSet<String>,
    /// Files whose row was found but left alone, with the reason.
    pub refused: BTreeMap<String, String>,
}

fn splice(bytes: &[u8], splices: &[Splice]) -> Vec<u8> {
    let extra: usize = splices.iter().map(|s| s.with.len()).sum();
    let mut out = Vec::with_capacity(bytes.len() + extra);
    let mut at = 0;
    for s in splices {
        out.extend_from_slice(bytes.get(at..s.at).unwrap_or_default());
        out.extend_from_slice(s.with.as_bytes());
        at = s.at + s.cut;
    }
    out.extend_from_slice(bytes.get(at..).unwrap_or_default());
    out
}

fn shown(label: Option<&str>) -> String {
    label.map_or_else(|| "no label".into(), |l| format!("{l:?}"))
}

fn mismatch(line: u64, found: Option<&str>, p: &Pending) -> String {
    format!(
        "line {line}: the row holds {}, not {} as when the edit was planned (the manifest changed on disk?); left as it is",
        shown(found),
        shown(p.from.as_deref())
    )
}

fn span(rec: &Record, i: usize) -> Result<(usize, usize), String> {
    let (a, b) = rec
        .raw_span(i)
        .ok_or_else(|| format!("line {}: field {} is missing", rec.line(), i + 1))?;
    Ok((a as usize, b as usize))
}

/// Rewrites the label fields of the rows of `wanted` files in CSV `bytes` (read from `path`).
pub(crate) fn rewrite_csv(
    bytes: &[u8],
    path: &Path,
    abs_root: &Path,
    wanted: &BTreeMap<&str, &Pending>,
) -> Result<RewrittenManifest, String> {
    let mut reader = CsvReader::new(bytes, path, None);
    let mut ignored = Warnings::default();
    let (header, names) =
        read_csv_header(&mut reader, &mut ignored, "a header row").map_err(|e| e.to_string())?;
    // A text manifest has no file column: its rows are known by SPLIT/ROW, as the loader names them.
    let file_col = find_column(&names, FILE_COLUMNS);
    let split_col = names.iter().position(|n| n == "split");
    let mut row_ids = RowIdentity::default();
    let label_col = find_column(&names, LABEL_COLUMNS);
    let mut splices = Vec::new();
    if label_col.is_none() {
        splices.push(Splice {
            at: header.content_end() as usize,
            cut: 0,
            with: ",label".into(),
        });
    }
    let mut out = RewrittenManifest::default();
    let mut rec = Record::default();
    while reader.read_record(&mut rec).map_err(|e| e.to_string())? {
        if rec.len() != names.len() {
            return Err(format!(
                "line {}: this row has {} fields but the header has {}",
                rec.line(),
                rec.len(),
                names.len()
            ));
        }
        let file = match file_col {
            Some(c) => {
                let raw_file = rec.str(c, path, &names[c]).map_err(|e| e.to_string())?;
                normalize_sample_path(raw_file, abs_root).into_owned()
            }
            None => {
                let split = split_col
                    .map(|c| rec.str(c, path, "split"))
                    .transpose()
                    .map_err(|e| e.to_string())?;
                row_ids.next(split).to_string()
            }
        };
        let first = !out.written.contains(&file) && !out.refused.contains_key(&file);
        let edit = wanted.get(file.as_str()).filter(|_| first);
        let end = rec.content_end() as usize;
        match (label_col, edit) {
            (Some(col), Some(p)) => {
                let found = rec.str(col, path, &names[col]).map_err(|e| e.to_string())?;
                let found = Some(found).filter(|l| !l.is_empty());
                if found != p.from.as_deref() {
                    out.refused.insert(file, mismatch(rec.line(), found, p));
                    continue;
                }
                let (a, b) = span(&rec, col)?;
                let quoted = bytes.get(a) == Some(&b'"');
                splices.push(Splice {
                    at: a,
                    cut: b - a,
                    with: quote_field(p.to.as_deref().unwrap_or(""), quoted).into_owned(),
                });
                out.written.insert(file);
            }
            (None, Some(p)) => {
                if p.from.is_some() {
                    out.refused.insert(file, mismatch(rec.line(), None, p));
                    splices.push(Splice {
                        at: end,
                        cut: 0,
                        with: ",".into(),
                    });
                    continue;
                }
                splices.push(Splice {
                    at: end,
                    cut: 0,
                    with: format!(",{}", quote_field(p.to.as_deref().unwrap_or(""), false)),
                });
                out.written.insert(file);
            }
            (None, None) => splices.push(Splice {
                at: end,
                cut: 0,
                with: ",".into(),
            }),
            (Some(_), None) => {}
        }
    }
    out.bytes = splice(bytes, &splices);
    Ok(out)
}

/// Where `inner` (a sub-slice of `outer`) starts in it.
fn offset_in(outer: &str, inner: &str) -> Option<usize> {
    (inner.as_ptr() as usize)
        .checked_sub(outer.as_ptr() as usize)
        .filter(|&a| a + inner.len() <= outer.len())
}

/// Rewrites the label values of the objects of `wanted` files in JSONL `bytes`.
pub(crate) fn rewrite_jsonl(
    bytes: &[u8],
    abs_root: &Path,
    wanted: &BTreeMap<&str, &Pending>,
) -> Result<RewrittenManifest, String> {
    let mut row_ids = RowIdentity::default();
    let mut out = RewrittenManifest::default();
    let mut splices = Vec::new();
    let mut start = 0;
    for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = n as u64 + 1;
        let mut offset = start;
        start += line.len() + 1;
        let mut body = line;
        if n == 0 && body.starts_with(b"\xEF\xBB\xBF") {
            body = &body[3..];
            offset += 3;
        }
        let text = std::str::from_utf8(body)
            .map_err(|e| format!("line {line_no}: not valid UTF-8 ({e})"))?;
        let trimmed = text.trim();
        if trimmed.is_empty() {
            continue;
        }
        let at = offset + (text.len() - text.trim_start().len());
        // The loader's reading: the last of repeated keys wins, as in serde_json's map.
        let members: BTreeMap<String, &RawValue> = serde_json::from_str(trimmed)
            .map_err(|e| format!("line {line_no}: not a JSON object: {e}"))?;
        let file = match FILE_COLUMNS.iter().find_map(|k| members.get(*k)) {
            Some(file_raw) => {
                let file: String = serde_json::from_str(file_raw.get())
                    .map_err(|_| format!("line {line_no}: the file member is not a string"))?;
                normalize_sample_path(&file, abs_root).into_owned()
            }
            // A text manifest: rows are known by SPLIT/ROW, as the loader names them.
            None => {
                let split = match members.get("split") {
                    Some(raw) => {
                        let v: serde_json::Value = serde_json::from_str(raw.get())
                            .map_err(|e| format!("line {line_no}: {e}"))?;
                        Some(value_text(&v).into_owned())
                    }
                    None => None,
                };
                row_ids.next(split.as_deref()).to_string()
            }
        };
        if out.written.contains(&file) || out.refused.contains_key(&file) {
            continue;
        }
        let Some(p) = wanted.get(file.as_str()) else {
            continue;
        };
        let label_raw = LABEL_COLUMNS.iter().find_map(|k| members.get(*k));
        let found = match label_raw {
            Some(raw) => {
                let v: serde_json::Value =
                    serde_json::from_str(raw.get()).map_err(|e| format!("line {line_no}: {e}"))?;
                Some(value_text(&v).into_owned()).filter(|l| !l.is_empty())
            }
            None => None,
        };
        if found.as_deref() != p.from.as_deref() {
            out.refused
                .insert(file, mismatch(line_no, found.as_deref(), p));
            continue;
        }
        let value = match p.to.as_deref() {
            Some(l) => serde_json::to_string(l).map_err(|e| e.to_string())?,
            None => "null".into(),
        };
        match label_raw {
            Some(raw) => {
                let a = offset_in(trimmed, raw.get())
                    .ok_or_else(|| format!("line {line_no}: cannot place the label value"))?;
                splices.push(Splice {
                    at: at + a,
                    cut: raw.get().len(),
                    with: value,
                });
            }
            None => {
                let sep = if members.is_empty() { "" } else { ", " };
                splices.push(Splice {
                    at: at + trimmed.len() - 1,
                    cut: 0,
                    with: format!("{sep}\"label\": {value}"),
                });
            }
        }
        out.written.insert(file);
    }
    out.bytes = splice(bytes, &splices);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(file: &str, from: &str, to: &str) -> Pending {
        Pending {
            sample: 0,
            file: file.into(),
            from: Some(from.into()).filter(|f: &String| !f.is_empty()),
            to: Some(to.into()),
            seq: 1,
        }
    }

    fn wanted(edits: &[Pending]) -> BTreeMap<&str, &Pending> {
        edits.iter().map(|p| (p.file.as_str(), p)).collect()
    }

    #[test]
    fn csv_rewrite_changes_only_the_label_field() {
        let csv = b"file_name,label,note\r\na.jpg,cat,\"x, y\"\r\nb.jpg,\"cat\",\"multi\nline\"\r\nc.jpg,dog,z\r\n";
        let edits = [
            pending("b.jpg", "cat", "new, odd"),
            pending("c.jpg", "dog", "cat"),
        ];
        let out = rewrite_csv(csv, Path::new("m.csv"), Path::new("/r"), &wanted(&edits)).unwrap();
        assert_eq!(
            String::from_utf8(out.bytes).unwrap(),
            "file_name,label,note\r\na.jpg,cat,\"x, y\"\r\nb.jpg,\"new, odd\",\"multi\nline\"\r\nc.jpg,cat,z\r\n"
        );
        assert_eq!(out.written.len(), 2);
    }

    #[test]
    fn csv_without_label_column_gains_one() {
        let csv = b"file_name,w\na.jpg,1\nb.jpg,2";
        let edits = [pending("b.jpg", "", "owl")];
        let out = rewrite_csv(csv, Path::new("m.csv"), Path::new("/r"), &wanted(&edits)).unwrap();
        assert_eq!(
            String::from_utf8(out.bytes).unwrap(),
            "file_name,w,label\na.jpg,1,\nb.jpg,2,owl"
        );
    }

    #[test]
    fn a_row_that_no_longer_holds_the_old_label_is_left_alone() {
        let csv = b"file_name,label\na.jpg,owl\n";
        let edits = [pending("a.jpg", "cat", "dog")];
        let out = rewrite_csv(csv, Path::new("m.csv"), Path::new("/r"), &wanted(&edits)).unwrap();
        assert_eq!(out.bytes, csv);
        assert!(out.written.is_empty());
        assert!(
            out.refused["a.jpg"].contains("holds \"owl\""),
            "{:?}",
            out.refused
        );
        let jsonl = b"{\"file\": \"a.jpg\", \"label\": \"owl\"}\n";
        let out = rewrite_jsonl(jsonl, Path::new("/r"), &wanted(&edits)).unwrap();
        assert_eq!(out.bytes, jsonl);
        assert_eq!(out.refused.len(), 1);
    }

    #[test]
    fn jsonl_rewrite_keeps_every_other_byte() {
        let jsonl = b"{\"file_name\": \"a.jpg\", \"label\": \"cat\", \"m\": {\"k\": [1, \"}\"]}}\n{\"file\":\"b.jpg\",\"class\":3}\n  {\"image\": \"c.jpg\"}  \n";
        let edits = [
            pending("a.jpg", "cat", "do\"g"),
            pending("b.jpg", "3", "owl"),
            pending("c.jpg", "", "ant"),
        ];
        let out = rewrite_jsonl(jsonl, Path::new("/r"), &wanted(&edits)).unwrap();
        assert_eq!(
            String::from_utf8(out.bytes).unwrap(),
            "{\"file_name\": \"a.jpg\", \"label\": \"do\\\"g\", \"m\": {\"k\": [1, \"}\"]}}\n{\"file\":\"b.jpg\",\"class\":\"owl\"}\n  {\"image\": \"c.jpg\", \"label\": \"ant\"}  \n"
        );
        assert_eq!(out.written.len(), 3);
    }
}

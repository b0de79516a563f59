//! Writing pending edits back into the dataset's own format. A class-folder tree gets its files moved
//! into their new class folders (never over an existing file); a manifest is rewritten beside the
//! original and renamed over it, every byte but the edited label fields kept, the original kept as a
//! backup. Whatever cannot be written stays pending, with the reason.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::core::data::dataset::{Dataset, DatasetSource, TableFormat};
use crate::core::data::load::{FILE_COLUMNS, LABEL_COLUMNS, normalize_sample_path};

use super::replay::Pending;
use super::store::AppliedEdit;

/// What writing one edit back will do (the GUI's preview and `apply --dry-run`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedWrite {
    /// Move the file from one class folder to another (paths relative to the root).
    Move {
        /// The file now.
        from: String,
        /// Where it goes.
        to: String,
    },
    /// Change the label field of the manifest row on this line.
    Row {
        /// The row's line in the manifest.
        line: Option<u64>,
    },
    /// It cannot be written back, and why.
    Impossible(String),
}

/// The result of a write-back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Edits now in the files, for the journal.
    pub applied: Vec<AppliedEdit>,
    /// Edits left pending, each with the reason.
    pub kept: Vec<(Pending, String)>,
    /// The copy of the manifest as it was before the rewrite.
    pub backup: Option<PathBuf>,
}

/// The path of `p.file` after a move to its new class folder, or why there is none.
fn moved_path(dataset: &Dataset, p: &Pending) -> Result<String, String> {
    let DatasetSource::Folder { has_split_level } = dataset.source() else {
        return Err("not a class-folder dataset".into());
    };
    let Some(to) = p.to.as_deref() else {
        return Err("a class-folder dataset cannot hold an unlabelled file (every file is in a class folder)".into());
    };
    let mut parts: Vec<&str> = p.file.split('/').collect();
    let class_at = usize::from(*has_split_level);
    if parts.len() < class_at + 2 {
        return Err(format!("{} is not inside a class folder", p.file));
    }
    parts[class_at] = to;
    Ok(parts.join("/"))
}

/// What [`write_back`] would do with each pending edit, without touching anything.
pub fn plan(dataset: &Dataset, pending: &[Pending]) -> Vec<(Pending, PlannedWrite)> {
    pending
        .iter()
        .map(|p| {
            let planned = match dataset.source() {
                DatasetSource::Folder { .. } => match moved_path(dataset, p) {
                    Ok(to) if dataset.root().join(&to).exists() => PlannedWrite::Impossible(
                        format!("{to} already exists: the move would overwrite it"),
                    ),
                    Ok(to) => PlannedWrite::Move {
                        from: p.file.clone(),
                        to,
                    },
                    Err(why) => PlannedWrite::Impossible(why),
                },
                DatasetSource::Manifest { .. } => PlannedWrite::Row {
                    line: dataset.source_line(p.sample),
                },
            };
            (p.clone(), planned)
        })
        .collect()
}

/// Writes `pending` into the dataset's files. Never fails as a whole: each edit is either applied or
/// kept with a reason (a read-only folder keeps them all).
pub fn write_back(dataset: &Dataset, pending: &[Pending]) -> WriteReport {
    match dataset.source() {
        DatasetSource::Folder { .. } => move_files(dataset, pending),
        DatasetSource::Manifest { path, format } => {
            match rewrite_manifest(path, *format, dataset.root(), pending) {
                Ok((applied, kept, backup)) => WriteReport {
                    applied,
                    kept,
                    backup,
                },
                Err(why) => WriteReport {
                    kept: pending.iter().map(|p| (p.clone(), why.clone())).collect(),
                    ..WriteReport::default()
                },
            }
        }
    }
}

fn io_reason(what: &str, path: &Path, e: &std::io::Error) -> String {
    let hint = if e.kind() == std::io::ErrorKind::PermissionDenied || e.raw_os_error() == Some(30) {
        " (read-only?)"
    } else {
        ""
    };
    format!("cannot {what} {}: {e}{hint}", path.display())
}

fn move_files(dataset: &Dataset, pending: &[Pending]) -> WriteReport {
    let mut report = WriteReport::default();
    for p in pending {
        match move_one(dataset, p) {
            Ok(to) => report.applied.push(AppliedEdit {
                file: p.file.clone(),
                to: p.to.clone(),
                seq: p.seq,
                moved_to: Some(to),
            }),
            Err(why) => report.kept.push((p.clone(), why)),
        }
    }
    report
}

/// fsyncs a folder, so the names created or removed in it survive a power cut.
fn sync_folder(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

fn move_one(dataset: &Dataset, p: &Pending) -> Result<String, String> {
    let to = moved_path(dataset, p)?;
    let src = dataset.root().join(&p.file);
    let dst = dataset.root().join(&to);
    if let Some(dir) = dst.parent() {
        let new_folder = !dir.exists();
        std::fs::create_dir_all(dir).map_err(|e| io_reason("create the class folder", dir, &e))?;
        // A new class folder is only durable once its parent is fsynced (else a power cut takes it,
        // and the file moved into it, away).
        if new_folder && let Some(parent) = dir.parent() {
            sync_folder(parent).map_err(|e| io_reason("fsync", parent, &e))?;
        }
    }
    // A hard link fails when the target exists, so a clash can never overwrite a file (a rename
    // would, silently). The new name is made durable before the old name goes.
    match std::fs::hard_link(&src, &dst) {
        Ok(()) => {
            if let Some(dir) = dst.parent() {
                sync_folder(dir).map_err(|e| io_reason("fsync", dir, &e))?;
            }
            if let Err(e) = std::fs::remove_file(&src) {
                let _ = std::fs::remove_file(&dst);
                return Err(io_reason("remove", &src, &e));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(format!("{to} already exists: the move would overwrite it"));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !src.exists() => {
            return Err(format!("{}: no such file", p.file));
        }
        Err(e)
            if e.kind() == std::io::ErrorKind::PermissionDenied || e.raw_os_error() == Some(30) =>
        {
            return Err(io_reason("write in", dst.parent().unwrap_or(&dst), &e));
        }
        // A file system without hard links: check, then rename (only a race could clobber).
        Err(_) => {
            if dst.exists() {
                return Err(format!("{to} already exists: the move would overwrite it"));
            }
            std::fs::rename(&src, &dst).map_err(|e| io_reason("move", &src, &e))?;
        }
    }
    if let Some(dir) = dst.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    if let Some(dir) = src.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(to)
}

type Rewrite = (Vec<AppliedEdit>, Vec<(Pending, String)>, Option<PathBuf>);

fn rewrite_manifest(
    path: &Path,
    format: TableFormat,
    root: &Path,
    pending: &[Pending],
) -> Result<Rewrite, String> {
    let bytes = std::fs::read(path).map_err(|e| io_reason("read", path, &e))?;
    let abs_root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    let wanted: BTreeMap<&str, &Pending> = pending.iter().map(|p| (p.file.as_str(), p)).collect();
    let (out, done) = match format {
        TableFormat::Csv => rewrite_csv(&bytes, &abs_root, &wanted),
        TableFormat::Jsonl => rewrite_jsonl(&bytes, &abs_root, &wanted),
    }
    .map_err(|why| format!("{}: {why}", path.display()))?;
    let mut applied = Vec::new();
    let mut kept = Vec::new();
    for p in pending {
        if done.contains(&p.file) {
            applied.push(AppliedEdit {
                file: p.file.clone(),
                to: p.to.clone(),
                seq: p.seq,
                moved_to: None,
            });
        } else {
            kept.push((
                p.clone(),
                format!("no row of {} names this file any more", path.display()),
            ));
        }
    }
    if applied.is_empty() {
        return Ok((applied, kept, None));
    }
    let backup = replace_atomically(path, &out)?;
    Ok((applied, kept, Some(backup)))
}

/// Writes `bytes` beside `path`, keeps the original as `NAME.bak` (or `.bak.2`, ...), and renames the
/// new file over the original, so a reader sees either the old or the new manifest, never half.
fn replace_atomically(path: &Path, bytes: &[u8]) -> Result<PathBuf, String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "manifest".into());
    let tmp = dir.join(format!(".{name}.spotcheck-tmp"));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        Ok(())
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_reason("write beside the manifest:", &tmp, &e)
    })?;
    let mut n = 1;
    let backup = loop {
        let candidate = if n == 1 {
            dir.join(format!("{name}.bak"))
        } else {
            dir.join(format!("{name}.bak.{n}"))
        };
        if !candidate.exists() {
            break candidate;
        }
        n += 1;
    };
    if std::fs::hard_link(path, &backup).is_err() {
        std::fs::copy(path, &backup).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io_reason("keep a backup at", &backup, &e)
        })?;
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_reason("replace", path, &e)
    })?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(backup)
}

/// One CSV record: each field's raw byte span (quotes included) and where the record's content ends
/// (before its line break).
struct CsvRecord {
    fields: Vec<(usize, usize)>,
    end: usize,
}

/// Splits CSV bytes into records (RFC 4180: quoted fields may hold commas, quotes and line breaks).
fn csv_records(bytes: &[u8]) -> Result<Vec<CsvRecord>, String> {
    let mut records = Vec::new();
    let mut i = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let n = bytes.len();
    while i < n {
        let mut fields = Vec::new();
        let mut start = i;
        let end;
        loop {
            if bytes.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => {
                            return Err(
                                "a quoted field is not closed before the end of the file".into()
                            );
                        }
                        Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            while i < n && !matches!(bytes[i], b',' | b'\n' | b'\r') {
                i += 1;
            }
            fields.push((start, i));
            match bytes.get(i) {
                Some(b',') => {
                    i += 1;
                    start = i;
                }
                _ => {
                    end = i;
                    if bytes.get(i) == Some(&b'\r') {
                        i += 1;
                    }
                    if bytes.get(i) == Some(&b'\n') {
                        i += 1;
                    }
                    break;
                }
            }
        }
        records.push(CsvRecord { fields, end });
    }
    Ok(records)
}

fn unquote(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let t = text.as_ref();
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        t[1..t.len() - 1].replace("\"\"", "\"")
    } else {
        t.to_string()
    }
}

fn csv_field(value: &str, quoted_before: bool) -> String {
    let needs = quoted_before || value.contains([',', '"', '\n', '\r']) || value.trim() != value;
    if needs {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

type Rewritten = (Vec<u8>, std::collections::BTreeSet<String>);

fn rewrite_csv(
    bytes: &[u8],
    abs_root: &Path,
    wanted: &BTreeMap<&str, &Pending>,
) -> Result<Rewritten, String> {
    let records = csv_records(bytes)?;
    let blank = |r: &CsvRecord| r.fields.len() == 1 && r.fields[0].0 == r.fields[0].1;
    let mut rows = records.iter().filter(|r| !blank(r));
    let header = rows.next().ok_or("the manifest is empty")?;
    let names: Vec<String> = header
        .fields
        .iter()
        .map(|&(a, b)| unquote(&bytes[a..b]).trim().to_string())
        .collect();
    let find = |cands: &[&str]| cands.iter().find_map(|c| names.iter().position(|n| n == c));
    let file_col = find(FILE_COLUMNS).ok_or("no file column")?;
    let label_col = find(LABEL_COLUMNS);
    // (offset, bytes to cut, replacement), in file order.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    if label_col.is_none() {
        edits.push((header.end, 0, ",label".into()));
    }
    let mut done = std::collections::BTreeSet::new();
    for rec in rows {
        let Some(&(fa, fb)) = rec.fields.get(file_col) else {
            continue;
        };
        let file = unquote(&bytes[fa..fb]);
        let file = normalize_sample_path(&file, abs_root).into_owned();
        let edit = wanted.get(file.as_str()).filter(|_| !done.contains(&file));
        match (label_col, edit) {
            (Some(col), Some(p)) => {
                let Some(&(a, b)) = rec.fields.get(col) else {
                    continue;
                };
                let quoted = bytes.get(a) == Some(&b'"');
                edits.push((a, b - a, csv_field(p.to.as_deref().unwrap_or(""), quoted)));
                done.insert(file);
            }
            (None, Some(p)) => {
                edits.push((
                    rec.end,
                    0,
                    format!(",{}", csv_field(p.to.as_deref().unwrap_or(""), false)),
                ));
                done.insert(file);
            }
            (None, None) => edits.push((rec.end, 0, ",".into())),
            (Some(_), None) => {}
        }
    }
    Ok((splice(bytes, &edits), done))
}

fn splice(bytes: &[u8], edits: &[(usize, usize, String)]) -> Vec<u8> {
    let extra: usize = edits.iter().map(|e| e.2.len()).sum();
    let mut out = Vec::with_capacity(bytes.len() + extra);
    let mut at = 0;
    for (offset, cut, with) in edits {
        out.extend_from_slice(&bytes[at..*offset]);
        out.extend_from_slice(with.as_bytes());
        at = offset + cut;
    }
    out.extend_from_slice(&bytes[at..]);
    out
}

/// The top-level members of one JSON object line: (decoded key, value span), and the offset of its
/// closing brace.
/// A JSON object's members as (key, value byte span), and the offset of its closing brace.
type Members = (Vec<(String, (usize, usize))>, usize);

fn json_members(line: &[u8]) -> Option<Members> {
    let ws = |i: &mut usize| {
        while matches!(line.get(*i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            *i += 1;
        }
    };
    let skip_string = |i: &mut usize| -> Option<()> {
        // At the opening quote.
        *i += 1;
        loop {
            match line.get(*i)? {
                b'\\' => *i += 2,
                b'"' => {
                    *i += 1;
                    return Some(());
                }
                _ => *i += 1,
            }
        }
    };
    let mut i = 0;
    ws(&mut i);
    if line.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut members = Vec::new();
    loop {
        ws(&mut i);
        match line.get(i)? {
            b'}' => return Some((members, i)),
            b',' => {
                i += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let ks = i;
        skip_string(&mut i)?;
        let key: String = serde_json::from_slice(&line[ks..i]).ok()?;
        ws(&mut i);
        if line.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        ws(&mut i);
        let vs = i;
        let mut depth = 0usize;
        loop {
            match line.get(i) {
                None => return None,
                Some(b'"') => skip_string(&mut i)?,
                Some(b'{' | b'[') => {
                    depth += 1;
                    i += 1;
                }
                Some(b'}' | b']') if depth > 0 => {
                    depth -= 1;
                    i += 1;
                }
                Some(b',' | b'}') if depth == 0 => break,
                Some(_) => i += 1,
            }
        }
        let mut ve = i;
        while ve > vs && matches!(line[ve - 1], b' ' | b'\t' | b'\r' | b'\n') {
            ve -= 1;
        }
        members.push((key, (vs, ve)));
    }
}

fn rewrite_jsonl(
    bytes: &[u8],
    abs_root: &Path,
    wanted: &BTreeMap<&str, &Pending>,
) -> Result<Rewritten, String> {
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut done = std::collections::BTreeSet::new();
    let mut start = 0;
    for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let offset = start;
        start += line.len() + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Some((members, close)) = json_members(line) else {
            return Err(format!(
                "line {}: not a JSON object this rewrite can read",
                n + 1
            ));
        };
        let value_of = |key: &str| {
            members
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, span)| *span)
        };
        let Some(file_span) = FILE_COLUMNS.iter().find_map(|k| value_of(k)) else {
            continue;
        };
        let Ok(file) = serde_json::from_slice::<String>(&line[file_span.0..file_span.1]) else {
            continue;
        };
        let file = normalize_sample_path(&file, abs_root).into_owned();
        let Some(p) = wanted.get(file.as_str()).filter(|_| !done.contains(&file)) else {
            continue;
        };
        let value = match p.to.as_deref() {
            Some(l) => serde_json::to_string(l).map_err(|e| e.to_string())?,
            None => "null".into(),
        };
        match LABEL_COLUMNS.iter().find_map(|k| value_of(k)) {
            Some((a, b)) => edits.push((offset + a, b - a, value)),
            None => {
                let sep = if members.is_empty() { "" } else { ", " };
                edits.push((offset + close, 0, format!("{sep}\"label\": {value}")));
            }
        }
        done.insert(file);
    }
    Ok((splice(bytes, &edits), done))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(file: &str, to: &str) -> Pending {
        Pending {
            sample: 0,
            file: file.into(),
            from: None,
            to: Some(to.into()),
            seq: 1,
        }
    }

    #[test]
    fn csv_rewrite_changes_only_the_label_field() {
        let csv = b"file_name,label,note\r\na.jpg,cat,\"x, y\"\r\nb.jpg,\"cat\",\"multi\nline\"\r\nc.jpg,dog,z\r\n";
        let edits = [pending("b.jpg", "new, odd"), pending("c.jpg", "cat")];
        let wanted = edits.iter().map(|p| (p.file.as_str(), p)).collect();
        let (out, done) = rewrite_csv(csv, Path::new("/r"), &wanted).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "file_name,label,note\r\na.jpg,cat,\"x, y\"\r\nb.jpg,\"new, odd\",\"multi\nline\"\r\nc.jpg,cat,z\r\n"
        );
        assert_eq!(done.len(), 2);
    }

    #[test]
    fn csv_without_label_column_gains_one() {
        let csv = b"file_name,w\na.jpg,1\nb.jpg,2";
        let edits = [pending("b.jpg", "owl")];
        let wanted = edits.iter().map(|p| (p.file.as_str(), p)).collect();
        let (out, _) = rewrite_csv(csv, Path::new("/r"), &wanted).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "file_name,w,label\na.jpg,1,\nb.jpg,2,owl"
        );
    }

    #[test]
    fn jsonl_rewrite_keeps_every_other_byte() {
        let jsonl = b"{\"file_name\": \"a.jpg\", \"label\": \"cat\", \"m\": {\"k\": [1, \"}\"]}}\n{\"file\":\"b.jpg\",\"class\":3}\n{\"image\": \"c.jpg\"}\n";
        let edits = [
            pending("a.jpg", "do\"g"),
            pending("b.jpg", "owl"),
            pending("c.jpg", "ant"),
        ];
        let wanted = edits.iter().map(|p| (p.file.as_str(), p)).collect();
        let (out, done) = rewrite_jsonl(jsonl, Path::new("/r"), &wanted).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"file_name\": \"a.jpg\", \"label\": \"do\\\"g\", \"m\": {\"k\": [1, \"}\"]}}\n{\"file\":\"b.jpg\",\"class\":\"owl\"}\n{\"image\": \"c.jpg\", \"label\": \"ant\"}\n"
        );
        assert_eq!(done.len(), 3);
    }
}

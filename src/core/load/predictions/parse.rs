//! Reading predictions files: the header layout, numbers (with an exact fast path), CSV rows and JSONL.

use std::path::Path;
use std::sync::atomic::Ordering;

use crate::core::columns::{Interner, NONE};
use crate::core::error::LoadError;
use crate::core::warnings::{WarningKind, Warnings};

use super::super::csv_reader::{CsvReader, Record};
use super::super::jsonl_reader::{JsonlReader, string_field, value_text};
use super::super::manifest::find_column;
use super::super::{FILE_COLUMNS, LoadControl, file_len};
use super::*;

pub(super) fn layout(
    names: &[String],
    path: &Path,
    line: Option<u64>,
    warnings: &mut Warnings,
) -> Result<Layout, LoadError> {
    let file_col = find_column(names, FILE_COLUMNS).ok_or_else(|| LoadError::Parse {
        path: path.to_path_buf(),
        line,
        message: format!(
            "no file column: expected one of {} (found: {})",
            FILE_COLUMNS.join(", "),
            names.join(", ")
        ),
    })?;
    let with_prefix = |prefix: &str| -> Vec<(usize, String)> {
        names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                n.strip_prefix(prefix)
                    .filter(|c| !c.is_empty())
                    .map(|c| (i, c.to_string()))
            })
            .collect()
    };
    let probs = with_prefix(PROB_PREFIX);
    let logits = with_prefix(LOGIT_PREFIX);
    if !probs.is_empty() {
        if !logits.is_empty() {
            warnings.note(
                WarningKind::Header,
                Some(path.to_path_buf()),
                line,
                "the file has both prob_ and logit_ columns; the prob_ columns are used".into(),
            );
        }
        return Ok(Layout {
            file_col,
            kind: PredictionKind::Probabilities,
            value_cols: probs,
        });
    }
    if !logits.is_empty() {
        return Ok(Layout {
            file_col,
            kind: PredictionKind::Logits,
            value_cols: logits,
        });
    }
    if let Some(col) = find_column(names, HARD_COLUMNS) {
        return Ok(Layout {
            file_col,
            kind: PredictionKind::Hard,
            value_cols: vec![(col, names[col].clone())],
        });
    }
    Err(LoadError::Parse {
        path: path.to_path_buf(),
        line,
        message: format!(
            "no class columns: expected prob_<class> or logit_<class> columns, or a prediction column (found: {})",
            names.join(", ")
        ),
    })
}

/// Powers of ten exactly representable as f64.
pub(super) const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Clinger's fast path for a plain decimal (`-0.0012`, `9.11885e-05`): when the digits fit in 53 bits
/// and the power of ten is exact, one IEEE multiply or divide gives the correctly rounded value, the
/// same bits any correct parser returns. `None` sends everything else to the general parser.
pub(super) fn parse_simple_decimal(b: &[u8]) -> Option<f64> {
    let mut i = 0;
    let negative = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let mut mantissa: u64 = 0;
    let mut exponent: i32 = 0;
    let mut digits = 0;
    // Integer part, then fraction: two tight loops predict better than one with a branch per '.'.
    while let Some(d) = b.get(i).map(|c| c.wrapping_sub(b'0')).filter(|d| *d < 10) {
        if mantissa >= (1 << 53) / 10 {
            return None;
        }
        mantissa = mantissa * 10 + u64::from(d);
        digits += 1;
        i += 1;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while let Some(d) = b.get(i).map(|c| c.wrapping_sub(b'0')).filter(|d| *d < 10) {
            if mantissa >= (1 << 53) / 10 {
                return None;
            }
            mantissa = mantissa * 10 + u64::from(d);
            digits += 1;
            exponent -= 1;
            i += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if let Some(&(b'e' | b'E')) = b.get(i) {
        i += 1;
        let exp_negative = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e: i32 = 0;
        while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            if i - start >= 4 {
                return None;
            }
            e = e * 10 + i32::from(c - b'0');
            i += 1;
        }
        if i == start {
            return None;
        }
        exponent += if exp_negative { -e } else { e };
    }
    if i != b.len() {
        return None;
    }
    let value = mantissa as f64;
    let value = match exponent {
        0 => value,
        1..=22 => value * POW10[exponent as usize],
        -22..=-1 => value / POW10[(-exponent) as usize],
        _ => return None,
    };
    Some(if negative { -value } else { value })
}

pub(super) fn parse_number(
    bytes: &[u8],
    path: &Path,
    line: u64,
    column: &str,
) -> Result<f64, LoadError> {
    if let Some(v) = parse_simple_decimal(bytes) {
        return Ok(v);
    }
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return Err(LoadError::parse(
            path,
            line,
            format!("{column} is empty; expected a number"),
        ));
    }
    if let Some(v) = parse_simple_decimal(trimmed) {
        return Ok(v);
    }
    fast_float2::parse::<f64, _>(trimmed).map_err(|_| {
        LoadError::parse(
            path,
            line,
            format!(
                "{column} is not a number: {:?}",
                String::from_utf8_lossy(trimmed)
            ),
        )
    })
}

/// Parses a predictions file. `root` (absolute) is the dataset root that file names are relative to.
pub fn parse_predictions(
    path: &Path,
    root: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<RawPredictions, LoadError> {
    match plan_predictions(path, root, control, warnings)? {
        CsvPlan::Parsed(raw) => Ok(raw),
        CsvPlan::Chunks(plan) => {
            plan.work();
            plan.finish()
        }
    }
}

/// Starts parsing a predictions file: JSONL and small CSV files are parsed at once; a large CSV comes
/// back as chunks for one or more threads to parse ([`ChunkPlan::work`]) and join ([`ChunkPlan::finish`]).
pub fn plan_predictions(
    path: &Path,
    root: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<CsvPlan, LoadError> {
    if let Some(c) = control {
        c.total.fetch_add(file_len(path), Ordering::Relaxed);
    }
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("jsonl") | Some("ndjson") => {
            parse_jsonl(path, root, control, warnings).map(CsvPlan::Parsed)
        }
        _ => plan_csv(path, root, control, warnings),
    }
}

/// Parses every remaining record of `reader` into `out`.
pub(super) fn parse_rows<R: std::io::Read>(
    h: &CsvHeader,
    reader: &mut CsvReader<R>,
    out: &mut Parsed,
    rec: &mut Record,
) -> Result<(), LoadError> {
    let (path, names, layout) = (h.path.as_path(), &h.names, &h.layout);
    let file_name = &names[layout.file_col];
    let mut n = 0u64;
    while reader.read_record(rec)? {
        n += 1;
        if n.is_multiple_of(65536) {
            LoadControl::check(h.control.as_ref())?;
        }
        let line = rec.line();
        if rec.len() != names.len() {
            return Err(LoadError::parse(
                path,
                line,
                format!(
                    "this row has {} fields but the header has {}",
                    rec.len(),
                    names.len()
                ),
            ));
        }
        out.raw
            .push_file(rec.str(layout.file_col, path, file_name)?, &h.root, line)?;
        if layout.kind == PredictionKind::Hard {
            let (col, _) = &layout.value_cols[0];
            let name = rec.str(*col, path, &names[*col])?.trim();
            out.raw.hard_ids.push(if name.is_empty() {
                NONE
            } else {
                out.interner.intern(name)
            });
        } else {
            for (col, _) in &layout.value_cols {
                let bytes = rec.get(*col).unwrap_or_default();
                out.raw
                    .values
                    .push(parse_number(bytes, path, line, &names[*col])?);
            }
        }
    }
    Ok(())
}

pub(super) fn parse_jsonl(
    path: &Path,
    root: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<RawPredictions, LoadError> {
    let mut reader = JsonlReader::open(path, control.cloned())?;
    let mut raw: Option<(RawPredictions, Layout, Vec<String>)> = None;
    let mut interner = Interner::default();
    while let Some((line, obj)) = reader.next_object()? {
        if raw.is_none() {
            let names: Vec<String> = obj.keys().cloned().collect();
            let layout = layout(&names, path, Some(line), warnings)?;
            let columns = layout.value_cols.iter().map(|(_, c)| c.clone()).collect();
            raw = Some((
                RawPredictions::new(path, layout.kind, columns, 1024),
                layout,
                names,
            ));
        }
        let Some((raw, layout, names)) = raw.as_mut() else {
            continue;
        };
        let file_key = &names[layout.file_col];
        let file = string_field(&obj, file_key, path, line, "is missing or not a string")?;
        raw.push_file(file, root, line)?;
        for (col, class) in &layout.value_cols {
            let key = &names[*col];
            let value = obj.get(key);
            if layout.kind == PredictionKind::Hard {
                let name = value.map(value_text).unwrap_or_default();
                let name = name.trim();
                raw.hard_ids.push(if name.is_empty() {
                    NONE
                } else {
                    interner.intern(name)
                });
                continue;
            }
            let number = match value {
                Some(serde_json::Value::Number(n)) => n.as_f64(),
                Some(serde_json::Value::String(s)) => {
                    Some(parse_number(s.as_bytes(), path, line, key)?)
                }
                None => {
                    return Err(LoadError::parse(
                        path,
                        line,
                        format!("no value for {key} (class {class:?})"),
                    ));
                }
                Some(other) => {
                    return Err(LoadError::parse(
                        path,
                        line,
                        format!("{key} is not a number: {other}"),
                    ));
                }
            };
            raw.values.push(number.unwrap_or(f64::NAN));
        }
    }
    let Some((mut raw, _, _)) = raw else {
        return Err(LoadError::parse_file(
            path,
            "the file is empty: expected one JSON object per line",
        ));
    };
    raw.hard_names = interner.into_names();
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_decimal_path_agrees_bit_for_bit_with_the_general_parser() {
        let cases = [
            "0",
            "1",
            "-2.5",
            "+3",
            "0.000110216",
            "9.11885e-05",
            "0.991475",
            "1e-22",
            "12345678901234567",
            "7.2E+3",
            "0.1",
            "0.30000000000000004",
            "123.456e2",
            ".5",
            "5.",
            "4.2e-7",
            "0.000000000000000000001",
        ];
        for c in cases {
            let fast = parse_simple_decimal(c.as_bytes());
            let general: f64 = c.parse().unwrap();
            if let Some(v) = fast {
                assert_eq!(v.to_bits(), general.to_bits(), "{c}");
            }
        }
        // Outside the exact range the fast path declines and the general parser decides.
        for c in [
            "1e-300",
            "123456789012345678901",
            "nan",
            "inf",
            "1e",
            "--1",
            "1.2.3",
            "",
            "e5",
            " 1",
        ] {
            assert_eq!(parse_simple_decimal(c.as_bytes()), None, "{c}");
        }
        let p = Path::new("p.csv");
        assert_eq!(parse_number(b"1e-300", p, 2, "prob_a").unwrap(), 1e-300);
        assert_eq!(parse_number(b" 0.25 ", p, 2, "prob_a").unwrap(), 0.25);
        assert!(parse_number(b"NaN", p, 2, "prob_a").unwrap().is_nan());
        assert!(parse_number(b"0.5x", p, 2, "prob_a").is_err());
    }

    #[test]
    fn fast_decimal_path_on_many_random_values() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mantissa = x % 10_000_000;
            let exp = (x >> 40) % 30;
            let text = format!("{mantissa}e-{exp}");
            let general: f64 = text.parse().unwrap();
            if let Some(v) = parse_simple_decimal(text.as_bytes()) {
                assert_eq!(v.to_bits(), general.to_bits(), "{text}");
            }
            let text = format!("{:.6}", general);
            let general: f64 = text.parse().unwrap();
            assert_eq!(
                parse_simple_decimal(text.as_bytes()).map(f64::to_bits),
                Some(general.to_bits()),
                "{text}"
            );
        }
    }
}

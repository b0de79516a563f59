//! Reading predictions files: numbers (with an exact fast path), CSV rows and JSONL.

use std::path::Path;
use std::sync::atomic::Ordering;

use crate::core::data::columns::{Interner, NONE};
use crate::core::data::error::LoadError;
use crate::core::data::warnings::Warnings;

use super::super::control::{LoadControl, file_len};
use super::super::csv_reader::{CsvReader, Next, Record};
use super::super::jsonl_reader::{JsonlReader, string_field, value_text};
pub(super) use super::header::layout;
use super::*;

/// Powers of ten exactly representable as f64.
pub(super) const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Reads the run of ASCII digits at the start of `b` into `mantissa` (which already holds `digits`
/// digits), eight bytes at a time with SWAR arithmetic: the new mantissa and digit count. `None` when
/// the mantissa could overflow (more than 19 digits), for the general parser.
#[inline(always)]
fn digit_run(mut b: &[u8], mut mantissa: u64, mut digits: usize) -> Option<(u64, usize)> {
    const POW10_U64: [u64; 9] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
    ];
    loop {
        let (value, n) = eight_digits(b);
        if n == 0 {
            return Some((mantissa, digits));
        }
        digits += n;
        if digits > 19 {
            return None;
        }
        mantissa = mantissa * POW10_U64[n] + value;
        if n < 8 {
            return Some((mantissa, digits));
        }
        b = b.get(8..).unwrap_or_default();
    }
}

/// The value and count of the leading ASCII digits among the first eight bytes of `b`.
#[inline(always)]
fn eight_digits(b: &[u8]) -> (u64, usize) {
    const LOW: u64 = 0x0F0F_0F0F_0F0F_0F0F;
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let word = match b.first_chunk::<8>() {
        Some(w) => u64::from_le_bytes(*w),
        None => {
            // Short field: pad with zero bytes, which are not digits.
            let mut w = [0u8; 8];
            for (d, s) in w.iter_mut().zip(b) {
                *d = *s;
            }
            u64::from_le_bytes(w)
        }
    };
    // A byte is a digit when its high nibble is 3 both before and after adding 6. A carry out of a
    // non-digit byte can only disturb the bytes after it, which are not counted.
    let non_digit =
        ((word & HIGH) ^ ZEROS) | ((word.wrapping_add(0x0606_0606_0606_0606) & HIGH) ^ ZEROS);
    let n = (non_digit.trailing_zeros() / 8) as usize;
    if n == 0 {
        return (0, 0);
    }
    // Keep the n digits, moved to the top so the bytes below read as leading zeros, then combine
    // pairs, quads and octets (the first character is the most significant digit).
    let mut v = (word & LOW) << (8 * (8 - n));
    v = (v.wrapping_mul(10 * 256 + 1) >> 8) & 0x00FF_00FF_00FF_00FF;
    v = (v.wrapping_mul(100 * 65_536 + 1) >> 16) & 0x0000_FFFF_0000_FFFF;
    v = v.wrapping_mul(10_000 * (1 << 32) + 1) >> 32;
    (v, n)
}

/// Clinger's fast path for a plain decimal (`-0.0012`, `9.11885e-05`): when the digits fit in 53 bits
/// and the power of ten is exact, one IEEE multiply or divide gives the correctly rounded value, the
/// same bits any correct parser returns. `None` sends everything else to the general parser.
pub(super) fn parse_simple_decimal(b: &[u8]) -> Option<f64> {
    decimal_prefix(b).and_then(|(v, used)| (used == b.len()).then_some(v))
}

/// [`parse_simple_decimal`] on the number at the start of `b`: its value and length, for a caller
/// that checks what follows (a comma). `None` when the fast path does not apply.
#[inline(always)]
pub(super) fn decimal_prefix(b: &[u8]) -> Option<(f64, usize)> {
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
    let mut exponent: i32 = 0;
    // Integer part, then fraction, each read eight digits at a time; a one-digit integer part (the
    // usual `0.` of a probability) is read directly.
    let (mut mantissa, mut digits) = match (b.get(i), b.get(i + 1)) {
        (Some(&d), Some(b'.')) if d.is_ascii_digit() => (u64::from(d - b'0'), 1),
        _ => digit_run(b.get(i..).unwrap_or_default(), 0, 0)?,
    };
    i += digits;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let (m, n) = digit_run(b.get(i..).unwrap_or_default(), mantissa, digits)?;
        let fraction = n - digits;
        (mantissa, digits) = (m, n);
        i += fraction;
        exponent = -(fraction as i32);
    }
    // Beyond 2^53 the mantissa is not exact as a double.
    if mantissa > 1 << 53 {
        return None;
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
    let value = mantissa as f64;
    let value = match exponent {
        0 => value,
        1..=22 => value * POW10[exponent as usize],
        -22..=-1 => value / POW10[(-exponent) as usize],
        _ => return None,
    };
    Some((if negative { -value } else { value }, i))
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
        Some("parquet") => {
            super::parquet::parse_parquet(path, root, control, warnings).map(CsvPlan::Parsed)
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
    // The usual layout (file name first, then exactly the class columns) is parsed straight from the
    // line's bytes in one pass; anything unusual in a row sends that row to the general path below.
    let plain = layout.kind != PredictionKind::Hard
        && layout.file_col == 0
        && names.len() == layout.value_cols.len() + 1
        && layout
            .value_cols
            .iter()
            .enumerate()
            .all(|(k, (c, _))| *c == k + 1);
    let mut n = 0u64;
    loop {
        match reader.next_line(rec)? {
            Next::End => break,
            Next::Record => {}
            Next::Line(bytes, line) => {
                if plain && let Some((file, values)) = split_plain_row(bytes) {
                    let start = out.raw.values.len();
                    if parse_plain_values(values, layout.value_cols.len(), &mut out.raw.values) {
                        out.raw.push_file(file, &h.root, line)?;
                        n += 1;
                        if n.is_multiple_of(65536) {
                            LoadControl::check(h.control.as_ref())?;
                        }
                        continue;
                    }
                    out.raw.values.truncate(start);
                }
                rec.set_from_line(bytes, line);
            }
        }
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

/// The file name (valid UTF-8) and the rest of a row, when the row starts with an unquoted name.
#[inline]
fn split_plain_row(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let comma = memchr::memchr(b',', bytes)?;
    let file = std::str::from_utf8(bytes.get(..comma)?).ok()?;
    Some((file, bytes.get(comma + 1..)?))
}

/// Parses exactly `count` comma-separated plain decimals that make up all of `bytes`, appending them
/// to `out`; `false` (with some values maybe appended) when anything else is there.
#[inline]
fn parse_plain_values(mut bytes: &[u8], count: usize, out: &mut Vec<f64>) -> bool {
    for k in 0..count {
        let Some((v, used)) = decimal_prefix(bytes) else {
            return false;
        };
        out.push(v);
        let last = k + 1 == count;
        match bytes.get(used) {
            None if last => return true,
            Some(b',') if !last => bytes = bytes.get(used + 1..).unwrap_or_default(),
            _ => return false,
        }
    }
    count == 0 && bytes.is_empty()
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
            "7.2E+3",
            "0.1",
            "123.456e2",
            ".5",
            "5.",
            "4.2e-7",
        ];
        // Every one of these is in the fast path's exact range: it must take them, not decline (a
        // decline would leave nothing here to compare).
        for c in cases {
            let general: f64 = c.parse().unwrap();
            let fast = parse_simple_decimal(c.as_bytes())
                .unwrap_or_else(|| panic!("the fast path declined {c:?}"));
            assert_eq!(fast.to_bits(), general.to_bits(), "{c}");
        }
        // Outside the exact range the fast path declines and the general parser decides: more digits
        // than 2^53 holds (or more than 19 digits written), powers of ten past 1e22, and what is not a
        // plain decimal.
        for c in [
            "12345678901234567",
            "0.30000000000000004",
            "0.000000000000000000001",
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
        let mut taken = 0;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mantissa = x % 10_000_000;
            let exp = (x >> 40) % 30;
            let text = format!("{mantissa}e-{exp}");
            let general: f64 = text.parse().unwrap();
            let fast = parse_simple_decimal(text.as_bytes());
            // Exponents down to -22 are the fast path's own (23 of the 30 drawn).
            assert_eq!(fast.is_some(), exp <= 22, "{text}");
            if let Some(v) = fast {
                taken += 1;
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
        assert!(taken > 140_000, "the fast path took {taken} of 200000");
    }

    #[test]
    fn digit_runs_of_every_length_parse_exactly() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = |n: u64, seed: u64| -> String {
                (0..n)
                    .map(|k| char::from(b'0' + ((seed >> (k % 60)) % 10) as u8))
                    .collect()
            };
            let text = format!("{}.{}", digits(x % 21, x), digits((x >> 8) % 21, x >> 3));
            if text == "." {
                continue;
            }
            let general: f64 = text.parse().unwrap();
            if let Some(v) = parse_simple_decimal(text.as_bytes()) {
                assert_eq!(v.to_bits(), general.to_bits(), "{text}");
            } else {
                assert!(text.len() > 16, "{text} declined"); // more than 15 digits
            }
        }
    }

    #[test]
    fn rows_off_the_plain_path_parse_the_same_way() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.csv");
        std::fs::write(
            &path,
            "file_name,prob_a,prob_b\n\
             a.jpg,0.25,0.75\n\
             \"b,1.jpg\",0.5,0.5\n\
             c.jpg, 0.125 ,0.875\n\
             d.jpg,1e-300,1\n\
             e.jpg,12345678901234567890,0\r\n",
        )
        .unwrap();
        let raw = parse_predictions(&path, dir.path(), None, &mut Warnings::default()).unwrap();
        assert_eq!(
            raw.values,
            [
                0.25,
                0.75,
                0.5,
                0.5,
                0.125,
                0.875,
                1e-300,
                1.0,
                12345678901234567890.0,
                0.0
            ]
        );
        let files: Vec<&str> = (0..raw.files.len())
            .map(|i| raw.files.get(i).unwrap())
            .collect();
        assert_eq!(files, ["a.jpg", "b,1.jpg", "c.jpg", "d.jpg", "e.jpg"]);
        assert_eq!(raw.lines, [2, 3, 4, 5, 6]);
    }

    #[test]
    fn a_bad_row_on_the_plain_path_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.csv");
        for (body, needle) in [
            (
                "a.jpg,0.5,0.5\nb.jpg,0.5,x\n",
                "p.csv:3: prob_b is not a number",
            ),
            (
                "a.jpg,0.5,0.5\nb.jpg,0.5\n",
                "p.csv:3: this row has 2 fields",
            ),
            (
                "a.jpg,0.5,0.5\nb.jpg,0.5,0.5,0.1\n",
                "p.csv:3: this row has 4 fields",
            ),
            (
                "a.jpg,0.5,0.5\n,0.5,0.5\n",
                "p.csv:3: the file name is empty",
            ),
        ] {
            std::fs::write(&path, format!("file_name,prob_a,prob_b\n{body}")).unwrap();
            let err = parse_predictions(&path, dir.path(), None, &mut Warnings::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{err}");
        }
    }
}

//! A small strict `.npy` reader for heatmaps: format versions 1–3, a header dict with exactly
//! `descr`, `fortran_order` and `shape`, dtypes `<f4`, `<f8` and `|u1` only, C order, 2-D only, and
//! the data exactly as long as the shape says. Sizes are checked before anything is allocated, so a
//! header claiming a huge array is refused, not believed (a written reader rather than a crate: a
//! heatmap needs a fraction of `.npy`, and every refusal here names what was wrong).

use super::{Heatmap, MAX_OVERLAY_VALUES, OverlayError};

/// The longest header accepted (numpy writes a few hundred bytes).
const MAX_HEADER: usize = 64 * 1024;

/// The element types accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dtype {
    F4,
    F8,
    U1,
}

impl Dtype {
    fn size(self) -> usize {
        match self {
            Self::F4 => 4,
            Self::F8 => 8,
            Self::U1 => 1,
        }
    }
}

/// Parses `.npy` bytes into a heatmap (`|u1` values divided by 255). `file` names the overlay in
/// errors.
pub fn read_npy(bytes: &[u8], file: &str) -> Result<Heatmap, OverlayError> {
    let header_err = |why: String| OverlayError::Header {
        file: file.to_string(),
        why,
    };
    if bytes.get(..6) != Some(b"\x93NUMPY".as_slice()) {
        return Err(OverlayError::NotNpy {
            file: file.to_string(),
        });
    }
    let major = bytes.get(6).copied().unwrap_or(0);
    let (len, start) = match major {
        1 => (
            bytes
                .get(8..10)
                .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize),
            10,
        ),
        2 | 3 => (
            bytes
                .get(8..12)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize),
            12,
        ),
        v => return Err(header_err(format!("format version {v} (1 to 3 are read)"))),
    };
    let len = len.ok_or_else(|| header_err("the file ends inside the header".into()))?;
    if len > MAX_HEADER {
        return Err(header_err(format!("a {len}-byte header")));
    }
    let text = bytes
        .get(start..start + len)
        .ok_or_else(|| header_err("the file ends inside the header".into()))?;
    let text = std::str::from_utf8(text).map_err(|_| header_err("not UTF-8".into()))?;
    let fields = parse_header(text).map_err(header_err)?;
    let not_2d = |found: String| OverlayError::NotTwoDFloat {
        file: file.to_string(),
        found,
    };
    let dtype = match fields.descr.as_str() {
        "<f4" => Dtype::F4,
        "<f8" => Dtype::F8,
        "|u1" | "<u1" => Dtype::U1,
        other => return Err(not_2d(format!("dtype {other}"))),
    };
    if fields.fortran_order {
        return Err(not_2d("Fortran order".into()));
    }
    let [height, width] = fields.shape[..] else {
        return Err(not_2d(format!(
            "{}-D, shape {:?}",
            fields.shape.len(),
            fields.shape
        )));
    };
    if height == 0 || width == 0 {
        return Err(not_2d(format!("an empty array, shape ({height}, {width})")));
    }
    let data_err = |why: String| OverlayError::Data {
        file: file.to_string(),
        why,
    };
    let count = height
        .checked_mul(width)
        .filter(|&n| n <= MAX_OVERLAY_VALUES)
        .ok_or_else(|| {
            data_err(format!(
                "shape ({height}, {width}) is more than {MAX_OVERLAY_VALUES} values"
            ))
        })?;
    let (Ok(width), Ok(height)) = (u32::try_from(width), u32::try_from(height)) else {
        return Err(data_err(format!("shape ({height}, {width}) is too large")));
    };
    let data = bytes.get(start + len..).unwrap_or(&[]);
    let want = count as usize * dtype.size();
    if data.len() != want {
        return Err(data_err(format!(
            "{} bytes of data, the header's shape ({height}, {width}) needs {want}",
            data.len()
        )));
    }
    let values: Vec<f32> = match dtype {
        Dtype::F4 => data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::F8 => data
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32)
            .collect(),
        Dtype::U1 => data.iter().map(|&v| f32::from(v) / 255.0).collect(),
    };
    Ok(Heatmap {
        width,
        height,
        values,
    })
}

/// The header's three fields.
#[derive(Debug, PartialEq)]
struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<u64>,
}

/// Parses the header's Python dict literal: `{'descr': '<f4', 'fortran_order': False, 'shape': (2,
/// 3), }` with any spacing, then padding and a newline. Each key exactly once, no other key.
fn parse_header(text: &str) -> Result<Header, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    p.consume(b'{')?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        p.skip_space();
        if p.eat(b'}') {
            break;
        }
        let key = p.string()?;
        p.consume(b':')?;
        let slot_taken = match key.as_str() {
            "descr" => descr.replace(p.string()?).is_some(),
            "fortran_order" => fortran.replace(p.boolean()?).is_some(),
            "shape" => shape.replace(p.tuple()?).is_some(),
            other => return Err(format!("unexpected key '{other}'")),
        };
        if slot_taken {
            return Err(format!("key '{key}' given twice"));
        }
        p.skip_space();
        if !p.eat(b',') {
            p.consume(b'}')?;
            break;
        }
    }
    if p.s[p.i..].iter().any(|c| !c.is_ascii_whitespace()) {
        return Err("text after the dict".into());
    }
    Ok(Header {
        descr: descr.ok_or("no 'descr'")?,
        fortran_order: fortran.ok_or("no 'fortran_order'")?,
        shape: shape.ok_or("no 'shape'")?,
    })
}

/// A cursor over the header text.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_space();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn consume(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", c as char, self.i))
        }
    }

    /// A quoted string ('…' or "…", no escapes).
    fn string(&mut self) -> Result<String, String> {
        self.skip_space();
        let quote = match self.s.get(self.i) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a quoted string at byte {}", self.i)),
        };
        let begin = self.i + 1;
        let len = self.s[begin..]
            .iter()
            .position(|&c| c == quote)
            .ok_or("an unterminated string")?;
        self.i = begin + len + 1;
        Ok(String::from_utf8_lossy(&self.s[begin..begin + len]).into_owned())
    }

    fn boolean(&mut self) -> Result<bool, String> {
        self.skip_space();
        for (word, value) in [("True", true), ("False", false)] {
            if self.s[self.i..].starts_with(word.as_bytes()) {
                self.i += word.len();
                return Ok(value);
            }
        }
        Err(format!("expected True or False at byte {}", self.i))
    }

    /// `(a, b, …)` of non-negative integers, a trailing comma allowed.
    fn tuple(&mut self) -> Result<Vec<u64>, String> {
        self.consume(b'(')?;
        let mut out = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(out);
            }
            self.skip_space();
            let begin = self.i;
            while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
            let digits = std::str::from_utf8(&self.s[begin..self.i]).unwrap_or("");
            let n = digits
                .parse::<u64>()
                .map_err(|_| format!("expected a dimension at byte {begin}"))?;
            out.push(n);
            if !self.eat(b',') {
                self.consume(b')')?;
                return Ok(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `.npy` file as numpy 2 writes it (version 1, header padded to 64 bytes with a newline).
    pub fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn reads_f4_f8_and_u1_in_c_order() {
        let f4: Vec<u8> = [0.0f32, 0.5, 1.0, 2.0, 3.0, 4.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let m = read_npy(&npy("<f4", "(2, 3)", &f4), "a.npy").unwrap();
        assert_eq!((m.width, m.height), (3, 2));
        assert_eq!(m.values, vec![0.0, 0.5, 1.0, 2.0, 3.0, 4.0]);
        let f8: Vec<u8> = [0.25f64, -1.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let m = read_npy(&npy("<f8", "(1, 2)", &f8), "b.npy").unwrap();
        assert_eq!(m.values, vec![0.25, -1.0]);
        let m = read_npy(&npy("|u1", "(2, 1)", &[0, 255]), "c.npy").unwrap();
        assert_eq!(
            (m.width, m.height, m.values.clone()),
            (1, 2, vec![0.0, 1.0])
        );
    }

    #[test]
    fn refuses_what_is_not_a_2d_float_array_and_says_which_file() {
        let three_d = npy("<f4", "(1, 1, 1)", &[0; 4]);
        let e = read_npy(&three_d, "train/cat/img1.npy")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("overlay train/cat/img1.npy: not a 2-D float array"),
            "{e}"
        );
        let ints = npy("<i8", "(1, 1)", &[0; 8]);
        assert!(
            read_npy(&ints, "x.npy")
                .unwrap_err()
                .to_string()
                .contains("dtype <i8")
        );
        let big_endian = npy(">f4", "(1, 1)", &[0; 4]);
        assert!(matches!(
            read_npy(&big_endian, "x.npy"),
            Err(OverlayError::NotTwoDFloat { .. })
        ));
        let mut fortran = npy("<f4", "(1, 1)", &[0; 4]);
        let at = fortran.windows(5).position(|w| w == b"False").unwrap();
        fortran[at..at + 5].copy_from_slice(b"True ");
        assert!(matches!(
            read_npy(&fortran, "x.npy"),
            Err(OverlayError::NotTwoDFloat { .. })
        ));
    }

    #[test]
    fn refuses_a_bomb_a_short_file_and_junk_before_allocating() {
        // The header claims 100000 x 100000 floats; the file holds 4 bytes.
        let bomb = npy("<f4", "(100000, 100000)", &[0; 4]);
        let e = read_npy(&bomb, "bomb.npy").unwrap_err().to_string();
        assert!(e.contains("more than"), "{e}");
        let short = npy("<f4", "(2, 2)", &[0; 12]);
        let e = read_npy(&short, "short.npy").unwrap_err().to_string();
        assert!(e.contains("12 bytes of data"), "{e}");
        assert!(matches!(
            read_npy(b"PNG....", "x.npy"),
            Err(OverlayError::NotNpy { .. })
        ));
        let mut truncated = npy("<f4", "(1, 1)", &[0; 4]);
        truncated.truncate(20);
        assert!(matches!(
            read_npy(&truncated, "x.npy"),
            Err(OverlayError::Header { .. })
        ));
        let extra_key = npy("<f4", "(1, 1), 'x': 1", &[0; 4]);
        assert!(
            read_npy(&extra_key, "x.npy")
                .unwrap_err()
                .to_string()
                .contains("'x'")
        );
    }
}

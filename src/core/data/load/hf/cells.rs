//! One Arrow column as text, row by row: how metadata, paths, splits and plain labels become the
//! strings the dataset model holds, whatever integer, float or string type a writer chose.

use std::fmt::Write;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrowPrimitiveType, PrimitiveArray};
use arrow_schema::DataType;

/// Calls `f(row, text)` for every row of `array`; `None` for a null (or a type with no text form).
pub fn for_each_text(array: &dyn Array, mut f: impl FnMut(usize, Option<&str>)) {
    each_text(array, &mut f);
}

fn each_text(array: &dyn Array, f: &mut dyn FnMut(usize, Option<&str>)) {
    let mut scratch = String::new();
    match array.data_type() {
        DataType::Utf8 => each_str(array.as_string::<i32>().iter(), f),
        DataType::LargeUtf8 => each_str(array.as_string::<i64>().iter(), f),
        DataType::Utf8View => each_str(array.as_string_view().iter(), f),
        DataType::Boolean => {
            for (i, v) in array.as_boolean().iter().enumerate() {
                f(i, v.map(|b| if b { "True" } else { "False" }));
            }
        }
        DataType::Int8 => each_num(array.as_primitive::<Int8Type>(), &mut scratch, f),
        DataType::Int16 => each_num(array.as_primitive::<Int16Type>(), &mut scratch, f),
        DataType::Int32 => each_num(array.as_primitive::<Int32Type>(), &mut scratch, f),
        DataType::Int64 => each_num(array.as_primitive::<Int64Type>(), &mut scratch, f),
        DataType::UInt8 => each_num(array.as_primitive::<UInt8Type>(), &mut scratch, f),
        DataType::UInt16 => each_num(array.as_primitive::<UInt16Type>(), &mut scratch, f),
        DataType::UInt32 => each_num(array.as_primitive::<UInt32Type>(), &mut scratch, f),
        DataType::UInt64 => each_num(array.as_primitive::<UInt64Type>(), &mut scratch, f),
        DataType::Float16 => each_num(array.as_primitive::<Float16Type>(), &mut scratch, f),
        DataType::Float32 => each_float(
            array
                .as_primitive::<Float32Type>()
                .iter()
                .map(|v| v.map(f64::from)),
            &mut scratch,
            f,
        ),
        DataType::Float64 => {
            each_float(array.as_primitive::<Float64Type>().iter(), &mut scratch, f)
        }
        DataType::Dictionary(_, _) => {
            if let Some(dict) = array.as_any_dictionary_opt() {
                let values = dict.values();
                let mut texts: Vec<Option<String>> = vec![None; values.len()];
                each_text(values.as_ref(), &mut |i, t| {
                    if let Some(slot) = texts.get_mut(i) {
                        *slot = t.map(str::to_string);
                    }
                });
                let keys = dict.normalized_keys();
                for (i, k) in keys.iter().enumerate() {
                    let text = if array.is_null(i) {
                        None
                    } else {
                        texts.get(*k).and_then(|t| t.as_deref())
                    };
                    f(i, text);
                }
            }
        }
        _ => {
            for i in 0..array.len() {
                f(i, None);
            }
        }
    }
}

/// Calls `f(row, value)` with the integer in each row of an integer column (`None` for a null).
pub fn for_each_integer(array: &dyn Array, mut f: impl FnMut(usize, Option<i64>)) {
    macro_rules! each {
        ($t:ty) => {
            for (i, v) in array.as_primitive::<$t>().iter().enumerate() {
                f(i, v.and_then(|v| i64::try_from(v).ok()));
            }
        };
    }
    match array.data_type() {
        DataType::Int8 => each!(Int8Type),
        DataType::Int16 => each!(Int16Type),
        DataType::Int32 => each!(Int32Type),
        DataType::Int64 => each!(Int64Type),
        DataType::UInt8 => each!(UInt8Type),
        DataType::UInt16 => each!(UInt16Type),
        DataType::UInt32 => each!(UInt32Type),
        DataType::UInt64 => each!(UInt64Type),
        _ => {
            for i in 0..array.len() {
                f(i, None);
            }
        }
    }
}

/// Every row of a numeric column as `f64` (a null is NaN); `None` for a column that holds no numbers.
pub fn f64_values(array: &dyn Array) -> Option<Vec<f64>> {
    macro_rules! all {
        ($t:ty) => {
            array
                .as_primitive::<$t>()
                .iter()
                .map(|v| v.map_or(f64::NAN, |v| v as f64))
                .collect()
        };
    }
    Some(match array.data_type() {
        DataType::Float64 => all!(Float64Type),
        DataType::Float32 => array
            .as_primitive::<Float32Type>()
            .iter()
            .map(|v| v.map_or(f64::NAN, f64::from))
            .collect(),
        DataType::Int8 => all!(Int8Type),
        DataType::Int16 => all!(Int16Type),
        DataType::Int32 => all!(Int32Type),
        DataType::Int64 => all!(Int64Type),
        DataType::UInt8 => all!(UInt8Type),
        DataType::UInt16 => all!(UInt16Type),
        DataType::UInt32 => all!(UInt32Type),
        DataType::UInt64 => all!(UInt64Type),
        _ => return None,
    })
}

fn each_str<'a>(
    values: impl Iterator<Item = Option<&'a str>>,
    mut f: impl FnMut(usize, Option<&str>),
) {
    for (i, v) in values.enumerate() {
        f(i, v);
    }
}

fn each_num<T: ArrowPrimitiveType>(
    array: &PrimitiveArray<T>,
    scratch: &mut String,
    mut f: impl FnMut(usize, Option<&str>),
) where
    T::Native: std::fmt::Display,
{
    for (i, v) in array.iter().enumerate() {
        match v {
            Some(v) => {
                scratch.clear();
                let _ = write!(scratch, "{v}");
                f(i, Some(scratch));
            }
            None => f(i, None),
        }
    }
}

/// Floats as Python prints them (`1.0`, not `1`), so a value reads the same as in a notebook.
fn each_float(
    values: impl Iterator<Item = Option<f64>>,
    scratch: &mut String,
    mut f: impl FnMut(usize, Option<&str>),
) {
    for (i, v) in values.enumerate() {
        match v {
            Some(v) => {
                scratch.clear();
                if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e16 {
                    let _ = write!(scratch, "{v:.1}");
                } else {
                    let _ = write!(scratch, "{v}");
                }
                f(i, Some(scratch));
            }
            None => f(i, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{BooleanArray, Float64Array, Int64Array, StringArray};

    fn texts(array: &dyn Array) -> Vec<Option<String>> {
        let mut out = Vec::new();
        for_each_text(array, |_, t| out.push(t.map(str::to_string)));
        out
    }

    #[test]
    fn scalars_become_text() {
        assert_eq!(
            texts(&Int64Array::from(vec![Some(3), None, Some(-1)])),
            [Some("3".into()), None, Some("-1".into())]
        );
        assert_eq!(
            texts(&Float64Array::from(vec![1.0, 0.25])),
            [Some("1.0".into()), Some("0.25".into())]
        );
        assert_eq!(
            texts(&BooleanArray::from(vec![true, false])),
            [Some("True".into()), Some("False".into())]
        );
        assert_eq!(
            texts(&StringArray::from(vec![Some("a"), None])),
            [Some("a".into()), None]
        );
    }

    #[test]
    fn integers_keep_nulls() {
        let mut out = Vec::new();
        for_each_integer(&Int64Array::from(vec![Some(2), None, Some(-1)]), |_, v| {
            out.push(v)
        });
        assert_eq!(out, [Some(2), None, Some(-1)]);
    }
}

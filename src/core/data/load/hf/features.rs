//! Which column is what in a Hugging Face table: the `datasets` feature types stored in the Arrow
//! schema's `huggingface` metadata (or a `dataset_info.json`), with name conventions as the fallback,
//! so a dataset opens the way `datasets` itself would show it.

use std::collections::HashMap;

use arrow_schema::{DataType, Schema};

use crate::core::data::hf_source::{EmbeddedKind, LabelEncoding};

use super::super::conventions::LABEL_COLUMNS;

/// String columns that name a sample's file (its identity; its media when nothing is embedded).
pub const PATH_COLUMNS: &[&str] = &["file_name", "path", "filepath", "file"];

/// Column names that hold a text sample when a table has no media (first match wins).
pub const TEXT_COLUMNS: &[&str] = &["text", "sentence", "content", "review"];

/// The roles the columns of one table play.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRoles {
    /// Top-level index and name of the embedded media column.
    pub media: Option<(usize, String, EmbeddedKind)>,
    /// Top-level index and name of a string column of paths (relative to the dataset folder): the
    /// sample identity, and the media itself when nothing is embedded.
    pub path: Option<(usize, String)>,
    /// Top-level index and name of the text column (only when there is no media or path column).
    pub text: Option<(usize, String)>,
    /// Top-level index, name and encoding of the label column.
    pub label: Option<(usize, String, LabelEncoding)>,
    /// A `split` string column, used when the layout names no split.
    pub split: Option<usize>,
    /// Every other scalar column: shown as metadata.
    pub metadata: Vec<(usize, String)>,
}

/// The `datasets` feature of each column, from the `huggingface` JSON (`{"info": {"features": …}}`)
/// or a `dataset_info.json` (`{"features": …}`).
pub fn parse_features(json: &str) -> HashMap<String, serde_json::Value> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(json) else {
        return HashMap::new();
    };
    let features = value
        .get("info")
        .and_then(|i| i.get("features"))
        .or_else(|| value.get("features"));
    match features.and_then(|f| f.as_object()) {
        Some(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        None => HashMap::new(),
    }
}

fn feature_type(feature: Option<&serde_json::Value>) -> Option<&str> {
    feature?.get("_type")?.as_str()
}

fn class_names(feature: &serde_json::Value) -> Option<Vec<String>> {
    let names = feature.get("names")?.as_array()?;
    Some(
        names
            .iter()
            .map(|n| match n.as_str() {
                Some(s) => s.to_string(),
                None => n.to_string(),
            })
            .collect(),
    )
}

/// Whether `dt` is a `{bytes: binary, path: string}` struct, the shape of `Image` and `Audio`.
pub fn is_media_struct(dt: &DataType) -> bool {
    let DataType::Struct(fields) = dt else {
        return false;
    };
    let has = |name: &str, ok: fn(&DataType) -> bool| {
        fields.iter().any(|f| f.name() == name && ok(f.data_type()))
    };
    has("bytes", |t| {
        matches!(
            t,
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView
        )
    }) && has("path", is_string)
}

/// Whether `dt` is a binary type (a scan file's `thumbnail`).
pub fn is_binary(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView
    )
}

/// Whether `dt` is a string type.
pub fn is_string(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    ) || matches!(dt, DataType::Dictionary(_, v) if is_string(v))
}

/// Whether `dt` is an integer type.
pub fn is_integer(dt: &DataType) -> bool {
    dt.is_integer()
}

/// Whether a column of this type can be shown as one value per row.
pub fn is_scalar(dt: &DataType) -> bool {
    is_string(dt) || dt.is_integer() || dt.is_floating() || matches!(dt, DataType::Boolean)
}

/// Assigns the contract's roles to a table's columns. `text_column` is the user's `--text-column`.
pub fn column_roles(
    schema: &Schema,
    features: &HashMap<String, serde_json::Value>,
    text_column: Option<&str>,
) -> Result<ColumnRoles, String> {
    let fields = schema.fields();
    let mut roles = ColumnRoles {
        media: None,
        path: None,
        text: None,
        label: None,
        split: None,
        metadata: Vec::new(),
    };
    // Media: a declared Image/Audio feature first, then the first {bytes, path} struct.
    for (i, f) in fields.iter().enumerate() {
        let kind = match feature_type(features.get(f.name())) {
            Some("Image") => EmbeddedKind::Image,
            Some("Audio") => EmbeddedKind::Audio,
            _ => continue,
        };
        if is_media_struct(f.data_type()) {
            roles.media = Some((i, f.name().clone(), kind));
            break;
        }
    }
    if roles.media.is_none() {
        roles.media = fields
            .iter()
            .enumerate()
            .find(|(_, f)| is_media_struct(f.data_type()))
            .map(|(i, f)| (i, f.name().clone(), EmbeddedKind::Unknown));
    }
    // A scan file (`spotcheck scan`): its thumbnails are the media.
    let has = |name: &str| fields.iter().any(|f| f.name() == name);
    if roles.media.is_none() && has("file") && has("xxh3_128") && has("phash") {
        roles.media = fields
            .iter()
            .position(|f| f.name() == "thumbnail" && is_binary(f.data_type()))
            .map(|i| (i, "thumbnail".to_string(), EmbeddedKind::Image));
    }
    let find_string = |names: &[&str]| {
        names.iter().find_map(|n| {
            fields
                .iter()
                .position(|f| f.name() == n && is_string(f.data_type()))
                .map(|i| (i, n.to_string()))
        })
    };
    roles.path = find_string(PATH_COLUMNS);
    if let Some(name) = text_column {
        match fields.iter().position(|f| f.name() == name) {
            Some(i) if is_string(fields[i].data_type()) => {
                roles.text = Some((i, name.to_string()));
            }
            Some(_) => {
                return Err(format!(
                    "--text-column {name}: that column does not hold text"
                ));
            }
            None => return Err(format!("--text-column {name}: there is no such column")),
        }
    } else if roles.media.is_none() && roles.path.is_none() {
        roles.text = find_string(TEXT_COLUMNS);
    }
    // Label: the ClassLabel named `label`, else the first ClassLabel, else a conventional name.
    let class_label = |i: usize| -> Option<Vec<String>> {
        let f = &fields[i];
        let feature = features.get(f.name())?;
        (feature_type(Some(feature)) == Some("ClassLabel") && is_integer(f.data_type()))
            .then(|| class_names(feature))
            .flatten()
    };
    let by_name = fields.iter().position(|f| f.name() == "label");
    if let Some(i) = by_name
        && let Some(names) = class_label(i)
    {
        roles.label = Some((i, "label".into(), LabelEncoding::ClassLabel(names)));
    }
    if roles.label.is_none() {
        roles.label = (0..fields.len()).find_map(|i| {
            class_label(i).map(|n| (i, fields[i].name().clone(), LabelEncoding::ClassLabel(n)))
        });
    }
    if roles.label.is_none() {
        roles.label = LABEL_COLUMNS.iter().find_map(|n| {
            fields
                .iter()
                .position(|f| {
                    f.name() == n && (is_string(f.data_type()) || is_integer(f.data_type()))
                })
                .map(|i| (i, n.to_string(), LabelEncoding::Plain))
        });
    }
    roles.split = fields
        .iter()
        .position(|f| f.name() == "split" && is_string(f.data_type()));
    let taken = |i: usize| {
        roles.media.as_ref().is_some_and(|m| m.0 == i)
            || roles.path.as_ref().is_some_and(|p| p.0 == i)
            || roles.text.as_ref().is_some_and(|t| t.0 == i)
            || roles.label.as_ref().is_some_and(|l| l.0 == i)
            || roles.split == Some(i)
    };
    // A scan file keeps as metadata only what a person reads per sample: fourteen text columns on
    // 10M rows would triple the open time and memory (the hashes and measures stay in the file for
    // `check --from-scan`).
    let is_scan_file = has("file") && has("xxh3_128") && has("phash");
    roles.metadata = fields
        .iter()
        .enumerate()
        .filter(|(i, f)| !taken(*i) && is_scalar(f.data_type()))
        .filter(|(_, f)| !is_scan_file || SCAN_METADATA.contains(&f.name().as_str()))
        .map(|(i, f)| (i, f.name().clone()))
        .collect();
    if roles.media.is_none()
        && roles.path.is_none()
        && roles.text.is_none()
        && roles.label.is_none()
    {
        return Err(format!(
            "no media, path, text or label column (columns: {})",
            fields
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(roles)
}

/// The scan columns a scan file opened as a dataset keeps as metadata.
const SCAN_METADATA: &[&str] = &["problem", "detail", "width", "height", "orientation"];

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::{Field, Fields};

    fn image_struct() -> DataType {
        DataType::Struct(Fields::from(vec![
            Field::new("bytes", DataType::Binary, true),
            Field::new("path", DataType::Utf8, true),
        ]))
    }

    #[test]
    fn roles_from_huggingface_features() {
        let schema = Schema::new(vec![
            Field::new("img", image_struct(), true),
            Field::new("fine_label", DataType::Int64, true),
            Field::new("label", DataType::Int64, true),
            Field::new("source", DataType::Utf8, true),
            Field::new(
                "tags",
                DataType::List(std::sync::Arc::new(Field::new(
                    "item",
                    DataType::Utf8,
                    true,
                ))),
                true,
            ),
        ]);
        let features = parse_features(
            r#"{"info":{"features":{"img":{"_type":"Image"},
                "fine_label":{"names":["a","b"],"_type":"ClassLabel"},
                "label":{"names":["cat","dog"],"_type":"ClassLabel"}}}}"#,
        );
        let roles = column_roles(&schema, &features, None).unwrap();
        assert_eq!(roles.media, Some((0, "img".into(), EmbeddedKind::Image)));
        assert_eq!(
            roles.label,
            Some((
                2,
                "label".into(),
                LabelEncoding::ClassLabel(vec!["cat".into(), "dog".into()])
            ))
        );
        // The other ClassLabel is metadata (its integer); the list is not a scalar.
        assert_eq!(
            roles.metadata,
            [(1, "fine_label".to_string()), (3, "source".to_string())]
        );
        assert_eq!(roles.text, None);
    }

    #[test]
    fn text_and_plain_labels_without_features() {
        let schema = Schema::new(vec![
            Field::new("review", DataType::Utf8, true),
            Field::new("text", DataType::Utf8, true),
            Field::new("class", DataType::Utf8, true),
        ]);
        let roles = column_roles(&schema, &HashMap::new(), None).unwrap();
        assert_eq!(roles.text, Some((1, "text".into())));
        assert_eq!(roles.label, Some((2, "class".into(), LabelEncoding::Plain)));
        assert_eq!(roles.metadata, [(0, "review".to_string())]);
        let picked = column_roles(&schema, &HashMap::new(), Some("review")).unwrap();
        assert_eq!(picked.text, Some((0, "review".into())));
        assert!(
            column_roles(&schema, &HashMap::new(), Some("nope"))
                .unwrap_err()
                .contains("nope")
        );
    }

    #[test]
    fn a_table_with_nothing_to_show_is_refused() {
        let schema = Schema::new(vec![Field::new("x", DataType::Float32, true)]);
        let err = column_roles(&schema, &HashMap::new(), None).unwrap_err();
        assert!(
            err.contains("no media, path, text or label column"),
            "{err}"
        );
    }
}

//! Batches of readings as devices send them: a JSON array of reading objects, or NDJSON (one
//! object a line). The parser never gives up on a batch for one bad reading: each reading is
//! parsed on its own and a bad one is reported with its index (and line, for NDJSON) and the
//! field at fault, so the valid part of the batch is not lost. Only a body that is not a batch
//! at all (empty, not JSON, not an array, too many readings) is refused whole.
//!
//! ```json
//! {"message_id": "bp-000123", "measure": "blood_pressure", "systolic": 128, "diastolic": 82,
//!  "unit": "mmHg", "taken_at": "2026-11-26T08:00:00+08:00"}
//! {"message_id": "hr-000124", "measure": "heart_rate", "value": 72, "unit": "/min",
//!  "taken_at": "2026-11-26T08:00:00+08:00"}
//! ```

use std::borrow::Cow;

use kernel::UtcMillis;
use serde::Deserialize;
use serde_json::Value;

/// How a batch is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json`: one array of reading objects.
    Json,
    /// `application/x-ndjson`: one reading object a line; blank lines are skipped.
    Ndjson,
}

impl Format {
    /// The format of a `Content-Type` (parameters such as `charset` ignored); `None` for any
    /// other type.
    pub fn from_content_type(content_type: &str) -> Option<Format> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Some(Format::Json),
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" => {
                Some(Format::Ndjson)
            }
            _ => None,
        }
    }

    /// Guesses the format of an MQTT body, which has no content type: an array is JSON,
    /// anything else NDJSON.
    pub fn sniff(body: &[u8]) -> Format {
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[') => Format::Json,
            _ => Format::Ndjson,
        }
    }
}

/// The fields a reading may carry.
pub const FIELDS: [&str; 8] = [
    "message_id",
    "measure",
    "value",
    "systolic",
    "diastolic",
    "unit",
    "taken_at",
    "resident_id",
];

/// One reading, well formed (its values are checked later, against its device and measure).
#[derive(Debug, Clone, PartialEq)]
pub struct RawReading {
    /// Unique among the device's messages; a second reading with it is a duplicate.
    pub message_id: String,
    /// What was measured, e.g. `blood_pressure`.
    pub measure: String,
    /// The single value of most measures.
    pub value: Option<f64>,
    /// Blood pressure's first value.
    pub systolic: Option<f64>,
    /// Blood pressure's second value.
    pub diastolic: Option<f64>,
    /// Unit of the value(s) as the device spells it.
    pub unit: String,
    /// When it was measured.
    pub taken_at: UtcMillis,
    /// The resident the device believes it measured, when it says so.
    pub resident_id: Option<String>,
}

impl RawReading {
    /// The value in one of [`crate::VALUE_FIELDS`].
    pub fn field(&self, name: &str) -> Option<f64> {
        match name {
            "value" => self.value,
            "systolic" => self.systolic,
            "diastolic" => self.diastolic,
            _ => None,
        }
    }
}

/// Where a reading sits in its batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 0-based index among the batch's readings (NDJSON: among its non-blank lines).
    pub index: usize,
    /// 1-based line of an NDJSON body.
    pub line: Option<usize>,
}

/// What is wrong with one reading's shape.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Shape {
    /// The line is not JSON.
    #[error("not JSON: {message}")]
    NotJson {
        /// Parser message with the column.
        message: String,
    },
    /// JSON, but not an object.
    #[error("a reading must be a JSON object")]
    NotAnObject,
    /// A required field is absent or null.
    #[error("`{field}` is required")]
    Missing {
        /// The field.
        field: &'static str,
    },
    /// A field of the wrong JSON type.
    #[error("`{field}` must be {expected}")]
    WrongType {
        /// The field.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// A field the format does not have.
    #[error("`{field}` is not a field of a reading; allowed: {}", FIELDS.join(", "))]
    Unknown {
        /// The field given.
        field: String,
    },
    /// `taken_at` is not an RFC 3339 time with an offset.
    #[error(
        "`taken_at` must be an RFC 3339 time with an offset, e.g. 2026-11-26T08:00:00+08:00; got `{given}`"
    )]
    BadTime {
        /// The text given.
        given: String,
    },
    /// `message_id` is empty or too long.
    #[error("`message_id` must have 1 to {max} characters")]
    BadMessageId {
        /// Longest allowed.
        max: usize,
    },
    /// The measure needs this value field and the reading lacks it.
    #[error("`{field}` is required for {measure}")]
    MissingForMeasure {
        /// The value field.
        field: &'static str,
        /// The measure.
        measure: String,
    },
    /// A value field the measure does not have.
    #[error("`{field}` is not a value of {measure}")]
    NotForMeasure {
        /// The value field.
        field: &'static str,
        /// The measure.
        measure: String,
    },
}

impl Shape {
    /// The field at fault, if one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            Shape::NotJson { .. } | Shape::NotAnObject => None,
            Shape::Missing { field }
            | Shape::WrongType { field, .. }
            | Shape::MissingForMeasure { field, .. }
            | Shape::NotForMeasure { field, .. } => Some(field),
            Shape::Unknown { field } => Some(field),
            Shape::BadTime { .. } => Some("taken_at"),
            Shape::BadMessageId { .. } => Some("message_id"),
        }
    }

    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            Shape::NotJson { message } => format!("不是有效的JSON：{message}"),
            Shape::NotAnObject => "读数应为JSON对象".into(),
            Shape::Missing { field } => format!("缺少必填字段 `{field}`"),
            Shape::WrongType { field, expected } => {
                let expected = match *expected {
                    "a number" => "数字",
                    _ => "字符串",
                };
                format!("`{field}` 应为{expected}")
            }
            Shape::Unknown { field } => {
                format!(
                    "`{field}` 不是读数的字段；允许的字段：{}",
                    FIELDS.join(", ")
                )
            }
            Shape::BadTime { given } => format!(
                "`taken_at` 应为带时区偏移的RFC 3339时间，如 2026-11-26T08:00:00+08:00；收到 `{given}`"
            ),
            Shape::BadMessageId { max } => format!("`message_id` 应为1至{max}个字符"),
            Shape::MissingForMeasure { field, measure } => {
                format!("{measure} 读数缺少 `{field}`")
            }
            Shape::NotForMeasure { field, measure } => {
                format!("`{field}` 不是 {measure} 的数值字段")
            }
        }
    }
}

/// A reading that could not be read, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("reading {} ({}): {shape}", position.index, position.line.map_or("".into(), |l| format!("line {l}")))]
pub struct ShapeError {
    /// Where it is.
    pub position: Position,
    /// What is wrong.
    pub shape: Shape,
}

/// A body that is not a batch at all; nothing in it is stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BodyError {
    /// No readings at all.
    #[error("the body holds no readings")]
    Empty,
    /// A JSON body that does not parse.
    #[error("the body is not JSON (line {line}, column {column}): {message}")]
    NotJson {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// Parser message.
        message: String,
    },
    /// A JSON body that is not an array.
    #[error(
        "a JSON body must be an array of readings; send one object a line as application/x-ndjson otherwise"
    )]
    NotAnArray,
    /// More readings than one batch may carry.
    #[error("the batch holds {count} readings; at most {max} are accepted in one batch")]
    TooMany {
        /// Readings counted (at least).
        count: usize,
        /// The limit.
        max: usize,
    },
}

impl BodyError {
    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            BodyError::Empty => "请求体中没有读数".into(),
            BodyError::NotJson {
                line,
                column,
                message,
            } => format!("请求体不是有效的JSON（第{line}行第{column}列）：{message}"),
            BodyError::NotAnArray => {
                "JSON请求体应为读数数组；否则请以 application/x-ndjson 每行发送一个对象".into()
            }
            BodyError::TooMany { count, max } => {
                format!("本批有{count}条读数，每批最多接受{max}条")
            }
        }
    }
}

/// One entry of a batch: a reading or why it could not be read.
pub type Item = (Position, Result<RawReading, ShapeError>);

/// Limits the parser enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most readings in one batch.
    pub max_readings: usize,
    /// Longest message id.
    pub max_message_id_chars: usize,
}

/// The shape serde reads on the fast path; anything it refuses is read again as a
/// [`Value`] to say precisely what is wrong.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire<'a> {
    #[serde(borrow)]
    message_id: Cow<'a, str>,
    #[serde(borrow)]
    measure: Cow<'a, str>,
    value: Option<f64>,
    systolic: Option<f64>,
    diastolic: Option<f64>,
    #[serde(borrow)]
    unit: Cow<'a, str>,
    #[serde(borrow)]
    taken_at: Cow<'a, str>,
    #[serde(borrow, default)]
    resident_id: Option<Cow<'a, str>>,
}

/// Parses a batch.
pub fn parse(body: &[u8], format: Format, limits: Limits) -> Result<Vec<Item>, BodyError> {
    let items = match format {
        Format::Json => parse_array(body, limits)?,
        Format::Ndjson => parse_lines(body, limits)?,
    };
    if items.is_empty() {
        return Err(BodyError::Empty);
    }
    Ok(items)
}

fn parse_array(body: &[u8], limits: Limits) -> Result<Vec<Item>, BodyError> {
    if let Ok(wires) = serde_json::from_slice::<Vec<Wire>>(body) {
        too_many(wires.len(), limits)?;
        return Ok(wires
            .into_iter()
            .enumerate()
            .map(|(index, w)| {
                let position = Position { index, line: None };
                (
                    position,
                    finish(w, limits).map_err(|shape| ShapeError { position, shape }),
                )
            })
            .collect());
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| BodyError::NotJson {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let Value::Array(entries) = value else {
        return Err(BodyError::NotAnArray);
    };
    too_many(entries.len(), limits)?;
    Ok(entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            let position = Position { index, line: None };
            (
                position,
                from_value(&entry, limits).map_err(|shape| ShapeError { position, shape }),
            )
        })
        .collect())
}

fn parse_lines(body: &[u8], limits: Limits) -> Result<Vec<Item>, BodyError> {
    let mut items = Vec::new();
    for (i, line) in body.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        too_many(items.len() + 1, limits)?;
        let position = Position {
            index: items.len(),
            line: Some(i + 1),
        };
        let reading = match serde_json::from_slice::<Wire>(line) {
            Ok(w) => finish(w, limits),
            Err(_) => match serde_json::from_slice::<Value>(line) {
                Ok(v) => from_value(&v, limits),
                Err(e) => Err(Shape::NotJson {
                    message: format!("column {}: {e}", e.column()),
                }),
            },
        };
        items.push((
            position,
            reading.map_err(|shape| ShapeError { position, shape }),
        ));
    }
    Ok(items)
}

fn too_many(count: usize, limits: Limits) -> Result<(), BodyError> {
    if count > limits.max_readings {
        return Err(BodyError::TooMany {
            count,
            max: limits.max_readings,
        });
    }
    Ok(())
}

fn finish(w: Wire, limits: Limits) -> Result<RawReading, Shape> {
    let chars = w.message_id.chars().count();
    if chars == 0 || chars > limits.max_message_id_chars {
        return Err(Shape::BadMessageId {
            max: limits.max_message_id_chars,
        });
    }
    Ok(RawReading {
        taken_at: parse_time(&w.taken_at)?,
        message_id: w.message_id.into_owned(),
        measure: w.measure.into_owned(),
        value: w.value,
        systolic: w.systolic,
        diastolic: w.diastolic,
        unit: w.unit.into_owned(),
        resident_id: w.resident_id.map(Cow::into_owned),
    })
}

/// RFC 3339 with an explicit offset (`Z` or `±hh:mm`); a local time without one is ambiguous.
fn parse_time(text: &str) -> Result<UtcMillis, Shape> {
    text.parse::<jiff::Timestamp>()
        .map(UtcMillis::from_timestamp)
        .map_err(|_| Shape::BadTime {
            given: text.chars().take(64).collect(),
        })
}

/// The slow path: says which field is wrong.
fn from_value(value: &Value, limits: Limits) -> Result<RawReading, Shape> {
    let Value::Object(map) = value else {
        return Err(Shape::NotAnObject);
    };
    if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(Shape::Unknown {
            field: unknown.chars().take(64).collect(),
        });
    }
    let text = |field: &'static str| -> Result<Option<&str>, Shape> {
        match map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Shape::WrongType {
                field,
                expected: "a string",
            }),
        }
    };
    let required = |field: &'static str| text(field)?.ok_or(Shape::Missing { field });
    let number = |field: &'static str| -> Result<Option<f64>, Shape> {
        match map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_f64().map(Some).ok_or(Shape::WrongType {
                field,
                expected: "a number",
            }),
            Some(_) => Err(Shape::WrongType {
                field,
                expected: "a number",
            }),
        }
    };
    let wire = Wire {
        message_id: Cow::Borrowed(required("message_id")?),
        measure: Cow::Borrowed(required("measure")?),
        value: number("value")?,
        systolic: number("systolic")?,
        diastolic: number("diastolic")?,
        unit: Cow::Borrowed(required("unit")?),
        taken_at: Cow::Borrowed(required("taken_at")?),
        resident_id: text("resident_id")?.map(Cow::Borrowed),
    };
    finish(wire, limits)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_readings: 100,
        max_message_id_chars: 16,
    };

    const HR: &str = r#"{"message_id":"a1","measure":"heart_rate","value":72,"unit":"/min","taken_at":"2026-11-26T08:00:00+08:00"}"#;

    fn shape_of(items: &[Item], i: usize) -> &Shape {
        &items[i].1.as_ref().unwrap_err().shape
    }

    #[test]
    fn a_json_array_is_read_in_order() {
        let body = format!(
            "[{HR}, {}]",
            r#"{"message_id":"b\u0032","measure":"blood_pressure","systolic":18.7,"diastolic":11,"unit":"kPa","taken_at":"2026-11-26T00:00:00Z","resident_id":"r1"}"#
        );
        let items = parse(body.as_bytes(), Format::Json, LIMITS).unwrap();
        let first = items[0].1.as_ref().unwrap();
        assert_eq!(first.value, Some(72.0));
        assert_eq!(first.taken_at, UtcMillis(1_795_651_200_000));
        let second = items[1].1.as_ref().unwrap();
        assert_eq!(second.message_id, "b2", "escapes are decoded");
        assert_eq!(second.field("systolic"), Some(18.7));
        assert_eq!(second.resident_id.as_deref(), Some("r1"));
        assert_eq!(
            items[1].0,
            Position {
                index: 1,
                line: None
            }
        );
    }

    #[test]
    fn a_bad_reading_in_an_array_names_its_index_and_field_and_spares_the_others() {
        let body = format!(
            "[{HR}, {}, 5, {}, {}]",
            HR.replace("72", "\"72\""),
            HR.replace("taken_at", "when"),
            HR.replace("\"unit\":\"/min\",", "")
        );
        let items = parse(body.as_bytes(), Format::Json, LIMITS).unwrap();
        assert!(items[0].1.is_ok());
        assert_eq!(
            shape_of(&items, 1),
            &Shape::WrongType {
                field: "value",
                expected: "a number"
            }
        );
        assert_eq!(items[1].1.as_ref().unwrap_err().position.index, 1);
        assert_eq!(shape_of(&items, 2), &Shape::NotAnObject);
        assert_eq!(
            shape_of(&items, 3),
            &Shape::Unknown {
                field: "when".into()
            }
        );
        assert_eq!(shape_of(&items, 4), &Shape::Missing { field: "unit" });
        assert_eq!(shape_of(&items, 4).field(), Some("unit"));
    }

    #[test]
    fn ndjson_lines_are_numbered_and_blank_lines_skipped() {
        let body = format!(
            "{HR}\n\n{{not json\n{}\n",
            HR.replace("2026-11-26T08:00:00+08:00", "2026-11-26 08:00")
        );
        let items = parse(body.as_bytes(), Format::Ndjson, LIMITS).unwrap();
        assert_eq!(items.len(), 3);
        assert!(items[0].1.is_ok());
        assert_eq!(
            items[1].0,
            Position {
                index: 1,
                line: Some(3)
            }
        );
        assert!(
            matches!(shape_of(&items, 1), Shape::NotJson { message } if message.starts_with("column 2"))
        );
        assert_eq!(
            shape_of(&items, 2),
            &Shape::BadTime {
                given: "2026-11-26 08:00".into()
            }
        );
    }

    #[test]
    fn a_time_without_an_offset_is_refused() {
        let body = HR.replace("+08:00", "");
        let items = parse(body.as_bytes(), Format::Ndjson, LIMITS).unwrap();
        assert!(matches!(shape_of(&items, 0), Shape::BadTime { .. }));
    }

    #[test]
    fn message_ids_must_be_short_and_present() {
        let long = HR.replace("\"a1\"", "\"0123456789abcdefg\"");
        let empty = HR.replace("\"a1\"", "\"\"");
        let items = parse(format!("[{long},{empty}]").as_bytes(), Format::Json, LIMITS).unwrap();
        assert_eq!(shape_of(&items, 0), &Shape::BadMessageId { max: 16 });
        assert_eq!(shape_of(&items, 1), &Shape::BadMessageId { max: 16 });
    }

    #[test]
    fn bodies_that_are_not_batches_are_refused_whole() {
        assert_eq!(
            parse(b"", Format::Json, LIMITS),
            Err(BodyError::NotJson {
                line: 1,
                column: 0,
                message: "EOF while parsing a value at line 1 column 0".into()
            })
        );
        assert_eq!(parse(b"[]", Format::Json, LIMITS), Err(BodyError::Empty));
        assert_eq!(
            parse(b" \n \n", Format::Ndjson, LIMITS),
            Err(BodyError::Empty)
        );
        assert_eq!(
            parse(HR.as_bytes(), Format::Json, LIMITS),
            Err(BodyError::NotAnArray)
        );
        let err = parse(b"[1,\n2,", Format::Json, LIMITS).unwrap_err();
        assert!(matches!(err, BodyError::NotJson { line: 2, .. }), "{err:?}");
        let many = format!("[{}]", vec![HR; 101].join(","));
        assert_eq!(
            parse(many.as_bytes(), Format::Json, LIMITS),
            Err(BodyError::TooMany {
                count: 101,
                max: 100
            })
        );
        let lines = vec![HR; 101].join("\n");
        assert_eq!(
            parse(lines.as_bytes(), Format::Ndjson, LIMITS),
            Err(BodyError::TooMany {
                count: 101,
                max: 100
            })
        );
    }

    #[test]
    fn content_types_and_sniffing() {
        assert_eq!(
            Format::from_content_type("application/json; charset=utf-8"),
            Some(Format::Json)
        );
        assert_eq!(
            Format::from_content_type("Application/X-NDJSON"),
            Some(Format::Ndjson)
        );
        assert_eq!(Format::from_content_type("text/plain"), None);
        assert_eq!(Format::sniff(b"  [1]"), Format::Json);
        assert_eq!(Format::sniff(b"{}"), Format::Ndjson);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics_on_arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..400)) {
                let _ = parse(&body, Format::Json, LIMITS);
                let _ = parse(&body, Format::Ndjson, LIMITS);
            }

            #[test]
            fn never_panics_on_json_like_text(body in r#"[\[\]{}",:0-9a-z_\\ \n.+-]{0,200}"#) {
                let _ = parse(body.as_bytes(), Format::Json, LIMITS);
                let _ = parse(body.as_bytes(), Format::Ndjson, LIMITS);
            }

            #[test]
            fn every_line_gets_exactly_one_item(n in 1usize..20, bad in proptest::collection::vec(any::<bool>(), 20)) {
                let lines: Vec<String> = (0..n)
                    .map(|i| if bad[i] { "{\"x\":1}".to_owned() } else { HR.replace("a1", &format!("m{i}")) })
                    .collect();
                let items = parse(lines.join("\n").as_bytes(), Format::Ndjson, LIMITS).unwrap();
                prop_assert_eq!(items.len(), n);
                for (i, (position, reading)) in items.iter().enumerate() {
                    prop_assert_eq!(position.line, Some(i + 1));
                    prop_assert_eq!(reading.is_ok(), !bad[i]);
                }
            }
        }
    }
}

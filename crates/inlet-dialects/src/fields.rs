//! Typed access to JSON fields, with the field's full path (e.g.
//! `attachments[0].fields[1].short`) in every refusal.
//!
//! A path is a chain of borrowed segments built on the stack and rendered
//! only when a refusal or a note needs it, so the success path allocates
//! nothing for it.

use crate::error::Rejection;
use serde_json::{Map, Value};
use std::fmt;

/// Where a value sits in the payload.
#[derive(Clone, Copy)]
pub struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    segment: Segment<'a>,
}

#[derive(Clone, Copy)]
enum Segment<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    /// The payload itself: keys under it print bare (`text`).
    pub const ROOT: Path<'static> = Path {
        parent: None,
        segment: Segment::Root,
    };

    pub fn key(&'a self, key: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Key(key),
        }
    }

    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Index(index),
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            parent.fmt(f)?;
        }
        let under_root = self
            .parent
            .is_none_or(|p| matches!(p.segment, Segment::Root));
        match self.segment {
            Segment::Root => Ok(()),
            Segment::Key(key) if under_root => f.write_str(key),
            Segment::Key(key) => write!(f, ".{key}"),
            Segment::Index(index) => write!(f, "[{index}]"),
        }
    }
}

/// How a JSON value is called in a refusal.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The refusal for a value of the wrong JSON type.
pub fn wrong_type(path: &Path<'_>, expected: &str, got: &Value) -> Rejection {
    Rejection::invalid(format!(
        "field `{path}` must be {expected}, not {}",
        kind_of(got)
    ))
}

/// A string field; absent and `null` are `None`.
pub fn opt_str<'v>(
    object: &'v Map<String, Value>,
    key: &str,
    at: &Path<'_>,
) -> Result<Option<&'v str>, Rejection> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(wrong_type(&at.key(key), "a string", other)),
    }
}

/// An identifier sent as a string or a number (senders' templates write
/// either); a number becomes its decimal text. Absent and `null` are
/// `None`.
pub fn opt_id(
    object: &Map<String, Value>,
    key: &str,
    at: &Path<'_>,
) -> Result<Option<String>, Rejection> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => id(value, &at.key(key)).map(Some),
    }
}

/// A value that must be a string or a number, as text.
pub fn id(value: &Value, at: &Path<'_>) -> Result<String, Rejection> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(wrong_type(at, "a string or a number", other)),
    }
}

/// A boolean field; absent and `null` are `None`.
pub fn opt_bool(
    object: &Map<String, Value>,
    key: &str,
    at: &Path<'_>,
) -> Result<Option<bool>, Rejection> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(wrong_type(&at.key(key), "true or false", other)),
    }
}

/// An array field; absent and `null` are `None`.
pub fn opt_array<'v>(
    object: &'v Map<String, Value>,
    key: &str,
    at: &Path<'_>,
) -> Result<Option<&'v [Value]>, Rejection> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(other) => Err(wrong_type(&at.key(key), "an array", other)),
    }
}

/// An object field; absent and `null` are `None`.
pub fn opt_object<'v>(
    object: &'v Map<String, Value>,
    key: &str,
    at: &Path<'_>,
) -> Result<Option<&'v Map<String, Value>>, Rejection> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => Err(wrong_type(&at.key(key), "an object", other)),
    }
}

/// An element of an array that must be an object; `null` is `None`
/// (Mattermost drops null attachments and fields).
pub fn element_object<'v>(
    value: &'v Value,
    at: &Path<'_>,
) -> Result<Option<&'v Map<String, Value>>, Rejection> {
    match value {
        Value::Null => Ok(None),
        Value::Object(map) => Ok(Some(map)),
        other => Err(wrong_type(at, "an object", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_print_like_the_payload_is_written() {
        let attachments = Path::ROOT.key("attachments");
        let first = attachments.index(0);
        let fields = first.key("fields");
        let second = fields.index(1);
        assert_eq!(
            second.key("short").to_string(),
            "attachments[0].fields[1].short"
        );
        assert_eq!(Path::ROOT.key("text").to_string(), "text");
        assert_eq!(Path::ROOT.to_string(), "");
    }

    #[test]
    fn wrong_types_name_the_field() {
        let object = json!({"a": 1, "b": null, "c": "x"});
        let object = object.as_object().unwrap();
        let err = opt_str(object, "a", &Path::ROOT).unwrap_err();
        assert_eq!(err.detail, "field `a` must be a string, not a number");
        assert_eq!(opt_str(object, "b", &Path::ROOT).unwrap(), None);
        assert_eq!(opt_str(object, "c", &Path::ROOT).unwrap(), Some("x"));
        assert!(opt_bool(object, "c", &Path::ROOT).is_err());
        assert!(opt_array(object, "c", &Path::ROOT).is_err());
        assert!(opt_object(object, "a", &Path::ROOT).is_err());
    }
}

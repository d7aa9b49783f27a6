//! Typed payloads: each event's fields are a serde struct, so a missing or
//! mistyped field is `invalid_payload` naming its path (Zulip answers 500;
//! dialects.md asks for a 400 naming the field).

use super::error::IntegrationError;
use serde::Deserialize;
use serde::de::value::{BorrowedStrDeserializer, MapDeserializer, SeqDeserializer};
use serde::de::{self, IntoDeserializer};
use serde_json::Value;

/// Deserialises `payload` as `T`, or says which field is wrong. `T` may
/// borrow its strings from `payload`.
pub fn parse<'a, T: Deserialize<'a>>(payload: &'a Value) -> Result<T, IntegrationError> {
    read(payload)
}

/// Deserialises `T` from `source`, naming the wrong field's path.
fn read<'a, T: Deserialize<'a>>(
    source: impl de::Deserializer<'a, Error = serde_json::Error>,
) -> Result<T, IntegrationError> {
    serde_path_to_error::deserialize(source).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde reports a missing field at its parent; name the field itself.
        let message = match missing_field(&inner) {
            Some(field) if path == "." => format!("field `{field}` is required"),
            Some(field) => format!("field `{path}.{field}` is required"),
            None => format!("field `{path}`: {inner}"),
        };
        IntegrationError::invalid(message)
    })
}

/// [`parse`], reading every object member whose value is `null` as not
/// sent, for vendors that send `null` for what they leave out: an optional
/// field then takes its default, and a needed one is reported missing.
/// Nothing is copied: the payload is read through [`NullsAbsent`].
pub fn parse_without_nulls<'a, T: Deserialize<'a>>(
    payload: &'a Value,
) -> Result<T, IntegrationError> {
    read(NullsAbsent(payload))
}

/// A JSON value read as a deserializer that skips object members whose
/// value is `null`, at every depth.
#[derive(Clone, Copy)]
struct NullsAbsent<'a>(&'a Value);

impl<'de> de::Deserializer<'de> for NullsAbsent<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Object(members) => {
                let present = members
                    .iter()
                    .filter(|(_, value)| !value.is_null())
                    .map(|(key, value)| (BorrowedStrDeserializer::new(key), NullsAbsent(value)));
                let mut map = MapDeserializer::new(present);
                let read = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(read)
            }
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.iter().map(NullsAbsent));
                let read = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(read)
            }
            scalar => de::Deserializer::deserialize_any(scalar, visitor),
        }
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: de::Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        de::Deserializer::deserialize_enum(self.0, name, variants, visitor)
    }

    fn deserialize_ignored_any<V: de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier
    }
}

impl<'de> IntoDeserializer<'de, serde_json::Error> for NullsAbsent<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        inner: Inner,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        number: u64,
        title: String,
    }

    #[test]
    fn a_needed_field_sent_as_null_is_reported_missing() {
        let e = parse_without_nulls::<Outer>(&json!({"inner": {"number": 1, "title": null}}))
            .unwrap_err();
        assert_eq!(e.message, "field `inner.title` is required");
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse::<Outer>(&json!({"inner": {"number": 1}})).unwrap_err();
        assert_eq!(e.message, "field `inner.title` is required");
        let e = parse::<Outer>(&json!({"inner": {"number": "1", "title": "t"}})).unwrap_err();
        assert!(
            e.message.starts_with("field `inner.number`: invalid type"),
            "{}",
            e.message
        );
        let e = parse::<Outer>(&json!({})).unwrap_err();
        assert_eq!(e.message, "field `inner` is required");
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Sent {
        #[serde(default)]
        name: String,
        #[serde(default)]
        tags: Vec<String>,
        id: u64,
        nested: Option<Box<Sent>>,
    }

    #[test]
    fn nulls_read_as_not_sent_at_every_depth() {
        let payload = json!({
            "name": null, "tags": ["a", "b"], "id": 1,
            "nested": {"name": "n", "tags": null, "id": 2, "nested": null}
        });
        assert!(
            parse::<Sent>(&payload).is_err(),
            "a plain parse refuses the nulls"
        );
        let sent: Sent = parse_without_nulls(&payload).unwrap();
        assert_eq!(sent.name, "");
        assert_eq!(sent.tags, ["a", "b"]);
        let nested = sent.nested.unwrap();
        assert_eq!(
            (nested.name.as_str(), nested.tags.len(), nested.id),
            ("n", 0, 2)
        );
        assert!(nested.nested.is_none());
        let e = parse_without_nulls::<Sent>(&json!({"id": null})).unwrap_err();
        assert_eq!(e.message, "field `id` is required");
        let e = parse_without_nulls::<Sent>(&json!({"nested": {"id": "x"}, "id": 1})).unwrap_err();
        assert!(
            e.message.starts_with("field `nested.id`: invalid type"),
            "{}",
            e.message
        );
    }
}

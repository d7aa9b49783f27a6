//! Typed payloads: each event's fields are a serde struct, so a missing or
//! mistyped field is `invalid_payload` naming its path (Zulip answers 500;
//! dialects.md asks for a 400 naming the field).

use super::error::IntegrationError;
use serde::Deserialize;
use serde_json::Value;

/// Deserialises `payload` as `T`, or says which field is wrong. `T` may
/// borrow its strings from `payload`.
pub fn parse<'a, T: Deserialize<'a>>(payload: &'a Value) -> Result<T, IntegrationError> {
    serde_path_to_error::deserialize(payload).map_err(|e| {
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

/// `payload` with every object member whose value is `null` left out, for
/// integrations that read a vendor's `null` as "not sent": an optional
/// field then takes its default, and a needed one is reported missing.
pub fn without_nulls(payload: &Value) -> Value {
    match payload {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
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
    fn null_members_are_left_out() {
        let cleaned =
            without_nulls(&json!({"a": null, "b": {"c": null, "d": 1}, "e": [null, {"f": null}]}));
        assert_eq!(cleaned, json!({"b": {"d": 1}, "e": [null, {}]}));
        let e = parse::<Outer>(&without_nulls(
            &json!({"inner": {"number": 1, "title": null}}),
        ))
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
}

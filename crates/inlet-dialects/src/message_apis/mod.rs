//! Chat message APIs that senders call instead of an incoming-webhook URL,
//! answered with a webhook's token: Zulip's send-message
//! (`POST /api/v1/messages`, [`zulip_send`]) and Slack's
//! `chat.postMessage` ([`slack_post_message`]). Their bodies are read here
//! into what the translators already know: a topic post as the
//! integrations make it, or a Slack payload.

pub(crate) mod slack_post_message;
pub(crate) mod zulip_send;

use crate::body::{BodyKind, body_kind, json_object_strict};
use crate::error::Rejection;
use serde_json::{Map, Value};

/// The request's arguments: a form's fields or a JSON object's members
/// (the first of a repeated form field wins, as for a `payload` field).
/// Query parameters fill in what the body does not name (Zulip reads
/// both).
pub(crate) fn arguments(
    content_type: Option<&str>,
    body: &[u8],
    query: &[(String, String)],
    max_depth: usize,
) -> Result<Map<String, Value>, Rejection> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut arguments = if body.trim_ascii().is_empty() {
        Map::new()
    } else {
        // Without a content type, a body that is not a JSON object is a form.
        let kind = match content_type {
            None if !body.trim_ascii_start().starts_with(b"{") => BodyKind::Form,
            _ => body_kind(content_type, body)?,
        };
        match kind {
            BodyKind::Form => form_fields(body)?,
            BodyKind::Json => json_object_strict(Some("application/json"), body, max_depth)?,
            BodyKind::Multipart(_) => {
                return Err(Rejection::new(
                    crate::error::ErrorCode::UnsupportedMediaType,
                    "send the arguments as a form (application/x-www-form-urlencoded) or as JSON",
                ));
            }
        }
    };
    for (name, value) in query {
        if !arguments.contains_key(name) {
            arguments.insert(name.clone(), Value::from(value.as_str()));
        }
    }
    Ok(arguments)
}

fn form_fields(body: &[u8]) -> Result<Map<String, Value>, Rejection> {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| Rejection::invalid(format!("form body cannot be decoded: {e}")))?;
    let mut object = Map::new();
    for (name, value) in fields {
        object.entry(name).or_insert(Value::String(value));
    }
    Ok(object)
}

/// A string argument; a number or a boolean is read as its text (clients
/// send `to=42`, or JSON `"to": 42`).
pub(crate) fn text_argument<'a>(
    arguments: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<std::borrow::Cow<'a, str>>, Rejection> {
    match arguments.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.as_str().into())),
        Some(Value::Number(number)) => Ok(Some(number.to_string().into())),
        Some(Value::Bool(flag)) => Ok(Some(flag.to_string().into())),
        Some(_) => Err(Rejection::invalid(format!(
            "argument `{name}` must be a string"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_and_a_json_object_give_the_same_arguments() {
        let form = arguments(
            Some("application/x-www-form-urlencoded"),
            b"type=stream&to=general&content=hi",
            &[],
            64,
        )
        .unwrap();
        let json = arguments(
            Some("application/json"),
            br#"{"type":"stream","to":"general","content":"hi"}"#,
            &[],
            64,
        )
        .unwrap();
        assert_eq!(form, json);
    }

    #[test]
    fn the_body_wins_over_the_query_and_the_first_form_field_wins() {
        let query = [
            ("to".to_string(), "from-query".to_string()),
            ("topic".to_string(), "t".to_string()),
        ];
        let got = arguments(
            Some("application/x-www-form-urlencoded"),
            b"to=first&to=second",
            &query,
            64,
        )
        .unwrap();
        assert_eq!(got["to"], "first");
        assert_eq!(got["topic"], "t");
    }

    #[test]
    fn a_multipart_body_is_refused_as_a_media_type() {
        let refused =
            arguments(Some("multipart/form-data; boundary=x"), b"--x--", &[], 64).unwrap_err();
        assert_eq!(refused.code.as_str(), "unsupported_media_type");
    }

    #[test]
    fn numbers_read_as_text_and_objects_are_refused() {
        let object = arguments(None, br#"{"to":42,"content":{"a":1}}"#, &[], 64).unwrap();
        assert_eq!(text_argument(&object, "to").unwrap().unwrap(), "42");
        let refused = text_argument(&object, "content").unwrap_err();
        assert!(refused.detail.contains("`content`"), "{}", refused.detail);
    }
}

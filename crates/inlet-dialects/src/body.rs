//! Turning request bytes into a JSON object: content types, `payload=`
//! forms, multipart bodies, the UTF-8 BOM, charsets, the nesting limit, and
//! the raw control characters inside strings that Mattermost tolerates.

use crate::error::{ErrorCode, Rejection};
use crate::fields::kind_of;
use crate::multipart;
use serde_json::{Map, Value};

/// How a body is to be read, decided from its `Content-Type` and first bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    Form,
    /// `multipart/form-data`, with its boundary.
    Multipart(String),
}

/// The part names a multipart body may carry instead of a `payload` part
/// (dialects.md, slack); other parts are ignored.
const MULTIPART_FIELDS: [&str; 5] = ["text", "channel", "username", "icon_url", "icon_emoji"];

/// Decides the body kind; refuses charsets other than UTF-8.
pub fn body_kind(content_type: Option<&str>, body: &[u8]) -> Result<BodyKind, Rejection> {
    let Some(raw) = content_type.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(if body.starts_with(b"payload=") {
            BodyKind::Form
        } else {
            BodyKind::Json
        });
    };
    check_charset(raw)?;
    let media = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Ok(match media.as_str() {
        "application/x-www-form-urlencoded" => BodyKind::Form,
        "multipart/form-data" => {
            BodyKind::Multipart(multipart::boundary(raw).ok_or_else(|| {
                Rejection::invalid("multipart/form-data content type without a boundary")
            })?)
        }
        // Mattermost reads any body it cannot otherwise place as JSON.
        _ => BodyKind::Json,
    })
}

/// Refuses a `charset` parameter other than UTF-8 (415, decisions.md 16).
fn check_charset(content_type: &str) -> Result<(), Rejection> {
    for (name, value) in multipart::params(content_type) {
        let value = value.to_ascii_lowercase();
        if name.eq_ignore_ascii_case("charset") && value != "utf-8" && value != "utf8" {
            return Err(Rejection::new(
                ErrorCode::UnsupportedMediaType,
                format!("charset {value:?} is not supported; send UTF-8"),
            ));
        }
    }
    Ok(())
}

/// Reads the body as the JSON object the dialect expects: JSON, a form's
/// `payload` field, or a multipart body (its `payload` part, or its
/// `text`, `channel`, `username`, `icon_url`, `icon_emoji` parts).
pub fn json_object(
    content_type: Option<&str>,
    body: &[u8],
    max_depth: usize,
) -> Result<Map<String, Value>, Rejection> {
    let body = strip_bom(body);
    match body_kind(content_type, body)? {
        BodyKind::Json => parse_object(body, max_depth),
        BodyKind::Form => parse_object(form_payload(body)?.as_bytes(), max_depth),
        BodyKind::Multipart(boundary) => multipart_object(body, &boundary, max_depth),
    }
}

/// Like [`json_object`] for dialects that take only JSON: a form or
/// multipart body (declared, or sniffed as `payload=…`) is
/// `unsupported_media_type` (decisions.md 16).
pub fn json_object_strict(
    content_type: Option<&str>,
    body: &[u8],
    max_depth: usize,
) -> Result<Map<String, Value>, Rejection> {
    let body = strip_bom(body);
    match body_kind(content_type, body)? {
        BodyKind::Json => parse_object(body, max_depth),
        BodyKind::Form | BodyKind::Multipart(_) => Err(Rejection::new(
            ErrorCode::UnsupportedMediaType,
            "this endpoint takes only a JSON body, not a form",
        )),
    }
}

fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

/// The `payload` field of a form body.
fn form_payload(body: &[u8]) -> Result<String, Rejection> {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| Rejection::invalid(format!("form body cannot be decoded: {e}")))?;
    fields
        .into_iter()
        .find(|(name, _)| name == "payload")
        .map(|(_, value)| value)
        .ok_or_else(|| Rejection::invalid("form body has no `payload` field"))
}

/// A multipart body as the payload object. The first part of a name wins,
/// as the first `payload` field of a form does.
fn multipart_object(
    body: &[u8],
    boundary: &str,
    max_depth: usize,
) -> Result<Map<String, Value>, Rejection> {
    let parts = multipart::parse(body, boundary).map_err(Rejection::invalid)?;
    for part in &parts {
        if let Some(content_type) = &part.content_type {
            check_charset(content_type)?;
        }
    }
    if let Some(payload) = parts.iter().find(|p| p.name == "payload") {
        return parse_object(payload.data, max_depth);
    }
    let mut object = Map::new();
    for part in parts {
        let Some(field) = MULTIPART_FIELDS
            .iter()
            .find(|f| part.name.eq_ignore_ascii_case(f))
        else {
            continue;
        };
        if object.contains_key(*field) {
            continue;
        }
        let text = std::str::from_utf8(strip_bom(part.data)).map_err(|_| {
            Rejection::invalid(format!("multipart part `{field}` is not valid UTF-8"))
        })?;
        object.insert((*field).to_string(), Value::from(text));
    }
    Ok(object)
}

fn parse_object(bytes: &[u8], max_depth: usize) -> Result<Map<String, Value>, Rejection> {
    let text = std::str::from_utf8(strip_bom(bytes)).map_err(|e| {
        Rejection::invalid(format!(
            "body is not valid UTF-8 (byte {})",
            e.valid_up_to()
        ))
    })?;
    if text.trim().is_empty() {
        return Err(Rejection::invalid("body is empty; expected a JSON object"));
    }
    check_depth(text.as_bytes(), max_depth)?;
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(first) => {
            // Mattermost accepts raw newlines and tabs inside strings; so do we.
            let repaired = escape_raw_controls_in_strings(text)
                .ok_or_else(|| Rejection::invalid(format!("body is not valid JSON: {first}")))?;
            serde_json::from_str(&repaired)
                .map_err(|_| Rejection::invalid(format!("body is not valid JSON: {first}")))?
        }
    };
    match value {
        Value::Object(map) => Ok(map),
        other => Err(Rejection::invalid(format!(
            "body must be a JSON object, not {}",
            kind_of(&other)
        ))),
    }
}

/// Refuses nesting deeper than `max_depth` with a flat scan (no recursion,
/// so no input can exhaust the stack before the parser sees it).
pub fn check_depth(bytes: &[u8], max_depth: usize) -> Result<(), Rejection> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max_depth {
                    return Err(Rejection::invalid(format!(
                        "JSON is nested deeper than {max_depth} levels"
                    )));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Escapes raw `\n`, `\r` and `\t` found inside JSON strings; `None` when
/// there were none (the JSON was broken for another reason).
fn escape_raw_controls_in_strings(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 16);
    let (mut in_string, mut escaped, mut changed) = (false, false, false);
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                (false, '\n') => {
                    out.push_str("\\n");
                    changed = true;
                    continue;
                }
                (false, '\r') => {
                    out.push_str("\\r");
                    changed = true;
                    continue;
                }
                (false, '\t') => {
                    out.push_str("\\t");
                    changed = true;
                    continue;
                }
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(ct: Option<&str>, body: &[u8]) -> Result<Map<String, Value>, Rejection> {
        json_object(ct, body, 64)
    }

    #[test]
    fn json_is_read_whatever_the_content_type() {
        for ct in [
            None,
            Some("application/json"),
            Some("text/plain"),
            Some("application/octet-stream"),
        ] {
            assert_eq!(
                obj(ct, br#"{"text":"hi"}"#).unwrap()["text"],
                "hi",
                "{ct:?}"
            );
        }
    }

    #[test]
    fn form_payload_is_read() {
        let body = b"payload=%7B%22text%22%3A%22hi%22%7D&other=1";
        assert_eq!(
            obj(Some("application/x-www-form-urlencoded"), body).unwrap()["text"],
            "hi"
        );
        assert_eq!(
            obj(None, body).unwrap()["text"],
            "hi",
            "no content type, body starts with payload="
        );
    }

    #[test]
    fn form_without_payload_is_invalid() {
        let err = obj(Some("application/x-www-form-urlencoded"), b"text=hi").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidPayload);
        assert!(err.detail.contains("payload"));
    }

    #[test]
    fn payload_that_is_not_json_is_invalid() {
        let err = obj(None, b"payload=not-json").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidPayload);
    }

    #[test]
    fn other_charsets_are_unsupported() {
        let err = obj(
            Some("application/json; charset=ISO-8859-1"),
            br#"{"text":"hi"}"#,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::UnsupportedMediaType);
        assert!(
            obj(
                Some("application/json; charset=\"UTF-8\""),
                br#"{"text":"hi"}"#
            )
            .is_ok()
        );
    }

    #[test]
    fn bom_is_ignored() {
        assert_eq!(
            obj(None, b"\xEF\xBB\xBF{\"text\":\"hi\"}").unwrap()["text"],
            "hi"
        );
    }

    #[test]
    fn non_objects_empty_bodies_and_bad_utf8_are_invalid() {
        for body in [
            &b"[]"[..],
            b"\"text\"",
            b"",
            b"   ",
            b"{\"text\":\"\xff\"}",
            b"{",
        ] {
            assert_eq!(
                obj(None, body).unwrap_err().code,
                ErrorCode::InvalidPayload,
                "{body:?}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let deep = "[".repeat(100_000);
        let err = obj(None, deep.as_bytes()).unwrap_err();
        assert!(err.detail.contains("nested deeper"), "{}", err.detail);
        let ok = format!("{{\"a\":{}1{}}}", "[".repeat(60), "]".repeat(60));
        assert!(obj(None, ok.as_bytes()).is_ok());
    }

    #[test]
    fn brackets_inside_strings_do_not_count_as_nesting() {
        let body = format!("{{\"text\":\"{}\"}}", "[".repeat(1000));
        assert!(obj(None, body.as_bytes()).is_ok());
    }

    #[test]
    fn raw_newlines_and_tabs_inside_strings_are_tolerated() {
        let map = obj(None, b"{\"text\":\"line one\nline\ttwo\"}").unwrap();
        assert_eq!(map["text"], "line one\nline\ttwo");
    }

    #[test]
    fn multipart_payload_part_is_read() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"payload\"\r\n\r\n{\"text\":\"hi\"}\r\n--XyZ--\r\n";
        let map = obj(Some("multipart/form-data; boundary=XyZ"), body).unwrap();
        assert_eq!(map["text"], "hi");
    }

    #[test]
    fn multipart_fields_become_the_payload_and_others_are_ignored() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"TEXT\"\r\n\r\nhi\r\n--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nsecond\r\n--b--";
        let map = obj(Some("multipart/form-data; boundary=b"), body).unwrap();
        assert_eq!(map.len(), 1);
        assert_eq!(map["text"], "hi");
    }

    #[test]
    fn multipart_without_boundary_or_with_a_latin1_part_is_refused() {
        let err = obj(Some("multipart/form-data"), b"x").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidPayload);
        let body = b"--b\r\nContent-Disposition: form-data; name=\"text\"\r\nContent-Type: text/plain; charset=latin1\r\n\r\nhi\r\n--b--";
        let err = obj(Some("multipart/form-data; boundary=b"), body).unwrap_err();
        assert_eq!(err.code, ErrorCode::UnsupportedMediaType);
    }

    #[test]
    fn strict_bodies_refuse_forms_and_multipart() {
        let strict = |ct, body: &[u8]| json_object_strict(ct, body, 64);
        assert_eq!(strict(None, br#"{"text":"hi"}"#).unwrap()["text"], "hi");
        for (ct, body) in [
            (
                Some("application/x-www-form-urlencoded"),
                &b"payload=%7B%7D"[..],
            ),
            (Some("multipart/form-data; boundary=b"), b"--b--"),
            (None, b"payload=%7B%7D"),
        ] {
            assert_eq!(
                strict(ct, body).unwrap_err().code,
                ErrorCode::UnsupportedMediaType,
                "{ct:?}"
            );
        }
    }
}

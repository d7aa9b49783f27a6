//! Turning request bytes into a JSON object: content types, `payload=`
//! forms, multipart bodies, the UTF-8 BOM, charsets, the nesting limit, and
//! the raw control characters inside strings that Mattermost tolerates.

use crate::error::{ErrorCode, Rejection};
use crate::fields::kind_of;
use crate::multipart;
use serde::Deserialize;
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
    json_text_strict(content_type, body, max_depth)?.object()
}

/// The checks of [`json_object_strict`] short of parsing: the body's JSON
/// text, refused as [`json_object_strict`] would refuse it for its content
/// type, encoding, blankness or nesting.
pub fn json_text_strict<'a>(
    content_type: Option<&str>,
    body: &'a [u8],
    max_depth: usize,
) -> Result<JsonText<'a>, Rejection> {
    let body = strip_bom(body);
    match body_kind(content_type, body)? {
        BodyKind::Json => JsonText::new(body, max_depth),
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
pub(crate) fn form_payload(body: &[u8]) -> Result<String, Rejection> {
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
    JsonText::new(bytes, max_depth)?.object()
}

/// A body's text that passed every check short of parsing it: UTF-8
/// without a BOM, not blank, nested no deeper than allowed.
pub struct JsonText<'a> {
    text: &'a str,
    scan: Scan,
}

impl<'a> JsonText<'a> {
    fn new(bytes: &'a [u8], max_depth: usize) -> Result<Self, Rejection> {
        let text = std::str::from_utf8(strip_bom(bytes)).map_err(|e| {
            Rejection::invalid(format!(
                "body is not valid UTF-8 (byte {})",
                e.valid_up_to()
            ))
        })?;
        if text.trim().is_empty() {
            return Err(Rejection::invalid("body is empty; expected a JSON object"));
        }
        let scan = scan(text.as_bytes());
        if scan.depth > max_depth {
            return Err(Rejection::invalid(format!(
                "JSON is nested deeper than {max_depth} levels"
            )));
        }
        Ok(Self { text, scan })
    }

    /// The JSON object the text holds.
    pub fn object(&self) -> Result<Map<String, Value>, Rejection> {
        match self.value()? {
            Value::Object(map) => Ok(map),
            other => Err(Rejection::invalid(format!(
                "body must be a JSON object, not {}",
                kind_of(&other)
            ))),
        }
    }

    /// The JSON value the text holds, whatever its kind.
    pub fn value(&self) -> Result<Value, Rejection> {
        let value: Value = match serde_json::from_str(self.text) {
            Ok(value) => value,
            Err(first) => {
                // Mattermost accepts raw newlines and tabs inside strings; so do we.
                let repaired = escape_raw_controls_in_strings(self.text).ok_or_else(|| {
                    Rejection::invalid(format!("body is not valid JSON: {first}"))
                })?;
                serde_json::from_str(&repaired)
                    .map_err(|_| Rejection::invalid(format!("body is not valid JSON: {first}")))?
            }
        };
        Ok(value)
    }

    /// `T` read straight from the text, its strings borrowed where they
    /// have no escapes, when that is sure to give what reading `T` from
    /// [`Self::object`] gives; `None` otherwise, and on any error, so that
    /// the caller takes the general route and refuses as it always did.
    ///
    /// Reading `T` from the text skips the values `T` has no field for
    /// instead of parsing them, and skipping is laxer in a few places that
    /// the scan looks for (see `Scan`). It also takes an array for a struct
    /// (serde's sequence form), hence the object check, and refuses a
    /// field given twice (where the object keeps the last) and the raw
    /// control characters [`Self::object`] repairs: both go the general
    /// route.
    pub fn typed<T: Deserialize<'a>>(&self) -> Option<T> {
        let is_object = self
            .text
            .trim_start_matches([' ', '\t', '\n', '\r'])
            .starts_with('{');
        if !is_object || self.scan.lenient_when_skipped || self.scan.depth > SERDE_JSON_MAX_DEPTH {
            return None;
        }
        serde_json::from_str(self.text).ok()
    }
}

/// The deepest nesting serde_json parses into a value: deeper, it refuses,
/// while it skips any depth without complaint. A body nested deeper than
/// this is left to the general route, which refuses it.
const SERDE_JSON_MAX_DEPTH: usize = 127;

/// The most digits a number outside strings may run to and still be read
/// exactly as it is skipped: `u64::MAX` has 20; longer ones are parsed as
/// floats, which can overflow (an error) where skipping only counts digits.
const EXACT_NUMBER_DIGITS: usize = 20;

/// What a flat scan of a JSON text finds, without recursion, so that no
/// input can exhaust the stack before the parser sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Scan {
    /// The deepest nesting of objects and arrays.
    depth: usize,
    /// Whether the text holds something serde_json checks when it parses a
    /// value but not when it skips one: a number with an exponent or a
    /// long run of digits (out of an `f64`'s range is an error only when
    /// parsed), or a `\u` escape of a UTF-16 surrogate (a lone one, the
    /// same). Valid pairs and numbers in range are flagged too: such
    /// bodies just take the slower, general route.
    lenient_when_skipped: bool,
}

/// Scans a JSON text, valid or not; brackets inside strings do not count.
fn scan(bytes: &[u8]) -> Scan {
    let mut found = Scan::default();
    let (mut depth, mut digits) = (0usize, 0usize);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        match b {
            b'"' => i = string_end(bytes, i, &mut found),
            b'{' | b'[' => {
                depth += 1;
                found.depth = found.depth.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'0'..=b'9' => {
                digits += 1;
                found.lenient_when_skipped |= digits > EXACT_NUMBER_DIGITS;
                continue;
            }
            // Outside strings, a letter after a digit is an exponent.
            b'e' | b'E' if digits > 0 => found.lenient_when_skipped = true,
            _ => {}
        }
        digits = 0;
    }
    found
}

/// The index just past the closing quote of the string whose content
/// starts at `start`, or the end of the text when it is not closed.
fn string_end(bytes: &[u8], start: usize, found: &mut Scan) -> usize {
    let mut i = start;
    while let Some(next) = quote_or_backslash(bytes, i) {
        if bytes[next] == b'"' {
            return next + 1;
        }
        // `\uD800` to `\uDFFF`: a UTF-16 surrogate.
        if matches!(
            bytes.get(next + 1..next + 4),
            Some([b'u', b'd' | b'D', b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F'])
        ) {
            found.lenient_when_skipped = true;
        }
        // The byte after a backslash is escaped, whatever it is.
        i = (next + 2).min(bytes.len());
    }
    bytes.len()
}

/// The index of the first `"` or `\` at or after `start`. Most of a body
/// is string content, in which only these two matter, so it is searched
/// eight bytes at a time: a byte of a word is zero where it matched, and
/// `(w - 0x01…01) & !w & 0x80…80` flags zero bytes (Mycroft's test; the
/// lowest flag is always a true one, which is the one wanted).
fn quote_or_backslash(bytes: &[u8], start: usize) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    let zero_bytes = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS;
    let (words, tail) = bytes.get(start..)?.as_chunks::<8>();
    for (n, &word) in words.iter().enumerate() {
        let word = u64::from_le_bytes(word);
        let matched = zero_bytes(word ^ (ONES * u64::from(b'"')))
            | zero_bytes(word ^ (ONES * u64::from(b'\\')));
        if matched != 0 {
            return Some(start + 8 * n + matched.trailing_zeros() as usize / 8);
        }
    }
    let tail_start = start + 8 * words.len();
    tail.iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|offset| tail_start + offset)
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
#[path = "body_tests.rs"]
mod tests;

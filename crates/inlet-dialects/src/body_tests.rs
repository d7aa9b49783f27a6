//! Tests of `body`: content types, JSON and form bodies, depth and
//! encoding refusals.

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

/// The nesting depth as the byte-by-byte scan `scan` replaced counts
/// it, valid JSON or not.
fn depth_byte_by_byte(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
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
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

proptest::proptest! {
    #[test]
    fn scan_counts_depth_as_a_byte_by_byte_scan_does(text in "[\\[\\]{}\"\\\\ a1ud8]{0,80}") {
        proptest::prop_assert_eq!(scan(text.as_bytes()).depth, depth_byte_by_byte(text.as_bytes()));
    }

    #[test]
    fn quotes_and_backslashes_are_found_eight_bytes_at_a_time(
        text in "[ab\"\\\\é]{0,40}",
        start in 0usize..48,
    ) {
        let bytes = text.as_bytes();
        let start = start.min(bytes.len());
        let one_by_one = bytes[start..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\')
            .map(|offset| start + offset);
        proptest::prop_assert_eq!(quote_or_backslash(bytes, start), one_by_one);
    }
}

#[derive(Debug, Deserialize, PartialEq)]
struct Known<'a> {
    a: u64,
    #[serde(default, borrow)]
    s: Option<std::borrow::Cow<'a, str>>,
}

fn typed(body: &str) -> Option<Known<'_>> {
    JsonText::new(body.as_bytes(), 200).ok()?.typed()
}

#[test]
fn typed_reads_skip_what_they_do_not_name() {
    let known = typed(r#" {"a": 1, "b": "x\n", "c": [1.5, -2, true, null, {"d": []}]}"#);
    assert_eq!(known, Some(Known { a: 1, s: None }));
}

#[test]
fn typed_reads_leave_to_the_general_route_whatever_it_might_read_differently() {
    for body in [
        // Skipping checks neither the range of a number nor surrogates.
        r#"{"a": 1, "b": 1e999}"#,
        r#"{"a": 1, "b": [2.5E-3]}"#,
        r#"{"a": 1, "b": 123456789012345678901234567890}"#,
        r#"{"a": 1, "b": "\ud800"}"#,
        r#"{"a": 1, "b": {"c": "\uDBFF\uDFFF"}}"#,
        // The object keeps the last of a key given twice.
        r#"{"a": 1, "a": 2}"#,
        // `object` repairs raw tabs and newlines in strings.
        "{\"a\": 1, \"s\": \"raw\ttab\"}",
        // Serde reads a struct from an array too.
        "[1, null]",
        r#"{"a": 1} trailing"#,
        r#"{"a": "1"}"#,
    ] {
        assert_eq!(typed(body), None, "{body}");
    }
    let object = |body: &[u8]| JsonText::new(body, 64).unwrap().object();
    assert!(object(br#"{"a": 1, "b": 1e999}"#).is_err());
    assert!(object(br#"{"a": 1, "b": "\ud800"}"#).is_err());
    assert_eq!(object(br#"{"a": 1, "a": 2}"#).unwrap()["a"], 2);
    // Exponents and digits inside strings are only text.
    assert!(typed(r#"{"a": 1, "b": "1e999 12345678901234567890123"}"#).is_some());
}

#[test]
fn typed_reads_stop_where_serde_json_stops_nesting_values() {
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    assert!(serde_json::from_str::<Value>(&nested(SERDE_JSON_MAX_DEPTH)).is_ok());
    assert!(serde_json::from_str::<Value>(&nested(SERDE_JSON_MAX_DEPTH + 1)).is_err());
    let body = |depth: usize| format!("{{\"a\": 1, \"b\": {}}}", nested(depth));
    assert!(typed(&body(SERDE_JSON_MAX_DEPTH - 1)).is_some());
    assert_eq!(typed(&body(SERDE_JSON_MAX_DEPTH)), None);
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

//! Links a reader must never follow, written in markdown text: a
//! `javascript:`, `vbscript:` or `data:` destination in an inline link or
//! image (`[x](javascript:…)`), an autolink (`<javascript:…>`) or a
//! reference definition (`[x]: javascript:…`). Structured URL fields and
//! Slack's `<url|label>` links are checked where they are read (only
//! http(s) is kept); this is the last pass over the markdown every consumer
//! gets (the API, the SSE stream, Redis listeners), not only our viewer.
//!
//! A neutralised link keeps its label as text (`[x]`), an autolink its text
//! without the brackets, a definition is escaped so it defines nothing; each
//! is noted in `props.dropped`. Code spans and blocks are left as written:
//! nothing in them is a link.
//!
//! The scheme is judged as a browser would read it: HTML character
//! references and backslash escapes decoded, whitespace and control
//! characters ignored, case folded (`JaVa&#115;cript&colon;`).

use crate::code::{Brackets, map_prose};
use crate::draft::Translation;
use serde_json::{Map, Value};

/// The schemes whose links are neutralised.
const UNSAFE_SCHEMES: [&str; 3] = ["javascript:", "vbscript:", "data:"];

/// Neutralises the unsafe links of every draft's message and of the
/// markdown in its `props.attachments`, noting each in `props.dropped`.
pub fn neutralise_translation(translation: &mut Translation) {
    for draft in &mut translation.drafts {
        let mut notes = Vec::new();
        if let Some(safe) = neutralise(&draft.message) {
            draft.message = safe.text;
            notes.extend(safe.schemes.iter().map(|s| note("message", s)));
        }
        if let Some(attachments) = draft.props.get_mut("attachments") {
            neutralise_value(attachments, "attachments", &mut notes);
        }
        if !notes.is_empty() {
            push_notes(&mut draft.props, notes);
        }
    }
}

fn neutralise_value(value: &mut Value, at: &str, notes: &mut Vec<Value>) {
    match value {
        Value::String(s) => {
            if let Some(safe) = neutralise(s) {
                *s = safe.text;
                notes.extend(safe.schemes.iter().map(|scheme| note(at, scheme)));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                neutralise_value(item, &format!("{at}[{i}]"), notes);
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                neutralise_value(item, &format!("{at}.{key}"), notes);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn note(field: &str, scheme: &str) -> Value {
    let mut entry = Map::new();
    entry.insert("field".into(), Value::from(field));
    entry.insert(
        "reason".into(),
        Value::from(format!("a link to a {scheme} URL")),
    );
    Value::Object(entry)
}

fn push_notes(props: &mut Map<String, Value>, notes: Vec<Value>) {
    match props.get_mut("dropped") {
        Some(Value::Array(existing)) => existing.extend(notes),
        _ => {
            props.insert("dropped".into(), Value::Array(notes));
        }
    }
}

/// A text whose unsafe links were neutralised, and their schemes.
#[derive(Debug, PartialEq, Eq)]
pub struct Neutralised {
    pub text: String,
    pub schemes: Vec<&'static str>,
}

/// `text` with its unsafe links neutralised; `None` when it has none.
pub fn neutralise(text: &str) -> Option<Neutralised> {
    // Every form needs a `:` after the scheme (literal or as a reference).
    if !text.contains([':', '&', '\\']) || !text.contains(['(', '<', ']']) {
        return None;
    }
    let mut schemes = Vec::new();
    let out = map_prose(text, Brackets::Markdown, |prose, out| {
        let inline = inline_links(prose, &mut schemes);
        let auto = autolinks(&inline, &mut schemes);
        definitions(&auto, &mut schemes, out);
    });
    (!schemes.is_empty()).then_some(Neutralised { text: out, schemes })
}

/// The unsafe scheme `destination` names, read as a browser would.
fn unsafe_scheme(destination: &str) -> Option<&'static str> {
    let decoded = decode_references(destination.strip_prefix('<').unwrap_or(destination));
    let mut plain = String::with_capacity(16);
    let mut chars = decoded.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|n| n.is_ascii_punctuation()) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            continue;
        }
        plain.extend(c.to_lowercase());
        if plain.len() >= 11 {
            break;
        }
    }
    UNSAFE_SCHEMES.into_iter().find(|s| plain.starts_with(s))
}

/// Decodes the HTML character references a browser would in an `href`:
/// numeric ones and the few named ones that can spell a scheme.
fn decode_references(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[1..].find(';').map(|i| i + 1).filter(|e| *e <= 12);
        let decoded = end.and_then(|end| reference(&rest[1..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn reference(name: &str) -> Option<char> {
    let lower = name.to_ascii_lowercase();
    if let Some(number) = lower.strip_prefix('#') {
        let code = match number.strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code);
    }
    match lower.as_str() {
        "colon" => Some(':'),
        "tab" => Some('\t'),
        "newline" => Some('\n'),
        "sol" => Some('/'),
        _ => None,
    }
}

/// `[label](destination "title")` and `![alt](…)`: an unsafe destination
/// loses its parenthesised part (`[label]`), or just itself when a title
/// follows.
fn inline_links(prose: &str, schemes: &mut Vec<&'static str>) -> String {
    let mut out = String::with_capacity(prose.len());
    let mut at = 0;
    while let Some(found) = prose[at..].find("](") {
        let open = at + found + 1;
        out.push_str(&prose[at..open]);
        let Some((dest, close)) = destination(prose, open + 1) else {
            out.push('(');
            at = open + 1;
            continue;
        };
        match unsafe_scheme(&prose[dest.clone()]) {
            Some(scheme) => {
                schemes.push(scheme);
                match close {
                    // Nothing but the destination: drop the parentheses.
                    Some(close) => at = close + 1,
                    None => {
                        out.push_str(&prose[open..dest.start]);
                        at = dest.end;
                    }
                }
            }
            None => {
                out.push('(');
                at = open + 1;
            }
        }
    }
    out.push_str(&prose[at..]);
    out
}

/// The destination starting at `from` (just after `(`), and the position of
/// the `)` when it directly follows it (after optional spaces).
fn destination(prose: &str, from: usize) -> Option<(std::ops::Range<usize>, Option<usize>)> {
    let bytes = prose.as_bytes();
    let mut start = from;
    while start < bytes.len() && matches!(bytes[start], b' ' | b'\t' | b'\n' | b'\r') {
        start += 1;
    }
    let end = if bytes.get(start) == Some(&b'<') {
        let close = prose[start + 1..].find(['>', '\n'])? + start + 1;
        if bytes[close] != b'>' {
            return None;
        }
        close + 1
    } else {
        let mut depth = 0usize;
        let mut i = start;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 1,
                b'(' => depth += 1,
                b')' if depth == 0 => break,
                b')' => depth -= 1,
                b' ' | b'\t' | b'\n' | b'\r' => break,
                c if c < 0x20 => break,
                _ => {}
            }
            i += 1;
        }
        i.min(bytes.len())
    };
    if end == start {
        return None;
    }
    let mut after = end;
    while after < bytes.len() && matches!(bytes[after], b' ' | b'\t') {
        after += 1;
    }
    let close = (bytes.get(after) == Some(&b')')).then_some(after);
    Some((start..end, close))
}

/// `<scheme:…>` autolinks with an unsafe scheme become their text.
fn autolinks(prose: &str, schemes: &mut Vec<&'static str>) -> String {
    let mut out = String::with_capacity(prose.len());
    let mut at = 0;
    while let Some(found) = prose[at..].find('<') {
        let open = at + found;
        out.push_str(&prose[at..open]);
        let inner_end = prose[open + 1..]
            .find(|c: char| c == '>' || c == '<' || c.is_whitespace())
            .map(|i| i + open + 1);
        match inner_end {
            Some(end) if prose.as_bytes()[end] == b'>' => {
                let inner = &prose[open + 1..end];
                match unsafe_scheme(inner).filter(|_| is_scheme_start(inner)) {
                    Some(scheme) => {
                        schemes.push(scheme);
                        out.push_str(inner);
                    }
                    None => out.push_str(&prose[open..=end]),
                }
                at = end + 1;
            }
            _ => {
                out.push('<');
                at = open + 1;
            }
        }
    }
    out.push_str(&prose[at..]);
    out
}

/// An autolink starts with a scheme: a letter, then letters, digits, `+`,
/// `.` or `-`, then `:`.
fn is_scheme_start(inner: &str) -> bool {
    let Some(colon) = inner.find(':') else {
        return false;
    };
    let scheme = &inner[..colon];
    scheme.len() >= 2
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
}

/// `[label]: destination` lines with an unsafe destination are escaped
/// (`\[label]: …`), so they define nothing.
fn definitions(prose: &str, schemes: &mut Vec<&'static str>, out: &mut String) {
    for line in prose.split_inclusive('\n') {
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        let unsafe_definition = indent <= 3
            && trimmed.starts_with('[')
            && trimmed
                .find("]:")
                .and_then(|i| unsafe_scheme(trimmed[i + 2..].trim_start()))
                .inspect(|scheme| schemes.push(scheme))
                .is_some();
        if unsafe_definition {
            out.push_str(&line[..indent]);
            out.push('\\');
            out.push_str(trimmed);
        } else {
            out.push_str(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe(text: &str) -> String {
        neutralise(text).map_or_else(|| text.to_string(), |n| n.text)
    }

    #[test]
    fn unsafe_inline_links_and_images_keep_their_label() {
        assert_eq!(safe("[click](javascript:alert(1)) now"), "[click] now");
        assert_eq!(safe("![x](data:image/png;base64,AA)"), "![x]");
        assert_eq!(safe("[v](VBScript:msgbox)"), "[v]");
        assert_eq!(safe("[t](javascript:x \"title\")"), "[t]( \"title\")");
        assert_eq!(safe("[a]( <javascript:x> )"), "[a]");
    }

    #[test]
    fn disguised_schemes_are_read_as_a_browser_reads_them() {
        for dest in [
            "JaVaScRiPt:alert(1)",
            "java&#115;cript:alert(1)",
            "javascript&colon;alert(1)",
            "&#x6A;avascript:alert(1)",
            "javascript\\:alert(1)",
            "%20javascript:alert(1)",
        ] {
            let text = format!("[x]({dest})");
            let expect_kept = dest.starts_with('%');
            assert_eq!(safe(&text) == text, expect_kept, "{dest}");
        }
    }

    #[test]
    fn autolinks_and_definitions_are_neutralised() {
        assert_eq!(safe("see <javascript:alert(1)>"), "see javascript:alert(1)");
        assert_eq!(
            safe("[x]\n\n[x]: javascript:alert(1)\n"),
            "[x]\n\n\\[x]: javascript:alert(1)\n"
        );
        let n = neutralise("<data:text/html,x> and [a](vbscript:y)").unwrap();
        assert_eq!(n.schemes, vec!["vbscript:", "data:"]);
    }

    #[test]
    fn safe_links_code_and_plain_text_are_left_alone() {
        for text in [
            "[docs](https://example.com/a_(b)) and <https://example.com>",
            "`[x](javascript:alert(1))` in code",
            "```\n[x](javascript:alert(1))\n```",
            "the data: 5 items; javascript: is a word here",
            "[x](mailto:a@example.com) <mailto:a@example.com>",
            "a < b > c ](",
        ] {
            assert_eq!(neutralise(text), None, "{text}");
        }
    }
}

//! Links a reader must never follow, written in markdown text: a
//! `javascript:`, `vbscript:` or `data:` destination in an inline link or
//! image (`[x](javascript:…)`), an autolink (`<javascript:…>`) or a
//! reference definition (`[x]: javascript:…`). Structured URL fields and
//! Slack's `<url|label>` links are checked where they are read (only
//! http(s) is kept); this is the last pass over the markdown every consumer
//! gets (the API, the SSE stream, Redis listeners), not only our viewer.
//!
//! A neutralised link keeps its label as text (`[x]`), an autolink its text
//! without the brackets, a definition loses its destination so it defines nothing; each
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
            neutralise_value(attachments, "attachments", &mut Vec::new(), &mut notes);
        }
        if !notes.is_empty() {
            push_notes(&mut draft.props, notes);
        }
    }
}

/// Where a value sits under `props.attachments`, kept as borrowed steps
/// and written out only for a note.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn path_of(root: &str, steps: &[Step<'_>]) -> String {
    let mut path = root.to_string();
    for step in steps {
        match step {
            Step::Key(key) => {
                path.push('.');
                path.push_str(key);
            }
            Step::Index(i) => path.push_str(&format!("[{i}]")),
        }
    }
    path
}

fn neutralise_value<'a>(
    value: &'a mut Value,
    root: &str,
    steps: &mut Vec<Step<'a>>,
    notes: &mut Vec<Value>,
) {
    match value {
        Value::String(s) => {
            if let Some(safe) = neutralise(s) {
                *s = safe.text;
                let at = path_of(root, steps);
                notes.extend(safe.schemes.iter().map(|scheme| note(&at, scheme)));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                steps.push(Step::Index(i));
                neutralise_value(item, root, steps, notes);
                steps.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                steps.push(Step::Key(key));
                neutralise_value(item, root, steps, notes);
                steps.pop();
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
    if !has_unsafe_destination(text) {
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

/// The unsafe scheme `destination` names, read as a browser would: HTML
/// character references and backslash escapes decoded, whitespace and
/// control characters ignored, case folded. Reads at most the first eleven
/// characters that count, and allocates nothing: it runs for every link of
/// every message.
fn unsafe_scheme(destination: &str) -> Option<&'static str> {
    let rest = destination.strip_prefix('<').unwrap_or(destination);
    let mut plain = [0u8; 11];
    let mut len = 0;
    let mut at = 0;
    while at < rest.len() && len < plain.len() {
        let Some(c) = rest[at..].chars().next() else {
            break;
        };
        let mut next = at + c.len_utf8();
        let c = match c {
            '&' => match reference_at(&rest[at..]) {
                Some((decoded, used)) => {
                    next = at + used;
                    decoded
                }
                None => '&',
            },
            '\\' if rest[next..].starts_with(|n: char| n.is_ascii_punctuation()) => {
                at = next;
                continue;
            }
            c => c,
        };
        at = next;
        if c.is_whitespace() || c.is_control() {
            continue;
        }
        if !c.is_ascii() {
            break;
        }
        plain[len] = c.to_ascii_lowercase() as u8;
        len += 1;
    }
    let plain = &plain[..len];
    UNSAFE_SCHEMES
        .into_iter()
        .find(|s| plain.starts_with(s.as_bytes()))
}

/// The character a reference at the start of `s` (`&#106;`, `&#x6A;`,
/// `&colon;`…) stands for, and its length; the numeric ones and the few
/// named ones that can spell a scheme, as a browser decodes them in an
/// `href`.
fn reference_at(s: &str) -> Option<(char, usize)> {
    let end = s.get(1..13).unwrap_or(&s[1..]).find(';')? + 1;
    let name = &s[1..end];
    let decoded = if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        char::from_u32(code)?
    } else if name.eq_ignore_ascii_case("colon") {
        ':'
    } else if name.eq_ignore_ascii_case("tab") {
        '\t'
    } else if name.eq_ignore_ascii_case("newline") {
        '\n'
    } else if name.eq_ignore_ascii_case("sol") {
        '/'
    } else {
        return None;
    };
    Some((decoded, end + 1))
}

/// Whether any link destination in `text` may be unsafe: the places a
/// destination starts (`](`, `<`, `]:`) are checked without allocating, so
/// that the common text, safe links only, costs one scan. Code is not told
/// apart here: the full pass does that.
fn has_unsafe_destination(text: &str) -> bool {
    let after = |i: usize| text[i..].trim_start_matches([' ', '\t', '\n', '\r']);
    text.match_indices("](")
        .any(|(i, _)| unsafe_scheme(after(i + 2)).is_some())
        || text
            .match_indices('<')
            .any(|(i, _)| unsafe_scheme(&text[i + 1..]).is_some())
        || text
            .match_indices("]:")
            .any(|(i, _)| unsafe_scheme(after(i + 2)).is_some())
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

/// `[label]: destination` lines with an unsafe destination lose the
/// destination (`[label]: `), so they define nothing and show as text.
/// Like every rule here it only removes characters: a part of a split
/// message never grows past the post limit.
fn definitions(prose: &str, schemes: &mut Vec<&'static str>, out: &mut String) {
    for line in prose.split_inclusive('\n') {
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        let destination = (indent <= 3 && trimmed.starts_with('['))
            .then(|| trimmed.find("]:"))
            .flatten()
            .map(|i| {
                let after = &trimmed[i + 2..];
                let start = i + 2 + (after.len() - after.trim_start().len());
                let length = trimmed[start..]
                    .find(char::is_whitespace)
                    .unwrap_or(trimmed.len() - start);
                indent + start..indent + start + length
            })
            .filter(|range| !range.is_empty());
        match destination.and_then(|range| unsafe_scheme(&line[range.clone()]).map(|s| (s, range)))
        {
            Some((scheme, range)) => {
                schemes.push(scheme);
                out.push_str(&line[..range.start]);
                out.push_str(&line[range.end..]);
            }
            None => out.push_str(line),
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
            safe("[x]\n\n[x]: javascript:alert(1) \"t\"\n"),
            "[x]\n\n[x]:  \"t\"\n"
        );
        let n = neutralise("<data:text/html,x> and [a](vbscript:y)").unwrap();
        assert_eq!(n.schemes, vec!["vbscript:", "data:"]);
    }

    #[test]
    fn neutralising_never_lengthens_a_text() {
        for text in [
            "[d]: vbscript:msg",
            "see <javascript:x> and [a](data:y) ![i](data:z)\n[r]: javascript:q",
            "[2ef]: vbscript:msg kk<<<<E<<\n[2ef]: vbscript:msgb<<<Db<<<Dpath> today",
        ] {
            let out = safe(text);
            assert_ne!(out, text);
            assert!(out.chars().count() <= text.chars().count(), "{out:?}");
        }
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

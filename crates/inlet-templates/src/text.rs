//! Text as the helpers read and write it: a value's text (borrowed when
//! it is a string), markdown escaping, text made one line, table cells and
//! shortening at a word boundary. Helpers call these over every cell and
//! item, so each takes the common case (nothing to change) without copying.

use minijinja::value::{Value, ValueKind};
use std::borrow::Cow;

/// Whether `md_escape` backslash-escapes this byte: the characters that
/// start emphasis, code, links, headings, tables, strike-through or HTML
/// inline (all ASCII, so a byte never splits a character).
fn markdown_special(byte: u8) -> bool {
    matches!(
        byte,
        b'\\' | b'`' | b'*' | b'_' | b'[' | b']' | b'<' | b'>' | b'#' | b'|' | b'~'
    )
}

/// A value as text: strings as they are (borrowed: helpers walk many
/// cells and items), nothing for undefined or none.
pub(crate) fn text_of(value: &Value) -> Cow<'_, str> {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => Cow::Borrowed(""),
        ValueKind::String => Cow::Borrowed(value.as_str().unwrap_or_default()),
        _ => Cow::Owned(value.to_string()),
    }
}

pub(crate) fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut start = 0;
    for (i, byte) in text.bytes().enumerate() {
        if markdown_special(byte) {
            out.push_str(&text[start..i]);
            out.push('\\');
            start = i;
        }
    }
    out.push_str(&text[start..]);
    out
}

/// The text on one line, runs of white space made one space; borrowed
/// when it already is (the common case, checked in one pass).
pub(crate) fn one_line(text: &str) -> Cow<'_, str> {
    if is_one_line(text) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// No white space but single spaces between words.
fn is_one_line(text: &str) -> bool {
    // Printable ASCII without a space (a name, a path, a number): checked
    // without a branch per byte.
    let printable = text
        .bytes()
        .fold(true, |all, byte| all & (byte.wrapping_sub(0x21) < 0x5e));
    if printable {
        return true;
    }
    if !text.is_ascii() {
        return is_one_line_unicode(text);
    }
    // Starts true so that a leading space is refused.
    let mut after_space = true;
    for byte in text.bytes() {
        if byte == b' ' {
            if after_space {
                return false;
            }
            after_space = true;
        } else if byte.is_ascii_whitespace() || byte == 0x0b {
            return false;
        } else {
            after_space = false;
        }
    }
    !after_space || text.is_empty()
}

/// [`is_one_line`] of a text with non-ASCII characters, some of which
/// are white space (no-break space, line separator…).
fn is_one_line_unicode(text: &str) -> bool {
    // Starts true so that a leading space is refused.
    let mut after_space = true;
    for c in text.chars() {
        if c == ' ' {
            if after_space {
                return false;
            }
            after_space = true;
        } else if c.is_whitespace() {
            return false;
        } else {
            after_space = false;
        }
    }
    !text.ends_with(' ')
}

/// `text` without its trailing newlines, in place.
pub(crate) fn trim_trailing_newlines(mut text: String) -> String {
    let kept = text.trim_end_matches('\n').len();
    text.truncate(kept);
    text
}

/// A table cell: one line, its pipes escaped.
pub(crate) fn cell(text: &str) -> Cow<'_, str> {
    // Printable ASCII without a space or a pipe (a name, a state, a
    // number): as it is, in one pass.
    let plain = text.bytes().fold(true, |all, byte| {
        all & (byte.wrapping_sub(0x21) < 0x5e) & (byte != b'|')
    });
    if plain {
        return Cow::Borrowed(text);
    }
    let line = one_line(text);
    if line.contains('|') {
        Cow::Owned(line.replace('|', "\\|"))
    } else {
        line
    }
}

/// `text` in at most `length` characters, `end` included, cut at the last
/// word boundary (`truncate_words`).
pub(crate) fn shorten(text: &str, length: usize, end: &str) -> String {
    let room = length.saturating_sub(end.chars().count());
    let (cut_at, next) = if text.is_ascii() {
        // A character is a byte: no counting (most texts).
        if text.len() <= length {
            return text.to_string();
        }
        (room, Some(char::from(text.as_bytes()[room])))
    } else {
        // Only the first `length + 1` characters are counted: enough to
        // know whether the text fits.
        let Some((past, _)) = text.char_indices().nth(length) else {
            return text.to_string();
        };
        text[..past]
            .char_indices()
            .nth(room)
            .map_or((past, text[past..].chars().next()), |(i, c)| (i, Some(c)))
    };
    let cut = &text[..cut_at];
    let next_is_space = next.is_some_and(char::is_whitespace);
    let space = if cut.is_ascii() {
        // The ASCII white space of `char::is_whitespace`, byte by byte.
        cut.bytes().rposition(|b| matches!(b, b'\t'..=b'\r' | b' '))
    } else {
        cut.rfind(char::is_whitespace)
    };
    let kept = match space {
        Some(space) if !next_is_space => &cut[..space],
        _ => cut,
    };
    let kept = kept.trim_end();
    let mut out = String::with_capacity(kept.len() + end.len());
    out.push_str(kept);
    out.push_str(end);
    out
}

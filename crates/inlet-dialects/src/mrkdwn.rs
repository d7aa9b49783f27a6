//! Slack mrkdwn emphasis to markdown: `*bold*` → `**bold**`, `_it_` →
//! `*it*`, `~s~` → `~~s~~`, only at word boundaries (so `snake_case` and
//! `2*3*4` stay as they are) and never inside a `<…>` form or a URL, whose
//! underscores and stars belong to the address.
//!
//! A delimiter opens when the character before it is not a letter or digit
//! and the one after it is not a space; it closes at the first later
//! delimiter on the same line with a non-space before it and no letter or
//! digit after it. Doubled delimiters (`**`) are left alone: they are
//! markdown already. Nesting of different delimiters (`*_x_*`) is kept;
//! the same delimiter does not nest, which also bounds the recursion.

use crate::code::angle_form_end;
use std::borrow::Cow;
use std::ops::Range;

const DELIMITERS: [char; 3] = ['*', '_', '~'];

/// Converts the emphasis of one stretch of prose.
pub fn emphasis(prose: &str) -> Cow<'_, str> {
    if !prose.contains(DELIMITERS) {
        return Cow::Borrowed(prose);
    }
    let opaque = opaque_ranges(prose);
    let mut out = String::with_capacity(prose.len() + 8);
    convert(prose, 0, &opaque, [true; 3], &mut out);
    Cow::Owned(out)
}

/// Converts `text` (which starts at `base` in the prose) into `out`;
/// `allowed` says which delimiters may still open at this depth.
fn convert(text: &str, base: usize, opaque: &[Range<usize>], allowed: [bool; 3], out: &mut String) {
    let mut copied = 0;
    let mut i = 0;
    // Where a failed search for a closer ended, per delimiter: closers do
    // not depend on their opener, so a later opener before that point
    // cannot succeed either (keeps long lines of stars linear).
    let mut hopeless_until = [0usize; 3];
    while let Some(offset) = text[i..].find(DELIMITERS) {
        let at = i + offset;
        let d = text[at..].chars().next().unwrap_or('*');
        let kind = DELIMITERS.iter().position(|&x| x == d).unwrap_or(0);
        let candidate = allowed[kind]
            && at >= hopeless_until[kind]
            && !is_opaque(opaque, base + at)
            && opens(text, at, d);
        let close = if candidate {
            closing(text, at + 1, d, base, opaque).map_err(|end| hopeless_until[kind] = end)
        } else {
            Err(())
        };
        let Ok(close) = close else {
            i = at + 1;
            continue;
        };
        out.push_str(&text[copied..at]);
        let (open_mark, close_mark) = match d {
            '*' => ("**", "**"),
            '_' => ("*", "*"),
            _ => ("~~", "~~"),
        };
        out.push_str(open_mark);
        let mut inner_allowed = allowed;
        inner_allowed[kind] = false;
        convert(
            &text[at + 1..close],
            base + at + 1,
            opaque,
            inner_allowed,
            out,
        );
        out.push_str(close_mark);
        copied = close + 1;
        i = close + 1;
    }
    out.push_str(&text[copied..]);
}

fn opens(text: &str, at: usize, d: char) -> bool {
    let before = text[..at].chars().next_back();
    let after = text[at + 1..].chars().next();
    before.is_none_or(|c| !c.is_alphanumeric() && c != d)
        && after.is_some_and(|c| !c.is_whitespace() && c != d)
}

/// The index of the delimiter closing one opened just before `from`, or
/// where the search gave up (the end of the line or of the text).
fn closing(
    text: &str,
    from: usize,
    d: char,
    base: usize,
    opaque: &[Range<usize>],
) -> Result<usize, usize> {
    let mut i = from;
    while let Some(offset) = text[i..].find([d, '\n']) {
        let at = i + offset;
        if text.as_bytes()[at] == b'\n' {
            return Err(at);
        }
        let before = text[..at].chars().next_back();
        let after = text[at + 1..].chars().next();
        let closes = at > from
            && before.is_some_and(|c| !c.is_whitespace())
            && after.is_none_or(|c| !c.is_alphanumeric() && c != d)
            && !is_opaque(opaque, base + at);
        if closes {
            return Ok(at);
        }
        i = at + 1;
    }
    Err(text.len())
}

fn is_opaque(opaque: &[Range<usize>], at: usize) -> bool {
    let i = opaque.partition_point(|r| r.end <= at);
    opaque.get(i).is_some_and(|r| r.start <= at)
}

/// The `<…>` forms and the whitespace-delimited words holding a URL, in
/// order and not overlapping.
fn opaque_ranges(prose: &str) -> Vec<Range<usize>> {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    for pattern in ["://", "www."] {
        // One look per word, however many markers it holds.
        let mut word_end = 0;
        for (marker, _) in prose.match_indices(pattern) {
            if marker < word_end {
                continue;
            }
            let start = word_end + after_last(&prose[word_end..marker], char::is_whitespace);
            word_end = prose[marker..]
                .find(char::is_whitespace)
                .map_or(prose.len(), |i| marker + i);
            ranges.extend(url_in_word(prose, start..word_end));
        }
    }
    let mut search = 0;
    while let Some(offset) = prose[search..].find('<') {
        let start = search + offset;
        match angle_form_end(prose, start) {
            Some(end) => {
                ranges.push(start..end);
                search = end;
            }
            None => search = start + 1,
        }
    }
    ranges.sort_by_key(|r| r.start);
    merge(ranges)
}

/// The URL inside a word, as a GFM autolink would take it: from its scheme
/// (or `www.`) to the end of the word less trailing punctuation, so that
/// `*https://x*` still reads as bold.
fn url_in_word(prose: &str, word: Range<usize>) -> Option<Range<usize>> {
    let text = &prose[word.clone()];
    let start = match text.find("://") {
        Some(sep) => after_last(&text[..sep], |c| {
            !c.is_ascii_alphanumeric() && !matches!(c, '+' | '-' | '.')
        }),
        None => text.find("www.")?,
    };
    let trimmed =
        text.trim_end_matches(['*', '_', '~', '.', ',', ':', ';', '!', '?', '\'', '"', ')']);
    (trimmed.len() > start).then(|| word.start + start..word.start + trimmed.len())
}

/// The byte index just after the last character of `text` matching
/// `pattern`, or 0 when none does.
fn after_last(text: &str, pattern: impl Fn(char) -> bool) -> usize {
    text.char_indices()
        .rev()
        .find(|&(_, c)| pattern(c))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

fn merge(ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_emphasis_becomes_markdown() {
        assert_eq!(emphasis("*bold*"), "**bold**");
        assert_eq!(emphasis("_it_"), "*it*");
        assert_eq!(emphasis("~gone~"), "~~gone~~");
        assert_eq!(emphasis("a *b c* d, _e_."), "a **b c** d, *e*.");
        assert_eq!(emphasis("*_both_*"), "***both***");
    }

    #[test]
    fn only_at_word_boundaries() {
        for text in [
            "snake_case_name",
            "2*3*4",
            "* not bold *",
            "**already**",
            "a*b",
            "*open\nclose*",
            "~/path/to",
        ] {
            assert_eq!(emphasis(text), text, "{text}");
        }
    }

    #[test]
    fn never_inside_links_or_urls() {
        assert_eq!(
            emphasis("<https://x/_a_|_label_>"),
            "<https://x/_a_|_label_>"
        );
        assert_eq!(emphasis("see https://x/_a_/b"), "see https://x/_a_/b");
        assert_eq!(emphasis("*see* <https://x/*a*>"), "**see** <https://x/*a*>");
        assert_eq!(
            emphasis("*https://x.example/a_b*"),
            "**https://x.example/a_b**"
        );
        assert_eq!(
            emphasis("_see www.x.example/a_b_"),
            "*see www.x.example/a_b*"
        );
        assert_eq!(
            emphasis("é://x_y_ 　https://z/_a_"),
            "é://x_y_ 　https://z/_a_"
        );
    }

    #[test]
    fn adversarial_nesting_does_not_recurse_deeply() {
        let text = "*_~".repeat(20_000) + &"~_*".repeat(20_000);
        let _ = emphasis(&text);
    }

    #[test]
    fn a_long_line_of_unclosed_openers_stays_fast() {
        let text = " *a".repeat(200_000);
        let started = std::time::Instant::now();
        assert_eq!(emphasis(&text), text);
        assert!(started.elapsed().as_secs() < 5);
    }
}

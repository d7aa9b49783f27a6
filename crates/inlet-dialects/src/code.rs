//! Where the code is in a markdown text: fenced code blocks and code spans.
//! Markup translation and mention neutralisation apply only to the prose
//! around them; code is copied byte for byte.
//!
//! The rules follow CommonMark closely enough for that purpose: a fence is
//! a line of three or more backticks or tildes (indented at most three
//! spaces) and runs to a closing fence or the end of the text; a code span
//! is a backtick run closed by the next run of the same length in the same
//! paragraph; a backslash-escaped backtick opens nothing; an autolink that
//! starts first hides the backticks inside it. In Slack text ([`Brackets::Slack`])
//! every `<…>` form counts as one (Slack writes `<https://x|`code`>`); in
//! markdown ([`Brackets::Markdown`]) only CommonMark autolinks do. Indented
//! code blocks are not recognised (senders of chat messages rarely mean
//! them).

use std::ops::Range;

/// A stretch of the text, code or prose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub range: Range<usize>,
    pub code: bool,
}

/// Which `<…>` forms hide the backticks inside them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Brackets {
    /// Slack text: every `<…>` form.
    Slack,
    /// Markdown: CommonMark autolinks (`<scheme:…>`, no spaces).
    Markdown,
}

/// Cuts `text` into alternating prose and code segments covering it all.
pub fn segments(text: &str, brackets: Brackets) -> Vec<Segment> {
    let mut code = Vec::new();
    if text.contains(['`', '~']) {
        let mut prose_start = 0;
        for fence in fences(text) {
            spans(text, prose_start..fence.start, brackets, &mut code);
            prose_start = fence.end;
            code.push(fence);
        }
        spans(text, prose_start..text.len(), brackets, &mut code);
    }
    let mut out = Vec::with_capacity(code.len() * 2 + 1);
    let mut at = 0;
    for range in code {
        if range.start > at {
            out.push(Segment {
                range: at..range.start,
                code: false,
            });
        }
        at = range.end;
        out.push(Segment { range, code: true });
    }
    if at < text.len() || out.is_empty() {
        out.push(Segment {
            range: at..text.len(),
            code: false,
        });
    }
    out
}

/// Applies `prose` to every prose segment and copies code as it is.
pub fn map_prose(
    text: &str,
    brackets: Brackets,
    mut prose: impl FnMut(&str, &mut String),
) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for segment in segments(text, brackets) {
        let part = &text[segment.range];
        if segment.code {
            out.push_str(part);
        } else {
            prose(part, &mut out);
        }
    }
    out
}

/// The fenced code blocks, each from its opening line to the end of its
/// closing line (or of the text when it is never closed).
fn fences(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut open: Option<(usize, u8, usize)> = None;
    let mut line_start = 0;
    while line_start < text.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i + 1);
        let line = &text[line_start..line_end];
        match open {
            None => {
                if let Some((mark, count)) = fence_opening(line) {
                    open = Some((line_start, mark, count));
                }
            }
            Some((start, mark, count)) => {
                if closes_fence(line, mark, count) {
                    found.push(start..line_end);
                    open = None;
                }
            }
        }
        line_start = line_end;
    }
    if let Some((start, _, _)) = open {
        found.push(start..text.len());
    }
    found
}

fn fence_opening(line: &str) -> Option<(u8, usize)> {
    let trimmed = strip_indent(line)?;
    let mark = *trimmed.as_bytes().first()?;
    if mark != b'`' && mark != b'~' {
        return None;
    }
    let count = trimmed.bytes().take_while(|&b| b == mark).count();
    // A backtick fence's info string may not hold backticks (that is a
    // one-line code span such as Slack's ```code```).
    let info_ok = mark == b'~' || !trimmed[count..].contains('`');
    (count >= 3 && info_ok).then_some((mark, count))
}

fn closes_fence(line: &str, mark: u8, count: usize) -> bool {
    let Some(trimmed) = strip_indent(line) else {
        return false;
    };
    let run = trimmed.bytes().take_while(|&b| b == mark).count();
    run >= count && trimmed[run..].trim().is_empty()
}

/// The line without up to three spaces of indentation; `None` when it is
/// indented more (an indented line cannot open or close a fence).
fn strip_indent(line: &str) -> Option<&str> {
    let spaces = line.bytes().take_while(|&b| b == b' ').count();
    (spaces <= 3).then(|| &line[spaces..])
}

/// The end of the Slack `<…>` form starting at `start` (which holds a
/// `<`): the first `>` before any other `<` or a line break.
pub fn angle_form_end(text: &str, start: usize) -> Option<usize> {
    let rest = text.get(start + 1..)?;
    let stop = rest.find(['<', '>', '\n'])?;
    (rest.as_bytes()[stop] == b'>').then_some(start + 1 + stop + 1)
}

/// The end of the CommonMark autolink starting at `start` (which holds a
/// `<`): a scheme, `:`, then no space, control character, `<` or `>`.
pub fn autolink_end(text: &str, start: usize) -> Option<usize> {
    let end = angle_form_end(text, start)?;
    let inner = &text[start + 1..end - 1];
    let (scheme, _) = inner.split_once(':')?;
    let scheme_ok = (2..=32).contains(&scheme.len())
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (scheme_ok && !inner.contains(|c: char| c.is_whitespace() || c.is_control())).then_some(end)
}

/// The code spans inside `range`, appended to `found` in order.
fn spans(text: &str, range: Range<usize>, brackets: Brackets, found: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let within = &text[..range.end];
    let mut i = range.start;
    while i < range.end {
        match bytes[i] {
            b'\\' => i += 2,
            b'<' => {
                let end = match brackets {
                    Brackets::Slack => angle_form_end(within, i),
                    Brackets::Markdown => autolink_end(within, i),
                };
                i = end.unwrap_or(i + 1);
            }
            b'`' => {
                let run = backtick_run(bytes, i, range.end);
                match closing_run(text, i + run, range.end, run) {
                    Some(end) => {
                        found.push(i..end);
                        i = end;
                    }
                    None => i += run,
                }
            }
            _ => i += 1,
        }
    }
}

fn backtick_run(bytes: &[u8], from: usize, end: usize) -> usize {
    bytes[from..end].iter().take_while(|&&b| b == b'`').count()
}

/// The end of the backtick run of exactly `len` that closes a span opened
/// just before `from`, if one comes before the paragraph ends.
fn closing_run(text: &str, from: usize, end: usize, len: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < end {
        match bytes[i] {
            b'`' => {
                let run = backtick_run(bytes, i, end);
                if run == len {
                    return Some(i + run);
                }
                i += run;
            }
            b'\n' if starts_blank_line(&bytes[i + 1..end]) => return None,
            _ => i += 1,
        }
    }
    None
}

/// Whether the bytes start with a line holding only spaces and tabs.
fn starts_blank_line(rest: &[u8]) -> bool {
    rest.iter()
        .find(|&&b| b != b' ' && b != b'\t')
        .is_none_or(|&b| b == b'\n' || b == b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_parts(text: &str) -> Vec<&str> {
        segments(text, Brackets::Slack)
            .into_iter()
            .filter(|s| s.code)
            .map(|s| &text[s.range])
            .collect()
    }

    #[test]
    fn segments_cover_the_whole_text() {
        for text in ["", "plain", "a `b` c", "```\nx\n```\nafter", "`` a ` b ``"] {
            let joined: String = segments(text, Brackets::Markdown)
                .iter()
                .map(|s| &text[s.range.clone()])
                .collect();
            assert_eq!(joined, text);
        }
    }

    #[test]
    fn code_spans_match_runs_of_the_same_length() {
        assert_eq!(code_parts("a `b` c"), ["`b`"]);
        assert_eq!(code_parts("a `` b ` c `` d"), ["`` b ` c ``"]);
        assert_eq!(code_parts("```one line```"), ["```one line```"]);
        assert!(code_parts("unmatched ` here").is_empty());
        assert!(code_parts(r"escaped \`not code`").is_empty());
        assert!(code_parts("<https://x|`label`> <a `b`>").is_empty());
        assert_eq!(code_parts("`a <b` c>"), ["`a <b`"]);
        let markdown = |t| -> Vec<String> {
            segments(t, Brackets::Markdown)
                .into_iter()
                .filter(|s| s.code)
                .map(|s| t[s.range].to_string())
                .collect()
        };
        assert!(markdown("<https://x/`a`>").is_empty());
        assert_eq!(markdown("<a `b`>"), ["`b`"]);
    }

    #[test]
    fn code_spans_do_not_cross_paragraphs() {
        assert!(code_parts("`a\n\nb`").is_empty());
        assert_eq!(code_parts("`a\nb`"), ["`a\nb`"]);
    }

    #[test]
    fn fences_run_to_their_closing_line_or_the_end() {
        assert_eq!(
            code_parts("x\n```rust\nlet a = `b`;\n```\ny"),
            ["```rust\nlet a = `b`;\n```\n"]
        );
        assert_eq!(code_parts("~~~\nopen"), ["~~~\nopen"]);
        assert!(code_parts("    ```\nnot a fence").is_empty());
    }
}

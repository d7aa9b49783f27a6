//! Splitting a long message into posts (semantics.md, "Long messages"):
//! parts of at most `max_runes` Unicode scalar values, cut after a line
//! break if the part can end at one, else after a space, never inside a
//! character or a markdown link (`[label](url)`, `![alt](src)`, `<url>`).
//! Only an unbreakable run longer than a whole part is cut inside. The
//! parts joined without separator give back the text.

use std::ops::Range;

/// The parts of `text`, in order; one part when it fits.
pub fn split_message(text: &str, max_runes: usize) -> Vec<&str> {
    let max_runes = max_runes.max(1);
    if text.len() <= max_runes || text.chars().count() <= max_runes {
        return vec![text];
    }
    let links = link_ranges(text);
    let mut parts = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let rest = &text[start..];
        let Some((window_end, _)) = rest.char_indices().nth(max_runes) else {
            parts.push(rest);
            break;
        };
        let cut = cut_point(text, start, start + window_end, &links);
        parts.push(&text[start..cut]);
        start = cut;
    }
    parts
}

/// Where to end the part that starts at `start` and may run to `limit`
/// (a character boundary, exclusive).
fn cut_point(text: &str, start: usize, limit: usize, links: &[Range<usize>]) -> usize {
    let window = &text[start..limit];
    let allowed = |at: usize| at > start && !inside(links, at);
    let after_newline = window
        .rmatch_indices('\n')
        .map(|(i, _)| start + i + 1)
        .find(|&at| allowed(at));
    if let Some(at) = after_newline {
        return at;
    }
    let after_space = window
        .char_indices()
        .rev()
        .filter(|(_, c)| c.is_whitespace())
        .map(|(i, c)| start + i + c.len_utf8())
        .find(|&at| allowed(at));
    if let Some(at) = after_space {
        return at;
    }
    // One unbreakable run fills the part. Rather than cut a link, end the
    // part where the link begins, unless the link itself is the run.
    match containing(links, limit) {
        Some(link) if link.start > start => link.start,
        _ => limit,
    }
}

fn inside(links: &[Range<usize>], at: usize) -> bool {
    containing(links, at).is_some()
}

/// The link range strictly around `at`, if any.
fn containing(links: &[Range<usize>], at: usize) -> Option<&Range<usize>> {
    let i = links.partition_point(|r| r.end <= at);
    links.get(i).filter(|r| r.start < at)
}

/// The markdown links and autolinks of `text`, merged, in order. Found
/// with bracket and parenthesis matching in one pass each (no backtracking,
/// so no input makes this quadratic).
pub fn link_ranges(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let closing_bracket = matches(bytes, b'[', b']');
    let closing_paren = matches(bytes, b'(', b')');
    let mut ranges = Vec::new();
    for (open, close) in closing_bracket {
        if bytes.get(close + 1) != Some(&b'(') {
            continue;
        }
        let Ok(i) = closing_paren.binary_search_by_key(&(close + 1), |&(o, _)| o) else {
            continue;
        };
        let end = closing_paren[i].1 + 1;
        if text[close + 1..end].contains('\n') {
            continue;
        }
        let start = if open > 0 && bytes[open - 1] == b'!' {
            open - 1
        } else {
            open
        };
        ranges.push(start..end);
    }
    autolinks(text, &mut ranges);
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start < last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

/// Pairs of matching `open`/`close` bytes (backslash escapes honoured),
/// sorted by the opening position.
fn matches(bytes: &[u8], open: u8, close: u8) -> Vec<(usize, usize)> {
    let mut stack = Vec::new();
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b if b == open => stack.push(i),
            b if b == close => {
                if let Some(o) = stack.pop() {
                    pairs.push((o, i));
                }
            }
            _ => {}
        }
        i += 1;
    }
    pairs.sort_unstable();
    pairs
}

/// `<scheme:…>` autolinks: no space, `<` or line break inside.
fn autolinks(text: &str, ranges: &mut Vec<Range<usize>>) {
    let mut search = 0;
    while let Some(offset) = text[search..].find('<') {
        let start = search + offset;
        let rest = &text[start + 1..];
        let stop = rest.find(|c: char| c == '<' || c == '>' || c.is_whitespace());
        match stop {
            Some(stop) if rest.as_bytes()[stop] == b'>' && rest[..stop].contains(':') => {
                let end = start + 1 + stop + 1;
                ranges.push(start..end);
                search = end;
            }
            Some(stop) => search = start + 1 + stop,
            None => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, max: usize) -> Vec<&str> {
        let parts = split_message(text, max);
        assert_eq!(parts.concat(), text);
        for part in &parts {
            assert!(part.chars().count() <= max, "{part:?} is longer than {max}");
        }
        parts
    }

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(check("hello", 5), ["hello"]);
        assert_eq!(check("", 5), [""]);
    }

    #[test]
    fn cuts_after_lines_then_words() {
        assert_eq!(
            check("one two\nthree four", 12),
            ["one two\n", "three four"]
        );
        assert_eq!(check("one two three four", 10), ["one two ", "three four"]);
    }

    #[test]
    fn never_inside_a_character() {
        assert_eq!(check("ééééé", 2), ["éé", "éé", "é"]);
        assert_eq!(check("😀😀😀", 1), ["😀", "😀", "😀"]);
    }

    #[test]
    fn never_inside_a_link_that_fits() {
        let text = "see [notes](https://x.example/n) and more";
        assert_eq!(
            check(text, 30),
            ["see ", "[notes](https://x.example/n) ", "and more"]
        );
        let parts = check("word <https://x.example/a/long/path> end", 35);
        assert_eq!(parts, ["word ", "<https://x.example/a/long/path> end"]);
    }

    #[test]
    fn a_run_longer_than_a_part_is_cut_inside() {
        assert_eq!(check("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(check("abc[x y](https://e.example)", 10)[0], "abc");
    }

    #[test]
    fn link_ranges_find_links_images_and_autolinks() {
        let text = "a [b](c) ![d](e) <https://f> [g] (h) <i>";
        let found: Vec<&str> = link_ranges(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(found, ["[b](c)", "![d](e)", "<https://f>"]);
    }

    proptest::proptest! {
        #[test]
        fn links_that_fit_are_never_cut(
            words in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just("[a b](https://x.example/p)"),
                    proptest::strategy::Just("<https://x.example/q>"),
                    proptest::strategy::Just("![i](https://x.example/i.png)"),
                    proptest::strategy::Just("word"),
                    proptest::strategy::Just("é😀"),
                    proptest::strategy::Just(" "),
                    proptest::strategy::Just("\n"),
                ],
                0..40,
            ),
            max in 30usize..60,
        ) {
            let text = words.concat();
            let parts = split_message(&text, max);
            let links = link_ranges(&text);
            let mut at = 0;
            for part in &parts[..parts.len() - 1] {
                at += part.len();
                let cut_inside = links.iter().any(|l| l.start < at && at < l.end);
                proptest::prop_assert!(!cut_inside, "cut at {} in {:?}", at, text);
            }
        }
    }
}

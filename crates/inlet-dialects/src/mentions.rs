//! Neutralising `@channel`, `@here` and `@all` for webhooks that may not
//! notify a whole channel: each whole mention is wrapped in a code span, so
//! it stays visible but no client notifies (dialects.md, common rules).
//!
//! "Whole" follows how Mattermost finds mentions: the `@` is not glued to a
//! word before it (`ops@here.com` is an address) and the keyword is not
//! followed by a letter, digit or `_` (`@channels` is someone else), while
//! punctuation around it (`(@here)`, `@here.`, `@all-hands`) does not save
//! it from notifying. Inside a URL (an autolink, or a word holding `://`)
//! the `@` is percent-encoded instead, which keeps the link working.

use crate::code::{Brackets, autolink_end, map_prose, segments};

const KEYWORDS: [&str; 3] = ["channel", "here", "all"];

/// Whether `text` holds a whole channel-wide mention outside code.
pub fn has_channel_mention(text: &str) -> bool {
    if !text.contains('@') {
        return false;
    }
    let mut found = false;
    map_prose(text, Brackets::Markdown, |prose, _| {
        found = found
            || prose
                .match_indices('@')
                .any(|(at, _)| mention_len(prose, at).is_some());
    });
    found
}

/// Wraps every whole `@channel`, `@here`, `@all` outside code in a code
/// span. Literal backticks in the prose are escaped first (only when there
/// is something to wrap) so that none of them can pair with the inserted
/// ones and turn a mention back into prose.
pub fn neutralise(text: &str) -> String {
    if !has_channel_mention(text) {
        return text.to_string();
    }
    let segments = segments(text, Brackets::Markdown);
    let mut out = String::with_capacity(text.len() + 16);
    for (i, segment) in segments.iter().enumerate() {
        let part = &text[segment.range.clone()];
        if segment.code {
            out.push_str(part);
        } else {
            // A code span right after starts with a backtick.
            let code_follows = i + 1 < segments.len();
            neutralise_prose(part, code_follows, &mut out);
        }
    }
    out
}

fn neutralise_prose(prose: &str, code_follows: bool, out: &mut String) {
    let mut word_start = 0;
    let mut copied = 0;
    let mut chars = prose.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let replaced_to = match c {
            c if c.is_whitespace() => {
                word_start = i + c.len_utf8();
                None
            }
            // An escaped backtick or backslash stays as it is; `\@here`
            // still notifies, so its `@` is looked at next.
            '\\' if chars
                .peek()
                .is_some_and(|&(_, next)| matches!(next, '`' | '\\')) =>
            {
                chars.next();
                None
            }
            '`' => {
                out.push_str(&prose[copied..i]);
                out.push_str("\\`");
                Some(i + 1)
            }
            '<' => autolink_end(prose, i).inspect(|&end| {
                out.push_str(&prose[copied..i]);
                encode_in_url(&prose[i..end], out);
            }),
            '@' => {
                let mention = Mention {
                    prose,
                    at: i,
                    word_start,
                    code_follows,
                };
                mention.replace(copied, out)
            }
            _ => None,
        };
        if let Some(end) = replaced_to {
            copied = end;
            while chars.peek().is_some_and(|&(j, _)| j < copied) {
                chars.next();
            }
        }
    }
    out.push_str(&prose[copied..]);
}

/// An `@` in a stretch of prose, and what decides how to neutralise it.
struct Mention<'a> {
    prose: &'a str,
    at: usize,
    word_start: usize,
    code_follows: bool,
}

impl Mention<'_> {
    /// Writes the prose up to the `@` and the neutralised mention; returns
    /// where the mention ends, or `None` when this `@` is no mention.
    fn replace(&self, copied: usize, out: &mut String) -> Option<usize> {
        let (prose, at) = (self.prose, self.at);
        // What comes before the `@` in the output decides, since an earlier
        // replacement may have just ended there.
        let before = if copied == at {
            out.chars().next_back()
        } else {
            prose[..at].chars().next_back()
        };
        let len = keyword_len(before, &prose[at..])?;
        out.push_str(&prose[copied..at]);
        let mention = &prose[at..at + len];
        if in_url(&prose[self.word_start..at]) {
            out.push_str("%40");
            out.push_str(&mention[1..]);
        } else {
            let rest = &prose[at + len..];
            let backtick_after = rest.starts_with('`') || (rest.is_empty() && self.code_follows);
            wrap(out, mention, backtick_after);
        }
        Some(at + len)
    }
}

/// Appends `url` with the `@` of every whole mention percent-encoded.
fn encode_in_url(url: &str, out: &mut String) {
    let mut copied = 0;
    for (at, _) in url.match_indices('@') {
        if mention_len(url, at).is_some() {
            out.push_str(&url[copied..at]);
            out.push_str("%40");
            copied = at + 1;
        }
    }
    out.push_str(&url[copied..]);
}

/// Appends `` `mention` ``, kept apart by a space from a backtick just
/// before or after it, so that the runs do not merge, and from a backslash
/// before it.
fn wrap(out: &mut String, mention: &str, backtick_after: bool) {
    // A backslash just before would escape the opening backtick.
    if out.ends_with(['`', '\\']) {
        out.push(' ');
    }
    out.push('`');
    out.push_str(mention);
    out.push('`');
    if backtick_after {
        out.push(' ');
    }
}

/// The byte length of the whole channel-wide mention starting at the `@`
/// at `at`, if there is one.
fn mention_len(prose: &str, at: usize) -> Option<usize> {
    keyword_len(prose[..at].chars().next_back(), &prose[at..])
}

/// The byte length of the whole mention at the start of `rest` (which
/// starts with `@`), given the character before it.
fn keyword_len(before: Option<char>, rest: &str) -> Option<usize> {
    if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let rest = &rest[1..];
    KEYWORDS.iter().find_map(|keyword| {
        let candidate = rest.get(..keyword.len())?;
        let ends = rest[keyword.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        (candidate.eq_ignore_ascii_case(keyword) && ends).then_some(keyword.len() + 1)
    })
}

/// Whether the word before the `@` makes it part of a URL.
fn in_url(word_before: &str) -> bool {
    word_before.contains("://")
        || word_before
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("mailto:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_mentions_are_wrapped_in_code() {
        assert_eq!(neutralise("hey @channel!"), "hey `@channel`!");
        assert_eq!(neutralise("@here"), "`@here`");
        assert_eq!(neutralise("(@ALL)"), "(`@ALL`)");
        assert_eq!(neutralise("@here."), "`@here`.");
        assert_eq!(neutralise("@all-hands"), "`@all`-hands");
    }

    #[test]
    fn other_words_are_left_alone() {
        for text in [
            "ops@here.com",
            "@channels",
            "@hereafter",
            "@all_staff",
            "no mention",
            "`@here` already code",
            "```\n@channel\n```",
        ] {
            assert_eq!(neutralise(text), text, "{text}");
        }
    }

    #[test]
    fn mentions_inside_urls_are_percent_encoded() {
        assert_eq!(
            neutralise("see [x](https://a.example/@here) now"),
            "see [x](https://a.example/%40here) now"
        );
        assert_eq!(neutralise("<https://a/@all>"), "<https://a/%40all>");
        assert_eq!(neutralise("<foo:@here>"), "<foo:%40here>");
        assert_eq!(neutralise("<a `@here`>"), "<a `@here`>");
    }

    #[test]
    fn literal_backticks_cannot_pair_with_the_inserted_ones() {
        let out = neutralise("costs `5 @here and `x`");
        assert!(!has_channel_mention(&out), "{out}");
        assert_eq!(neutralise("a ` b @here"), "a \\` b `@here`");
        assert_eq!(neutralise("`x`@here"), "`x` `@here`");
        assert!(!has_channel_mention(&neutralise(r"\`@here`")));
    }

    #[test]
    fn neutralised_text_holds_no_prose_mention() {
        let out = neutralise("@here `code` @channel ``` @all");
        for s in segments(&out, Brackets::Markdown)
            .into_iter()
            .filter(|s| !s.code)
        {
            assert!(!has_channel_mention(&out[s.range]), "{out}");
        }
    }

    proptest::proptest! {
        #[test]
        fn nothing_notifies_after_neutralising(
            pieces in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just("@here"), proptest::strategy::Just("@ALL"),
                    proptest::strategy::Just("@channel"), proptest::strategy::Just("`"),
                    proptest::strategy::Just("``"), proptest::strategy::Just("\\"),
                    proptest::strategy::Just("<"), proptest::strategy::Just(">"),
                    proptest::strategy::Just("https://x/"), proptest::strategy::Just("<a:"),
                    proptest::strategy::Just("```\n"), proptest::strategy::Just("\n"),
                    proptest::strategy::Just(" "), proptest::strategy::Just("a"),
                    proptest::strategy::Just("."), proptest::strategy::Just("("),
                ],
                0..30,
            )
        ) {
            let text = pieces.concat();
            let out = neutralise(&text);
            proptest::prop_assert!(!has_channel_mention(&out), "{:?} -> {:?}", text, out);
        }
    }
}

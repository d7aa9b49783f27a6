//! Buttons and other interactive elements (dialects.md, `slack`, "Buttons"):
//! nothing in Inlet can answer an interactive callback, but a button that
//! only opens a URL is a link a reader needs (a runbook, a dashboard), so it
//! is kept as a markdown link. Every other interactive element is noted in
//! `props.dropped`.

use super::Cx;
use crate::fields::Path;
use crate::markup::{markdown_link, one_line};
use crate::notes::NOT_WEB_URL;
use crate::url::is_web_url;

/// The note for an element that only works through a callback.
pub(super) const INTERACTIVE: &str = "an interactive element Inlet cannot act on";

/// Links are shown on one line, apart from each other.
pub(super) const LINK_SEPARATOR: &str = " · ";

/// The link for a button with this label and URL (a button at `at`, its
/// URL at `url_at`); `None`, noted, for a button without an http(s) URL.
pub(super) fn link_button(
    label: Option<&str>,
    url: Option<&str>,
    at: &Path<'_>,
    url_at: &Path<'_>,
    cx: &mut Cx<'_>,
) -> Option<String> {
    let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
        cx.dropped.note(at, INTERACTIVE);
        return None;
    };
    if !is_web_url(url) {
        cx.dropped.note(url_at, NOT_WEB_URL);
        return None;
    }
    let label = label.map(one_line).filter(|l| !l.is_empty());
    let label = label.as_deref().unwrap_or(url);
    Some(markdown_link(&escape_label(label), url))
}

/// A label as literal markdown text: the characters that could start
/// emphasis, code or an HTML tag are backslash-escaped (brackets are
/// escaped by `markdown_link`). An `_` inside a word starts nothing and is
/// left alone, so that `:green_book:` stays an emoji.
pub(super) fn escape_label(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut previous: Option<char> = None;
    let mut chars = label.chars().peekable();
    while let Some(c) = chars.next() {
        let in_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        let escape = match c {
            '\\' | '`' | '*' | '~' | '<' | '>' => true,
            '_' => !(in_word(previous) && in_word(chars.peek().copied())),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
        previous = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_literal() {
        assert_eq!(escape_label("Run *now* [x]"), r"Run \*now\* [x]");
        assert_eq!(escape_label("_a_ `c` <d>"), r"\_a\_ \`c\` \<d\>");
        assert_eq!(escape_label("Runbook :green_book:"), "Runbook :green_book:");
    }
}

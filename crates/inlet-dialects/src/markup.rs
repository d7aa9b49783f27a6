//! Slack markup to markdown (dialects.md, "Markup translation"): the `<…>`
//! forms (links, user and channel references, special mentions), the
//! `&amp; &lt; &gt;` entities (decoded last), and, for webhooks whose
//! senders write Slack mrkdwn, emphasis (see `mrkdwn`). Code spans and
//! fenced code blocks are left exactly as sent.

use crate::code::{Brackets, angle_form_end, map_prose};
use crate::draft::DirectoryView;
use crate::fields::Path;
use crate::mrkdwn;
use crate::notes::{Dropped, NOT_LINK_URL};
use crate::url::is_web_url;
use std::borrow::Cow;

/// Which translations apply to a piece of text.
#[derive(Clone, Copy)]
pub struct Options<'a> {
    pub directory: &'a dyn DirectoryView,
    /// `*b*`, `_i_`, `~s~` to markdown (the webhook's `markup = slack`).
    pub emphasis: bool,
    /// `<url|label>` links too; `false` translates only user, channel and
    /// special mentions (attachment titles, as Mattermost does).
    pub links: bool,
}

/// Translates `text`, noting under `field` any link it refused to keep.
pub fn translate(
    text: &str,
    options: &Options<'_>,
    field: &Path<'_>,
    dropped: &mut Dropped,
) -> String {
    if !text.contains(['<', '&', '*', '_', '~']) {
        return text.to_string();
    }
    map_prose(text, Brackets::Slack, |prose, out| {
        let prose = if options.emphasis {
            mrkdwn::emphasis(prose)
        } else {
            Cow::Borrowed(prose)
        };
        if prose.contains('<') {
            let mut translated = String::with_capacity(prose.len());
            angle_forms(&prose, options, field, dropped, &mut translated);
            decode_entities(&translated, out);
        } else {
            decode_entities(&prose, out);
        }
    })
}

fn angle_forms(
    prose: &str,
    options: &Options<'_>,
    field: &Path<'_>,
    dropped: &mut Dropped,
    out: &mut String,
) {
    let mut copied = 0;
    let mut search = 0;
    while let Some(offset) = prose[search..].find('<') {
        let start = search + offset;
        let Some(end) = angle_form_end(prose, start) else {
            search = start + 1;
            continue;
        };
        let inner = &prose[start + 1..end - 1];
        if let Some(replacement) = form(inner, options, field, dropped) {
            out.push_str(&prose[copied..start]);
            out.push_str(&replacement);
            copied = end;
        }
        search = end;
    }
    out.push_str(&prose[copied..]);
}

/// The markdown for one `<inner>` form; `None` leaves it as sent.
fn form(
    inner: &str,
    options: &Options<'_>,
    field: &Path<'_>,
    dropped: &mut Dropped,
) -> Option<String> {
    let (target, label) = match inner.split_once('|') {
        // A label may not hold another `|` (Mattermost's rule; it keeps
        // inputs such as `<>|<>|` untouched).
        Some((_, label)) if label.contains('|') => return None,
        // Templates often write `<url | label>`: the spaces are layout.
        Some((target, label)) => (target.trim(), Some(label.trim()).filter(|l| !l.is_empty())),
        None => (inner, None),
    };
    if let Some(user) = target.strip_prefix('@') {
        return Some(user_form(user, label, options.directory));
    }
    if let Some(channel) = target.strip_prefix('#') {
        return match label {
            Some(name) => Some(format!("~{}", name.trim_start_matches('#'))),
            None => options
                .directory
                .channel_name(channel)
                .map(|name| format!("~{name}")),
        };
    }
    if let Some(command) = target.strip_prefix('!') {
        return special_form(command, label);
    }
    if options.links {
        return link_form(target, label, field, dropped);
    }
    None
}

/// `<@name>` for a user of the team, `<@id>` for a user the directory
/// knows by id, `<@id|label>` as its label; an id nobody knows (a Slack
/// id) must neither show raw nor notify someone else.
fn user_form(user: &str, label: Option<&str>, directory: &dyn DirectoryView) -> String {
    if let Some(name) = label {
        return format!("@{}", name.trim_start_matches('@'));
    }
    let username = user.to_lowercase();
    if !username.is_empty() && directory.user_exists(&username) {
        return format!("@{username}");
    }
    match directory.username_of(user) {
        Some(username) => format!("@{username}"),
        None => quiet_mention("unknown-user"),
    }
}

fn special_form(command: &str, label: Option<&str>) -> Option<String> {
    let mention = match command {
        "here" => "@here",
        "channel" | "group" => "@channel",
        "everyone" | "all" => "@all",
        // A Slack user group: Inlet has none, and its handle could be a
        // username here, so it is shown but never notifies.
        _ if command.starts_with("subteam^") => {
            let handle = label.map_or("group", |l| l.trim_start_matches('@'));
            return Some(quiet_mention(handle));
        }
        _ => return label.map(str::to_string),
    };
    Some(mention.to_string())
}

/// `@name` in a code span: readable, and no client notifies for it.
fn quiet_mention(name: &str) -> String {
    format!("`@{}`", one_line(&name.replace('`', "")))
}

fn link_form(
    target: &str,
    label: Option<&str>,
    field: &Path<'_>,
    dropped: &mut Dropped,
) -> Option<String> {
    if !has_scheme(target) {
        // `<b>` and the like are not Slack links: leave them as sent.
        return None;
    }
    if !is_link_url(target) {
        // Never clickable: the label (or the address) as plain text.
        dropped.note(field, NOT_LINK_URL);
        return Some(label.unwrap_or(target).to_string());
    }
    Some(match label {
        None => format!("<{target}>"),
        Some(label) => markdown_link(label, target),
    })
}

/// `[label](url)`, with brackets in the label escaped and the URL in
/// angle brackets when it holds spaces or parentheses.
pub fn markdown_link(label: &str, url: &str) -> String {
    let mut out = String::with_capacity(label.len() + url.len() + 6);
    out.push('[');
    for c in label.chars() {
        if matches!(c, '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push_str("](");
    if url.contains([' ', '(', ')']) {
        out.push('<');
        out.push_str(url);
        out.push('>');
    } else {
        out.push_str(url);
    }
    out.push(')');
    out
}

/// `text` as one line: every run of whitespace, line breaks included,
/// becomes one space, so a title or a label cannot break the line it is
/// rendered on.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a link may point at `url`: http(s), or mailto.
pub fn is_link_url(url: &str) -> bool {
    is_web_url(url)
        || url
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("mailto:") && url.len() > 7)
}

/// Whether `target` starts with a URL scheme (`letter (letter|digit|+|-|.)* :`).
fn has_scheme(target: &str) -> bool {
    let Some((scheme, _)) = target.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Decodes `&amp;`, `&lt;` and `&gt;` in one pass (`&amp;lt;` gives `&lt;`).
fn decode_entities(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let (decoded, len) = if tail.starts_with("&amp;") {
            ('&', 5)
        } else if tail.starts_with("&lt;") {
            ('<', 4)
        } else if tail.starts_with("&gt;") {
            ('>', 4)
        } else {
            ('&', 1)
        };
        out.push(decoded);
        rest = &tail[len..];
    }
    out.push_str(rest);
}

#[cfg(test)]
#[path = "markup_tests.rs"]
mod tests;

//! Block Kit `rich_text` flattened into markdown: sections as lines, lists
//! as markdown lists, preformatted text as a fenced block, quotes as `>`
//! lines. Its elements are already structured (not mrkdwn), so they become
//! markdown directly: styled text, links (http(s) and mailto only), user and
//! channel references (named when the directory knows them), broadcasts
//! (`@here`, `@channel`, `@all`), emoji and dates.

use super::Cx;
use crate::error::Rejection;
use crate::fields::{Path, element_object, opt_array, opt_bool, opt_object, opt_str};
use crate::markup::{is_link_url, markdown_link};
use crate::notes::NOT_LINK_URL;
use serde_json::{Map, Value};

/// Sections follow each other line by line; lists, code and quotes are
/// set apart by blank lines, or the next line would continue them.
pub(super) fn render(
    block: &Map<String, Value>,
    at: &Path<'_>,
    cx: &mut Cx<'_>,
) -> Result<String, Rejection> {
    let mut out = String::new();
    let mut last_was_block = false;
    for_each_object(block, "elements", at, |element, at| {
        let (rendered, is_block) = match opt_str(element, "type", at)? {
            Some("rich_text_section") => (inline(element, at, cx, false)?, false),
            Some("rich_text_list") => (list(element, at, cx)?, true),
            Some("rich_text_preformatted") => (fenced(&inline(element, at, cx, true)?), true),
            Some("rich_text_quote") => (quote(&inline(element, at, cx, false)?), true),
            _ => return Ok(()),
        };
        let rendered = rendered.trim_end_matches('\n');
        if rendered.trim().is_empty() {
            return Ok(());
        }
        if !out.is_empty() {
            out.push_str(if is_block || last_was_block {
                "\n\n"
            } else {
                "\n"
            });
        }
        out.push_str(rendered);
        last_was_block = is_block;
        Ok(())
    })?;
    Ok(out)
}

/// Calls `each` on every object of the array at `key` (`null`s skipped).
fn for_each_object(
    parent: &Map<String, Value>,
    key: &str,
    at: &Path<'_>,
    mut each: impl FnMut(&Map<String, Value>, &Path<'_>) -> Result<(), Rejection>,
) -> Result<(), Rejection> {
    let items = opt_array(parent, key, at)?.unwrap_or_default();
    let items_at = at.key(key);
    for (i, item) in items.iter().enumerate() {
        let item_at = items_at.index(i);
        if let Some(object) = element_object(item, &item_at)? {
            each(object, &item_at)?;
        }
    }
    Ok(())
}

fn list(list: &Map<String, Value>, at: &Path<'_>, cx: &mut Cx<'_>) -> Result<String, Rejection> {
    let ordered = opt_str(list, "style", at)? == Some("ordered");
    let indent = list
        .get("indent")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        .min(8) as usize;
    let mut number = list.get("offset").and_then(Value::as_u64).unwrap_or(0);
    let mut lines = Vec::new();
    for_each_object(list, "elements", at, |item, at| {
        number += 1;
        let marker = if ordered {
            format!("{number}.")
        } else {
            "-".to_string()
        };
        let text = inline(item, at, cx, false)?;
        // Four spaces per level nest under both `- ` and `1. ` items.
        lines.push(format!(
            "{}{marker} {}",
            "    ".repeat(indent),
            text.trim_end()
        ));
        Ok(())
    })?;
    Ok(lines.join("\n"))
}

fn fenced(text: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(text).max(2) + 1);
    format!("{fence}\n{}\n{fence}", text.trim_end_matches('\n'))
}

fn quote(text: &str) -> String {
    text.trim_end_matches('\n')
        .lines()
        .map(|line| format!("> {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The inline elements of a section; `raw` ignores styles (code blocks).
fn inline(
    section: &Map<String, Value>,
    at: &Path<'_>,
    cx: &mut Cx<'_>,
    raw: bool,
) -> Result<String, Rejection> {
    let mut out = String::new();
    for_each_object(section, "elements", at, |element, at| {
        let text = element_text(element, at, cx)?;
        if raw {
            out.push_str(&text);
        } else {
            out.push_str(&styled(&text, element, at)?);
        }
        Ok(())
    })?;
    Ok(out)
}

fn element_text(
    element: &Map<String, Value>,
    at: &Path<'_>,
    cx: &mut Cx<'_>,
) -> Result<String, Rejection> {
    let field = |key| opt_str(element, key, at);
    Ok(match field("type")? {
        Some("text") => field("text")?.unwrap_or("").to_string(),
        Some("link") => link(
            field("url")?.unwrap_or(""),
            field("text")?,
            &at.key("url"),
            cx,
        ),
        Some("user") => reference(
            field("user_id")?,
            |id| {
                let name = id.to_lowercase();
                cx.directory.user_exists(&name).then(|| format!("@{name}"))
            },
            '@',
        ),
        Some("channel") => reference(
            field("channel_id")?,
            |id| cx.directory.channel_name(id).map(|name| format!("~{name}")),
            '#',
        ),
        Some("usergroup") => format!("<!subteam^{}>", field("usergroup_id")?.unwrap_or("")),
        Some("broadcast") => match field("range")? {
            Some("here") => "@here".to_string(),
            Some("channel") => "@channel".to_string(),
            Some("everyone") => "@all".to_string(),
            _ => String::new(),
        },
        Some("emoji") => field("name")?.map(|n| format!(":{n}:")).unwrap_or_default(),
        Some("date") => match field("fallback")? {
            Some(fallback) => fallback.to_string(),
            None => element
                .get("timestamp")
                .map(Value::to_string)
                .unwrap_or_default(),
        },
        Some("color") => field("value")?.unwrap_or("").to_string(),
        _ => String::new(),
    })
}

/// A user or channel reference: named when known, else Slack's own form.
fn reference(id: Option<&str>, known: impl FnOnce(&str) -> Option<String>, sigil: char) -> String {
    let Some(id) = id.filter(|id| !id.is_empty()) else {
        return String::new();
    };
    known(id).unwrap_or_else(|| format!("<{sigil}{id}>"))
}

fn link(url: &str, text: Option<&str>, at: &Path<'_>, cx: &mut Cx<'_>) -> String {
    let text = text.filter(|t| !t.is_empty());
    if !is_link_url(url) {
        if !url.is_empty() {
            cx.dropped.note(at, NOT_LINK_URL);
        }
        return text.unwrap_or(url).to_string();
    }
    match text {
        Some(text) => markdown_link(text, url),
        None => format!("<{url}>"),
    }
}

/// Applies a text element's `style` (`bold`, `italic`, `strike`, `code`).
fn styled(text: &str, element: &Map<String, Value>, at: &Path<'_>) -> Result<String, Rejection> {
    let Some(style) = opt_object(element, "style", at)? else {
        return Ok(text.to_string());
    };
    let at = at.key("style");
    let on = |key| opt_bool(style, key, &at).map(|b| b.unwrap_or(false));
    let mut out = if on("code")? {
        code_span(text)
    } else {
        text.to_string()
    };
    for (key, marker) in [("strike", "~~"), ("italic", "*"), ("bold", "**")] {
        if on(key)? {
            out = wrap(&out, marker);
        }
    }
    Ok(out)
}

/// `marker` around the text, its surrounding spaces kept outside (markdown
/// emphasis may not start or end with a space).
fn wrap(text: &str, marker: &str) -> String {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return text.to_string();
    }
    let lead = &text[..text.len() - text.trim_start().len()];
    let trail = &text[text.trim_end().len()..];
    format!("{lead}{marker}{trimmed}{marker}{trail}")
}

fn code_span(text: &str) -> String {
    if !text.contains('`') {
        return format!("`{text}`");
    }
    let fence = "`".repeat(longest_backtick_run(text) + 1);
    format!("{fence} {text} {fence}")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

//! Block Kit flattened into markdown (dialects.md, `blocks`; research
//! §4.1): `header` → a heading, `section` → its text, its `fields` as a
//! two-column table and an image accessory as a link, `divider` → a rule,
//! `context` → one line per element, `image` → an inline image,
//! `rich_text` → its text (see `rich_text`), `markdown` → as sent,
//! `actions` → its link buttons on one line (see `buttons`). Interactive
//! elements without a URL (and `input` blocks) are noted in
//! `props.dropped`; unknown blocks show nothing. Blocks are joined with
//! blank lines; blocks that show only rules count as nothing.

use super::Cx;
use super::buttons::{INTERACTIVE, LINK_SEPARATOR, link_button};
use super::rich_text;
use crate::error::Rejection;
use crate::fields::{Path, element_object, opt_array, opt_object, opt_str};
use crate::markup::markdown_link;
use crate::notes::NOT_WEB_URL;
use crate::url::is_web_url;
use serde_json::{Map, Value};

const RULE: &str = "---";

/// The markdown of `blocks` (found at `root`: the payload's `blocks` or an
/// attachment's); empty when they show nothing.
pub(super) fn flatten(
    blocks: &[Value],
    root: &Path<'_>,
    cx: &mut Cx<'_>,
) -> Result<String, Rejection> {
    let mut out = String::new();
    let mut says_something = false;
    for (i, block) in blocks.iter().enumerate() {
        let at = root.index(i);
        let Some(block) = element_object(block, &at)? else {
            continue;
        };
        let rendered = render(block, &at, cx)?;
        if rendered.trim().is_empty() {
            continue;
        }
        says_something |= rendered != RULE;
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&rendered);
    }
    Ok(if says_something { out } else { String::new() })
}

fn render(block: &Map<String, Value>, at: &Path<'_>, cx: &mut Cx<'_>) -> Result<String, Rejection> {
    let kind = opt_str(block, "type", at)?.unwrap_or("");
    Ok(match kind {
        "header" => match text_object(block, "text", at, cx)? {
            Some(text) => format!("## {}", one_line(&text)),
            None => String::new(),
        },
        "section" => section(block, at, cx)?,
        "divider" => RULE.to_string(),
        "context" => context(block, at, cx)?,
        "image" => image(block, at, cx, true)?.unwrap_or_default(),
        "rich_text" => rich_text::render(block, at, cx)?,
        "markdown" => opt_str(block, "text", at)?.unwrap_or("").to_string(),
        "actions" => actions(block, at, cx)?,
        "input" => {
            cx.dropped.note(at, INTERACTIVE);
            String::new()
        }
        _ => String::new(),
    })
}

/// The text object at `key`: `mrkdwn` is translated, `plain_text` is kept
/// as written.
pub(super) fn text_object(
    parent: &Map<String, Value>,
    key: &str,
    at: &Path<'_>,
    cx: &mut Cx<'_>,
) -> Result<Option<String>, Rejection> {
    let Some(object) = opt_object(parent, key, at)? else {
        return Ok(None);
    };
    text_of(object, &at.key(key), cx)
}

fn text_of(
    object: &Map<String, Value>,
    at: &Path<'_>,
    cx: &mut Cx<'_>,
) -> Result<Option<String>, Rejection> {
    let Some(text) = opt_str(object, "text", at)? else {
        return Ok(None);
    };
    Ok(Some(match opt_str(object, "type", at)? {
        Some("mrkdwn") => cx.mrkdwn(text, &at.key("text")),
        _ => text.to_string(),
    }))
}

fn section(
    block: &Map<String, Value>,
    at: &Path<'_>,
    cx: &mut Cx<'_>,
) -> Result<String, Rejection> {
    let mut pieces = Vec::new();
    if let Some(text) = text_object(block, "text", at, cx)? {
        pieces.push(text);
    }
    if let Some(fields) = opt_array(block, "fields", at)? {
        let fields_at = at.key("fields");
        let mut cells = Vec::with_capacity(fields.len());
        for (i, field) in fields.iter().enumerate() {
            let field_at = fields_at.index(i);
            if let Some(object) = element_object(field, &field_at)?
                && let Some(text) = text_of(object, &field_at, cx)?
            {
                cells.push(text);
            }
        }
        pieces.push(table(&cells));
    }
    if let Some(accessory) = opt_object(block, "accessory", at)? {
        let link = small_image_or(element, accessory, &at.key("accessory"), cx)?;
        pieces.extend(link);
    }
    Ok(join_nonempty(&pieces, "\n\n"))
}

/// An `actions` block: its link buttons on one line.
fn actions(
    block: &Map<String, Value>,
    at: &Path<'_>,
    cx: &mut Cx<'_>,
) -> Result<String, Rejection> {
    let links = each_element(block, at, cx, element)?;
    Ok(join_nonempty(&links, LINK_SEPARATOR))
}

/// An interactive element: a button with a URL is a link; anything else
/// (a button without one, a select, a date picker…) is noted.
fn element(
    object: &Map<String, Value>,
    at: &Path<'_>,
    cx: &mut Cx<'_>,
) -> Result<Option<String>, Rejection> {
    if opt_str(object, "type", at)? != Some("button") {
        cx.dropped.note(at, INTERACTIVE);
        return Ok(None);
    }
    let label = match opt_object(object, "text", at)? {
        Some(text) => opt_str(text, "text", &at.key("text"))?,
        None => None,
    };
    let url = opt_str(object, "url", at)?;
    Ok(link_button(label, url, at, &at.key("url"), cx))
}

/// One field as a line; more as a two-column table (research §4.1).
fn table(cells: &[String]) -> String {
    match cells {
        [] => String::new(),
        [one] => one.clone(),
        _ => {
            let mut out = String::from("| | |\n|---|---|");
            for pair in cells.chunks(2) {
                let right = pair.get(1).map_or(String::new(), |c| cell(c));
                out.push_str(&format!("\n| {} | {} |", cell(&pair[0]), right));
            }
            out
        }
    }
}

/// A table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

fn one_line(text: &str) -> String {
    text.split(['\n', '\r'])
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn context(
    block: &Map<String, Value>,
    at: &Path<'_>,
    cx: &mut Cx<'_>,
) -> Result<String, Rejection> {
    let lines = each_element(block, at, cx, |object, at, cx| {
        small_image_or(text_of, object, at, cx)
    })?;
    Ok(join_nonempty(&lines, "\n"))
}

/// How a block reads one element object: its text, if it has one.
type ReadElement =
    fn(&Map<String, Value>, &Path<'_>, &mut Cx<'_>) -> Result<Option<String>, Rejection>;

/// What `read` makes of each object in the block's `elements` (a `null`
/// element is skipped, any other non-object rejected).
fn each_element(
    block: &Map<String, Value>,
    at: &Path<'_>,
    cx: &mut Cx<'_>,
    read: ReadElement,
) -> Result<Vec<String>, Rejection> {
    let Some(elements) = opt_array(block, "elements", at)? else {
        return Ok(Vec::new());
    };
    let elements_at = at.key("elements");
    let mut texts = Vec::with_capacity(elements.len());
    for (i, item) in elements.iter().enumerate() {
        let item_at = elements_at.index(i);
        if let Some(object) = element_object(item, &item_at)? {
            texts.extend(read(object, &item_at, cx)?);
        }
    }
    Ok(texts)
}

/// A small image (an accessory, a context icon) as a link; anything else
/// as `otherwise` reads it.
fn small_image_or(
    otherwise: ReadElement,
    object: &Map<String, Value>,
    at: &Path<'_>,
    cx: &mut Cx<'_>,
) -> Result<Option<String>, Rejection> {
    match opt_str(object, "type", at)? {
        Some("image") => image(object, at, cx, false),
        _ => otherwise(object, at, cx),
    }
}

/// An image: inline (`![alt](url)`) for image blocks, a link for the small
/// ones (accessories, context icons). A URL that is not http(s) is dropped.
fn image(
    object: &Map<String, Value>,
    at: &Path<'_>,
    cx: &mut Cx<'_>,
    inline: bool,
) -> Result<Option<String>, Rejection> {
    let Some(url) = opt_str(object, "image_url", at)?
        .map(str::trim)
        .filter(|u| !u.is_empty())
    else {
        return Ok(None);
    };
    if !is_web_url(url) {
        cx.dropped.note(&at.key("image_url"), NOT_WEB_URL);
        return Ok(None);
    }
    let title = match opt_object(object, "title", at)? {
        Some(title) => opt_str(title, "text", &at.key("title"))?,
        None => None,
    };
    let alt = opt_str(object, "alt_text", at)?
        .filter(|a| !a.trim().is_empty())
        .or(title);
    Ok(Some(match (alt, inline) {
        (Some(alt), true) => format!("!{}", markdown_link(&one_line(alt), url)),
        (None, true) => format!("!{}", markdown_link("", url)),
        (Some(alt), false) => markdown_link(&one_line(alt), url),
        (None, false) => markdown_link("image", url),
    }))
}

fn join_nonempty(pieces: &[String], separator: &str) -> String {
    let mut out = String::new();
    for piece in pieces.iter().filter(|p| !p.trim().is_empty()) {
        if !out.is_empty() {
            out.push_str(separator);
        }
        out.push_str(piece);
    }
    out
}

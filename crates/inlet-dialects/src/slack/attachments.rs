//! Slack attachments, translated and validated before they are stored in
//! `props.attachments` (dialects.md, `attachments`; research §3.3): every
//! text a reader sees (`pretext`, `author_name`, `title`, `text`, field
//! titles and values, `footer`) gets markup and mention translation;
//! `blocks` are flattened and link buttons in `actions` become links, both
//! appended to `text`; colours and URLs that clients should not use are
//! dropped and noted. Only the fields Mattermost renders are kept.

use super::buttons::{INTERACTIVE, LINK_SEPARATOR, link_button};
use super::{Cx, blocks};
use crate::fields::{Path, element_object, opt_array, opt_str, wrong_type};
use crate::markup::is_link_url;
use crate::notes::{NOT_LINK_URL, NOT_WEB_URL};
use crate::url::is_web_url;
use serde_json::{Map, Value};

/// Stored as sent: the notification text of clients that show no
/// attachments, plain text by definition.
const PLAIN: [&str; 1] = ["fallback"];
/// Translated like the message text (`text` is assembled on its own).
const TRANSLATED: [&str; 4] = ["pretext", "author_name", "title", "footer"];
/// Links: http(s) or mailto.
const LINKS: [&str; 2] = ["author_link", "title_link"];
/// Images: http(s) only.
const IMAGES: [&str; 4] = ["author_icon", "image_url", "thumb_url", "footer_icon"];

/// The attachments to store, `null` ones dropped.
pub(super) fn translate(items: &[Value], cx: &mut Cx<'_>) -> Result<Vec<Value>, crate::Rejection> {
    let root = Path::ROOT.key("attachments");
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = root.index(i);
        if let Some(object) = element_object(item, &at)? {
            out.push(Value::Object(attachment(object, &at, cx)?));
        }
    }
    Ok(out)
}

fn attachment(
    object: &Map<String, Value>,
    at: &Path<'_>,
    cx: &mut Cx<'_>,
) -> Result<Map<String, Value>, crate::Rejection> {
    let mut out = Map::new();
    for key in PLAIN {
        if let Some(value) = opt_str(object, key, at)? {
            out.insert(key.into(), Value::from(value));
        }
    }
    for key in TRANSLATED {
        if let Some(value) = opt_str(object, key, at)? {
            let translated = cx.text(value, &at.key(key));
            out.insert(key.into(), Value::from(cx.finish(translated)));
        }
    }
    if let Some(text) = text(object, at, cx)? {
        out.insert("text".into(), Value::from(cx.finish(text)));
    }
    if let Some(color) = opt_str(object, "color", at)?.filter(|c| !c.is_empty()) {
        if is_color(color) {
            out.insert("color".into(), Value::from(color));
        } else {
            cx.dropped
                .note(&at.key("color"), "not good, warning, danger or #rrggbb");
        }
    }
    urls(object, at, cx, &mut out)?;
    if let Some(fields) = opt_array(object, "fields", at)? {
        let fields = translate_fields(fields, &at.key("fields"), cx)?;
        out.insert("fields".into(), Value::Array(fields));
    }
    match object.get("ts") {
        None | Some(Value::Null) => {}
        Some(ts @ (Value::Number(_) | Value::String(_))) => {
            out.insert("ts".into(), ts.clone());
        }
        // Cosmetic (clients do not show it) and accepted whatever its type
        // by Mattermost: not a reason to refuse the post.
        Some(_) => cx.dropped.note(&at.key("ts"), "not a number or a string"),
    }
    Ok(out)
}

/// The attachment's `text`, then its flattened `blocks`, then the links of
/// its `actions`, apart by blank lines; `None` when all are absent.
fn text(
    object: &Map<String, Value>,
    at: &Path<'_>,
    cx: &mut Cx<'_>,
) -> Result<Option<String>, crate::Rejection> {
    let mut pieces = Vec::new();
    let text = opt_str(object, "text", at)?;
    if let Some(text) = text {
        pieces.push(cx.text(text, &at.key("text")));
    }
    if let Some(items) = opt_array(object, "blocks", at)? {
        pieces.push(blocks::flatten(items, &at.key("blocks"), cx)?);
    }
    if let Some(items) = opt_array(object, "actions", at)? {
        pieces.push(actions(items, &at.key("actions"), cx)?);
    }
    let pieces: Vec<String> = pieces
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .collect();
    // An empty `text` sent as such is kept as sent.
    Ok(match (pieces.is_empty(), text) {
        (true, None) => None,
        _ => Some(pieces.join("\n\n")),
    })
}

/// Legacy attachment actions: `{"type": "button", "text": "…", "url": "…"}`
/// buttons are links; anything else is an interactive element.
fn actions(items: &[Value], at: &Path<'_>, cx: &mut Cx<'_>) -> Result<String, crate::Rejection> {
    let mut links = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let item_at = at.index(i);
        let Some(action) = element_object(item, &item_at)? else {
            continue;
        };
        if opt_str(action, "type", &item_at)? != Some("button") {
            cx.dropped.note(&item_at, INTERACTIVE);
            continue;
        }
        let label = opt_str(action, "text", &item_at)?;
        let url = opt_str(action, "url", &item_at)?;
        links.extend(link_button(label, url, &item_at, &item_at.key("url"), cx));
    }
    Ok(links.join(LINK_SEPARATOR))
}

fn urls(
    object: &Map<String, Value>,
    at: &Path<'_>,
    cx: &mut Cx<'_>,
    out: &mut Map<String, Value>,
) -> Result<(), crate::Rejection> {
    for (keys, allowed, reason) in [
        (&LINKS[..], is_link_url as fn(&str) -> bool, NOT_LINK_URL),
        (&IMAGES[..], is_web_url, NOT_WEB_URL),
    ] {
        for &key in keys {
            let Some(url) = opt_str(object, key, at)?
                .map(str::trim)
                .filter(|u| !u.is_empty())
            else {
                continue;
            };
            if allowed(url) {
                out.insert(key.into(), Value::from(url));
            } else {
                cx.dropped.note(&at.key(key), reason);
            }
        }
    }
    Ok(())
}

/// `good`, `warning`, `danger` or `#rrggbb`.
fn is_color(color: &str) -> bool {
    matches!(color, "good" | "warning" | "danger")
        || color
            .strip_prefix('#')
            .is_some_and(|hex| hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn translate_fields(
    fields: &[Value],
    at: &Path<'_>,
    cx: &mut Cx<'_>,
) -> Result<Vec<Value>, crate::Rejection> {
    let mut out = Vec::with_capacity(fields.len());
    for (i, field) in fields.iter().enumerate() {
        let at = at.index(i);
        let Some(field) = element_object(field, &at)? else {
            continue;
        };
        let mut kept = Map::new();
        if let Some(title) = opt_str(field, "title", &at)? {
            let translated = cx.text(title, &at.key("title"));
            kept.insert("title".into(), Value::from(cx.finish(translated)));
        }
        if let Some(value) = field_value(field.get("value"), &at.key("value"), cx)? {
            let translated = cx.text(&value, &at.key("value"));
            kept.insert("value".into(), Value::from(cx.finish(translated)));
        }
        kept.insert(
            "short".into(),
            Value::from(short(field.get("short"), &at.key("short"))?),
        );
        out.push(Value::Object(kept));
    }
    Ok(out)
}

/// A field value: any JSON scalar, as a string (`5` → `"5"`, as Go's `%v`
/// does); `null` is no value. A list of scalars is joined with commas and
/// noted (Mattermost accepts any type here and prints it, so it is no
/// reason to refuse a post); objects are refused.
fn field_value(
    value: Option<&Value>,
    at: &Path<'_>,
    cx: &mut Cx<'_>,
) -> Result<Option<String>, crate::Rejection> {
    let Some(Value::Array(items)) = value else {
        return scalar_string(value, at);
    };
    let mut texts = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        texts.extend(scalar_string(Some(item), &at.index(i))?);
    }
    cx.dropped.note(at, "a list, joined into one text");
    Ok(Some(texts.join(", ")))
}

fn scalar_string(value: Option<&Value>, at: &Path<'_>) -> Result<Option<String>, crate::Rejection> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(other) => Err(wrong_type(
            at,
            "a string, a number, a boolean or a list of them",
            other,
        )),
    }
}

/// `short`: a boolean, or `"true"`/`"false"` in any case; absent is false.
fn short(value: Option<&Value>, at: &Path<'_>) -> Result<bool, crate::Rejection> {
    match value {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(other @ Value::String(_)) => Err(crate::Rejection::invalid(format!(
            "field `{at}` must be true or false, not {other}"
        ))),
        Some(other) => Err(wrong_type(at, "true or false", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors() {
        for ok in ["good", "warning", "danger", "#36a64f", "#FF0000"] {
            assert!(is_color(ok), "{ok}");
        }
        for bad in ["red", "#fff", "36a64f", "#36a64g", "Good", ""] {
            assert!(!is_color(bad), "{bad}");
        }
    }

    #[test]
    fn short_accepts_booleans_and_their_strings() {
        let at = Path::ROOT.key("short");
        assert!(short(Some(&Value::from("TRUE")), &at).unwrap());
        assert!(!short(Some(&Value::from("false")), &at).unwrap());
        assert!(!short(None, &at).unwrap());
        assert!(short(Some(&Value::from("yes")), &at).is_err());
        assert!(short(Some(&Value::from(1)), &at).is_err());
    }
}

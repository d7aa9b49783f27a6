//! The `emakin` dialect (dialects.md, `emakin`; semantics.md, "Cases"): a
//! markdown `text`; typed `attachments` (files and links), stored in
//! `props.attachments` and listed as links under the text; `id`, which
//! opens a case, and `references`, the cases this message updates.
//!
//! Order of operations, as in the Slack dialect: the body is decoded (JSON
//! only: a form is 415); every field is read into its type and checked (a
//! wrong type, an id over 255 bytes, is `invalid_payload` naming the
//! field); more than `max_attachments` attachments is
//! `too_many_attachments`; each attachment is read (an unknown `@type` is
//! `invalid_payload`); nothing to post is `no_text`; then URLs are kept or
//! dropped, mentions neutralised and the text split, the attachments on
//! the last part. Unknown fields are ignored.
//!
//! The path's channel must be the webhook's: only the services know the
//! webhook's channel, so they check it, and the target here is the default.

use crate::body::json_object_strict;
use crate::draft::{
    Author, CaseRef, Drafted, Target, Translation, TranslationRequest, WebhookView,
};
use crate::error::{ErrorCode, Rejection};
use crate::fields::{self, Path, element_object, opt_array, opt_id, opt_str};
use crate::markup::{markdown_link, one_line};
use crate::notes::Dropped;
use crate::slack::{Requested, requested_author};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// A case id's limit, in bytes (as a thread key's, decisions.md 6).
const MAX_CASE_ID_BYTES: usize = 255;

/// An emakin payload's fields, in their types.
struct Payload<'a> {
    text: Option<&'a str>,
    /// The `attachments` array as sent; its elements are read once the
    /// count is known to be acceptable.
    raw_attachments: &'a [Value],
    case: Option<CaseRef>,
}

/// One typed attachment.
struct Attachment<'a> {
    /// Its index in the payload, to name it in notes.
    index: usize,
    kind: Kind,
    display_name: Option<&'a str>,
    ext: Option<&'a str>,
    url: Option<&'a str>,
}

#[derive(Clone, Copy)]
enum Kind {
    File,
    Link,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Link => "link",
        }
    }
}

pub(crate) fn translate(req: &TranslationRequest<'_>) -> Result<Translation, Rejection> {
    let object = json_object_strict(req.content_type, req.body, req.limits.max_json_depth)?;
    let payload = Payload::read(&object)?;
    check_attachment_count(payload.raw_attachments, req.limits.max_attachments)?;
    let attachments = read_attachments(payload.raw_attachments)?;
    let mut dropped = Dropped::default();
    let (stored, lines) = render(&attachments, &mut dropped);
    let message = message(payload.text, &lines);
    if message.is_empty() && stored.is_empty() {
        return Err(Rejection::new(
            ErrorCode::NoText,
            "nothing to post: `text` is empty and there are no attachments",
        ));
    }
    let hook = req.webhook;
    let mut props = Map::new();
    let author = webhook_author(hook, &mut props, &mut dropped);
    let drafted = Drafted {
        message,
        author,
        props,
        dropped,
        attachments: stored,
    };
    Ok(drafted.into_translation(req, Target::Default, None, payload.case))
}

impl<'a> Payload<'a> {
    fn read(object: &'a Map<String, Value>) -> Result<Self, Rejection> {
        let root = &Path::ROOT;
        let text = opt_str(object, "text", root)?;
        let raw_attachments = opt_array(object, "attachments", root)?.unwrap_or_default();
        let opens = read_id(object)?;
        let references = read_references(object)?;
        let case =
            (opens.is_some() || !references.is_empty()).then_some(CaseRef { opens, references });
        Ok(Payload {
            text,
            raw_attachments,
            case,
        })
    }
}

/// `id`: a string or a number; blank is absent, as senders' templates
/// often send `""`.
fn read_id(object: &Map<String, Value>) -> Result<Option<String>, Rejection> {
    let Some(id) = opt_id(object, "id", &Path::ROOT)? else {
        return Ok(None);
    };
    if id.trim().is_empty() {
        return Ok(None);
    }
    check_case_id(&id, &Path::ROOT.key("id"))?;
    Ok(Some(id))
}

/// `references`: distinct case ids in the payload's order (one post per
/// distinct case, semantics.md); `null` and blank entries are skipped.
fn read_references(object: &Map<String, Value>) -> Result<Vec<String>, Rejection> {
    let Some(items) = opt_array(object, "references", &Path::ROOT)? else {
        return Ok(Vec::new());
    };
    let at = Path::ROOT.key("references");
    let mut seen = HashSet::new();
    let mut references = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if item.is_null() {
            continue;
        }
        let field = at.index(i);
        let id = fields::id(item, &field)?;
        if id.trim().is_empty() {
            continue;
        }
        check_case_id(&id, &field)?;
        if seen.insert(id.clone()) {
            references.push(id);
        }
    }
    Ok(references)
}

fn check_case_id(id: &str, field: &Path<'_>) -> Result<(), Rejection> {
    crate::storable::check_identifier(id, field)?;
    if id.len() > MAX_CASE_ID_BYTES {
        return Err(Rejection::invalid(format!(
            "field `{field}` is {} bytes long; at most {MAX_CASE_ID_BYTES} are accepted",
            id.len()
        )));
    }
    Ok(())
}

/// Counts the attachments that are not `null` (those are skipped, as the
/// Slack dialect skips them).
fn check_attachment_count(items: &[Value], max: usize) -> Result<(), Rejection> {
    let count = items.iter().filter(|a| !a.is_null()).count();
    if count > max {
        return Err(Rejection::new(
            ErrorCode::TooManyAttachments,
            format!("{count} attachments; at most {max} are accepted"),
        ));
    }
    Ok(())
}

fn read_attachments(items: &[Value]) -> Result<Vec<Attachment<'_>>, Rejection> {
    let root = Path::ROOT.key("attachments");
    let mut attachments = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let at = root.index(index);
        if let Some(object) = element_object(item, &at)? {
            attachments.push(Attachment::read(object, index, &at)?);
        }
    }
    Ok(attachments)
}

impl<'a> Attachment<'a> {
    fn read(
        object: &'a Map<String, Value>,
        index: usize,
        at: &Path<'_>,
    ) -> Result<Self, Rejection> {
        let kind = match opt_str(object, "@type", at)? {
            Some("file") => Kind::File,
            Some("link") => Kind::Link,
            Some(other) => {
                return Err(Rejection::invalid(format!(
                    "field `{}` must be \"file\" or \"link\", not {other:?}",
                    at.key("@type")
                )));
            }
            None => {
                return Err(Rejection::invalid(format!(
                    "field `{}` is required: \"file\" or \"link\"",
                    at.key("@type")
                )));
            }
        };
        Ok(Attachment {
            index,
            kind,
            display_name: opt_str(object, "displayName", at)?,
            ext: opt_str(object, "ext", at)?,
            url: opt_str(object, "url", at)?,
        })
    }

    /// What `props.attachments` keeps: the fields as sent, the URL only
    /// when it is an http(s) URL.
    fn stored(&self, url: Option<&str>) -> Value {
        let mut out = Map::new();
        out.insert("@type".into(), Value::from(self.kind.as_str()));
        let fields = [
            ("displayName", self.display_name),
            ("ext", self.ext),
            ("url", url),
        ];
        for (key, value) in fields {
            if let Some(value) = value {
                out.insert(key.into(), Value::from(value));
            }
        }
        Value::Object(out)
    }

    /// The list item under the text: the label linked to the URL; the
    /// label alone when the URL was dropped; the URL alone when there is
    /// no label; nothing when there is neither.
    fn line(&self, url: Option<&str>) -> Option<String> {
        let label = self.label();
        let item = match (url, label.is_empty()) {
            (Some(url), true) => markdown_link(url, url),
            (Some(url), false) => markdown_link(&label, url),
            (None, false) => label,
            (None, true) => return None,
        };
        Some(format!("- {item}"))
    }

    /// A file is shown as its name and extension, a link as its name.
    fn label(&self) -> String {
        let name = one_line(self.display_name.unwrap_or(""));
        match self.kind {
            Kind::Link => name,
            Kind::File => with_extension(name, self.ext.unwrap_or("")),
        }
    }
}

/// `report` and `pdf` → `report.pdf`; a name that already ends with the
/// extension keeps it once; no name stays no name.
fn with_extension(name: String, ext: &str) -> String {
    let ext = one_line(ext);
    let ext = ext.trim_start_matches('.');
    if name.is_empty() || ext.is_empty() {
        return name;
    }
    let suffix = format!(".{ext}");
    if name.to_lowercase().ends_with(&suffix.to_lowercase()) {
        name
    } else {
        name + &suffix
    }
}

/// The attachments to store and the list items to show, URLs checked.
fn render(attachments: &[Attachment<'_>], dropped: &mut Dropped) -> (Vec<Value>, Vec<String>) {
    let root = Path::ROOT.key("attachments");
    let mut stored = Vec::with_capacity(attachments.len());
    let mut lines = Vec::with_capacity(attachments.len());
    for attachment in attachments {
        let at = root.index(attachment.index);
        let url = dropped.keep_web_url(attachment.url, &at.key("url"));
        stored.push(attachment.stored(url));
        lines.extend(attachment.line(url));
    }
    (stored, lines)
}

/// The text, then a blank line and the list of attachments; either may be
/// missing. Empty when both are.
fn message(text: Option<&str>, lines: &[String]) -> String {
    let text = text.filter(|t| !t.trim().is_empty());
    match (text, lines.is_empty()) {
        (None, _) => lines.join("\n"),
        (Some(text), true) => text.to_string(),
        (Some(text), false) => format!("{}\n\n{}", text.trim_end(), lines.join("\n")),
    }
}

/// emakin sends no author: the webhook's own name and icon, else its
/// display name (the common author rule with nothing requested).
fn webhook_author(
    hook: &WebhookView,
    props: &mut Map<String, Value>,
    dropped: &mut Dropped,
) -> Author {
    let nothing = Requested {
        name: None,
        icon_emoji: None,
        icon_url: None,
        icon_url_field: &Path::ROOT,
    };
    requested_author(hook, &nothing, props, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_show_name_and_extension_once() {
        assert_eq!(with_extension("report".into(), "pdf"), "report.pdf");
        assert_eq!(with_extension("report".into(), ".pdf"), "report.pdf");
        assert_eq!(with_extension("Report.PDF".into(), "pdf"), "Report.PDF");
        assert_eq!(with_extension("report".into(), ""), "report");
        assert_eq!(with_extension(String::new(), "pdf"), "");
    }

    #[test]
    fn text_and_list_are_kept_apart_by_a_blank_line() {
        let lines = ["- a".to_string(), "- b".to_string()];
        assert_eq!(message(Some("hi\n"), &lines), "hi\n\n- a\n- b");
        assert_eq!(message(Some("  "), &lines), "- a\n- b");
        assert_eq!(message(Some("hi\n"), &[]), "hi\n");
        assert_eq!(message(None, &[]), "");
    }
}

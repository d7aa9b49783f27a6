//! The `talkspirit` dialect (dialects.md, `talkspirit`): a post made of a
//! bold `title` linked to `url` and a markdown `content`, its author taken
//! from `contact`, threaded by `thread_id` (the first post with an id is
//! the post, later ones are its comments).
//!
//! Order of operations: the body is decoded (JSON only: a form is 415);
//! every field is read into its type and checked (a wrong type or an
//! over-long `thread_id` is `invalid_payload` naming the field); nothing to
//! post is `no_text`; then URLs are kept or dropped, the author chosen,
//! mentions neutralised and the text split. Unknown fields are ignored.

use crate::body::json_object_strict;
use crate::draft::{
    Author, Drafted, Target, ThreadRef, Translation, TranslationRequest, WebhookView,
};
use crate::error::{ErrorCode, Rejection};
use crate::fields::{Path, opt_id, opt_object, opt_str};
use crate::markup::{markdown_link, one_line};
use crate::notes::Dropped;
use crate::slack::{Requested, requested_author, thread_key};
use serde_json::{Map, Value};

/// A talkspirit payload's fields, in their types.
struct Payload<'a> {
    title: Option<&'a str>,
    content: Option<&'a str>,
    url: Option<&'a str>,
    contact: Contact<'a>,
    thread: Option<ThreadRef>,
}

/// `contact`: who the post is from.
#[derive(Default)]
struct Contact<'a> {
    display_name: Option<&'a str>,
    url: Option<&'a str>,
    icon: Option<&'a str>,
}

pub(crate) fn translate(req: &TranslationRequest<'_>) -> Result<Translation, Rejection> {
    let object = json_object_strict(req.content_type, req.body, req.limits.max_json_depth)?;
    let payload = Payload::read(&object)?;
    let mut dropped = Dropped::default();
    let url = dropped.keep_web_url(payload.url, &Path::ROOT.key("url"));
    let message = message(payload.title, payload.content, url);
    if message.is_empty() {
        return Err(Rejection::new(
            ErrorCode::NoText,
            "nothing to post: `title` and `content` are both empty",
        ));
    }
    let hook = req.webhook;
    let mut props = Map::new();
    let author = author(hook, &payload.contact, &mut props, &mut dropped);
    if let Some(url) = url {
        props.insert("url".into(), Value::from(url));
    }
    let contact_path = Path::ROOT.key("contact");
    if let Some(link) = dropped.keep_web_url(payload.contact.url, &contact_path.key("url")) {
        props.insert("contact_url".into(), Value::from(link));
    }
    let drafted = Drafted {
        message,
        author,
        props,
        dropped,
        attachments: Vec::new(),
    };
    Ok(drafted.into_translation(req, Target::Default, payload.thread, None))
}

impl<'a> Payload<'a> {
    fn read(object: &'a Map<String, Value>) -> Result<Self, Rejection> {
        let root = &Path::ROOT;
        let contact = match opt_object(object, "contact", root)? {
            Some(contact) => Contact::read(contact)?,
            None => Contact::default(),
        };
        Ok(Payload {
            title: opt_str(object, "title", root)?,
            content: opt_str(object, "content", root)?,
            url: opt_str(object, "url", root)?,
            contact,
            thread: read_thread(object)?,
        })
    }
}

impl<'a> Contact<'a> {
    fn read(contact: &'a Map<String, Value>) -> Result<Self, Rejection> {
        let at = Path::ROOT.key("contact");
        Ok(Contact {
            display_name: opt_str(contact, "display_name", &at)?,
            url: opt_str(contact, "url", &at)?,
            icon: opt_str(contact, "icon", &at)?,
        })
    }
}

/// `thread_id`: a string or a number (its decimal text); blank is absent,
/// as senders' templates often send `""`.
fn read_thread(object: &Map<String, Value>) -> Result<Option<ThreadRef>, Rejection> {
    let Some(id) = opt_id(object, "thread_id", &Path::ROOT)? else {
        return Ok(None);
    };
    if id.trim().is_empty() {
        return Ok(None);
    }
    let key = thread_key(&id, &Path::ROOT.key("thread_id"))?;
    Ok(Some(ThreadRef::Key(key)))
}

/// The bold title line (linked when there is a URL to link it to), a
/// blank line, the content; either may be missing. Empty when both are.
fn message(title: Option<&str>, content: Option<&str>, url: Option<&str>) -> String {
    let title = title.map(one_line).filter(|t| !t.is_empty());
    let heading = title.map(|title| match url {
        Some(url) => format!("**{}**", markdown_link(&title, url)),
        None => format!("**{title}**"),
    });
    let content = content.filter(|c| !c.trim().is_empty());
    match (heading, content) {
        (Some(heading), Some(content)) => format!("{heading}\n\n{content}"),
        (Some(heading), None) => heading,
        (None, Some(content)) => content.to_string(),
        (None, None) => String::new(),
    }
}

/// The contact's name and icon, under the webhook's override settings.
fn author(
    hook: &WebhookView,
    contact: &Contact<'_>,
    props: &mut Map<String, Value>,
    dropped: &mut Dropped,
) -> Author {
    let contact_path = Path::ROOT.key("contact");
    let icon_path = contact_path.key("icon");
    let requested = Requested {
        name: contact.display_name,
        icon_emoji: None,
        icon_url: contact.icon,
        icon_url_field: &icon_path,
    };
    requested_author(hook, &requested, props, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_a_bold_line_linked_when_there_is_a_url() {
        assert_eq!(message(Some("T"), None, None), "**T**");
        assert_eq!(
            message(
                Some(" Build\n#12 "),
                Some("body"),
                Some("https://x.example")
            ),
            "**[Build #12](https://x.example)**\n\nbody"
        );
        assert_eq!(message(None, Some("only body"), None), "only body");
        assert_eq!(message(Some(" \n"), Some("  "), None), "");
    }
}

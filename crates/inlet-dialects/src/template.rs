//! The `template` translator: a webhook's own template, rendered by
//! ingress (`inlet-templates`), becomes a [`Rendered`] document, and that
//! document is what the raw webhook carries. Translating it is plain
//! reading, so the formatter never renders a template and a request
//! answered 2xx can no longer fail on its template (docs/templates.md).
//!
//! The document's fields are checked like a dialect's payload: an empty
//! message is `no_text`, a topic is a thread key (NFC, ≤ 255 bytes), a
//! case id an identifier; the author follows the webhook's override
//! settings; mentions are neutralised and long messages split.

use crate::body::json_object_strict;
use crate::draft::{CaseRef, Drafted, Target, ThreadRef, Translation, TranslationRequest};
use crate::error::{ErrorCode, Rejection};
use crate::fields::{Path, opt_str};
use crate::notes::Dropped;
use crate::slack::{Requested, requested_author, thread_key};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Longest case id a template may open (the emakin dialect's bound).
const MAX_CASE_ID_BYTES: usize = 255;

/// The fields of a templated post. A webhook's template holds one
/// template string per field (`inlet_templates::TemplateSource`); what it
/// rendered for one request holds one value per field ([`Rendered`]). Only
/// `message` is required, and an unknown field is refused, so a misspelt
/// one is not silently dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostFields {
    /// The post's markdown.
    pub message: String,
    /// The thread key: posts with the same topic form one thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    /// Opens a case with this id in the channel (semantics.md "Cases").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
}

/// What a template rendered for one request: the document the raw webhook
/// carries as its body (JSON), read back by [`translate`].
pub type Rendered = PostFields;

impl PostFields {
    /// The document as the raw webhook carries it.
    pub fn to_body(&self) -> Vec<u8> {
        // A struct of strings always serialises.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

pub(crate) fn translate(req: &TranslationRequest<'_>) -> Result<Translation, Rejection> {
    let object = json_object_strict(req.content_type, req.body, req.limits.max_json_depth)?;
    let root = &Path::ROOT;
    let message = opt_str(&object, "message", root)?.unwrap_or_default();
    if message.trim().is_empty() {
        return Err(Rejection::new(
            ErrorCode::NoText,
            "nothing to post: the template rendered an empty message",
        ));
    }
    let thread = match opt_str(&object, "topic", root)?.filter(|t| !t.trim().is_empty()) {
        Some(topic) => Some(ThreadRef::Key(thread_key(topic, &root.key("topic"))?)),
        None => None,
    };
    let case = match opt_str(&object, "case_id", root)?.filter(|c| !c.trim().is_empty()) {
        Some(id) => Some(case_opened(id)?),
        None => None,
    };
    let mut props = Map::new();
    let mut dropped = Dropped::default();
    let icon_path = root.key("icon_url");
    let requested = Requested {
        name: opt_str(&object, "username", root)?.filter(|u| !u.trim().is_empty()),
        icon_emoji: None,
        icon_url: opt_str(&object, "icon_url", root)?.filter(|u| !u.trim().is_empty()),
        icon_url_field: &icon_path,
    };
    let author = requested_author(req.webhook, &requested, &mut props, &mut dropped);
    props.insert("template".into(), Value::from(true));
    let drafted = Drafted {
        message: message.to_string(),
        author,
        props,
        dropped,
        attachments: Vec::new(),
    };
    Ok(drafted.into_translation(req, Target::Default, thread, case))
}

fn case_opened(id: &str) -> Result<CaseRef, Rejection> {
    let field = Path::ROOT.key("case_id");
    crate::storable::check_identifier(id, &field)?;
    if id.len() > MAX_CASE_ID_BYTES {
        return Err(Rejection::invalid(format!(
            "field `{field}` is {} bytes long; at most {MAX_CASE_ID_BYTES} are accepted",
            id.len()
        )));
    }
    Ok(CaseRef {
        opens: Some(id.to_string()),
        references: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DialectName, Outcome, translate as translate_with};

    fn outcome(rendered: &Rendered) -> Outcome {
        let body = rendered.to_body();
        let req = TranslationRequest {
            content_type: Some("application/json"),
            body: &body,
            ..Default::default()
        };
        translate_with(&DialectName::Template, &req)
    }

    #[test]
    fn a_rendered_document_becomes_one_post_in_its_topic() {
        let rendered = Rendered {
            message: "**deploy** done".into(),
            topic: Some("deploys".into()),
            username: Some("ci".into()),
            ..Default::default()
        };
        let Outcome::Posts { posts, .. } = outcome(&rendered) else {
            panic!("not posted");
        };
        assert_eq!(posts[0].thread, Some(ThreadRef::Key("deploys".into())));
        assert_eq!(posts[0].drafts[0].message, "**deploy** done");
        assert_eq!(posts[0].drafts[0].author.username, "");
        assert_eq!(posts[0].drafts[0].props["template"], Value::from(true));
    }

    #[test]
    fn an_empty_message_is_no_text() {
        let rendered = Rendered {
            message: " \n".into(),
            ..Default::default()
        };
        let Outcome::Refused(refusal) = outcome(&rendered) else {
            panic!("posted");
        };
        assert_eq!(refusal.code(), "no_text");
    }

    #[test]
    fn a_case_id_opens_a_case_and_an_overlong_topic_is_refused() {
        let rendered = Rendered {
            message: "m".into(),
            case_id: Some("INC-1".into()),
            ..Default::default()
        };
        let Outcome::Posts { posts, .. } = outcome(&rendered) else {
            panic!("not posted");
        };
        assert_eq!(
            posts[0].case.as_ref().unwrap().opens.as_deref(),
            Some("INC-1")
        );
        let long = Rendered {
            message: "m".into(),
            topic: Some("x".repeat(300)),
            ..Default::default()
        };
        assert!(matches!(outcome(&long), Outcome::Refused(_)));
    }
}

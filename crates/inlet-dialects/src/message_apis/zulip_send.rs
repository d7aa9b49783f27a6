//! Zulip's send-message API (`POST /api/v1/messages`), as Zulip's clients
//! call it: `type` (`stream`/`channel`, or `direct`/`private` to one
//! user), `to` (a channel name or id, a user for a direct message; a JSON
//! list of one is read too), `topic` (or the older `subject`) and
//! `content` (Markdown). The post is made as the integrations make theirs:
//! as the webhook, in the topic's thread, with `props.topic`. A message
//! without a topic is a post of its own (Zulip's "general chat").

use super::{arguments, text_argument};
use crate::draft::{Target, Translation, TranslationRequest};
use crate::error::{ErrorCode, Rejection};
use crate::integrations::Message;
use serde_json::Value;

/// The posts of one send-message request.
pub(crate) fn translate(req: &TranslationRequest<'_>) -> Result<Translation, Rejection> {
    let arguments = arguments(
        req.content_type,
        req.body,
        req.query,
        req.limits.max_json_depth,
    )?;
    let kind = text_argument(&arguments, "type")?
        .ok_or_else(|| Rejection::invalid("Missing 'type' argument"))?;
    let recipients = match text_argument(&arguments, "to")? {
        Some(to) => recipients(&to)?,
        None => Vec::new(),
    };
    let target = match kind.trim() {
        "stream" | "channel" => channel_target(&recipients)?,
        "direct" | "private" => direct_target(&recipients)?,
        other => {
            return Err(Rejection::invalid(format!(
                "Invalid message type {other:?}: send `stream` (or `channel`) or `direct`"
            )));
        }
    };
    let content = text_argument(&arguments, "content")?.unwrap_or_default();
    if content.trim().is_empty() {
        return Err(Rejection::new(
            ErrorCode::NoText,
            "Message must not be empty",
        ));
    }
    let topic = match text_argument(&arguments, "topic")? {
        Some(topic) => Some(topic),
        None => text_argument(&arguments, "subject")?,
    };
    let topic = topic.as_deref().map(str::trim).unwrap_or_default();
    let message = Message {
        thread_key: topic.to_string(),
        topic: topic.to_string(),
        body_markdown: content.into_owned(),
    };
    let mut translation = crate::integrations::topic_post(message, target, req);
    if topic.is_empty() {
        translation.thread = None;
        for draft in &mut translation.drafts {
            draft.props.remove("topic");
        }
    }
    Ok(translation)
}

/// `to`: one name or id, or a JSON list of them (`["general"]`, `[42]`).
fn recipients(raw: &str) -> Result<Vec<String>, Rejection> {
    let raw = raw.trim();
    if !raw.starts_with('[') {
        return Ok(if raw.is_empty() {
            Vec::new()
        } else {
            vec![raw.to_string()]
        });
    }
    let list: Vec<Value> = serde_json::from_str(raw)
        .map_err(|_| Rejection::invalid("argument `to` is not a valid JSON list"))?;
    list.into_iter()
        .map(|item| match item {
            Value::String(text) => Ok(text.trim().to_string()),
            Value::Number(number) => Ok(number.to_string()),
            _ => Err(Rejection::invalid("argument `to` must list names or ids")),
        })
        .collect()
}

/// A channel message's channel: the one named, else the webhook's.
fn channel_target(recipients: &[String]) -> Result<Target, Rejection> {
    match recipients {
        [] => Ok(Target::Default),
        [one] => Ok(crate::integrations::target_of(Some(one))),
        _ => Err(Rejection::invalid(
            "a channel message goes to one channel: `to` names several",
        )),
    }
}

/// A direct message's user: exactly one, by username.
fn direct_target(recipients: &[String]) -> Result<Target, Rejection> {
    match recipients {
        [one] if !one.is_empty() => {
            crate::storable::check_identifier(one, &"to")?;
            Ok(Target::DirectUser(one.to_lowercase()))
        }
        [] => Err(Rejection::invalid(
            "a direct message needs its user in `to`",
        )),
        _ => Err(Rejection::invalid(
            "group direct messages are not supported: `to` names one user",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draft::ThreadRef;

    fn send(body: &str) -> Result<Translation, Rejection> {
        translate(&TranslationRequest {
            content_type: Some("application/x-www-form-urlencoded"),
            body: body.as_bytes(),
            ..Default::default()
        })
    }

    #[test]
    fn a_channel_message_posts_in_its_topics_thread() {
        let t = send("type=stream&to=Denmark&topic=Castle&content=Something+**rotten**").unwrap();
        assert_eq!(t.target, Target::ChannelName("Denmark".into()));
        assert_eq!(t.thread, Some(ThreadRef::Key("Castle".into())));
        assert_eq!(t.drafts.len(), 1);
        assert_eq!(t.drafts[0].message, "Something **rotten**");
        assert_eq!(t.drafts[0].props["topic"], "Castle");
        assert_eq!(t.drafts[0].props["from_webhook"], "true");
    }

    #[test]
    fn subject_and_channel_are_the_older_and_newer_names() {
        let old = send("type=stream&to=Denmark&subject=Castle&content=x").unwrap();
        let new = send("type=channel&to=Denmark&topic=Castle&content=x").unwrap();
        assert_eq!(old, new);
    }

    #[test]
    fn to_may_be_a_json_list_an_id_or_absent() {
        let listed = send("type=stream&to=%5B%22Denmark%22%5D&topic=t&content=x").unwrap();
        assert_eq!(listed.target, Target::ChannelName("Denmark".into()));
        let id = "6f1c2a4e-0d0b-4e0e-9a43-3f2f5cbe2a10";
        let by_id = send(&format!("type=stream&to={id}&topic=t&content=x")).unwrap();
        assert_eq!(by_id.target, Target::ChannelId(id.into()));
        let numbered = send("type=stream&to=%5B42%5D&topic=t&content=x").unwrap();
        assert_eq!(numbered.target, Target::ChannelName("42".into()));
        let absent = send("type=stream&topic=t&content=x").unwrap();
        assert_eq!(absent.target, Target::Default);
    }

    #[test]
    fn a_message_without_a_topic_is_a_post_of_its_own() {
        let t = send("type=stream&to=general&content=x").unwrap();
        assert_eq!(t.thread, None);
        assert!(!t.drafts[0].props.contains_key("topic"));
    }

    #[test]
    fn a_direct_message_goes_to_one_user() {
        let t = send("type=direct&to=%5B%22Hamlet%22%5D&content=hi").unwrap();
        assert_eq!(t.target, Target::DirectUser("hamlet".into()));
        let group = send("type=private&to=%5B%22a%22%2C%22b%22%5D&content=hi").unwrap_err();
        assert!(group.detail.contains("one user"), "{}", group.detail);
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let cases = [
            ("to=general&content=x", "Missing 'type'"),
            ("type=stream&to=general&content=+", "must not be empty"),
            ("type=stream&to=general", "must not be empty"),
            (
                "type=broadcast&to=general&content=x",
                "Invalid message type",
            ),
            ("type=stream&to=%5Bnope&content=x", "not a valid JSON list"),
            (
                "type=stream&to=%5B%22a%22%2C%22b%22%5D&content=x",
                "names several",
            ),
        ];
        for (body, expected) in cases {
            let refused = send(body).unwrap_err();
            assert!(
                refused.detail.contains(expected),
                "{body}: {}",
                refused.detail
            );
        }
    }

    #[test]
    fn a_json_body_is_read_like_a_form() {
        let json = translate(&TranslationRequest {
            content_type: Some("application/json"),
            body: br#"{"type":"stream","to":"Denmark","topic":"Castle","content":"x"}"#,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            json,
            send("type=stream&to=Denmark&topic=Castle&content=x").unwrap()
        );
    }
}

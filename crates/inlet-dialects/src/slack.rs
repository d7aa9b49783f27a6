//! The `slack` dialect: Slack and Mattermost incoming webhooks.
//!
//! Fields so far: `text`, `channel` (`name`, `#name`, `@user`, or an id),
//! `username`, `icon_url`, `attachments` (counted and stored as sent),
//! `blocks` (counted), and the `no_text` / `invalid_payload` rules.

use crate::body::{json_object, kind_of};
use crate::draft::{Author, Draft, RequestFacts, Target, Translation};
use crate::error::{ErrorCode, Rejection};
use crate::url::is_web_url;
use serde_json::{Map, Value};

/// The typed fields of a Slack payload; unknown fields are ignored, as
/// Slack and Mattermost ignore them.
#[derive(Debug, Default)]
struct SlackPayload {
    text: Option<String>,
    channel: Option<String>,
    username: Option<String>,
    icon_url: Option<String>,
    attachments: Vec<Value>,
    blocks: Vec<Value>,
}

pub fn translate(facts: &RequestFacts<'_>, body: &[u8]) -> Result<Translation, Rejection> {
    let object = json_object(facts.content_type, body, facts.limits.max_json_depth)?;
    let payload = read_payload(&object)?;
    let has_text = payload
        .text
        .as_deref()
        .is_some_and(|t| !t.trim().is_empty());
    if !has_text && payload.attachments.is_empty() && payload.blocks.is_empty() {
        return Err(Rejection::new(
            ErrorCode::NoText,
            "nothing to post: `text` is empty and there are no attachments or blocks",
        ));
    }
    if payload.attachments.len() > facts.limits.max_attachments {
        return Err(Rejection::new(
            ErrorCode::TooManyAttachments,
            format!(
                "{} attachments; at most {} are accepted",
                payload.attachments.len(),
                facts.limits.max_attachments
            ),
        ));
    }
    let target = parse_target(payload.channel.as_deref())?;
    let mut props = Map::new();
    let author = author(facts, &payload, &mut props);
    props.insert("from_webhook".into(), Value::from("true"));
    props.insert(
        "webhook_display_name".into(),
        Value::from(facts.webhook.display_name.clone()),
    );
    if !payload.attachments.is_empty() {
        props.insert("attachments".into(), Value::Array(payload.attachments));
    }
    let draft = Draft {
        message: payload.text.unwrap_or_default(),
        author,
        props,
    };
    Ok(Translation {
        target,
        thread: None,
        drafts: vec![draft],
    })
}

fn read_payload(object: &Map<String, Value>) -> Result<SlackPayload, Rejection> {
    Ok(SlackPayload {
        text: optional_string(object, "text")?,
        channel: optional_string(object, "channel")?,
        username: optional_string(object, "username")?,
        icon_url: optional_string(object, "icon_url")?,
        attachments: optional_array(object, "attachments")?,
        blocks: optional_array(object, "blocks")?,
    })
}

fn optional_string(object: &Map<String, Value>, field: &str) -> Result<Option<String>, Rejection> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Rejection::invalid(format!(
            "field `{field}` must be a string, not {}",
            kind_of(other)
        ))),
    }
}

fn optional_array(object: &Map<String, Value>, field: &str) -> Result<Vec<Value>, Rejection> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(other) => Err(Rejection::invalid(format!(
            "field `{field}` must be an array, not {}",
            kind_of(other)
        ))),
    }
}

/// `channel`: `#name` or `name` (URL name), `@user`, or a channel id.
fn parse_target(channel: Option<&str>) -> Result<Target, Rejection> {
    let Some(raw) = channel.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(Target::Default);
    };
    if let Some(user) = raw.strip_prefix('@') {
        if user.is_empty() {
            return Err(Rejection::invalid(
                "field `channel`: `@` must be followed by a username",
            ));
        }
        return Ok(Target::DirectUser(user.to_lowercase()));
    }
    if let Some(name) = raw.strip_prefix('#') {
        if name.is_empty() {
            return Err(Rejection::invalid(
                "field `channel`: `#` must be followed by a channel name",
            ));
        }
        return Ok(Target::ChannelName(name.to_string()));
    }
    if looks_like_uuid(raw) {
        return Ok(Target::ChannelId(raw.to_ascii_lowercase()));
    }
    Ok(Target::ChannelName(raw.to_string()))
}

fn looks_like_uuid(raw: &str) -> bool {
    raw.len() == 36
        && raw.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The payload's name and icon are used only when the webhook allows
/// overrides; otherwise the webhook's own; otherwise its display name.
fn author(
    facts: &RequestFacts<'_>,
    payload: &SlackPayload,
    props: &mut Map<String, Value>,
) -> Author {
    let hook = facts.webhook;
    let override_name = payload
        .username
        .as_deref()
        .map(str::trim)
        .filter(|n| hook.allow_username_override && !n.is_empty());
    let username = match override_name {
        Some(name) => {
            props.insert("override_username".into(), Value::from(name));
            name.to_string()
        }
        None => hook
            .username
            .clone()
            .unwrap_or_else(|| hook.display_name.clone()),
    };
    let override_icon = payload
        .icon_url
        .as_deref()
        .map(str::trim)
        .filter(|_| hook.allow_icon_override);
    let icon_url = match override_icon {
        Some(url) if is_web_url(url) => {
            props.insert("override_icon_url".into(), Value::from(url));
            Some(url.to_string())
        }
        Some(url) if !url.is_empty() => {
            props.insert(
                "dropped".into(),
                serde_json::json!([{"field": "icon_url", "reason": "not an http(s) URL"}]),
            );
            hook.icon_url.clone()
        }
        _ => hook.icon_url.clone(),
    };
    Author { username, icon_url }
}

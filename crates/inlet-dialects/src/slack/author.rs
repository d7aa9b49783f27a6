//! Who a Slack post appears to come from: the payload's `username`,
//! `icon_emoji` and `icon_url` when the webhook allows overrides, else the
//! webhook's own name and icon, else its display name. The talkspirit and
//! emakin dialects share the rule through [`requested_author`].

use super::payload::Payload;
use crate::draft::{Author, WebhookView};
use crate::fields::Path;
use crate::notes::{Dropped, NOT_WEB_URL};
use crate::url::is_web_url;
use serde_json::{Map, Value};

/// The author a payload asks for, wherever its dialect keeps the fields.
pub(crate) struct Requested<'a> {
    pub name: Option<&'a str>,
    pub icon_emoji: Option<&'a str>,
    pub icon_url: Option<&'a str>,
    /// Where `icon_url` sits in the payload, for `props.dropped`.
    pub icon_url_field: &'a Path<'a>,
}

pub(super) fn author(
    hook: &WebhookView,
    payload: &Payload<'_>,
    props: &mut Map<String, Value>,
    dropped: &mut Dropped,
) -> Author {
    let icon_url_field = Path::ROOT.key("icon_url");
    let requested = Requested {
        name: payload.username,
        icon_emoji: payload.icon_emoji,
        icon_url: payload.icon_url,
        icon_url_field: &icon_url_field,
    };
    requested_author(hook, &requested, props, dropped)
}

/// The author of a post: the requested name and icon where the webhook
/// allows overrides (noted in `props.override_*`, as Mattermost does),
/// else the webhook's own, else its display name.
pub(crate) fn requested_author(
    hook: &WebhookView,
    requested: &Requested<'_>,
    props: &mut Map<String, Value>,
    dropped: &mut Dropped,
) -> Author {
    let override_name = requested
        .name
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
    let mut author = Author {
        username,
        icon_url: hook.icon_url.clone(),
        icon_emoji: None,
    };
    if hook.allow_icon_override {
        icon(requested, &mut author, props, dropped);
    }
    author
}

/// `icon_emoji` wins over `icon_url` (Mattermost's precedence); the
/// webhook's icon stays as the fallback for clients that show no emoji.
fn icon(
    requested: &Requested<'_>,
    author: &mut Author,
    props: &mut Map<String, Value>,
    dropped: &mut Dropped,
) {
    if let Some(raw) = requested
        .icon_emoji
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        match emoji_name(raw) {
            Some(name) => {
                props.insert("override_icon_emoji".into(), Value::from(name.as_str()));
                author.icon_emoji = Some(name);
                return;
            }
            None => dropped.note(&Path::ROOT.key("icon_emoji"), "not an emoji name"),
        }
    }
    let Some(url) = requested.icon_url.map(str::trim).filter(|u| !u.is_empty()) else {
        return;
    };
    if is_web_url(url) {
        props.insert("override_icon_url".into(), Value::from(url));
        author.icon_url = Some(url.to_string());
    } else {
        dropped.note(requested.icon_url_field, NOT_WEB_URL);
    }
}

/// `smile` or `:smile:` → `smile` (lower case, as emoji names are stored);
/// `None` when it is not an emoji name (letters, digits, `_`, `+`, `-`).
pub(super) fn emoji_name(raw: &str) -> Option<String> {
    let name = raw.strip_prefix(':').unwrap_or(raw);
    let name = name.strip_suffix(':').unwrap_or(name);
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-'));
    valid.then(|| name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_names_with_or_without_colons() {
        assert_eq!(emoji_name("smile").as_deref(), Some("smile"));
        assert_eq!(emoji_name(":smile:").as_deref(), Some("smile"));
        assert_eq!(emoji_name(":+1:").as_deref(), Some("+1"));
        assert_eq!(
            emoji_name(":White_Check_Mark:").as_deref(),
            Some("white_check_mark")
        );
        for bad in ["::", ":", "a b", "<img>", ":a::b:", "x".repeat(65).as_str()] {
            assert_eq!(emoji_name(bad), None, "{bad}");
        }
    }
}

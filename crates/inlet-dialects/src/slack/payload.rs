//! A Slack payload's top-level fields: read into their types first (a wrong
//! type is refused at once, naming the field), their values checked later
//! (after `no_text`, in Mattermost's order). Unknown fields are ignored, as
//! Slack and Mattermost ignore them.

use crate::draft::{Target, ThreadRef};
use crate::error::Rejection;
use crate::fields::{Path, opt_array, opt_bool, opt_object, opt_str};
use crate::notes::Dropped;
use crate::storable::check_identifier;
use serde_json::{Map, Value};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// A thread key's limit, in bytes after NFC normalisation (decisions.md 6).
const MAX_THREAD_KEY_BYTES: usize = 255;

pub(super) struct Payload<'a> {
    pub text: Option<&'a str>,
    pub channel: Option<&'a str>,
    pub username: Option<&'a str>,
    pub icon_url: Option<&'a str>,
    pub icon_emoji: Option<&'a str>,
    pub attachments: &'a [Value],
    pub blocks: &'a [Value],
    pub post_type: Option<&'a str>,
    pub props: Option<&'a Map<String, Value>>,
    pub priority: Option<Priority<'a>>,
    /// `mrkdwn: false` stores `text` as sent.
    pub mrkdwn: bool,
    pub thread_key: Option<&'a str>,
    pub root_id: Option<&'a str>,
    pub thread_ts: Option<&'a str>,
}

pub(super) struct Priority<'a> {
    level: Option<&'a str>,
    requested_ack: bool,
    persistent_notifications: bool,
}

/// The values that passed their checks.
pub(super) struct Checked {
    pub target: Target,
    pub thread: Option<ThreadRef>,
    pub post_type: Option<String>,
    pub priority: Option<Value>,
}

impl<'a> Payload<'a> {
    pub fn read(object: &'a Map<String, Value>) -> Result<Self, Rejection> {
        let root = &Path::ROOT;
        let text = |key| opt_str(object, key, root);
        Ok(Payload {
            text: text("text")?,
            channel: text("channel")?,
            username: text("username")?,
            icon_url: text("icon_url")?,
            icon_emoji: text("icon_emoji")?,
            attachments: opt_array(object, "attachments", root)?.unwrap_or_default(),
            blocks: opt_array(object, "blocks", root)?.unwrap_or_default(),
            post_type: text("type")?,
            props: opt_object(object, "props", root)?,
            priority: read_priority(object)?,
            mrkdwn: opt_bool(object, "mrkdwn", root)?.unwrap_or(true),
            thread_key: non_blank(text("thread_key")?),
            root_id: non_blank(text("root_id")?),
            thread_ts: non_blank(text("thread_ts")?),
        })
    }

    /// Checks the values that can be wrong beyond their type; a cosmetic
    /// value that is wrong is noted in `dropped` instead.
    pub fn check(&self, dropped: &mut Dropped) -> Result<Checked, Rejection> {
        let priority = match &self.priority {
            Some(priority) => priority.check(dropped)?,
            None => None,
        };
        Ok(Checked {
            target: parse_target(self.channel)?,
            priority,
            post_type: check_type(self.post_type)?,
            thread: self.thread()?,
        })
    }

    fn thread(&self) -> Result<Option<ThreadRef>, Rejection> {
        let root = match (self.root_id, self.thread_ts) {
            (Some(a), Some(b)) if a.trim() != b.trim() => {
                return Err(Rejection::invalid(
                    "fields `root_id` and `thread_ts` name different posts; give one",
                ));
            }
            (Some(id), _) | (None, Some(id)) => Some(id.trim()),
            (None, None) => None,
        };
        match (self.thread_key, root) {
            (Some(_), Some(_)) => Err(Rejection::invalid(
                "field `thread_key` cannot be combined with `root_id` or `thread_ts`",
            )),
            (Some(key), None) => {
                thread_key(key, &Path::ROOT.key("thread_key")).map(|k| Some(ThreadRef::Key(k)))
            }
            (None, Some(id)) => {
                let field = if self.root_id.is_some() {
                    "root_id"
                } else {
                    "thread_ts"
                };
                check_identifier(id, &field)?;
                Ok(Some(ThreadRef::Root(id.to_string())))
            }
            (None, None) => Ok(None),
        }
    }
}

/// Empty thread fields are absent: senders' templates often send `""`.
fn non_blank(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}

/// The thread key held by `field`, NFC-normalised so that visually equal
/// keys are equal (also talkspirit's `thread_id`).
pub(crate) fn thread_key(raw: &str, field: &Path<'_>) -> Result<String, Rejection> {
    check_identifier(raw, field)?;
    let key = match is_nfc_quick(raw.chars()) {
        IsNormalized::Yes => raw.to_string(),
        _ => raw.nfc().collect(),
    };
    if key.len() > MAX_THREAD_KEY_BYTES {
        return Err(Rejection::invalid(format!(
            "field `{field}` is {} bytes long; at most {MAX_THREAD_KEY_BYTES} are accepted",
            key.len()
        )));
    }
    Ok(key)
}

fn read_priority(object: &Map<String, Value>) -> Result<Option<Priority<'_>>, Rejection> {
    let at = Path::ROOT.key("priority");
    let Some(priority) = opt_object(object, "priority", &Path::ROOT)? else {
        return Ok(None);
    };
    Ok(Some(Priority {
        level: opt_str(priority, "priority", &at)?,
        requested_ack: opt_bool(priority, "requested_ack", &at)?.unwrap_or(false),
        persistent_notifications: opt_bool(priority, "persistent_notifications", &at)?
            .unwrap_or(false),
    }))
}

impl Priority<'_> {
    /// `props.priority`, normalised with every key present; `None`, noted,
    /// for a level Inlet does not know (`"high"`): Mattermost accepts any
    /// level and its clients ignore unknown ones, so the post goes through
    /// without a priority.
    fn check(&self, dropped: &mut Dropped) -> Result<Option<Value>, Rejection> {
        let Some(level) = self.level else {
            return Err(Rejection::invalid("field `priority.priority` is required"));
        };
        if !matches!(level, "" | "important" | "urgent") {
            dropped.note(
                &Path::ROOT.key("priority").key("priority"),
                "not \"\", \"important\" or \"urgent\"",
            );
            return Ok(None);
        }
        if self.persistent_notifications && level != "urgent" {
            // Mattermost refuses this when it saves the post.
            return Err(Rejection::invalid(
                "field `priority.persistent_notifications` needs `priority.priority` \"urgent\"",
            ));
        }
        let mut out = Map::new();
        out.insert("priority".into(), Value::from(level));
        out.insert("requested_ack".into(), Value::from(self.requested_ack));
        out.insert(
            "persistent_notifications".into(),
            Value::from(self.persistent_notifications),
        );
        Ok(Some(Value::Object(out)))
    }
}

/// `type`: empty, or a `custom_*` type (kept in `props.post_type`).
fn check_type(post_type: Option<&str>) -> Result<Option<String>, Rejection> {
    match post_type {
        None | Some("") => Ok(None),
        Some(t) if t.starts_with("custom_") => Ok(Some(t.to_string())),
        Some(t) => Err(Rejection::invalid(format!(
            "field `type` must be empty or start with `custom_`, not {t:?}"
        ))),
    }
}

/// `channel`: `#name` or `name` (URL name), `@user`, or a channel id.
fn parse_target(channel: Option<&str>) -> Result<Target, Rejection> {
    let Some(raw) = channel.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(Target::Default);
    };
    check_identifier(raw, &"channel")?;
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

pub(crate) fn looks_like_uuid(raw: &str) -> bool {
    raw.len() == 36
        && raw.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

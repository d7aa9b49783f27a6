//! The rows Inlet keeps, as the API shows them.

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
}

impl Team {
    pub(crate) const COLUMNS: &'static str = "id, name, display_name, created_at";
    pub(crate) fn from_row(row: &Row) -> Self {
        Self {
            id: row.get(0),
            name: row.get(1),
            display_name: row.get(2),
            created_at: row.get(3),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    pub team_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
}

impl User {
    pub(crate) const COLUMNS: &'static str = "id, team_id, username, display_name, created_at";
    pub(crate) fn from_row(row: &Row) -> Self {
        Self {
            id: row.get(0),
            team_id: row.get(1),
            username: row.get(2),
            display_name: row.get(3),
            created_at: row.get(4),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Open,
    Private,
    Direct,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Open => "open",
            ChannelKind::Private => "private",
            ChannelKind::Direct => "direct",
        }
    }

    fn parse(raw: &str) -> Self {
        match raw {
            "private" => ChannelKind::Private,
            "direct" => ChannelKind::Direct,
            _ => ChannelKind::Open,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Channel {
    pub id: Uuid,
    pub team_id: Uuid,
    pub name: String,
    pub display_name: String,
    pub kind: ChannelKind,
    pub archived: bool,
    pub last_seq: i64,
    pub created_at: DateTime<Utc>,
}

impl Channel {
    pub(crate) const COLUMNS: &'static str =
        "id, team_id, name, display_name, kind, archived, last_seq, created_at";
    pub(crate) fn from_row(row: &Row) -> Self {
        Self {
            id: row.get(0),
            team_id: row.get(1),
            name: row.get(2),
            display_name: row.get(3),
            kind: ChannelKind::parse(row.get(4)),
            archived: row.get(5),
            last_seq: row.get(6),
            created_at: row.get(7),
        }
    }
}

impl Channel {
    /// The URL-free name of the direct channel between two users.
    pub fn direct_name(a: Uuid, b: Uuid) -> String {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        format!("{low}__{high}")
    }

    /// The two users of a direct channel.
    pub fn direct_pair(&self) -> Option<(Uuid, Uuid)> {
        if self.kind != ChannelKind::Direct {
            return None;
        }
        let (a, b) = self.name.split_once("__")?;
        Some((Uuid::parse_str(a).ok()?, Uuid::parse_str(b).ok()?))
    }
}

/// A webhook's settings. The token is never part of it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: Uuid,
    pub team_id: Uuid,
    pub channel_id: Uuid,
    pub owner_id: Uuid,
    pub display_name: String,
    pub description: String,
    pub username: Option<String>,
    pub icon_url: Option<String>,
    pub channel_locked: bool,
    pub allow_username_override: bool,
    pub allow_icon_override: bool,
    pub allow_channel_mentions: bool,
    pub markup: String,
    pub rate_per_minute: Option<i32>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When a request last named this webhook's token (null: never). Written
    /// every `ingress.last_used_flush_ms`, so up to that much late.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Whether vendor signatures are verified (the secret is never shown).
    pub has_signing_secret: bool,
    /// The signing secret, sealed with `secrets.key_file`.
    #[serde(skip)]
    pub signing_secret_sealed: Option<Vec<u8>>,
    /// Whether its delivery log keeps request bodies (capped, the token
    /// cut out).
    pub keep_bodies: bool,
    /// Its active template (docs/templates.md): `{message, topic?,
    /// username?, icon_url?, case_id?}`, each a template string; null when
    /// the door's dialect applies.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub template: Option<serde_json::Value>,
    /// The active template's version (versions count from 1; older ones
    /// are kept for a rollback).
    pub template_version: Option<i32>,
}

impl Webhook {
    pub(crate) const COLUMNS: &'static str = "id, team_id, channel_id, owner_id, display_name, description, \
         username, icon_url, channel_locked, allow_username_override, allow_icon_override, \
         allow_channel_mentions, markup, rate_per_minute, enabled, created_at, revoked_at, last_used_at, \
         signing_secret_sealed, keep_bodies, template, template_version";
    pub(crate) fn from_row(row: &Row) -> Self {
        Self {
            id: row.get(0),
            team_id: row.get(1),
            channel_id: row.get(2),
            owner_id: row.get(3),
            display_name: row.get(4),
            description: row.get(5),
            username: row.get(6),
            icon_url: row.get(7),
            channel_locked: row.get(8),
            allow_username_override: row.get(9),
            allow_icon_override: row.get(10),
            allow_channel_mentions: row.get(11),
            markup: row.get(12),
            rate_per_minute: row.get(13),
            enabled: row.get(14),
            created_at: row.get(15),
            revoked_at: row.get(16),
            last_used_at: row.get(17),
            has_signing_secret: row.get::<_, Option<Vec<u8>>>(18).is_some(),
            signing_secret_sealed: row.get(18),
            keep_bodies: row.get(19),
            template: row.get(20),
            template_version: row.get(21),
        }
    }

    /// Whether the webhook accepts requests.
    pub fn is_active(&self) -> bool {
        self.enabled && self.revoked_at.is_none()
    }
}

/// A stored post, in the shape of http-api.md.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Post {
    pub id: Uuid,
    pub channel_id: Uuid,
    pub seq: i64,
    pub root_id: Option<Uuid>,
    pub thread_key: Option<String>,
    pub case_id: Option<String>,
    pub message: String,
    pub username: String,
    pub icon_url: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub props: Value,
    pub webhook_id: Option<Uuid>,
    pub dialect: String,
    pub message_id: Uuid,
    pub part: i32,
    pub received_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl Post {
    pub(crate) const COLUMNS: &'static str = "id, channel_id, seq, root_id, thread_key, case_id, message, \
         username, icon_url, props, webhook_id, dialect, message_id, part, received_at, created_at";
    /// The post `new` became, stored with `seq` at `created_at`.
    pub(crate) fn stored(new: &NewPost, seq: i64, created_at: DateTime<Utc>) -> Self {
        Self {
            id: new.id,
            channel_id: new.channel_id,
            seq,
            root_id: new.root_id,
            thread_key: new.thread_key.clone(),
            case_id: new.case_id.clone(),
            message: new.message.clone(),
            username: new.username.clone(),
            icon_url: new.icon_url.clone(),
            props: new.props.clone(),
            webhook_id: new.webhook_id,
            dialect: new.dialect.clone(),
            message_id: new.message_id,
            part: new.part,
            // PostgreSQL keeps microseconds.
            received_at: new.received_at.trunc_subsecs(6),
            created_at,
        }
    }

    pub(crate) fn from_row(row: &Row) -> Self {
        Self {
            id: row.get(0),
            channel_id: row.get(1),
            seq: row.get(2),
            root_id: row.get(3),
            thread_key: row.get(4),
            case_id: row.get(5),
            message: row.get(6),
            username: row.get(7),
            icon_url: row.get(8),
            props: row.get(9),
            webhook_id: row.get(10),
            dialect: row.get(11),
            message_id: row.get(12),
            part: row.get(13),
            received_at: row.get(14),
            created_at: row.get(15),
        }
    }
}

/// A post to be stored: everything but its seq and creation time.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPost {
    pub id: Uuid,
    pub channel_id: Uuid,
    pub root_id: Option<Uuid>,
    pub thread_key: Option<String>,
    pub case_id: Option<String>,
    pub message: String,
    pub username: String,
    pub icon_url: Option<String>,
    pub props: Value,
    pub webhook_id: Option<Uuid>,
    pub dialect: String,
    pub message_id: Uuid,
    pub part: i32,
    pub received_at: DateTime<Utc>,
}

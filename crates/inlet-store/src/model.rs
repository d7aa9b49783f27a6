//! The rows Inlet keeps, as the API shows them.

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, Type};
use uuid::Uuid;

/// Declares a stored row's type: the struct as written, `COLUMNS` (its
/// fields' names in their order, for a `SELECT` or `RETURNING` list) and
/// `from_row`, which reads the columns in that order, each through its
/// field type's `FromSql`. The field list is written once, so the three
/// cannot drift apart.
macro_rules! row_type {
    (
        $(#[$attr:meta])*
        pub struct $name:ident {
            $( $(#[$field_attr:meta])* pub $field:ident: $ty:ty, )+
        }
    ) => {
        $(#[$attr])*
        pub struct $name {
            $( $(#[$field_attr])* pub $field: $ty, )+
        }

        impl $name {
            pub(crate) const COLUMNS: &'static str = row_type!(@columns $($field)+);

            pub(crate) fn from_row(row: &Row) -> Self {
                let mut next = 0;
                let mut column = || {
                    next += 1;
                    next - 1
                };
                Self { $( $field: row.get(column()), )+ }
            }
        }
    };
    (@columns $first:ident $($rest:ident)*) => {
        concat!(stringify!($first) $(, ", ", stringify!($rest))*)
    };
}

row_type! {
    #[derive(Clone, Debug, Serialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Team {
        pub id: Uuid,
        pub name: String,
        pub display_name: String,
        pub created_at: DateTime<Utc>,
    }
}

row_type! {
    #[derive(Clone, Debug, Serialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct User {
        pub id: Uuid,
        pub team_id: Uuid,
        pub username: String,
        pub display_name: String,
        pub created_at: DateTime<Utc>,
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

/// A channel's `kind` column (text) read as its kind.
impl<'a> FromSql<'a> for ChannelKind {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        <&str as FromSql>::from_sql(ty, raw).map(Self::parse)
    }

    fn accepts(ty: &Type) -> bool {
        <&str as FromSql>::accepts(ty)
    }
}

row_type! {
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

row_type! {
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
}

impl Post {
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

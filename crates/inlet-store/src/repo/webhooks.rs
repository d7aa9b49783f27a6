//! Webhooks. Only the SHA-256 of a token is stored; lookups go by hash.

use crate::error::StoreError;
use crate::model::Webhook;
use chrono::{DateTime, Utc};
use inlet_core::TokenHash;
use inlet_core::token::TokenKey;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// The settings of a new webhook.
#[derive(Clone, Debug)]
pub struct NewWebhook {
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
    /// Sealed with `secrets.key_file`.
    pub signing_secret_sealed: Option<Vec<u8>>,
    pub keep_bodies: bool,
}

/// Creates a webhook in its channel's team; the owner must be of that team.
pub async fn create(
    client: &impl GenericClient,
    new: &NewWebhook,
    token: TokenHash,
) -> Result<Webhook, StoreError> {
    let sql = format!(
        "INSERT INTO webhooks (id, team_id, channel_id, owner_id, display_name, description, username, icon_url,
             channel_locked, allow_username_override, allow_icon_override, allow_channel_mentions, markup,
             rate_per_minute, token_hash, signing_secret_sealed, keep_bodies)
         SELECT $1, c.team_id, c.id, u.id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16
         FROM channels c JOIN users u ON u.team_id = c.team_id
         WHERE c.id = $2 AND u.id = $3
         RETURNING {}",
        Webhook::COLUMNS
    );
    let row = client
        .query_opt(
            &sql,
            &[
                &Uuid::now_v7(),
                &new.channel_id,
                &new.owner_id,
                &new.display_name,
                &new.description,
                &new.username,
                &new.icon_url,
                &new.channel_locked,
                &new.allow_username_override,
                &new.allow_icon_override,
                &new.allow_channel_mentions,
                &new.markup,
                &new.rate_per_minute,
                &token.as_bytes(),
                &new.signing_secret_sealed,
                &new.keep_bodies,
            ],
        )
        .await?
        .ok_or(StoreError::NotFound(
            "channel, or owner in the channel's team",
        ))?;
    Ok(Webhook::from_row(&row))
}

pub async fn get(client: &impl GenericClient, id: Uuid) -> Result<Webhook, StoreError> {
    let sql = format!("SELECT {} FROM webhooks WHERE id = $1", Webhook::COLUMNS);
    let row = client
        .query_opt(&sql, &[&id])
        .await?
        .ok_or(StoreError::NotFound("webhook"))?;
    Ok(Webhook::from_row(&row))
}

pub async fn list(client: &impl GenericClient, team_id: Uuid) -> Result<Vec<Webhook>, StoreError> {
    let sql = format!(
        "SELECT {} FROM webhooks WHERE team_id = $1 AND revoked_at IS NULL ORDER BY created_at",
        Webhook::COLUMNS
    );
    Ok(client
        .query(&sql, &[&team_id])
        .await?
        .iter()
        .map(Webhook::from_row)
        .collect())
}

/// The active webhook holding this token, if any.
pub async fn by_token(
    client: &impl GenericClient,
    token: TokenHash,
) -> Result<Option<Webhook>, StoreError> {
    let sql = format!(
        "SELECT {} FROM webhooks WHERE token_hash = $1 AND revoked_at IS NULL AND enabled",
        Webhook::COLUMNS
    );
    Ok(client
        .query_opt(&sql, &[&token.as_bytes()])
        .await?
        .as_ref()
        .map(Webhook::from_row))
}

/// Revokes a webhook: its token stops working at once.
pub async fn revoke(client: &impl GenericClient, id: Uuid) -> Result<Webhook, StoreError> {
    let sql = format!(
        "UPDATE webhooks SET revoked_at = coalesce(revoked_at, now()), enabled = false WHERE id = $1 RETURNING {}",
        Webhook::COLUMNS
    );
    let row = client
        .query_opt(&sql, &[&id])
        .await?
        .ok_or(StoreError::NotFound("webhook"))?;
    Ok(Webhook::from_row(&row))
}

/// Replaces the token hash; the old token stops working at once.
pub async fn rotate(
    client: &impl GenericClient,
    id: Uuid,
    token: TokenHash,
) -> Result<Webhook, StoreError> {
    let sql = format!(
        "UPDATE webhooks SET token_hash = $2, token_signed = true
         WHERE id = $1 AND revoked_at IS NULL RETURNING {}",
        Webhook::COLUMNS
    );
    let row = client
        .query_opt(&sql, &[&id, &token.as_bytes()])
        .await?
        .ok_or(StoreError::NotFound("webhook"))?;
    Ok(Webhook::from_row(&row))
}

/// Changes to a webhook's settings; `None` leaves a setting as it is, and an
/// empty `username`/`icon_url` (or a zero rate) clears it.
#[derive(Clone, Debug, Default)]
pub struct WebhookChanges {
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub username: Option<String>,
    pub icon_url: Option<String>,
    pub channel_locked: Option<bool>,
    pub allow_username_override: Option<bool>,
    pub allow_icon_override: Option<bool>,
    pub allow_channel_mentions: Option<bool>,
    pub markup: Option<String>,
    pub rate_per_minute: Option<i32>,
    pub enabled: Option<bool>,
    /// `Some(None)` clears the signing secret, `Some(Some(sealed))` sets it.
    pub signing_secret_sealed: Option<Option<Vec<u8>>>,
    pub keep_bodies: Option<bool>,
}

pub async fn update(
    client: &impl GenericClient,
    id: Uuid,
    changes: &WebhookChanges,
) -> Result<Webhook, StoreError> {
    let sql = format!(
        "UPDATE webhooks SET
             display_name = coalesce($2, display_name),
             description = coalesce($3, description),
             username = CASE WHEN $4::text IS NULL THEN username ELSE nullif($4, '') END,
             icon_url = CASE WHEN $5::text IS NULL THEN icon_url ELSE nullif($5, '') END,
             channel_locked = coalesce($6, channel_locked),
             allow_username_override = coalesce($7, allow_username_override),
             allow_icon_override = coalesce($8, allow_icon_override),
             allow_channel_mentions = coalesce($9, allow_channel_mentions),
             markup = coalesce($10, markup),
             rate_per_minute = CASE WHEN $11::int4 IS NULL THEN rate_per_minute ELSE nullif($11, 0) END,
             enabled = coalesce($12, enabled),
             signing_secret_sealed = CASE WHEN $13 THEN $14 ELSE signing_secret_sealed END,
             keep_bodies = coalesce($15, keep_bodies)
         WHERE id = $1 AND revoked_at IS NULL RETURNING {}",
        Webhook::COLUMNS
    );
    let c = changes;
    let row = client
        .query_opt(
            &sql,
            &[
                &id,
                &c.display_name,
                &c.description,
                &c.username,
                &c.icon_url,
                &c.channel_locked,
                &c.allow_username_override,
                &c.allow_icon_override,
                &c.allow_channel_mentions,
                &c.markup,
                &c.rate_per_minute,
                &c.enabled,
                &c.signing_secret_sealed.is_some(),
                &c.signing_secret_sealed.clone().flatten(),
                &c.keep_bodies,
            ],
        )
        .await?
        .ok_or(StoreError::NotFound("webhook"))?;
    Ok(Webhook::from_row(&row))
}

/// The key that signs the tokens this installation issues (migration 6).
pub async fn token_key(client: &impl GenericClient) -> Result<TokenKey, StoreError> {
    let row = client
        .query_one("SELECT key FROM token_key WHERE id = 1", &[])
        .await?;
    let bytes: Vec<u8> = row.get(0);
    TokenKey::from_bytes(&bytes)
        .ok_or_else(|| StoreError::Invalid("token_key.key is not 32 bytes".into()))
}

/// The hashes of the active tokens issued before tokens were signed: the
/// only unsigned tokens worth a database lookup. The set only shrinks.
pub async fn unsigned_token_hashes(
    client: &impl GenericClient,
) -> Result<Vec<TokenHash>, StoreError> {
    let rows = client
        .query(
            "SELECT token_hash FROM webhooks WHERE NOT token_signed AND revoked_at IS NULL",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let bytes: Vec<u8> = r.get(0);
            bytes.try_into().ok().map(TokenHash)
        })
        .collect())
}

/// Records when webhooks were last used, in one statement for many. A time
/// older than the stored one is ignored: replicas flush independently and
/// must not move `last_used_at` back.
pub async fn record_last_used(
    client: &impl GenericClient,
    uses: &[(Uuid, DateTime<Utc>)],
) -> Result<u64, StoreError> {
    if uses.is_empty() {
        return Ok(0);
    }
    let (ids, times): (Vec<Uuid>, Vec<DateTime<Utc>>) = uses.iter().copied().unzip();
    Ok(client
        .execute(
            "UPDATE webhooks AS w SET last_used_at = u.at \
             FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, at) \
             WHERE w.id = u.id AND (w.last_used_at IS NULL OR w.last_used_at < u.at)",
            &[&ids, &times],
        )
        .await?)
}

//! Channels and memberships.

use crate::error::StoreError;
use crate::model::{Channel, ChannelKind};
use tokio_postgres::GenericClient;
use uuid::Uuid;

pub async fn create(
    client: &impl GenericClient,
    team_id: Uuid,
    name: &str,
    display_name: &str,
    kind: ChannelKind,
) -> Result<Channel, StoreError> {
    if !valid_name(name) {
        return Err(StoreError::Invalid(format!(
            "channel name {name:?} must be 1-64 characters of a-z, 0-9, '.', '_' or '-'"
        )));
    }
    let sql = format!(
        "INSERT INTO channels (id, team_id, name, display_name, kind) VALUES ($1, $2, $3, $4, $5) RETURNING {}",
        Channel::COLUMNS
    );
    let row = client
        .query_one(
            &sql,
            &[
                &Uuid::now_v7(),
                &team_id,
                &name,
                &display_name,
                &kind.as_str(),
            ],
        )
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict("a channel with that name in the team"),
            StoreError::Invalid(_) => StoreError::NotFound("team"),
            other => other,
        })?;
    Ok(Channel::from_row(&row))
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

pub async fn get(client: &impl GenericClient, id: Uuid) -> Result<Channel, StoreError> {
    let sql = format!("SELECT {} FROM channels WHERE id = $1", Channel::COLUMNS);
    let row = client
        .query_opt(&sql, &[&id])
        .await?
        .ok_or(StoreError::NotFound("channel"))?;
    Ok(Channel::from_row(&row))
}

pub async fn by_name(
    client: &impl GenericClient,
    team_id: Uuid,
    name: &str,
) -> Result<Option<Channel>, StoreError> {
    let sql = format!(
        "SELECT {} FROM channels WHERE team_id = $1 AND name = $2",
        Channel::COLUMNS
    );
    Ok(client
        .query_opt(&sql, &[&team_id, &name])
        .await?
        .as_ref()
        .map(Channel::from_row))
}

pub async fn list(client: &impl GenericClient, team_id: Uuid) -> Result<Vec<Channel>, StoreError> {
    let sql = format!(
        "SELECT {} FROM channels WHERE team_id = $1 AND kind <> 'direct' ORDER BY name",
        Channel::COLUMNS
    );
    Ok(client
        .query(&sql, &[&team_id])
        .await?
        .iter()
        .map(Channel::from_row)
        .collect())
}

pub async fn archive(client: &impl GenericClient, id: Uuid) -> Result<Channel, StoreError> {
    let sql = format!(
        "UPDATE channels SET archived = true WHERE id = $1 RETURNING {}",
        Channel::COLUMNS
    );
    let row = client
        .query_opt(&sql, &[&id])
        .await?
        .ok_or(StoreError::NotFound("channel"))?;
    Ok(Channel::from_row(&row))
}

/// Adds a member; the user must belong to the channel's team.
pub async fn add_member(
    client: &impl GenericClient,
    channel_id: Uuid,
    user_id: Uuid,
) -> Result<(), StoreError> {
    let inserted = client
        .execute(
            "INSERT INTO channel_members (channel_id, user_id)
             SELECT c.id, u.id FROM channels c JOIN users u ON u.team_id = c.team_id
             WHERE c.id = $1 AND u.id = $2
             ON CONFLICT DO NOTHING",
            &[&channel_id, &user_id],
        )
        .await?;
    if inserted == 0 && !is_member(client, channel_id, user_id).await? {
        return Err(StoreError::NotFound(
            "channel or user of the channel's team",
        ));
    }
    Ok(())
}

pub async fn remove_member(
    client: &impl GenericClient,
    channel_id: Uuid,
    user_id: Uuid,
) -> Result<(), StoreError> {
    client
        .execute(
            "DELETE FROM channel_members WHERE channel_id = $1 AND user_id = $2",
            &[&channel_id, &user_id],
        )
        .await?;
    Ok(())
}

pub async fn is_member(
    client: &impl GenericClient,
    channel_id: Uuid,
    user_id: Uuid,
) -> Result<bool, StoreError> {
    Ok(client
        .query_opt(
            "SELECT 1 FROM channel_members WHERE channel_id = $1 AND user_id = $2",
            &[&channel_id, &user_id],
        )
        .await?
        .is_some())
}

/// The direct channel between two users of a team, created (with both as
/// members) on first use. Safe under concurrency: the unique name decides.
pub async fn get_or_create_direct(
    client: &impl GenericClient,
    team_id: Uuid,
    a: Uuid,
    b: Uuid,
) -> Result<Channel, StoreError> {
    let name = Channel::direct_name(a, b);
    client
        .execute(
            "INSERT INTO channels (id, team_id, name, display_name, kind) VALUES ($1, $2, $3, $3, 'direct')
             ON CONFLICT (team_id, name) DO NOTHING",
            &[&Uuid::now_v7(), &team_id, &name],
        )
        .await?;
    let channel = by_name(client, team_id, &name)
        .await?
        .ok_or(StoreError::NotFound("direct channel"))?;
    client
        .execute(
            "INSERT INTO channel_members (channel_id, user_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING",
            &[&channel.id, &vec![a, b]],
        )
        .await?;
    Ok(channel)
}

/// Vacuums the channels table, whose counters (`last_seq`,
/// `published_seq`) every delivered batch updates: reclaims the dead row
/// versions those updates leave. Skipped when another vacuum holds the table.
pub async fn vacuum(client: &impl GenericClient) -> Result<(), StoreError> {
    client
        .batch_execute("VACUUM (SKIP_LOCKED) channels")
        .await?;
    Ok(())
}

//! Teams.

use crate::error::StoreError;
use crate::model::{Channel, Team, User};
use tokio_postgres::GenericClient;
use uuid::Uuid;

pub async fn create(
    client: &impl GenericClient,
    name: &str,
    display_name: &str,
) -> Result<Team, StoreError> {
    let sql = format!(
        "INSERT INTO teams (id, name, display_name) VALUES ($1, $2, $3) RETURNING {}",
        Team::COLUMNS
    );
    let row = client
        .query_one(&sql, &[&Uuid::now_v7(), &name, &display_name])
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict("a team with that name"),
            StoreError::Invalid(_) => StoreError::Invalid(format!(
                "team name {name:?} must be 1-64 characters of a-z, 0-9, '.', '_' or '-'"
            )),
            other => other,
        })?;
    Ok(Team::from_row(&row))
}

pub async fn get(client: &impl GenericClient, id: Uuid) -> Result<Team, StoreError> {
    let sql = format!("SELECT {} FROM teams WHERE id = $1", Team::COLUMNS);
    let row = client
        .query_opt(&sql, &[&id])
        .await?
        .ok_or(StoreError::NotFound("team"))?;
    Ok(Team::from_row(&row))
}

pub async fn list(client: &impl GenericClient) -> Result<Vec<Team>, StoreError> {
    let sql = format!("SELECT {} FROM teams ORDER BY name", Team::COLUMNS);
    Ok(client
        .query(&sql, &[])
        .await?
        .iter()
        .map(Team::from_row)
        .collect())
}

/// Everything a team's directory holds: its channels, its users and the
/// members of its private and direct channels (as `(channel, user)`).
#[derive(Debug, Default)]
pub struct TeamRows {
    pub channels: Vec<Channel>,
    pub users: Vec<User>,
    pub members: Vec<(Uuid, Uuid)>,
}

/// A team's directory rows, read in three queries.
pub async fn directory_rows(
    client: &impl GenericClient,
    team_id: Uuid,
) -> Result<TeamRows, StoreError> {
    let channel_sql = format!(
        "SELECT {} FROM channels WHERE team_id = $1",
        Channel::COLUMNS
    );
    let user_sql = format!("SELECT {} FROM users WHERE team_id = $1", User::COLUMNS);
    let channels = client.query(&channel_sql, &[&team_id]).await?;
    let users = client.query(&user_sql, &[&team_id]).await?;
    let members = client
        .query(
            "SELECT m.channel_id, m.user_id FROM channel_members m JOIN channels c ON c.id = m.channel_id
             WHERE c.team_id = $1 AND c.kind <> 'open'",
            &[&team_id],
        )
        .await?;
    Ok(TeamRows {
        channels: channels.iter().map(Channel::from_row).collect(),
        users: users.iter().map(User::from_row).collect(),
        members: members.iter().map(|r| (r.get(0), r.get(1))).collect(),
    })
}

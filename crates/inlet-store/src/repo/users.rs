//! Users of a team.

use crate::error::StoreError;
use crate::model::User;
use tokio_postgres::GenericClient;
use uuid::Uuid;

pub async fn create(
    client: &impl GenericClient,
    team_id: Uuid,
    username: &str,
    display_name: &str,
) -> Result<User, StoreError> {
    let sql = format!(
        "INSERT INTO users (id, team_id, username, display_name) VALUES ($1, $2, $3, $4) RETURNING {}",
        User::COLUMNS
    );
    let row = client
        .query_one(&sql, &[&Uuid::now_v7(), &team_id, &username, &display_name])
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict("a user with that username in the team")
            }
            StoreError::Invalid(detail) if detail.contains("foreign key") => {
                StoreError::NotFound("team")
            }
            StoreError::Invalid(_) => StoreError::Invalid(format!(
                "username {username:?} must be 1-64 characters of a-z, 0-9, '.', '_' or '-'"
            )),
            other => other,
        })?;
    Ok(User::from_row(&row))
}

pub async fn get(client: &impl GenericClient, id: Uuid) -> Result<User, StoreError> {
    let sql = format!("SELECT {} FROM users WHERE id = $1", User::COLUMNS);
    let row = client
        .query_opt(&sql, &[&id])
        .await?
        .ok_or(StoreError::NotFound("user"))?;
    Ok(User::from_row(&row))
}

pub async fn by_username(
    client: &impl GenericClient,
    team_id: Uuid,
    username: &str,
) -> Result<Option<User>, StoreError> {
    let sql = format!(
        "SELECT {} FROM users WHERE team_id = $1 AND username = $2",
        User::COLUMNS
    );
    Ok(client
        .query_opt(&sql, &[&team_id, &username])
        .await?
        .as_ref()
        .map(User::from_row))
}

pub async fn list(client: &impl GenericClient, team_id: Uuid) -> Result<Vec<User>, StoreError> {
    let sql = format!(
        "SELECT {} FROM users WHERE team_id = $1 ORDER BY username",
        User::COLUMNS
    );
    Ok(client
        .query(&sql, &[&team_id])
        .await?
        .iter()
        .map(User::from_row)
        .collect())
}

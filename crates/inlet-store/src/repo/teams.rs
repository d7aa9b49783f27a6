//! Teams.

use crate::error::StoreError;
use crate::model::Team;
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

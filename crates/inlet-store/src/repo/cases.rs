//! emakin cases: a case id is unique per channel (the primary key of
//! `case_claims` decides under any concurrency); its root post is the thread
//! that later updates join. A redelivered opening finds its own claim.

use crate::error::StoreError;
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseClaim {
    pub root_post_id: Uuid,
    pub message_id: Uuid,
}

/// Claims `case_id` in `channel` for `message_id` unless already claimed;
/// returns the claim that holds.
pub async fn claim(
    client: &impl GenericClient,
    channel: Uuid,
    case_id: &str,
    root_post_id: Uuid,
    message_id: Uuid,
) -> Result<CaseClaim, StoreError> {
    let inserted = client
        .query_opt(
            "INSERT INTO case_claims (channel_id, case_id, root_post_id, message_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING RETURNING root_post_id, message_id",
            &[&channel, &case_id, &root_post_id, &message_id],
        )
        .await?;
    let row = match inserted {
        Some(row) => row,
        None => client
            .query_one(
                "SELECT root_post_id, message_id FROM case_claims WHERE channel_id = $1 AND case_id = $2",
                &[&channel, &case_id],
            )
            .await?,
    };
    Ok(CaseClaim {
        root_post_id: row.get(0),
        message_id: row.get(1),
    })
}

/// The root post of each of `case_ids` that exists in `channel`.
pub async fn roots(
    client: &impl GenericClient,
    channel: Uuid,
    case_ids: &[String],
) -> Result<HashMap<String, Uuid>, StoreError> {
    let rows = client
        .query(
            "SELECT case_id, root_post_id FROM case_claims WHERE channel_id = $1 AND case_id = ANY($2)",
            &[&channel, &case_ids],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

//! Thread claims: the first message with a thread key in a channel claims
//! it, and its first post becomes the root. The primary key on
//! (channel, key) makes "exactly one root per key" hold under any
//! concurrency; a redelivered message finds its own claim and decides the
//! same again.

use crate::error::StoreError;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Who holds a thread key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadClaim {
    pub root_post_id: Uuid,
    pub message_id: Uuid,
}

/// Claims `key` in `channel` for `root_post_id` (part 0 of `message_id`)
/// unless it is already claimed; returns the claim that holds.
pub async fn claim(
    client: &impl GenericClient,
    channel: Uuid,
    key: &str,
    root_post_id: Uuid,
    message_id: Uuid,
) -> Result<ThreadClaim, StoreError> {
    let inserted = client
        .query_opt(
            "INSERT INTO thread_claims (channel_id, thread_key, root_post_id, message_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING RETURNING root_post_id, message_id",
            &[&channel, &key, &root_post_id, &message_id],
        )
        .await?;
    let row = match inserted {
        Some(row) => row,
        None => {
            client
                .query_one(
                    "SELECT root_post_id, message_id FROM thread_claims WHERE channel_id = $1 AND thread_key = $2",
                    &[&channel, &key],
                )
                .await?
        }
    };
    Ok(ThreadClaim {
        root_post_id: row.get(0),
        message_id: row.get(1),
    })
}

/// Whether `post` is a root post (not a reply) of `channel`.
pub async fn is_root_in(
    client: &impl GenericClient,
    post: Uuid,
    channel: Uuid,
) -> Result<bool, StoreError> {
    Ok(client
        .query_opt(
            "SELECT 1 FROM posts WHERE id = $1 AND channel_id = $2 AND root_id IS NULL",
            &[&post, &channel],
        )
        .await?
        .is_some())
}

//! Thread and case claims: the first message with a thread key (or an
//! emakin case id) in a channel claims it, and its first post becomes the
//! root that later messages join. The primary key on (channel, key) of
//! `thread_claims` and `case_claims` makes "exactly one root per key" hold
//! under any concurrency; a redelivered message finds its own claim and
//! decides the same again.

use crate::error::StoreError;
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// What is claimed: a thread key or a case id, each unique per channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimKind {
    Thread,
    Case,
}

impl ClaimKind {
    /// The statement that claims, and the one that reads the claim that
    /// holds when another message got there first.
    fn statements(self) -> (&'static str, &'static str) {
        match self {
            ClaimKind::Thread => (
                "INSERT INTO thread_claims (channel_id, thread_key, root_post_id, message_id) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING RETURNING root_post_id, message_id",
                "SELECT root_post_id, message_id FROM thread_claims WHERE channel_id = $1 AND thread_key = $2",
            ),
            ClaimKind::Case => (
                "INSERT INTO case_claims (channel_id, case_id, root_post_id, message_id) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING RETURNING root_post_id, message_id",
                "SELECT root_post_id, message_id FROM case_claims WHERE channel_id = $1 AND case_id = $2",
            ),
        }
    }
}

/// Who holds a thread key or a case id: the root post and the message
/// that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claim {
    pub root_post_id: Uuid,
    pub message_id: Uuid,
}

/// Claims `key` in `channel` for `root_post_id` (part 0 of `message_id`)
/// unless it is already claimed; returns the claim that holds.
pub async fn claim(
    client: &impl GenericClient,
    kind: ClaimKind,
    channel: Uuid,
    key: &str,
    root_post_id: Uuid,
    message_id: Uuid,
) -> Result<Claim, StoreError> {
    let (insert, select) = kind.statements();
    let inserted = client
        .query_opt(insert, &[&channel, &key, &root_post_id, &message_id])
        .await?;
    let row = match inserted {
        Some(row) => row,
        None => client.query_one(select, &[&channel, &key]).await?,
    };
    Ok(Claim {
        root_post_id: row.get(0),
        message_id: row.get(1),
    })
}

/// The root post of each of `case_ids` that exists in `channel`.
pub async fn case_roots(
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

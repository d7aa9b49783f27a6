//! Posts: the batch write (`batch.rs`) that assigns a gap-free per-channel
//! seq (`seq.rs`), the outbox watermark (`outbox.rs`), and reads (here).

mod batch;
mod outbox;
mod seq;

pub use batch::{BatchOutcome, MessagePosts, prune_idempotency_keys, store_batch};
pub use outbox::{
    mark_published, mark_published_lazily, pending_count, try_lock_relay, unpublished,
    unpublished_sql,
};

use crate::error::StoreError;
use crate::model::Post;
use tokio_postgres::GenericClient;
use uuid::Uuid;

pub async fn get(client: &impl GenericClient, id: Uuid) -> Result<Post, StoreError> {
    let sql = format!("SELECT {} FROM posts WHERE id = $1", Post::COLUMNS);
    let row = client
        .query_opt(&sql, &[&id])
        .await?
        .ok_or(StoreError::NotFound("post"))?;
    Ok(Post::from_row(&row))
}

/// A channel's posts with seq above `after_seq`, in seq order.
pub async fn list(
    client: &impl GenericClient,
    channel_id: Uuid,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Post>, StoreError> {
    let sql = format!(
        "SELECT {} FROM posts WHERE channel_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        Post::COLUMNS
    );
    let rows = client
        .query(&sql, &[&channel_id, &after_seq, &limit])
        .await?;
    Ok(rows.iter().map(Post::from_row).collect())
}

/// The posts made from one raw message, in part order.
pub async fn by_message(
    client: &impl GenericClient,
    message_id: Uuid,
) -> Result<Vec<Post>, StoreError> {
    let sql = format!(
        "SELECT {} FROM posts WHERE message_id = $1 ORDER BY part",
        Post::COLUMNS
    );
    Ok(client
        .query(&sql, &[&message_id])
        .await?
        .iter()
        .map(Post::from_row)
        .collect())
}

/// A thread: the root (when stored) and its replies, in seq order.
pub async fn thread(client: &impl GenericClient, root_id: Uuid) -> Result<Vec<Post>, StoreError> {
    let sql = format!(
        "SELECT {} FROM posts WHERE id = $1 OR root_id = $1 ORDER BY seq",
        Post::COLUMNS
    );
    Ok(client
        .query(&sql, &[&root_id])
        .await?
        .iter()
        .map(Post::from_row)
        .collect())
}

/// The message that first used an `Idempotency-Key` on a webhook.
pub async fn idempotent_original(
    client: &impl GenericClient,
    webhook_id: Uuid,
    key: &str,
) -> Result<Option<Uuid>, StoreError> {
    Ok(client
        .query_opt(
            "SELECT message_id FROM idempotency_keys WHERE webhook_id = $1 AND key = $2",
            &[&webhook_id, &key],
        )
        .await?
        .map(|r| r.get(0)))
}

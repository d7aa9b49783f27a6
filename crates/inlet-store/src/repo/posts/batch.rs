//! The batch write: one transaction and a constant number of round trips,
//! whatever its size. Dedupe by message id, lock the channel rows in id
//! order (no deadlocks between replicas), claim the senders' idempotency
//! keys, take the seqs (`seq.rs`), insert all posts with one statement. The
//! statements are prepared once per connection (the pool's statement
//! cache), and the dedupe and the lock go out together.

use super::seq::allocate_seqs;
use crate::error::StoreError;
use crate::model::{NewPost, Post};
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use std::collections::HashSet;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// The posts of one raw message: stored all together or not at all.
#[derive(Clone, Debug)]
pub struct MessagePosts {
    pub message_id: Uuid,
    pub posts: Vec<NewPost>,
    /// The sender's `Idempotency-Key`, scoped to its webhook: a second
    /// message with the same key within 24 h posts nothing.
    pub idempotency: Option<(Uuid, String)>,
}

/// What a batch did.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// Posts stored by this batch, in seq order per channel.
    pub stored: Vec<Post>,
    /// Messages already processed earlier (redeliveries): nothing written.
    pub duplicates: Vec<Uuid>,
}

/// Stores a batch of messages in one transaction.
pub async fn store_batch(
    client: &mut crate::pool::Client,
    batch: &[MessagePosts],
) -> Result<BatchOutcome, StoreError> {
    let tx = client.transaction().await?;
    let mut seen = HashSet::new();
    let ids: Vec<Uuid> = batch
        .iter()
        .map(|m| m.message_id)
        .filter(|id| seen.insert(*id))
        .collect();
    // Every channel the batch may write to, locked in id order while the
    // message ids are claimed (both in one round trip).
    let channel_ids: Vec<Uuid> = batch
        .iter()
        .flat_map(|m| m.posts.iter().map(|p| p.channel_id))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let claim = tx
        .prepare_cached(
            "INSERT INTO processed_messages (message_id) SELECT unnest($1::uuid[])
             ON CONFLICT DO NOTHING RETURNING message_id",
        )
        .await?;
    let lock = tx
        .prepare_cached("SELECT id FROM channels WHERE id = ANY($1) ORDER BY id FOR UPDATE")
        .await?;
    let (claimed, locked) =
        futures_util::future::join(tx.query(&claim, &[&ids]), tx.query(&lock, &[&channel_ids]))
            .await;
    let fresh: HashSet<Uuid> = claimed?.iter().map(|r| r.get(0)).collect();
    // A missing channel fails the seq allocation below, if it gets posts.
    locked?;
    let fresh = claim_idempotency_keys(&tx, batch, fresh).await?;
    let duplicates = ids
        .iter()
        .filter(|id| !fresh.contains(id))
        .copied()
        .collect();

    // Posts to write, in batch order, each message once.
    let mut written = HashSet::new();
    let posts: Vec<&NewPost> = batch
        .iter()
        .filter(|m| fresh.contains(&m.message_id) && written.insert(m.message_id))
        .flat_map(|m| m.posts.iter())
        .collect();
    if posts.is_empty() {
        tx.commit().await?;
        return Ok(BatchOutcome {
            stored: Vec::new(),
            duplicates,
        });
    }

    let (seqs, created_at) = allocate_seqs(&tx, &posts).await?;
    let stored = insert_posts(&tx, &posts, &seqs, created_at).await?;
    tx.commit().await?;
    Ok(BatchOutcome { stored, duplicates })
}

/// Records the idempotency keys of the fresh messages; a message whose key
/// an earlier message already holds is no longer fresh (it posts nothing).
async fn claim_idempotency_keys(
    tx: &Transaction<'_>,
    batch: &[MessagePosts],
    mut fresh: HashSet<Uuid>,
) -> Result<HashSet<Uuid>, StoreError> {
    let keyed: Vec<(Uuid, Uuid, &str)> = batch
        .iter()
        .filter(|m| fresh.contains(&m.message_id))
        .filter_map(|m| {
            m.idempotency
                .as_ref()
                .map(|(hook, key)| (*hook, m.message_id, key.as_str()))
        })
        .collect();
    if keyed.is_empty() {
        return Ok(fresh);
    }
    let hooks: Vec<Uuid> = keyed.iter().map(|k| k.0).collect();
    let messages: Vec<Uuid> = keyed.iter().map(|k| k.1).collect();
    let keys: Vec<&str> = keyed.iter().map(|k| k.2).collect();
    let statement = tx
        .prepare_cached(
            "INSERT INTO idempotency_keys (webhook_id, message_id, key)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[])
             ON CONFLICT (webhook_id, key) DO NOTHING RETURNING message_id",
        )
        .await?;
    let claimed: HashSet<Uuid> = tx
        .query(&statement, &[&hooks, &messages, &keys])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for message in messages.iter().filter(|m| !claimed.contains(m)) {
        fresh.remove(message);
    }
    Ok(fresh)
}

/// Forgets idempotency keys older than 24 h.
pub async fn prune_idempotency_keys(client: &impl GenericClient) -> Result<u64, StoreError> {
    Ok(client
        .execute(
            "DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'",
            &[],
        )
        .await?)
}

/// Inserts the posts with one statement and returns them as stored. The
/// rows are not read back: every column is what was sent, but `created_at`,
/// the transaction's `now()`. Reading them back doubled the bytes of a
/// batch on the connection and parsed every `props` again.
async fn insert_posts(
    tx: &Transaction<'_>,
    posts: &[&NewPost],
    seqs: &[i64],
    created_at: DateTime<Utc>,
) -> Result<Vec<Post>, StoreError> {
    let col = |f: fn(&NewPost) -> Uuid| posts.iter().map(|p| f(p)).collect::<Vec<Uuid>>();
    let ids = col(|p| p.id);
    let channels = col(|p| p.channel_id);
    let message_ids = col(|p| p.message_id);
    let roots: Vec<Option<Uuid>> = posts.iter().map(|p| p.root_id).collect();
    let thread_keys: Vec<Option<&str>> = posts.iter().map(|p| p.thread_key.as_deref()).collect();
    let case_ids: Vec<Option<&str>> = posts.iter().map(|p| p.case_id.as_deref()).collect();
    let messages: Vec<&str> = posts.iter().map(|p| p.message.as_str()).collect();
    let usernames: Vec<&str> = posts.iter().map(|p| p.username.as_str()).collect();
    let icons: Vec<Option<&str>> = posts.iter().map(|p| p.icon_url.as_deref()).collect();
    let props: Vec<&serde_json::Value> = posts.iter().map(|p| &p.props).collect();
    let webhooks: Vec<Option<Uuid>> = posts.iter().map(|p| p.webhook_id).collect();
    let dialects: Vec<&str> = posts.iter().map(|p| p.dialect.as_str()).collect();
    let parts: Vec<i32> = posts.iter().map(|p| p.part).collect();
    let received: Vec<DateTime<Utc>> = posts.iter().map(|p| p.received_at).collect();
    let statement = tx
        .prepare_cached(
            "INSERT INTO posts (id, channel_id, seq, root_id, thread_key, case_id, message, username,
                 icon_url, props, webhook_id, dialect, message_id, part, received_at, created_at)
             SELECT *, now() FROM unnest($1::uuid[], $2::uuid[], $3::int8[], $4::uuid[], $5::text[],
                 $6::text[], $7::text[], $8::text[], $9::text[], $10::jsonb[], $11::uuid[],
                 $12::text[], $13::uuid[], $14::int4[], $15::timestamptz[])",
        )
        .await?;
    let inserted = tx
        .execute(
            &statement,
            &[
                &ids,
                &channels,
                &seqs,
                &roots,
                &thread_keys,
                &case_ids,
                &messages,
                &usernames,
                &icons,
                &props,
                &webhooks,
                &dialects,
                &message_ids,
                &parts,
                &received,
            ],
        )
        .await?;
    if inserted != posts.len() as u64 {
        return Err(StoreError::Other(
            format!("{inserted} of {} posts inserted", posts.len()).into(),
        ));
    }
    let mut stored: Vec<Post> = posts
        .iter()
        .zip(seqs)
        .map(|(post, &seq)| Post::stored(post, seq, created_at))
        .collect();
    stored.sort_by_key(|p| (p.channel_id, p.seq));
    Ok(stored)
}

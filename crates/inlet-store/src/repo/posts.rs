//! Posts: the batch write that assigns a gap-free per-channel seq, the
//! outbox watermark, and reads.
//!
//! One batch is one transaction and a constant number of round trips,
//! whatever its size: dedupe by message id, lock the channel rows in id order
//! (no deadlocks between replicas), bump `last_seq` under that lock (so seq
//! becomes visible in commit order), insert all posts with one statement.
//! The batch's statements are prepared once per connection (the pool's
//! statement cache), and the dedupe and the lock go out together.

use crate::error::StoreError;
use crate::model::{NewPost, Post};
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use std::collections::{BTreeMap, HashSet};
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

/// Bumps each channel's `last_seq` by its number of posts (the rows are
/// locked already, in id order) and returns each post's seq, and the
/// transaction's `now()`, which is every post's `created_at`.
async fn allocate_seqs(
    tx: &Transaction<'_>,
    posts: &[&NewPost],
) -> Result<(Vec<i64>, DateTime<Utc>), StoreError> {
    let mut counts: BTreeMap<Uuid, i64> = BTreeMap::new();
    for post in posts {
        *counts.entry(post.channel_id).or_default() += 1;
    }
    let channel_ids: Vec<Uuid> = counts.keys().copied().collect();
    let increments: Vec<i64> = counts.values().copied().collect();
    let statement = tx
        .prepare_cached(
            "UPDATE channels SET last_seq = channels.last_seq + v.n
             FROM unnest($1::uuid[], $2::int8[]) AS v(id, n)
             WHERE channels.id = v.id RETURNING channels.id, channels.last_seq, now()",
        )
        .await?;
    let rows = tx.query(&statement, &[&channel_ids, &increments]).await?;
    if rows.len() != channel_ids.len() {
        return Err(StoreError::NotFound("channel of a post"));
    }
    let created_at: DateTime<Utc> = rows[0].get(2);
    // Next seq to hand out per channel: last_seq - n + 1.
    let mut next: BTreeMap<Uuid, i64> = rows
        .iter()
        .map(|r| {
            let id: Uuid = r.get(0);
            let last: i64 = r.get(1);
            (id, last - counts[&id] + 1)
        })
        .collect();
    let seqs = posts
        .iter()
        .map(|p| {
            let slot = next
                .get_mut(&p.channel_id)
                .expect("every channel was updated");
            let seq = *slot;
            *slot += 1;
            seq
        })
        .collect();
    Ok((seqs, created_at))
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

/// Advances the outbox watermark of each channel to `seq` (never back).
pub async fn mark_published(
    client: &impl GenericClient,
    marks: &[(Uuid, i64)],
) -> Result<(), StoreError> {
    if marks.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = marks.iter().map(|m| m.0).collect();
    let seqs: Vec<i64> = marks.iter().map(|m| m.1).collect();
    client
        .execute(
            "UPDATE channels SET published_seq = greatest(channels.published_seq, v.seq)
             FROM unnest($1::uuid[], $2::int8[]) AS v(id, seq)
             WHERE channels.id = v.id AND channels.published_seq < v.seq",
            &[&ids, &seqs],
        )
        .await?;
    Ok(())
}

/// [`mark_published`] in a transaction of its own (never inside another),
/// in one round trip, committed without waiting for the WAL flush: the
/// watermark is a hint for the outbox relay, and one lost in a crash only
/// makes the relay publish those posts again (listeners drop seqs they
/// have). The posts themselves are always committed synchronously.
pub async fn mark_published_lazily(
    client: &tokio_postgres::Client,
    marks: &[(Uuid, i64)],
) -> Result<(), StoreError> {
    if marks.is_empty() {
        return Ok(());
    }
    // The values are typed (uuid, i64): writing them inline is safe.
    let ids: Vec<String> = marks.iter().map(|m| m.0.to_string()).collect();
    let seqs: Vec<String> = marks.iter().map(|m| m.1.to_string()).collect();
    let sql = format!(
        "BEGIN; SET LOCAL synchronous_commit = off;
         UPDATE channels SET published_seq = greatest(channels.published_seq, v.seq)
         FROM unnest('{{{}}}'::uuid[], '{{{}}}'::int8[]) AS v(id, seq)
         WHERE channels.id = v.id AND channels.published_seq < v.seq;
         COMMIT;",
        ids.join(","),
        seqs.join(",")
    );
    client.batch_execute(&sql).await?;
    Ok(())
}

/// Posts above the watermark committed at least `grace` ago, oldest first,
/// at most `limit`, each with its channel's current watermark: what the
/// outbox relay re-publishes.
///
/// The query starts from the channels with unpublished posts and reads
/// only their posts above the watermark (a range of the `(channel_id, seq)`
/// index each), so its cost follows what is pending, never the size of
/// `posts`. Written as a plain join, the planner merged the whole posts
/// index with the channels: millions of rows read each second under load.
pub async fn unpublished(
    client: &impl GenericClient,
    grace: std::time::Duration,
    limit: i64,
) -> Result<Vec<(Post, i64)>, StoreError> {
    let sql = format!("{} ORDER BY c.id, p.seq LIMIT $2", unpublished_sql());
    let rows = client.query(&sql, &[&grace.as_secs_f64(), &limit]).await?;
    Ok(rows
        .iter()
        .map(|r| (Post::from_row(r), r.get(16)))
        .collect())
}

/// The relay's candidates (see [`unpublished`]), unordered and unlimited
/// (`$1` the grace in seconds, `$2` the most per channel); public so that
/// a test can look at its plan.
pub fn unpublished_sql() -> String {
    format!(
        "SELECT p.*, c.published_seq FROM channels c
         CROSS JOIN LATERAL (
             SELECT {} FROM posts
             WHERE channel_id = c.id AND seq > c.published_seq
               AND created_at < now() - make_interval(secs => $1)
             ORDER BY seq LIMIT $2
         ) p
         WHERE c.last_seq > c.published_seq",
        Post::COLUMNS
    )
}

/// Posts committed but not yet published on Redis, over all channels.
pub async fn pending_count(client: &impl GenericClient) -> Result<i64, StoreError> {
    let row = client
        .query_one(
            "SELECT coalesce(sum(last_seq - published_seq), 0)::int8 FROM channels WHERE last_seq > published_seq",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

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

//! The outbox: each channel's `published_seq` watermark says up to which
//! seq its posts are known to be on Redis; delivery advances it after
//! publishing, and the relay (inlet-delivery's `relay.rs`) re-publishes
//! what is above it once the grace period has passed.

use crate::error::StoreError;
use crate::model::Post;
use tokio_postgres::GenericClient;
use uuid::Uuid;

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

/// Takes the outbox relay's lock for the rest of `tx`: `false` when another
/// delivery replica's relay holds it (one relay pass at a time is enough).
pub async fn try_lock_relay(tx: &impl GenericClient) -> Result<bool, StoreError> {
    /// The advisory lock's key ("relay" in ASCII).
    const RELAY_LOCK: i64 = 0x0072_656c_6179;
    let row = tx
        .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&RELAY_LOCK])
        .await?;
    Ok(row.get(0))
}

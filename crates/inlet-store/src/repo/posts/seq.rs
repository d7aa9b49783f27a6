//! The gap-free per-channel seq. Each channel row holds its `last_seq`;
//! a batch bumps it by the channel's number of posts while the row is
//! locked (rows are locked in id order by the batch, so replicas never
//! deadlock), and hands out the seqs in between in batch order. Because
//! the bump happens under the lock and commits with the posts, seqs become
//! visible in commit order, without gaps: a reader that saw seq n has seen
//! every seq below it, and a gap means a post is still to come.

use crate::error::StoreError;
use crate::model::NewPost;
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Bumps each channel's `last_seq` by its number of posts (the rows are
/// locked already, in id order) and returns each post's seq, and the
/// transaction's `now()`, which is every post's `created_at`.
pub(super) async fn allocate_seqs(
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

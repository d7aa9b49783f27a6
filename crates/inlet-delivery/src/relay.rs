//! The outbox relay: re-publishes on Redis the posts whose publish failed
//! (Redis down, a crash between commit and publish). The outbox is a
//! watermark per channel (`published_seq`), not a row per post; the relay
//! publishes the contiguous run of posts above it that are older than a
//! grace period (so it does not race the worker's own publish) and advances
//! it. One relay at a time across replicas (an advisory lock).

use crate::event::publish_posts;
use crate::metrics::DeliveryMetrics;
use inlet_core::Settings;
use inlet_redis::RedisConnection;
use inlet_store::repo::posts;
use inlet_store::{Pool, StoreError};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Posts re-published per tick at most.
const TICK_LIMIT: i64 = 1_000;

pub struct Relay {
    pub settings: Settings,
    pub pool: Pool,
    pub redis: RedisConnection,
    pub metrics: DeliveryMetrics,
}

impl Relay {
    pub async fn run(&self, cancel: CancellationToken) {
        let interval = Duration::from_millis(self.settings.delivery.relay_interval_ms);
        let vacuum_every = Duration::from_millis(self.settings.delivery.vacuum_interval_ms);
        let mut vacuumed = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(interval) => {}
            }
            match self.tick().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(posts = n, "outbox relay re-published posts"),
                Err(error) => tracing::warn!(%error, "outbox relay tick failed"),
            }
            if !vacuum_every.is_zero() && vacuumed.elapsed() >= vacuum_every {
                vacuumed = tokio::time::Instant::now();
                self.vacuum().await;
            }
        }
    }

    /// Vacuums the channel counters (see `delivery.vacuum_interval_ms`).
    async fn vacuum(&self) {
        let result = match self.pool.get().await {
            Ok(client) => inlet_store::repo::channels::vacuum(&**client).await,
            Err(error) => Err(error.into()),
        };
        if let Err(error) = result {
            tracing::warn!(%error, "cannot vacuum the channel counters");
        }
    }

    /// One pass: returns how many posts were re-published.
    pub async fn tick(&self) -> Result<usize, RelayError> {
        let mut pooled = self.pool.get().await.map_err(StoreError::from)?;
        let client: &mut tokio_postgres::Client = &mut pooled;
        let tx = client.transaction().await.map_err(StoreError::from)?;
        if !posts::try_lock_relay(&tx).await? {
            return Ok(0);
        }
        let pending = posts::pending_count(&tx).await?;
        self.metrics.outbox_pending.set(pending);
        if pending == 0 {
            return Ok(0);
        }
        let grace = Duration::from_millis(self.settings.delivery.relay_grace_ms);
        let candidates = posts::unpublished(&tx, grace, TICK_LIMIT).await?;
        let contiguous = contiguous_runs(candidates);
        let marks = publish_posts(&self.redis, &self.settings.redis, &contiguous).await?;
        posts::mark_published(&tx, &marks).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.metrics
            .redis_publish
            .with_label_values(&["relayed"])
            .inc_by(contiguous.len() as u64);
        Ok(contiguous.len())
    }
}

/// Why a relay pass failed (the next tick tries again).
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

/// Keeps, per channel, the posts that directly follow the watermark without
/// a hole (a later post cannot be marked published before an earlier one).
fn contiguous_runs(candidates: Vec<(inlet_store::Post, i64)>) -> Vec<inlet_store::Post> {
    let mut out = Vec::with_capacity(candidates.len());
    let mut expected: Option<(uuid::Uuid, i64)> = None;
    for (post, watermark) in candidates {
        let next = match expected {
            Some((channel, next)) if channel == post.channel_id => next,
            _ => watermark + 1,
        };
        if post.seq == next {
            expected = Some((post.channel_id, next + 1));
            out.push(post);
        } else {
            // A hole: skip the rest of this channel until next tick.
            expected = Some((post.channel_id, i64::MIN));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use uuid::Uuid;

    fn post(channel: Uuid, seq: i64) -> inlet_store::Post {
        inlet_store::Post {
            id: Uuid::now_v7(),
            channel_id: channel,
            seq,
            root_id: None,
            thread_key: None,
            case_id: None,
            message: String::new(),
            username: String::new(),
            icon_url: None,
            props: serde_json::json!({}),
            webhook_id: None,
            dialect: "slack".into(),
            message_id: Uuid::now_v7(),
            part: 0,
            received_at: Utc::now(),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn only_the_run_right_above_the_watermark_is_relayed() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let candidates = vec![
            (post(a, 4), 3),
            (post(a, 5), 3),
            (post(a, 7), 3),
            (post(b, 2), 0),
        ];
        let seqs: Vec<(Uuid, i64)> = contiguous_runs(candidates)
            .iter()
            .map(|p| (p.channel_id, p.seq))
            .collect();
        assert_eq!(
            seqs,
            vec![(a, 4), (a, 5)],
            "b starts with a hole (1 missing), a stops before 6"
        );
    }
}

//! When each webhook was last used. A request only notes the time in
//! memory; a background task writes the notes to PostgreSQL every
//! `ingress.last_used_flush_ms`, all in one statement, so a busy webhook
//! costs one row update per interval instead of one per request.

use chrono::{DateTime, Utc};
use inlet_store::Pool;
use prometheus::IntCounterVec;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Uses noted since the last successful flush: the latest time per webhook.
#[derive(Default)]
pub struct LastUsed {
    pending: Mutex<HashMap<Uuid, DateTime<Utc>>>,
}

impl LastUsed {
    /// Notes that `webhook` was used at `at`. Never waits on the database.
    pub fn record(&self, webhook: Uuid, at: DateTime<Utc>) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        keep_latest(&mut pending, webhook, at);
    }

    /// Takes the noted uses, leaving none.
    fn take(&self) -> Vec<(Uuid, DateTime<Utc>)> {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *pending).into_iter().collect()
    }

    /// Puts back uses a failed flush could not write, unless a newer use of
    /// the same webhook was noted meanwhile.
    fn restore(&self, uses: Vec<(Uuid, DateTime<Utc>)>) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        for (webhook, at) in uses {
            keep_latest(&mut pending, webhook, at);
        }
    }

    /// Writes the noted uses; on failure they stay noted for the next flush.
    pub async fn flush(&self, pool: &Pool) -> Result<(), inlet_store::StoreError> {
        let uses = self.take();
        if uses.is_empty() {
            return Ok(());
        }
        let written = async {
            let client = pool.get().await?;
            inlet_store::repo::webhooks::record_last_used(&**client, &uses).await
        }
        .await;
        if written.is_err() {
            self.restore(uses);
        }
        written.map(|_| ())
    }

    /// Flushes every `interval` until `cancel`, then once more so a clean
    /// shutdown loses no use.
    pub async fn keep_flushing(
        &self,
        pool: Pool,
        interval: Duration,
        outcomes: IntCounterVec,
        cancel: CancellationToken,
    ) {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let stopping = tokio::select! {
                _ = ticks.tick() => false,
                _ = cancel.cancelled() => true,
            };
            match self.flush(&pool).await {
                Ok(()) => outcomes.with_label_values(&["ok"]).inc(),
                Err(error) => {
                    outcomes.with_label_values(&["failed"]).inc();
                    tracing::warn!(%error, "webhook last-used times not written; retried at the next flush");
                }
            }
            if stopping {
                return;
            }
        }
    }
}

fn keep_latest(pending: &mut HashMap<Uuid, DateTime<Utc>>, webhook: Uuid, at: DateTime<Utc>) {
    pending
        .entry(webhook)
        .and_modify(|known| *known = (*known).max(at))
        .or_insert(at);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).expect("valid time")
    }

    #[test]
    fn keeps_the_latest_use_per_webhook() {
        let uses = LastUsed::default();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        uses.record(a, at(20));
        uses.record(a, at(10));
        uses.record(b, at(5));
        let mut taken = uses.take();
        taken.sort_by_key(|(_, at)| *at);
        assert_eq!(taken, vec![(b, at(5)), (a, at(20))]);
        assert!(uses.take().is_empty(), "taking leaves nothing noted");
    }

    #[test]
    fn a_failed_flush_does_not_hide_a_newer_use() {
        let uses = LastUsed::default();
        let a = Uuid::new_v4();
        uses.record(a, at(10));
        let taken = uses.take();
        uses.record(a, at(30));
        uses.restore(taken);
        assert_eq!(uses.take(), vec![(a, at(30))]);
        uses.restore(vec![(a, at(10))]);
        assert_eq!(
            uses.take(),
            vec![(a, at(10))],
            "a restored use is flushed again"
        );
    }
}

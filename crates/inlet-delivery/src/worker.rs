//! Delivery's batch step, run by `inlet_bus::run_worker`: gather formatted
//! messages (up to `batch_size` or `batch_linger`), store them in one
//! transaction, publish the posts on Redis, advance the watermark,
//! acknowledge. PostgreSQL down holds the batch and retries it; a message
//! that fails for another reason is isolated and dead-lettered so its shard
//! moves on.

use crate::convert::{Incoming, Undecodable, formatted_messages, message_posts};
use crate::event::publish_posts;
use crate::metrics::DeliveryMetrics;
use chrono::Utc;
use inlet_bus::{
    Batch, BatchSink, BatchWorker, Batches, Consuming, Delivery, Hop, LaneSpec, Step, WorkerSpec,
    dependency_backoff, retry_until,
};
use inlet_core::Settings;
use inlet_proto::Message;
use inlet_proto::v1::FormattedMessage;
use inlet_redis::RedisConnection;
use inlet_store::dead_letters::Stage;
use inlet_store::repo::dead_letters::{self, NewDeadLetter};
use inlet_store::repo::posts::{self, BatchOutcome, MessagePosts};
use inlet_store::{Pool, Post, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Most bytes of formatted messages stored in one transaction: a batch's
/// memory (decoded posts, their props, the rows returned) is a few times
/// this.
const BATCH_MAX_BYTES: usize = 2 * 1024 * 1024;

pub struct Worker {
    pub settings: Settings,
    pub pool: Pool,
    pub redis: RedisConnection,
    pub metrics: DeliveryMetrics,
    pub consuming: Arc<Consuming>,
}

/// A formatted message that delivery dead-lettered: what its waiting
/// sender and its `Idempotency-Key` record are told.
pub struct DeadLettered {
    pub message_id: String,
    pub webhook_id: String,
    pub reply_to: String,
    pub idempotency_key: String,
    pub reason: String,
    pub detail: String,
    pub dead_letter_id: Uuid,
}

/// What a batch's deliveries hold: messages to store, and those already
/// dead-lettered as undecodable.
#[derive(Default)]
struct Decoded {
    incoming: Vec<Incoming>,
    failed: Vec<DeadLettered>,
}

impl Worker {
    /// Consumes until `cancel`; the batch in hand is finished (committed,
    /// published, acknowledged) first.
    pub async fn run(&self, cancel: CancellationToken) {
        let spec = self.spec();
        inlet_bus::run_worker(&self.settings.amqp, spec, &self.consuming, &cancel, self).await;
    }

    fn spec(&self) -> WorkerSpec {
        let cfg = &self.settings.delivery;
        // A batch is one transaction: up to `batch_size` broker messages or
        // BATCH_MAX_BYTES of them, waiting `batch_linger_ms` for more.
        let linger = Duration::from_millis(cfg.batch_linger_ms);
        let batches = Batches {
            max: cfg.batch_size,
            max_bytes: BATCH_MAX_BYTES,
            linger,
        };
        let who = ("inlet-delivery", Hop::Posts);
        let replica = (cfg.replica_index, cfg.replicas);
        let lanes = LaneSpec::new(who, cfg.prefetch, replica, cfg.lanes, cfg.standby_delay_ms);
        WorkerSpec { lanes, batches }
    }

    /// Decodes every delivery; what does not decode is dead-lettered at
    /// once. `None` on shutdown.
    async fn decode_all(
        &self,
        deliveries: &[Delivery],
        cancel: &CancellationToken,
    ) -> Option<Decoded> {
        let mut decoded = Decoded::default();
        for delivery in deliveries {
            let messages = match formatted_messages(&delivery.data) {
                Ok(messages) => messages,
                Err(why) => {
                    let detail = why.to_string();
                    let letter = NewDeadLetter::opaque(
                        Stage::Delivery,
                        Uuid::now_v7(),
                        &delivery.data,
                        "undecodable",
                        &detail,
                    );
                    let nobody = FormattedMessage::default();
                    self.dead_letter_until_done(&letter, &nobody, cancel)
                        .await?;
                    continue;
                }
            };
            for message in messages {
                match message_posts(&message) {
                    Ok(posts) => decoded.incoming.push(Incoming { message, posts }),
                    Err(why) => {
                        let letter = self.undecodable(&message, &why, cancel).await?;
                        decoded.failed.push(letter);
                    }
                }
            }
        }
        Some(decoded)
    }

    /// A message whose posts do not convert, dead-lettered as it came.
    async fn undecodable(
        &self,
        message: &FormattedMessage,
        why: &Undecodable,
        cancel: &CancellationToken,
    ) -> Option<DeadLettered> {
        let (payload, detail) = (message.encode_to_vec(), why.to_string());
        let letter = NewDeadLetter::from_formatted(message, &payload, "undecodable", &detail);
        self.dead_letter_until_done(&letter, message, cancel).await
    }

    /// Stores the batch, retrying while PostgreSQL is unavailable; on any
    /// other failure, stores message by message and dead-letters the ones
    /// that fail (returned beside the stored posts). `None` on shutdown.
    async fn store_with_retry(
        &self,
        incoming: &[Incoming],
        cancel: &CancellationToken,
    ) -> Option<(Vec<Post>, Vec<DeadLettered>)> {
        let all: Vec<MessagePosts> = incoming.iter().map(|i| i.posts.clone()).collect();
        match self.store_until_available(&all, cancel).await? {
            Ok(outcome) => Some((self.count(outcome), Vec::new())),
            Err(error) => {
                tracing::warn!(%error, "batch refused; isolating the message at fault");
                self.store_one_by_one(incoming, cancel).await
            }
        }
    }

    /// Stores each message on its own; the ones refused are dead-lettered.
    async fn store_one_by_one(
        &self,
        incoming: &[Incoming],
        cancel: &CancellationToken,
    ) -> Option<(Vec<Post>, Vec<DeadLettered>)> {
        let mut stored = Vec::new();
        let mut failed = Vec::new();
        for Incoming { message, posts } in incoming {
            let single = std::slice::from_ref(posts);
            match self.store_until_available(single, cancel).await? {
                Ok(outcome) => stored.extend(self.count(outcome)),
                Err(error) => failed.push(self.refused(message, &error, cancel).await?),
            }
        }
        Some((stored, failed))
    }

    /// A message the database refuses, dead-lettered with the reason.
    async fn refused(
        &self,
        message: &FormattedMessage,
        error: &StoreError,
        cancel: &CancellationToken,
    ) -> Option<DeadLettered> {
        let reason = match error {
            StoreError::Invalid(_) | StoreError::NotFound(_) => "rejected_by_database",
            _ => "database_error",
        };
        let (payload, detail) = (message.encode_to_vec(), error.to_string());
        let letter = NewDeadLetter::from_formatted(message, &payload, reason, &detail);
        self.dead_letter_until_done(&letter, message, cancel).await
    }

    /// `None` on shutdown; `Some(Err)` for a failure that is not an outage.
    async fn store_until_available(
        &self,
        batch: &[MessagePosts],
        cancel: &CancellationToken,
    ) -> Option<Result<BatchOutcome, StoreError>> {
        let what = "delivery waiting for PostgreSQL";
        retry_until(cancel, dependency_backoff(), what, || async move {
            let started = std::time::Instant::now();
            let result = match self.pool.get().await {
                Ok(mut client) => posts::store_batch(&mut client, batch).await,
                Err(error) => Err(error.into()),
            };
            match result {
                Err(error) if error.is_unavailable() => Err(error),
                other => {
                    self.metrics.commit.observe(started.elapsed().as_secs_f64());
                    Ok(other)
                }
            }
        })
        .await
    }

    fn count(&self, outcome: BatchOutcome) -> Vec<Post> {
        self.metrics.batch_size.observe(outcome.stored.len() as f64);
        self.metrics
            .posts
            .with_label_values(&["stored"])
            .inc_by(outcome.stored.len() as u64);
        self.metrics
            .posts
            .with_label_values(&["duplicate"])
            .inc_by(outcome.duplicates.len() as u64);
        outcome.stored
    }

    /// Publishes on Redis and advances the watermark; a failure leaves the
    /// posts to the outbox relay.
    async fn publish(&self, stored: &[Post]) {
        if stored.is_empty() {
            return;
        }
        let published = publish_posts(&self.redis, &self.settings.redis, stored).await;
        let outcome = if published.is_ok() { "ok" } else { "failed" };
        self.metrics
            .redis_publish
            .with_label_values(&[outcome])
            .inc_by(stored.len() as u64);
        match published {
            Ok(marks) => {
                self.observe_latency(stored);
                self.advance_watermark(&marks).await;
            }
            Err(error) => {
                tracing::warn!(%error, "Redis publish failed; the outbox relay will re-publish");
            }
        }
    }

    /// `inlet_end_to_end_seconds`: from ingress's receipt to the publish.
    fn observe_latency(&self, stored: &[Post]) {
        let now = Utc::now();
        for post in stored {
            let seconds = (now - post.received_at).num_microseconds().unwrap_or(0) as f64 / 1e6;
            self.metrics
                .end_to_end
                .with_label_values(&[inlet_proto::DialectName::label_of(&post.dialect)])
                .observe(seconds);
        }
    }

    async fn advance_watermark(&self, marks: &[(Uuid, i64)]) {
        let marked = match self.pool.get().await {
            Ok(client) => posts::mark_published_lazily(&client, marks).await,
            Err(error) => Err(error.into()),
        };
        if let Err(error) = marked {
            tracing::warn!(%error, "cannot advance the outbox watermark; the relay will re-publish");
        }
    }

    /// Records the dead letter, retrying until PostgreSQL takes it; what
    /// `message`'s sender is told. `None` on shutdown.
    async fn dead_letter_until_done(
        &self,
        letter: &NewDeadLetter<'_>,
        message: &FormattedMessage,
        cancel: &CancellationToken,
    ) -> Option<DeadLettered> {
        let what = "cannot record a dead letter";
        let id = retry_until(cancel, dependency_backoff(), what, || self.record(letter)).await?;
        let (reason, detail) = (letter.reason, letter.detail);
        self.metrics
            .posts
            .with_label_values(&["dead_lettered"])
            .inc_by(message.posts.len() as u64);
        self.metrics
            .dead_letters
            .with_label_values(&[crate::metrics::reason_label(reason)])
            .inc();
        let message_id = &message.message_id;
        if reason == "rejected_by_database" {
            tracing::error!(%message_id, %reason, %detail, dead_letter_id = %id, "the database refused a formatted message");
        } else {
            tracing::warn!(%message_id, %reason, %detail, dead_letter_id = %id, "formatted message dead-lettered");
        }
        Some(DeadLettered {
            message_id: message.message_id.clone(),
            webhook_id: message.webhook_id.clone(),
            reply_to: message.reply_to.clone(),
            idempotency_key: message.idempotency_key.clone(),
            reason: reason.to_string(),
            detail: detail.to_string(),
            dead_letter_id: id,
        })
    }

    async fn record(&self, letter: &NewDeadLetter<'_>) -> Result<Uuid, StoreError> {
        let client = self.pool.get().await?;
        dead_letters::record(&**client, letter).await
    }
}

impl BatchWorker for Worker {
    /// Stores, publishes, answers and acknowledges one batch.
    async fn process_batch<S: BatchSink>(&self, batch: Batch<'_, S>) -> Step {
        let cancel = batch.cancel;
        let Some(Decoded {
            incoming,
            mut failed,
        }) = self.decode_all(&batch.deliveries, cancel).await
        else {
            return Step::Stop;
        };
        let Some((stored, refused)) = self.store_with_retry(&incoming, cancel).await else {
            return Step::Stop;
        };
        failed.extend(refused);
        self.publish(&stored).await;
        let posted: Vec<&Incoming> = incoming
            .iter()
            .filter(|i| !failed.iter().any(|f| f.message_id == i.message.message_id))
            .collect();
        let (redis, replies) = ((&self.redis, &self.settings.redis), &*batch.sink);
        crate::verdicts::send_all(&posted, &stored, &self.pool, redis, replies).await;
        crate::verdicts::send_dead_lettered(&failed, redis, replies).await;
        batch.acknowledge().await
    }
}

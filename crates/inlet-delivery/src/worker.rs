//! Delivery's consume loop: gather formatted messages (up to `batch_size`
//! or `batch_linger`), store them in one transaction, publish the posts on
//! Redis, advance the watermark, acknowledge. PostgreSQL down holds the batch
//! and retries it; a message that fails for another reason is isolated and
//! dead-lettered so its shard moves on.

use crate::event::publish_posts;
use crate::metrics::DeliveryMetrics;
use chrono::{DateTime, Utc};
use inlet_bus::{Backoff, ConsumerSet, Consuming, Delivery, Hop, LaneSpec, run_lanes};
use inlet_core::Settings;
use inlet_proto::Message;
use inlet_proto::v1::{FormattedBatch, FormattedMessage, FormattedPost};
use inlet_redis::RedisConnection;
use inlet_store::repo::dead_letters::{self, NewDeadLetter};
use inlet_store::repo::posts::{self, BatchOutcome, MessagePosts};
use inlet_store::{NewPost, Pool, Post, StoreError};
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

impl Worker {
    pub async fn run(&self, cancel: CancellationToken) {
        let cfg = &self.settings.delivery;
        let spec = LaneSpec {
            name: "inlet-delivery",
            hop: Hop::Posts,
            prefetch: cfg.prefetch,
            replica_index: cfg.replica_index,
            replicas: cfg.replicas,
            lanes: cfg.lanes,
            standby_delay: Duration::from_millis(cfg.standby_delay_ms),
        };
        let consume = |mut set: ConsumerSet, round: CancellationToken| async move {
            self.consume(&mut set, &round).await;
            set
        };
        run_lanes(&self.settings.amqp, spec, &self.consuming, &cancel, consume).await;
    }

    async fn consume(&self, set: &mut ConsumerSet, cancel: &CancellationToken) {
        let max = self.settings.delivery.batch_size;
        let linger = Duration::from_millis(self.settings.delivery.batch_linger_ms);
        loop {
            let batch = tokio::select! {
                _ = cancel.cancelled() => return,
                batch = set.next_batch_within(max, BATCH_MAX_BYTES, linger) => batch,
            };
            match batch {
                Ok(deliveries) => {
                    if !self.process_batch(deliveries, set, cancel).await {
                        return;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "delivery lost its broker connection");
                    return;
                }
            }
        }
    }

    /// Stores, publishes and acknowledges one batch of deliveries. False
    /// when the consumer must be rebuilt (shutdown, acks failing).
    pub async fn process_batch(
        &self,
        deliveries: Vec<Delivery>,
        set: &mut ConsumerSet,
        cancel: &CancellationToken,
    ) -> bool {
        let mut messages = Vec::new();
        let mut failed = Vec::new();
        for delivery in &deliveries {
            match FormattedBatch::decode(delivery.data.as_slice()) {
                Ok(batch) => {
                    for message in batch.messages {
                        match to_message_posts(&message) {
                            Ok(posts) => messages.push((message, posts)),
                            Err(detail) => {
                                let Some(letter) = self
                                    .dead_letter_until_done(
                                        &message,
                                        "undecodable",
                                        &detail,
                                        cancel,
                                    )
                                    .await
                                else {
                                    return false;
                                };
                                failed.push(letter);
                            }
                        }
                    }
                }
                Err(error) => {
                    let message = FormattedMessage::default();
                    let detail = format!("undecodable formatted batch: {error}");
                    if self
                        .dead_letter_until_done(&message, "undecodable", &detail, cancel)
                        .await
                        .is_none()
                    {
                        return false;
                    }
                }
            }
        }
        let Some((stored, refused)) = self.store_with_retry(&messages, cancel).await else {
            return false;
        };
        failed.extend(refused);
        self.publish(&stored).await;
        let formatted: Vec<FormattedMessage> = messages
            .into_iter()
            .map(|(message, _)| message)
            .filter(|m| !failed.iter().any(|f| f.message_id == m.message_id))
            .collect();
        crate::verdicts::send_all(
            &formatted,
            &stored,
            &self.pool,
            &self.redis,
            &self.settings.redis,
            set.channel(),
        )
        .await;
        crate::verdicts::send_dead_lettered(
            &failed,
            &self.redis,
            &self.settings.redis,
            set.channel(),
        )
        .await;
        if let Err(error) = set.ack(&deliveries).await {
            tracing::warn!(%error, "cannot acknowledge; the posts are stored and redelivery will be a no-op");
            return false;
        }
        true
    }

    /// Stores the batch, retrying while PostgreSQL is unavailable; on any
    /// other failure, stores message by message and dead-letters the ones
    /// that fail (returned beside the stored posts). `None` on shutdown.
    async fn store_with_retry(
        &self,
        messages: &[(FormattedMessage, MessagePosts)],
        cancel: &CancellationToken,
    ) -> Option<(Vec<Post>, Vec<DeadLettered>)> {
        let all: Vec<MessagePosts> = messages.iter().map(|(_, p)| p.clone()).collect();
        match self.store_until_available(&all, cancel).await? {
            Ok(outcome) => Some((self.count(outcome), Vec::new())),
            Err(error) => {
                tracing::warn!(%error, "batch refused; isolating the message at fault");
                let mut stored = Vec::new();
                let mut failed = Vec::new();
                for (message, posts) in messages {
                    match self
                        .store_until_available(std::slice::from_ref(posts), cancel)
                        .await?
                    {
                        Ok(outcome) => stored.extend(self.count(outcome)),
                        Err(error) => {
                            let reason = match error {
                                StoreError::Invalid(_) | StoreError::NotFound(_) => {
                                    "rejected_by_database"
                                }
                                _ => "database_error",
                            };
                            let letter = self
                                .dead_letter_until_done(message, reason, &error.to_string(), cancel)
                                .await?;
                            failed.push(letter);
                        }
                    }
                }
                Some((stored, failed))
            }
        }
    }

    /// `None` on shutdown; `Some(Err)` for a failure that is not an outage.
    async fn store_until_available(
        &self,
        batch: &[MessagePosts],
        cancel: &CancellationToken,
    ) -> Option<Result<BatchOutcome, StoreError>> {
        let mut backoff = Backoff::new(Duration::from_secs(5));
        loop {
            let started = std::time::Instant::now();
            let result = match self.pool.get().await {
                Ok(mut client) => posts::store_batch(&mut client, batch).await,
                Err(error) => Err(error.into()),
            };
            match result {
                Err(error) if error.is_unavailable() => {
                    tracing::warn!(%error, "delivery waiting for PostgreSQL");
                    tokio::select! {
                        _ = cancel.cancelled() => return None,
                        _ = tokio::time::sleep(backoff.step()) => {}
                    }
                }
                other => {
                    self.metrics.commit.observe(started.elapsed().as_secs_f64());
                    return Some(other);
                }
            }
        }
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
        match publish_posts(&self.redis, &self.settings.redis, stored).await {
            Ok(marks) => {
                self.metrics
                    .redis_publish
                    .with_label_values(&["ok"])
                    .inc_by(stored.len() as u64);
                let now = Utc::now();
                for post in stored {
                    let seconds =
                        (now - post.received_at).num_microseconds().unwrap_or(0) as f64 / 1e6;
                    self.metrics
                        .end_to_end
                        .with_label_values(&[inlet_proto::DialectName::label_of(&post.dialect)])
                        .observe(seconds);
                }
                let marked = match self.pool.get().await {
                    Ok(client) => posts::mark_published_lazily(&client, &marks).await,
                    Err(error) => Err(error.into()),
                };
                if let Err(error) = marked {
                    tracing::warn!(%error, "cannot advance the outbox watermark; the relay will re-publish");
                }
            }
            Err(error) => {
                self.metrics
                    .redis_publish
                    .with_label_values(&["failed"])
                    .inc_by(stored.len() as u64);
                tracing::warn!(%error, "Redis publish failed; the outbox relay will re-publish");
            }
        }
    }

    /// Records the dead letter, retrying until PostgreSQL takes it; `None`
    /// on shutdown.
    async fn dead_letter_until_done(
        &self,
        message: &FormattedMessage,
        reason: &str,
        detail: &str,
        cancel: &CancellationToken,
    ) -> Option<DeadLettered> {
        let payload = message.encode_to_vec();
        let dialect = message.posts.first().map(|p| p.dialect.clone());
        let webhook_id = message
            .posts
            .first()
            .and_then(|p| Uuid::parse_str(&p.webhook_id).ok());
        let letter = NewDeadLetter {
            message_id: Uuid::parse_str(&message.message_id).unwrap_or_else(|_| Uuid::nil()),
            stage: "delivery",
            reason,
            detail,
            dialect: dialect.as_deref(),
            webhook_id,
            payload: &payload,
        };
        let mut backoff = Backoff::new(Duration::from_secs(5));
        loop {
            let result = match self.pool.get().await {
                Ok(client) => dead_letters::record(&**client, &letter).await,
                Err(error) => Err(error.into()),
            };
            match result {
                Ok(id) => {
                    self.metrics
                        .posts
                        .with_label_values(&["dead_lettered"])
                        .inc_by(message.posts.len() as u64);
                    self.metrics
                        .dead_letters
                        .with_label_values(&[crate::metrics::reason_label(reason)])
                        .inc();
                    if reason == "rejected_by_database" {
                        tracing::error!(message_id = %message.message_id, %reason, %detail, dead_letter_id = %id, "the database refused a formatted message");
                    } else {
                        tracing::warn!(message_id = %message.message_id, %reason, %detail, dead_letter_id = %id, "formatted message dead-lettered");
                    }
                    return Some(DeadLettered {
                        message_id: message.message_id.clone(),
                        webhook_id: message.webhook_id.clone(),
                        reply_to: message.reply_to.clone(),
                        idempotency_key: message.idempotency_key.clone(),
                        reason: reason.to_string(),
                        detail: detail.to_string(),
                        dead_letter_id: id,
                    });
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot record a dead letter; retrying");
                    tokio::select! {
                        _ = cancel.cancelled() => return None,
                        _ = tokio::time::sleep(backoff.step()) => {}
                    }
                }
            }
        }
    }
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

fn to_message_posts(message: &FormattedMessage) -> Result<MessagePosts, String> {
    let message_id =
        Uuid::parse_str(&message.message_id).map_err(|_| "bad message id".to_string())?;
    let posts = message
        .posts
        .iter()
        .map(to_new_post)
        .collect::<Result<Vec<_>, _>>()?;
    let idempotency = match (
        message.idempotency_key.is_empty(),
        Uuid::parse_str(&message.webhook_id),
    ) {
        (false, Ok(webhook)) => Some((webhook, message.idempotency_key.clone())),
        _ => None,
    };
    Ok(MessagePosts {
        message_id,
        posts,
        idempotency,
    })
}

fn to_new_post(post: &FormattedPost) -> Result<NewPost, String> {
    let uuid =
        |raw: &str, what: &str| Uuid::parse_str(raw).map_err(|_| format!("bad {what} {raw:?}"));
    let optional = |raw: &str| (!raw.is_empty()).then(|| raw.to_string());
    Ok(NewPost {
        id: uuid(&post.post_id, "post id")?,
        channel_id: uuid(&post.channel_id, "channel id")?,
        root_id: if post.root_id.is_empty() {
            None
        } else {
            Some(uuid(&post.root_id, "root id")?)
        },
        thread_key: optional(&post.thread_key),
        case_id: optional(&post.case_id),
        message: post.message.clone(),
        username: post.username.clone(),
        icon_url: optional(&post.icon_url),
        props: serde_json::from_str(&post.props_json).map_err(|e| format!("bad props: {e}"))?,
        webhook_id: Uuid::parse_str(&post.webhook_id).ok(),
        dialect: post.dialect.clone(),
        message_id: uuid(&post.message_id, "message id")?,
        part: i32::try_from(post.part).map_err(|_| "part out of range".to_string())?,
        received_at: DateTime::<Utc>::from_timestamp_micros(post.received_at_micros)
            .ok_or_else(|| "bad received_at".to_string())?,
    })
}

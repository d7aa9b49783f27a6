//! The formatter's consume loop. Deliveries are taken in batches (whatever
//! has arrived, up to the prefetch), each one raw webhook or a batch of them
//! (ingress's `RawBatch`), formatted in order, published to
//! delivery as one message per shard, and acknowledged only once confirmed.
//! A dependency outage holds the batch and retries it; it never closes the
//! channel (which would burn every message's delivery count).

use crate::format::{FormatError, Formatted, format_message};
use crate::metrics::FormatterMetrics;
use inlet_bus::{
    Backoff, BasicProperties, ConsumerSet, Consuming, Delivery, Hop, LaneSpec, Publisher, run_lanes,
};
use inlet_core::{Settings, shard_of};
use inlet_dialects::Rejection;
use inlet_directory::DialectLimits;
use inlet_directory::Directory;
use inlet_proto::Message;
use inlet_proto::v1::{FormattedBatch, FormattedMessage, RawWebhook, Verdict};
use inlet_store::repo;
use inlet_store::repo::dead_letters::{self, NewDeadLetter};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

/// Most bytes of formatted messages in one broker message of the posts
/// hop; a single message larger than this goes alone (ingress bounds it,
/// `inlet_dialects::storable::MAX_TRANSLATION_BYTES`).
const BATCH_MAX_BYTES: usize = 4 * 1024 * 1024;

pub struct Worker {
    pub settings: Settings,
    pub directory: Arc<Directory>,
    pub publisher: Arc<Publisher>,
    pub metrics: FormatterMetrics,
    pub consuming: Arc<Consuming>,
    /// Records rejections as the verdict of an `Idempotency-Key`.
    pub redis: inlet_redis::RedisConnection,
}

/// What became of one raw delivery.
enum Handled {
    Formatted(FormattedMessage),
    /// Dead-lettered or rejected: nothing to publish, acknowledge it.
    DeadLettered,
}

impl Worker {
    pub async fn run(&self, cancel: CancellationToken) {
        let cfg = &self.settings.formatter;
        let spec = LaneSpec {
            name: "inlet-formatter",
            hop: Hop::Raw,
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
        let max = usize::from(self.settings.formatter.prefetch);
        loop {
            let batch = tokio::select! {
                _ = cancel.cancelled() => return,
                batch = set.next_batch(max, Duration::ZERO) => batch,
            };
            match batch {
                Ok(deliveries) => {
                    if !self.process_batch(deliveries, set, cancel).await {
                        return;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "formatter lost its broker connection");
                    return;
                }
            }
        }
    }

    /// Formats, publishes and acknowledges one batch. Returns false when the
    /// consumer must be rebuilt (shutdown, or acks failing).
    pub async fn process_batch(
        &self,
        deliveries: Vec<Delivery>,
        set: &mut ConsumerSet,
        cancel: &CancellationToken,
    ) -> bool {
        let mut formatted = Vec::with_capacity(deliveries.len());
        for delivery in &deliveries {
            for webhook in webhooks_of(delivery) {
                match self.handle_with_retry(&webhook, cancel).await {
                    Some(Handled::Formatted(message)) => formatted.push(message),
                    Some(Handled::DeadLettered) => {}
                    None => return false,
                }
            }
        }
        if !self.publish_with_retry(formatted, cancel).await {
            return false;
        }
        if let Err(error) = set.ack(&deliveries).await {
            tracing::warn!(%error, "cannot acknowledge; the messages will be redelivered");
            return false;
        }
        true
    }

    /// Handles one webhook, retrying transient failures until they pass.
    /// `None` on shutdown.
    async fn handle_with_retry(
        &self,
        webhook: &Webhook,
        cancel: &CancellationToken,
    ) -> Option<Handled> {
        let mut backoff = Backoff::new(Duration::from_secs(5));
        loop {
            match self.handle(webhook).await {
                Ok(handled) => return Some(handled),
                Err(detail) => {
                    self.metrics
                        .messages
                        .with_label_values(&["unknown", "retried"])
                        .inc();
                    tracing::warn!(%detail, "formatter waiting for a dependency");
                    tokio::select! {
                        _ = cancel.cancelled() => return None,
                        _ = tokio::time::sleep(backoff.step()) => {}
                    }
                }
            }
        }
    }

    /// `Err` is a transient failure (retry); poison is dead-lettered and
    /// rejections recorded here, and a waiting sender told.
    async fn handle(&self, webhook: &Webhook) -> Result<Handled, String> {
        let started = Instant::now();
        let raw = match &webhook.decoded {
            Ok(raw) => raw,
            Err(error) => {
                let raw = RawWebhook {
                    message_id: webhook.fallback_id.clone(),
                    ..Default::default()
                };
                // Nobody can be told: the waiting sender's id is in the bytes.
                let reply_to = if webhook.alone { &webhook.reply_to } else { "" };
                self.dead_letter(&raw, &webhook.bytes, reply_to, "undecodable", error)
                    .await?;
                return Ok(Handled::DeadLettered);
            }
        };
        // A batch's reply-to is for those of its webhooks whose sender waits.
        let reply_to = if raw.wait || webhook.alone {
            webhook.reply_to.as_str()
        } else {
            ""
        };
        let span = tracing::info_span!("format", message_id = %raw.message_id);
        let limits = self.settings.limits.dialect_limits();
        let result = format_message(&self.directory, limits, raw, reply_to)
            .instrument(span)
            .await;
        let dialect = inlet_dialects::metric_label(&raw.dialect);
        self.metrics
            .duration
            .with_label_values(&[dialect])
            .observe(started.elapsed().as_secs_f64());
        let (handled, outcome) = match result {
            Ok(Formatted::Posts(message)) => (Handled::Formatted(message), "posted"),
            Ok(Formatted::Rejected(rejection)) => {
                self.reject(raw, reply_to, &rejection).await?;
                (Handled::DeadLettered, "duplicate")
            }
            Err(FormatError::Transient(detail)) => return Err(detail),
            Err(FormatError::Poison { reason, detail }) => {
                self.dead_letter(raw, &webhook.bytes, reply_to, &reason, &detail)
                    .await?;
                tracing::warn!(message_id = %raw.message_id, %reason, %detail, "raw webhook dead-lettered");
                (Handled::DeadLettered, "dead_lettered")
            }
        };
        self.metrics
            .messages
            .with_label_values(&[dialect, outcome])
            .inc();
        Ok(handled)
    }

    /// Records a rejection decided by the rules and tells a waiting sender.
    async fn reject(
        &self,
        raw: &RawWebhook,
        reply_to: &str,
        rejection: &Rejection,
    ) -> Result<(), String> {
        let client = self
            .directory
            .pool()
            .get()
            .await
            .map_err(|e| e.to_string())?;
        let message_id = Uuid::parse_str(&raw.message_id).unwrap_or_else(|_| Uuid::nil());
        let webhook_id = Uuid::parse_str(&raw.webhook_id).ok();
        repo::rejections::record(
            &**client,
            message_id,
            webhook_id,
            rejection.code.as_str(),
            &rejection.detail,
        )
        .await
        .map_err(|e| e.to_string())?;
        let verdict = Verdict {
            message_id: raw.message_id.clone(),
            error: rejection.code.as_str().into(),
            detail: rejection.detail.clone(),
            ..Default::default()
        };
        self.tell(raw, reply_to, &verdict).await;
        Ok(())
    }

    async fn dead_letter(
        &self,
        raw: &RawWebhook,
        payload: &[u8],
        reply_to: &str,
        reason: &str,
        detail: &str,
    ) -> Result<(), String> {
        let client = self
            .directory
            .pool()
            .get()
            .await
            .map_err(|e| e.to_string())?;
        let letter = NewDeadLetter {
            message_id: Uuid::parse_str(&raw.message_id).unwrap_or_else(|_| Uuid::nil()),
            stage: "formatter",
            reason,
            detail,
            dialect: (!raw.dialect.is_empty()).then_some(raw.dialect.as_str()),
            webhook_id: Uuid::parse_str(&raw.webhook_id).ok(),
            payload,
        };
        let id = dead_letters::record(&**client, &letter)
            .await
            .map_err(|e| e.to_string())?;
        self.metrics
            .dead_letters
            .with_label_values(&[crate::metrics::reason_label(reason)])
            .inc();
        let verdict = Verdict {
            message_id: raw.message_id.clone(),
            error: reason.into(),
            detail: detail.into(),
            dead_letter_id: id.to_string(),
            ..Default::default()
        };
        self.tell(raw, reply_to, &verdict).await;
        Ok(())
    }

    /// Tells a waiting sender (if any) the verdict, never retried, and
    /// keeps it for repeats of the sender's `Idempotency-Key`.
    async fn tell(&self, raw: &RawWebhook, reply_to: &str, verdict: &Verdict) {
        let bytes = verdict.encode_to_vec();
        if !reply_to.is_empty() {
            self.publisher
                .reply(reply_to, &verdict.message_id, &bytes)
                .await;
        }
        if !raw.idempotency_key.is_empty() {
            let (hook, key) = (&raw.webhook_id, &raw.idempotency_key);
            inlet_redis::idempotency::remember(
                &self.redis,
                &self.settings.redis,
                hook,
                key,
                &raw.message_id,
                &bytes,
            )
            .await;
        }
    }

    /// Publishes the formatted messages, one broker message per shard (in
    /// order within the shard; several when they would exceed
    /// [`BATCH_MAX_BYTES`]), retrying until confirmed. Shards go side by
    /// side; a shard's broker messages one after the other, so a retry
    /// never puts a later one ahead. False on shutdown.
    async fn publish_with_retry(
        &self,
        formatted: Vec<FormattedMessage>,
        cancel: &CancellationToken,
    ) -> bool {
        let shards = self.settings.amqp.shards;
        let mut by_shard: BTreeMap<u16, Vec<FormattedBatch>> = BTreeMap::new();
        for message in formatted {
            let shard = shard_of(&message.ordering_key, shards);
            let batches = by_shard.entry(shard).or_default();
            let size = message.encoded_len();
            match batches.last_mut() {
                Some(last)
                    if last.messages.is_empty() || last.encoded_len() + size <= BATCH_MAX_BYTES =>
                {
                    last.messages.push(message)
                }
                _ => batches.push(FormattedBatch {
                    messages: vec![message],
                }),
            }
        }
        let shards = by_shard.into_iter().map(|(shard, batches)| {
            let encoded: Vec<Vec<u8>> = batches.iter().map(|b| b.encode_to_vec()).collect();
            self.publish_shard(shard, encoded, cancel)
        });
        // Shard groups that were confirmed before a retry may be published
        // again on redelivery; delivery deduplicates by message id.
        futures_util::future::join_all(shards)
            .await
            .into_iter()
            .all(|published| published)
    }

    /// Publishes one shard's broker messages in order, each retried until
    /// confirmed. False on shutdown.
    async fn publish_shard(
        &self,
        shard: u16,
        encoded: Vec<Vec<u8>>,
        cancel: &CancellationToken,
    ) -> bool {
        let mut backoff = Backoff::new(Duration::from_secs(5));
        for bytes in &encoded {
            loop {
                let properties =
                    BasicProperties::default().with_content_type("application/x-protobuf".into());
                match self
                    .publisher
                    .publish(Hop::Posts, shard, bytes, properties)
                    .await
                {
                    Ok(_) => break,
                    Err(error) => {
                        tracing::warn!(%error, shard, "formatted posts not confirmed; retrying");
                        tokio::select! {
                            _ = cancel.cancelled() => return false,
                            _ = tokio::time::sleep(backoff.step()) => {}
                        }
                    }
                }
            }
        }
        true
    }
}

/// One raw webhook of a delivery, decoded once (retries reuse it).
struct Webhook {
    /// The encoded `RawWebhook`: what a dead letter keeps and a replay
    /// publishes again.
    bytes: Vec<u8>,
    decoded: Result<RawWebhook, String>,
    /// The delivery's reply-to (the waiting senders' direct reply-to).
    reply_to: String,
    /// The delivery held this webhook alone (not a batch).
    alone: bool,
    /// The message id to record when the bytes cannot be decoded: the
    /// delivery's, or a new one for an entry of a batch (each bad entry
    /// is a dead letter of its own).
    fallback_id: String,
}

/// The webhooks a delivery of the raw hop holds: itself, or a batch's
/// entries in receipt order. An undecodable batch is one undecodable
/// webhook (dead-lettered whole).
fn webhooks_of(delivery: &Delivery) -> Vec<Webhook> {
    let properties = &delivery.properties;
    let reply_to = properties
        .reply_to()
        .as_ref()
        .map(|r| r.to_string())
        .unwrap_or_default();
    let message_id = properties
        .message_id()
        .as_ref()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let kind = properties.kind().as_ref().map(|k| k.as_str());
    let entries = match inlet_proto::raw_webhooks(kind, &delivery.data) {
        Ok(entries) => entries,
        Err(error) => {
            return vec![Webhook {
                bytes: delivery.data.clone(),
                decoded: Err(format!("undecodable batch: {error}")),
                reply_to,
                alone: true,
                fallback_id: message_id,
            }];
        }
    };
    let alone = entries.len() == 1 && kind != Some(inlet_proto::RAW_BATCH_TYPE);
    entries
        .into_iter()
        .map(|bytes| {
            let decoded = RawWebhook::decode(bytes.as_slice()).map_err(|e| e.to_string());
            let fallback_id = match (&decoded, alone) {
                (Err(_), false) => Uuid::now_v7().to_string(),
                _ => message_id.clone(),
            };
            Webhook {
                decoded,
                bytes,
                reply_to: reply_to.clone(),
                alone,
                fallback_id,
            }
        })
        .collect()
}

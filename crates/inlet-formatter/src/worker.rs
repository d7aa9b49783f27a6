//! The formatter's consume loop. Deliveries are taken in batches (whatever
//! has arrived, up to the prefetch), formatted in order, published to
//! delivery as one message per shard, and acknowledged only once confirmed.
//! A dependency outage holds the batch and retries it; it never closes the
//! channel (which would burn every message's delivery count).

use crate::format::{FormatError, format_message};
use crate::metrics::FormatterMetrics;
use inlet_bus::{
    Backoff, BasicProperties, ConsumerSet, Delivery, Hop, Publisher, Topology, preferred_shards,
};
use inlet_core::{Settings, shard_of};
use inlet_proto::Message;
use inlet_proto::v1::{FormattedBatch, FormattedMessage, RawWebhook};
use inlet_store::Directory;
use inlet_store::repo::dead_letters::{self, NewDeadLetter};
use lapin::options::BasicAckOptions;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

pub struct Worker {
    pub settings: Settings,
    pub directory: Arc<Directory>,
    pub publisher: Arc<Publisher>,
    pub metrics: FormatterMetrics,
    pub consuming: Arc<AtomicBool>,
}

/// What became of one raw delivery.
enum Handled {
    Formatted(FormattedMessage),
    DeadLettered,
}

impl Worker {
    pub async fn run(&self, cancel: CancellationToken) {
        let amqp = &self.settings.amqp;
        let cfg = &self.settings.formatter;
        let topology = Topology::new(amqp);
        let mut backoff = Backoff::new(Duration::from_millis(amqp.reconnect_max_backoff_ms));
        while !cancel.is_cancelled() {
            let shards = preferred_shards(cfg.replica_index, cfg.replicas, amqp.shards);
            let standby = Duration::from_millis(cfg.standby_delay_ms);
            let opened = ConsumerSet::open(
                &amqp.url,
                "inlet-formatter",
                &topology,
                Hop::Raw,
                cfg.prefetch,
                shards,
                standby,
            )
            .await;
            match opened {
                Ok(mut set) => {
                    backoff.reset();
                    self.consuming.store(true, Ordering::Relaxed);
                    tracing::info!("formatter consuming");
                    self.consume(&mut set, &cancel).await;
                    self.consuming.store(false, Ordering::Relaxed);
                    set.close().await;
                }
                Err(error) => tracing::warn!(%error, "formatter cannot consume; retrying"),
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(backoff.step()) => {}
            }
        }
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
                    if !self.process_batch(deliveries, cancel).await {
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
        cancel: &CancellationToken,
    ) -> bool {
        let mut formatted = Vec::with_capacity(deliveries.len());
        for delivery in &deliveries {
            match self.handle_with_retry(delivery, cancel).await {
                Some(Handled::Formatted(message)) => formatted.push(message),
                Some(Handled::DeadLettered) => {}
                None => return false,
            }
        }
        if !self.publish_with_retry(formatted, cancel).await {
            return false;
        }
        for delivery in deliveries {
            if let Err(error) = delivery.ack(BasicAckOptions::default()).await {
                tracing::warn!(%error, "cannot acknowledge; the messages will be redelivered");
                return false;
            }
        }
        true
    }

    /// Handles one delivery, retrying transient failures until they pass.
    /// `None` on shutdown.
    async fn handle_with_retry(
        &self,
        delivery: &Delivery,
        cancel: &CancellationToken,
    ) -> Option<Handled> {
        let mut backoff = Backoff::new(Duration::from_secs(5));
        loop {
            match self.handle(delivery).await {
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

    /// `Err` is a transient failure (retry); poison is dead-lettered here.
    async fn handle(&self, delivery: &Delivery) -> Result<Handled, String> {
        let started = Instant::now();
        let raw = match RawWebhook::decode(delivery.data.as_slice()) {
            Ok(raw) => raw,
            Err(error) => {
                let id = delivery
                    .properties
                    .message_id()
                    .as_ref()
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                let raw = RawWebhook {
                    message_id: id,
                    ..Default::default()
                };
                self.dead_letter(&raw, &delivery.data, "undecodable", &error.to_string())
                    .await?;
                return Ok(Handled::DeadLettered);
            }
        };
        let span = tracing::info_span!("format", message_id = %raw.message_id);
        let result = format_message(&self.directory, self.settings.limits.dialect_limits(), &raw)
            .instrument(span)
            .await;
        let dialect = metric_dialect(&raw.dialect);
        self.metrics
            .duration
            .with_label_values(&[dialect])
            .observe(started.elapsed().as_secs_f64());
        match result {
            Ok(message) => {
                self.metrics
                    .messages
                    .with_label_values(&[dialect, "posted"])
                    .inc();
                Ok(Handled::Formatted(message))
            }
            Err(FormatError::Transient(detail)) => Err(detail),
            Err(FormatError::Poison { reason, detail }) => {
                self.dead_letter(&raw, &delivery.data, &reason, &detail)
                    .await?;
                self.metrics
                    .messages
                    .with_label_values(&[dialect, "dead_lettered"])
                    .inc();
                tracing::warn!(message_id = %raw.message_id, %reason, %detail, "raw webhook dead-lettered");
                Ok(Handled::DeadLettered)
            }
        }
    }

    async fn dead_letter(
        &self,
        raw: &RawWebhook,
        payload: &[u8],
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
        dead_letters::record(&**client, &letter)
            .await
            .map_err(|e| e.to_string())
    }

    /// Publishes the formatted messages, one broker message per shard (in
    /// order within the shard), retrying until confirmed. False on shutdown.
    async fn publish_with_retry(
        &self,
        formatted: Vec<FormattedMessage>,
        cancel: &CancellationToken,
    ) -> bool {
        let shards = self.settings.amqp.shards;
        let mut by_shard: BTreeMap<u16, FormattedBatch> = BTreeMap::new();
        for message in formatted {
            let shard = shard_of(&message.ordering_key, shards);
            by_shard.entry(shard).or_default().messages.push(message);
        }
        let encoded: Vec<(u16, Vec<u8>)> = by_shard
            .into_iter()
            .map(|(s, b)| (s, b.encode_to_vec()))
            .collect();
        let mut backoff = Backoff::new(Duration::from_secs(5));
        let mut pending: Vec<&(u16, Vec<u8>)> = encoded.iter().collect();
        while !pending.is_empty() {
            let results = futures_util::future::join_all(pending.iter().map(|(shard, bytes)| {
                let properties =
                    BasicProperties::default().with_content_type("application/x-protobuf".into());
                self.publisher
                    .publish(Hop::Posts, *shard, bytes, properties)
            }))
            .await;
            let mut failed = Vec::new();
            for (item, result) in pending.into_iter().zip(results) {
                if let Err(error) = result {
                    tracing::warn!(%error, shard = item.0, "formatted posts not confirmed; retrying");
                    failed.push(item);
                }
            }
            pending = failed;
            if !pending.is_empty() {
                tokio::select! {
                    _ = cancel.cancelled() => return false,
                    _ = tokio::time::sleep(backoff.step()) => {}
                }
            }
        }
        // Shard groups that were confirmed before a retry may be published
        // again on redelivery; delivery deduplicates by message id.
        true
    }
}

/// Dialect label values are a fixed set; anything else is `other`.
fn metric_dialect(dialect: &str) -> &'static str {
    match dialect {
        "slack" => "slack",
        "talkspirit" => "talkspirit",
        "emakin" => "emakin",
        d if d.starts_with("integration/") => "integration",
        _ => "other",
    }
}

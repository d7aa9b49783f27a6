//! The formatter's batch step, run by `inlet_bus::run_worker`. Deliveries
//! come in batches (whatever has arrived, up to the prefetch), each one raw
//! webhook or a batch of them (ingress's `RawBatch`), formatted in order,
//! published to delivery as one message per shard, and acknowledged only
//! once confirmed. A dependency outage holds the batch and retries it; it
//! never closes the channel (which would burn every message's delivery count).

use crate::format::{FormatError, Formatted, format_message};
use crate::metrics::FormatterMetrics;
use crate::raw_webhooks::{Webhook, webhooks_of};
use inlet_bus::{
    Batch, BatchSink, BatchWorker, Batches, Consuming, Delivery, Hop, LaneSpec, Publisher, Step,
    WorkerSpec, dependency_backoff, retry_until,
};
use inlet_core::{Settings, shard_of};
use inlet_dialects::Rejection;
use inlet_directory::DialectLimits;
use inlet_directory::Directory;
use inlet_proto::Message;
use inlet_proto::v1::{FormattedBatch, FormattedMessage, RawWebhook, Verdict};
use inlet_store::dead_letters::message_id_or_new;
use inlet_store::pool::Client;
use inlet_store::repo::dead_letters::{self, NewDeadLetter};
use inlet_store::{StoreError, repo};
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

/// What became of one raw webhook.
enum Handled {
    Formatted(FormattedMessage),
    /// Dead-lettered or rejected: nothing to publish, acknowledge it.
    NoPosts,
}

/// A webhook that makes no posts, and why: what is recorded and told.
enum NoPosts<'a> {
    /// Refused by the rules (kept as a rejection).
    Rejected(&'a Rejection),
    /// Poison: kept as a dead letter.
    DeadLettered(Poison<'a>),
}

/// A poison webhook: its bytes and why it fails.
struct Poison<'a> {
    payload: &'a [u8],
    reason: &'a str,
    detail: &'a str,
}

impl<'a> NoPosts<'a> {
    fn dead_lettered(payload: &'a [u8], reason: &'a str, detail: &'a str) -> Self {
        NoPosts::DeadLettered(Poison {
            payload,
            reason,
            detail,
        })
    }
}

impl Worker {
    /// Consumes until `cancel`; the batch in hand is finished first.
    pub async fn run(&self, cancel: CancellationToken) {
        let spec = self.spec();
        inlet_bus::run_worker(&self.settings.amqp, spec, &self.consuming, &cancel, self).await;
    }

    fn spec(&self) -> WorkerSpec {
        let cfg = &self.settings.formatter;
        let replica = (cfg.replica_index, cfg.replicas);
        let who = ("inlet-formatter", Hop::Raw);
        let lanes = LaneSpec::new(who, cfg.prefetch, replica, cfg.lanes, cfg.standby_delay_ms);
        // Whatever has arrived, up to the prefetch: formatting is quick and
        // a shard's next webhooks should not wait for more.
        let max = usize::from(cfg.prefetch);
        let batches = Batches {
            max,
            max_bytes: usize::MAX,
            linger: Duration::ZERO,
        };
        WorkerSpec { lanes, batches }
    }

    /// Formats every webhook of the batch, in order. `None` on shutdown.
    async fn format_all(
        &self,
        deliveries: &[Delivery],
        cancel: &CancellationToken,
    ) -> Option<Vec<FormattedMessage>> {
        let mut formatted = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            for webhook in webhooks_of(delivery) {
                if let Handled::Formatted(message) =
                    self.handle_with_retry(&webhook, cancel).await?
                {
                    formatted.push(message);
                }
            }
        }
        Some(formatted)
    }

    /// Handles one webhook, retrying while a dependency is down. `None` on
    /// shutdown.
    async fn handle_with_retry(
        &self,
        webhook: &Webhook,
        cancel: &CancellationToken,
    ) -> Option<Handled> {
        let what = "formatter waiting for a dependency";
        retry_until(cancel, dependency_backoff(), what, || async move {
            let handled = self.handle(webhook).await;
            if handled.is_err() {
                self.count("unknown", "retried");
            }
            handled
        })
        .await
    }

    /// `Err` is a dependency that is down (retry); poison is dead-lettered
    /// and rejections recorded here, and a waiting sender told.
    async fn handle(&self, webhook: &Webhook) -> Result<Handled, StoreError> {
        let raw = match &webhook.decoded {
            Ok(raw) => raw,
            Err(error) => return self.undecodable(webhook, &error.to_string()).await,
        };
        let reply_to = webhook.reply_to_for(raw);
        let started = Instant::now();
        let span = tracing::info_span!("format", message_id = %raw.message_id);
        let limits = self.settings.limits.dialect_limits();
        let result = format_message(&self.directory, limits, raw, reply_to)
            .instrument(span)
            .await;
        let dialect = inlet_proto::DialectName::label_of(&raw.dialect);
        let took = started.elapsed().as_secs_f64();
        self.metrics
            .duration
            .with_label_values(&[dialect])
            .observe(took);
        let (handled, outcome) = self.settle(raw, webhook, reply_to, result).await?;
        self.count(dialect, outcome);
        Ok(handled)
    }

    /// `inlet_formatter_messages_total{dialect, outcome}`.
    fn count(&self, dialect: &str, outcome: &str) {
        let messages = self.metrics.messages.with_label_values(&[dialect, outcome]);
        messages.inc();
    }

    /// Bytes that are no raw webhook: a dead letter under the delivery's
    /// id (or one of its own, for an entry of a batch).
    async fn undecodable(&self, webhook: &Webhook, error: &str) -> Result<Handled, StoreError> {
        let raw = RawWebhook {
            message_id: webhook.fallback_id.clone(),
            ..Default::default()
        };
        // Nobody can be told: the waiting sender's id is in the bytes.
        let reply_to = if webhook.alone { &webhook.reply_to } else { "" };
        let poison = NoPosts::dead_lettered(&webhook.bytes, "undecodable", error);
        self.record_and_tell(&raw, reply_to, poison).await?;
        Ok(Handled::NoPosts)
    }

    /// What a formatting result means: posts to publish, or a rejection or
    /// dead letter recorded (with the outcome label); `Err` to retry.
    async fn settle(
        &self,
        raw: &RawWebhook,
        webhook: &Webhook,
        reply_to: &str,
        result: Result<Formatted, FormatError>,
    ) -> Result<(Handled, &'static str), StoreError> {
        match result {
            Ok(Formatted::Posts(message)) => Ok((Handled::Formatted(message), "posted")),
            Ok(Formatted::Rejected(rejection)) => {
                let rejected = NoPosts::Rejected(&rejection);
                self.record_and_tell(raw, reply_to, rejected).await?;
                Ok((Handled::NoPosts, "duplicate"))
            }
            Err(FormatError::Transient(error)) => Err(error),
            Err(FormatError::Poison { reason, detail }) => {
                let poison = NoPosts::dead_lettered(&webhook.bytes, &reason, &detail);
                self.record_and_tell(raw, reply_to, poison).await?;
                tracing::warn!(message_id = %raw.message_id, %reason, %detail, "raw webhook dead-lettered");
                Ok((Handled::NoPosts, "dead_lettered"))
            }
        }
    }

    /// Records a rejection or a dead letter, then tells a waiting sender.
    async fn record_and_tell(
        &self,
        raw: &RawWebhook,
        reply_to: &str,
        outcome: NoPosts<'_>,
    ) -> Result<(), StoreError> {
        let client = self.directory.pool().get().await?;
        let verdict = match outcome {
            NoPosts::Rejected(rejection) => record_rejection(&client, raw, rejection).await?,
            NoPosts::DeadLettered(poison) => self.record_dead_letter(&client, raw, poison).await?,
        };
        self.tell(raw, reply_to, &verdict).await;
        Ok(())
    }

    async fn record_dead_letter(
        &self,
        client: &Client,
        raw: &RawWebhook,
        poison: Poison<'_>,
    ) -> Result<Verdict, StoreError> {
        let (reason, detail) = (poison.reason, poison.detail);
        let letter = NewDeadLetter::from_raw(raw, poison.payload, reason, detail);
        let id = dead_letters::record(&***client, &letter).await?;
        let label = crate::metrics::reason_label(reason);
        self.metrics.dead_letters.with_label_values(&[label]).inc();
        Ok(verdict_of(raw, reason, detail, Some(id)))
    }

    /// Keeps the verdict for repeats of the sender's `Idempotency-Key`,
    /// then tells a waiting sender (if any), never retried. In that order:
    /// a sender that has its answer and repeats the key at once must find
    /// the verdict kept, not a `202`.
    async fn tell(&self, raw: &RawWebhook, reply_to: &str, verdict: &Verdict) {
        let bytes = verdict.encode_to_vec();
        if !raw.idempotency_key.is_empty() {
            let (hook, key, id) = (&raw.webhook_id, &raw.idempotency_key, &raw.message_id);
            let (redis, settings) = (&self.redis, &self.settings.redis);
            inlet_redis::idempotency::remember(redis, settings, hook, key, id, &bytes).await;
        }
        if !reply_to.is_empty() {
            let id = &verdict.message_id;
            self.publisher.reply(reply_to, id, &bytes).await;
        }
    }

    /// Publishes the formatted messages, one broker message per shard (see
    /// [`by_shard`]), retrying until confirmed. Shards go side by side; a
    /// shard's broker messages one after the other, so a retry never puts a
    /// later one ahead. False on shutdown.
    async fn publish_with_retry(
        &self,
        formatted: Vec<FormattedMessage>,
        cancel: &CancellationToken,
    ) -> bool {
        let shards = by_shard(formatted, self.settings.amqp.shards);
        let shards = shards.into_iter().map(|(shard, batches)| {
            let encoded: Vec<Vec<u8>> = batches.iter().map(|b| b.encode_to_vec()).collect();
            self.publish_shard(shard, encoded, cancel)
        });
        // Shard groups that were confirmed before a retry may be published
        // again on redelivery; delivery deduplicates by message id.
        futures_util::future::join_all(shards)
            .await
            .into_iter()
            .all(|published| published.is_some())
    }

    /// Publishes one shard's broker messages in order, each retried until
    /// confirmed. `None` on shutdown.
    async fn publish_shard(
        &self,
        shard: u16,
        encoded: Vec<Vec<u8>>,
        cancel: &CancellationToken,
    ) -> Option<()> {
        let what = format!("formatted posts of shard {shard} not confirmed");
        for bytes in &encoded {
            let properties = || inlet_bus::properties(None);
            let publish = || {
                self.publisher
                    .publish(Hop::Posts, shard, bytes, properties())
            };
            retry_until(cancel, dependency_backoff(), &what, publish).await?;
        }
        Some(())
    }
}

impl BatchWorker for Worker {
    /// Formats, publishes and acknowledges one batch.
    async fn process_batch<S: BatchSink>(&self, batch: Batch<'_, S>) -> Step {
        let Some(formatted) = self.format_all(&batch.deliveries, batch.cancel).await else {
            return Step::Stop;
        };
        if !self.publish_with_retry(formatted, batch.cancel).await {
            return Step::Stop;
        }
        batch.acknowledge().await
    }
}

/// Records a rejection decided by the rules.
async fn record_rejection(
    client: &Client,
    raw: &RawWebhook,
    rejection: &Rejection,
) -> Result<Verdict, StoreError> {
    let (code, detail) = (rejection.code.as_str(), rejection.detail.as_str());
    let message_id = message_id_or_new(&raw.message_id);
    let webhook_id = Uuid::parse_str(&raw.webhook_id).ok();
    repo::rejections::record(&***client, message_id, webhook_id, code, detail).await?;
    Ok(verdict_of(raw, code, detail, None))
}

/// The verdict of a webhook that makes no posts.
fn verdict_of(raw: &RawWebhook, error: &str, detail: &str, dead_letter: Option<Uuid>) -> Verdict {
    Verdict {
        message_id: raw.message_id.clone(),
        error: error.into(),
        detail: detail.into(),
        dead_letter_id: dead_letter.map(|id| id.to_string()).unwrap_or_default(),
        ..Default::default()
    }
}

/// The formatted messages grouped by shard, in order within a shard, as
/// broker messages of at most [`BATCH_MAX_BYTES`] (a larger message alone).
fn by_shard(formatted: Vec<FormattedMessage>, shards: u16) -> BTreeMap<u16, Vec<FormattedBatch>> {
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
    by_shard
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(key: &str, bytes: usize) -> FormattedMessage {
        FormattedMessage {
            ordering_key: key.into(),
            idempotency_key: "x".repeat(bytes),
            ..Default::default()
        }
    }

    #[test]
    fn a_shard_gets_one_broker_message_until_it_would_be_too_large() {
        let big = BATCH_MAX_BYTES / 2;
        let formatted = vec![message("a", 10), message("a", big), message("a", big)];
        let grouped = by_shard(formatted, 1);
        let sizes: Vec<usize> = grouped[&0].iter().map(|b| b.messages.len()).collect();
        assert_eq!(sizes, [2, 1]);
    }

    #[test]
    fn a_verdict_without_posts_names_its_dead_letter() {
        let raw = RawWebhook {
            message_id: "m".into(),
            ..Default::default()
        };
        let id = Uuid::now_v7();
        let verdict = verdict_of(&raw, "undecodable", "bad", Some(id));
        assert_eq!(verdict.dead_letter_id, id.to_string());
        assert!(!verdict.ok);
        assert_eq!(
            verdict_of(&raw, "already_reported", "", None).dead_letter_id,
            ""
        );
    }
}

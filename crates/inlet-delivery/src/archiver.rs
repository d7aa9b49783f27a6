//! The archiver of the broker's dead-letter queue. A message that exhausts
//! its shard queue's delivery limit (a worker crashing on it again and
//! again) is dead-lettered by RabbitMQ into `…dead`; the archiver moves each
//! into the `dead_letters` table, where operators see, replay or discard it,
//! and only then acknowledges it. A raw webhook becomes one formatter-stage
//! dead letter (a batch of them one each); a formatted batch one
//! delivery-stage dead letter per message.

use inlet_bus::{
    Backoff, Batch, BatchSink, BatchWorker, Batches, ConsumerSet, Delivery, Hop, Step, Topology,
    dependency_backoff, retry_until,
};
use inlet_core::Settings;
use inlet_proto::Message;
use inlet_proto::v1::{FormattedBatch, RawWebhook};
use inlet_store::dead_letters::Stage;
use inlet_store::pool::Client;
use inlet_store::repo::dead_letters::{self, NewDeadLetter};
use inlet_store::{Pool, StoreError};
use lapin::types::{AMQPValue, FieldTable};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub struct Archiver {
    settings: Settings,
    pool: Pool,
    /// Names the queue a dead letter died in (`x-first-death-queue`).
    topology: Topology,
}

const REASON: &str = "delivery_limit";

/// The connection's and the consumer's name.
const NAME: &str = "inlet-delivery-archiver";

/// How a message came to the dead-letter queue (its `x-first-death-*`
/// headers, read once: retries record the same letters).
struct Death {
    queue: String,
    /// The hop whose queue gave up on it; `None` for a queue of no hop.
    hop: Option<Hop>,
    /// The delivery's own message id, else one of its own.
    message_id: Uuid,
    detail: String,
}

impl Archiver {
    pub fn new(settings: Settings, pool: Pool, topology: Topology) -> Self {
        Self {
            settings,
            pool,
            topology,
        }
    }

    /// Archives until `cancel`, reconnecting with backoff.
    pub async fn run(self, cancel: CancellationToken) {
        let prefetch = self.settings.delivery.archiver_prefetch;
        let batches = Batches {
            max: usize::from(prefetch),
            max_bytes: usize::MAX,
            linger: Duration::ZERO,
        };
        while let Some(mut set) = self.open(prefetch, &cancel).await {
            inlet_bus::worker::consume(&self, NAME, batches, &mut set, &cancel).await;
            set.close().await;
            if cancel.is_cancelled() {
                return;
            }
        }
    }

    /// The consumer of the dead-letter queue; `None` on shutdown.
    async fn open(&self, prefetch: u16, cancel: &CancellationToken) -> Option<ConsumerSet> {
        let amqp = &self.settings.amqp;
        let backoff = Backoff::new(Duration::from_millis(amqp.reconnect_max_backoff_ms));
        let limit = Duration::from_millis(amqp.open_timeout_ms);
        let what = "dead-letter archiver cannot consume";
        retry_until(cancel, backoff, what, || {
            let opening = ConsumerSet::open_dead_letters(&amqp.url, NAME, &self.topology, prefetch);
            inlet_bus::within(limit, opening)
        })
        .await
    }

    /// Records the delivery's dead letters, retrying while PostgreSQL is
    /// away; `false` when cancelled first.
    async fn archive_until_done(&self, delivery: &Delivery, cancel: &CancellationToken) -> bool {
        let death = self.death_of(delivery);
        let what = "cannot archive a dead letter";
        retry_until(cancel, dependency_backoff(), what, || {
            self.archive(delivery, &death)
        })
        .await
        .is_some()
    }

    fn death_of(&self, delivery: &Delivery) -> Death {
        let headers = delivery.properties.headers().clone().unwrap_or_default();
        let queue = text_header(&headers, "x-first-death-queue").unwrap_or_default();
        let why = text_header(&headers, "x-first-death-reason").unwrap_or_else(|| "unknown".into());
        let message_id = delivery.properties.message_id().as_ref();
        let limit = self.settings.amqp.delivery_limit;
        Death {
            hop: self.topology.hop_of_queue(&queue),
            message_id: message_id
                .and_then(|id| Uuid::parse_str(id.as_str()).ok())
                .unwrap_or_else(Uuid::now_v7),
            detail: format!("the broker gave up on it in {queue} ({why}) after {limit} deliveries"),
            queue,
        }
    }

    async fn archive(&self, delivery: &Delivery, death: &Death) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        match death.hop {
            Some(Hop::Posts) => archive_formatted(&client, delivery, death).await,
            // Raw webhooks (or something unknown: kept as the formatter's).
            Some(Hop::Raw) | None => archive_raw_delivery(&client, delivery, death).await,
        }
    }
}

impl BatchWorker for Archiver {
    /// Archives each delivery, then acknowledges the batch.
    async fn process_batch<S: BatchSink>(&self, batch: Batch<'_, S>) -> Step {
        for delivery in &batch.deliveries {
            if !self.archive_until_done(delivery, batch.cancel).await {
                return Step::Stop; // shutting down: the broker redelivers it later
            }
        }
        batch.acknowledge().await
    }
}

/// A formatted batch: one delivery-stage dead letter per message.
async fn archive_formatted(
    client: &Client,
    delivery: &Delivery,
    death: &Death,
) -> Result<(), StoreError> {
    let messages = match FormattedBatch::decode(delivery.data.as_slice()) {
        Ok(batch) => batch.messages,
        Err(error) => {
            return record_opaque(
                client,
                Stage::Delivery,
                death.message_id,
                death,
                &error,
                &delivery.data,
            )
            .await;
        }
    };
    for message in &messages {
        let payload = message.encode_to_vec();
        let letter = NewDeadLetter::from_formatted(message, &payload, REASON, &death.detail);
        dead_letters::record(&***client, &letter).await?;
    }
    let queue = &death.queue;
    tracing::warn!(messages = messages.len(), %queue, "formatted batch archived as dead letters");
    Ok(())
}

/// A delivery of the raw hop: one formatter-stage dead letter per webhook.
async fn archive_raw_delivery(
    client: &Client,
    delivery: &Delivery,
    death: &Death,
) -> Result<(), StoreError> {
    let kind = delivery.properties.kind().as_ref().map(|k| k.as_str());
    match inlet_proto::raw_webhooks(kind, &delivery.data) {
        Ok(entries) => {
            let alone = entries.len() == 1;
            for payload in &entries {
                archive_raw(client, payload, alone, death).await?;
            }
            Ok(())
        }
        Err(error) => {
            record_opaque(
                client,
                Stage::Formatter,
                death.message_id,
                death,
                &error,
                &delivery.data,
            )
            .await
        }
    }
}

/// One raw webhook (alone, or an entry of a batch) as a dead letter of
/// its own, with its own bytes, so that a replay publishes it alone.
async fn archive_raw(
    client: &Client,
    payload: &[u8],
    alone: bool,
    death: &Death,
) -> Result<(), StoreError> {
    match RawWebhook::decode(payload) {
        Ok(raw) => {
            let letter = NewDeadLetter::from_raw(&raw, payload, REASON, &death.detail);
            dead_letters::record(&***client, &letter).await?;
            let queue = &death.queue;
            tracing::warn!(message_id = %raw.message_id, %queue, "raw webhook archived as a dead letter");
            Ok(())
        }
        Err(error) => {
            // A bad entry of a batch gets an id of its own.
            let id = if alone {
                death.message_id
            } else {
                Uuid::now_v7()
            };
            record_opaque(client, Stage::Formatter, id, death, &error, payload).await
        }
    }
}

/// Bytes that do not decode, kept as they are.
async fn record_opaque(
    client: &Client,
    stage: Stage,
    message_id: Uuid,
    death: &Death,
    error: &inlet_proto::DecodeError,
    payload: &[u8],
) -> Result<(), StoreError> {
    let detail = format!("{}; undecodable: {error}", death.detail);
    let letter = NewDeadLetter::opaque(stage, message_id, payload, REASON, &detail);
    dead_letters::record(&***client, &letter).await?;
    Ok(())
}

fn text_header(headers: &FieldTable, name: &str) -> Option<String> {
    match headers.inner().get(name)? {
        AMQPValue::LongString(s) => Some(s.to_string()),
        AMQPValue::ShortString(s) => Some(s.to_string()),
        _ => None,
    }
}

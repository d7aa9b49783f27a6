//! The archiver of the broker's dead-letter queue. A message that exhausts
//! its shard queue's delivery limit (a worker crashing on it again and
//! again) is dead-lettered by RabbitMQ into `…dead`; the archiver moves each
//! into the `dead_letters` table, where operators see, replay or discard it,
//! and only then acknowledges it. A raw webhook becomes one formatter-stage
//! dead letter (a batch of them one each); a formatted batch one delivery-stage dead letter per message.

use futures_util::StreamExt;
use inlet_bus::{Backoff, Topology};
use inlet_core::Settings;
use inlet_proto::Message;
use inlet_proto::v1::{FormattedBatch, RawWebhook};
use inlet_store::Pool;
use inlet_store::repo::dead_letters::{self, NewDeadLetter};
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::{AMQPValue, FieldTable};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub struct Archiver {
    pub settings: Settings,
    pub pool: Pool,
}

const REASON: &str = "delivery_limit";

impl Archiver {
    /// Archives until `cancel`, reconnecting with backoff.
    pub async fn run(self, cancel: CancellationToken) {
        let max = Duration::from_millis(self.settings.amqp.reconnect_max_backoff_ms);
        let mut backoff = Backoff::new(max);
        while !cancel.is_cancelled() {
            match self.session(&cancel).await {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(%error, "dead-letter archiver disconnected; retrying");
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = tokio::time::sleep(backoff.step()) => {}
                    }
                }
            }
        }
    }

    async fn session(&self, cancel: &CancellationToken) -> anyhow::Result<()> {
        let topology = Topology::new(&self.settings.amqp);
        let connection =
            inlet_bus::connect(&self.settings.amqp.url, "inlet-delivery-archiver").await?;
        let channel = connection.create_channel().await?;
        topology.declare(&channel).await?;
        channel.basic_qos(16, BasicQosOptions::default()).await?;
        let mut consumer = channel
            .basic_consume(
                topology.dead_letter_queue().into(),
                "inlet-delivery-archiver".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        loop {
            let delivery = tokio::select! {
                _ = cancel.cancelled() => {
                    let _ = connection.close(200, "shutting down".into()).await;
                    return Ok(());
                }
                next = consumer.next() => match next {
                    Some(delivery) => delivery?,
                    None => anyhow::bail!("the dead-letter consumer was cancelled"),
                },
            };
            if !self.archive_until_done(&delivery, cancel).await {
                return Ok(()); // shutting down: the broker redelivers it later
            }
            delivery.ack(BasicAckOptions::default()).await?;
        }
    }

    /// Records the delivery's dead letters, retrying while PostgreSQL is
    /// away; `false` when cancelled first.
    async fn archive_until_done(&self, delivery: &Delivery, cancel: &CancellationToken) -> bool {
        let mut backoff = Backoff::new(Duration::from_secs(5));
        loop {
            match self.archive(delivery).await {
                Ok(()) => return true,
                Err(error) => {
                    tracing::warn!(%error, "cannot archive a dead letter; retrying");
                    tokio::select! {
                        _ = cancel.cancelled() => return false,
                        _ = tokio::time::sleep(backoff.step()) => {}
                    }
                }
            }
        }
    }

    async fn archive(&self, delivery: &Delivery) -> anyhow::Result<()> {
        let headers = delivery.properties.headers().clone().unwrap_or_default();
        let queue = text_header(&headers, "x-first-death-queue").unwrap_or_default();
        let why = text_header(&headers, "x-first-death-reason").unwrap_or_else(|| "unknown".into());
        let message_id = delivery
            .properties
            .message_id()
            .as_ref()
            .and_then(|id| Uuid::parse_str(id.as_str()).ok())
            .unwrap_or_else(Uuid::nil);
        let client = self.pool.get().await?;
        let detail = format!(
            "the broker gave up on it in {queue} ({why}) after {} deliveries",
            self.settings.amqp.delivery_limit
        );
        if queue.contains(".posts.") {
            let batch = FormattedBatch::decode(delivery.data.as_slice());
            match batch {
                Ok(batch) => {
                    for message in &batch.messages {
                        let payload = message.encode_to_vec();
                        let first = message.posts.first();
                        dead_letters::record(
                            &**client,
                            &NewDeadLetter {
                                message_id: Uuid::parse_str(&message.message_id)
                                    .unwrap_or(message_id),
                                stage: "delivery",
                                reason: REASON,
                                detail: &detail,
                                dialect: first.map(|p| p.dialect.as_str()),
                                webhook_id: first.and_then(|p| Uuid::parse_str(&p.webhook_id).ok()),
                                payload: &payload,
                            },
                        )
                        .await?;
                    }
                    tracing::warn!(messages = batch.messages.len(), %queue, "formatted batch archived as dead letters");
                }
                Err(error) => {
                    self.record_opaque(
                        &client,
                        message_id,
                        "delivery",
                        &format!("{detail}; undecodable: {error}"),
                        &delivery.data,
                    )
                    .await?;
                }
            }
        } else {
            // Raw webhooks (or something unknown: kept as the formatter's).
            let kind = delivery.properties.kind().as_ref().map(|k| k.as_str());
            match inlet_proto::raw_webhooks(kind, &delivery.data) {
                Ok(entries) => {
                    let alone = entries.len() == 1;
                    for payload in &entries {
                        self.archive_raw(&client, payload, message_id, alone, &detail, &queue)
                            .await?;
                    }
                }
                Err(error) => {
                    self.record_opaque(
                        &client,
                        message_id,
                        "formatter",
                        &format!("{detail}; undecodable: {error}"),
                        &delivery.data,
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// One raw webhook (alone, or an entry of a batch) as a dead letter of
    /// its own, with its own bytes, so that a replay publishes it alone.
    async fn archive_raw(
        &self,
        client: &inlet_store::pool::Client,
        payload: &[u8],
        delivery_id: Uuid,
        alone: bool,
        detail: &str,
        queue: &str,
    ) -> anyhow::Result<()> {
        match RawWebhook::decode(payload) {
            Ok(raw) => {
                dead_letters::record(
                    &***client,
                    &NewDeadLetter {
                        message_id: Uuid::parse_str(&raw.message_id).unwrap_or(delivery_id),
                        stage: "formatter",
                        reason: REASON,
                        detail,
                        dialect: (!raw.dialect.is_empty()).then_some(raw.dialect.as_str()),
                        webhook_id: Uuid::parse_str(&raw.webhook_id).ok(),
                        payload,
                    },
                )
                .await?;
                tracing::warn!(message_id = %raw.message_id, %queue, "raw webhook archived as a dead letter");
            }
            Err(error) => {
                // A bad entry of a batch gets an id of its own.
                let id = if alone { delivery_id } else { Uuid::now_v7() };
                let detail = format!("{detail}; undecodable: {error}");
                self.record_opaque(client, id, "formatter", &detail, payload)
                    .await?;
            }
        }
        Ok(())
    }

    async fn record_opaque(
        &self,
        client: &inlet_store::pool::Client,
        message_id: Uuid,
        stage: &str,
        detail: &str,
        payload: &[u8],
    ) -> anyhow::Result<()> {
        dead_letters::record(
            &***client,
            &NewDeadLetter {
                message_id,
                stage,
                reason: REASON,
                detail,
                dialect: None,
                webhook_id: None,
                payload,
            },
        )
        .await?;
        Ok(())
    }
}

fn text_header(headers: &FieldTable, name: &str) -> Option<String> {
    match headers.inner().get(name)? {
        AMQPValue::LongString(s) => Some(s.to_string()),
        AMQPValue::ShortString(s) => Some(s.to_string()),
        _ => None,
    }
}

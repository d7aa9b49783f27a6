//! Verdicts for senders that wait, over RabbitMQ's direct reply-to.
//!
//! A request that waits is published on a channel that consumes
//! `amq.rabbitmq.reply-to` (the broker requires it), with `reply_to` and
//! `correlation_id` (the message id) set. Whoever decides the outcome sends
//! the verdict to the default exchange with `reply_to` as routing key,
//! without `mandatory` and without tying it to an ack: a requester that is
//! gone must never cause a retry. A channel that is rebuilt loses its pending
//! waits; they time out and the sender gets `202`.

use futures_util::StreamExt;
use lapin::Channel;
use lapin::options::{BasicConsumeOptions, BasicPublishOptions};
use lapin::types::FieldTable;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// The pseudo-queue of direct reply-to.
pub const DIRECT_REPLY_TO: &str = "amq.rabbitmq.reply-to";

/// Senders waiting for a verdict, by correlation id.
#[derive(Default)]
pub struct Waiters(Mutex<HashMap<String, oneshot::Sender<Vec<u8>>>>);

impl Waiters {
    pub fn register(&self, correlation_id: &str) -> oneshot::Receiver<Vec<u8>> {
        let (tx, rx) = oneshot::channel();
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(correlation_id.to_string(), tx);
        rx
    }

    pub fn forget(&self, correlation_id: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(correlation_id);
    }

    fn deliver(&self, correlation_id: &str, payload: Vec<u8>) {
        let waiter = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(correlation_id);
        if let Some(waiter) = waiter {
            let _ = waiter.send(payload);
        }
    }
}

/// Consumes the direct reply-to of `channel`, handing each verdict to its
/// waiter; ends when the channel does.
pub(crate) async fn consume(channel: &Channel, waiters: Arc<Waiters>) -> Result<(), lapin::Error> {
    let options = BasicConsumeOptions {
        no_ack: true,
        ..Default::default()
    };
    let mut consumer = channel
        .basic_consume(
            DIRECT_REPLY_TO.into(),
            "".into(),
            options,
            FieldTable::default(),
        )
        .await?;
    tokio::spawn(async move {
        while let Some(Ok(delivery)) = consumer.next().await {
            if let Some(id) = delivery.properties.correlation_id() {
                waiters.deliver(id.as_str(), delivery.data);
            }
        }
    });
    Ok(())
}

/// Sends a verdict to a waiting sender (best effort by design).
pub async fn send(channel: &Channel, reply_to: &str, correlation_id: &str, payload: &[u8]) {
    let properties = crate::properties(None).with_correlation_id(correlation_id.into());
    let sent = channel
        .basic_publish(
            "".into(),
            reply_to.into(),
            BasicPublishOptions::default(),
            payload,
            properties,
        )
        .await;
    if let Err(error) = sent {
        tracing::debug!(%error, "verdict not sent; the sender will get 202");
    }
}

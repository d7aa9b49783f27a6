//! Publishing raw webhooks, several per broker message when they come fast
//! (group commit).
//!
//! Each shard has a lane: a queue and a task that publishes what the queue
//! holds, in order, on the shard's channel, with at most
//! `ingress.publish_in_flight` publishes of the shard awaiting the broker's
//! confirm. A webhook that arrives while the lane is free leaves at once,
//! alone, as a bare `RawWebhook`. Those that arrive while every slot is
//! taken wait in the queue and leave together, as one `RawBatch`: one
//! publish, one confirm, one delivery and one ack for all of them. So light
//! load pays no delay, and under heavy load the broker's cost per message,
//! the largest of the pipeline, is shared. Every webhook of a batch is
//! answered only after the batch's confirm.

use inlet_bus::{BasicProperties, Hop, PublishError, Publisher};
use inlet_proto::RAW_BATCH_TYPE;
use prometheus::Histogram;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

/// How lanes form their batches (`[ingress]` settings).
#[derive(Clone, Copy, Debug)]
pub struct BatchLimits {
    /// Publishes of one shard awaiting their confirm at once.
    pub in_flight: usize,
    /// Most webhooks in one broker message.
    pub max_webhooks: usize,
    /// Most bytes of webhooks in one broker message (a larger webhook
    /// still goes, alone).
    pub max_bytes: usize,
}

/// A webhook not confirmed: why, and its bytes back (for the spool).
pub struct NotConfirmed {
    pub error: Arc<PublishError>,
    /// `None` only when its lane was gone (the runtime shutting down).
    pub bytes: Option<Vec<u8>>,
}

/// One raw webhook waiting in its lane.
struct Queued {
    /// The encoded `RawWebhook`.
    bytes: Vec<u8>,
    /// Its properties when published alone.
    properties: BasicProperties,
    done: oneshot::Sender<Result<(), NotConfirmed>>,
}

pub struct Batcher {
    lanes: Vec<mpsc::UnboundedSender<Queued>>,
}

impl Batcher {
    /// Starts one lane per shard on the current runtime. The lanes end once
    /// the batcher is dropped and their queues are empty.
    pub fn start(
        publisher: Arc<Publisher>,
        shards: u16,
        limits: BatchLimits,
        sizes: Histogram,
    ) -> Self {
        let lanes = (0..shards)
            .map(|shard| {
                let (sender, queue) = mpsc::unbounded_channel();
                let lane = Lane {
                    shard,
                    publisher: publisher.clone(),
                    limits,
                    sizes: sizes.clone(),
                    slots: Arc::new(Semaphore::new(limits.in_flight.max(1))),
                };
                tokio::spawn(lane.run(queue));
                sender
            })
            .collect();
        Self { lanes }
    }

    /// Publishes one encoded `RawWebhook` on `shard`'s lane and waits for
    /// the broker's confirm of the message that carried it. Calls for one
    /// shard are published in call order.
    pub async fn publish(
        &self,
        shard: u16,
        bytes: Vec<u8>,
        properties: BasicProperties,
    ) -> Result<(), NotConfirmed> {
        let (done, outcome) = oneshot::channel();
        let queued = Queued {
            bytes,
            properties,
            done,
        };
        let unavailable = |bytes| NotConfirmed {
            error: Arc::new(PublishError::Unavailable),
            bytes,
        };
        let Some(lane) = self.lanes.get(usize::from(shard)) else {
            return Err(unavailable(Some(queued.bytes)));
        };
        if let Err(refused) = lane.send(queued) {
            return Err(unavailable(Some(refused.0.bytes)));
        }
        // The lane always answers; a lane gone (runtime ending) cannot.
        outcome.await.unwrap_or_else(|_| Err(unavailable(None)))
    }
}

struct Lane {
    shard: u16,
    publisher: Arc<Publisher>,
    limits: BatchLimits,
    sizes: Histogram,
    slots: Arc<Semaphore>,
}

impl Lane {
    async fn run(self, mut queue: mpsc::UnboundedReceiver<Queued>) {
        // A webhook taken from the queue that did not fit the last batch.
        let mut carried: Option<Queued> = None;
        loop {
            let first = match carried.take() {
                Some(first) => first,
                None => match queue.recv().await {
                    Some(first) => first,
                    None => return,
                },
            };
            let Ok(slot) = self.slots.clone().acquire_owned().await else {
                return; // never closed
            };
            // What arrived while waiting for the slot goes along.
            let mut batch = vec![first];
            let mut bytes = batch[0].bytes.len();
            while batch.len() < self.limits.max_webhooks {
                let Ok(next) = queue.try_recv() else { break };
                if bytes + next.bytes.len() > self.limits.max_bytes {
                    carried = Some(next);
                    break;
                }
                bytes += next.bytes.len();
                batch.push(next);
            }
            // A sender that gave up (its request gone) is not published.
            batch.retain(|queued| !queued.done.is_closed());
            if batch.is_empty() {
                continue;
            }
            self.publish(batch, slot).await;
        }
    }

    /// Hands `batch` to the broker now (so the lane's order is the publish
    /// order) and answers its senders once confirmed, in the background.
    async fn publish(&self, mut batch: Vec<Queued>, slot: OwnedSemaphorePermit) {
        self.sizes.observe(batch.len() as f64);
        let sent = if batch.len() == 1 {
            let only = &mut batch[0];
            let properties = std::mem::take(&mut only.properties);
            self.publisher
                .send(Hop::Raw, self.shard, &only.bytes, properties)
                .await
        } else {
            let body = inlet_proto::encode_raw_batch(batch.iter().map(|q| q.bytes.as_slice()));
            self.publisher
                .send(Hop::Raw, self.shard, &body, batch_properties(&batch))
                .await
        };
        match sent {
            Err(error) => answer(batch, Err(Arc::new(error))),
            Ok(sent) => {
                let publisher = self.publisher.clone();
                tokio::spawn(async move {
                    let confirmed = publisher.confirmed(sent).await.map_err(Arc::new);
                    drop(slot);
                    answer(batch, confirmed);
                });
            }
        }
    }
}

/// A batch's properties: protobuf of the batch type, stamped with its first
/// webhook's time, and the direct reply-to when any of its senders waits
/// (each waiting webhook says so itself, `RawWebhook.wait`).
fn batch_properties(batch: &[Queued]) -> BasicProperties {
    let mut properties = BasicProperties::default()
        .with_content_type("application/x-protobuf".into())
        .with_type(RAW_BATCH_TYPE.into());
    if let Some(timestamp) = batch[0].properties.timestamp() {
        properties = properties.with_timestamp(*timestamp);
    }
    if let Some(reply_to) = batch.iter().find_map(|q| q.properties.reply_to().clone()) {
        properties = properties.with_reply_to(reply_to);
    }
    properties
}

fn answer(batch: Vec<Queued>, outcome: Result<(), Arc<PublishError>>) {
    for queued in batch {
        let result = match &outcome {
            Ok(()) => Ok(()),
            Err(error) => Err(NotConfirmed {
                error: error.clone(),
                bytes: Some(queued.bytes),
            }),
        };
        let _ = queued.done.send(result);
    }
}

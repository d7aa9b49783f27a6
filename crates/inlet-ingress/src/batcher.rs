//! Publishing raw webhooks, several per broker message when they come fast
//! (group commit).
//!
//! Each shard has a lane: a queue and a task that publishes what the queue
//! holds, in order, on the shard's channel, with at most
//! `ingress.publish_in_flight` publishes of the shard awaiting the broker's
//! confirm. A webhook that arrives while its shard has nothing in flight
//! leaves at once, alone, as a bare `RawWebhook`, published and confirmed
//! by its own request's task: light load crosses no thread on its way to
//! the broker and back but the broker connection's. The others go through
//! the lane: one that finds a slot free leaves alone too, and those that
//! arrive while every slot is taken wait in the lane's queue and leave
//! together, as one `RawBatch`: one publish, one confirm, one delivery and
//! one ack for all of them. So light load pays no delay, and under heavy
//! load the broker's cost per message, the largest of the pipeline, is
//! shared. Every webhook of a batch is answered only after the batch's
//! confirm. A slot freed while webhooks wait goes to the lane first (the
//! semaphore is fair), so a later webhook overtakes queued ones at most in
//! the instant between the lane taking one from its queue and claiming its
//! slot: both are then unanswered, and no sender can tell their order.
//!
//! A batch the broker does not confirm goes to the spool when there is one,
//! its webhooks in order, and is answered as spooled; otherwise each of its
//! senders gets the error. A batch whose oldest webhook has already waited
//! `amqp.confirm_timeout_ms` in the queue (the broker is not keeping up) is
//! not published at all but treated as unconfirmed, so no request waits
//! longer than about twice the confirm timeout.

use crate::spool::Spool;
use inlet_bus::{BasicProperties, Hop, PublishError, Publisher};
use inlet_core::MessageId;
use inlet_proto::RAW_BATCH_TYPE;
use prometheus::Histogram;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio::time::Instant;

/// How lanes form their batches (`[ingress]` and `[amqp]` settings).
#[derive(Clone, Copy, Debug)]
pub struct BatchLimits {
    /// Publishes of one shard awaiting their confirm at once.
    pub in_flight: usize,
    /// Most webhooks in one broker message.
    pub max_webhooks: usize,
    /// Most bytes of webhooks in one broker message (a larger webhook
    /// still goes, alone).
    pub max_bytes: usize,
    /// Longest a webhook waits in its lane's queue before it is treated as
    /// unconfirmed; also how long a publish waits for its confirm.
    pub confirm_timeout: Duration,
}

/// What became of a webhook handed to its lane.
#[derive(Debug, PartialEq, Eq)]
pub enum Published {
    /// The broker confirmed it.
    Confirmed,
    /// The broker did not; it is in the spool (fsync'd), published later.
    Spooled,
}

/// Why a webhook was not taken.
#[derive(Debug)]
pub enum NotPublished {
    /// The broker did not confirm it (and there is no spool).
    Broker(Arc<PublishError>),
    /// The broker did not confirm it and the spool could not keep it.
    SpoolFailed,
}

/// One raw webhook waiting in its lane.
struct Queued {
    /// The encoded `RawWebhook`.
    bytes: Vec<u8>,
    /// Its properties when published alone.
    properties: BasicProperties,
    /// Past this, the webhook is not published but treated as unconfirmed.
    deadline: Instant,
    done: oneshot::Sender<Result<Published, NotPublished>>,
}

pub struct Batcher {
    lanes: Vec<LaneHandle>,
    confirm_timeout: Duration,
}

/// A lane as its callers see it: its queue, and the lane itself for a
/// webhook that finds its shard idle.
struct LaneHandle {
    queue: mpsc::UnboundedSender<Queued>,
    lane: Arc<Lane>,
}

impl Batcher {
    /// Starts one lane per shard on the current runtime. The lanes end once
    /// the batcher is dropped and their queues are empty.
    pub fn start(
        publisher: Arc<Publisher>,
        spool: Option<Arc<Spool>>,
        shards: u16,
        limits: BatchLimits,
        sizes: Histogram,
    ) -> Self {
        let lanes = (0..shards)
            .map(|shard| {
                let (sender, queue) = mpsc::unbounded_channel();
                let lane = Arc::new(Lane {
                    shard,
                    publisher: publisher.clone(),
                    spool: spool.clone(),
                    limits,
                    sizes: sizes.clone(),
                    slots: Arc::new(Semaphore::new(limits.in_flight.max(1))),
                });
                tokio::spawn(lane.clone().run(queue));
                LaneHandle {
                    queue: sender,
                    lane,
                }
            })
            .collect();
        Self {
            lanes,
            confirm_timeout: limits.confirm_timeout,
        }
    }

    /// Publishes one encoded `RawWebhook` on `shard`'s lane and waits until
    /// the broker confirmed the message that carried it, or the spool holds
    /// it. A call that finds the shard idle publishes at once from its own
    /// task; the others are published in call order. A call that returns
    /// has been answered for good; one that goes away before (its sender
    /// hung up) leaves a queued webhook to be published or spooled, and a
    /// webhook published alone to the broker's confirm, unspooled: its
    /// sender was told nothing, so nothing was promised.
    pub async fn publish(
        &self,
        shard: u16,
        bytes: Vec<u8>,
        properties: BasicProperties,
    ) -> Result<Published, NotPublished> {
        let unavailable = || NotPublished::Broker(Arc::new(PublishError::Unavailable));
        let handle = self.lanes.get(usize::from(shard)).ok_or_else(unavailable)?;
        if let Some(slot) = handle.lane.idle_slot() {
            return handle.lane.publish_alone(bytes, properties, slot).await;
        }
        let (done, outcome) = oneshot::channel();
        let queued = Queued {
            bytes,
            properties,
            deadline: Instant::now() + self.confirm_timeout,
            done,
        };
        handle.queue.send(queued).map_err(|_| unavailable())?;
        // The lane always answers; a lane gone (the runtime ending) cannot.
        outcome.await.unwrap_or_else(|_| Err(unavailable()))
    }
}

struct Lane {
    shard: u16,
    publisher: Arc<Publisher>,
    spool: Option<Arc<Spool>>,
    limits: BatchLimits,
    sizes: Histogram,
    slots: Arc<Semaphore>,
}

impl Lane {
    /// A slot for a webhook to publish alone, when the shard has nothing
    /// in flight: with a publish already awaiting its confirm, the webhook
    /// goes through the queue, where it may leave with others (taking a
    /// second slot alone would spend a publish and a confirm on one webhook
    /// just when sharing them pays). None either while the spool holds
    /// webhooks that a new one must go behind (the lane settles it, keeping
    /// the order).
    fn idle_slot(&self) -> Option<OwnedSemaphorePermit> {
        if self.slots.available_permits() < self.limits.in_flight.max(1) {
            return None;
        }
        if self.spool.as_ref().is_some_and(|s| s.holds_anything()) {
            return None;
        }
        self.slots.clone().try_acquire_owned().ok()
    }

    /// Publishes one webhook alone on `slot` and waits for its confirm in
    /// the caller's task; unconfirmed, it goes to the spool when there is
    /// one.
    async fn publish_alone(
        &self,
        bytes: Vec<u8>,
        properties: BasicProperties,
        slot: OwnedSemaphorePermit,
    ) -> Result<Published, NotPublished> {
        self.sizes.observe(1.0);
        let sent = self
            .publisher
            .send(Hop::Raw, self.shard, &bytes, properties)
            .await;
        let confirmed = match sent {
            Ok(sent) => self.publisher.confirmed(sent).await,
            Err(error) => Err(error),
        };
        drop(slot);
        match confirmed {
            Ok(()) => Ok(Published::Confirmed),
            Err(error) => {
                if self.spool.is_some() {
                    tracing::warn!(%error, webhooks = 1, "broker did not confirm; spooling");
                }
                unconfirmed(&self.spool, bytes, &Arc::new(error)).await
            }
        }
    }

    async fn run(self: Arc<Self>, mut queue: mpsc::UnboundedReceiver<Queued>) {
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
            if batch[0].deadline <= Instant::now() {
                // The broker is not keeping up: do not make these wait
                // for yet another publish.
                drop(slot);
                settle_unconfirmed(&self.spool, batch, PublishError::Timeout).await;
                continue;
            }
            if self.spool.as_ref().is_some_and(|s| s.holds_anything()) {
                // Behind what the spool holds, to keep the order.
                drop(slot);
                settle_unconfirmed(&self.spool, batch, PublishError::Unavailable).await;
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
            Err(error) => {
                drop(slot);
                settle_unconfirmed(&self.spool, batch, error).await;
            }
            Ok(sent) => {
                let publisher = self.publisher.clone();
                let spool = self.spool.clone();
                tokio::spawn(async move {
                    let confirmed = publisher.confirmed(sent).await;
                    drop(slot);
                    match confirmed {
                        Ok(()) => {
                            for queued in batch {
                                let _ = queued.done.send(Ok(Published::Confirmed));
                            }
                        }
                        Err(error) => settle_unconfirmed(&spool, batch, error).await,
                    }
                });
            }
        }
    }
}

/// A batch's properties: protobuf of the batch type, an id of its own,
/// stamped with its first webhook's time, and the direct reply-to when any
/// of its senders waits (each waiting webhook says so itself,
/// `RawWebhook.wait`).
fn batch_properties(batch: &[Queued]) -> BasicProperties {
    let mut properties =
        inlet_bus::properties(Some(&MessageId::new().to_string())).with_type(RAW_BATCH_TYPE.into());
    if let Some(timestamp) = batch[0].properties.timestamp() {
        properties = properties.with_timestamp(*timestamp);
    }
    if let Some(reply_to) = batch.iter().find_map(|q| q.properties.reply_to().clone()) {
        properties = properties.with_reply_to(reply_to);
    }
    properties
}

/// Webhooks the broker did not confirm: into the spool in their order when
/// there is one (each answered as spooled once on disk), else each sender
/// gets `error`.
async fn settle_unconfirmed(spool: &Option<Arc<Spool>>, batch: Vec<Queued>, error: PublishError) {
    let error = Arc::new(error);
    if spool.is_some() {
        tracing::warn!(%error, webhooks = batch.len(), "broker did not confirm; spooling");
    }
    for queued in batch {
        let outcome = unconfirmed(spool, queued.bytes, &error).await;
        let _ = queued.done.send(outcome);
    }
}

/// One webhook the broker did not confirm: spooled when there is a spool,
/// else refused with `error`.
async fn unconfirmed(
    spool: &Option<Arc<Spool>>,
    bytes: Vec<u8>,
    error: &Arc<PublishError>,
) -> Result<Published, NotPublished> {
    let Some(spool) = spool else {
        return Err(NotPublished::Broker(error.clone()));
    };
    match spool.append(bytes).await {
        Ok(()) => Ok(Published::Spooled),
        Err(spool_error) => {
            tracing::error!(%spool_error, "cannot write to the spool");
            Err(NotPublished::SpoolFailed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use inlet_core::settings::AmqpSettings;
    use tokio_util::sync::CancellationToken;

    /// A batcher whose publisher never connects (nothing listens on port 1).
    fn batcher(confirm_timeout: Duration, cancel: &CancellationToken) -> Batcher {
        let settings = AmqpSettings {
            url: "amqp://guest:guest@127.0.0.1:1/%2f".into(),
            ..Default::default()
        };
        let publisher = Publisher::start(&settings, "test", cancel.clone());
        let limits = BatchLimits {
            in_flight: 1,
            max_webhooks: 64,
            max_bytes: 1024,
            confirm_timeout,
        };
        let sizes = Histogram::with_opts(prometheus::HistogramOpts::new("sizes", "test")).unwrap();
        Batcher::start(publisher, None, 2, limits, sizes)
    }

    fn refusal(outcome: Result<Published, NotPublished>) -> String {
        match outcome {
            Err(NotPublished::Broker(error)) => error.to_string(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn without_a_broker_a_webhook_is_refused_at_once() {
        let cancel = CancellationToken::new();
        let batcher = batcher(Duration::from_secs(60), &cancel);
        let outcome = batcher
            .publish(1, vec![1; 10], BasicProperties::default())
            .await;
        assert_eq!(refusal(outcome), PublishError::Unavailable.to_string());
        cancel.cancel();
    }

    #[tokio::test]
    async fn a_webhook_that_waited_past_the_confirm_timeout_is_not_published() {
        let cancel = CancellationToken::new();
        let batcher = batcher(Duration::ZERO, &cancel);
        // The lane's only slot is taken: the webhook waits in the queue.
        let slots = batcher.lanes[1].lane.slots.clone();
        let taken = slots.clone().try_acquire_owned().unwrap();
        let publishing = batcher.publish(1, vec![1; 10], BasicProperties::default());
        let release = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            drop(taken);
        };
        let (outcome, ()) = tokio::join!(publishing, release);
        assert_eq!(refusal(outcome), PublishError::Timeout.to_string());
        cancel.cancel();
    }

    #[tokio::test]
    async fn a_webhook_that_finds_its_slot_taken_waits_for_it() {
        let cancel = CancellationToken::new();
        let batcher = batcher(Duration::from_secs(60), &cancel);
        let slots = batcher.lanes[1].lane.slots.clone();
        let taken = slots.clone().try_acquire_owned().unwrap();
        let publishing = batcher.publish(1, vec![1; 10], BasicProperties::default());
        let release = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            // Still waiting: the queued webhook has not taken the slot.
            assert_eq!(slots.available_permits(), 0);
            drop(taken);
        };
        let (outcome, ()) = tokio::join!(publishing, release);
        // The lane published it once the slot was free (and the broker,
        // never reached, refused it).
        assert_eq!(refusal(outcome), PublishError::Unavailable.to_string());
        assert_eq!(slots.available_permits(), 1, "the slot is given back");
        cancel.cancel();
    }

    #[tokio::test]
    async fn a_shard_without_a_lane_is_refused() {
        let cancel = CancellationToken::new();
        let batcher = batcher(Duration::from_secs(60), &cancel);
        let outcome = batcher
            .publish(7, vec![1; 10], BasicProperties::default())
            .await;
        assert_eq!(refusal(outcome), PublishError::Unavailable.to_string());
        cancel.cancel();
    }
}

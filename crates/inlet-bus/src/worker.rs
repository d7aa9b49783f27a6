//! The worker skeleton both services run: consume a hop's shard queues in
//! lanes, take batches, hand each to the worker's
//! [`BatchWorker::process_batch`], and rebuild the lanes when a batch says
//! stop or the connection breaks. `process_batch` acknowledges through a
//! [`BatchSink`], so a test can hand it deliveries and a sink of its own
//! and drain a queue without a broker or a sleep.

use crate::consumer::{ConsumerSet, Consuming, LaneSpec, run_lanes};
use inlet_core::settings::AmqpSettings;
use lapin::message::Delivery;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What a worker consumes and how it gathers a batch.
#[derive(Clone, Debug)]
pub struct WorkerSpec {
    pub lanes: LaneSpec,
    pub batches: Batches,
}

/// How a batch is gathered.
#[derive(Clone, Copy, Debug)]
pub struct Batches {
    /// Most deliveries in one batch.
    pub max: usize,
    /// Most bytes in one batch (the first delivery is always taken).
    pub max_bytes: usize,
    /// How long a batch waits for more after its first delivery (zero:
    /// only those already arrived).
    pub linger: Duration,
}

/// What became of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Done and acknowledged: take the next batch.
    Next,
    /// Shutdown, or acknowledgements failing: the lane stops and what is
    /// not acknowledged goes back to its queue.
    Stop,
}

/// Where a batch is acknowledged and its waiting senders answered: a lane's
/// [`ConsumerSet`], or a test's own.
pub trait BatchSink: Send + Sync {
    /// Acknowledges `deliveries` (all of this sink's).
    fn ack(
        &mut self,
        deliveries: &[Delivery],
    ) -> impl Future<Output = Result<(), lapin::Error>> + Send;

    /// Sends a verdict to a waiting sender (best effort).
    fn reply(
        &self,
        reply_to: &str,
        correlation_id: &str,
        payload: &[u8],
    ) -> impl Future<Output = ()> + Send;
}

impl BatchSink for ConsumerSet {
    async fn ack(&mut self, deliveries: &[Delivery]) -> Result<(), lapin::Error> {
        ConsumerSet::ack(self, deliveries).await
    }

    async fn reply(&self, reply_to: &str, correlation_id: &str, payload: &[u8]) {
        crate::replies::send(self.channel(), reply_to, correlation_id, payload).await
    }
}

/// One batch handed to a worker: its deliveries, the sink they are
/// acknowledged through, and the shutdown token.
pub struct Batch<'a, S> {
    pub deliveries: Vec<Delivery>,
    pub sink: &'a mut S,
    pub cancel: &'a CancellationToken,
}

impl<S: BatchSink> Batch<'_, S> {
    /// Acknowledges the batch: [`Step::Next`], or [`Step::Stop`] when the
    /// acks fail (the lane is rebuilt; what was not acknowledged is
    /// redelivered, and a worker's effects are idempotent).
    pub async fn acknowledge(self) -> Step {
        match self.sink.ack(&self.deliveries).await {
            Ok(()) => Step::Next,
            Err(error) => {
                tracing::warn!(%error, "cannot acknowledge; the messages will be redelivered");
                Step::Stop
            }
        }
    }
}

/// A worker's handling of one batch of deliveries.
pub trait BatchWorker: Sync {
    /// Processes the batch's deliveries and acknowledges them.
    fn process_batch<S: BatchSink>(&self, batch: Batch<'_, S>)
    -> impl Future<Output = Step> + Send;

    /// Hands `deliveries` to [`BatchWorker::process_batch`] with a
    /// [`RecordingSink`], without a broker: a test steps the worker and
    /// sees what it acknowledged and whom it answered.
    fn step(
        &self,
        deliveries: Vec<Delivery>,
    ) -> impl Future<Output = (Step, RecordingSink)> + Send {
        async move {
            let (mut sink, cancel) = (RecordingSink::default(), CancellationToken::new());
            let batch = Batch {
                deliveries,
                sink: &mut sink,
                cancel: &cancel,
            };
            let step = self.process_batch(batch).await;
            (step, sink)
        }
    }
}

/// A sink that records instead of talking to the broker (tests).
#[derive(Debug, Default)]
pub struct RecordingSink {
    /// The delivery tags acknowledged, in order.
    pub acked: Vec<u64>,
    /// The `reply_to` of each verdict sent, in order.
    pub replies: std::sync::Mutex<Vec<String>>,
}

impl BatchSink for RecordingSink {
    async fn ack(&mut self, deliveries: &[Delivery]) -> Result<(), lapin::Error> {
        self.acked.extend(deliveries.iter().map(|d| d.delivery_tag));
        Ok(())
    }

    async fn reply(&self, reply_to: &str, _: &str, _: &[u8]) {
        let mut replies = self.replies.lock().unwrap_or_else(|p| p.into_inner());
        replies.push(reply_to.to_string());
    }
}

/// Runs `worker` on `spec`'s lanes until `cancel`, reconnecting with backoff.
pub async fn run_worker<W: BatchWorker>(
    amqp: &AmqpSettings,
    spec: WorkerSpec,
    consuming: &Consuming,
    cancel: &CancellationToken,
    worker: &W,
) {
    let (name, batches) = (spec.lanes.name, spec.batches);
    let consume = |mut set: ConsumerSet, round: CancellationToken| async move {
        consume(worker, name, batches, &mut set, &round).await;
        set
    };
    run_lanes(amqp, spec.lanes, consuming, cancel, consume).await;
}

/// Batch after batch from `set` until shutdown, a stop, or a broken
/// connection (one lane; the archiver's one set).
pub async fn consume<W: BatchWorker>(
    worker: &W,
    name: &str,
    batches: Batches,
    set: &mut ConsumerSet,
    cancel: &CancellationToken,
) {
    let Batches {
        max,
        max_bytes,
        linger,
    } = batches;
    loop {
        let batch = tokio::select! {
            _ = cancel.cancelled() => return,
            batch = set.next_batch_within(max, max_bytes, linger) => batch,
        };
        match batch {
            Ok(deliveries) => {
                let batch = Batch {
                    deliveries,
                    sink: &mut *set,
                    cancel,
                };
                if worker.process_batch(batch).await == Step::Stop {
                    return;
                }
            }
            Err(error) => {
                tracing::warn!(name, %error, "lost the broker connection");
                return;
            }
        }
    }
}

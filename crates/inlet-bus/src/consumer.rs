//! Consuming shard queues with manual acks.
//!
//! A [`ConsumerSet`] is one channel with a prefetch, and one consumer per
//! shard queue merged into one stream. A replica registers first on its
//! preferred shards and on the others only after a delay, as standby:
//! single active consumer makes the first registered consumer active, so this
//! spreads the shards over the replicas while keeping failover.
//!
//! A worker splits its shards over several *lanes* ([`ConsumerSet::open_lanes`]):
//! one set per lane, each on its own channel of one shared connection, so
//! that one lane's batch waiting on the broker or the database does not
//! hold back the other shards. A shard belongs to exactly one lane, so the
//! order within a shard is kept.

use crate::topology::{Hop, Topology};
use futures_util::StreamExt;
use futures_util::stream::SelectAll;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, Consumer};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// The shards replica `index` of `replicas` consumes first.
pub fn preferred_shards(index: u16, replicas: u16, shards: u16) -> (Vec<u16>, Vec<u16>) {
    let replicas = replicas.max(1);
    (0..shards).partition(|s| s % replicas == index % replicas)
}

/// Splits a replica's (preferred, standby) shards over at most `lanes`
/// lanes (never more lanes than shards, always at least one).
pub fn split_lanes(
    (preferred, standby): (Vec<u16>, Vec<u16>),
    lanes: usize,
) -> Vec<(Vec<u16>, Vec<u16>)> {
    let count = lanes.clamp(1, (preferred.len() + standby.len()).max(1));
    let mut split = vec![(Vec::new(), Vec::new()); count];
    for (i, shard) in preferred.into_iter().enumerate() {
        split[i % count].0.push(shard);
    }
    for (i, shard) in standby.into_iter().enumerate() {
        split[i % count].1.push(shard);
    }
    split
}

/// How many of a worker's lanes are consuming (readiness: all of them).
#[derive(Debug, Default)]
pub struct Consuming {
    up: AtomicUsize,
    expected: AtomicUsize,
}

impl Consuming {
    /// A round of `lanes` lanes starts.
    pub fn expect(&self, lanes: usize) {
        self.expected.store(lanes, Ordering::Relaxed);
    }

    pub fn lane_up(&self) {
        self.up.fetch_add(1, Ordering::Relaxed);
    }

    pub fn lane_down(&self) {
        self.up.fetch_sub(1, Ordering::Relaxed);
    }

    /// True when every lane of the current round consumes.
    pub fn all(&self) -> bool {
        let expected = self.expected.load(Ordering::Relaxed);
        expected > 0 && self.up.load(Ordering::Relaxed) >= expected
    }
}

/// What a worker consumes: its hop's shard queues, split into lanes.
#[derive(Clone, Debug)]
pub struct LaneSpec {
    /// The connection's name (the broker's management UI shows it).
    pub name: &'static str,
    pub hop: Hop,
    pub prefetch: u16,
    pub replica_index: u16,
    pub replicas: u16,
    pub lanes: usize,
    /// How long before registering on the other replicas' shards as standby.
    pub standby_delay: Duration,
}

impl LaneSpec {
    /// `name` consuming `hop` with `prefetch` per lane, as replica
    /// `replica.0` of `replica.1`, in `lanes` lanes, standby after
    /// `standby_delay_ms`.
    pub fn new(
        (name, hop): (&'static str, Hop),
        prefetch: u16,
        (replica_index, replicas): (u16, u16),
        lanes: usize,
        standby_delay_ms: u64,
    ) -> Self {
        Self {
            name,
            hop,
            prefetch,
            replica_index,
            replicas,
            lanes,
            standby_delay: Duration::from_millis(standby_delay_ms),
        }
    }
}

/// A worker's consume loop: opens its lanes, runs `consume` on each side by
/// side (see [`consume_lanes`]) and, when the round ends, reconnects with
/// backoff, until `cancel`.
pub async fn run_lanes<F, Fut>(
    amqp: &inlet_core::settings::AmqpSettings,
    spec: LaneSpec,
    consuming: &Consuming,
    cancel: &tokio_util::sync::CancellationToken,
    consume: F,
) where
    F: Fn(ConsumerSet, tokio_util::sync::CancellationToken) -> Fut,
    Fut: std::future::Future<Output = ConsumerSet>,
{
    let topology = Topology::new(amqp);
    let mut backoff = crate::Backoff::new(Duration::from_millis(amqp.reconnect_max_backoff_ms));
    while !cancel.is_cancelled() {
        let shards = preferred_shards(spec.replica_index, spec.replicas, amqp.shards);
        let opening = ConsumerSet::open_lanes(
            &amqp.url,
            spec.name,
            &topology,
            spec.hop,
            spec.prefetch,
            split_lanes(shards, spec.lanes),
            spec.standby_delay,
        );
        let opened = tokio::select! {
            _ = cancel.cancelled() => break,
            opened = crate::within(Duration::from_millis(amqp.open_timeout_ms), opening) => opened,
        };
        match opened {
            Ok(sets) => {
                backoff.reset();
                tracing::info!(name = spec.name, lanes = sets.len(), "consuming");
                consume_lanes(sets, consuming, cancel, &consume).await;
            }
            Err(error) => tracing::warn!(name = spec.name, %error, "cannot consume; retrying"),
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(backoff.step()) => {}
        }
    }
}

/// Runs `consume` on every lane side by side until one of them returns
/// (shutdown or a broken connection); the others are then cancelled, finish
/// their batch in hand and return too, and the connection is closed.
/// `consuming` counts the lanes at work, for readiness.
async fn consume_lanes<F, Fut>(
    sets: Vec<ConsumerSet>,
    consuming: &Consuming,
    cancel: &tokio_util::sync::CancellationToken,
    consume: &F,
) where
    F: Fn(ConsumerSet, tokio_util::sync::CancellationToken) -> Fut,
    Fut: std::future::Future<Output = ConsumerSet>,
{
    let round = cancel.child_token();
    consuming.expect(sets.len());
    let lanes = sets.into_iter().map(|set| {
        let round = round.clone();
        let lane = consume(set, round.clone());
        async move {
            consuming.lane_up();
            let set = lane.await;
            consuming.lane_down();
            round.cancel();
            set
        }
    });
    for set in futures_util::future::join_all(lanes).await {
        set.close().await;
    }
}

pub struct ConsumerSet {
    /// Shared by the lanes of one round; closing it ends them all.
    connection: Arc<Connection>,
    channel: Channel,
    streams: SelectAll<Consumer>,
    /// Queues to consume once `standby_at` has come.
    standby: Vec<QueueTag>,
    standby_at: Instant,
    acks: AckTracker,
}

/// A queue to consume, and the consumer tag to consume it with.
struct QueueTag {
    queue: String,
    tag: String,
}

/// The shard queues of `hop`, each tagged `{name}-{shard}`.
fn shard_queues(topology: &Topology, hop: Hop, name: &str, shards: &[u16]) -> Vec<QueueTag> {
    shards
        .iter()
        .map(|shard| QueueTag {
            queue: topology.queue(hop, *shard),
            tag: format!("{name}-{shard}"),
        })
        .collect()
}

/// Which delivery tags of the channel are acknowledged, so that a batch
/// that is exactly the next run of tags is acknowledged with one
/// `multiple` ack instead of one frame per delivery.
#[derive(Debug, Default)]
struct AckTracker {
    /// Every tag up to this one is acknowledged.
    through: u64,
    /// Tags above `through` acknowledged one by one.
    above: BTreeSet<u64>,
}

/// How to acknowledge a batch.
#[derive(Debug, PartialEq, Eq)]
enum AckPlan {
    /// One ack, `multiple`, of this tag.
    Through(u64),
    /// One ack per tag.
    Each(Vec<u64>),
}

impl AckTracker {
    fn plan(&self, tags: &[u64]) -> AckPlan {
        let mut sorted = tags.to_vec();
        sorted.sort_unstable();
        let contiguous = sorted
            .iter()
            .enumerate()
            .all(|(i, tag)| *tag == self.through + 1 + i as u64);
        match sorted.last() {
            Some(&last) if contiguous => AckPlan::Through(last),
            _ => AckPlan::Each(sorted),
        }
    }

    fn record(&mut self, plan: &AckPlan) {
        match plan {
            AckPlan::Through(tag) => self.through = *tag,
            AckPlan::Each(tags) => self.above.extend(tags.iter().copied()),
        }
        while self.above.remove(&(self.through + 1)) {
            self.through += 1;
        }
    }
}

impl ConsumerSet {
    /// Connects, declares the topology, and consumes `preferred` at once and
    /// `standby` after `standby_delay`.
    pub async fn open(
        url: &str,
        name: &str,
        topology: &Topology,
        hop: Hop,
        prefetch: u16,
        shards: (Vec<u16>, Vec<u16>),
        standby_delay: Duration,
    ) -> Result<Self, lapin::Error> {
        let mut sets = Self::open_lanes(
            url,
            name,
            topology,
            hop,
            prefetch,
            vec![shards],
            standby_delay,
        )
        .await?;
        Ok(sets.remove(0))
    }

    /// Connects once and opens one set per lane (from [`split_lanes`]), each
    /// on its own channel: the lanes are consumed side by side.
    pub async fn open_lanes(
        url: &str,
        name: &str,
        topology: &Topology,
        hop: Hop,
        prefetch: u16,
        lanes: Vec<(Vec<u16>, Vec<u16>)>,
        standby_delay: Duration,
    ) -> Result<Vec<Self>, lapin::Error> {
        let connection = Arc::new(crate::connect(url, name).await?);
        let standby_at = Instant::now() + standby_delay;
        let mut sets = Vec::with_capacity(lanes.len());
        for (lane, (preferred, standby)) in lanes.into_iter().enumerate() {
            let channel = connection.create_channel().await?;
            if lane == 0 {
                topology.declare(&channel).await?;
            }
            let standby = shard_queues(topology, hop, name, &standby);
            let mut set =
                Self::on(connection.clone(), channel, prefetch, standby, standby_at).await?;
            set.consume(shard_queues(topology, hop, name, &preferred))
                .await?;
            if set.standby_at <= Instant::now() {
                set.register_standby().await?;
            }
            sets.push(set);
        }
        Ok(sets)
    }

    /// Connects, declares the topology, and consumes the dead-letter queue
    /// (the archiver's set, tagged `name`).
    pub async fn open_dead_letters(
        url: &str,
        name: &str,
        topology: &Topology,
        prefetch: u16,
    ) -> Result<Self, lapin::Error> {
        let connection = Arc::new(crate::connect(url, name).await?);
        let channel = connection.create_channel().await?;
        topology.declare(&channel).await?;
        let mut set = Self::on(connection, channel, prefetch, Vec::new(), Instant::now()).await?;
        let queue = QueueTag {
            queue: topology.dead_letter_queue(),
            tag: name.to_string(),
        };
        set.consume(vec![queue]).await?;
        Ok(set)
    }

    /// A set on `channel`, with its prefetch, consuming nothing yet.
    async fn on(
        connection: Arc<Connection>,
        channel: Channel,
        prefetch: u16,
        standby: Vec<QueueTag>,
        standby_at: Instant,
    ) -> Result<Self, lapin::Error> {
        channel
            .basic_qos(prefetch, BasicQosOptions::default())
            .await?;
        Ok(Self {
            connection,
            channel,
            streams: SelectAll::new(),
            standby,
            standby_at,
            acks: AckTracker::default(),
        })
    }

    async fn consume(&mut self, queues: Vec<QueueTag>) -> Result<(), lapin::Error> {
        for QueueTag { queue, tag } in queues {
            let consumer = self
                .channel
                .basic_consume(
                    queue.into(),
                    tag.into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await?;
            self.streams.push(consumer);
        }
        Ok(())
    }

    async fn register_standby(&mut self) -> Result<(), lapin::Error> {
        let standby = std::mem::take(&mut self.standby);
        self.consume(standby).await
    }

    /// Waits for a delivery, then gathers more until `max` or until `linger`
    /// has passed since the first (zero: only those already arrived).
    /// An error means the connection is unusable: drop the set and reopen.
    pub async fn next_batch(
        &mut self,
        max: usize,
        linger: Duration,
    ) -> Result<Vec<Delivery>, lapin::Error> {
        self.next_batch_within(max, usize::MAX, linger).await
    }

    /// [`ConsumerSet::next_batch`], stopping also once the deliveries hold
    /// `max_bytes` (the first is always taken): bounds the memory a batch
    /// takes whatever its messages carry.
    pub async fn next_batch_within(
        &mut self,
        max: usize,
        max_bytes: usize,
        linger: Duration,
    ) -> Result<Vec<Delivery>, lapin::Error> {
        let first = loop {
            if self.streams.is_empty() {
                // Nothing to consume until the standby shards are registered.
                if self.standby.is_empty() {
                    std::future::pending::<()>().await;
                }
                tokio::time::sleep_until(self.standby_at).await;
                self.register_standby().await?;
                continue;
            }
            if !self.standby.is_empty() {
                let wake = self.standby_at;
                tokio::select! {
                    item = self.streams.next() => break item,
                    _ = tokio::time::sleep_until(wake) => {
                        self.register_standby().await?;
                        continue;
                    }
                }
            }
            break self.streams.next().await;
        };
        let mut batch = vec![next_item(first)?];
        let mut bytes = batch[0].data.len();
        let deadline = Instant::now() + linger;
        while batch.len() < max && bytes < max_bytes {
            let item = if linger.is_zero() {
                match futures_util::FutureExt::now_or_never(self.streams.next()) {
                    Some(item) => item,
                    None => break,
                }
            } else {
                match tokio::time::timeout_at(deadline, self.streams.next()).await {
                    Ok(item) => item,
                    Err(_) => break,
                }
            };
            let delivery = next_item(item)?;
            bytes += delivery.data.len();
            batch.push(delivery);
        }
        Ok(batch)
    }

    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// Acknowledges `deliveries` (all received on this set's channel): one
    /// frame when they are the next run of tags, else one per delivery.
    pub async fn ack(&mut self, deliveries: &[Delivery]) -> Result<(), lapin::Error> {
        let tags: Vec<u64> = deliveries.iter().map(|d| d.delivery_tag).collect();
        let plan = self.acks.plan(&tags);
        match &plan {
            AckPlan::Through(tag) => {
                self.channel
                    .basic_ack(*tag, BasicAckOptions { multiple: true })
                    .await?
            }
            AckPlan::Each(tags) => {
                for tag in tags {
                    self.channel
                        .basic_ack(*tag, BasicAckOptions::default())
                        .await?;
                }
            }
        }
        self.acks.record(&plan);
        Ok(())
    }

    pub fn is_connected(&self) -> bool {
        self.connection.status().connected() && self.channel.status().connected()
    }

    /// Closes the connection (every lane's); unacknowledged deliveries
    /// return to their queues.
    pub async fn close(self) {
        if self.connection.status().connected() {
            crate::close(&self.connection).await;
        }
    }
}

fn next_item(item: Option<Result<Delivery, lapin::Error>>) -> Result<Delivery, lapin::Error> {
    match item {
        Some(result) => result,
        None => Err(lapin::Error::from(
            lapin::ErrorKind::InvalidConnectionState(lapin::ConnectionState::Closed),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_run_of_tags_is_one_multiple_ack() {
        let mut acks = AckTracker::default();
        let plan = acks.plan(&[2, 1, 3]);
        assert_eq!(plan, AckPlan::Through(3));
        acks.record(&plan);
        assert_eq!(acks.plan(&[4, 5]), AckPlan::Through(5));
    }

    #[test]
    fn a_gap_is_acked_one_by_one_and_the_run_resumes_after_it() {
        let mut acks = AckTracker::default();
        acks.record(&AckPlan::Through(3));
        // 4 is still being processed (another shard's stream): no multiple.
        let plan = acks.plan(&[5, 6]);
        assert_eq!(plan, AckPlan::Each(vec![5, 6]));
        acks.record(&plan);
        assert_eq!(acks.through, 3);
        let plan = acks.plan(&[4]);
        assert_eq!(plan, AckPlan::Through(4));
        acks.record(&plan);
        assert_eq!(acks.through, 6, "5 and 6 were acked already");
        assert_eq!(acks.plan(&[7, 8]), AckPlan::Through(8));
        assert_eq!(acks.plan(&[]), AckPlan::Each(vec![]));
    }

    #[test]
    fn lanes_share_the_shards_and_each_shard_has_one_lane() {
        let lanes = split_lanes(preferred_shards(0, 2, 10), 3);
        assert_eq!(
            lanes,
            vec![
                (vec![0, 6], vec![1, 7]),
                (vec![2, 8], vec![3, 9]),
                (vec![4], vec![5]),
            ]
        );
        assert_eq!(split_lanes((vec![0], vec![]), 4).len(), 1, "no empty lanes");
        assert_eq!(split_lanes((vec![], vec![]), 4).len(), 1, "always one lane");
    }

    #[test]
    fn consuming_means_every_lane_of_the_round() {
        let consuming = Consuming::default();
        assert!(!consuming.all());
        consuming.expect(2);
        consuming.lane_up();
        assert!(!consuming.all());
        consuming.lane_up();
        assert!(consuming.all());
        consuming.lane_down();
        assert!(!consuming.all());
    }

    #[test]
    fn preferred_shards_split_the_shards_between_replicas() {
        let (a, a_standby) = preferred_shards(0, 2, 5);
        let (b, _) = preferred_shards(1, 2, 5);
        assert_eq!(a, vec![0, 2, 4]);
        assert_eq!(b, vec![1, 3]);
        assert_eq!(a_standby, vec![1, 3]);
        assert_eq!(preferred_shards(0, 1, 3).0, vec![0, 1, 2]);
    }
}

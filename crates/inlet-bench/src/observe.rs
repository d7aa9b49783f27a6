//! The receiving side: every channel's Redis topic, as a live listener sees
//! it, and afterwards PostgreSQL, as the read API sees it. Both are checked
//! against the ledger: each accepted message posted exactly once, nothing
//! posted that was refused, and each lane's messages in sending order.

use crate::load::{ACCEPTED, FAILED, Ledger, NO_LANE, REFUSED};
use crate::mixes::find_marker;
use futures_util::StreamExt;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use uuid::Uuid;

/// What the Redis listener saw of one phase.
#[derive(Default)]
pub struct Receipts {
    /// First receipt per message number, ns after the ledger's start.
    pub first_ns: HashMap<u64, u64>,
    /// Distinct post ids per message number (more than one: a duplicate).
    pub posts: HashMap<u64, HashSet<Uuid>>,
    /// Per channel topic, (seq, message number) in arrival order.
    pub by_channel: HashMap<String, Vec<(i64, u64)>>,
    /// Events that carried no marker of this run.
    pub foreign: u64,
}

#[derive(Deserialize)]
struct Event {
    seq: i64,
    post: EventPost,
}

#[derive(Deserialize)]
struct EventPost {
    id: Uuid,
}

pub struct Listener {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<Receipts>>,
    /// Distinct messages received so far.
    pub received: Arc<AtomicU64>,
}

impl Listener {
    /// Subscribes to every channel topic before the phase starts.
    pub async fn start(
        redis_url: &str,
        prefix: &str,
        run: &str,
        ledger_start: Instant,
    ) -> anyhow::Result<Self> {
        let client = redis::Client::open(redis_url)?;
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.psubscribe(format!("{prefix}channel:*")).await?;
        let (stop, mut stopped) = oneshot::channel();
        let received = Arc::new(AtomicU64::new(0));
        let counter = received.clone();
        let run = run.to_string();
        let task = tokio::spawn(async move {
            let mut receipts = Receipts::default();
            let mut messages = pubsub.on_message();
            loop {
                let message = tokio::select! {
                    _ = &mut stopped => break,
                    message = messages.next() => match message {
                        Some(message) => message,
                        None => anyhow::bail!("the Redis subscription ended"),
                    },
                };
                let now = ledger_start.elapsed().as_nanos() as u64;
                let payload = message.get_payload_bytes();
                let text = String::from_utf8_lossy(payload);
                let Some(n) = find_marker(&text, &run) else {
                    receipts.foreign += 1;
                    continue;
                };
                let event: Event = serde_json::from_slice(payload)?;
                let topic = message.get_channel_name().to_string();
                if receipts.first_ns.insert(n, now).is_some() {
                    // Seen before: keep the first time.
                    let first = receipts.first_ns[&n].min(now);
                    receipts.first_ns.insert(n, first);
                } else {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                receipts.posts.entry(n).or_default().insert(event.post.id);
                receipts
                    .by_channel
                    .entry(topic)
                    .or_default()
                    .push((event.seq, n));
            }
            Ok(receipts)
        });
        Ok(Self {
            stop,
            task,
            received,
        })
    }

    /// Waits until `expected` messages arrived or `patience` passed since
    /// the last one did; returns when the last one arrived.
    pub async fn drain(&self, expected: u64, patience: Duration) {
        let mut last = self.received.load(Ordering::Relaxed);
        let mut since = Instant::now();
        while last < expected && since.elapsed() < patience {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let now = self.received.load(Ordering::Relaxed);
            if now != last {
                last = now;
                since = Instant::now();
            }
        }
    }

    pub async fn finish(self) -> anyhow::Result<Receipts> {
        let _ = self.stop.send(());
        self.task.await?
    }
}

/// The verdict of one phase.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Check {
    pub sent: u64,
    pub accepted: u64,
    pub refused: u64,
    /// Answer unknown (connection error): neither counted lost nor extra.
    pub unknown: u64,
    /// Accepted, never seen on Redis.
    pub lost_redis: u64,
    /// Accepted, not in PostgreSQL.
    pub lost: u64,
    /// Posted more than once (distinct post ids for one message).
    pub duplicated: u64,
    /// Posted although refused.
    pub posted_refused: u64,
    /// Lanes whose posts are not in sending order.
    pub out_of_order: u64,
    pub errors_by_status: std::collections::BTreeMap<u64, u64>,
}

impl Check {
    pub fn clean(&self) -> bool {
        self.lost == 0
            && self.lost_redis == 0
            && self.duplicated == 0
            && self.posted_refused == 0
            && self.out_of_order == 0
    }
}

/// Where a pipeline keeps its posts: the pipeline's `posts`, or the bare
/// pipeline's scratch table of the same shape.
#[derive(Clone)]
pub struct Posts {
    pub database: tokio_postgres::Config,
    pub table: &'static str,
}

/// Checks the receipts and PostgreSQL's posts against the ledger.
pub async fn check(
    ledger: &Ledger,
    receipts: &Receipts,
    posts: &Posts,
    channels: &[Uuid],
    run: &str,
) -> anyhow::Result<Check> {
    let mut check = Check::default();
    let (client, connection) = posts.database.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let rows = client
        .query(
            &format!(
                "SELECT id, channel_id, seq, message, props::text FROM {} WHERE channel_id = ANY($1) ORDER BY channel_id, seq",
                posts.table
            ),
            &[&channels],
        )
        .await?;
    let mut stored: HashMap<u64, HashSet<Uuid>> = HashMap::new();
    let mut stored_order: HashMap<Uuid, Vec<u64>> = HashMap::new();
    for row in &rows {
        let message: String = row.get(3);
        let props: String = row.get(4);
        let Some(n) = find_marker(&message, run).or_else(|| find_marker(&props, run)) else {
            continue;
        };
        stored.entry(n).or_default().insert(row.get(0));
        stored_order.entry(row.get(1)).or_default().push(n);
    }
    for n in 0..ledger.capacity() as u64 {
        let outcome = ledger.outcome(n as usize);
        match outcome {
            ACCEPTED => {
                check.sent += 1;
                check.accepted += 1;
                if !receipts.first_ns.contains_key(&n) {
                    check.lost_redis += 1;
                }
                match stored.get(&n).map(HashSet::len).unwrap_or(0) {
                    0 => check.lost += 1,
                    1 => {}
                    _ => check.duplicated += 1,
                }
            }
            REFUSED => {
                check.sent += 1;
                check.refused += 1;
                let status = ledger.status[n as usize].load(Ordering::Relaxed);
                *check.errors_by_status.entry(status).or_default() += 1;
                if stored.contains_key(&n) {
                    check.posted_refused += 1;
                }
            }
            FAILED => {
                check.sent += 1;
                check.unknown += 1;
                *check.errors_by_status.entry(0).or_default() += 1;
            }
            _ => {}
        }
    }
    // Order: within a channel (seq order), each lane's numbers increase.
    for numbers in stored_order.values() {
        let mut last_per_lane: HashMap<u64, u64> = HashMap::new();
        for &n in numbers {
            let lane = ledger.lane[n as usize].load(Ordering::Relaxed);
            if lane == NO_LANE {
                continue;
            }
            if let Some(previous) = last_per_lane.insert(lane, n)
                && previous > n
            {
                check.out_of_order += 1;
            }
        }
    }
    Ok(check)
}

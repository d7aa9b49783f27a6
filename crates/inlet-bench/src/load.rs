//! The load generator: `K` keep-alive connections. Message `n` goes on
//! connection `n % K` (a lane's messages on the lane's connection, see
//! `mixes`), so each connection sends its messages one after the other.
//!
//! - Open loop: message `n` is due at `start + n / rate` (released by the
//!   [`Pacer`]); its latencies are measured from that due time, so a
//!   stalled answer delays the messages behind it and the delay is counted
//!   (coordinated omission corrected).
//! - Closed loop: each connection sends as soon as its previous answer came
//!   back, until the deadline; latencies are measured from the send.

use crate::http::Connection;
use crate::mixes::{Generator, Mix};
use crate::pacer::Pacer;
use crate::provision::Hook;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub const NOT_SENT: u8 = 0;
pub const ACCEPTED: u8 = 1;
pub const REFUSED: u8 = 2;
pub const FAILED: u8 = 3;

/// What happened to each message of a phase, indexed by its number.
pub struct Ledger {
    pub start: Instant,
    /// Due time (open loop) or send time (closed loop), ns after `start`.
    pub scheduled_ns: Vec<AtomicU64>,
    /// When the answer came back, ns after `start`.
    pub answered_ns: Vec<AtomicU64>,
    pub outcome: Vec<AtomicU8>,
    pub status: Vec<AtomicU64>,
    pub lane: Vec<AtomicU64>,
    /// Each message's [`Kind`](crate::mixes::Kind) (its index).
    pub kind: Vec<AtomicU8>,
}

pub const NO_LANE: u64 = u64::MAX;

impl Ledger {
    pub fn new(capacity: usize, start: Instant) -> Self {
        let zeros = |_| AtomicU64::new(0);
        Self {
            start,
            scheduled_ns: (0..capacity).map(zeros).collect(),
            answered_ns: (0..capacity).map(zeros).collect(),
            outcome: (0..capacity).map(|_| AtomicU8::new(NOT_SENT)).collect(),
            status: (0..capacity).map(zeros).collect(),
            lane: (0..capacity).map(|_| AtomicU64::new(NO_LANE)).collect(),
            kind: (0..capacity).map(|_| AtomicU8::new(0)).collect(),
        }
    }

    pub fn capacity(&self) -> usize {
        self.outcome.len()
    }

    fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    pub fn outcome(&self, n: usize) -> u8 {
        self.outcome[n].load(Ordering::Acquire)
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Pace {
    /// Messages per second, for a duration.
    Open { rate: f64 },
    /// As fast as the answers come back.
    Closed,
}

pub struct Phase {
    /// Marks this phase's messages.
    pub run: String,
    pub pace: Pace,
    pub duration: Duration,
    pub address: SocketAddr,
}

/// One generator per connection for a whole mix (its threads and cases go
/// on from phase to phase).
pub fn generators(
    mix: Mix,
    run: &str,
    address: SocketAddr,
    hooks: &[Hook],
    connections: usize,
) -> Vec<Generator> {
    let host = address.to_string();
    let k = connections as u64;
    (0..k)
        .map(|c| Generator::new(mix, run, &host, hooks.to_vec(), c, k))
        .collect()
}

/// Sends the phase's messages, connection `c` from `generators[c]`; returns
/// the generators once every connection has its last answer.
pub async fn run(
    phase: Phase,
    ledger: Arc<Ledger>,
    generators: Vec<Generator>,
) -> anyhow::Result<Vec<Generator>> {
    let mut tasks = Vec::with_capacity(generators.len());
    let k = generators.len() as u64;
    let capacity = ledger.capacity() as u64;
    let pacer = match phase.pace {
        Pace::Open { rate } => Some(Pacer::start(
            ledger.start,
            rate,
            phase.duration,
            generators.len(),
        )?),
        Pace::Closed => None,
    };
    for (c, mut generator) in (0..k).zip(generators) {
        let mut connection = Connection::open(phase.address).await?;
        generator.begin_phase(&phase.run);
        let ledger = ledger.clone();
        let pacer = pacer.clone();
        let pace = phase.pace;
        let duration = phase.duration;
        tasks.push(tokio::spawn(async move {
            let mut j = 0u64;
            loop {
                let n = j * k + c;
                if n >= capacity {
                    break;
                }
                let due_ns = match (pace, &pacer) {
                    (Pace::Open { rate }, Some(pacer)) => {
                        let due = (n as f64 / rate * 1e9) as u64;
                        if due >= duration.as_nanos() as u64 {
                            break;
                        }
                        pacer.wait(c as usize, j).await;
                        due
                    }
                    _ => {
                        let now = ledger.now_ns();
                        if now >= duration.as_nanos() as u64 {
                            break;
                        }
                        now
                    }
                };
                j += 1;
                let job = generator.next(n);
                let i = n as usize;
                ledger.scheduled_ns[i].store(due_ns, Ordering::Relaxed);
                ledger.lane[i].store(job.lane.map_or(NO_LANE, u64::from), Ordering::Relaxed);
                ledger.kind[i].store(job.kind.index(), Ordering::Relaxed);
                let outcome = match connection.send(&job.request).await {
                    Ok(status) => {
                        ledger.status[i].store(u64::from(status), Ordering::Relaxed);
                        if (200..300).contains(&status) {
                            ACCEPTED
                        } else {
                            REFUSED
                        }
                    }
                    Err(_) => {
                        // The answer is unknown: the message may or may not
                        // have been accepted. Start over on a new connection.
                        if let Ok(fresh) = Connection::open(connection.address()).await {
                            connection = fresh;
                        }
                        FAILED
                    }
                };
                ledger.answered_ns[i].store(ledger.now_ns(), Ordering::Relaxed);
                ledger.outcome[i].store(outcome, Ordering::Release);
            }
            generator
        }));
    }
    let mut generators = Vec::with_capacity(tasks.len());
    for task in tasks {
        generators.push(task.await?);
    }
    Ok(generators)
}

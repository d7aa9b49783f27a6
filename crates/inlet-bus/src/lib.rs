//! RabbitMQ for Inlet (lapin): the topology, a publisher that answers only
//! after the broker's confirm, consumers with manual acks, and a supervisor
//! that rebuilds the connection with backoff when it breaks.
//!
//! lapin's own recovery is not used: every connection or channel error makes
//! the supervisor drop the connection and build a new one, re-declaring the
//! topology, so consumers resume without a process restart.

pub mod consumer;
pub mod probe;
pub mod publisher;
pub mod replies;
pub mod topology;

pub use consumer::{ConsumerSet, Consuming, LaneSpec, preferred_shards, run_lanes, split_lanes};
pub use lapin;
pub use lapin::BasicProperties;
pub use lapin::message::Delivery;
pub use probe::QueueProbe;
pub use publisher::{PublishError, Publisher, Waited};
pub use topology::{Hop, Topology};

use lapin::{Connection, ConnectionProperties};
use std::time::Duration;

/// Opens one connection, named for the broker's management UI.
pub async fn connect(url: &str, name: &str) -> Result<Connection, lapin::Error> {
    let properties = ConnectionProperties::default().with_connection_name(name.into());
    Connection::connect(url, properties).await
}

/// Exponential backoff with jitter-free doubling, capped.
#[derive(Clone, Debug)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(max: Duration) -> Self {
        Self {
            next: Duration::from_millis(100),
            max,
        }
    }

    /// The delay to wait now; the following one doubles.
    pub fn step(&mut self) -> Duration {
        let now = self.next;
        self.next = (self.next * 2).min(self.max);
        now
    }

    pub fn reset(&mut self) {
        self.next = Duration::from_millis(100);
    }
}

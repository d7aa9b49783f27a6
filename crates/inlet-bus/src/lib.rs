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
pub use publisher::{PublishError, Publisher, Sent};
pub use topology::{Hop, Topology};

use lapin::uri::AMQPUri;
use lapin::{Connection, ConnectionProperties};
use std::time::Duration;

/// The largest AMQP frame asked of the broker when the URL does not say
/// (`?frame_max=`). lapin keeps a receive and a send buffer of 32 frames
/// per connection, which fill up under load and stay: with the broker's
/// 128 KiB frames that is 8 MiB of memory per connection, with 32 KiB
/// frames 2 MiB. A larger message only takes more frames.
pub const DEFAULT_FRAME_MAX: u32 = 32 * 1024;

/// Opens one connection, named for the broker's management UI.
pub async fn connect(url: &str, name: &str) -> Result<Connection, lapin::Error> {
    let uri = with_default_frame_max(url).map_err(|reason| {
        lapin::Error::from(std::io::Error::other(format!("invalid amqp.url: {reason}")))
    })?;
    let properties = ConnectionProperties::default().with_connection_name(name.into());
    Connection::connect_uri(uri, properties).await
}

/// Runs `open` (a connection being set up) for at most `limit`: a broker
/// that accepts the connection and then does not answer must not hold a
/// service for ever; the caller drops the attempt and tries again.
pub async fn within<T>(
    limit: Duration,
    open: impl std::future::Future<Output = Result<T, lapin::Error>>,
) -> Result<T, lapin::Error> {
    match tokio::time::timeout(limit, open).await {
        Ok(result) => result,
        Err(_) => Err(lapin::Error::from(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("the broker did not answer within {limit:?}"),
        ))),
    }
}

/// Parses `url`, asking for [`DEFAULT_FRAME_MAX`] unless it names a frame size.
pub fn with_default_frame_max(url: &str) -> Result<AMQPUri, String> {
    let mut uri: AMQPUri = url.parse()?;
    uri.query.frame_max.get_or_insert(DEFAULT_FRAME_MAX);
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_default_to_32_kib_unless_the_url_names_a_size() {
        let uri = with_default_frame_max("amqp://guest:guest@127.0.0.1:5672/%2f").unwrap();
        assert_eq!(uri.query.frame_max, Some(32 * 1024));
        assert_eq!(uri.authority.port, 5672);
        let uri = with_default_frame_max("amqp://127.0.0.1/%2f?frame_max=131072").unwrap();
        assert_eq!(uri.query.frame_max, Some(131_072));
        assert!(with_default_frame_max("http://nope").is_err());
    }
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

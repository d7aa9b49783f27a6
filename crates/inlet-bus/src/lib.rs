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
pub mod retry;
pub mod topology;
pub mod worker;

pub use consumer::{ConsumerSet, Consuming, LaneSpec, preferred_shards, run_lanes, split_lanes};
pub use lapin;
pub use lapin::BasicProperties;
pub use lapin::message::Delivery;
pub use probe::QueueProbe;
pub use publisher::{PublishError, Publisher, Sent};
pub use retry::{Backoff, dependency_backoff, retry_until};
pub use topology::{Hop, Topology};
pub use worker::{
    Batch, BatchSink, BatchWorker, Batches, RecordingSink, Step, WorkerSpec, run_worker,
};

use lapin::uri::AMQPUri;
use lapin::{Connection, ConnectionProperties};
use std::time::Duration;

/// The largest AMQP frame asked of the broker when the URL does not say
/// (`?frame_max=`). lapin keeps a receive and a send buffer of 32 frames
/// per connection, which fill up under load and stay: with the broker's
/// 128 KiB frames that is 8 MiB of memory per connection, with 32 KiB
/// frames 2 MiB. A larger message only takes more frames.
pub const DEFAULT_FRAME_MAX: u32 = 32 * 1024;

/// The content type of every message Inlet puts on the broker.
pub const PROTOBUF: &str = "application/x-protobuf";

/// The properties of a protobuf message (`inlet.v1`), carrying its
/// message id when it has one of its own (a raw webhook, a replay).
pub fn properties(message_id: Option<&str>) -> BasicProperties {
    let properties = BasicProperties::default().with_content_type(PROTOBUF.into());
    match message_id {
        Some(id) => properties.with_message_id(id.into()),
        None => properties,
    }
}

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

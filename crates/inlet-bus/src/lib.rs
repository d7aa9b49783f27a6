//! RabbitMQ for Inlet (lapin): the topology, a publisher that answers only
//! after the broker's confirm, consumers with manual acks, and a supervisor
//! that rebuilds the connection with backoff when it breaks.
//!
//! lapin's own recovery is not used: every connection or channel error makes
//! the supervisor drop the connection and build a new one, re-declaring the
//! topology, so consumers resume without a process restart.
//!
//! `amqp.url` may name the nodes of a cluster ([`connect`]): each new
//! connection starts at the next node, so a process's connections spread
//! over the nodes and a connection lost with its node is rebuilt on
//! another.

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
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// How long one node of a cluster may take to accept a connection before
/// the next node is tried: a node cut off by the network accepts nothing
/// and refuses nothing. (A single node has no other to try; the callers'
/// own `amqp.open_timeout_ms` bounds it.)
pub const NODE_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The node the next connection tries first. Seeded with the process id,
/// so that replicas with the same configuration start on different nodes.
static NEXT_NODE: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Which node of `count` the next connection tries first.
fn first_node(count: usize) -> usize {
    let seed = std::process::id() as usize;
    let _ = NEXT_NODE.compare_exchange(usize::MAX, seed, Ordering::Relaxed, Ordering::Relaxed);
    NEXT_NODE.fetch_add(1, Ordering::Relaxed) % count.max(1)
}

/// `count` node indexes in the order to try them, from `first` round.
fn node_order(first: usize, count: usize) -> impl Iterator<Item = usize> {
    (0..count).map(move |i| (first + i) % count)
}

/// Opens one connection, named for the broker's management UI, to a node
/// of `url` (one URL, or a cluster's node URLs separated by commas): the
/// nodes are tried in turn from the next one round, so that connections
/// spread over the nodes and one lost with its node comes back on another.
pub async fn connect(url: &str, name: &str) -> Result<Connection, lapin::Error> {
    let nodes = inlet_core::settings::amqp_nodes(url);
    if let [node] = nodes[..] {
        return connect_node(node, name).await;
    }
    let mut last_error = None;
    for index in node_order(first_node(nodes.len()), nodes.len()) {
        let node = nodes[index];
        match within(NODE_CONNECT_TIMEOUT, connect_node(node, name)).await {
            Ok(connection) => {
                tracing::debug!(name, node = index + 1, "connected to broker node");
                return Ok(connection);
            }
            Err(error) => {
                tracing::warn!(name, node = index + 1, %error, "broker node unreachable; trying the next");
                last_error = Some(error);
            }
        }
    }
    Err(last_error.unwrap_or_else(|| invalid_url(InvalidAmqpUrl("no node".into()))))
}

/// How long closing a connection waits for the broker's `close-ok`. A
/// connection whose node went away (reset, or a node shutting down) may
/// never answer, and whoever closes it is about to reconnect elsewhere.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Closes `connection`, waiting at most [`CLOSE_TIMEOUT`] for the broker;
/// unacknowledged deliveries return to their queues either way.
pub async fn close(connection: &Connection) {
    let closing = connection.close(200, "closing".into());
    if tokio::time::timeout(CLOSE_TIMEOUT, closing).await.is_err() {
        tracing::debug!("the broker did not acknowledge the close; connection dropped");
    }
}

/// Opens one connection to one node.
async fn connect_node(url: &str, name: &str) -> Result<Connection, lapin::Error> {
    let uri = with_default_frame_max(url).map_err(invalid_url)?;
    let properties = ConnectionProperties::default().with_connection_name(name.into());
    Connection::connect_uri(uri, properties).await
}

/// An `amqp.url` node address the AMQP client cannot read (its reason).
#[derive(Debug, thiserror::Error)]
#[error("invalid amqp.url: {0}")]
pub struct InvalidAmqpUrl(String);

fn invalid_url(error: InvalidAmqpUrl) -> lapin::Error {
    lapin::Error::from(std::io::Error::other(error))
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
pub fn with_default_frame_max(url: &str) -> Result<AMQPUri, InvalidAmqpUrl> {
    let mut uri: AMQPUri = url.parse().map_err(InvalidAmqpUrl)?;
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

    #[test]
    fn every_node_is_tried_once_from_the_first_round() {
        assert_eq!(node_order(1, 3).collect::<Vec<_>>(), vec![1, 2, 0]);
        assert_eq!(node_order(0, 1).collect::<Vec<_>>(), vec![0]);
    }

    #[test]
    fn successive_connections_start_at_successive_nodes() {
        // Many "nodes", so that other tests connecting meanwhile (which
        // advances the start further) cannot bring it round to the same one.
        let count = 1_000_003;
        let firsts: Vec<usize> = (0..6).map(|_| first_node(count)).collect();
        for pair in firsts.windows(2) {
            assert_ne!(pair[0], pair[1], "{firsts:?}");
        }
    }

    #[tokio::test]
    async fn a_cluster_with_every_node_down_fails_with_the_last_error() {
        // Nothing listens on ports 1 and 2: refused at once, both tried.
        let url = "amqp://127.0.0.1:1/%2f,amqp://127.0.0.1:2/%2f";
        let started = std::time::Instant::now();
        assert!(connect(url, "test").await.is_err());
        assert!(started.elapsed() < NODE_CONNECT_TIMEOUT);
    }
}

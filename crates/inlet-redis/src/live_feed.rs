//! The live feed of chat channels: one Redis pub/sub connection for the
//! whole process, subscribed to a channel's topic while at least one live
//! event stream of that channel is open, and fanning each message out to
//! those streams through a `tokio::sync::broadcast` channel, decoded once
//! for all of them into the caller's event type `E` (the API's live event
//! streams are its users). Without it, every
//! stream held a Redis connection of its own: a few hundred streams were a
//! few hundred connections.
//!
//! One task (the feeder) owns the connection and the table of channels and
//! does everything in order: joining, leaving, reading messages. So the
//! decision to unsubscribe a channel (no stream left) and the `UNSUBSCRIBE`
//! itself cannot interleave with another stream joining that channel.
//!
//! When the connection is lost every channel's broadcast channel closes,
//! and with it every stream: their clients reconnect with `Last-Event-ID`,
//! exactly as when each stream lost a connection of its own. The next
//! stream to join connects again; while Redis is away, joining fails and
//! the stream is answered 503.

use futures_util::StreamExt;
use redis::aio::{PubSubSink, PubSubStream};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::{Instant, timeout};
use tokio_util::sync::CancellationToken;

/// How long connecting, `SUBSCRIBE` and `UNSUBSCRIBE` may take: the feeder
/// does one thing at a time, so a Redis that does not answer must not hold
/// every other stream for long.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// After a failed connection attempt, streams that join within this time
/// are refused at once instead of each waiting for an attempt of its own.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);

/// Decodes a message's payload into the event every stream receives;
/// `None` skips the message.
pub type Decode<E> = fn(&[u8]) -> Option<E>;

/// A handle on the feeder; `State` holds one.
pub struct LiveFeed<E> {
    commands: mpsc::UnboundedSender<Command<E>>,
}

/// A stream's interest in a channel's feed. Dropping it gives the interest
/// back; the feeder unsubscribes the channel when the last one is back.
pub struct Subscription<E> {
    pub events: broadcast::Receiver<E>,
    topic: String,
    feed_id: u64,
    commands: mpsc::UnboundedSender<Command<E>>,
}

impl<E> Drop for Subscription<E> {
    fn drop(&mut self) {
        // Fails only once the feeder has stopped, when nothing is left to release.
        let _ = self.commands.send(Command::Leave {
            topic: std::mem::take(&mut self.topic),
            feed_id: self.feed_id,
        });
    }
}

/// Why a stream could not join its channel's feed, or the feed lost Redis.
#[derive(Clone, Debug, thiserror::Error)]
pub enum FeedError {
    #[error("the live feed has stopped")]
    Stopped,
    #[error("cannot connect to Redis: {0}")]
    Connect(redis::RedisError),
    #[error("connecting to Redis timed out")]
    ConnectTimedOut,
    #[error("SUBSCRIBE failed: {0}")]
    Subscribe(redis::RedisError),
    #[error("SUBSCRIBE timed out")]
    SubscribeTimedOut,
    #[error("UNSUBSCRIBE failed: {0}")]
    Unsubscribe(redis::RedisError),
    #[error("UNSUBSCRIBE timed out")]
    UnsubscribeTimedOut,
}

enum Command<E> {
    Join {
        topic: String,
        reply: oneshot::Sender<Result<Subscription<E>, FeedError>>,
    },
    Leave {
        topic: String,
        feed_id: u64,
    },
}

impl<E: Clone + Send + 'static> LiveFeed<E> {
    /// Starts the feeder on the current runtime; it connects when the first
    /// stream joins and stops when `stop` is cancelled.
    pub fn start(
        redis: &inlet_core::settings::RedisSettings,
        buffer_events: usize,
        decode: Decode<E>,
        stop: CancellationToken,
    ) -> redis::RedisResult<Self> {
        // Checked now; the primary is found at each (re)connection.
        redis::IntoConnectionInfo::into_connection_info(redis.url.as_str())?;
        let (commands, queue) = mpsc::unbounded_channel();
        let feeder = Feeder {
            redis: redis.clone(),
            buffer_events,
            decode,
            commands: commands.clone(),
            link: None,
            last_failure: None,
            feeds: HashMap::new(),
            next_feed_id: 0,
        };
        tokio::spawn(feeder.run(queue, stop));
        Ok(Self { commands })
    }

    /// Joins the feed of `topic` (a channel's Redis topic): once this
    /// returns, every post published on it reaches the subscription.
    pub async fn join(&self, topic: String) -> Result<Subscription<E>, FeedError> {
        let (reply, joined) = oneshot::channel();
        self.commands
            .send(Command::Join { topic, reply })
            .map_err(|_| FeedError::Stopped)?;
        joined.await.map_err(|_| FeedError::Stopped)?
    }
}

/// The connection, split so that `SUBSCRIBE` and `UNSUBSCRIBE` can be sent
/// while messages are read.
struct Link {
    sink: PubSubSink,
    messages: PubSubStream,
}

/// One subscribed channel.
struct Feed<E> {
    /// Tells this feed from an earlier one of the same channel (before the
    /// connection was lost), whose subscriptions may still be leaving.
    id: u64,
    sender: broadcast::Sender<E>,
    /// Subscriptions handed out and not yet dropped.
    streams: usize,
}

struct Feeder<E> {
    redis: inlet_core::settings::RedisSettings,
    buffer_events: usize,
    decode: Decode<E>,
    commands: mpsc::UnboundedSender<Command<E>>,
    link: Option<Link>,
    last_failure: Option<(Instant, FeedError)>,
    /// By Redis topic.
    feeds: HashMap<String, Feed<E>>,
    next_feed_id: u64,
}

/// What woke the feeder.
enum Wake<E> {
    Command(Command<E>),
    Message(redis::Msg),
    ConnectionLost,
}

impl<E: Clone + Send + 'static> Feeder<E> {
    async fn run(
        mut self,
        mut queue: mpsc::UnboundedReceiver<Command<E>>,
        stop: CancellationToken,
    ) {
        loop {
            let wake = tokio::select! {
                _ = stop.cancelled() => return,
                command = queue.recv() => match command {
                    Some(command) => Wake::Command(command),
                    None => return,
                },
                message = next_message(&mut self.link) => match message {
                    Some(message) => Wake::Message(message),
                    None => Wake::ConnectionLost,
                },
            };
            match wake {
                Wake::Command(Command::Join { topic, reply }) => {
                    let joined = self.join(topic).await;
                    // If the request was dropped meanwhile, the subscription
                    // comes back here and leaves at once (its Drop).
                    let _ = reply.send(joined);
                }
                Wake::Command(Command::Leave { topic, feed_id }) => {
                    self.leave(&topic, feed_id).await;
                }
                Wake::Message(message) => self.fan_out(&message),
                Wake::ConnectionLost => self.lose_link(&"the Redis connection closed"),
            }
        }
    }

    async fn join(&mut self, topic: String) -> Result<Subscription<E>, FeedError> {
        let mut feed = match self.feeds.remove(&topic) {
            Some(feed) => feed,
            None => self.subscribe(&topic).await?,
        };
        feed.streams += 1;
        let subscription = Subscription {
            events: feed.sender.subscribe(),
            topic: topic.clone(),
            feed_id: feed.id,
            commands: self.commands.clone(),
        };
        self.feeds.insert(topic, feed);
        Ok(subscription)
    }

    /// Subscribes the connection to `topic` (connecting first if needed).
    /// Messages read afterwards are fanned out only once the feed is in the
    /// table, which happens before the next message is read: none is lost.
    async fn subscribe(&mut self, topic: &str) -> Result<Feed<E>, FeedError> {
        let sink = self.connected_sink().await?;
        let failure = match timeout(REDIS_TIMEOUT, sink.subscribe(topic)).await {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(FeedError::Subscribe(error)),
            Err(_) => Some(FeedError::SubscribeTimedOut),
        };
        if let Some(failure) = failure {
            // A connection whose answers went astray cannot be trusted with
            // the other channels either.
            self.lose_link(&failure);
            return Err(failure);
        }
        let (sender, _) = broadcast::channel(self.buffer_events);
        self.next_feed_id += 1;
        Ok(Feed {
            id: self.next_feed_id,
            sender,
            streams: 0,
        })
    }

    async fn connected_sink(&mut self) -> Result<&mut PubSubSink, FeedError> {
        let link = match self.link.take() {
            Some(link) => link,
            None => self.connect().await?,
        };
        Ok(&mut self.link.insert(link).sink)
    }

    async fn connect(&mut self) -> Result<Link, FeedError> {
        if let Some((at, error)) = &self.last_failure
            && at.elapsed() < RECONNECT_PAUSE
        {
            return Err(error.clone());
        }
        let subscribe = async {
            crate::link::primary_client(&self.redis)
                .await?
                .get_async_pubsub()
                .await
        };
        let error = match timeout(REDIS_TIMEOUT, subscribe).await {
            Ok(Ok(pubsub)) => {
                self.last_failure = None;
                let (sink, messages) = pubsub.split();
                tracing::debug!("live feed connected to Redis");
                return Ok(Link { sink, messages });
            }
            Ok(Err(error)) => FeedError::Connect(error),
            Err(_) => FeedError::ConnectTimedOut,
        };
        self.last_failure = Some((Instant::now(), error.clone()));
        Err(error)
    }

    async fn leave(&mut self, topic: &str, feed_id: u64) {
        let Some(feed) = self.feeds.get_mut(topic) else {
            return; // its feed ended with a lost connection
        };
        if feed.id != feed_id {
            return; // a subscription of an earlier feed of this channel
        }
        feed.streams -= 1;
        if feed.streams > 0 {
            return;
        }
        self.feeds.remove(topic);
        let Some(link) = self.link.as_mut() else {
            return;
        };
        let failure = match timeout(REDIS_TIMEOUT, link.sink.unsubscribe(topic)).await {
            Ok(Ok(())) => return,
            Ok(Err(error)) => FeedError::Unsubscribe(error),
            Err(_) => FeedError::UnsubscribeTimedOut,
        };
        self.lose_link(&failure);
    }

    fn fan_out(&self, message: &redis::Msg) {
        let Some(feed) = self.feeds.get(message.get_channel_name()) else {
            return; // a late message of a channel just unsubscribed
        };
        if let Some(event) = (self.decode)(message.get_payload_bytes()) {
            // Fails only when no receiver is left, i.e. the last stream is
            // leaving: nobody to tell.
            let _ = feed.sender.send(event);
        }
    }

    /// Drops the connection and every feed: dropping a feed's sender closes
    /// its streams' receivers, so those streams end and their clients
    /// reconnect.
    fn lose_link(&mut self, why: &dyn std::fmt::Display) {
        if self.link.take().is_some() {
            tracing::warn!(
                reason = %why,
                channels = self.feeds.len(),
                "live feed lost its Redis connection; its streams end and reconnect"
            );
        }
        self.feeds.clear();
    }
}

/// The next message of the connection; never ready without one.
async fn next_message(link: &mut Option<Link>) -> Option<redis::Msg> {
    match link {
        Some(link) => link.messages.next().await,
        None => std::future::pending().await,
    }
}

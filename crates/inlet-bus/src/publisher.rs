//! Publishing with confirms, behind a supervised connection.
//!
//! `publish` returns `Ok` only when the broker has confirmed the message
//! (persistent, `mandatory`): a returned (unroutable) message, a nack, a
//! broken channel or a confirm slower than `confirm_timeout` are failures,
//! which ingress turns into 503. Many confirms are in flight at once; a
//! shard always goes through the same channel, so its publish order is the
//! order of the calls.

use crate::Backoff;
use crate::replies::{self, Waiters};
use crate::topology::{Hop, Topology};
use inlet_core::settings::AmqpSettings;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Confirmation, Connection, PublisherConfirm};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{Notify, oneshot};
use tokio_util::sync::CancellationToken;

/// Why a message is not confirmed (and so not safe).
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("not connected to the broker")]
    Unavailable,
    #[error("the broker returned the message as unroutable: {0}")]
    Returned(String),
    #[error("the broker refused the message (nack)")]
    Nacked,
    #[error("the broker did not confirm within the timeout")]
    Timeout,
    #[error("the channel failed: {0}")]
    Channel(#[from] lapin::Error),
}

struct Link {
    connection: Connection,
    channels: Vec<Channel>,
}

pub struct Publisher {
    exchanges: [String; 2],
    routing_keys: Vec<String>,
    confirm_timeout: Duration,
    link: RwLock<Option<Arc<Link>>>,
    broken: Notify,
    waiters: Arc<Waiters>,
}

impl Publisher {
    /// Starts the publisher and its supervisor; it connects in the
    /// background (see [`Publisher::wait_connected`]).
    pub fn start(settings: &AmqpSettings, name: &str, cancel: CancellationToken) -> Arc<Self> {
        let topology = Topology::new(settings);
        let publisher = Arc::new(Self {
            exchanges: [topology.exchange(Hop::Raw), topology.exchange(Hop::Posts)],
            routing_keys: (0..topology.shards).map(Topology::routing_key).collect(),
            confirm_timeout: Duration::from_millis(settings.confirm_timeout_ms),
            link: RwLock::new(None),
            broken: Notify::new(),
            waiters: Arc::new(Waiters::default()),
        });
        let supervisor = Supervisor {
            url: settings.url.clone(),
            name: name.to_string(),
            channels: settings.publish_channels,
            open_timeout: Duration::from_millis(settings.open_timeout_ms),
            topology,
            max_backoff: Duration::from_millis(settings.reconnect_max_backoff_ms),
            waiters: publisher.waiters.clone(),
        };
        tokio::spawn(supervisor.run(publisher.clone(), cancel));
        publisher
    }

    pub fn is_connected(&self) -> bool {
        self.current()
            .is_some_and(|l| l.connection.status().connected())
    }

    /// Waits until connected, at most `timeout`; true when connected.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if self.is_connected() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.is_connected()
    }

    fn current(&self) -> Option<Arc<Link>> {
        self.link.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Publishes `payload` to `hop`'s exchange for `shard` and waits for the
    /// broker's confirm.
    pub async fn publish(
        &self,
        hop: Hop,
        shard: u16,
        payload: &[u8],
        properties: BasicProperties,
    ) -> Result<(), PublishError> {
        let sent = self.send(hop, shard, payload, properties).await?;
        self.confirmed(sent).await
    }

    /// Hands `payload` to the broker (its frames written in call order on
    /// the shard's channel) without waiting for the confirm: that is
    /// [`Publisher::confirmed`], so that several publishes of one shard can
    /// be in flight at once.
    pub async fn send(
        &self,
        hop: Hop,
        shard: u16,
        payload: &[u8],
        properties: BasicProperties,
    ) -> Result<Sent, PublishError> {
        let link = self.current().ok_or(PublishError::Unavailable)?;
        let channel = &link.channels[usize::from(shard) % link.channels.len()];
        let exchange = &self.exchanges[match hop {
            Hop::Raw => 0,
            Hop::Posts => 1,
        }];
        let routing_key = self
            .routing_keys
            .get(usize::from(shard))
            .ok_or(PublishError::Unavailable)?;
        let options = BasicPublishOptions {
            mandatory: true,
            immediate: false,
        };
        let properties = properties.with_delivery_mode(2);
        let started = tokio::time::Instant::now();
        let publishing = channel.basic_publish(
            exchange.as_str().into(),
            routing_key.as_str().into(),
            options,
            payload,
            properties,
        );
        match tokio::time::timeout(self.confirm_timeout, publishing).await {
            Err(_) => Err(PublishError::Timeout),
            Ok(Err(error)) => {
                // A failed channel fails every pending confirm; rebuild.
                self.broken.notify_one();
                Err(PublishError::Channel(error))
            }
            Ok(Ok(confirm)) => Ok(Sent {
                confirm,
                deadline: started + self.confirm_timeout,
            }),
        }
    }

    /// Waits for the broker's confirm of a [`Publisher::send`], at most
    /// `confirm_timeout` from the send.
    pub async fn confirmed(&self, sent: Sent) -> Result<(), PublishError> {
        match tokio::time::timeout_at(sent.deadline, sent.confirm).await {
            Err(_) => Err(PublishError::Timeout),
            Ok(Err(error)) => {
                self.broken.notify_one();
                Err(PublishError::Channel(error))
            }
            Ok(Ok(Confirmation::Ack(None))) => Ok(()),
            Ok(Ok(Confirmation::Ack(Some(returned)))) => {
                Err(PublishError::Returned(returned.reply_text.to_string()))
            }
            Ok(Ok(Confirmation::Nack(_))) => {
                // A quorum queue over its length limit makes the channel
                // refuse every later publish to it until the queue says it
                // has room again, which it may never say (the limit removed
                // meanwhile): start over on fresh channels.
                self.broken.notify_one();
                Err(PublishError::Nacked)
            }
            Ok(Ok(Confirmation::NotRequested)) => Err(PublishError::Nacked),
        }
    }

    /// Registers a sender waiting for the verdict on `correlation_id` (the
    /// message id); the message must then be published with
    /// [`DIRECT_REPLY_TO`](replies::DIRECT_REPLY_TO) as `reply_to`.
    pub fn expect_verdict(&self, correlation_id: &str) -> oneshot::Receiver<Vec<u8>> {
        self.waiters.register(correlation_id)
    }

    /// Drops a registration of [`Publisher::expect_verdict`].
    pub fn forget_verdict(&self, correlation_id: &str) {
        self.waiters.forget(correlation_id)
    }

    /// Sends a verdict to a waiting sender (best effort, never confirmed).
    pub async fn reply(&self, reply_to: &str, correlation_id: &str, payload: &[u8]) {
        if let Some(link) = self.current() {
            replies::send(&link.channels[0], reply_to, correlation_id, payload).await;
        }
    }
}

/// A publish handed to the broker, its confirm still to come.
pub struct Sent {
    confirm: PublisherConfirm,
    deadline: tokio::time::Instant,
}

struct Supervisor {
    url: String,
    name: String,
    channels: usize,
    open_timeout: Duration,
    topology: Topology,
    max_backoff: Duration,
    waiters: Arc<Waiters>,
}

impl Supervisor {
    async fn run(self, publisher: Arc<Publisher>, cancel: CancellationToken) {
        let mut backoff = Backoff::new(self.max_backoff);
        while !cancel.is_cancelled() {
            let opened = tokio::select! {
                _ = cancel.cancelled() => break,
                opened = crate::within(self.open_timeout, self.open()) => opened,
            };
            match opened {
                Ok(link) => {
                    backoff.reset();
                    let link = Arc::new(link);
                    *publisher.link.write().unwrap_or_else(|p| p.into_inner()) = Some(link.clone());
                    tracing::info!(name = %self.name, "publisher connected to the broker");
                    wait_until_broken(&link, &publisher.broken, &cancel).await;
                    *publisher.link.write().unwrap_or_else(|p| p.into_inner()) = None;
                    crate::close(&link.connection).await;
                    if !cancel.is_cancelled() {
                        tracing::warn!(name = %self.name, "publisher lost the broker; reconnecting");
                    }
                }
                Err(error) => {
                    tracing::warn!(name = %self.name, %error, "cannot connect to the broker")
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(backoff.step()) => {}
            }
        }
    }

    async fn open(&self) -> Result<Link, lapin::Error> {
        let connection = crate::connect(&self.url, &self.name).await?;
        let mut channels = Vec::with_capacity(self.channels);
        for _ in 0..self.channels {
            let channel = connection.create_channel().await?;
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await?;
            // Waiting requests must be published on a channel that consumes
            // the direct reply-to: every publishing channel does.
            replies::consume(&channel, self.waiters.clone()).await?;
            channels.push(channel);
        }
        self.topology.declare(&channels[0]).await?;
        Ok(Link {
            connection,
            channels,
        })
    }
}

/// Returns when the link breaks (a publish failed, the connection or a
/// channel closed) or on shutdown.
async fn wait_until_broken(link: &Link, broken: &Notify, cancel: &CancellationToken) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = broken.notified() => return,
            _ = tokio::time::sleep(Duration::from_millis(200)) => {
                let healthy = link.connection.status().connected()
                    && link.channels.iter().all(|c| c.status().connected());
                if !healthy {
                    return;
                }
            }
        }
    }
}

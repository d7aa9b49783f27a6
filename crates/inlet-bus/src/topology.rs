//! Exchange and queue names, their arguments, and their declaration.
//!
//! Two hops, each a direct exchange and `shards` quorum queues bound by the
//! shard number: `raw` (ingress → formatter) and `posts` (formatter →
//! delivery). A fanout dead-letter exchange collects what the delivery limit
//! gives up on. Queue arguments cannot change in place, so every name carries
//! the topology version, and every argument is built in [`Topology::queue_arguments`].

use inlet_core::settings::AmqpSettings;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{Channel, ExchangeKind};

/// A hop of the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hop {
    /// Raw webhooks, ingress → formatter.
    Raw,
    /// Formatted posts, formatter → delivery.
    Posts,
}

impl Hop {
    pub const ALL: [Hop; 2] = [Hop::Raw, Hop::Posts];

    /// The hop's name, as in its exchange's and queues' names.
    pub fn as_str(self) -> &'static str {
        match self {
            Hop::Raw => "raw",
            Hop::Posts => "posts",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Topology {
    base: String,
    pub shards: u16,
    delivery_limit: u32,
    queue_expires_ms: u64,
}

impl Topology {
    pub fn new(settings: &AmqpSettings) -> Self {
        Self {
            base: format!("{}inlet.v{}", settings.prefix, settings.topology_version),
            shards: settings.shards,
            delivery_limit: settings.delivery_limit,
            queue_expires_ms: settings.queue_expires_ms,
        }
    }

    pub fn exchange(&self, hop: Hop) -> String {
        format!("{}.{}", self.base, hop.as_str())
    }

    pub fn queue(&self, hop: Hop, shard: u16) -> String {
        format!("{}.{}.{shard:04}", self.base, hop.as_str())
    }

    /// The hop whose shard queue `queue` is (e.g. the broker's
    /// `x-first-death-queue` of a dead-lettered message); `None` for a
    /// queue of no hop of this topology.
    pub fn hop_of_queue(&self, queue: &str) -> Option<Hop> {
        Hop::ALL
            .into_iter()
            .find(|hop| (0..self.shards).any(|shard| self.queue(*hop, shard) == queue))
    }

    pub fn dead_letter_exchange(&self) -> String {
        format!("{}.dead", self.base)
    }

    pub fn dead_letter_queue(&self) -> String {
        format!("{}.dead", self.base)
    }

    /// The routing key of a shard.
    pub fn routing_key(shard: u16) -> String {
        shard.to_string()
    }

    /// Every argument of a shard queue, each for a stated reason.
    pub fn queue_arguments(&self) -> FieldTable {
        let mut args = FieldTable::default();
        let text = |s: &str| AMQPValue::LongString(LongString::from(s));
        // Raft-replicated, always durable and persistent; has a delivery count.
        // No `x-quorum-initial-group-size`: a member on every node of the
        // cluster (the default), so any one of three nodes may be lost.
        args.insert("x-queue-type".into(), text("quorum"));
        // One active consumer per shard: the shard is processed in order;
        // another replica takes over when it goes away.
        args.insert("x-single-active-consumer".into(), AMQPValue::Boolean(true));
        // 3.10 has no default delivery limit: without one a crash-looping
        // message is redelivered forever.
        args.insert(
            "x-delivery-limit".into(),
            AMQPValue::LongLongInt(i64::from(self.delivery_limit)),
        );
        args.insert(
            "x-dead-letter-exchange".into(),
            text(&self.dead_letter_exchange()),
        );
        // At-least-once dead lettering; it silently degrades to at-most-once
        // unless overflow is reject-publish.
        args.insert("x-dead-letter-strategy".into(), text("at-least-once"));
        args.insert("x-overflow".into(), text("reject-publish"));
        self.add_expiry(&mut args);
        args
    }

    fn dead_letter_arguments(&self) -> FieldTable {
        let mut args = FieldTable::default();
        args.insert(
            "x-queue-type".into(),
            AMQPValue::LongString("quorum".into()),
        );
        self.add_expiry(&mut args);
        args
    }

    /// Tests set an expiry so abandoned queues vanish from the broker.
    fn add_expiry(&self, args: &mut FieldTable) {
        if self.queue_expires_ms > 0 {
            let ms = i64::try_from(self.queue_expires_ms).unwrap_or(i64::MAX);
            args.insert("x-expires".into(), AMQPValue::LongLongInt(ms));
        }
    }

    /// Declares everything (idempotent: the same arguments every time).
    pub async fn declare(&self, channel: &Channel) -> Result<(), lapin::Error> {
        let durable = ExchangeDeclareOptions {
            durable: true,
            ..Default::default()
        };
        let queue_options = QueueDeclareOptions {
            durable: true,
            ..Default::default()
        };
        channel
            .exchange_declare(
                self.dead_letter_exchange().into(),
                ExchangeKind::Fanout,
                durable,
                FieldTable::default(),
            )
            .await?;
        channel
            .queue_declare(
                self.dead_letter_queue().into(),
                queue_options,
                self.dead_letter_arguments(),
            )
            .await?;
        channel
            .queue_bind(
                self.dead_letter_queue().into(),
                self.dead_letter_exchange().into(),
                "".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        for hop in Hop::ALL {
            channel
                .exchange_declare(
                    self.exchange(hop).into(),
                    ExchangeKind::Direct,
                    durable,
                    FieldTable::default(),
                )
                .await?;
            for shard in 0..self.shards {
                channel
                    .queue_declare(
                        self.queue(hop, shard).into(),
                        queue_options,
                        self.queue_arguments(),
                    )
                    .await?;
                channel
                    .queue_bind(
                        self.queue(hop, shard).into(),
                        self.exchange(hop).into(),
                        Self::routing_key(shard).into(),
                        QueueBindOptions::default(),
                        FieldTable::default(),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// Deletes the exchanges (tests clean up after themselves). Queues are
    /// left to expire (`x-expires`): deleting a quorum queue while its
    /// at-least-once dead-letter worker starts crashes that worker on
    /// RabbitMQ 3.10, and two crashes at once stop dead lettering for every
    /// queue declared afterwards on that node.
    pub async fn delete_exchanges(&self, channel: &Channel) -> Result<(), lapin::Error> {
        use lapin::options::ExchangeDeleteOptions;
        for exchange in [
            self.exchange(Hop::Raw),
            self.exchange(Hop::Posts),
            self.dead_letter_exchange(),
        ] {
            channel
                .exchange_delete(exchange.into(), ExchangeDeleteOptions::default())
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_prefix_version_and_shard() {
        let settings = AmqpSettings {
            prefix: "t1.".into(),
            topology_version: 3,
            ..AmqpSettings::default()
        };
        let t = Topology::new(&settings);
        assert_eq!(t.exchange(Hop::Raw), "t1.inlet.v3.raw");
        assert_eq!(t.queue(Hop::Posts, 7), "t1.inlet.v3.posts.0007");
        assert_eq!(t.dead_letter_exchange(), "t1.inlet.v3.dead");
    }

    #[test]
    fn a_shard_queue_names_its_hop() {
        let t = Topology::new(&AmqpSettings::default());
        assert_eq!(t.hop_of_queue(&t.queue(Hop::Posts, 3)), Some(Hop::Posts));
        assert_eq!(t.hop_of_queue(&t.queue(Hop::Raw, 0)), Some(Hop::Raw));
        assert_eq!(t.hop_of_queue(&t.dead_letter_queue()), None);
        assert_eq!(t.hop_of_queue(""), None);
    }

    #[test]
    fn queue_arguments_are_explicit() {
        let t = Topology::new(&AmqpSettings::default());
        let args = t.queue_arguments();
        let inner = args.inner();
        for key in [
            "x-queue-type",
            "x-single-active-consumer",
            "x-delivery-limit",
            "x-dead-letter-exchange",
            "x-dead-letter-strategy",
            "x-overflow",
        ] {
            assert!(inner.contains_key(key), "{key} missing");
        }
        assert!(
            !inner.contains_key("x-expires"),
            "production queues never expire"
        );
    }
}

//! The bare durable pipeline: the pipeline's hops and guarantees with none
//! of Inlet's logic, run inside the bench beside the real one so that the
//! pipeline is compared with what the same machine can do in the same run.
//!
//! - `front`: an HTTP POST answered `202` after a confirmed persistent
//!   publish of its body into a quorum queue;
//! - `relay`: consumes that queue, publishes each message confirmed into a
//!   second quorum queue, then acks;
//! - `store`: consumes the second queue in batches, writes each batch in
//!   one transaction (synchronous commit) assigning a per-channel counter,
//!   publishes each row on Redis, then acks.
//!
//! Its queues, Redis prefix and tables are its own (named after the run),
//! and are removed when it stops.

mod front;
mod relay;
mod store;

use crate::provision::Hook;
use std::collections::HashMap;
use std::net::SocketAddr;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The bare pipeline's scratch table, in the ceilings' own database: the
/// verification reads it as it reads `posts`.
pub const TABLE: &str = "bench_bare_posts";

/// Where the bare pipeline connects, and with what sizes (the services'
/// defaults, see `Bare::start`).
pub struct Config {
    pub amqp_url: String,
    pub redis_url: String,
    pub database: tokio_postgres::Config,
    /// Unique per run: names the queues and the Redis prefix.
    pub run: String,
    pub http_workers: usize,
    pub relay_prefetch: u16,
    pub batch_size: usize,
    pub batch_linger_ms: u64,
}

/// A running bare pipeline.
pub struct Bare {
    pub address: SocketAddr,
    /// Its events go to `<prefix>channel:<id>`, as the pipeline's do.
    pub redis_prefix: String,
    queues: [String; 2],
    amqp_url: String,
    database: tokio_postgres::Config,
    front: front::Front,
    workers: Vec<JoinHandle<anyhow::Result<()>>>,
}

impl Bare {
    pub async fn start(config: Config, hooks: &[Hook]) -> anyhow::Result<Self> {
        let queues = [
            format!("inlet-bench.{}.bare.accepted", config.run),
            format!("inlet-bench.{}.bare.formatted", config.run),
        ];
        let redis_prefix = format!("inlet-bench-bare:{}:", config.run);
        store::create_tables(&config.database).await?;
        let routes: HashMap<String, Uuid> = hooks
            .iter()
            .map(|hook| (hook.token.clone(), hook.channel_id))
            .collect();
        let front =
            front::Front::start(&config.amqp_url, &queues[0], routes, config.http_workers).await?;
        let relay = relay::start(
            &config.amqp_url,
            [&queues[0], &queues[1]],
            config.relay_prefetch,
        )
        .await?;
        let store = store::start(store::Store {
            amqp_url: config.amqp_url.clone(),
            queue: queues[1].clone(),
            redis_url: config.redis_url.clone(),
            redis_prefix: redis_prefix.clone(),
            database: config.database.clone(),
            batch_size: config.batch_size,
            linger: std::time::Duration::from_millis(config.batch_linger_ms),
        })
        .await?;
        Ok(Self {
            address: front.address,
            redis_prefix,
            queues,
            amqp_url: config.amqp_url,
            database: config.database,
            front,
            workers: vec![relay, store],
        })
    }

    /// Stops every part, deletes the queues and drops the tables.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.front.stop();
        for worker in &self.workers {
            worker.abort();
        }
        let connection = crate::ceilings::inlet_bus_like_connect(&self.amqp_url).await?;
        let channel = connection.create_channel().await?;
        for queue in &self.queues {
            channel
                .queue_delete(queue.as_str().into(), Default::default())
                .await?;
        }
        let _ = connection.close(200, "bench done".into()).await;
        store::drop_tables(&self.database).await
    }
}

/// Webhooks of the bare pipeline: `hooks` tokens spread over `channels`
/// new channel ids (nothing is provisioned: the front routes by token).
pub fn hooks(run: &str, channels: usize, hooks: usize) -> (Vec<Uuid>, Vec<Hook>) {
    let channel_ids: Vec<Uuid> = (0..channels.max(1)).map(|_| Uuid::now_v7()).collect();
    let hooks = (0..hooks)
        .map(|h| Hook {
            channel_id: channel_ids[h % channel_ids.len()],
            token: format!("bare{run}x{h}"),
        })
        .collect();
    (channel_ids, hooks)
}

/// A message on the bare queues: the channel id, then the request's body.
fn envelope(channel: Uuid, body: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(16 + body.len());
    payload.extend_from_slice(channel.as_bytes());
    payload.extend_from_slice(body);
    payload
}

/// The channel id and the body of an [`envelope`].
fn open_envelope(payload: &[u8]) -> Option<(Uuid, &[u8])> {
    let (channel, body) = payload.split_at_checked(16)?;
    Some((Uuid::from_slice(channel).ok()?, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_opens_to_its_channel_and_body() {
        let channel = Uuid::now_v7();
        let payload = envelope(channel, b"{\"text\":\"hi\"}");
        assert_eq!(
            open_envelope(&payload),
            Some((channel, &b"{\"text\":\"hi\"}"[..]))
        );
        assert_eq!(open_envelope(b"short"), None);
    }

    #[test]
    fn bare_hooks_spread_over_the_channels() {
        let (channels, hooks) = hooks("r1", 4, 8);
        assert_eq!(channels.len(), 4);
        assert_eq!(hooks[0].channel_id, hooks[4].channel_id);
        assert_ne!(hooks[0].channel_id, hooks[1].channel_id);
    }
}

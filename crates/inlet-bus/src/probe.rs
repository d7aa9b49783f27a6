//! Queue depths for `inlet_queue_messages{queue}`, sampled at scrape time
//! through a connection of its own (a passive declare on a broken channel
//! must never disturb the publishing or consuming ones).

use crate::topology::{Hop, Topology};
use lapin::Connection;
use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use prometheus::{IntGaugeVec, Registry};
use std::time::Duration;
use tokio::sync::Mutex;

/// A scrape never waits longer than this for the broker (Prometheus gives
/// up on a scrape after 10 s by default).
const SAMPLE_TIMEOUT: Duration = Duration::from_secs(5);

pub struct QueueProbe {
    url: String,
    queues: Vec<String>,
    connection: Mutex<Option<Connection>>,
    gauge: IntGaugeVec,
}

impl QueueProbe {
    /// A probe of `hops`' shard queues (and the dead-letter queue when
    /// `dead_letters`), registered in `registry`.
    pub fn register(
        registry: &Registry,
        url: &str,
        topology: &Topology,
        hops: &[Hop],
        dead_letters: bool,
    ) -> prometheus::Result<Self> {
        let mut queues: Vec<String> = hops
            .iter()
            .flat_map(|hop| (0..topology.shards).map(|s| topology.queue(*hop, s)))
            .collect();
        if dead_letters {
            queues.push(topology.dead_letter_queue());
        }
        let gauge = inlet_core::telemetry::gauge_vec(
            registry,
            "inlet_queue_messages",
            "Messages ready in each queue, sampled at scrape time.",
            &["queue"],
        )?;
        Ok(Self {
            url: url.to_string(),
            queues,
            connection: Mutex::new(None),
            gauge,
        })
    }

    /// Samples every queue; a failure drops the connection (retried next scrape).
    pub async fn sample(&self) {
        let mut connection = self.connection.lock().await;
        if connection.as_ref().is_none_or(|c| !c.status().connected()) {
            let connecting = crate::connect(&self.url, "inlet-queue-probe");
            *connection = crate::within(SAMPLE_TIMEOUT, connecting).await.ok();
        }
        let Some(open) = connection.as_ref() else {
            return;
        };
        if let Err(error) = crate::within(SAMPLE_TIMEOUT, self.read(open)).await {
            tracing::debug!(%error, "queue depths not sampled");
            *connection = None;
        }
    }

    async fn read(&self, connection: &Connection) -> Result<(), lapin::Error> {
        let channel = connection.create_channel().await?;
        let passive = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        for queue in &self.queues {
            let declared = channel
                .queue_declare(queue.as_str().into(), passive, FieldTable::default())
                .await?;
            self.gauge
                .with_label_values(&[queue])
                .set(i64::from(declared.message_count()));
        }
        let closing = channel.close(200, "sampled".into());
        let _ = tokio::time::timeout(crate::CLOSE_TIMEOUT, closing).await;
        Ok(())
    }
}

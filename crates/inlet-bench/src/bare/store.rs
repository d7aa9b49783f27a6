//! The bare store: batches from the second queue, each written in one
//! transaction (synchronous commit, the server's default) that takes every
//! row's per-channel counter, then each row published on Redis, then the
//! batch acked with one `multiple` ack.

use super::TABLE;
use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use std::collections::HashMap;
use std::time::Duration;
use tokio::task::JoinHandle;
use uuid::Uuid;

const SEQS: &str = "bench_bare_seqs";

pub struct Store {
    pub amqp_url: String,
    pub queue: String,
    pub redis_url: String,
    pub redis_prefix: String,
    pub database: tokio_postgres::Config,
    pub batch_size: usize,
    pub linger: Duration,
}

async fn connect(database: &tokio_postgres::Config) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = database.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// The scratch tables, shaped as the verification reads `posts`.
pub async fn create_tables(database: &tokio_postgres::Config) -> anyhow::Result<()> {
    connect(database)
        .await?
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS {TABLE}, {SEQS};
             CREATE TABLE {TABLE} (id uuid PRIMARY KEY, channel_id uuid NOT NULL,
                 seq bigint NOT NULL, message text NOT NULL, props jsonb NOT NULL DEFAULT '{{}}');
             CREATE TABLE {SEQS} (channel_id uuid PRIMARY KEY, seq bigint NOT NULL);"
        ))
        .await?;
    Ok(())
}

pub async fn drop_tables(database: &tokio_postgres::Config) -> anyhow::Result<()> {
    connect(database)
        .await?
        .batch_execute(&format!("DROP TABLE IF EXISTS {TABLE}, {SEQS}"))
        .await?;
    Ok(())
}

pub async fn start(store: Store) -> anyhow::Result<JoinHandle<anyhow::Result<()>>> {
    let connection = crate::ceilings::inlet_bus_like_connect(&store.amqp_url).await?;
    let channel = connection.create_channel().await?;
    crate::ceilings::declare_quorum(&channel, &store.queue).await?;
    // Room for a whole batch in flight: the batch size bounds it, not the
    // prefetch (the services' prefetch counts broker messages of many
    // webhooks each; here a broker message is one webhook).
    let prefetch = u16::try_from(store.batch_size).unwrap_or(u16::MAX);
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    let mut deliveries = channel
        .basic_consume(
            store.queue.as_str().into(),
            "inlet-bench-bare-store".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let mut client = connect(&store.database).await?;
    let mut redis = redis::Client::open(store.redis_url.as_str())?
        .get_multiplexed_async_connection()
        .await?;
    Ok(tokio::spawn(async move {
        let _connection = connection;
        loop {
            let batch = next_batch(&mut deliveries, store.batch_size, store.linger).await?;
            let Some(last) = batch.last().map(|d| d.delivery_tag) else {
                return Ok(());
            };
            let events = write(&mut client, &batch).await?;
            let mut pipe = redis::pipe();
            for (channel_id, event) in &events {
                pipe.cmd("PUBLISH")
                    .arg(format!("{}channel:{channel_id}", store.redis_prefix))
                    .arg(event)
                    .ignore();
            }
            pipe.query_async::<()>(&mut redis).await?;
            channel
                .basic_ack(last, BasicAckOptions { multiple: true })
                .await?;
        }
    }))
}

/// Waits for one delivery, then takes more until `max` or `linger` after
/// the first; empty when the consumer ended.
async fn next_batch(
    deliveries: &mut lapin::Consumer,
    max: usize,
    linger: Duration,
) -> anyhow::Result<Vec<Delivery>> {
    let Some(first) = deliveries.next().await else {
        return Ok(Vec::new());
    };
    let mut batch = vec![first?];
    let deadline = tokio::time::Instant::now() + linger;
    while batch.len() < max {
        match tokio::time::timeout_at(deadline, deliveries.next()).await {
            Ok(Some(delivery)) => batch.push(delivery?),
            Ok(None) | Err(_) => break,
        }
    }
    Ok(batch)
}

/// One transaction: each channel's counter moved by its rows, the rows
/// inserted with their numbers. Returns each row's event, in batch order.
async fn write(
    client: &mut tokio_postgres::Client,
    batch: &[Delivery],
) -> anyhow::Result<Vec<(Uuid, String)>> {
    let mut rows = Vec::with_capacity(batch.len());
    let mut per_channel: HashMap<Uuid, i64> = HashMap::new();
    for delivery in batch {
        let (channel, body) = super::open_envelope(&delivery.data)
            .ok_or_else(|| anyhow::anyhow!("a bare message without its channel"))?;
        *per_channel.entry(channel).or_default() += 1;
        rows.push((
            Uuid::now_v7(),
            channel,
            String::from_utf8_lossy(body).into_owned(),
        ));
    }
    let transaction = client.transaction().await?;
    // The counter after this batch, per channel: its rows take the numbers
    // just below, in batch order.
    let mut next: HashMap<Uuid, i64> = HashMap::new();
    for (channel, count) in &per_channel {
        let last: i64 = transaction
            .query_one(
                &format!(
                    "INSERT INTO {SEQS} VALUES ($1, $2) ON CONFLICT (channel_id)
                     DO UPDATE SET seq = {SEQS}.seq + EXCLUDED.seq RETURNING seq"
                ),
                &[channel, count],
            )
            .await?
            .get(0);
        next.insert(*channel, last - count + 1);
    }
    let (mut ids, mut channels, mut seqs, mut messages) = (vec![], vec![], vec![], vec![]);
    let mut events = Vec::with_capacity(rows.len());
    for (id, channel, message) in rows {
        let seq = next.get_mut(&channel).map_or(0, |n| {
            *n += 1;
            *n - 1
        });
        let event = serde_json::json!({"seq": seq, "post": {"id": id}, "message": message});
        events.push((channel, event.to_string()));
        ids.push(id);
        channels.push(channel);
        seqs.push(seq);
        messages.push(message);
    }
    transaction
        .execute(
            &format!(
                "INSERT INTO {TABLE} (id, channel_id, seq, message)
                 SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[])"
            ),
            &[&ids, &channels, &seqs, &messages],
        )
        .await?;
    transaction.commit().await?;
    Ok(events)
}

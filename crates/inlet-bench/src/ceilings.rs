//! The machine's ceilings, measured in the same run as the pipeline, with
//! the same message size and concurrency: what RabbitMQ, PostgreSQL, Redis
//! and the HTTP stack can do alone, with nothing of Inlet in the way.

use crate::http::{Connection, Request};
use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Confirmation};
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Default, Serialize)]
pub struct Ceilings {
    /// Persistent messages into a quorum queue, confirmed, `K` in flight.
    pub amqp_confirm_per_s: f64,
    /// Single-row INSERT + COMMIT, `pg_connections` connections,
    /// synchronous_commit on.
    pub pg_insert_per_s: f64,
    /// `K`, or fewer where PostgreSQL allows fewer (see `connections`).
    pub pg_connections: usize,
    /// Rows per second in INSERTs of 100 rows, 4 connections (at most).
    pub pg_batch_rows_per_s: f64,
    /// PUBLISH from `K` connections, one command at a time each.
    pub redis_publish_per_s: f64,
    /// The load generator against a trivial actix-web `200 ok` handler.
    pub http_per_s: f64,
}

/// Runs `K` workers doing `step` until `duration` ends; returns steps/s.
async fn rate<F, Fut>(
    workers: usize,
    duration: Duration,
    make: impl Fn(usize) -> F,
) -> anyhow::Result<f64>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<u64>> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(workers);
    for w in 0..workers {
        let mut step = make(w);
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < duration {
                let n = step().await?;
                done.fetch_add(n, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64())
}

pub async fn amqp(
    url: &str,
    queue: &str,
    payload: Vec<u8>,
    in_flight: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let connection = inlet_bus_like_connect(url).await?;
    let channel = connection.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    declare_quorum(&channel, queue).await?;
    let payload = Arc::new(payload);
    let queue_name = queue.to_string();
    let result = rate(in_flight, duration, |_| {
        let channel = channel.clone();
        let payload = payload.clone();
        let queue = queue_name.clone();
        move || {
            let channel = channel.clone();
            let payload = payload.clone();
            let queue = queue.clone();
            async move {
                let confirm = publish_persistent(&channel, &queue, &payload).await?;
                match confirm.await? {
                    Confirmation::Ack(None) => Ok(1),
                    other => anyhow::bail!("publish not confirmed: {other:?}"),
                }
            }
        }
    })
    .await;
    channel
        .queue_delete(queue.into(), QueueDeleteOptions::default())
        .await?;
    let _ = connection.close(200, "bench done".into()).await;
    result
}

/// A durable quorum queue, as the pipeline's own (replicated, written to
/// disk before a confirm).
pub async fn declare_quorum(channel: &lapin::Channel, queue: &str) -> anyhow::Result<()> {
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString(LongString::from("quorum")),
    );
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            args,
        )
        .await?;
    Ok(())
}

/// A persistent, mandatory publish to `queue` through the default exchange;
/// the confirm is the caller's to await.
pub async fn publish_persistent(
    channel: &lapin::Channel,
    queue: &str,
    payload: &[u8],
) -> lapin::Result<lapin::PublisherConfirm> {
    channel
        .basic_publish(
            "".into(),
            queue.into(),
            BasicPublishOptions {
                mandatory: true,
                immediate: false,
            },
            payload,
            BasicProperties::default().with_delivery_mode(2),
        )
        .await
}

pub async fn inlet_bus_like_connect(url: &str) -> anyhow::Result<lapin::Connection> {
    let properties =
        lapin::ConnectionProperties::default().with_connection_name("inlet-bench".into());
    Ok(lapin::Connection::connect(url, properties).await?)
}

/// A table shaped like `posts`, in a database of its own.
const CEILING_TABLE: &str = "CREATE TABLE IF NOT EXISTS bench_posts (
    id uuid PRIMARY KEY, channel_id uuid NOT NULL, seq bigint NOT NULL,
    message text NOT NULL, props jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())";

pub async fn postgres_database(admin_url: &str, database: &str) -> anyhow::Result<String> {
    let (client, connection) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&database])
        .await?
        .is_some();
    if !exists {
        client
            .batch_execute(&format!("CREATE DATABASE \"{database}\""))
            .await?;
    }
    let config: tokio_postgres::Config = admin_url.parse()?;
    let mut config = config;
    config.dbname(database);
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    client.batch_execute(CEILING_TABLE).await?;
    client.batch_execute("TRUNCATE bench_posts").await?;
    Ok(database.to_string())
}

/// Empties the ceiling table and flushes PostgreSQL's dirty pages now
/// (`CHECKPOINT`), so that what the ceilings wrote is not flushed in the
/// middle of a measured phase. Needs a superuser or `pg_checkpoint`; without
/// it the phases run anyway.
pub async fn settle_postgres(admin_url: &str, database: Option<&str>) -> anyhow::Result<()> {
    let mut config: tokio_postgres::Config = admin_url.parse()?;
    if let Some(database) = database {
        config.dbname(database);
    }
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    if database.is_some() {
        client.batch_execute("TRUNCATE bench_posts").await?;
    }
    if let Err(error) = client.batch_execute("CHECKPOINT").await {
        eprintln!("(no CHECKPOINT before measuring: {error})");
    }
    Ok(())
}

pub async fn postgres(
    admin_url: &str,
    database: &str,
    message: &str,
    rows_per_insert: usize,
    workers: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let mut config: tokio_postgres::Config = admin_url.parse()?;
    config.dbname(database);
    let mut clients = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
        tokio::spawn(connection);
        let mut sql =
            String::from("INSERT INTO bench_posts (id, channel_id, seq, message, props) VALUES ");
        for r in 0..rows_per_insert {
            if r > 0 {
                sql.push(',');
            }
            let b = r * 5;
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5
            ));
        }
        let statement = client.prepare(&sql).await?;
        clients.push((Arc::new(client), statement));
    }
    let message = Arc::new(message.to_string());
    let props = serde_json::json!({"from_webhook": "true", "override_username": "bench"});
    rate(workers, duration, |w| {
        let (client, statement) = clients[w].clone();
        let message = message.clone();
        let props = props.clone();
        let mut seq = 0i64;
        move || {
            let client = client.clone();
            let statement = statement.clone();
            let message = message.clone();
            let props = props.clone();
            seq += rows_per_insert as i64;
            let first = seq;
            async move {
                let ids: Vec<uuid::Uuid> =
                    (0..rows_per_insert).map(|_| uuid::Uuid::now_v7()).collect();
                let channel = uuid::Uuid::nil();
                let seqs: Vec<i64> = (0..rows_per_insert as i64).map(|i| first + i).collect();
                let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                    Vec::with_capacity(rows_per_insert * 5);
                for r in 0..rows_per_insert {
                    params.push(&ids[r]);
                    params.push(&channel);
                    params.push(&seqs[r]);
                    params.push(&*message);
                    params.push(&props);
                }
                // Autocommit: each INSERT is its own transaction and commit.
                client.execute(&statement, &params).await?;
                Ok(rows_per_insert as u64)
            }
        }
    })
    .await
}

pub async fn redis_publish(
    url: &str,
    channel: &str,
    payload: Vec<u8>,
    workers: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let client = redis::Client::open(url)?;
    let mut connections = Vec::with_capacity(workers);
    for _ in 0..workers {
        connections.push(client.get_multiplexed_async_connection().await?);
    }
    let payload = Arc::new(payload);
    rate(workers, duration, |w| {
        let connection = connections[w].clone();
        let payload = payload.clone();
        let channel = channel.to_string();
        move || {
            let mut connection = connection.clone();
            let payload = payload.clone();
            let channel = channel.clone();
            async move {
                redis::cmd("PUBLISH")
                    .arg(&channel)
                    .arg(&payload[..])
                    .query_async::<i64>(&mut connection)
                    .await?;
                Ok(1)
            }
        }
    })
    .await
}

/// Starts a trivial actix-web server (one worker per core, as ingress) on
/// its own thread and measures it with the bench's own HTTP client.
pub async fn http(body: Vec<u8>, connections: usize, duration: Duration) -> anyhow::Result<f64> {
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(|| {
                actix_web::App::new().default_service(actix_web::web::to(|| async { "ok" }))
            })
            .workers(2)
            .disable_signals()
            .bind("127.0.0.1:0")?;
            let port = server.addrs().first().map(|a| a.port()).unwrap_or(0);
            let server = server.run();
            let handle = server.handle();
            let _ = port_tx.send(port);
            actix_web::rt::spawn(async move {
                let _ = stop_rx.await;
                handle.stop(false).await;
            });
            server.await
        })
    });
    let port = port_rx.recv()?;
    let address: std::net::SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let request = Request::post(
        &address.to_string(),
        "/hooks/bench",
        "application/json",
        &[],
        body,
    );
    let mut opened = Vec::with_capacity(connections);
    for _ in 0..connections {
        opened.push(Arc::new(tokio::sync::Mutex::new(
            Connection::open(address).await?,
        )));
    }
    let request = Arc::new(request);
    let result = rate(connections, duration, |w| {
        let connection = opened[w].clone();
        let request = request.clone();
        move || {
            let connection = connection.clone();
            let request = request.clone();
            async move {
                let status = connection.lock().await.send(&request).await?;
                anyhow::ensure!(status == 200, "the trivial server answered {status}");
                Ok(1)
            }
        }
    })
    .await;
    let _ = stop_tx.send(());
    let _ = thread.join();
    result
}

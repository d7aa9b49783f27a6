//! Ingress's side of every webhook's delivery log: each request a webhook's
//! token named is recorded as it was answered (`inlet_redis::delivery_log`),
//! and each source address that named an unknown token is counted. The
//! request never waits for it: entries go to a bounded queue that one task
//! writes to Redis in pipelined batches (gathered for up to 50 ms); when
//! the queue is full, or Redis is away, entries are dropped and counted,
//! never the request.

use inlet_core::settings::{DeliveryLogSettings, RedisSettings};
use inlet_redis::RedisConnection;
use inlet_redis::delivery_log::{Request, append};
use prometheus::IntCounterVec;
use std::collections::HashMap;
use std::net::IpAddr;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Most entries written in one round trip.
const WRITE_BATCH: usize = 512;

/// How long the writer gathers entries after the first of a round trip.
/// Nobody waits for the log, and one round trip per request would cost
/// ingress and Redis more than the entry itself at a moderate rate; a log
/// read lags the answer by at most this much more.
const WRITE_LINGER: std::time::Duration = std::time::Duration::from_millis(50);

enum Entry {
    Request(Uuid, Box<Request>),
    UnknownToken(IpAddr),
}

/// The queue of entries to write.
pub(crate) struct DeliveryLog {
    queue: Option<mpsc::Sender<Entry>>,
    /// `inlet_delivery_log_entries_total{result}`.
    entries: IntCounterVec,
}

impl DeliveryLog {
    /// Starts the writer (none when the log is disabled).
    pub fn start(
        log: &DeliveryLogSettings,
        redis_settings: &RedisSettings,
        redis: RedisConnection,
        entries: IntCounterVec,
        cancel: CancellationToken,
    ) -> Self {
        if !log.enabled {
            return Self {
                queue: None,
                entries,
            };
        }
        let (queue, received) = mpsc::channel(log.queue_entries);
        let writer = Writer {
            log: log.clone(),
            redis_settings: redis_settings.clone(),
            redis,
            entries: entries.clone(),
        };
        tokio::spawn(writer.run(received, cancel));
        Self {
            queue: Some(queue),
            entries,
        }
    }

    /// Whether requests are recorded at all.
    pub fn enabled(&self) -> bool {
        self.queue.is_some()
    }

    pub fn request(&self, webhook: Uuid, request: Request) {
        self.push(Entry::Request(webhook, Box::new(request)));
    }

    pub fn unknown_token(&self, source: IpAddr) {
        self.push(Entry::UnknownToken(source));
    }

    fn push(&self, entry: Entry) {
        let Some(queue) = &self.queue else {
            return;
        };
        if queue.try_send(entry).is_err() {
            self.entries.with_label_values(&["dropped"]).inc();
        }
    }
}

struct Writer {
    log: DeliveryLogSettings,
    redis_settings: RedisSettings,
    redis: RedisConnection,
    entries: IntCounterVec,
}

impl Writer {
    async fn run(self, mut received: mpsc::Receiver<Entry>, cancel: CancellationToken) {
        let mut batch = Vec::with_capacity(WRITE_BATCH);
        loop {
            let first = tokio::select! {
                entry = received.recv() => entry,
                () = cancel.cancelled() => None,
            };
            let Some(first) = first else {
                return;
            };
            batch.push(first);
            let gathered_by = tokio::time::Instant::now() + WRITE_LINGER;
            while batch.len() < WRITE_BATCH {
                match tokio::time::timeout_at(gathered_by, received.recv()).await {
                    Ok(Some(entry)) => batch.push(entry),
                    // Closed (written, then the next receive ends the
                    // loop), or time to write.
                    Ok(None) | Err(_) => break,
                }
            }
            self.write(std::mem::take(&mut batch)).await;
        }
    }

    async fn write(&self, batch: Vec<Entry>) {
        let mut requests = Vec::new();
        let mut sources: HashMap<IpAddr, u64> = HashMap::new();
        for entry in batch {
            match entry {
                Entry::Request(webhook, request) => requests.push((webhook, *request)),
                Entry::UnknownToken(source) => *sources.entry(source).or_default() += 1,
            }
        }
        let sources: Vec<(String, u64)> = sources
            .into_iter()
            .map(|(source, times)| (source.to_string(), times))
            .collect();
        let now_ms = chrono::Utc::now().timestamp_millis();
        let written = append(
            &self.redis,
            &self.redis_settings,
            &self.log,
            &requests,
            &sources,
            now_ms,
        )
        .await;
        let result = match &written {
            Ok(()) => "written",
            Err(error) => {
                tracing::debug!(%error, "delivery log entries dropped: Redis refused them");
                "dropped"
            }
        };
        self.entries
            .with_label_values(&[result])
            .inc_by(requests.len() as u64);
    }
}

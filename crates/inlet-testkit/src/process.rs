//! A service run as its own process (for tests that kill it with SIGKILL):
//! its settings are handed over as `INLET__…` environment variables.

use crate::TestStack;
use crate::oracle::{Senders, assert_exactly};
use inlet_core::Settings;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicU16;
use std::time::{Duration, Instant};

/// The environment that makes a service binary use `settings`.
pub fn environment(settings: &Settings) -> Vec<(String, String)> {
    let s = settings;
    [
        ("DATABASE__URL", s.database.url.clone()),
        ("DATABASE__POOL_SIZE", s.database.pool_size.to_string()),
        ("AMQP__URL", s.amqp.url.clone()),
        ("AMQP__PREFIX", s.amqp.prefix.clone()),
        ("AMQP__SHARDS", s.amqp.shards.to_string()),
        (
            "AMQP__QUEUE_EXPIRES_MS",
            s.amqp.queue_expires_ms.to_string(),
        ),
        (
            "AMQP__RECONNECT_MAX_BACKOFF_MS",
            s.amqp.reconnect_max_backoff_ms.to_string(),
        ),
        ("REDIS__URL", s.redis.url.clone()),
        ("REDIS__PREFIX", s.redis.prefix.clone()),
        ("FORMATTER__METRICS_LISTEN", "127.0.0.1:0".into()),
        (
            "FORMATTER__STANDBY_DELAY_MS",
            s.formatter.standby_delay_ms.to_string(),
        ),
        ("DELIVERY__METRICS_LISTEN", "127.0.0.1:0".into()),
        (
            "DELIVERY__STANDBY_DELAY_MS",
            s.delivery.standby_delay_ms.to_string(),
        ),
        ("TELEMETRY__LOG_FORMAT", "json".into()),
    ]
    .into_iter()
    .map(|(k, v)| (format!("INLET__{k}"), v))
    .collect()
}

/// Starts `binary` with `settings`; its output is discarded.
pub fn spawn(binary: &str, settings: &Settings) -> std::io::Result<Child> {
    Command::new(binary)
        .env_clear()
        .envs(environment(settings))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
}

/// A service binary running as its own process with the stack's settings;
/// killed when dropped, so that a failing test leaves no process behind.
pub struct ServiceProcess(Child);

impl ServiceProcess {
    pub fn spawn(binary: &str, stack: &TestStack) -> Self {
        Self(spawn(binary, &stack.settings).expect("the service binary starts"))
    }

    /// SIGKILL: no goodbye, no ack; unacknowledged work returns to the
    /// queue and PostgreSQL rolls back an open transaction.
    pub fn kill(self) {
        drop(self);
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Two processes of `binary` with one configuration (the first registered
/// is the active consumer of every shard, the second stands by); the
/// active one is SIGKILLed while four senders stream, and the standby
/// carries on (decisions.md 106): the oracle holds, each sender's order
/// included. `stack` runs every service but the one `binary` is.
pub async fn assert_the_standby_takes_over_from_a_killed_active(binary: &str, stack: &TestStack) {
    let f = stack.fixture().await.unwrap();
    let active = ServiceProcess::spawn(binary, stack);
    let port = Arc::new(AtomicU16::new(stack.ingress_port));
    let senders = Senders::start(stack.http.clone(), port, &f.token, 4);
    // The active one posts before the standby registers.
    stack
        .wait_for_posts(&f.channel_id, 20, Duration::from_secs(30))
        .await
        .unwrap();
    let standby = ServiceProcess::spawn(binary, stack);
    senders
        .wait_for_progress(100, Duration::from_secs(30))
        .await;

    let accepted = senders.accepted_so_far();
    active.kill();
    let killed = Instant::now();
    stack
        .wait_for_posts(&f.channel_id, accepted + 50, Duration::from_secs(45))
        .await
        .unwrap();
    eprintln!(
        "active {binary} killed: posts resumed within {:?}",
        killed.elapsed()
    );
    let accepted = senders.finish().await;
    assert_exactly(stack, &f.channel_id, &accepted).await;
    standby.kill();
}

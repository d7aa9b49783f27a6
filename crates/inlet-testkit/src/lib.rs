//! Test helpers: a fresh database per test (cloned from a migrated
//! template), a unique exchange/queue prefix and Redis prefix per test, and
//! the real services spawned in-process on free ports, against the
//! machine's real PostgreSQL, RabbitMQ and Redis.

pub mod database;
pub mod eventually;
pub mod log_capture;
pub mod oracle;
pub mod process;
pub mod proxy;
pub mod servers;
pub mod stack;

pub use database::TestDatabase;
pub use eventually::eventually;
pub use stack::{Fixture, Services, TestStack};

/// Shared service URLs, overridable for machines where they live elsewhere.
pub fn postgres_url() -> String {
    std::env::var("INLET_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn amqp_url() -> String {
    std::env::var("INLET_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f?heartbeat=10".into())
}

pub fn redis_url() -> String {
    std::env::var("INLET_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

/// A short random tag for names.
pub fn unique_tag() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// `raw` percent-encoded for a form body or a query (every byte but the
/// unreserved ones).
pub fn urlencode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

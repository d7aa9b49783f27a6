//! Versioned migrations, embedded in the binary and run by
//! `inlet-api migrate`. Idempotent, serialized by an advisory lock, and
//! refusing to run over a database whose applied migrations were edited.

use crate::error::StoreError;
use sha2::{Digest, Sha256};
use tokio_postgres::Client;

/// (version, name, SQL) in order. Append only; never edit a released one.
pub const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (
        2,
        "rejections",
        include_str!("../migrations/0002_rejections.sql"),
    ),
    (
        3,
        "hot_counters",
        include_str!("../migrations/0003_hot_counters.sql"),
    ),
    (
        4,
        "replay_started",
        include_str!("../migrations/0004_replay_started.sql"),
    ),
    (
        5,
        "scrub_secret_headers",
        include_str!("../migrations/0005_scrub_secret_headers.sql"),
    ),
    (
        6,
        "token_key",
        include_str!("../migrations/0006_token_key.sql"),
    ),
    (
        7,
        "delivery_log",
        include_str!("../migrations/0007_delivery_log.sql"),
    ),
    (
        8,
        "webhook_templates",
        include_str!("../migrations/0008_webhook_templates.sql"),
    ),
];

/// Advisory lock key held while migrating ("inlet" in ASCII).
const LOCK_KEY: i64 = 0x0069_6e6c_6574;

fn checksum(sql: &str) -> String {
    hex_digest(sql.as_bytes())
}

fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A short fingerprint of every migration, used to name test templates.
pub fn fingerprint() -> String {
    let all: String = MIGRATIONS
        .iter()
        .map(|(v, n, s)| format!("{v}:{n}:{}", checksum(s)))
        .collect();
    hex_digest(all.as_bytes())[..12].to_string()
}

/// Applies every migration not yet applied; returns how many ran.
pub async fn run(client: &mut Client) -> Result<usize, StoreError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await?;
    let result = apply_pending(client).await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .await?;
    result
}

async fn apply_pending(client: &mut Client) -> Result<usize, StoreError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )",
        )
        .await?;
    let applied = client
        .query("SELECT version, checksum FROM schema_migrations", &[])
        .await?;
    let mut ran = 0;
    for (version, name, sql) in MIGRATIONS {
        let existing = applied.iter().find(|r| r.get::<_, i32>(0) == *version);
        if let Some(row) = existing {
            if row.get::<_, String>(1) != checksum(sql) {
                return Err(StoreError::Invalid(format!(
                    "migration {version} ({name}) differs from the one applied to this database"
                )));
            }
            continue;
        }
        let tx = client.transaction().await?;
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
            &[version, name, &checksum(sql)],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(version, name, "migration applied");
        ran += 1;
    }
    Ok(ran)
}

/// Creates the database named in `url` when it does not exist, connecting to
/// the server's `postgres` database to do so.
pub async fn create_database_if_missing(url: &str) -> Result<bool, StoreError> {
    use std::str::FromStr;
    let target = tokio_postgres::Config::from_str(url)
        .map_err(|e| StoreError::Invalid(format!("database.url: {e}")))?;
    let Some(name) = target.get_dbname().map(str::to_string) else {
        return Ok(false);
    };
    let mut admin = target.clone();
    admin.dbname("postgres");
    let (client, connection) = admin.connect(tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(connection);
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await?
        .is_some();
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        match client
            .batch_execute(&format!("CREATE DATABASE {quoted}"))
            .await
        {
            Ok(()) => {}
            // Another process created it meanwhile.
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE) => {}
            Err(e) => return Err(e.into()),
        }
    }
    drop(client);
    let _ = driver.await;
    Ok(!exists)
}

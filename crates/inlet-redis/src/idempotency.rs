//! Sender idempotency in Redis (decisions.md 13): ingress claims
//! (webhook, `Idempotency-Key`) with `SET NX` before publishing and releases
//! it again on a 503; whoever decides the verdict stores it beside the first
//! message id; a repeat within 24 h is answered from there. PostgreSQL's
//! `idempotency_keys`, written by delivery in the posting transaction, stays
//! authoritative when Redis forgot.

use crate::keys;
use crate::link::RedisConnection;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use inlet_core::settings::RedisSettings;
use serde_json::{Value, json};

/// How long a sender's `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_TTL_SECS: u64 = 24 * 60 * 60;

/// What a claim found.
#[derive(Debug, PartialEq, Eq)]
pub enum Claimed {
    /// This request is the first with its key.
    First,
    /// An earlier request holds the key; its verdict, once known.
    Repeat {
        message_id: String,
        verdict: Option<Vec<u8>>,
    },
}

/// Claims the key for `message_id`.
pub async fn claim(
    redis: &RedisConnection,
    settings: &RedisSettings,
    webhook_id: &str,
    key: &str,
    message_id: &str,
) -> redis::RedisResult<Claimed> {
    let mut redis = redis.clone();
    let redis_key = keys::idempotency(settings, webhook_id, key);
    let value = json!({"message_id": message_id}).to_string();
    let set: Option<String> = redis::cmd("SET")
        .arg(&redis_key)
        .arg(value)
        .arg("NX")
        .arg("EX")
        .arg(IDEMPOTENCY_TTL_SECS)
        .query_async(&mut redis)
        .await?;
    if set.is_some() {
        return Ok(Claimed::First);
    }
    let stored: Option<String> = redis::cmd("GET")
        .arg(&redis_key)
        .query_async(&mut redis)
        .await?;
    let stored: Value = stored
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    let Some(first) = stored["message_id"].as_str() else {
        // Expired between the two commands: this request is the first now.
        return Ok(Claimed::First);
    };
    let verdict = stored["verdict"]
        .as_str()
        .and_then(|v| STANDARD.decode(v).ok());
    Ok(Claimed::Repeat {
        message_id: first.to_string(),
        verdict,
    })
}

/// Gives the key back (the request was not accepted after all).
pub async fn release(
    redis: &RedisConnection,
    settings: &RedisSettings,
    webhook_id: &str,
    key: &str,
) {
    let mut redis = redis.clone();
    let result: redis::RedisResult<i64> = redis::cmd("DEL")
        .arg(keys::idempotency(settings, webhook_id, key))
        .query_async(&mut redis)
        .await;
    if let Err(error) = result {
        tracing::warn!(%error, "cannot release an idempotency key");
    }
}

/// Stores the verdict beside the first message id.
pub async fn remember(
    redis: &RedisConnection,
    settings: &RedisSettings,
    webhook_id: &str,
    key: &str,
    message_id: &str,
    verdict: &[u8],
) {
    let mut redis = redis.clone();
    let value = json!({"message_id": message_id, "verdict": STANDARD.encode(verdict)}).to_string();
    let result: redis::RedisResult<()> = redis::cmd("SET")
        .arg(keys::idempotency(settings, webhook_id, key))
        .arg(value)
        .arg("EX")
        .arg(IDEMPOTENCY_TTL_SECS)
        .query_async(&mut redis)
        .await;
    if let Err(error) = result {
        tracing::warn!(%error, "cannot record an idempotency verdict; PostgreSQL still deduplicates");
    }
}

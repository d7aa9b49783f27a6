//! Sender idempotency in Redis (decisions.md 13, 76): ingress claims
//! (webhook, `Idempotency-Key`) before publishing. A claim is `pending`
//! until the broker confirmed the publish (or the spool holds it), then
//! `confirmed`; whoever decides the verdict stores it beside the first
//! message id. A repeat of a confirmed claim within 24 h is answered from
//! there; a repeat of a young pending claim is told to come back; a pending
//! claim older than any publish can take was left by a dead ingress, and
//! the repeat takes it over, publishing under the first message id (so the
//! pipeline's deduplication by message id makes a double impossible).
//! PostgreSQL's `idempotency_keys`, written by delivery in the posting
//! transaction, stays authoritative when Redis forgot.
//!
//! The record is JSON: `message_id`, `state` (`pending` or `confirmed`; a
//! record without one is confirmed), `claimed_at_ms` (Redis's clock, for a
//! pending claim) and `verdict` (base64 of the encoded `Verdict`, once
//! known). It changes only through the scripts below, which read Redis's
//! own `TIME`, so replicas need not agree on clocks.

use crate::keys;
use crate::link::RedisConnection;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use inlet_core::settings::RedisSettings;
use serde_json::{Value, json};
use std::time::Duration;

/// How long a sender's `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_TTL_SECS: u64 = 24 * 60 * 60;

/// KEYS[1]: the record. ARGV[1]: this request's message id. ARGV[2]: the
/// TTL (s). ARGV[3]: the age (ms) past which a pending claim is stale.
/// Returns {'first'}, {'taken_over', first id}, {'pending', first id, ms
/// until stale} or {'confirmed', the record}. An unreadable record is
/// claimed anew.
const CLAIM: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local current = redis.call('GET', KEYS[1])
local stored = nil
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and type(decoded.message_id) == 'string' then
    stored = decoded
  end
end
if not stored then
  local claim = cjson.encode({message_id = ARGV[1], state = 'pending', claimed_at_ms = now})
  redis.call('SET', KEYS[1], claim, 'EX', ARGV[2])
  return {'first'}
end
if stored.state ~= 'pending' then
  return {'confirmed', current}
end
local age = now - (tonumber(stored.claimed_at_ms) or 0)
local stale = tonumber(ARGV[3])
if age < stale then
  return {'pending', stored.message_id, tostring(stale - age)}
end
stored.claimed_at_ms = now
redis.call('SET', KEYS[1], cjson.encode(stored), 'KEEPTTL')
return {'taken_over', stored.message_id}
";

/// A script that acts on the record KEYS[1] only while it is the pending
/// claim of the message ARGV[1] (else it returns 0 and changes nothing):
/// the part every such script starts with, then `$then`, with `stored`,
/// the decoded record, at hand.
macro_rules! on_pending_claim {
    ($then:literal) => {
        concat!(
            r"
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local ok, stored = pcall(cjson.decode, current)
if not ok or type(stored) ~= 'table' or stored.message_id ~= ARGV[1] or stored.state ~= 'pending' then
  return 0
end
",
            $then
        )
    };
}

/// KEYS[1]: the record. ARGV[1]: the message id published. Marks a
/// pending claim of that message confirmed (a verdict already stored, or
/// another message's claim, is left alone). Returns 1 when it did.
const CONFIRM: &str = on_pending_claim!(
    r"redis.call('SET', KEYS[1], cjson.encode({message_id = ARGV[1], state = 'confirmed'}), 'KEEPTTL')
return 1
"
);

/// KEYS[1]: the record. ARGV[1]: the message id not published. Makes a
/// pending claim of that message stale at once, so that the sender's
/// retry takes it over (under the same message id: the publish may have
/// reached the broker unconfirmed). Returns 1 when it did.
const ABANDON: &str = on_pending_claim!(
    r"stored.claimed_at_ms = 0
redis.call('SET', KEYS[1], cjson.encode(stored), 'KEEPTTL')
return 1
"
);

/// What a claim found.
#[derive(Debug, PartialEq, Eq)]
pub enum Claimed {
    /// This request is the first with its key: publish under its own id.
    First,
    /// The first request's claim was never confirmed and is stale (its
    /// ingress died, or it was not accepted): this request now holds it
    /// and publishes under the first message id.
    TakenOver { message_id: String },
    /// The first request may still be publishing: come back in `stale_in`
    /// at the latest.
    Pending {
        message_id: String,
        stale_in: Duration,
    },
    /// The first request was accepted; its verdict, once known.
    Repeat {
        message_id: String,
        verdict: Option<Vec<u8>>,
    },
}

/// Claims the key for `message_id` (one round trip). A pending claim older
/// than `stale_after` is taken over.
pub async fn claim(
    redis: &RedisConnection,
    settings: &RedisSettings,
    webhook_id: &str,
    key: &str,
    message_id: &str,
    stale_after: Duration,
) -> redis::RedisResult<Claimed> {
    let mut redis = redis.clone();
    let found: Vec<String> = redis::cmd("EVAL")
        .arg(CLAIM)
        .arg(1)
        .arg(keys::idempotency(settings, webhook_id, key))
        .arg(message_id)
        .arg(IDEMPOTENCY_TTL_SECS)
        .arg(stale_after.as_millis() as u64)
        .query_async(&mut redis)
        .await?;
    Ok(claimed(&found))
}

/// The script's answer as a [`Claimed`].
fn claimed(found: &[String]) -> Claimed {
    match found {
        [kind, first] if kind == "taken_over" => Claimed::TakenOver {
            message_id: first.clone(),
        },
        [kind, first, millis] if kind == "pending" => Claimed::Pending {
            message_id: first.clone(),
            stale_in: Duration::from_millis(millis.parse().unwrap_or(0)),
        },
        [kind, record] if kind == "confirmed" => repeat_of(record),
        _ => Claimed::First,
    }
}

/// A confirmed record as a repeat (the script checked its message id).
fn repeat_of(record: &str) -> Claimed {
    let stored: Value = serde_json::from_str(record).unwrap_or(Value::Null);
    let message_id = stored["message_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let verdict = stored["verdict"]
        .as_str()
        .and_then(|v| STANDARD.decode(v).ok());
    Claimed::Repeat {
        message_id,
        verdict,
    }
}

/// How a pending claim ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settlement {
    /// The broker confirmed the publish (or the spool holds it), and the
    /// sender is answered 2xx: a repeat is answered as this request was.
    Confirm,
    /// The request was not accepted after all: the sender's retry takes
    /// the claim over at once.
    Abandon,
}

impl Settlement {
    /// The script that ends the claim so.
    fn script(self) -> &'static str {
        match self {
            Self::Confirm => CONFIRM,
            Self::Abandon => ABANDON,
        }
    }
}

/// Ends the claim of `message_id` as `settlement` says. A failure is only
/// logged: a claim left pending is taken over by a retry once stale, under
/// the same message id, and the pipeline drops the double.
pub async fn settle(
    redis: &RedisConnection,
    settings: &RedisSettings,
    webhook_id: &str,
    key: &str,
    message_id: &str,
    settlement: Settlement,
) {
    let claim = keys::idempotency(settings, webhook_id, key);
    if let Err(error) = run_on_claim(redis, settlement.script(), claim, message_id).await {
        tracing::warn!(%error, ?settlement, "cannot settle an idempotency claim");
    }
}

/// Runs `script` on the claim `key`, which acts only while the claim is
/// still `message_id`'s.
async fn run_on_claim(
    redis: &RedisConnection,
    script: &str,
    key: String,
    message_id: &str,
) -> redis::RedisResult<i64> {
    let mut redis = redis.clone();
    redis::cmd("EVAL")
        .arg(script)
        .arg(1)
        .arg(key)
        .arg(message_id)
        .query_async(&mut redis)
        .await
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
    let value = json!({
        "message_id": message_id,
        "state": "confirmed",
        "verdict": STANDARD.encode(verdict),
    })
    .to_string();
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

//! Every webhook's delivery log: one Redis stream per webhook, each entry
//! a request as ingress answered it (never a token, a signing secret or a
//! signature: no header and no URL is kept, and a kept body has the
//! webhook's token cut out). Bounded twice: at most `max_entries` entries
//! (exactly; trimmed in the round trip of every append) and none older than `max_age_secs`
//! (trimmed on every append, filtered on every read, and the whole stream
//! expires when nothing is appended for that long).
//!
//! What became of an accepted request is not written here: the API reads
//! it from PostgreSQL (its posts, its dead letter, its rejection) when the
//! log is read, so the pipeline pays nothing for it.
//!
//! Also here: the source addresses that named unknown tokens, which no
//! webhook's log can hold (a sorted set of the most frequent 1,000).

use crate::keys;
use crate::link::RedisConnection;
use inlet_core::settings::{DeliveryLogSettings, RedisSettings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Source addresses kept in the unknown-token set.
const UNKNOWN_SOURCES_KEPT: isize = 1_000;
/// How long the unknown-token set lives after its last update, in seconds.
const UNKNOWN_SOURCES_TTL_SECS: u64 = 24 * 60 * 60;

/// One request as ingress answered it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The request's id (`X-Request-Id`), the message id when accepted.
    pub request_id: String,
    /// When it came in, in milliseconds since the epoch.
    pub at_ms: i64,
    /// The translator its URL named (`slack`, `integration/github`).
    pub translator: String,
    /// The integration's event, when it has one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub event: String,
    /// The HTTP status answered.
    pub status: u16,
    /// What ingress made of it: `accepted` (published; its fate is read
    /// from PostgreSQL), `repeat` (an `Idempotency-Key` seen before), the
    /// reasons nothing was published (`filtered`, `unsupported`,
    /// `not_wanted`, `empty`), or `rejected`.
    pub outcome: String,
    /// The error code answered, for a refusal.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub code: String,
    /// The sentence the sender got (a refusal's, or why nothing was posted).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    pub body_bytes: u64,
    /// Time from the request's arrival to its answer, in microseconds.
    pub latency_us: u64,
    /// Where its posts go, when accepted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub channel_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub content_type: String,
    /// The body, when the webhook keeps bodies: at most
    /// `delivery_log.body_max_bytes`, the token cut out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub body_truncated: bool,
    /// With a kept body: the request headers and query parameters its
    /// translator reads (an integration's event header), as carried to the
    /// broker: never a token, a secret or a signature.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<(String, String)>,
}

/// A logged request and its place in the stream (for paging).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    pub stream_id: String,
    pub request: Request,
}

/// Appends `requests` (webhook, request) and the unknown-token sources
/// (address, times) in one round trip, trimming every stream written.
pub async fn append(
    redis: &RedisConnection,
    redis_settings: &RedisSettings,
    log: &DeliveryLogSettings,
    requests: &[(Uuid, Request)],
    unknown_sources: &[(String, u64)],
    now_ms: i64,
) -> redis::RedisResult<()> {
    let mut pipe = redis::pipe();
    let mut written: BTreeMap<Uuid, ()> = BTreeMap::new();
    for (webhook, request) in requests {
        let entry = serde_json::to_string(request).unwrap_or_default();
        pipe.cmd("XADD")
            .arg(keys::delivery_log(redis_settings, webhook))
            .arg("*")
            .arg("request")
            .arg(entry)
            .ignore();
        written.insert(*webhook, ());
    }
    let max_age_ms = (log.max_age_secs * 1000) as i64;
    for webhook in written.keys() {
        let key = keys::delivery_log(redis_settings, webhook);
        // Exact, once per stream and round trip rather than per entry:
        // the same bound after every write at a fraction of the cost.
        pipe.cmd("XTRIM")
            .arg(&key)
            .arg("MAXLEN")
            .arg(log.max_entries)
            .ignore();
        pipe.cmd("XTRIM")
            .arg(&key)
            .arg("MINID")
            .arg(now_ms - max_age_ms)
            .ignore();
        pipe.cmd("PEXPIRE").arg(&key).arg(max_age_ms).ignore();
    }
    if !unknown_sources.is_empty() {
        let key = keys::unknown_token_sources(redis_settings);
        for (source, times) in unknown_sources {
            pipe.cmd("ZINCRBY")
                .arg(&key)
                .arg(*times)
                .arg(source)
                .ignore();
        }
        pipe.cmd("ZREMRANGEBYRANK")
            .arg(&key)
            .arg(0)
            .arg(-UNKNOWN_SOURCES_KEPT - 1)
            .ignore();
        pipe.cmd("EXPIRE")
            .arg(&key)
            .arg(UNKNOWN_SOURCES_TTL_SECS)
            .ignore();
    }
    let mut redis = redis.clone();
    pipe.query_async::<()>(&mut redis).await
}

/// A webhook's logged requests, newest first: at most `count`, older than
/// the stream id `before` when given, none older than the age limit.
pub async fn read(
    redis: &RedisConnection,
    redis_settings: &RedisSettings,
    log: &DeliveryLogSettings,
    webhook: &Uuid,
    before: Option<&str>,
    count: usize,
    now_ms: i64,
) -> redis::RedisResult<Vec<Logged>> {
    let end = match before {
        Some(id) => format!("({id}"),
        None => "+".to_string(),
    };
    let oldest = now_ms - (log.max_age_secs * 1000) as i64;
    let mut redis = redis.clone();
    let entries: Vec<(String, Vec<(String, String)>)> = redis::cmd("XREVRANGE")
        .arg(keys::delivery_log(redis_settings, webhook))
        .arg(end)
        .arg(oldest.max(0))
        .arg("COUNT")
        .arg(count)
        .query_async(&mut redis)
        .await?;
    Ok(entries
        .into_iter()
        .filter_map(|(stream_id, fields)| {
            let (_, json) = fields.into_iter().find(|(name, _)| name == "request")?;
            let request = serde_json::from_str(&json).ok()?;
            Some(Logged { stream_id, request })
        })
        .collect())
}

/// The source addresses that named the most unknown tokens, with how many
/// times, most first.
pub async fn unknown_token_sources(
    redis: &RedisConnection,
    redis_settings: &RedisSettings,
    count: usize,
) -> redis::RedisResult<Vec<(String, u64)>> {
    let mut redis = redis.clone();
    let ranked: Vec<(String, f64)> = redis::cmd("ZREVRANGE")
        .arg(keys::unknown_token_sources(redis_settings))
        .arg(0)
        .arg(count.saturating_sub(1))
        .arg("WITHSCORES")
        .query_async(&mut redis)
        .await?;
    Ok(ranked
        .into_iter()
        .map(|(source, times)| (source, times as u64))
        .collect())
}

/// `body` as the log keeps it: at most `max` bytes (cut at a character),
/// every occurrence of `token` replaced, as text (bytes that are not UTF-8
/// are shown as U+FFFD). `None` when nothing is to be kept.
pub fn kept_body(body: &[u8], token: &str, max: usize) -> Option<(String, bool)> {
    if max == 0 {
        return None;
    }
    let text = String::from_utf8_lossy(body);
    let text = if token.is_empty() {
        text.into_owned()
    } else {
        text.replace(token, "[token]")
    };
    if text.len() <= max {
        return Some((text, false));
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some((text[..end].to_string(), true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_body_never_holds_the_token_and_is_cut_at_a_character() {
        let body = "token=whk_secret&text=héllo".as_bytes();
        let (kept, cut) = kept_body(body, "whk_secret", 1024).unwrap();
        assert_eq!(kept, "token=[token]&text=héllo");
        assert!(!cut);
        let (kept, cut) = kept_body(body, "whk_secret", 21).unwrap();
        assert_eq!(
            kept, "token=[token]&text=h",
            "é is two bytes: cut before it"
        );
        assert!(cut);
        assert_eq!(kept_body(body, "whk_secret", 0), None);
    }

    #[test]
    fn an_entry_round_trips_and_leaves_out_what_is_empty() {
        let request = Request {
            request_id: "r".into(),
            at_ms: 1,
            translator: "slack".into(),
            status: 200,
            outcome: "accepted".into(),
            body_bytes: 3,
            latency_us: 4,
            ..Request::default()
        };
        let json = serde_json::to_string(&request).unwrap();
        assert!(!json.contains("body\""), "{json}");
        assert!(!json.contains("code"), "{json}");
        assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), request);
    }
}

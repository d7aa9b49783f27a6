//! The rate limiter's cells in Redis: one key per webhook holding its GCRA
//! "theoretical arrival time", changed only by the two scripts below so
//! every ingress replica shares one limit without agreeing on clocks (the
//! scripts read Redis's own `TIME`). The policy (rates, reserves, what to
//! do while Redis is away) is ingress's `rate_limit`.

use crate::keys;
use crate::link::RedisConnection;
use inlet_core::settings::RedisSettings;
use uuid::Uuid;

/// KEYS[1]: the webhook's key. ARGV[1]: emission interval (µs between
/// requests at the rate). ARGV[2]: tolerance (µs), `(burst - 1) ×` the
/// interval. ARGV[3]: cells wanted. Reserves as many of them as fit and
/// returns {cells, 0}, or {0, µs until one fits}.
/// Sent with EVAL: Redis keeps the compiled script in its cache.
const RESERVE: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local emission = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > tolerance then
  return {0, tat - tolerance - now}
end
local cells = math.min(wanted, math.floor((tolerance - (tat - now)) / emission) + 1)
local next_tat = tat + cells * emission
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1)
return {cells, 0}
";

/// KEYS[1]: the webhook's key. ARGV[1]: emission interval (µs). ARGV[2]:
/// cells to charge. Charges them whatever the balance (the request they
/// belong to was already admitted): the webhook's next requests wait for
/// them, as if each post had been a request of its own.
const CHARGE: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + tonumber(ARGV[2]) * tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1)
return 0
";

/// Reserves up to `wanted` cells of `webhook`'s limit: `(cells, 0)`, or
/// `(0, µs until one fits)`.
pub async fn reserve(
    redis: &RedisConnection,
    settings: &RedisSettings,
    webhook: Uuid,
    emission_micros: u64,
    tolerance_micros: u64,
    wanted: u64,
) -> redis::RedisResult<(i64, i64)> {
    let mut redis = redis.clone();
    redis::cmd("EVAL")
        .arg(RESERVE)
        .arg(1)
        .arg(keys::rate(settings, &webhook))
        .arg(emission_micros)
        .arg(tolerance_micros)
        .arg(wanted)
        .query_async(&mut redis)
        .await
}

/// Charges `cells` to `webhook`'s limit whatever its balance.
pub async fn charge(
    redis: &RedisConnection,
    settings: &RedisSettings,
    webhook: Uuid,
    emission_micros: u64,
    cells: u64,
) -> redis::RedisResult<()> {
    let mut redis = redis.clone();
    redis::cmd("EVAL")
        .arg(CHARGE)
        .arg(1)
        .arg(keys::rate(settings, &webhook))
        .arg(emission_micros)
        .arg(cells)
        .query_async::<i64>(&mut redis)
        .await
        .map(|_| ())
}

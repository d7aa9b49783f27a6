//! Per-webhook rate limits, shared by every ingress replica: the generic
//! cell rate algorithm (GCRA) over one Redis key per webhook, evaluated
//! atomically by a script using Redis's own clock, so replicas need no
//! clock agreement. A webhook with rate `r` per minute and burst `b` may
//! send `b` requests at once, then one every `60/r` seconds; over that it
//! gets `429 rate_limited` with `Retry-After`, Slack's answer.
//!
//! Redis unreachable (or slower than [`REDIS_TIMEOUT`]): `open` accepts and
//! counts it, `closed` answers 503 (`ingress.rate_limit_without_redis`).

use crate::State;
use inlet_core::settings::RateLimitFallback;
use inlet_dialects::{ErrorCode, Rejection};
use inlet_store::Webhook;
use std::time::Duration;

/// How long a rate check may take before Redis counts as unreachable.
const REDIS_TIMEOUT: Duration = Duration::from_millis(100);

/// KEYS[1]: the webhook's key. ARGV[1]: emission interval (µs between
/// requests at the rate). ARGV[2]: tolerance (µs), `(burst - 1) ×` the
/// interval. Returns {1, 0} when allowed, else {0, µs until allowed}.
/// Sent with EVAL: Redis keeps the compiled script in its cache.
const GCRA: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local emission = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > tolerance then
  return {0, tat - tolerance - now}
end
local next_tat = tat + emission
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1)
return {1, 0}
";

/// The limit that applies to `webhook`: (per minute, burst), or `None`.
pub fn limit_of(webhook: &Webhook, default_per_minute: u32, burst: u32) -> Option<(u64, u64)> {
    let rate = match webhook.rate_per_minute {
        Some(own) if own > 0 => own as u64,
        _ => u64::from(default_per_minute),
    };
    if rate == 0 {
        return None;
    }
    Some((rate, u64::from(burst).clamp(1, rate)))
}

/// GCRA parameters in microseconds: (emission interval, tolerance).
pub fn gcra_parameters(per_minute: u64, burst: u64) -> (u64, u64) {
    let emission = (60_000_000 / per_minute.max(1)).max(1);
    (emission, emission * burst.saturating_sub(1))
}

/// Whole seconds to announce in `Retry-After` for a wait of `micros`.
pub fn retry_after_secs(micros: u64) -> u64 {
    micros.div_ceil(1_000_000).max(1)
}

/// Admits a request of `webhook` or refuses it over its rate.
pub async fn admit(state: &State, webhook: &Webhook) -> Result<(), Rejection> {
    let settings = &state.settings.ingress;
    let Some((rate, burst)) = limit_of(webhook, settings.rate_per_minute, settings.rate_burst)
    else {
        return Ok(());
    };
    let (emission, tolerance) = gcra_parameters(rate, burst);
    let key = format!("{}rate:{}", state.settings.redis.prefix, webhook.id);
    let mut redis = state.redis.clone();
    let mut eval = redis::cmd("EVAL");
    eval.arg(GCRA).arg(1).arg(key).arg(emission).arg(tolerance);
    let checked =
        tokio::time::timeout(REDIS_TIMEOUT, eval.query_async::<(i64, i64)>(&mut redis)).await;
    match checked {
        Ok(Ok((1, _))) => Ok(()),
        Ok(Ok((_, wait_micros))) => Err(Rejection::rate_limited(
            format!("over this webhook's limit of {rate} requests per minute (burst {burst})"),
            retry_after_secs(wait_micros.max(0) as u64),
        )),
        Ok(Err(_)) | Err(_) => {
            state.metrics.rate_limiter_errors.inc();
            match settings.rate_limit_without_redis {
                RateLimitFallback::Open => Ok(()),
                RateLimitFallback::Closed => Err(Rejection::new(
                    ErrorCode::ServiceUnavailable,
                    "the rate limiter is unavailable",
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_follow_rate_and_burst() {
        // 600 per minute: one every 100 ms; a burst of 60 tolerates 59 intervals.
        assert_eq!(gcra_parameters(600, 60), (100_000, 5_900_000));
        assert_eq!(gcra_parameters(1, 1), (60_000_000, 0));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(0), 1);
        assert_eq!(retry_after_secs(1), 1);
        assert_eq!(retry_after_secs(1_000_000), 1);
        assert_eq!(retry_after_secs(1_000_001), 2);
    }
}

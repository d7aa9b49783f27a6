//! Per-webhook rate limits, shared by every ingress replica: the generic
//! cell rate algorithm (GCRA) over one Redis key per webhook, evaluated
//! atomically by a script using Redis's own clock (`inlet_redis::gcra`),
//! so replicas need no clock agreement. A webhook with rate `r` per minute and burst `b` may
//! send `b` requests at once, then one every `60/r` seconds; over that it
//! gets `429 rate_limited` with `Retry-After`, Slack's answer.
//!
//! Redis unreachable (or slower than [`REDIS_TIMEOUT`]): `open` accepts and
//! counts it, `closed` answers 503 (`ingress.rate_limit_without_redis`).
//!
//! A busy webhook does not cost a Redis call per request: a replica reserves
//! a few cells at once (an eighth of the burst, at most [`MAX_CHUNK`]) and
//! spends them locally for at most [`RESERVE_LIFETIME`]. Reserved cells are
//! charged when reserved, so replicas together never admit more than the
//! limit; a replica's unused cells can at worst make another replica refuse
//! up to a chunk early, and a webhook with a burst under 16 reserves one
//! cell at a time, exactly as before.

use crate::State;
use inlet_core::settings::RateLimitFallback;
use inlet_dialects::{ErrorCode, Rejection};
use inlet_redis::gcra;
use inlet_store::Webhook;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a rate check may take before Redis counts as unreachable.
const REDIS_TIMEOUT: Duration = Duration::from_millis(100);

/// Most cells a replica reserves at once.
pub const MAX_CHUNK: u64 = 16;

/// How long reserved cells may be spent: past it they are dropped, so that
/// cells reserved long ago never add to a fresh burst.
pub const RESERVE_LIFETIME: Duration = Duration::from_secs(1);

/// Cells a replica reserves at once for a burst of `burst`.
pub fn chunk_of(burst: u64) -> u64 {
    (burst / 8).clamp(1, MAX_CHUNK)
}

/// Cells reserved from the shared limit and not spent yet, per webhook.
#[derive(Default)]
pub struct Reserves {
    cells: Mutex<HashMap<Uuid, Reserve>>,
}

struct Reserve {
    left: u64,
    until: Instant,
}

impl Reserves {
    /// Spends one reserved cell of `webhook`, if it has one still valid.
    pub fn take(&self, webhook: Uuid, now: Instant) -> bool {
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        match cells.get_mut(&webhook) {
            Some(reserve) if reserve.left > 0 && reserve.until > now => {
                reserve.left -= 1;
                true
            }
            Some(_) => {
                cells.remove(&webhook);
                false
            }
            None => false,
        }
    }

    /// Keeps `extra` freshly reserved cells (reserved at `now`).
    pub fn keep(&self, webhook: Uuid, extra: u64, now: Instant) {
        if extra == 0 {
            return;
        }
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        if cells.len() >= 100_000 {
            cells.clear();
        }
        let reserve = cells.entry(webhook).or_insert(Reserve {
            left: 0,
            until: now,
        });
        if reserve.until <= now {
            reserve.left = 0;
        }
        reserve.left += extra;
        reserve.until = now + RESERVE_LIFETIME;
    }
}

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
    if state.reserves.take(webhook.id, Instant::now()) {
        return Ok(());
    }
    let (emission, tolerance) = gcra_parameters(rate, burst);
    let (redis, redis_settings) = (&state.redis, &state.settings.redis);
    let reserving = gcra::reserve(
        redis,
        redis_settings,
        webhook.id,
        emission,
        tolerance,
        chunk_of(burst),
    );
    let reserved_at = Instant::now();
    let checked = tokio::time::timeout(REDIS_TIMEOUT, reserving).await;
    match checked {
        Ok(Ok((cells, _))) if cells >= 1 => {
            state
                .reserves
                .keep(webhook.id, cells as u64 - 1, reserved_at);
            Ok(())
        }
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

/// Charges the posts of an admitted request beyond its first (one cell
/// each) to `webhook`'s rate: a request that makes fifty posts costs what
/// fifty requests cost. Best effort: with Redis unreachable nothing is
/// charged (the request was admitted under the fallback already).
pub async fn charge_posts(state: &State, webhook: &Webhook, posts: usize) {
    let settings = &state.settings.ingress;
    let extra = posts.saturating_sub(1) as u64;
    let Some((rate, burst)) = limit_of(webhook, settings.rate_per_minute, settings.rate_burst)
    else {
        return;
    };
    if extra == 0 {
        return;
    }
    let (emission, _) = gcra_parameters(rate, burst);
    let charging = gcra::charge(
        &state.redis,
        &state.settings.redis,
        webhook.id,
        emission,
        extra,
    );
    let charged = tokio::time::timeout(REDIS_TIMEOUT, charging).await;
    if !matches!(charged, Ok(Ok(_))) {
        state.metrics.rate_limiter_errors.inc();
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
    fn chunks_are_an_eighth_of_the_burst_and_one_for_small_bursts() {
        assert_eq!(chunk_of(6), 1);
        assert_eq!(chunk_of(15), 1);
        assert_eq!(chunk_of(60), 7);
        assert_eq!(chunk_of(10_000), MAX_CHUNK);
    }

    #[test]
    fn reserved_cells_are_spent_once_and_expire() {
        let reserves = Reserves::default();
        let (hook, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let now = Instant::now();
        assert!(!reserves.take(hook, now));
        reserves.keep(hook, 2, now);
        assert!(!reserves.take(other, now), "cells belong to their webhook");
        assert!(reserves.take(hook, now));
        assert!(reserves.take(hook, now));
        assert!(!reserves.take(hook, now), "only two were kept");
        reserves.keep(hook, 3, now);
        assert!(
            !reserves.take(hook, now + RESERVE_LIFETIME),
            "expired cells are not spent"
        );
        assert!(!reserves.take(hook, now), "and are dropped");
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(0), 1);
        assert_eq!(retry_after_secs(1), 1);
        assert_eq!(retry_after_secs(1_000_000), 1);
        assert_eq!(retry_after_secs(1_000_001), 2);
    }
}

//! The caps on live event streams: each one holds a slot from the moment
//! it is accepted until it ends, however it ends (the slot is released when
//! it is dropped). A token may hold `api.max_streams_per_token` slots, the
//! process `api.max_streams_total`; past either the stream is refused, so
//! streams cannot be a cheap way to exhaust the process.

use crate::metrics::{self, ApiMetrics};
use inlet_core::TokenHash;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

pub struct StreamSlots {
    per_token: usize,
    total: usize,
    metrics: ApiMetrics,
    open: Mutex<OpenStreams>,
}

#[derive(Default)]
struct OpenStreams {
    total: usize,
    /// Only tokens with at least one open stream: the map never outgrows
    /// the streams themselves.
    by_token: HashMap<TokenHash, usize>,
}

/// Which cap a refused stream ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    PerToken(usize),
    Total(usize),
}

/// An open stream's place; dropping it frees the place.
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    token: TokenHash,
}

impl StreamSlots {
    pub fn new(per_token: usize, total: usize, metrics: ApiMetrics) -> Arc<Self> {
        Arc::new(Self {
            per_token,
            total,
            metrics,
            open: Mutex::new(OpenStreams::default()),
        })
    }

    /// A slot for one more stream of `token`, if both caps allow it.
    pub fn take(self: &Arc<Self>, token: TokenHash) -> Result<StreamSlot, Refused> {
        let mut open = self.lock();
        let of_token = open.by_token.get(&token).copied().unwrap_or(0);
        let refused = if of_token >= self.per_token {
            Some((Refused::PerToken(self.per_token), metrics::PER_TOKEN))
        } else if open.total >= self.total {
            Some((Refused::Total(self.total), metrics::TOTAL))
        } else {
            None
        };
        if let Some((refused, limit)) = refused {
            self.metrics
                .streams_refused
                .with_label_values(&[limit])
                .inc();
            return Err(refused);
        }
        open.total += 1;
        *open.by_token.entry(token).or_insert(0) += 1;
        self.metrics.streams_open.inc();
        Ok(StreamSlot {
            slots: self.clone(),
            token,
        })
    }

    fn lock(&self) -> MutexGuard<'_, OpenStreams> {
        // The counts are updated without panicking in between; a poisoned
        // lock still holds consistent counts.
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.lock();
        open.total = open.total.saturating_sub(1);
        if let Some(count) = open.by_token.get_mut(&self.token) {
            *count -= 1;
            if *count == 0 {
                open.by_token.remove(&self.token);
            }
        }
        self.slots.metrics.streams_open.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(per_token: usize, total: usize) -> Arc<StreamSlots> {
        let metrics = ApiMetrics::register(&prometheus::Registry::new()).unwrap();
        StreamSlots::new(per_token, total, metrics)
    }

    #[test]
    fn a_token_gets_its_cap_and_a_slot_back_when_one_is_dropped() {
        let slots = slots(2, 10);
        let token = TokenHash::of("reader");
        let first = slots.take(token).unwrap();
        let _second = slots.take(token).unwrap();
        assert_eq!(slots.take(token).err(), Some(Refused::PerToken(2)));
        assert!(slots.take(TokenHash::of("another")).is_ok());
        drop(first);
        assert!(slots.take(token).is_ok());
    }

    #[test]
    fn the_total_cap_holds_across_tokens() {
        let slots = slots(5, 2);
        let _a = slots.take(TokenHash::of("a")).unwrap();
        let b = slots.take(TokenHash::of("b")).unwrap();
        assert_eq!(
            slots.take(TokenHash::of("c")).err(),
            Some(Refused::Total(2))
        );
        drop(b);
        assert!(slots.take(TokenHash::of("c")).is_ok());
    }

    #[test]
    fn the_gauge_follows_the_open_slots_and_refusals_are_counted() {
        let slots = slots(1, 10);
        let token = TokenHash::of("reader");
        let slot = slots.take(token).unwrap();
        assert!(slots.take(token).is_err());
        assert_eq!(slots.metrics.streams_open.get(), 1);
        let refused = &slots.metrics.streams_refused;
        assert_eq!(refused.with_label_values(&[metrics::PER_TOKEN]).get(), 1);
        assert_eq!(refused.with_label_values(&[metrics::TOTAL]).get(), 0);
        drop(slot);
        assert_eq!(slots.metrics.streams_open.get(), 0);
        assert!(slots.lock().by_token.is_empty());
    }
}

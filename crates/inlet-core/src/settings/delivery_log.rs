//! `[delivery_log]`: every webhook's log of its recent requests (what was
//! answered, and what became of each), kept in Redis by ingress and read
//! through the API with the outcomes PostgreSQL holds.

use super::{SettingsError, key_error};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryLogSettings {
    /// Off: ingress records nothing (the API answers an empty log).
    pub enabled: bool,
    /// Most requests kept per webhook; older ones are dropped.
    pub max_entries: usize,
    /// Requests older than this are dropped, in seconds.
    pub max_age_secs: u64,
    /// Most bytes of a request's body kept, for the webhooks that keep
    /// bodies (`keep_bodies`); longer bodies are cut.
    pub body_max_bytes: usize,
    /// Entries waiting to be written; past it new ones are dropped (and
    /// counted), never the request.
    pub queue_entries: usize,
}

impl Default for DeliveryLogSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            max_entries: 500,
            max_age_secs: 7 * 24 * 60 * 60,
            body_max_bytes: 16 * 1024,
            queue_entries: 10_000,
        }
    }
}

impl DeliveryLogSettings {
    pub(super) fn validate(&self) -> Result<(), SettingsError> {
        let checks = [
            (
                "delivery_log.max_entries",
                (1..=100_000).contains(&self.max_entries),
                "must be 1 to 100000",
            ),
            (
                "delivery_log.max_age_secs",
                (60..=90 * 24 * 60 * 60).contains(&self.max_age_secs),
                "must be 60 (a minute) to 7776000 (90 days)",
            ),
            (
                "delivery_log.body_max_bytes",
                self.body_max_bytes <= 1024 * 1024,
                "must be at most 1048576",
            ),
            (
                "delivery_log.queue_entries",
                self.queue_entries >= 1,
                "must be at least 1",
            ),
        ];
        for (key, ok, reason) in checks {
            if !ok {
                return Err(key_error(key, reason));
            }
        }
        Ok(())
    }
}

//! Unknown tokens cost no database lookup (decisions.md 45).
//!
//! Tokens Inlet issues end with a MAC of their random part under the
//! installation's key (`token_key` in PostgreSQL), so a token that does not
//! carry a valid MAC was never issued here, unless it is one of the tokens
//! issued before tokens were signed, whose hashes are kept here (a set that
//! only shrinks). Only signed tokens and those old ones go on to the token
//! cache and PostgreSQL; any other is answered `404 no_service` at once.
//! Until the key is loaded (PostgreSQL down at start) every token is looked
//! up, as before.
//!
//! A source address whose requests keep naming unknown tokens is also
//! bounded ([`FailedLookups`], `ingress.unknown_tokens_per_minute`): past
//! the limit, its requests are answered `429` without a lookup, unless
//! their token is signed with the key (whoever has one was given it).

use inlet_core::TokenHash;
use inlet_core::token::{TokenKey, WebhookToken};
use inlet_store::{Pool, repo};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How often the set of unsigned tokens is read again (revocations).
const RELOAD_EVERY: Duration = Duration::from_secs(60);
/// The window of the failed-lookup limit.
const WINDOW: Duration = Duration::from_secs(60);
/// Most source addresses remembered; past it, expired windows are dropped,
/// then all (the limit fails open rather than grow without bound).
const MAX_ADDRESSES: usize = 65_536;

/// What a token is, before any lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screened {
    /// Signed with this installation's key: issued here.
    Issued,
    /// One of the tokens issued before tokens were signed.
    Earlier,
    /// The key is not loaded yet: nothing can be told.
    NotLoaded,
    /// Never issued here: answer `no_service` without a lookup.
    Unknown,
}

struct Loaded {
    key: TokenKey,
    unsigned: HashSet<TokenHash>,
}

/// The installation's token key and the hashes of its unsigned tokens.
#[derive(Default)]
pub struct TokenScreen {
    loaded: RwLock<Option<Loaded>>,
}

impl TokenScreen {
    pub fn judge(&self, token: &WebhookToken, hash: &TokenHash) -> Screened {
        let loaded = self.loaded.read().unwrap_or_else(|p| p.into_inner());
        let Some(loaded) = loaded.as_ref() else {
            return Screened::NotLoaded;
        };
        if loaded.key.signed(token) {
            Screened::Issued
        } else if loaded.unsigned.contains(hash) {
            Screened::Earlier
        } else {
            Screened::Unknown
        }
    }

    async fn load(&self, pool: &Pool) -> Result<(), inlet_store::StoreError> {
        let client = pool.get().await?;
        let key = repo::webhooks::token_key(&**client).await?;
        let unsigned = repo::webhooks::unsigned_token_hashes(&**client)
            .await?
            .into_iter()
            .collect();
        *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = Some(Loaded { key, unsigned });
        Ok(())
    }

    /// Loads the key and the unsigned tokens, retrying until PostgreSQL
    /// answers, then reads the unsigned tokens again every minute.
    pub async fn keep_loaded(&self, pool: Pool, cancel: CancellationToken) {
        let mut wait = Duration::from_millis(200);
        loop {
            let next = match self.load(&pool).await {
                Ok(()) => RELOAD_EVERY,
                Err(error) => {
                    tracing::warn!(%error, "cannot load the token key; every token is looked up");
                    wait = (wait * 2).min(Duration::from_secs(10));
                    wait
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(next) => {}
            }
        }
    }
}

/// Unknown-token answers per source address, in fixed one-minute windows.
pub struct FailedLookups {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, Window>>,
}

struct Window {
    started: Instant,
    failures: u32,
}

impl FailedLookups {
    /// `per_minute` 0: no limit.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Mutex::default(),
        }
    }

    /// Seconds until `address` may look tokens up again, if it is over
    /// the limit now.
    pub fn blocked(&self, address: IpAddr, now: Instant) -> Option<u64> {
        if self.per_minute == 0 {
            return None;
        }
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let window = windows.get(&address)?;
        let left = WINDOW
            .checked_sub(now.duration_since(window.started))
            .filter(|left| !left.is_zero())?;
        (window.failures >= self.per_minute).then(|| left.as_secs().max(1))
    }

    /// Counts an unknown-token answer to `address`.
    pub fn failed(&self, address: IpAddr, now: Instant) {
        if self.per_minute == 0 {
            return;
        }
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() >= MAX_ADDRESSES && !windows.contains_key(&address) {
            windows.retain(|_, w| now.duration_since(w.started) < WINDOW);
            if windows.len() >= MAX_ADDRESSES {
                windows.clear();
            }
        }
        let window = windows.entry(address).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now.duration_since(window.started) >= WINDOW {
            *window = Window {
                started: now,
                failures: 0,
            };
        }
        window.failures = window.failures.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_blocked_past_its_failures_until_the_window_ends() {
        let limit = FailedLookups::new(3);
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(limit.blocked(a, now), None);
            limit.failed(a, now);
        }
        assert_eq!(limit.blocked(a, now), Some(60));
        assert_eq!(limit.blocked(b, now), None, "per address");
        let later = now + Duration::from_secs(45);
        assert_eq!(limit.blocked(a, later), Some(15));
        assert_eq!(
            limit.blocked(a, now + Duration::from_millis(59_500)),
            Some(1)
        );
        assert_eq!(limit.blocked(a, now + WINDOW), None, "a new window");
        limit.failed(a, now + WINDOW);
        assert_eq!(limit.blocked(a, now + WINDOW), None);
        assert_eq!(FailedLookups::new(0).blocked(a, now), None);
    }

    #[test]
    fn tokens_are_looked_up_only_when_signed_or_known_unsigned() {
        let screen = TokenScreen::default();
        let guess = WebhookToken::parse(&"g".repeat(32)).unwrap();
        assert_eq!(screen.judge(&guess, &guess.hash()), Screened::NotLoaded);
        let key = TokenKey::from_bytes(&[1; 32]).unwrap();
        let signed = key.issue().unwrap();
        let old = WebhookToken::generate().unwrap();
        *screen.loaded.write().unwrap() = Some(Loaded {
            key: key.clone(),
            unsigned: [old.hash()].into_iter().collect(),
        });
        assert_eq!(screen.judge(&signed, &signed.hash()), Screened::Issued);
        assert_eq!(screen.judge(&old, &old.hash()), Screened::Earlier);
        assert_eq!(screen.judge(&guess, &guess.hash()), Screened::Unknown);
        let other = TokenKey::from_bytes(&[2; 32]).unwrap().issue().unwrap();
        assert_eq!(screen.judge(&other, &other.hash()), Screened::Unknown);
    }
}

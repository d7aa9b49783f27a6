//! The directory cache: webhooks by token hash and by id, each team's
//! directory (channels, users, private memberships), channels by id across
//! teams.
//!
//! Ingress and the formatter read through it so the hot path costs no
//! database round trip. Tokens are trusted for at most `token_ttl` (≤ 1 s:
//! a revocation holds within a second even if no invalidation arrives); the
//! rest for `directory_ttl` (30 s) unless a control message from inlet-api
//! invalidates it first. Unknown tokens are cached too (bounded), to blunt
//! floods of made-up tokens. A token in use is read again in the background
//! once half its time is gone, so a busy webhook's requests never wait for
//! the database (the bound holds: an entry is trusted for `token_ttl` from
//! the moment its read started).

use crate::team::TeamDirectory;
use inlet_core::TokenHash;
use inlet_store::{Channel, Pool, StoreError, Webhook, repo};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Entries per map before it is cleared (bounds memory under floods).
const MAX_ENTRIES: usize = 100_000;

struct TtlMap<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> TtlMap<K, V> {
    fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, key: &K) -> Option<V> {
        self.get_aged(key).map(|(v, _)| v)
    }

    /// The entry and its age, if still fresh.
    fn get_aged(&self, key: &K) -> Option<(V, Duration)> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .map(|(at, v)| (v, at.elapsed()))
            .filter(|(_, age)| *age < self.ttl)
            .map(|(v, age)| (v.clone(), age))
    }

    fn put(&self, key: K, value: V) {
        self.put_read_at(key, value, Instant::now());
    }

    /// Stores a value read from the database at `read_at` (its age counts
    /// from then), unless a newer read is stored already.
    fn put_read_at(&self, key: K, value: V, read_at: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        match entries.get(&key) {
            Some((at, _)) if *at > read_at => {}
            _ => {
                entries.insert(key, (read_at, value));
            }
        }
    }

    fn remove(&self, key: &K) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

pub struct Directory {
    pool: Pool,
    tokens: Arc<TtlMap<TokenHash, Option<Arc<Webhook>>>>,
    /// Tokens being read again in the background.
    refreshing: Arc<Mutex<std::collections::HashSet<TokenHash>>>,
    teams: TtlMap<Uuid, Arc<TeamDirectory>>,
    channels_by_id: TtlMap<Uuid, Option<Arc<Channel>>>,
    webhooks_by_id: TtlMap<Uuid, Option<Arc<Webhook>>>,
    /// Thread and case claims seen (they never change once made).
    pub claims: crate::claims::ClaimCache,
}

impl Directory {
    pub fn new(pool: Pool, token_ttl: Duration, directory_ttl: Duration) -> Self {
        Self {
            pool,
            tokens: Arc::new(TtlMap::new(token_ttl)),
            refreshing: Arc::default(),
            teams: TtlMap::new(directory_ttl),
            channels_by_id: TtlMap::new(directory_ttl),
            webhooks_by_id: TtlMap::new(directory_ttl),
            claims: crate::claims::ClaimCache::default(),
        }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The active webhook with this token, or `None` for unknown, revoked
    /// and disabled tokens alike.
    pub async fn webhook_by_token(
        &self,
        token: TokenHash,
    ) -> Result<Option<Arc<Webhook>>, StoreError> {
        if let Some((hit, age)) = self.tokens.get_aged(&token) {
            if hit.is_some() && age >= self.tokens.ttl / 2 {
                self.refresh_token(token);
            }
            return Ok(hit);
        }
        let read_at = Instant::now();
        let client = self.pool.get().await?;
        let found = repo::webhooks::by_token(&**client, token)
            .await?
            .map(Arc::new);
        self.tokens.put_read_at(token, found.clone(), read_at);
        Ok(found)
    }

    /// Reads a token again in the background (once at a time per token); a
    /// failed read leaves the entry to expire.
    fn refresh_token(&self, token: TokenHash) {
        let mut refreshing = self.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        if !refreshing.insert(token) {
            return;
        }
        drop(refreshing);
        let (pool, tokens, refreshing) = (
            self.pool.clone(),
            self.tokens.clone(),
            self.refreshing.clone(),
        );
        tokio::spawn(async move {
            let read_at = Instant::now();
            if let Ok(client) = pool.get().await
                && let Ok(found) = repo::webhooks::by_token(&**client, token).await
            {
                tokens.put_read_at(token, found.map(Arc::new), read_at);
            }
            refreshing
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&token);
        });
    }

    /// A team's directory, loaded whole when not cached.
    pub async fn team(&self, team_id: Uuid) -> Result<Arc<TeamDirectory>, StoreError> {
        if let Some(hit) = self.teams.get(&team_id) {
            return Ok(hit);
        }
        let client = self.pool.get().await?;
        let rows = repo::teams::directory_rows(&**client, team_id).await?;
        let loaded = Arc::new(TeamDirectory::from_rows(team_id, rows));
        self.teams.put(team_id, loaded.clone());
        Ok(loaded)
    }

    pub async fn channel_by_id(&self, id: Uuid) -> Result<Option<Arc<Channel>>, StoreError> {
        if let Some(hit) = self.channels_by_id.get(&id) {
            return Ok(hit);
        }
        let client = self.pool.get().await?;
        let found = match repo::channels::get(&**client, id).await {
            Ok(channel) => Some(Arc::new(channel)),
            Err(StoreError::NotFound(_)) => None,
            Err(other) => return Err(other),
        };
        self.channels_by_id.put(id, found.clone());
        Ok(found)
    }

    /// A webhook by id, revoked or not: a message accepted before a
    /// revocation is still posted.
    pub async fn webhook_by_id(&self, id: Uuid) -> Result<Option<Arc<Webhook>>, StoreError> {
        if let Some(hit) = self.webhooks_by_id.get(&id) {
            return Ok(hit);
        }
        let client = self.pool.get().await?;
        let found = match repo::webhooks::get(&**client, id).await {
            Ok(webhook) => Some(Arc::new(webhook)),
            Err(StoreError::NotFound(_)) => None,
            Err(other) => return Err(other),
        };
        self.webhooks_by_id.put(id, found.clone());
        Ok(found)
    }

    /// Forgets one team's directory (its channels, users or webhooks changed).
    pub fn invalidate_team(&self, team_id: Uuid) {
        self.teams.remove(&team_id);
        self.channels_by_id.clear();
        self.webhooks_by_id.clear();
    }

    /// Forgets every resolved token (a webhook was revoked, rotated or changed).
    pub fn invalidate_tokens(&self) {
        self.tokens.clear();
    }

    /// Forgets everything (e.g. control messages may have been missed).
    pub fn invalidate(&self) {
        self.tokens.clear();
        self.teams.clear();
        self.channels_by_id.clear();
        self.webhooks_by_id.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_read_never_replaces_a_newer_one() {
        let map = TtlMap::new(Duration::from_secs(1));
        let earlier = Instant::now();
        let later = earlier + Duration::from_millis(5);
        map.put_read_at(1, "new", later);
        map.put_read_at(1, "old", earlier);
        assert_eq!(map.get(&1), Some("new"));
    }

    #[test]
    fn an_entry_ages_from_the_moment_its_read_started() {
        let map = TtlMap::new(Duration::from_millis(100));
        let long_ago = Instant::now() - Duration::from_millis(150);
        map.put_read_at(1, "read long ago", long_ago);
        assert_eq!(map.get(&1), None, "older than the ttl when stored");
        map.put_read_at(2, "recent", Instant::now() - Duration::from_millis(60));
        let (_, age) = map.get_aged(&2).unwrap();
        assert!(age >= Duration::from_millis(60), "age {age:?}");
    }
}

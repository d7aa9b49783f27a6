//! The directory cache: webhooks by token hash, channels by name and id.
//!
//! Ingress and the formatter read through it so the hot path costs no
//! database round trip. Tokens are trusted for at most `token_ttl` (≤ 1 s:
//! a revocation holds within a second even if no invalidation arrives);
//! channels for `directory_ttl` (30 s) unless invalidated. Unknown tokens are
//! cached too (bounded), to blunt floods of made-up tokens.

use crate::error::StoreError;
use crate::model::{Channel, Webhook};
use crate::pool::Pool;
use crate::repo;
use inlet_core::TokenHash;
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
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    fn put(&self, key: K, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), value));
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
    tokens: TtlMap<TokenHash, Option<Arc<Webhook>>>,
    channels_by_name: TtlMap<(Uuid, String), Option<Arc<Channel>>>,
    channels_by_id: TtlMap<Uuid, Option<Arc<Channel>>>,
    webhooks_by_id: TtlMap<Uuid, Option<Arc<Webhook>>>,
}

impl Directory {
    pub fn new(pool: Pool, token_ttl: Duration, directory_ttl: Duration) -> Self {
        Self {
            pool,
            tokens: TtlMap::new(token_ttl),
            channels_by_name: TtlMap::new(directory_ttl),
            channels_by_id: TtlMap::new(directory_ttl),
            webhooks_by_id: TtlMap::new(directory_ttl),
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
        if let Some(hit) = self.tokens.get(&token) {
            return Ok(hit);
        }
        let client = self.pool.get().await?;
        let found = repo::webhooks::by_token(&**client, token)
            .await?
            .map(Arc::new);
        self.tokens.put(token, found.clone());
        Ok(found)
    }

    pub async fn channel_by_name(
        &self,
        team_id: Uuid,
        name: &str,
    ) -> Result<Option<Arc<Channel>>, StoreError> {
        let key = (team_id, name.to_string());
        if let Some(hit) = self.channels_by_name.get(&key) {
            return Ok(hit);
        }
        let client = self.pool.get().await?;
        let found = repo::channels::by_name(&**client, team_id, name)
            .await?
            .map(Arc::new);
        self.channels_by_name.put(key, found.clone());
        Ok(found)
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

    /// Forgets everything (a control message said the directory changed).
    pub fn invalidate(&self) {
        self.tokens.clear();
        self.channels_by_name.clear();
        self.channels_by_id.clear();
        self.webhooks_by_id.clear();
    }
}

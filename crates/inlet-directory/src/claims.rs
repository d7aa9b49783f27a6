//! Thread and case claims already decided, kept in memory. A claim never
//! changes once made (the first message with a thread key or case id owns
//! it for good), so a claim seen once can answer every later message of
//! that thread or case without a database round trip. Bounded: the map is
//! simply emptied when it grows past its size, and the next messages read
//! from PostgreSQL again.
//!
//! The root posts this formatter made are remembered too: a reply that
//! names one by id (`thread_ts` with the `ts` that `chat.postMessage`
//! answered a moment before) finds it even while it is still on its way
//! to PostgreSQL, since a channel's messages are formatted in order.

use inlet_store::repo::claims::Claim;
use std::collections::HashMap;
use std::sync::Mutex;
use uuid::Uuid;

/// Entries per map before it is emptied.
const CAPACITY: usize = 50_000;

#[derive(Default)]
pub struct ClaimCache {
    threads: Mutex<HashMap<(Uuid, String), Claim>>,
    case_roots: Mutex<HashMap<(Uuid, String), Uuid>>,
    /// Root posts made here: (channel, post id).
    roots: Mutex<HashMap<(Uuid, Uuid), ()>>,
}

fn remember<K: std::hash::Hash + Eq, V>(map: &Mutex<HashMap<K, V>>, key: K, value: V) {
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    if map.len() >= CAPACITY {
        map.clear();
    }
    map.insert(key, value);
}

impl ClaimCache {
    pub fn thread(&self, channel: Uuid, key: &str) -> Option<Claim> {
        let map = self.threads.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(channel, key.to_string())).copied()
    }

    pub fn remember_thread(&self, channel: Uuid, key: &str, claim: Claim) {
        remember(&self.threads, (channel, key.to_string()), claim);
    }

    /// The root post of a claimed case, if known here.
    pub fn case_root(&self, channel: Uuid, case_id: &str) -> Option<Uuid> {
        let map = self.case_roots.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(channel, case_id.to_string())).copied()
    }

    pub fn remember_case_root(&self, channel: Uuid, case_id: &str, root: Uuid) {
        remember(&self.case_roots, (channel, case_id.to_string()), root);
    }

    /// Whether `post` is a root post this formatter made in `channel`.
    pub fn is_root(&self, channel: Uuid, post: Uuid) -> bool {
        let map = self.roots.lock().unwrap_or_else(|p| p.into_inner());
        map.contains_key(&(channel, post))
    }

    pub fn remember_root(&self, channel: Uuid, post: Uuid) {
        remember(&self.roots, (channel, post), ());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_and_answers_per_channel() {
        let cache = ClaimCache::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let claim = Claim {
            root_post_id: Uuid::now_v7(),
            message_id: Uuid::now_v7(),
        };
        assert_eq!(cache.thread(a, "k"), None);
        cache.remember_thread(a, "k", claim);
        assert_eq!(cache.thread(a, "k"), Some(claim));
        assert_eq!(cache.thread(b, "k"), None, "another channel's thread");
        let root = Uuid::now_v7();
        cache.remember_case_root(a, "case-1", root);
        assert_eq!(cache.case_root(a, "case-1"), Some(root));
        assert_eq!(cache.case_root(a, "case-2"), None);
        cache.remember_root(a, root);
        assert!(cache.is_root(a, root));
        assert!(!cache.is_root(b, root), "another channel's post");
    }

    #[test]
    fn a_full_map_starts_over() {
        let cache = ClaimCache::default();
        let channel = Uuid::now_v7();
        for i in 0..CAPACITY + 1 {
            cache.remember_case_root(channel, &i.to_string(), channel);
        }
        let map = cache.case_roots.lock().unwrap();
        assert_eq!(map.len(), 1, "emptied at capacity, then the new entry");
    }
}

//! An in-memory cache of finished public answers (page HTML, API JSON), keyed by request and
//! valid for one database write generation: any commit through this server makes every entry
//! stale at once, so a write is visible in the very next response. A short TTL bounds staleness
//! from writers outside the process (CLI `seed` while serving). Bounded by bytes.
//! `PartCache` keeps template values under the same rule: the parts of a page that are the
//! same for every visitor (a lesson's text and curriculum), while the page around them is
//! rendered per request. It must never hold anything about one visitor.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::RwLock;

pub struct ResponseCache {
    inner: RwLock<Inner>,
    ttl: Duration,
    max_bytes: usize,
    /// Lookups answered from the cache and not (metrics).
    hits: AtomicU64,
    misses: AtomicU64,
}

struct Inner {
    generation: u64,
    bytes: usize,
    entries: HashMap<String, (Instant, Bytes)>,
}

impl ResponseCache {
    pub fn new(ttl: Duration, max_bytes: usize) -> ResponseCache {
        ResponseCache {
            inner: RwLock::new(Inner {
                generation: 0,
                bytes: 0,
                entries: HashMap::new(),
            }),
            ttl,
            max_bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn get(&self, key: &str, generation: u64) -> Option<Bytes> {
        let found = self.lookup(key, generation);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn lookup(&self, key: &str, generation: u64) -> Option<Bytes> {
        let inner = self.inner.read();
        if inner.generation != generation {
            return None;
        }
        let (at, body) = inner.entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| body.clone())
    }

    /// Lookups answered from the cache, and not, since start.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Stores `body` as computed at `generation`; older generations are dropped, not stored.
    pub fn put(&self, key: String, generation: u64, body: Bytes) {
        if self.ttl.is_zero() || body.len() > self.max_bytes / 4 {
            return;
        }
        let mut inner = self.inner.write();
        if generation < inner.generation {
            return;
        }
        if generation > inner.generation || inner.bytes + body.len() > self.max_bytes {
            inner.entries.clear();
            inner.bytes = 0;
            inner.generation = generation;
        }
        let key_len = key.len();
        inner.bytes += body.len() + key_len;
        if let Some((_, old)) = inner.entries.insert(key, (Instant::now(), body)) {
            inner.bytes -= old.len() + key_len; // the key was counted when it first came
        }
    }
}

/// Shared, visitor-independent values valid for one write generation and at most `ttl`;
/// bounded by entry count (when full, it starts over).
pub struct PartCache<K, V> {
    inner: RwLock<Parts<K, V>>,
    ttl: Duration,
    max_entries: usize,
}

struct Parts<K, V> {
    generation: u64,
    entries: HashMap<K, (Instant, V)>,
}

impl<K: Hash + Eq, V: Clone> PartCache<K, V> {
    pub fn new(ttl: Duration, max_entries: usize) -> PartCache<K, V> {
        PartCache {
            inner: RwLock::new(Parts {
                generation: 0,
                entries: HashMap::new(),
            }),
            ttl,
            max_entries,
        }
    }

    pub fn get(&self, key: &K, generation: u64) -> Option<V> {
        let inner = self.inner.read();
        if inner.generation != generation {
            return None;
        }
        let (at, value) = inner.entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }

    /// Stores `value` as computed at `generation` (read before the value was); older
    /// generations are dropped, not stored.
    pub fn put(&self, key: K, generation: u64, value: V) {
        if self.ttl.is_zero() || self.max_entries == 0 {
            return;
        }
        let mut inner = self.inner.write();
        if generation < inner.generation {
            return;
        }
        if generation > inner.generation || inner.entries.len() >= self.max_entries {
            inner.entries.clear();
            inner.generation = generation;
        }
        inner.entries.insert(key, (Instant::now(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_generation_invalidates_everything() {
        let c = ResponseCache::new(Duration::from_secs(60), 1 << 20);
        c.put("a".into(), 1, Bytes::from_static(b"one"));
        assert_eq!(c.get("a", 1).as_deref(), Some(&b"one"[..]));
        assert_eq!(c.get("a", 2), None);
        c.put("a".into(), 2, Bytes::from_static(b"two"));
        c.put("a".into(), 1, Bytes::from_static(b"stale"));
        assert_eq!(c.get("a", 2).as_deref(), Some(&b"two"[..]));
    }

    #[test]
    fn stays_within_its_byte_budget() {
        let c = ResponseCache::new(Duration::from_secs(60), 4000);
        for i in 0..100 {
            c.put(format!("k{i}"), 1, Bytes::from(vec![0u8; 900]));
        }
        assert!(c.inner.read().bytes <= 4000);
    }

    #[test]
    fn replacing_an_entry_counts_its_key_once() {
        let c = ResponseCache::new(Duration::from_secs(60), 1 << 20);
        for body in ["first", "second body", "third"] {
            c.put("/api/v1/courses".into(), 1, Bytes::from(body));
        }
        assert_eq!(
            c.inner.read().bytes,
            "/api/v1/courses".len() + "third".len()
        );
    }

    #[test]
    fn parts_live_for_one_generation_and_a_bounded_count() {
        let c: PartCache<i64, &str> = PartCache::new(Duration::from_secs(60), 2);
        c.put(1, 5, "one");
        assert_eq!(c.get(&1, 5), Some("one"));
        assert_eq!(c.get(&1, 6), None, "a write makes it stale");
        c.put(1, 4, "older");
        assert_eq!(c.get(&1, 5), Some("one"), "an older read is not stored");
        c.put(2, 5, "two");
        c.put(3, 5, "three");
        assert!(c.inner.read().entries.len() <= 2);
        let off: PartCache<i64, &str> = PartCache::new(Duration::ZERO, 2);
        off.put(1, 1, "x");
        assert_eq!(off.get(&1, 1), None, "a zero TTL turns it off");
    }
}

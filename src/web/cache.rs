//! An in-memory cache of finished public answers (page HTML, API JSON), keyed by request and
//! valid for one database write generation: any commit through this server makes every entry
//! stale at once, so a write is visible in the very next response. A short TTL bounds staleness
//! from writers outside the process (CLI `seed` while serving). Bounded by bytes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::RwLock;

pub struct ResponseCache {
    inner: RwLock<Inner>,
    ttl: Duration,
    max_bytes: usize,
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
        }
    }

    pub fn get(&self, key: &str, generation: u64) -> Option<Bytes> {
        let inner = self.inner.read();
        if inner.generation != generation {
            return None;
        }
        let (at, body) = inner.entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| body.clone())
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
        inner.bytes += body.len() + key.len();
        if let Some((_, old)) = inner.entries.insert(key, (Instant::now(), body)) {
            inner.bytes -= old.len();
        }
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
}

//! A short-lived cache of principals, so an authenticated request does not
//! cost a database lookup every time.
//!
//! Entries live [`TTL`]: a deactivation or role change made on another
//! replica takes effect within that, well inside an access token's lifetime.
//! Changes made through this replica evict the user's entries at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rapport_core::principal::Principal;

/// How long a loaded principal is trusted.
pub const TTL: Duration = Duration::from_secs(10);
/// Entries kept at most; the cache is cleared when full.
const CAPACITY: usize = 10_000;

/// Principals by credential key (`user:<id>` or `key:<digest>`).
#[derive(Debug, Default)]
pub struct PrincipalCache {
    entries: Mutex<HashMap<String, (Principal, Instant)>>,
}

impl PrincipalCache {
    /// A fresh cached principal for `key`, if any.
    pub fn get(&self, key: &str) -> Option<Principal> {
        let entries = self.entries.lock().ok()?;
        entries.get(key).filter(|(_, at)| at.elapsed() < TTL).map(|(p, _)| p.clone())
    }

    /// Remembers `principal` under `key`.
    pub fn put(&self, key: String, principal: Principal) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(key, (principal, Instant::now()));
        }
    }

    /// Forgets every entry of `user_id` (after a change to the user or a key).
    pub fn evict_user(&self, user_id: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (p, _)| p.user_id != user_id);
        }
    }
}

//! Intake keys: `rik_<8 characters>_<secret>`, shown once, stored as a
//! digest. The first 12 characters are the stored `key_prefix` that finds
//! the source; the digest of the whole key must match. Built from the same
//! helpers as API keys ([`rapport_auth::tokens`]).

use diesel::prelude::*;
use rapport_auth::tokens;
use rapport_core::db::Conn;
use rapport_core::db::schema::intake_sources;
use rapport_core::{Error, Result, ids};

use super::rows::SourceRow;
use crate::kinds::LeadSource;

/// What every intake key starts with.
pub const KEY_START: &str = "rik_";
/// Length of the stored prefix: `rik_` and 8 characters.
const PREFIX_LEN: usize = 12;

/// An authenticated intake source: what a capture needs to know of it.
#[derive(Debug, Clone)]
pub struct IntakeSource {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The division its leads go to.
    pub division_id: String,
    /// Its default branch.
    pub branch_id: Option<String>,
    /// The `source` of its leads.
    pub lead_source: LeadSource,
    /// Inquiries accepted per minute.
    pub rate_limit_per_minute: i32,
}

/// Whether `credential` has the shape of an intake key (not an API key or
/// an access token).
pub fn looks_like_key(credential: &str) -> bool {
    credential.starts_with(KEY_START)
}

/// A new key: `(prefix, key, digest)`.
pub(crate) fn generate() -> (String, String, String) {
    let prefix = format!("{KEY_START}{}", &tokens::digest(&ids::new_id())[..PREFIX_LEN - KEY_START.len()]);
    let key = format!("{prefix}_{}", tokens::random_secret(""));
    let digest = tokens::digest(&key);
    (prefix, key, digest)
}

/// The active source `presented` belongs to; anything else (unknown,
/// malformed, rotated away, inactive) is the same 401 `invalid_intake_key`.
pub fn authenticate(conn: &mut Conn, presented: &str) -> Result<IntakeSource> {
    let invalid = || Error::Unauthenticated {
        code: "invalid_intake_key",
        message: "the intake key is not valid, was rotated, or its source is inactive".to_owned(),
    };
    let prefix = presented.get(..PREFIX_LEN).filter(|p| looks_like_key(p)).ok_or_else(invalid)?;
    let row: SourceRow = intake_sources::table
        .filter(intake_sources::key_prefix.eq(prefix))
        .select(SourceRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(invalid)?;
    if !(row.active && tokens::digests_equal(&row.key_hash, &tokens::digest(presented))) {
        return Err(invalid());
    }
    let lead_source = LeadSource::parse(&row.lead_source)
        .ok_or_else(|| Error::Internal(format!("stored lead source {}", row.lead_source)))?;
    Ok(IntakeSource {
        id: row.id,
        name: row.name,
        division_id: row.division_id,
        branch_id: row.branch_id,
        lead_source,
        rate_limit_per_minute: row.rate_limit_per_minute,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_their_prefix_and_digest() {
        let (prefix, key, digest) = generate();
        assert_eq!(prefix.len(), PREFIX_LEN);
        assert!(key.starts_with(&format!("{prefix}_")) && looks_like_key(&key));
        assert_eq!(digest, tokens::digest(&key));
        assert_ne!(generate().1, key);
        assert!(!looks_like_key("rpk_12345678_secret"));
    }
}

//! Record ids: UUIDv7 strings generated in Rust.
//!
//! Time-ordered (so `(created_at, id)` indexes stay append-mostly), not
//! guessable, and known before the insert, so no `RETURNING` is needed.

/// A new record id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Whether `raw` has the shape of a record id. Lookups with anything else
/// answer "not found" without touching the database.
pub fn is_valid_id(raw: &str) -> bool {
    uuid::Uuid::try_parse(raw).is_ok()
}

//! Delete, or archive when other records still refer to the record.
//!
//! Rather than keeping a list of every table that may point at a record (and
//! forgetting one when a new table arrives), the delete is tried inside a
//! savepoint and the database's foreign keys decide: a violation rolls back
//! to the savepoint and the record is archived instead.

use crate::db::Conn;
use crate::error::{Error, Result};
use diesel::Connection;

/// What a delete did.
#[derive(Debug, Clone)]
pub enum Removal<T> {
    /// The record is gone.
    Deleted,
    /// Other records refer to it, so it was archived; here it is now.
    Archived(T),
}

/// Runs `delete` in a savepoint; when a foreign key refuses it, runs `archive`.
pub fn remove_or_archive<T>(
    conn: &mut Conn,
    delete: impl FnOnce(&mut Conn) -> Result<()>,
    archive: impl FnOnce(&mut Conn) -> Result<T>,
) -> Result<Removal<T>> {
    match conn.transaction(delete) {
        Ok(()) => Ok(Removal::Deleted),
        Err(Error::Conflict {
            code: "still_referenced",
            ..
        }) => archive(conn).map(Removal::Archived),
        Err(e) => Err(e),
    }
}

/// The `archived_at` to store after an update that may archive or restore,
/// and the audit action the update amounts to.
pub fn apply_archive_flag(
    current: Option<chrono::NaiveDateTime>,
    requested: Option<bool>,
    now: chrono::NaiveDateTime,
) -> (Option<chrono::NaiveDateTime>, crate::audit::Action) {
    use crate::audit::Action;
    match (requested, current) {
        (Some(true), None) => (Some(now), Action::Archived),
        (Some(false), _) => (None, Action::Updated),
        (_, current) => (current, Action::Updated),
    }
}

//! Delete, or archive when other records still refer to the record.
//!
//! Rather than keeping a list of every table that may point at a record (and
//! forgetting one when a new table arrives), the delete is tried inside a
//! savepoint and the database's foreign keys decide: a violation rolls back
//! to the savepoint and the record is archived instead.

use diesel::Connection;
use serde::Serialize;

use crate::audit::{self, Action, WriteContext};
use crate::db::Conn;
use crate::error::{Error, Result};

/// What a delete did.
#[derive(Debug, Clone)]
pub enum Removal<T> {
    /// The record is gone.
    Deleted,
    /// Other records refer to it, so it was archived; here it is now.
    Archived(T),
}

/// The record a delete applies to, as read before the delete.
#[derive(Debug)]
pub struct Target<'a, T> {
    /// Entity type for the audit log, e.g. `division`.
    pub entity: &'static str,
    /// The record's id.
    pub id: &'a str,
    /// The record as the API shows it.
    pub before: T,
    /// Its current version.
    pub version: i64,
}

/// Checks `expected_version`, runs `delete` in a savepoint and, when a
/// foreign key refuses it, runs `archive` instead; records the audit entry and
/// change event for whichever happened.
pub fn delete_or_archive<T: Serialize>(
    conn: &mut Conn,
    ctx: &WriteContext,
    target: Target<'_, T>,
    expected_version: Option<i64>,
    delete: impl FnOnce(&mut Conn) -> Result<()>,
    archive: impl FnOnce(&mut Conn) -> Result<T>,
) -> Result<Removal<T>> {
    if expected_version.is_some_and(|v| v != target.version) {
        return Err(Error::StaleVersion { current: target.version });
    }
    let removal = match conn.transaction(delete) {
        Ok(()) => Removal::Deleted,
        Err(Error::Conflict { code: "still_referenced", .. }) => Removal::Archived(archive(conn)?),
        Err(e) => return Err(e),
    };
    let (action, after) = match &removal {
        Removal::Deleted => (Action::Deleted, None),
        Removal::Archived(after) => (Action::Archived, Some(after)),
    };
    audit::record(conn, ctx, target.entity, target.id, action, Some(&target.before), after)?;
    Ok(removal)
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

//! The "only if it changes something" write of idempotent upserts.
//!
//! An ERP that pushes the same record twice must not create a new version,
//! an audit entry or a change event. Rather than comparing inputs field by
//! field (and forgetting one), the update is applied inside a savepoint and
//! rolled back when the record comes out the same.

use diesel::Connection;

use crate::db::Conn;
use crate::error::{Error, Result};

/// How a probing savepoint ends when it is rolled back.
enum Probe {
    /// Nothing changed.
    Unchanged,
    /// The write failed.
    Failed(Error),
}

impl From<diesel::result::Error> for Probe {
    fn from(e: diesel::result::Error) -> Self {
        Probe::Failed(e.into())
    }
}

/// Runs `write` in a savepoint and keeps it only when `same(&before, &after)`
/// is false. Returns the record as it now stands and whether it changed.
pub fn unless_unchanged<T: Clone>(
    conn: &mut Conn,
    before: &T,
    write: impl FnOnce(&mut Conn) -> Result<T>,
    same: impl Fn(&T, &T) -> bool,
) -> Result<(T, bool)> {
    let outcome = conn.transaction(|conn| {
        let after = write(conn).map_err(Probe::Failed)?;
        if same(before, &after) { Err(Probe::Unchanged) } else { Ok(after) }
    });
    match outcome {
        Ok(after) => Ok((after, true)),
        Err(Probe::Unchanged) => Ok((before.clone(), false)),
        Err(Probe::Failed(e)) => Err(e),
    }
}

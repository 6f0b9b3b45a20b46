//! Write transactions: the one way a change is wrapped so that it, its audit
//! entry and its change event commit together or not at all.

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};

use super::Conn;
use crate::error::Result;

/// `f` in a transaction that, on SQLite, takes the write lock at `BEGIN
/// IMMEDIATE` rather than at its first write.
///
/// Why: a deferred transaction that reads first and then writes, while
/// another connection holds the write lock, gets `SQLITE_BUSY` at once
/// ("database is locked"): SQLite does not wait on a busy lock for a
/// transaction that already holds a read snapshot. When the checkpointer
/// held that lock on a connection of its own, that was 15-40 % of requests
/// answering 500 under a steady create load (docs/benchmarks.md, leads); it
/// now borrows the write connection instead, but another process's writer
/// (`rapport sweep`, `rapport seed`) still takes the lock. `BEGIN IMMEDIATE`
/// waits, with `busy_timeout`, before any snapshot is taken. PostgreSQL is
/// unchanged.
pub fn write_transaction<T, F>(conn: &mut Conn, f: F) -> Result<T>
where
    F: FnOnce(&mut Conn) -> Result<T>,
{
    let Conn::Sqlite(sqlite) = conn else {
        return conn.transaction(f);
    };
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    // Nested transactions inside `f` go through the multi-connection's
    // manager, which delegates to this same SQLite one: they become savepoints.
    match f(conn) {
        Ok(value) => {
            <Conn as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match <Conn as Connection>::TransactionManager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// How many transactions are open on `conn` (0 outside any, 1 inside one,
/// more inside savepoints); `None` when diesel can no longer tell, after a
/// failed rollback.
fn depth(conn: &mut Conn) -> Option<u32> {
    <Conn as Connection>::TransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .ok()
        .map(|depth| depth.map_or(0, std::num::NonZeroU32::get))
}

/// Rolls back savepoints until only the outer transaction is open; false
/// when that fails (the transaction can then no longer be trusted).
pub(crate) fn back_to_outer(conn: &mut Conn) -> bool {
    loop {
        match depth(conn) {
            Some(1) => return true,
            Some(0) | None => return false,
            Some(_) => {
                if <Conn as Connection>::TransactionManager::rollback_transaction(conn).is_err() {
                    return false;
                }
            }
        }
    }
}

//! The SQLite checkpointer: copies committed pages from the WAL back into
//! the database file on a thread of its own.
//!
//! Left to SQLite, the commit that pushes the WAL past its threshold runs
//! the checkpoint itself, `fsync` included, while it still holds the one
//! write connection: bulk ingestion spent a fifth of its time there
//! (docs/benchmarks.md). Here a `PASSIVE` checkpoint runs every
//! [`INTERVAL`] beside the writer and the readers, never blocking either.
//!
//! A passive checkpoint copies pages but cannot start the WAL over while
//! a reader still uses it, and under steady load some reader always does:
//! the WAL then only grows, and once past the connections' automatic
//! threshold every commit paid for a checkpoint again (a fifth of the time
//! at a million customers). So once the WAL holds more than
//! [`RESTART_FRAMES`], the checkpoint is a `RESTART`: it waits (holding off
//! the writer) for the readers in flight to finish, milliseconds here, and
//! the next commit starts the WAL from the beginning. The connections keep
//! a far higher automatic threshold as a safety net, should this thread
//! stop.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use diesel::r2d2::ManageConnection;
use diesel::sql_types::Integer;
use diesel::{QueryableByName, RunQueryDsl};

use super::{Conn, ConnManager};

/// How often the WAL is copied back.
const INTERVAL: Duration = Duration::from_millis(250);

/// WAL frames (pages, 4 KiB each) beyond which the WAL is started over:
/// 32 MiB.
const RESTART_FRAMES: i32 = 8_192;

/// What `PRAGMA wal_checkpoint` reports.
#[derive(QueryableByName)]
struct Outcome {
    /// Frames in the WAL.
    #[diesel(sql_type = Integer)]
    log: i32,
}

/// Keeps the checkpointer thread running; dropping it (with the last clone
/// of the [`Db`](super::Db) that holds it) stops the thread and waits for
/// its last checkpoint. Waiting matters: SQLite folds the WAL back into the
/// database file and removes it when the last connection closes, and the
/// thread's connection is the last one once the pools are gone; a process
/// that exited first would leave the WAL behind (the data is safe in it,
/// but a copy of the database file alone would miss it).
#[derive(Debug)]
pub(super) struct Checkpointer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::warn!("the checkpointer thread panicked");
        }
    }
}

impl Checkpointer {
    /// Starts the thread on a connection of its own. When no connection can
    /// be opened the writer's automatic checkpoints still apply, so this only
    /// logs.
    pub(super) fn start(manager: &ConnManager) -> Option<Self> {
        let mut conn = match manager.connect() {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "no checkpointer connection; relying on automatic checkpoints");
                return None;
            }
        };
        let (stop, stopped) = mpsc::channel::<()>();
        let spawned = thread::Builder::new().name("sqlite-checkpoint".into()).spawn(move || {
            // The sender is never used to send: the loop ends when it is dropped.
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                checkpoint(&mut conn);
            }
            checkpoint(&mut conn);
        });
        match spawned {
            Ok(thread) => Some(Self { stop: Some(stop), thread: Some(thread) }),
            Err(e) => {
                tracing::warn!(error = %e, "cannot start the checkpointer; relying on automatic checkpoints");
                None
            }
        }
    }
}

fn checkpoint(conn: &mut Conn) {
    match run(conn, "PRAGMA wal_checkpoint(PASSIVE)") {
        Ok(frames) if frames > RESTART_FRAMES => {
            if let Err(e) = run(conn, "PRAGMA wal_checkpoint(RESTART)") {
                tracing::warn!(error = %e, "WAL restart failed");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
    }
}

/// Runs one checkpoint; returns the frames the WAL held.
fn run(conn: &mut Conn, pragma: &str) -> diesel::QueryResult<i32> {
    Ok(diesel::sql_query(pragma).get_result::<Outcome>(conn)?.log)
}

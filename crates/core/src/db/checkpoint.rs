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
//! [`RESTART_FRAMES`], it is started over with a `RESTART` checkpoint, run
//! on the one write connection, borrowed from its pool ([`restart`]).
//!
//! Why borrowed: a `RESTART` takes SQLite's write lock and then, holding
//! it, waits for the readers still on the old pages. Run on a connection of
//! its own it first waited for the write in flight and then for the
//! readers, both through SQLite's busy handler, whose sleeps grow to 100 ms:
//! at a million customers each restart held off the writer 150-470 ms, a
//! third of bulk ingestion's time (docs/benchmarks.md, 2026-11-25). On the
//! write connection it waits for the write in flight as any writer does (a
//! hand-over, no sleep), and polls for the readers every millisecond, for
//! at most [`READER_WAIT`]; readers that take longer put the restart off
//! by [`RESTART_BACKOFF`]. The connections keep a far higher automatic
//! threshold as a safety net, should this thread stop.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use diesel::r2d2::ManageConnection;
use diesel::sql_types::Integer;
use diesel::{QueryableByName, RunQueryDsl};

use super::{BUSY_TIMEOUT_MS, Conn, ConnManager, Pool};

/// How often the WAL is copied back.
const INTERVAL: Duration = Duration::from_millis(250);

/// WAL frames (pages, 4 KiB each) beyond which the WAL is started over:
/// 256 MiB. A restart holds the writer while it copies what the last
/// passive round left and syncs the database file: ~0.3 s whatever the
/// bound. At 32 MiB, bulk ingestion at a million customers (12 MiB of WAL
/// per batch of 1,000) restarted every third batch and the restarts took a
/// third of the writer's time; at 256 MiB they take about a tenth
/// (docs/benchmarks.md, 2026-11-25 night). A larger bound still (1 GiB)
/// gained a little more throughput but held the writer ~1 s per restart.
const RESTART_FRAMES: i32 = 65_536;

/// How long a restart waits for the readers still on the old pages before
/// it gives up until the next round; the writer waits that long at most.
const READER_WAIT: Duration = Duration::from_millis(100);

/// How long after a restart readers held off the next one is tried.
const RESTART_BACKOFF: Duration = Duration::from_secs(2);

/// What `PRAGMA wal_checkpoint` reports.
#[derive(QueryableByName)]
struct Outcome {
    /// 1 when the checkpoint could not finish (a `RESTART`: readers were
    /// still on the old pages).
    #[diesel(sql_type = Integer)]
    busy: i32,
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
    /// Starts the thread on a connection of its own, borrowing the write
    /// connection from `writer` to start the WAL over. When no connection
    /// can be opened the writer's automatic checkpoints still apply, so
    /// this only logs.
    pub(super) fn start(manager: &ConnManager, writer: Pool) -> Option<Self> {
        let conn = match manager.connect() {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "no checkpointer connection; relying on automatic checkpoints");
                return None;
            }
        };
        let (stop, stopped) = mpsc::channel::<()>();
        let mut rounds = Rounds { conn, writer, restart_after: Instant::now() };
        let spawned = thread::Builder::new().name("sqlite-checkpoint".into()).spawn(move || {
            // The sender is never used to send: the loop ends when it is dropped.
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                rounds.round();
            }
            rounds.round();
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

/// The checkpointer thread's state from one round to the next.
struct Rounds {
    /// The thread's own connection, for the passive checkpoints.
    conn: Conn,
    /// The write connection's pool, to start the WAL over with.
    writer: Pool,
    /// No restart before this: after one that readers held off, the next
    /// waits [`RESTART_BACKOFF`], so that a long read (a report, an export)
    /// does not cost the writer [`READER_WAIT`] every round while it lasts.
    restart_after: Instant,
}

impl Rounds {
    /// Copies what it can without holding anyone up, then starts the WAL
    /// over if it has grown past [`RESTART_FRAMES`].
    fn round(&mut self) {
        match run(&mut self.conn, "PRAGMA wal_checkpoint(PASSIVE)") {
            Ok(outcome) if outcome.log > RESTART_FRAMES && Instant::now() >= self.restart_after => {
                if !restart(&self.writer) {
                    self.restart_after = Instant::now() + RESTART_BACKOFF;
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }
}

/// Starts the WAL over on the write connection: a `RESTART` checkpoint
/// that does not wait inside SQLite (busy timeout 0) but is retried every
/// millisecond while readers are still on the old pages, for at most
/// [`READER_WAIT`]. The passive checkpoint just before has copied nearly
/// everything, so what is left to copy while the writer waits is little.
/// Returns whether the WAL was started over.
fn restart(writer: &Pool) -> bool {
    let mut conn = match writer.get() {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(error = %e, "no write connection to start the WAL over with");
            return false;
        }
    };
    if let Err(e) = set_busy_timeout(&mut conn, 0) {
        tracing::warn!(error = %e, "WAL restart skipped");
        return false;
    }
    let deadline = Instant::now() + READER_WAIT;
    let restarted = loop {
        match run(&mut conn, "PRAGMA wal_checkpoint(RESTART)") {
            Ok(outcome) if outcome.busy == 0 => break true,
            Ok(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(1)),
            // Readers still on the old pages: a later round tries again.
            Ok(_) => break false,
            Err(e) => {
                tracing::warn!(error = %e, "WAL restart failed");
                break false;
            }
        }
    };
    // The connection goes back to the pool: it must wait for locks again.
    if let Err(e) = set_busy_timeout(&mut conn, BUSY_TIMEOUT_MS) {
        tracing::error!(error = %e, "the write connection's busy timeout could not be restored");
    }
    restarted
}

fn set_busy_timeout(conn: &mut Conn, millis: u32) -> diesel::QueryResult<()> {
    diesel::sql_query(format!("PRAGMA busy_timeout = {millis}")).execute(conn).map(drop)
}

/// Runs one checkpoint.
fn run(conn: &mut Conn, pragma: &str) -> diesel::QueryResult<Outcome> {
    diesel::sql_query(pragma).get_result::<Outcome>(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{DatabaseUrl, Db, PoolOptions};

    #[derive(QueryableByName)]
    struct BusyTimeout {
        #[diesel(sql_type = Integer)]
        timeout: i32,
    }

    fn sql(conn: &mut Conn, statement: &str) {
        diesel::sql_query(statement).execute(conn).expect(statement);
    }

    /// About `pages` pages of new rows, in one transaction.
    fn grow(db: &Db, pages: u32) {
        let mut writer = db.write().expect("writer");
        sql(
            &mut writer,
            &format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {pages}) \
                 INSERT INTO filler SELECT randomblob(3900) FROM n"
            ),
        );
    }

    fn wal_frames(db: &Db) -> i32 {
        run(&mut db.read().expect("reader"), "PRAGMA wal_checkpoint(PASSIVE)").expect("checkpoint").log
    }

    fn writer_busy_timeout(db: &Db) -> i32 {
        let mut writer = db.write().expect("writer");
        diesel::sql_query("PRAGMA busy_timeout").get_result::<BusyTimeout>(&mut *writer).expect("pragma").timeout
    }

    fn open() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(&DatabaseUrl::Sqlite(dir.path().join("c.db")), &PoolOptions::default()).expect("open");
        sql(&mut db.write().expect("writer"), "CREATE TABLE filler (b BLOB NOT NULL)");
        (dir, db)
    }

    #[test]
    fn a_restart_on_the_write_connection_starts_the_wal_over() {
        let (_dir, db) = open();
        grow(&db, 3_000);
        assert!(wal_frames(&db) >= 3_000);
        assert!(restart(&db.write));
        // The next write starts the WAL from the beginning.
        grow(&db, 1);
        assert!(wal_frames(&db) < 10, "the WAL was not started over");
        assert_eq!(writer_busy_timeout(&db), BUSY_TIMEOUT_MS as i32);
    }

    #[test]
    fn a_reader_on_old_pages_holds_the_writer_up_briefly_and_puts_the_restart_off() {
        let (dir, db) = open();
        grow(&db, 500);
        // A reader whose snapshot ends at the frames written so far...
        let mut reader = db.read().expect("reader");
        sql(&mut reader, "BEGIN");
        sql(&mut reader, "SELECT count(*) FROM filler");
        // ...and frames after it, which it must not see overwritten.
        grow(&db, 500);

        let started = Instant::now();
        assert!(!restart(&db.write), "restarted under a reader");
        assert!(started.elapsed() < READER_WAIT + Duration::from_secs(1), "held the writer {:?}", started.elapsed());
        assert_eq!(writer_busy_timeout(&db), BUSY_TIMEOUT_MS as i32);

        // A round that finds the WAL past its bound and the reader still
        // there puts the next restart off.
        grow(&db, RESTART_FRAMES as u32);
        let mut rounds = Rounds {
            conn: ConnManager { url: DatabaseUrl::Sqlite(dir.path().join("c.db")), cache_kib: 1024 }
                .connect()
                .expect("own connection"),
            writer: db.write.clone(),
            restart_after: Instant::now(),
        };
        rounds.round();
        assert!(rounds.restart_after > Instant::now(), "no back-off after a restart readers held off");

        sql(&mut reader, "COMMIT");
        drop(reader);
        assert!(restart(&db.write));
        grow(&db, 1);
        assert!(wal_frames(&db) < 10, "the WAL was not started over once the reader was gone");
    }
}

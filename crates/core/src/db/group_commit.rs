//! Group commit on SQLite: writes that arrive while another is being written
//! share the next transaction.
//!
//! Why: SQLite has one writer, and under a steady load of creates about 40 %
//! of that writer's time went to committing, i.e. writing the transaction's
//! pages to the WAL (docs/benchmarks.md, "creates on one writer"). The pages
//! every create dirties (the tail of the time-ordered indexes, the audit
//! log, the change feed, kept counts) are written once per batch instead of
//! once per write.
//!
//! How: each write queues its work and one thread at a time leads. The
//! leader takes the write connection, then the queued work (at most
//! [`MAX_BATCH`] pieces, oldest first), runs each piece in a savepoint of one
//! `BEGIN IMMEDIATE` transaction (a piece that fails rolls back to its
//! savepoint and leaves the others be), commits once, and hands every piece
//! its outcome. No outcome is handed out before the commit, so every write
//! is still committed whole or not at all; a failed commit fails every piece
//! of the batch. If work is left queued, the leader hands leadership to the
//! oldest waiting write rather than serving it: a leader never waits for
//! more than its own batch.
//!
//! A piece runs exactly as it would alone, after the pieces before it in the
//! batch (it sees their rows, and a unique key taken by one of them is
//! taken). On PostgreSQL, where writers run side by side, this is not used.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Mutex, MutexGuard, PoisonError};

use diesel::Connection;

use super::Conn;
use super::transaction::{back_to_outer, write_transaction};
use crate::error::{Error, Result};

/// The most pieces one transaction takes: enough for every request in
/// flight on a busy server, few enough that the first waits briefly.
const MAX_BATCH: usize = 64;

/// The queue of writes waiting for the writer, and whether one leads.
#[derive(Default)]
pub(crate) struct GroupCommit {
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<Box<dyn Piece>>,
    /// True from the moment a write takes the lead until the queue is empty
    /// when its batch is done. While false, `waiting` is empty.
    led: bool,
}

/// What a queued write receives.
enum Reply<T> {
    /// Its outcome, after the batch it ran in committed or failed.
    Done(Result<T>),
    /// It is to lead the next batch.
    Lead,
}

/// A queued write with its type erased.
trait Piece: Send {
    /// Runs the work in a savepoint; false when the transaction can no
    /// longer be trusted and the batch must be rolled back.
    fn run(&mut self, conn: &mut Conn) -> bool;
    /// Sends the outcome, given how the batch ended.
    fn finish(self: Box<Self>, batch: std::result::Result<(), &Error>);
    /// Asks the write's thread to lead; false when that thread is gone.
    fn lead(&self) -> bool;
}

struct Pending<T, F> {
    work: Option<F>,
    outcome: Option<Result<T>>,
    reply: Sender<Reply<T>>,
}

impl<T, F> Piece for Pending<T, F>
where
    T: Send,
    F: FnOnce(&mut Conn) -> Result<T> + Send,
{
    fn run(&mut self, conn: &mut Conn) -> bool {
        let Some(work) = self.work.take() else { return true };
        // `transaction` inside a transaction is a savepoint, rolled back when
        // the work fails. A panic skips that rollback: do it here, so the
        // pieces after it, and the leader, carry on.
        match catch_unwind(AssertUnwindSafe(|| conn.transaction(work))) {
            Ok(outcome) => self.outcome = Some(outcome),
            Err(_) => self.outcome = Some(Err(Error::Internal("a write panicked".to_owned()))),
        }
        back_to_outer(conn)
    }

    fn finish(self: Box<Self>, batch: std::result::Result<(), &Error>) {
        let outcome = match (self.outcome, batch) {
            (Some(Err(own)), _) => Err(own),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (Some(Ok(_)) | None, Err(batch)) => {
                Err(Error::Unavailable(format!("the write was not committed: {batch}")))
            }
            (None, Ok(())) => Err(Error::Internal("a queued write was not run".to_owned())),
        };
        // The receiver is gone only if its thread died; nobody is left to tell.
        let _ = self.reply.send(Reply::Done(outcome));
    }

    fn lead(&self) -> bool {
        self.reply.send(Reply::Lead).is_ok()
    }
}

impl GroupCommit {
    /// Runs `work` in a write transaction on `db`'s writer, possibly together
    /// with other writes; returns once that transaction has committed (or
    /// failed).
    pub(crate) fn write<T, F>(&self, db: &super::Db, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T> + Send + 'static,
    {
        let (reply, replies) = channel();
        let leads_now = {
            let mut queue = self.lock();
            queue.waiting.push_back(Box::new(Pending { work: Some(work), outcome: None, reply }));
            !std::mem::replace(&mut queue.led, true)
        };
        let dropped = || Error::Internal("a queued write was dropped unanswered".to_owned());
        if !leads_now {
            match replies.recv() {
                Ok(Reply::Done(outcome)) => return outcome,
                Ok(Reply::Lead) => {}
                Err(_) => return Err(dropped()),
            }
        }
        self.lead(db);
        // This write was the oldest waiting, so it was in the batch just led.
        match replies.recv() {
            Ok(Reply::Done(outcome)) => outcome,
            Ok(Reply::Lead) | Err(_) => Err(dropped()),
        }
    }

    /// Runs one batch, then passes the lead on (also when it panics).
    fn lead(&self, db: &super::Db) {
        let _next = HandOver(self);
        // The connection first: writes queued while it is busy (the
        // checkpointer, a bulk ingestion) join this batch.
        let writer = db.write();
        let mut batch: Vec<Box<dyn Piece>> = {
            let mut queue = self.lock();
            let n = queue.waiting.len().min(MAX_BATCH);
            queue.waiting.drain(..n).collect()
        };
        let ended = writer.and_then(|mut conn| {
            write_transaction(&mut conn, |conn| {
                for piece in &mut batch {
                    if !piece.run(conn) {
                        return Err(Error::Internal("a write left the shared transaction unusable".to_owned()));
                    }
                }
                Ok(())
            })
        });
        for piece in batch {
            piece.finish(ended.as_ref().map(|_| ()));
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // The queue stays consistent whatever panicked while it was held.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }
}

/// Passes the lead to the oldest waiting write, or marks the queue unled.
struct HandOver<'a>(&'a GroupCommit);

impl Drop for HandOver<'_> {
    fn drop(&mut self) {
        let mut queue = self.0.lock();
        while let Some(next) = queue.waiting.front() {
            if next.lead() {
                return;
            }
            // Its thread is gone: nobody waits for its outcome.
            queue.waiting.pop_front();
        }
        queue.led = false;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::thread;
    use std::time::{Duration, Instant};

    use diesel::RunQueryDsl;
    use diesel::sql_types::BigInt;

    use super::*;
    use crate::db::{DatabaseUrl, Db, PoolOptions};

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn open() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(&DatabaseUrl::Sqlite(dir.path().join("g.db")), &PoolOptions::default()).expect("open");
        diesel::sql_query("CREATE TABLE t (k TEXT PRIMARY KEY)")
            .execute(&mut db.write().expect("writer"))
            .expect("table");
        (dir, db)
    }

    fn insert(conn: &mut Conn, key: &str) -> Result<()> {
        diesel::sql_query(format!("INSERT INTO t (k) VALUES ('{key}')")).execute(conn)?;
        Ok(())
    }

    fn keys(db: &Db) -> Vec<String> {
        #[derive(diesel::QueryableByName)]
        struct Key {
            #[diesel(sql_type = diesel::sql_types::Text)]
            k: String,
        }
        let rows: Vec<Key> =
            diesel::sql_query("SELECT k FROM t ORDER BY k").load(&mut db.read().expect("reader")).expect("keys");
        rows.into_iter().map(|r| r.k).collect()
    }

    /// A write as the tests queue it.
    type Work<T> = Box<dyn FnOnce(&mut Conn) -> Result<T> + Send>;

    /// Starts `work` as a write on its own thread.
    fn spawn<T: Send + 'static>(
        db: &Db,
        work: impl FnOnce(&mut Conn) -> Result<T> + Send + 'static,
    ) -> thread::JoinHandle<Result<T>> {
        let db = db.clone();
        thread::spawn(move || db.transact(work))
    }

    /// Holds the writer until every one of `works` is queued, in order,
    /// behind the one that waits for it, so that they run as one batch.
    fn queue_behind_busy_writer<T: Send + 'static>(db: &Db, works: Vec<Work<T>>) -> Vec<Result<T>> {
        let writer = db.write().expect("writer");
        let deadline = Instant::now() + Duration::from_secs(10);
        // One at a time, so that they queue in the order given: the first
        // leads and waits for the writer, the rest queue behind it.
        let mut handles = Vec::new();
        for work in works {
            handles.push(spawn(db, work));
            while db.group.waiting() < handles.len() {
                assert!(Instant::now() < deadline, "the writes did not queue");
                thread::sleep(Duration::from_millis(1));
            }
        }
        drop(writer);
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    }

    #[test]
    fn queued_writes_commit_together_and_a_failing_one_leaves_the_others_be() {
        let (_dir, db) = open();
        let outside = db.clone();
        // Each piece answers (rows it sees, rows another connection sees).
        let outcomes = queue_behind_busy_writer(
            &db,
            vec![
                Box::new(|c: &mut Conn| insert(c, "a").map(|()| (1, 0))),
                // Writes a row, then fails: its row must not survive.
                Box::new(|c: &mut Conn| {
                    insert(c, "b")?;
                    Err(Error::invalid("k", "nope", "refused"))
                }),
                // Sees "a" from the piece before it, which is not committed
                // yet: the two share one transaction.
                Box::new(move |c: &mut Conn| {
                    let Count { n } = diesel::sql_query("SELECT count(*) AS n FROM t").get_result::<Count>(c)?;
                    let Count { n: committed } =
                        diesel::sql_query("SELECT count(*) AS n FROM t").get_result::<Count>(&mut outside.read()?)?;
                    insert(c, "c").map(|()| (n, committed))
                }),
                // A duplicate of "a": fails alone.
                Box::new(|c: &mut Conn| insert(c, "a").map(|()| (0, 0))),
            ],
        );
        assert!(matches!(outcomes[0], Ok((1, 0))));
        assert!(matches!(outcomes[1], Err(Error::Validation(_))));
        assert!(matches!(outcomes[2], Ok((1, 0))), "the third saw the first's row, uncommitted: {:?}", outcomes[2]);
        assert!(matches!(outcomes[3], Err(Error::Conflict { code: "duplicate", .. })));
        assert_eq!(keys(&db), ["a", "c"]);
    }

    #[test]
    fn a_panicking_write_fails_alone_and_the_lead_passes_on() {
        let (_dir, db) = open();
        let outcomes = queue_behind_busy_writer(
            &db,
            vec![
                Box::new(|c: &mut Conn| insert(c, "a")),
                Box::new(|c: &mut Conn| {
                    insert(c, "b")?;
                    panic!("a bug in a write");
                }),
                Box::new(|c: &mut Conn| insert(c, "c")),
            ],
        );
        assert!(outcomes[0].is_ok() && outcomes[2].is_ok());
        assert!(matches!(outcomes[1], Err(Error::Internal(_))));
        assert_eq!(keys(&db), ["a", "c"]);
        // The next write still finds a leader, and a usable connection.
        db.transact(|c| insert(c, "d")).expect("a write after the panic");
        assert_eq!(keys(&db), ["a", "c", "d"]);
    }

    #[test]
    fn many_concurrent_writes_each_get_their_own_outcome() {
        let (_dir, db) = open();
        let db = Arc::new(db);
        let handles: Vec<_> = (0..200)
            .map(|i| spawn(&db, move |c| if i % 10 == 0 { insert(c, "dup") } else { insert(c, &format!("k{i:03}")) }))
            .collect();
        let outcomes: Vec<_> = handles.into_iter().map(|h| h.join().expect("thread")).collect();
        // Exactly one of the twenty "dup" writes wins.
        assert_eq!(outcomes.iter().filter(|o| o.is_err()).count(), 19);
        assert_eq!(keys(&db).len(), 181);
        assert!(!db.group.lock().led, "the lead was left taken");
    }
}

//! Prepared-statement caching for the queries diesel will not cache itself.
//!
//! diesel keeps each connection's prepared statements in a cache keyed by the
//! query's type, but it refuses to cache three kinds of query whose SQL the
//! type does not fix: every `UPDATE` (its `SET` list depends on which
//! optional fields are present), `IN` lists of bind parameters (one per
//! value) and `sql_query`. Those are prepared afresh on every execution, and
//! on SQLite preparing an `UPDATE` also compiles the table's triggers: it was
//! a fifth of the SLA sweeper's time, and a ticket create prepared eleven
//! statements.
//!
//! [`Cached`] keys such a query by its SQL text instead, which is always
//! correct: different SQL, a different entry. What it must not be given is a
//! query with an unbounded number of distinct texts, since the cache never
//! evicts. Use it where the code bounds the shapes: a fixed `UPDATE`, an `IN`
//! list whose length is bounded small (the divisions of one record, a
//! calendar's parents), a `sql_query` built from constants.
//!
//! **How the verdict is overridden.** The cache asks a query
//! `is_safe_to_cache_prepared`, whose default walks the query's syntax tree
//! and lets any node say no. Overriding that method alone is not enough:
//! `execute` hands the connection `&query`, and diesel's `QueryFragment` for
//! `&T` does not forward the override, so the walk reaches the inner query
//! anyway. [`Cached`] therefore keeps the inner query out of that one walk.
//! diesel gives a node no public way to tell which walk it is in; the probe
//! used here (`AstPassHelper::cast_database`, whose query-builder and
//! bind-collector conversions run only in the passes that render SQL or
//! collect binds) is the one the `MultiConnection` derive relies on, from
//! diesel's unstable `internal` module. A diesel upgrade that changes it fails
//! this module's tests, which count the statements each connection caches.

use std::cell::Cell;

use diesel::backend::Backend;
use diesel::internal::derives::multiconnection::AstPassHelper;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// `IN` lists up to this long are worth a cache entry per length: a single
/// record's divisions, the one ticket a create returns. Page-sized lists are
/// not: each length would stay in every connection's cache.
pub const SHORT_LIST: usize = 8;

/// A query whose prepared statement each connection keeps, keyed by its SQL.
#[derive(Debug, Clone, Copy)]
pub struct Cached<Q> {
    query: Q,
    keep: bool,
}

/// `.cached()` on any query: see [`Cached`] for when it is right.
pub trait CacheStatement: Sized {
    /// Wraps the query so that its prepared statement is kept.
    fn cached(self) -> Cached<Self> {
        Cached { query: self, keep: true }
    }

    /// Keeps the statement only for an `IN` list of `len` ≤ [`SHORT_LIST`];
    /// otherwise diesel decides as it would alone.
    fn cached_for_short_list(self, len: usize) -> Cached<Self> {
        Cached { query: self, keep: len <= SHORT_LIST }
    }
}

impl<Q> CacheStatement for Q {}

impl<Q, DB> QueryFragment<DB> for Cached<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if !self.keep {
            return self.query.walk_ast(pass);
        }
        let mut pass = pass;
        if pass.debug_binds().is_some() {
            return self.query.walk_ast(pass);
        }
        // Casting to the same backend changes nothing but tells, through
        // which conversion runs, whether this pass writes SQL or collects
        // binds; the other passes ask only whether to cache (and whether the
        // query is empty, which is asked of changesets, never of a whole
        // query), and the inner query's answer is the one not wanted.
        let renders = Cell::new(false);
        let pass = pass.cast_database::<DB>(
            |binds| {
                renders.set(true);
                binds
            },
            |sql| {
                renders.set(true);
                sql
            },
            |backend| backend,
            |lookup| lookup,
        );
        if renders.get() { self.query.walk_ast(pass) } else { Ok(()) }
    }
}

/// No static id: the statement cache then keys the query by its SQL text and
/// bind types rather than by its Rust type.
impl<Q> QueryId for Cached<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Cached<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, C> RunQueryDsl<C> for Cached<Q> {}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use diesel::connection::{InstrumentationEvent, SimpleConnection};
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use super::*;
    use crate::db::{Conn, MultiBackend};

    diesel::table! {
        counters (id) {
            id -> Text,
            n -> BigInt,
        }
    }

    /// A connection as the app has them, with a table whose updates fire a
    /// trigger, and a count of the statements it has put in its cache.
    fn connection() -> (Conn, Arc<AtomicUsize>) {
        let mut conn = Conn::Sqlite(SqliteConnection::establish(":memory:").expect("connect"));
        conn.batch_execute(
            "CREATE TABLE counters (id TEXT PRIMARY KEY, n BIGINT NOT NULL);
             CREATE TABLE seen (n BIGINT NOT NULL);
             CREATE TRIGGER counters_seen AFTER UPDATE ON counters BEGIN INSERT INTO seen VALUES (NEW.n); END;
             INSERT INTO counters VALUES ('a', 0), ('b', 0), ('c', 0);",
        )
        .expect("schema");
        let cached = count_cached(&mut conn);
        (conn, cached)
    }

    /// Counts the statements `conn` puts in its cache from now on.
    fn count_cached(conn: &mut Conn) -> Arc<AtomicUsize> {
        let cached = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&cached);
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if matches!(event, InstrumentationEvent::CacheQuery { .. }) {
                count.fetch_add(1, Ordering::SeqCst);
            }
        });
        cached
    }

    fn bump(id: &str) -> impl QueryFragment<MultiBackend> + QueryId + RunQueryDsl<Conn> {
        diesel::update(counters::table.filter(counters::id.eq(id.to_owned()))).set(counters::n.eq(counters::n + 1))
    }

    #[test]
    fn diesel_alone_prepares_every_update_afresh() {
        let (mut conn, cached) = connection();
        for _ in 0..3 {
            assert_eq!(bump("a").execute(&mut conn).expect("update"), 1);
        }
        assert_eq!(cached.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_cached_update_is_prepared_once_and_still_binds_each_value() {
        let (mut conn, cached) = connection();
        for id in ["a", "b", "a"] {
            assert_eq!(bump(id).cached().execute(&mut conn).expect("update"), 1);
        }
        assert_eq!(cached.load(Ordering::SeqCst), 1);
        let counts: Vec<(String, i64)> = counters::table.order(counters::id).load(&mut conn).expect("read");
        assert_eq!(counts, vec![("a".into(), 2), ("b".into(), 1), ("c".into(), 0)]);
        let fired: i64 =
            diesel::sql_query("SELECT COUNT(*) AS n FROM seen").get_result::<Fired>(&mut conn).expect("trigger rows").n;
        assert_eq!(fired, 3, "the cached statement still runs the trigger each time");
    }

    #[derive(QueryableByName)]
    struct Fired {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    #[test]
    fn in_lists_get_one_entry_per_length_and_the_right_rows() {
        let (mut conn, cached) = connection();
        let select = |ids: &[&str]| {
            counters::table
                .filter(counters::id.eq_any(ids.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()))
                .order(counters::id)
                .select(counters::id)
        };
        let mut seen = Vec::new();
        for ids in [&["a", "b"][..], &["b", "c"], &["c"], &["a", "c"]] {
            seen.push(select(ids).cached().load::<String>(&mut conn).expect("select"));
        }
        assert_eq!(seen, vec![vec!["a", "b"], vec!["b", "c"], vec!["c"], vec!["a", "c"]]);
        assert_eq!(cached.load(Ordering::SeqCst), 2, "one statement per list length");
        let long: Vec<&str> = vec!["a"; SHORT_LIST + 1];
        assert_eq!(select(&long).cached_for_short_list(long.len()).load::<String>(&mut conn).expect("long"), vec!["a"]);
        let short = select(&["a", "b", "c"]).cached_for_short_list(3).load::<String>(&mut conn).expect("short");
        assert_eq!(short, vec!["a", "b", "c"]);
        assert_eq!(cached.load(Ordering::SeqCst), 3, "the long list is not kept, the short one is");
    }

    #[test]
    fn sql_queries_are_keyed_by_their_text() {
        let (mut conn, cached) = connection();
        for id in ["a", "b"] {
            let n = diesel::sql_query("SELECT n FROM counters WHERE id = ?")
                .bind::<Text, _>(id)
                .cached()
                .get_result::<Fired>(&mut conn)
                .expect("select")
                .n;
            assert_eq!(n, 0);
        }
        diesel::sql_query("SELECT COUNT(*) AS n FROM counters").cached().get_result::<Fired>(&mut conn).expect("count");
        assert_eq!(cached.load(Ordering::SeqCst), 2);
    }

    /// On the PostgreSQL run of the suite (`TEST_DATABASE_URL` set), the same
    /// holds there: a cached update becomes one named prepared statement.
    #[test]
    fn a_cached_update_is_prepared_once_on_postgres() {
        let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) else {
            return;
        };
        let mut conn = Conn::Postgres(PgConnection::establish(&url).expect("connect"));
        conn.batch_execute(
            "CREATE TEMP TABLE counters (id TEXT PRIMARY KEY, n BIGINT NOT NULL);
             INSERT INTO counters VALUES ('a', 0), ('b', 0);",
        )
        .expect("schema");
        let cached = count_cached(&mut conn);
        for id in ["a", "b", "a"] {
            assert_eq!(bump(id).cached().execute(&mut conn).expect("update"), 1);
        }
        assert_eq!(cached.load(Ordering::SeqCst), 1);
        let counts: Vec<(String, i64)> = counters::table.order(counters::id).load(&mut conn).expect("read");
        assert_eq!(counts, vec![("a".into(), 2), ("b".into(), 1)]);
    }
}

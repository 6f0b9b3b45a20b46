//! Readers of the change feed inside the server (automation rules,
//! webhooks): each has a named row in `feed_consumers` holding how far it
//! has read.
//!
//! [`consume`] runs inside the caller's transaction: it locks the row,
//! reads the next events in feed order ([`change_feed::read`], so it sees
//! exactly what an external reader would, never skipping a late commit),
//! hands each to the caller, and moves the cursor. The caller's writes and
//! the new cursor commit together, so after a crash the same events are
//! handed over again and nothing is acted on twice or lost. On PostgreSQL
//! the row is locked with `SKIP LOCKED`: while one replica is reading,
//! another returns at once with `None` instead of waiting. SQLite's single
//! writer serialises readers by itself.

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::change_feed::{self, ChangeEvent, FeedQuery};
use crate::db::schema::feed_consumers;
use crate::db::{CacheStatement, Conn};
use crate::{Error, Result, time};

/// Automation rules' reader.
pub const AUTOMATION: &str = "automation";
/// Webhook fan-out's reader.
pub const WEBHOOKS: &str = "webhooks";

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    cursor: Option<String>,
}

/// Hands up to `limit` new events, in feed order, to `handle`, then stores
/// the new position. Returns how many events were handled, or `None` when
/// another replica holds this reader right now. Call it in a transaction:
/// an error from `handle` must roll the cursor back with everything else.
pub fn consume<F>(conn: &mut Conn, consumer: &str, limit: i64, mut handle: F) -> Result<Option<usize>>
where
    F: FnMut(&mut Conn, &ChangeEvent) -> Result<()>,
{
    let locked: Vec<Locked> = match conn {
        Conn::Postgres(c) => {
            diesel::sql_query("SELECT cursor FROM feed_consumers WHERE name = $1 FOR UPDATE SKIP LOCKED")
                .bind::<Text, _>(consumer)
                .load(c)?
        }
        Conn::Sqlite(c) => {
            diesel::sql_query("SELECT cursor FROM feed_consumers WHERE name = ?").bind::<Text, _>(consumer).load(c)?
        }
    };
    let Some(Locked { cursor }) = locked.into_iter().next() else {
        let exists: i64 = feed_consumers::table.filter(feed_consumers::name.eq(consumer)).count().get_result(conn)?;
        if exists == 0 {
            return Err(Error::Internal(format!("no feed consumer named {consumer}")));
        }
        return Ok(None);
    };
    let feed = change_feed::read(conn, &FeedQuery { after: cursor.clone(), entity_type: None, limit: Some(limit) })?;
    for event in &feed.data {
        handle(conn, event)?;
    }
    if feed.next_cursor != cursor {
        diesel::update(feed_consumers::table.filter(feed_consumers::name.eq(consumer)))
            .set((feed_consumers::cursor.eq(&feed.next_cursor), feed_consumers::updated_at.eq(time::now())))
            .cached()
            .execute(conn)?;
    }
    Ok(Some(feed.data.len()))
}

/// How many change events `consumer` has still to read, counting those of
/// transactions not finished yet (the feed shows them once they and every
/// older transaction are done).
pub fn lag(conn: &mut Conn, consumer: &str) -> Result<i64> {
    let cursor: Option<Option<String>> = feed_consumers::table
        .filter(feed_consumers::name.eq(consumer))
        .select(feed_consumers::cursor)
        .first(conn)
        .optional()?;
    let Some(cursor) = cursor else { return Err(Error::Internal(format!("no feed consumer named {consumer}"))) };
    change_feed::count_after(conn, cursor.as_deref())
}

//! Queues per division with their members, routing rules (division +
//! category + channel → queue), and assignment within a queue.

pub mod api;
pub(crate) mod assign;
pub mod rules;
pub mod store;

use rapport_core::db::Conn;
use rapport_core::principal::Reach;
use rapport_core::{Error, Result};

use crate::kinds::TicketChannel;

/// The queue a new ticket goes to: `explicit` (a live queue of the
/// division) or the routing rules' pick. Reads only.
pub(crate) fn destination(
    conn: &mut Conn,
    division_id: &str,
    category_id: &str,
    channel: TicketChannel,
    explicit: Option<&str>,
) -> Result<Option<String>> {
    match explicit {
        Some(q) => Ok(Some(live_queue_of(conn, division_id, q)?)),
        None => rules::queue_for(conn, division_id, category_id, channel),
    }
}

/// The agent a new ticket in `queue_id` is given to: `assignee` when
/// already chosen, else by the queue's assignment. A round-robin turn is
/// an update of the queue's cursor row, locked until commit on PostgreSQL:
/// creates call this as late as they can.
pub(crate) fn assignee_in(conn: &mut Conn, queue_id: Option<&str>, assignee: Option<&str>) -> Result<Option<String>> {
    match (queue_id, assignee) {
        (_, Some(a)) => Ok(Some(a.to_owned())),
        (None, None) => Ok(None),
        (Some(queue_id), None) => {
            let queue = store::find_row(conn, &Reach::everything(), queue_id)?;
            assign::pick(conn, &queue)
        }
    }
}

/// `queue_id` is a live queue of `division_id` (reported at `queue_id`).
pub(crate) fn live_queue_of(conn: &mut Conn, division_id: &str, queue_id: &str) -> Result<String> {
    match store::find_row(conn, &Reach::everything(), queue_id) {
        Ok(q) if q.division_id != division_id => {
            Err(Error::invalid("queue_id", "wrong_division", "the queue belongs to another division"))
        }
        Ok(q) if q.archived_at.is_some() => Err(Error::invalid("queue_id", "archived", "the queue is archived")),
        Ok(q) => Ok(q.id),
        Err(Error::NotFound { .. }) => {
            Err(Error::invalid("queue_id", "not_found", format!("queue {queue_id} does not exist")))
        }
        Err(e) => Err(e),
    }
}

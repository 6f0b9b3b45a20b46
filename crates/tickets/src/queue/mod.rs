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

/// The queue a new ticket goes to and the agent it is given to: `explicit`
/// (a live queue of the division) or the routing rules' pick; the agent by
/// the queue's assignment unless `assignee` is already chosen.
pub(crate) fn route(
    conn: &mut Conn,
    division_id: &str,
    category_id: &str,
    channel: TicketChannel,
    explicit: Option<&str>,
    assignee: Option<&str>,
) -> Result<(Option<String>, Option<String>)> {
    let queue_id = match explicit {
        Some(q) => Some(live_queue_of(conn, division_id, q)?),
        None => rules::queue_for(conn, division_id, category_id, channel)?,
    };
    let Some(queue_id) = queue_id else { return Ok((None, assignee.map(str::to_owned))) };
    let assignee = match assignee {
        Some(a) => Some(a.to_owned()),
        None => {
            let queue = store::find_row(conn, &Reach::everything(), &queue_id)?;
            assign::pick(conn, &queue)?
        }
    };
    Ok((Some(queue_id), assignee))
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

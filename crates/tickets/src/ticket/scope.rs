//! Which tickets a caller reaches: everything, their division's, their
//! branch's, or their own (assigned to or logged by them).

use diesel::prelude::*;
use rapport_core::db::MultiBackend;
use rapport_core::db::schema::tickets;
use rapport_core::principal::Reach;

use super::rows::TicketRow;

pub(crate) type BoxedTickets<'a> =
    tickets::BoxedQuery<'a, MultiBackend, diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<TicketRow, MultiBackend>>>;

/// Narrows boxed query `$q`, in which the `tickets` columns are in scope
/// (tickets alone, or joined), to the tickets within reach `$reach`.
macro_rules! within_reach {
    ($q:expr, $reach:expr) => {{
        use rapport_core::principal::Scope;
        let (q, reach) = ($q, $reach);
        match reach.scope {
            Scope::All => q,
            Scope::Division => q.filter(tickets::division_id.eq(reach.own_division().to_owned())),
            Scope::Branch => q.filter(tickets::branch_id.eq(reach.branch_id.clone().unwrap_or_default())),
            Scope::Own => q.filter(
                tickets::assignee_id.eq(reach.user_id.clone()).or(tickets::created_by.eq(reach.user_id.clone())),
            ),
        }
    }};
}
pub(crate) use within_reach;

/// Tickets within `reach`, filtered in the query.
pub(crate) fn reachable<'a>(reach: &Reach) -> BoxedTickets<'a> {
    within_reach!(tickets::table.select(TicketRow::as_select()).into_boxed(), reach)
}

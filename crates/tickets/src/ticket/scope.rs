//! Which tickets a caller reaches: everything, their division's, their
//! branch's, or their own (assigned to or logged by them).

use diesel::prelude::*;
use rapport_core::db::MultiBackend;
use rapport_core::db::schema::tickets;
use rapport_core::principal::{Reach, Scope};

use super::rows::TicketRow;

pub(crate) type BoxedTickets<'a> =
    tickets::BoxedQuery<'a, MultiBackend, diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<TicketRow, MultiBackend>>>;

/// Tickets within `reach`, filtered in the query.
pub(crate) fn reachable<'a>(reach: &Reach) -> BoxedTickets<'a> {
    let q = tickets::table.select(TicketRow::as_select()).into_boxed();
    match reach.scope {
        Scope::All => q,
        Scope::Division => q.filter(tickets::division_id.eq(reach.own_division().to_owned())),
        Scope::Branch => q.filter(tickets::branch_id.eq(reach.branch_id.clone().unwrap_or_default())),
        Scope::Own => {
            q.filter(tickets::assignee_id.eq(reach.user_id.clone()).or(tickets::created_by.eq(reach.user_id.clone())))
        }
    }
}

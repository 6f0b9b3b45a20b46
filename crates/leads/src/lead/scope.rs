//! Which leads a caller reaches: everything, their division's, their
//! branch's, or their own (owned or created by them).

use diesel::prelude::*;
use rapport_core::db::MultiBackend;
use rapport_core::db::schema::leads;
use rapport_core::principal::{Reach, Scope};

use super::rows::LeadRow;

pub(crate) type BoxedLeads<'a> =
    leads::BoxedQuery<'a, MultiBackend, diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<LeadRow, MultiBackend>>>;

/// Leads within `reach`, filtered in the query.
pub(crate) fn reachable<'a>(reach: &Reach) -> BoxedLeads<'a> {
    let q = leads::table.select(LeadRow::as_select()).into_boxed();
    match reach.scope {
        Scope::All => q,
        Scope::Division => q.filter(leads::division_id.eq(reach.own_division().to_owned())),
        Scope::Branch => q.filter(leads::branch_id.eq(reach.branch_id.clone().unwrap_or_default())),
        Scope::Own => {
            q.filter(leads::owner_id.eq(reach.user_id.clone()).or(leads::created_by.eq(reach.user_id.clone())))
        }
    }
}

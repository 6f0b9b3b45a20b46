//! Which tasks a caller reaches: everything, their division's, their
//! branch's, or their own (assigned to or created by them).

use diesel::prelude::*;
use rapport_core::db::MultiBackend;
use rapport_core::db::schema::tasks;
use rapport_core::principal::{Reach, Scope};

use super::rows::TaskRow;

pub(crate) type BoxedTasks<'a> =
    tasks::BoxedQuery<'a, MultiBackend, diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<TaskRow, MultiBackend>>>;

/// Tasks within `reach`, filtered in the query.
pub(crate) fn reachable<'a>(reach: &Reach) -> BoxedTasks<'a> {
    let q = tasks::table.select(TaskRow::as_select()).into_boxed();
    match reach.scope {
        Scope::All => q,
        Scope::Division => q.filter(tasks::division_id.eq(reach.own_division().to_owned())),
        Scope::Branch => q.filter(tasks::branch_id.eq(reach.branch_id.clone().unwrap_or_default())),
        Scope::Own => {
            q.filter(tasks::assignee_id.eq(reach.user_id.clone()).or(tasks::created_by.eq(reach.user_id.clone())))
        }
    }
}

/// Whether a caller with `reach` may put a task in `division_id` /
/// `branch_id`: anywhere with an all scope, else only where they work (a
/// person with an own scope and no division, such as a call-centre agent,
/// works group-wide).
pub(crate) fn may_place(reach: &Reach, division_id: &str, branch_id: Option<&str>) -> bool {
    match reach.scope {
        Scope::All => true,
        Scope::Branch => reach.branch_id.as_deref().is_some_and(|b| Some(b) == branch_id),
        Scope::Division => reach.division_id.as_deref() == Some(division_id),
        Scope::Own => reach.division_id.as_deref().is_none_or(|d| d == division_id),
    }
}

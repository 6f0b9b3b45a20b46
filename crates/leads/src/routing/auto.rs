//! Routing a new, unassigned lead straight away (web forms, messaging
//! middleware): the division's assignment rule picks the owner, as a
//! qualification without changes would.

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::leads;
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::{Result, time};
use serde_json::json;

use super::assign::{self, Reason};
use crate::lead::store::{ENTITY, reload};

/// Gives unassigned lead `lead_id` the owner its division's (or branch's)
/// assignment rule picks, audited, and tells them. Returns the owner; none
/// when no rule applies or the lead already has an owner.
pub fn route_unassigned(conn: &mut Conn, ctx: &WriteContext, lead_id: &str) -> Result<Option<String>> {
    let before = reload(conn, lead_id)?;
    if before.owner_id.is_some() {
        return Ok(None);
    }
    let Some(pick) = assign::pick(conn, &before.division_id, before.branch_id.as_deref())? else {
        return Ok(None);
    };
    diesel::update(leads::table.filter(leads::id.eq(lead_id)).filter(leads::version.eq(before.version)))
        .set((
            leads::owner_id.eq(&pick.owner_id),
            leads::version.eq(before.version + 1),
            leads::updated_at.eq(time::now()),
        ))
        .cached()
        .execute(conn)?;
    let after = reload(conn, lead_id)?;
    audit::record(conn, ctx, ENTITY, lead_id, Action::Updated, Some(&before), Some(&after))?;
    let details = json!({ "division_id": before.division_id, "rule_id": pick.rule_id, "mode": pick.mode.as_str() });
    assign::notify_owner(conn, lead_id, &pick.owner_id, None, Reason::Assigned, details)?;
    Ok(Some(pick.owner_id))
}

//! Checks on references into the organisation (divisions, branches, users)
//! that every customers-domain input makes. The org tables belong to the
//! auth crate; they are read here through the shared schema, not its API,
//! so this crate depends on core alone.

use diesel::prelude::*;
use rapport_core::db::schema::{assets, branches, divisions, users};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::principal::{Reach, Scope};
use rapport_core::{Error, Problems, Result};

/// Every id in `ids` (reported at `field[i]`) is an active division.
pub fn ensure_divisions(conn: &mut Conn, field: &str, ids: &[String]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let found: Vec<(String, bool)> = divisions::table
        .filter(divisions::id.eq_any(ids))
        .select((divisions::id, divisions::archived_at.is_not_null()))
        .cached_for_short_list(ids.len())
        .load(conn)?;
    let mut problems = Problems::new();
    for (i, id) in ids.iter().enumerate() {
        match found.iter().find(|(f, _)| f == id) {
            None => problems.push(format!("{field}[{i}]"), "not_found", format!("division {id} does not exist")),
            Some((_, true)) => problems.push(format!("{field}[{i}]"), "archived", format!("division {id} is archived")),
            Some(_) => {}
        }
    }
    problems.into_result(())
}

/// `id` is an active division (reported at `field`).
pub fn ensure_division(conn: &mut Conn, field: &str, id: &str) -> Result<()> {
    ensure_divisions(conn, field, std::slice::from_ref(&id.to_owned())).map_err(|e| match e {
        Error::Validation(mut errors) => {
            for e in &mut errors {
                field.clone_into(&mut e.field);
            }
            Error::Validation(errors)
        }
        other => other,
    })
}

/// `id` is an active branch of `division_id` (reported at `field`).
pub fn ensure_branch(conn: &mut Conn, field: &str, id: &str, division_id: &str) -> Result<()> {
    let found: Option<(String, bool)> = branches::table
        .filter(branches::id.eq(id))
        .select((branches::division_id, branches::archived_at.is_not_null()))
        .get_result(conn)
        .optional()?;
    match found {
        None => Err(Error::invalid(field, "not_found", format!("branch {id} does not exist"))),
        Some((_, true)) => Err(Error::invalid(field, "archived", format!("branch {id} is archived"))),
        Some((d, _)) if d != division_id => {
            Err(Error::invalid(field, "wrong_division", format!("branch {id} is not in division {division_id}")))
        }
        Some(_) => Ok(()),
    }
}

/// `id` is an active user (reported at `field`).
pub fn ensure_user(conn: &mut Conn, field: &str, id: &str) -> Result<()> {
    let active: Option<bool> =
        users::table.filter(users::id.eq(id)).select(users::active).get_result(conn).optional()?;
    match active {
        None => Err(Error::invalid(field, "not_found", format!("user {id} does not exist"))),
        Some(false) => Err(Error::invalid(field, "inactive", format!("user {id} is deactivated"))),
        Some(true) => Ok(()),
    }
}

/// `user_id` is an active user working in `division_id` (reported at
/// `field`): the owner or assignee of a division's lead or ticket.
pub fn ensure_division_member(conn: &mut Conn, field: &str, user_id: &str, division_id: &str) -> Result<()> {
    ensure_user(conn, field, user_id)?;
    let division: Option<String> =
        users::table.filter(users::id.eq(user_id)).select(users::division_id).get_result(conn)?;
    if division.as_deref() != Some(division_id) {
        return Err(Error::invalid(field, "wrong_division", format!("user {user_id} does not work in the division")));
    }
    Ok(())
}

/// A record being written must fall in the writer's reach: a division-scoped
/// caller may only write records of their own division.
pub fn ensure_division_in_reach(reach: &Reach, field: &str, division_id: &str) -> Result<()> {
    match reach.scope {
        Scope::All | Scope::Own => Ok(()),
        _ if reach.covers(Some(division_id), None) => Ok(()),
        _ => Err(Error::invalid(field, "outside_scope", "you may only write records of your own division")),
    }
}

/// `asset_id` is an asset of `customer_id` (reported at `asset_id`).
pub fn ensure_customer_asset(conn: &mut Conn, asset_id: &str, customer_id: &str) -> Result<()> {
    let owner: Option<String> =
        assets::table.filter(assets::id.eq(asset_id)).select(assets::customer_id).get_result(conn).optional()?;
    match owner {
        Some(owner) if owner == customer_id => Ok(()),
        Some(_) => Err(Error::invalid("asset_id", "wrong_customer", "the asset belongs to another customer")),
        None => Err(Error::invalid("asset_id", "not_found", format!("asset {asset_id} does not exist"))),
    }
}

//! The follow-up cadence: when an open lead is next due for contact, and
//! which leads are overdue, due today or upcoming in the company's time zone.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::{leads, pipeline_stages};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::principal::Reach;
use rapport_core::{Result, time};

use super::rows::LeadRow;
use super::scope::reachable;
use super::store;
use crate::kinds::LeadStatus;

/// The next follow-up after `from`: the lead's own interval, else its
/// stage's; none when neither has one.
pub(crate) fn next_after(
    from: NaiveDateTime,
    lead_minutes: Option<i32>,
    stage_minutes: Option<i32>,
) -> Option<NaiveDateTime> {
    lead_minutes.or(stage_minutes).map(|m| from + TimeDelta::minutes(i64::from(m)))
}

/// Moves lead `lead_id`'s next follow-up forward after a contact at `at`
/// (an interaction logged on the lead): `at` plus the lead's or its stage's
/// interval, never earlier than it already was. Won, lost and archived
/// leads, and leads without a cadence, are left alone. Returns whether the
/// lead changed.
///
/// Only a lead within `reach` (the writer's reach over leads) is touched:
/// naming another division's lead on an interaction must not move it.
///
/// The server calls this in the transaction that records the interaction,
/// so the customers crate needs no knowledge of leads.
pub fn touch_follow_up(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    lead_id: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let row: Option<LeadRow> = reachable(reach).filter(leads::id.eq(lead_id)).first(conn).optional()?;
    let Some(row) = row else { return Ok(false) };
    if row.status != LeadStatus::Open.as_str() || row.archived_at.is_some() {
        return Ok(false);
    }
    let stage_minutes: Option<i32> = pipeline_stages::table
        .filter(pipeline_stages::id.eq(&row.stage_id))
        .select(pipeline_stages::follow_up_minutes)
        .first(conn)?;
    let Some(next) = next_after(time::stored(at), row.follow_up_minutes, stage_minutes) else {
        return Ok(false);
    };
    if row.next_follow_up_at.is_some_and(|current| current >= next) {
        return Ok(false);
    }
    let before = store::reload(conn, lead_id)?;
    diesel::update(leads::table.filter(leads::id.eq(lead_id)))
        .set((
            leads::next_follow_up_at.eq(Some(next)),
            leads::version.eq(row.version + 1),
            leads::updated_at.eq(time::now()),
        ))
        .cached()
        .execute(conn)?;
    let after = store::reload(conn, lead_id)?;
    audit::record(conn, ctx, store::ENTITY, lead_id, Action::Updated, Some(&before), Some(&after))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_interval_beats_stage_interval() {
        let from = NaiveDateTime::parse_from_str("2026-01-01 10:00:00", "%Y-%m-%d %H:%M:%S").expect("instant");
        assert_eq!(next_after(from, Some(30), Some(60)).map(|t| t.to_string()).as_deref(), Some("2026-01-01 10:30:00"));
        assert_eq!(next_after(from, None, Some(60)).map(|t| t.to_string()).as_deref(), Some("2026-01-01 11:00:00"));
        assert_eq!(next_after(from, None, None), None);
    }
}

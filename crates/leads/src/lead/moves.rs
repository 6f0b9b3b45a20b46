//! Stage moves and the stage history they leave.
//!
//! A move closes the lead's open history entry (`left_at`) and opens one for
//! the new stage in the same transaction, so the history is a gap-free
//! sequence of stays; backwards moves are ordinary moves.

use chrono::Utc;
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::calendar::business::BusinessCalendar;
use rapport_core::calendar::store::effective_calendar_id;
use rapport_core::db::schema::{lead_stage_history, leads, pipeline_stages};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::principal::Reach;
use rapport_core::{Error, Problems, Result, time, validate};

use super::api::{HistoryEntry, LeadResponse, MoveLead};
use super::follow_up::next_after;
use super::input;
use super::rows::HistoryRow;
use super::store::{ENTITY, actor, enter_stage, find_row, leave_stage, reload};
use crate::kinds::{LeadStatus, StageKind};
use crate::pipeline::stages;

/// Moves lead `id` (at `version`) to another stage of a pipeline of its
/// division. Entering a lost stage needs a lost reason; entering a won or
/// lost stage closes the lead and clears its follow-up; entering an open
/// stage (re)opens it and schedules the next follow-up from the stage's
/// (or the lead's own) interval.
pub fn move_stage(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    version: i64,
    input: MoveLead,
) -> Result<LeadResponse> {
    let row = find_row(conn, reach, id)?;
    let mut p = Problems::new();
    let to_stage_id = validate::id_ref(&mut p, "to_stage_id", input.to_stage_id.trim());
    let lost_reason_id = input::id_ref(&mut p, "lost_reason_id", input.lost_reason_id.as_deref());
    let lost_note = validate::optional_text(&mut p, "lost_note", input.lost_note.as_deref(), 2000);
    p.into_result(())?;
    let stage = stages::enterable(conn, "to_stage_id", &to_stage_id, &row.division_id)?;
    if stage.stage_id == row.stage_id {
        return Err(Error::invalid("to_stage_id", "same_stage", "the lead is already in this stage"));
    }
    let lost_reason_id = input::lost_reason_for(conn, stage.kind, lost_reason_id.as_deref(), "lost_reason_id")?;
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    let before = reload(conn, id)?;
    let now = time::now();
    let open = stage.kind == StageKind::Open;
    leave_stage(conn, id, now)?;
    enter_stage(conn, id, Some(&row.stage_id), &stage.stage_id, actor(reach), now)?;
    let updated = diesel::update(leads::table.filter(leads::id.eq(id)).filter(leads::version.eq(version)))
        .set((
            leads::pipeline_id.eq(&stage.pipeline_id),
            leads::stage_id.eq(&stage.stage_id),
            leads::status.eq(LeadStatus::from(stage.kind).as_str()),
            leads::lost_note.eq(lost_note.filter(|_| lost_reason_id.is_some())),
            leads::lost_reason_id.eq(lost_reason_id),
            // A lead that moves between won and lost closes anew.
            leads::closed_at.eq((!open).then_some(now)),
            leads::next_follow_up_at.eq(if open {
                next_after(now, row.follow_up_minutes, stage.follow_up_minutes)
            } else {
                None
            }),
            leads::version.eq(version + 1),
            leads::updated_at.eq(now),
        ))
        .cached()
        .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: reload(conn, id)?.version });
    }
    let after = reload(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    Ok(after)
}

/// Every stay of lead `id` in a stage, oldest first, with the calendar and
/// business seconds spent there (until now for the current stage).
pub fn history(conn: &mut Conn, reach: &Reach, id: &str) -> Result<Vec<HistoryEntry>> {
    let lead = find_row(conn, reach, id)?;
    let calendar = match effective_calendar_id(conn, lead.branch_id.as_deref(), &lead.division_id)? {
        Some(calendar_id) => Some(BusinessCalendar::load(conn, &calendar_id)?),
        None => None,
    };
    let rows: Vec<(HistoryRow, String)> = lead_stage_history::table
        .inner_join(pipeline_stages::table.on(pipeline_stages::id.eq(lead_stage_history::to_stage_id)))
        .filter(lead_stage_history::lead_id.eq(id))
        .order((lead_stage_history::entered_at.asc(), lead_stage_history::id.asc()))
        .select((HistoryRow::as_select(), pipeline_stages::name))
        .load(conn)?;
    let now = time::stored(Utc::now());
    Ok(rows
        .into_iter()
        .map(|(row, to_stage_name)| HistoryEntry {
            seconds_in_stage: (row.left_at.unwrap_or(now) - row.entered_at).num_seconds().max(0),
            business_seconds_in_stage: calendar.as_ref().map(|c| {
                c.between(time::utc(row.entered_at), time::utc(row.left_at.unwrap_or(now))).num_seconds().max(0)
            }),
            id: row.id,
            from_stage_id: row.from_stage_id,
            to_stage_id: row.to_stage_id,
            to_stage_name,
            moved_by: row.moved_by,
            entered_at: time::utc(row.entered_at),
            left_at: row.left_at.map(time::utc),
        })
        .collect())
}

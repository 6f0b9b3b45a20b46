//! Qualification: a call-centre agent (or a manager, or the rep who holds
//! the lead) confirms which division an open inquiry belongs to and who
//! works it. An inquiry meant for another division is handed over — moved
//! into that division's pipeline with the move in its stage history — never
//! marked lost.

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::leads;
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::principal::Reach;
use rapport_core::{Error, Problems, Result, time, validate};
use rapport_customers::refs;
use serde_json::json;

use super::api::QualifyLead;
use super::assign::{self, Reason};
use crate::kinds::{LeadStatus, StageKind};
use crate::lead::api::LeadResponse;
use crate::lead::follow_up::next_after;
use crate::lead::input;
use crate::lead::store::{ENTITY, actor, enter_stage, find_row, leave_stage, reload};
use crate::pipeline::{stages, store as pipelines};

/// Qualifies open lead `id` (at `version`) within `reach`: keeps or changes
/// its division (and then its branch, pipeline and stage), optionally moves
/// it to another open stage, and assigns it — to `owner_id` when given, else
/// by the division's assignment rules when it changes division or has no
/// owner. The new owner gets a notification.
pub fn qualify(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    version: i64,
    input: QualifyLead,
) -> Result<LeadResponse> {
    let row = find_row(conn, reach, id)?;
    let mut p = Problems::new();
    let division_id = input.division_id.as_deref().map(|d| validate::id_ref(&mut p, "division_id", d));
    let branch_id = input.branch_id.clone().map(|b| b.map(|b| validate::id_ref(&mut p, "branch_id", &b)));
    let pipeline_id = input.pipeline_id.as_deref().map(|v| validate::id_ref(&mut p, "pipeline_id", v));
    let stage_id = input::id_ref(&mut p, "stage_id", input.stage_id.as_deref());
    let owner_id = input::id_ref(&mut p, "owner_id", input.owner_id.as_deref());
    let note = validate::optional_text(&mut p, "notes", input.notes.as_deref(), 2000);
    p.into_result(())?;
    if row.status != LeadStatus::Open.as_str() {
        return Err(Error::Conflict { code: "not_open", message: "only an open lead can be qualified".to_owned() });
    }
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    let division_id = division_id.unwrap_or_else(|| row.division_id.clone());
    let handed_over = division_id != row.division_id;
    if handed_over {
        refs::ensure_division(conn, "division_id", &division_id)?;
    } else if pipeline_id.as_deref().is_some_and(|p| p != row.pipeline_id) {
        return Err(Error::invalid("pipeline_id", "not_allowed", "a lead changes pipeline by a stage move"));
    }
    let branch_id = match branch_id {
        Some(b) => b,
        None if handed_over => None,
        None => row.branch_id.clone(),
    };
    if let Some(branch) = branch_id.as_ref().filter(|b| Some(*b) != row.branch_id.as_ref() || handed_over) {
        refs::ensure_branch(conn, "branch_id", branch, &division_id)?;
    }
    let stage = match (handed_over, stage_id) {
        (true, stage_id) => {
            let pipeline = match pipeline_id {
                Some(p) => p,
                None => pipelines::default_for_division(conn, &division_id)?.ok_or_else(|| {
                    Error::invalid("division_id", "no_pipeline", "the division has no pipeline that takes leads yet")
                })?,
            };
            Some(input::starting_stage(conn, &division_id, &pipeline, stage_id.as_deref())?)
        }
        (false, Some(stage_id)) if stage_id != row.stage_id => {
            Some(stages::enterable(conn, "stage_id", &stage_id, &division_id)?)
        }
        (false, _) => None,
    };
    if stage.as_ref().is_some_and(|s| s.kind != StageKind::Open) {
        return Err(Error::invalid("stage_id", "not_open", "qualification puts a lead in an open stage"));
    }
    let (owner, pick) = match owner_id {
        Some(owner) => {
            refs::ensure_division_member(conn, "owner_id", &owner, &division_id)?;
            (Some(owner), None)
        }
        None if handed_over || row.owner_id.is_none() => {
            let pick = assign::pick(conn, &division_id, branch_id.as_deref())?;
            (pick.as_ref().map(|p| p.owner_id.clone()), pick)
        }
        None => (row.owner_id.clone(), None),
    };
    let notes = match (note, &row.notes) {
        (Some(n), Some(old)) => Some(format!("{old}\n\n{n}")),
        (Some(n), None) => Some(n),
        (None, old) => old.clone(),
    };
    let before = reload(conn, id)?;
    let now = time::now();
    if let Some(stage) = &stage {
        leave_stage(conn, id, now)?;
        enter_stage(conn, id, Some(&row.stage_id), &stage.stage_id, actor(reach), now)?;
    }
    let next_follow_up_at = match &stage {
        Some(s) => next_after(now, row.follow_up_minutes, s.follow_up_minutes),
        None => row.next_follow_up_at,
    };
    let updated = diesel::update(leads::table.filter(leads::id.eq(id)).filter(leads::version.eq(version)))
        .set((
            leads::division_id.eq(&division_id),
            leads::branch_id.eq(&branch_id),
            leads::pipeline_id.eq(stage.as_ref().map_or(&row.pipeline_id, |s| &s.pipeline_id)),
            leads::stage_id.eq(stage.as_ref().map_or(&row.stage_id, |s| &s.stage_id)),
            leads::owner_id.eq(&owner),
            leads::notes.eq(&notes),
            leads::next_follow_up_at.eq(next_follow_up_at),
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
    if let Some(owner) = owner.as_deref().filter(|o| Some(*o) != row.owner_id.as_deref() || handed_over) {
        let reason = if handed_over { Reason::HandedOver } else { Reason::Assigned };
        let details = json!({
            "division_id": division_id,
            "from_division_id": row.division_id,
            "rule_id": pick.as_ref().map(|p| p.rule_id.clone()),
            "mode": pick.as_ref().map(|p| p.mode.as_str()),
        });
        assign::notify_owner(conn, id, owner, actor(reach).as_deref(), reason, details)?;
    }
    Ok(after)
}

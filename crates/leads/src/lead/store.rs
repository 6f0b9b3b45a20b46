//! Leads: create, read, update, delete-or-archive, and upsert by external id.

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::{lead_stage_history, leads};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::money::Money;
use rapport_core::principal::Reach;
use rapport_core::{Error, Problems, Result, ids, time, validate};
use rapport_customers::custom_field::{self, Entity};
use rapport_customers::customer::store as customers;
use rapport_customers::refs;

use super::api::{CreateLead, LeadResponse};
use super::follow_up::next_after;
use super::input;
use super::rows::{HistoryRow, LeadRow};
use super::scope::reachable;
use crate::kinds::{LeadSource, LeadStatus, StageKind};

/// The audit entity type of leads.
pub const ENTITY: &str = "lead";

/// The lead row `id` within `reach`.
pub(crate) fn find_row(conn: &mut Conn, reach: &Reach, id: &str) -> Result<LeadRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    reachable(reach)
        .filter(leads::id.eq(id.to_owned()))
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// Lead rows as the API shows them, custom fields read in one query.
pub(crate) fn responses(conn: &mut Conn, rows: Vec<LeadRow>) -> Result<Vec<LeadResponse>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut custom = custom_field::values_for(conn, Entity::Lead, &ids)?;
    rows.into_iter()
        .map(|row| {
            let custom_fields = custom.remove(&row.id).unwrap_or_default();
            response(row, custom_fields)
        })
        .collect()
}

fn response(
    row: LeadRow,
    custom_fields: std::collections::BTreeMap<String, serde_json::Value>,
) -> Result<LeadResponse> {
    let stored = |what: &str, v: &str| Error::Internal(format!("stored {what} {v}"));
    Ok(LeadResponse {
        source: LeadSource::parse(&row.source).ok_or_else(|| stored("source", &row.source))?,
        status: LeadStatus::parse(&row.status).ok_or_else(|| stored("status", &row.status))?,
        expected_value: match (&row.currency, row.expected_value_minor) {
            (Some(c), Some(m)) => Some(Money::from_minor(m, c)),
            _ => None,
        },
        id: row.id,
        customer_id: row.customer_id,
        prospect_name: row.prospect_name,
        prospect_phone: row.prospect_phone,
        prospect_email: row.prospect_email,
        division_id: row.division_id,
        branch_id: row.branch_id,
        product_interest: row.product_interest,
        expected_close_on: row.expected_close_on,
        owner_id: row.owner_id,
        created_by: row.created_by,
        pipeline_id: row.pipeline_id,
        stage_id: row.stage_id,
        lost_reason_id: row.lost_reason_id,
        lost_note: row.lost_note,
        score: row.score,
        notes: row.notes,
        next_follow_up_at: row.next_follow_up_at.map(time::utc),
        follow_up_minutes: row.follow_up_minutes,
        external_source: row.external_source,
        external_id: row.external_id,
        closed_at: row.closed_at.map(time::utc),
        custom_fields,
        archived_at: row.archived_at.map(time::utc),
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}

/// The lead `id` without scope checks, for the writes that follow a scoped read.
pub(crate) fn reload(conn: &mut Conn, id: &str) -> Result<LeadResponse> {
    let row = find_row(conn, &Reach::everything(), id)?;
    responses(conn, vec![row])?.pop().ok_or_else(|| Error::Internal("lead vanished".to_owned()))
}

/// The lead `id` within `reach`.
pub fn get(conn: &mut Conn, reach: &Reach, id: &str) -> Result<LeadResponse> {
    let row = find_row(conn, reach, id)?;
    responses(conn, vec![row])?.pop().ok_or_else(|| Error::Internal("lead vanished".to_owned()))
}

/// The acting user, for `created_by` and `moved_by` (none for the system).
pub(crate) fn actor(reach: &Reach) -> Option<String> {
    Some(reach.user_id.clone()).filter(|u| !u.is_empty())
}

/// Closes lead `lead_id`'s current stay (the history entry not yet left).
pub(crate) fn leave_stage(conn: &mut Conn, lead_id: &str, at: chrono::NaiveDateTime) -> Result<()> {
    diesel::update(
        lead_stage_history::table
            .filter(lead_stage_history::lead_id.eq(lead_id))
            .filter(lead_stage_history::left_at.is_null()),
    )
    .set(lead_stage_history::left_at.eq(at))
    .cached()
    .execute(conn)?;
    Ok(())
}

/// Opens a stage-history entry for `lead_id` entering `stage_id`.
pub(crate) fn enter_stage(
    conn: &mut Conn,
    lead_id: &str,
    from: Option<&str>,
    to: &str,
    moved_by: Option<String>,
    at: chrono::NaiveDateTime,
) -> Result<()> {
    let row = HistoryRow {
        id: ids::new_id(),
        lead_id: lead_id.to_owned(),
        from_stage_id: from.map(str::to_owned),
        to_stage_id: to.to_owned(),
        moved_by,
        entered_at: at,
        left_at: None,
    };
    diesel::insert_into(lead_stage_history::table).values(&row).execute(conn)?;
    Ok(())
}

/// Creates a lead. `customers_reach` is the caller's reach over customers
/// (a linked customer must be within it); `default_owner` is used when the
/// input names no owner.
pub fn create(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    customers_reach: Option<&Reach>,
    input: CreateLead,
    default_owner: Option<&str>,
) -> Result<LeadResponse> {
    let mut p = Problems::new();
    let customer_id = input::id_ref(&mut p, "customer_id", input.customer_id.as_deref());
    let prospect_name = validate::optional_text(&mut p, "prospect_name", input.prospect_name.as_deref(), 200);
    let prospect_phone = input::phone(&mut p, input.prospect_phone.as_deref());
    let prospect_email = input::email(&mut p, input.prospect_email.as_deref());
    input::check_contact(
        &mut p,
        customer_id.as_deref(),
        prospect_name.as_deref(),
        prospect_phone.as_deref(),
        prospect_email.as_deref(),
    );
    let division_id = validate::id_ref(&mut p, "division_id", &input.division_id);
    let branch_id = input::id_ref(&mut p, "branch_id", input.branch_id.as_deref());
    let product_interest = validate::optional_text(&mut p, "product_interest", input.product_interest.as_deref(), 200);
    let (currency, expected_value_minor) = input::expected_value(&mut p, input.expected_value.as_ref());
    let owner_id = input::id_ref(&mut p, "owner_id", input.owner_id.as_deref()).or(default_owner.map(str::to_owned));
    let pipeline_id = validate::id_ref(&mut p, "pipeline_id", &input.pipeline_id);
    let stage_id = input::id_ref(&mut p, "stage_id", input.stage_id.as_deref());
    let lost_reason_id = input::id_ref(&mut p, "lost_reason_id", input.lost_reason_id.as_deref());
    let lost_note = validate::optional_text(&mut p, "lost_note", input.lost_note.as_deref(), 2000);
    let score = input::score(&mut p, input.score);
    let notes = validate::optional_text(&mut p, "notes", input.notes.as_deref(), 5000);
    let follow_up_minutes =
        crate::pipeline::stages::follow_up_minutes(&mut p, "follow_up_minutes", input.follow_up_minutes);
    let (external_source, external_id) =
        input::external(&mut p, input.external_source.as_deref(), input.external_id.as_deref());
    p.into_result(())?;
    refs::ensure_division_in_reach(reach, "division_id", &division_id)?;
    refs::ensure_division(conn, "division_id", &division_id)?;
    if let Some(branch) = &branch_id {
        refs::ensure_branch(conn, "branch_id", branch, &division_id)?;
    }
    let stage = input::starting_stage(conn, &division_id, &pipeline_id, stage_id.as_deref())?;
    let lost_reason_id = input::lost_reason_for(conn, stage.kind, lost_reason_id.as_deref(), "lost_reason_id")?;
    let customer_id = match customer_id {
        Some(id) => Some(linked_customer(conn, customers_reach, &id)?),
        None => None,
    };
    if let Some(owner) = &owner_id {
        refs::ensure_user(conn, "owner_id", owner)?;
    }
    input::ensure_external_free(conn, external_source.as_deref(), external_id.as_deref(), None)?;
    let custom =
        custom_field::validate(conn, Entity::Lead, std::slice::from_ref(&division_id), &input.custom_fields, true)?;
    let id = ids::new_id();
    let now = time::now();
    let open = stage.kind == StageKind::Open;
    let next_follow_up_at = if open {
        input
            .next_follow_up_at
            .map(time::stored)
            .or_else(|| next_after(now, follow_up_minutes, stage.follow_up_minutes))
    } else {
        None
    };
    let row = LeadRow {
        id: id.clone(),
        customer_id,
        prospect_name,
        prospect_phone,
        prospect_email,
        source: input.source.as_str().to_owned(),
        division_id,
        branch_id,
        product_interest,
        currency,
        expected_value_minor,
        expected_close_on: input.expected_close_on,
        owner_id,
        created_by: actor(reach),
        pipeline_id: stage.pipeline_id.clone(),
        stage_id: stage.stage_id.clone(),
        status: LeadStatus::from(stage.kind).as_str().to_owned(),
        lost_note: lost_note.filter(|_| lost_reason_id.is_some()),
        lost_reason_id,
        score,
        notes,
        next_follow_up_at,
        follow_up_minutes,
        external_source,
        external_id,
        closed_at: (!open).then_some(now),
        version: 1,
        created_at: now,
        updated_at: now,
        archived_at: None,
    };
    diesel::insert_into(leads::table).values(&row).execute(conn)?;
    enter_stage(conn, &id, None, &stage.stage_id, actor(reach), now)?;
    custom_field::store(conn, &id, &custom)?;
    // The row is what was stored (instants are truncated to microseconds
    // before they are written), so it is not read back.
    let created = responses(conn, vec![row])?.pop().ok_or_else(|| Error::Internal("lead vanished".to_owned()))?;
    audit::record(conn, ctx, ENTITY, &id, Action::Created, None, Some(&created))?;
    Ok(created)
}

/// The live customer `id` refers to, when the caller reaches it.
pub(crate) fn linked_customer(conn: &mut Conn, customers_reach: Option<&Reach>, id: &str) -> Result<String> {
    match customers_reach {
        Some(r) => customers::ensure_reachable(conn, r, "customer_id", id),
        None => Err(Error::invalid("customer_id", "not_found", format!("customer {id} does not exist"))),
    }
}

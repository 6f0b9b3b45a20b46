//! Changing leads: PATCH, delete-or-archive, and PUT by external id.

use diesel::prelude::*;
use rapport_core::audit::WriteContext;
use rapport_core::db::schema::{lead_stage_history, leads};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::principal::Reach;
use rapport_core::removal::{Removal, Target, apply_archive_flag, delete_or_archive};
use rapport_core::{Error, Problems, Result, audit, time, upsert, validate};
use rapport_customers::custom_field::{self, Entity};
use rapport_customers::refs;

use super::api::{CreateLead, LeadResponse, MoveLead, UpdateLead};
use super::input;
use super::moves;
use super::store::{ENTITY, actor, create, find_row, linked_customer, reload, responses};
use crate::kinds::LeadStatus;
use crate::lost_reason;
use crate::pipeline::stages;
use crate::routing::assign::{Reason, notify_owner};

/// Applies `changes` to lead `id` at `version`.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    customers_reach: Option<&Reach>,
    id: &str,
    version: i64,
    changes: UpdateLead,
) -> Result<LeadResponse> {
    let row = find_row(conn, reach, id)?;
    let before = responses(conn, vec![row.clone()])?.pop().ok_or(Error::NotFound { entity: ENTITY })?;
    let mut p = Problems::new();
    let text =
        |p: &mut Problems, field: &str, change: Option<Option<String>>, current: &Option<String>, max| match change {
            Some(v) => validate::optional_text(p, field, v.as_deref(), max),
            None => current.clone(),
        };
    let customer_id = match &changes.customer_id {
        Some(v) => input::id_ref(&mut p, "customer_id", v.as_deref()),
        None => row.customer_id.clone(),
    };
    let prospect_name = text(&mut p, "prospect_name", changes.prospect_name, &row.prospect_name, 200);
    let prospect_phone = match &changes.prospect_phone {
        Some(v) => input::phone(&mut p, v.as_deref()),
        None => row.prospect_phone.clone(),
    };
    let prospect_email = match &changes.prospect_email {
        Some(v) => input::email(&mut p, v.as_deref()),
        None => row.prospect_email.clone(),
    };
    input::check_contact(
        &mut p,
        customer_id.as_deref(),
        prospect_name.as_deref(),
        prospect_phone.as_deref(),
        prospect_email.as_deref(),
    );
    let branch_id = match &changes.branch_id {
        Some(v) => input::id_ref(&mut p, "branch_id", v.as_deref()),
        None => row.branch_id.clone(),
    };
    let product_interest = text(&mut p, "product_interest", changes.product_interest, &row.product_interest, 200);
    let (currency, expected_value_minor) = match &changes.expected_value {
        Some(v) => input::expected_value(&mut p, v.as_ref()),
        None => (row.currency.clone(), row.expected_value_minor),
    };
    let owner_id = match &changes.owner_id {
        Some(v) => input::id_ref(&mut p, "owner_id", v.as_deref()),
        None => row.owner_id.clone(),
    };
    let lost = row.status == LeadStatus::Lost.as_str();
    let lost_reason_id = match &changes.lost_reason_id {
        Some(_) if !lost => {
            p.push("lost_reason_id", "only_when_lost", "only a lost lead has a lost reason");
            None
        }
        Some(v) => Some(validate::id_ref(&mut p, "lost_reason_id", v)),
        None => row.lost_reason_id.clone(),
    };
    if matches!(changes.lost_note, Some(Some(_))) && !lost {
        p.push("lost_note", "only_when_lost", "only a lost lead has a lost note");
    }
    let lost_note = text(&mut p, "lost_note", changes.lost_note, &row.lost_note, 2000);
    let score = changes.score.map_or(row.score, |s| input::score(&mut p, s));
    let notes = text(&mut p, "notes", changes.notes, &row.notes, 5000);
    let follow_up_minutes = changes
        .follow_up_minutes
        .map_or(row.follow_up_minutes, |m| stages::follow_up_minutes(&mut p, "follow_up_minutes", m));
    let open = row.status == LeadStatus::Open.as_str();
    if matches!(changes.next_follow_up_at, Some(Some(_))) && !open {
        p.push("next_follow_up_at", "not_open", "only an open lead has follow-ups");
    }
    let next_follow_up_at = changes.next_follow_up_at.map_or(row.next_follow_up_at, |t| t.map(time::stored));
    p.into_result(())?;
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    if branch_id != row.branch_id
        && let Some(branch) = &branch_id
    {
        refs::ensure_branch(conn, "branch_id", branch, &row.division_id)?;
    }
    let customer_id = match customer_id {
        Some(c) if Some(&c) != row.customer_id.as_ref() => Some(linked_customer(conn, customers_reach, &c)?),
        other => other,
    };
    if owner_id != row.owner_id
        && let Some(owner) = &owner_id
    {
        refs::ensure_user(conn, "owner_id", owner)?;
    }
    if lost_reason_id != row.lost_reason_id
        && let Some(reason) = &lost_reason_id
    {
        lost_reason::ensure_live(conn, "lost_reason_id", reason)?;
    }
    let custom = match &changes.custom_fields {
        Some(values) => {
            Some(custom_field::validate(conn, Entity::Lead, std::slice::from_ref(&row.division_id), values, false)?)
        }
        None => None,
    };
    let now = time::now();
    let (archived_at, action) = apply_archive_flag(row.archived_at, changes.archived, now);
    let new_owner = owner_id.clone().filter(|o| Some(o) != row.owner_id.as_ref());
    let updated = diesel::update(leads::table.filter(leads::id.eq(id)).filter(leads::version.eq(version)))
        .set((
            (
                leads::customer_id.eq(customer_id),
                leads::prospect_name.eq(prospect_name),
                leads::prospect_phone.eq(prospect_phone),
                leads::prospect_email.eq(prospect_email),
                leads::source.eq(changes.source.map_or(row.source, |s| s.as_str().to_owned())),
                leads::branch_id.eq(branch_id),
                leads::product_interest.eq(product_interest),
                leads::currency.eq(currency),
                leads::expected_value_minor.eq(expected_value_minor),
            ),
            (
                leads::expected_close_on.eq(changes.expected_close_on.unwrap_or(row.expected_close_on)),
                leads::owner_id.eq(owner_id),
                leads::lost_reason_id.eq(lost_reason_id),
                leads::lost_note.eq(lost_note),
                leads::score.eq(score),
                leads::notes.eq(notes),
                leads::follow_up_minutes.eq(follow_up_minutes),
                leads::next_follow_up_at.eq(next_follow_up_at),
                leads::archived_at.eq(archived_at),
                leads::version.eq(version + 1),
                leads::updated_at.eq(now),
            ),
        ))
        .cached()
        .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: reload(conn, id)?.version });
    }
    if let Some(custom) = &custom {
        custom_field::store(conn, id, custom)?;
    }
    let after = reload(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, action, Some(&before), Some(&after))?;
    if let Some(owner) = &new_owner {
        let details = serde_json::json!({ "division_id": row.division_id, "from_owner_id": row.owner_id });
        notify_owner(conn, id, owner, actor(reach).as_deref(), Reason::Assigned, details)?;
    }
    Ok(after)
}

/// Deletes the lead, or archives it when other records refer to it. Its
/// stage history and custom field values go with it.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Removal<LeadResponse>> {
    let row = find_row(conn, reach, id)?;
    let (version, archived_at) = (row.version, row.archived_at);
    let before = responses(conn, vec![row])?.pop().ok_or(Error::NotFound { entity: ENTITY })?;
    let target = Target { entity: ENTITY, id, before, version };
    delete_or_archive(
        conn,
        ctx,
        target,
        expected_version,
        |conn| {
            diesel::delete(lead_stage_history::table.filter(lead_stage_history::lead_id.eq(id))).execute(conn)?;
            custom_field::clear(conn, id)?;
            diesel::delete(leads::table.filter(leads::id.eq(id))).execute(conn)?;
            Ok(())
        },
        |conn| {
            let now = time::now();
            diesel::update(leads::table.filter(leads::id.eq(id)))
                .set((
                    leads::archived_at.eq(archived_at.unwrap_or(now)),
                    leads::version.eq(version + 1),
                    leads::updated_at.eq(now),
                ))
                .cached()
                .execute(conn)?;
            reload(conn, id)
        },
    )
}

/// Creates or updates the lead known as `external_id` in `source` from a
/// full description (PUT). A repeat with the same body changes nothing: no
/// new version, audit entry or event. Returns the lead and whether it was
/// created. The division never changes here (that is a hand-over); a new
/// pipeline or stage moves the lead, with history.
pub fn upsert_by_external_id(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    customers_reach: Option<&Reach>,
    (source, external_id): (&str, &str),
    mut input: CreateLead,
    default_owner: Option<&str>,
) -> Result<(LeadResponse, bool)> {
    let mut p = Problems::new();
    let (source, external_id) = input::external(&mut p, Some(source), Some(external_id));
    p.into_result(())?;
    input.external_source = source.clone();
    input.external_id = external_id.clone();
    let holder: Option<String> = leads::table
        .filter(leads::external_source.eq(&source))
        .filter(leads::external_id.eq(&external_id))
        .select(leads::id)
        .first(conn)
        .optional()?;
    let Some(holder) = holder else {
        return create(conn, ctx, reach, customers_reach, input, default_owner).map(|lead| (lead, true));
    };
    let row = find_row(conn, reach, &holder)?;
    if input.division_id.trim() != row.division_id {
        return Err(Error::invalid("division_id", "immutable", "a lead changes division by qualification, not here"));
    }
    let before = reload(conn, &holder)?;
    let (after, _) = upsert::unless_unchanged(
        conn,
        &before,
        |conn| {
            let target =
                input::starting_stage(conn, &row.division_id, input.pipeline_id.trim(), input.stage_id.as_deref())?;
            let moving =
                target.stage_id != row.stage_id && (input.stage_id.is_some() || target.pipeline_id != row.pipeline_id);
            let mut version = row.version;
            if moving {
                let step = MoveLead {
                    to_stage_id: target.stage_id.clone(),
                    lost_reason_id: input.lost_reason_id.clone(),
                    lost_note: input.lost_note.clone(),
                    version: Some(version),
                };
                version = moves::move_stage(conn, ctx, reach, &holder, version, step)?.version;
            }
            let closed = !moving && row.status == LeadStatus::Lost.as_str();
            let changes = UpdateLead {
                customer_id: Some(input.customer_id.clone()),
                prospect_name: Some(input.prospect_name.clone()),
                prospect_phone: Some(input.prospect_phone.clone()),
                prospect_email: Some(input.prospect_email.clone()),
                source: Some(input.source),
                branch_id: Some(input.branch_id.clone()),
                product_interest: Some(input.product_interest.clone()),
                expected_value: Some(input.expected_value.clone()),
                expected_close_on: Some(input.expected_close_on),
                owner_id: input.owner_id.clone().map(Some),
                lost_reason_id: input.lost_reason_id.clone().filter(|_| closed),
                lost_note: closed.then(|| input.lost_note.clone()),
                score: Some(input.score),
                notes: Some(input.notes.clone()),
                follow_up_minutes: Some(input.follow_up_minutes),
                next_follow_up_at: input.next_follow_up_at.map(Some),
                custom_fields: Some(input.custom_fields.clone()),
                archived: None,
                version: None,
            };
            update(conn, ctx, reach, customers_reach, &holder, version, changes)
        },
        same_content,
    )?;
    Ok((after, false))
}

/// Whether two versions of a lead hold the same data.
fn same_content(a: &LeadResponse, b: &LeadResponse) -> bool {
    let strip = |l: &LeadResponse| LeadResponse { version: 0, updated_at: l.created_at, ..l.clone() };
    strip(a) == strip(b)
}

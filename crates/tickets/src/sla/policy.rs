//! SLA policies: first-response and resolution targets in business minutes
//! per priority, company-wide or for one division (which wins). Admins edit
//! every policy, managers their division's.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::{sla_policies, ticket_slas};
use rapport_core::principal::{Reach, Scope};
use rapport_core::{Error, FieldError, Problems, Result, ids, time, validate};
use rapport_customers::refs;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::kinds::Priority;

const ENTITY: &str = "sla_policy";
/// The longest target: a year of business minutes is far beyond any SLA.
const MAX_MINUTES: i32 = 525_600;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sla_policies)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct PolicyRow {
    pub id: String,
    pub division_id: Option<String>,
    pub priority: String,
    pub first_response_minutes: i32,
    pub resolution_minutes: i32,
    pub warn_percent: i32,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A new SLA policy.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"priority": "high", "first_response_minutes": 120, "resolution_minutes": 1620, "warn_percent": 80}))]
pub struct CreateSlaPolicy {
    /// The division it applies to; none: company-wide (admins only).
    #[serde(default)]
    pub division_id: Option<String>,
    /// The priority it applies to.
    pub priority: Priority,
    /// First response within this many business minutes (1–525,600).
    pub first_response_minutes: i32,
    /// Resolution within this many business minutes (1–525,600; at least
    /// the first-response target).
    pub resolution_minutes: i32,
    /// Warn the queue's managers when this share of a target is used
    /// (1–99, default 80).
    #[serde(default)]
    pub warn_percent: Option<i32>,
    /// Whether new tickets get it (default true). One active policy per
    /// division (or company-wide) and priority.
    #[serde(default)]
    pub active: Option<bool>,
}

/// Changes to an SLA policy; tickets already logged keep the targets they
/// started with.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"resolution_minutes": 2160, "version": 1}))]
pub struct UpdateSlaPolicy {
    /// New first-response target.
    pub first_response_minutes: Option<i32>,
    /// New resolution target.
    pub resolution_minutes: Option<i32>,
    /// New warning share.
    pub warn_percent: Option<i32>,
    /// Turn it on or off.
    pub active: Option<bool>,
    /// The version being changed (or send `If-Match`).
    pub version: Option<i64>,
}

/// An SLA policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlaPolicyResponse {
    /// Id.
    pub id: String,
    /// Division; none: company-wide.
    pub division_id: Option<String>,
    /// Priority.
    pub priority: Priority,
    /// First-response target, business minutes.
    pub first_response_minutes: i32,
    /// Resolution target, business minutes.
    pub resolution_minutes: i32,
    /// Warning share, percent.
    pub warn_percent: i32,
    /// Whether new tickets get it.
    pub active: bool,
    /// Version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing SLA policies.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SlaPolicyListQuery {
    /// Only this division's.
    pub division_id: Option<String>,
    /// Only active (`true`) or inactive (`false`) ones.
    pub active: Option<bool>,
}

fn response(row: PolicyRow) -> Result<SlaPolicyResponse> {
    Ok(SlaPolicyResponse {
        priority: Priority::parse(&row.priority)
            .ok_or_else(|| Error::Internal(format!("stored priority {}", row.priority)))?,
        id: row.id,
        division_id: row.division_id,
        first_response_minutes: row.first_response_minutes,
        resolution_minutes: row.resolution_minutes,
        warn_percent: row.warn_percent,
        active: row.active,
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}

fn find_row(conn: &mut Conn, id: &str) -> Result<PolicyRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    sla_policies::table
        .filter(sla_policies::id.eq(id))
        .select(PolicyRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// The row `id` when `reach` may change it: a division scope changes only
/// its division's policies (others, company-wide ones included, are not found).
fn writable_row(conn: &mut Conn, reach: &Reach, id: &str) -> Result<PolicyRow> {
    let row = find_row(conn, id)?;
    if reach.scope != Scope::All && row.division_id.as_deref() != Some(reach.own_division()) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    Ok(row)
}

/// Every policy (reference data everyone reads; a short list, not paginated).
pub fn list(conn: &mut Conn, query: &SlaPolicyListQuery) -> Result<Vec<SlaPolicyResponse>> {
    let mut q = sla_policies::table.select(PolicyRow::as_select()).into_boxed();
    if let Some(division) = &query.division_id {
        q = q.filter(sla_policies::division_id.eq(division.clone()));
    }
    if let Some(active) = query.active {
        q = q.filter(sla_policies::active.eq(active));
    }
    let rows: Vec<PolicyRow> =
        q.order((sla_policies::division_id, sla_policies::priority, sla_policies::id)).limit(1000).load(conn)?;
    rows.into_iter().map(response).collect()
}

/// The policy `id`.
pub fn get(conn: &mut Conn, id: &str) -> Result<SlaPolicyResponse> {
    find_row(conn, id).and_then(response)
}

/// The active policy a new ticket of `division_id` and `priority` gets: the
/// division's own, else the company-wide one.
pub(crate) fn for_ticket(conn: &mut Conn, division_id: &str, priority: Priority) -> Result<Option<PolicyRow>> {
    let active = || {
        sla_policies::table
            .filter(sla_policies::priority.eq(priority.as_str()))
            .filter(sla_policies::active.eq(true))
            .select(PolicyRow::as_select())
            .order(sla_policies::id)
            .into_boxed()
    };
    // The first row of each, without a `LIMIT ?` (docs/decisions/0010).
    if let Some(own) =
        active().filter(sla_policies::division_id.eq(division_id.to_owned())).get_result(conn).optional()?
    {
        return Ok(Some(own));
    }
    Ok(active().filter(sla_policies::division_id.is_null()).get_result(conn).optional()?)
}

fn targets(p: &mut Problems, response: i32, resolution: i32, warn: i32) {
    if !(1..=MAX_MINUTES).contains(&response) {
        p.push("first_response_minutes", "out_of_range", format!("between 1 and {MAX_MINUTES}"));
    }
    if !(1..=MAX_MINUTES).contains(&resolution) {
        p.push("resolution_minutes", "out_of_range", format!("between 1 and {MAX_MINUTES}"));
    } else if resolution < response {
        p.push("resolution_minutes", "out_of_range", "the resolution target cannot be shorter than the first response");
    }
    if !(1..=99).contains(&warn) {
        p.push("warn_percent", "out_of_range", "between 1 and 99");
    }
}

fn ensure_single_active(conn: &mut Conn, row: &PolicyRow) -> Result<()> {
    if !row.active {
        return Ok(());
    }
    let mut q = sla_policies::table
        .filter(sla_policies::priority.eq(&row.priority))
        .filter(sla_policies::active.eq(true))
        .filter(sla_policies::id.ne(&row.id))
        .select(sla_policies::id)
        .into_boxed();
    q = match &row.division_id {
        Some(d) => q.filter(sla_policies::division_id.eq(d.clone())),
        None => q.filter(sla_policies::division_id.is_null()),
    };
    match q.first::<String>(conn).optional()? {
        Some(other) => Err(Error::Duplicate(vec![FieldError::new(
            "priority",
            "duplicate",
            format!("policy {other} is already active for this priority and division"),
        )])),
        None => Ok(()),
    }
}

/// Creates a policy; a division scope only for its own division.
pub fn create(conn: &mut Conn, ctx: &WriteContext, reach: &Reach, input: CreateSlaPolicy) -> Result<SlaPolicyResponse> {
    let mut p = Problems::new();
    let division_id = input.division_id.as_deref().map(|d| validate::id_ref(&mut p, "division_id", d));
    let warn = input.warn_percent.unwrap_or(80);
    targets(&mut p, input.first_response_minutes, input.resolution_minutes, warn);
    p.into_result(())?;
    match &division_id {
        Some(d) => {
            refs::ensure_division_in_reach(reach, "division_id", d)?;
            refs::ensure_division(conn, "division_id", d)?;
        }
        None if reach.scope != Scope::All => {
            return Err(Error::invalid("division_id", "outside_scope", "only an admin sets company-wide policies"));
        }
        None => {}
    }
    let now = time::now();
    let row = PolicyRow {
        id: ids::new_id(),
        division_id,
        priority: input.priority.as_str().to_owned(),
        first_response_minutes: input.first_response_minutes,
        resolution_minutes: input.resolution_minutes,
        warn_percent: warn,
        active: input.active.unwrap_or(true),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    ensure_single_active(conn, &row)?;
    diesel::insert_into(sla_policies::table).values(&row).execute(conn)?;
    let created = response(row)?;
    audit::record(conn, ctx, ENTITY, &created.id, Action::Created, None, Some(&created))?;
    Ok(created)
}

/// Changes policy `id` at `version`.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    version: i64,
    changes: UpdateSlaPolicy,
) -> Result<SlaPolicyResponse> {
    let row = writable_row(conn, reach, id)?;
    let mut p = Problems::new();
    let next = PolicyRow {
        first_response_minutes: changes.first_response_minutes.unwrap_or(row.first_response_minutes),
        resolution_minutes: changes.resolution_minutes.unwrap_or(row.resolution_minutes),
        warn_percent: changes.warn_percent.unwrap_or(row.warn_percent),
        active: changes.active.unwrap_or(row.active),
        version: version + 1,
        updated_at: time::now(),
        ..row.clone()
    };
    targets(&mut p, next.first_response_minutes, next.resolution_minutes, next.warn_percent);
    p.into_result(())?;
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    ensure_single_active(conn, &next)?;
    let before = response(row)?;
    let updated =
        diesel::update(sla_policies::table.filter(sla_policies::id.eq(id)).filter(sla_policies::version.eq(version)))
            .set((
                sla_policies::first_response_minutes.eq(next.first_response_minutes),
                sla_policies::resolution_minutes.eq(next.resolution_minutes),
                sla_policies::warn_percent.eq(next.warn_percent),
                sla_policies::active.eq(next.active),
                sla_policies::version.eq(next.version),
                sla_policies::updated_at.eq(next.updated_at),
            ))
            .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: find_row(conn, id)?.version });
    }
    let after = response(next)?;
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    Ok(after)
}

/// Deletes policy `id` when no ticket was measured with it; otherwise
/// deactivates it and returns it (tickets keep their targets either way).
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Option<SlaPolicyResponse>> {
    let row = writable_row(conn, reach, id)?;
    if let Some(v) = expected_version
        && v != row.version
    {
        return Err(Error::StaleVersion { current: row.version });
    }
    let before = response(row.clone())?;
    let used: bool = diesel::select(diesel::dsl::exists(ticket_slas::table.filter(ticket_slas::sla_policy_id.eq(id))))
        .get_result(conn)?;
    if !used {
        diesel::delete(sla_policies::table.filter(sla_policies::id.eq(id))).execute(conn)?;
        audit::record::<SlaPolicyResponse>(conn, ctx, ENTITY, id, Action::Deleted, Some(&before), None)?;
        return Ok(None);
    }
    let now = time::now();
    diesel::update(sla_policies::table.filter(sla_policies::id.eq(id)))
        .set((
            sla_policies::active.eq(false),
            sla_policies::version.eq(row.version + 1),
            sla_policies::updated_at.eq(now),
        ))
        .execute(conn)?;
    let after = get(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, Action::Archived, Some(&before), Some(&after))?;
    Ok(Some(after))
}

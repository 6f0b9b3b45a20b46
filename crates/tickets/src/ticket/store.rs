//! Tickets: create (with the division's next number), read and update.

use std::collections::BTreeMap;

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::{divisions, ticket_counters, ticket_status_history, tickets};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::notification::{self, NewNotification};
use rapport_core::principal::Reach;
use rapport_core::{Error, FieldError, Problems, Result, ids, time, validate};
use rapport_customers::custom_field::{self, Entity};
use rapport_customers::customer::store as customers;
use rapport_customers::refs;
use serde_json::json;

use super::api::{CreateTicket, TicketResponse, UpdateTicket};
use super::business_times::Basis;
use super::rows::{StatusRow, TicketRow};
use super::scope::reachable;
use crate::handle_time::{self, HandleTime};
use crate::kinds::{Priority, TicketChannel, TicketStatus};
use crate::{category, queue, sla};

/// The audit entity type of tickets.
pub const ENTITY: &str = "ticket";

/// The ticket row `id` within `reach`.
pub(crate) fn find_row(conn: &mut Conn, reach: &Reach, id: &str) -> Result<TicketRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    reachable(reach)
        .filter(tickets::id.eq(id.to_owned()))
        .get_result(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// Ticket rows as the API shows them, custom fields read in one query.
pub(crate) fn responses(conn: &mut Conn, rows: Vec<TicketRow>) -> Result<Vec<TicketResponse>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut custom = custom_field::values_for(conn, Entity::Ticket, &ids)?;
    let mut slas = sla::explain::summaries(conn, &ids)?;
    let mut handled = handle_time::for_tickets(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let custom_fields = custom.remove(&row.id).unwrap_or_default();
            let sla = slas.remove(&row.id);
            let handle_time = handled.remove(&row.id).unwrap_or_default();
            response(row, custom_fields, sla, handle_time)
        })
        .collect()
}

fn response(
    row: TicketRow,
    custom_fields: BTreeMap<String, serde_json::Value>,
    sla: Option<sla::TicketSla>,
    handle_time: HandleTime,
) -> Result<TicketResponse> {
    let stored = |what: &str, v: &str| Error::Internal(format!("stored ticket {what} {v}"));
    Ok(TicketResponse {
        priority: Priority::parse(&row.priority).ok_or_else(|| stored("priority", &row.priority))?,
        channel: TicketChannel::parse(&row.channel).ok_or_else(|| stored("channel", &row.channel))?,
        status: TicketStatus::parse(&row.status).ok_or_else(|| stored("status", &row.status))?,
        id: row.id,
        number: row.number,
        division_id: row.division_id,
        branch_id: row.branch_id,
        queue_id: row.queue_id,
        customer_id: row.customer_id,
        asset_id: row.asset_id,
        lead_id: row.lead_id,
        category_id: row.category_id,
        subject: row.subject,
        description: row.description,
        assignee_id: row.assignee_id,
        created_by: row.created_by,
        first_responded_at: row.first_responded_at.map(time::utc),
        resolved_at: row.resolved_at.map(time::utc),
        closed_at: row.closed_at.map(time::utc),
        reopen_count: row.reopen_count,
        agent_touches: i64::from(row.agent_touches) + handle_time.interactions,
        handle_time,
        first_contact_resolution: row.first_contact_resolution,
        first_response_business_seconds: row.first_response_business_seconds,
        resolution_business_seconds: row.resolution_business_seconds,
        business_day_seconds: row.business_day_seconds,
        sla,
        external_source: row.external_source,
        external_id: row.external_id,
        custom_fields,
        archived_at: row.archived_at.map(time::utc),
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
        csat_survey: None,
    })
}

/// The ticket `id` without scope checks, for the writes that follow a scoped read.
pub(crate) fn reload(conn: &mut Conn, id: &str) -> Result<TicketResponse> {
    let row = find_row(conn, &Reach::everything(), id)?;
    responses(conn, vec![row])?.pop().ok_or_else(|| Error::Internal("ticket vanished".to_owned()))
}

/// The ticket `id` within `reach`.
pub fn get(conn: &mut Conn, reach: &Reach, id: &str) -> Result<TicketResponse> {
    let row = find_row(conn, reach, id)?;
    responses(conn, vec![row])?.pop().ok_or_else(|| Error::Internal("ticket vanished".to_owned()))
}

/// The acting user (none for the system or an integration key).
pub(crate) fn actor(reach: &Reach) -> Option<String> {
    Some(reach.user_id.clone()).filter(|u| !u.is_empty())
}

/// Records a status change in the history.
pub(crate) fn record_status(
    conn: &mut Conn,
    ticket_id: &str,
    from: Option<TicketStatus>,
    to: TicketStatus,
    by: Option<String>,
    at: chrono::NaiveDateTime,
) -> Result<()> {
    let row = StatusRow {
        id: ids::new_id(),
        ticket_id: ticket_id.to_owned(),
        from_status: from.map(|s| s.as_str().to_owned()),
        to_status: to.as_str().to_owned(),
        changed_by: by,
        changed_at: at,
    };
    diesel::insert_into(ticket_status_history::table).values(&row).execute(conn)?;
    Ok(())
}

/// The next number of `division_id`'s tickets, e.g. `MOT-000124`. The
/// counter row's update holds its lock until the creating transaction ends,
/// so concurrent creates in one division queue for it instead of colliding.
fn next_number(conn: &mut Conn, division_id: &str) -> Result<String> {
    rapport_core::per_backend!(&mut *conn, c => diesel::insert_into(ticket_counters::table)
        .values((ticket_counters::division_id.eq(division_id), ticket_counters::last_number.eq(0_i64)))
        .on_conflict(ticket_counters::division_id)
        .do_nothing()
        .cached()
        .execute(c))?;
    diesel::update(ticket_counters::table.filter(ticket_counters::division_id.eq(division_id)))
        .set(ticket_counters::last_number.eq(ticket_counters::last_number + 1))
        .cached()
        .execute(conn)?;
    let n: i64 = ticket_counters::table
        .filter(ticket_counters::division_id.eq(division_id))
        .select(ticket_counters::last_number)
        .get_result(conn)?;
    let code: String =
        divisions::table.filter(divisions::id.eq(division_id)).select(divisions::code).get_result(conn)?;
    Ok(format!("{code}-{n:06}"))
}

/// Tells a new assignee (unless they assigned themselves).
pub(crate) fn notify_assignee(conn: &mut Conn, ticket: &TicketResponse, by: Option<&str>) -> Result<()> {
    match ticket.assignee_id.as_deref() {
        Some(assignee) if Some(assignee) != by => notification::record(
            conn,
            NewNotification {
                user_id: assignee,
                kind: "ticket_assigned",
                entity_type: ENTITY,
                entity_id: &ticket.id,
                payload: json!({"ticket_id": ticket.id, "number": ticket.number, "assigned_by": by,
                    "priority": ticket.priority, "subject": ticket.subject}),
            },
        ),
        _ => Ok(()),
    }
}

fn id_ref(p: &mut Problems, field: &str, value: Option<&str>) -> Option<String> {
    value.map(|v| validate::id_ref(p, field, v))
}

/// The customer and asset a ticket links: a given asset must be the
/// customer's; an asset alone brings its customer.
fn linked(
    conn: &mut Conn,
    customers_reach: Option<&Reach>,
    customer_id: Option<&str>,
    asset_id: Option<&str>,
) -> Result<Option<String>> {
    let customer = match (customer_id, customers_reach) {
        (Some(c), Some(r)) => Some(customers::ensure_reachable(conn, r, "customer_id", c)?),
        (Some(c), None) => {
            return Err(Error::invalid("customer_id", "not_found", format!("customer {c} does not exist")));
        }
        (None, _) => None,
    };
    match (asset_id, &customer) {
        (Some(a), Some(c)) => refs::ensure_customer_asset(conn, a, c).map(|()| customer),
        (Some(a), None) => {
            Err(Error::invalid("customer_id", "required", format!("asset {a} needs the customer it belongs to")))
        }
        (None, _) => Ok(customer),
    }
}

/// Creates a ticket in status `new`, numbered in its division.
pub fn create(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    customers_reach: Option<&Reach>,
    input: CreateTicket,
) -> Result<TicketResponse> {
    let mut p = Problems::new();
    let division_id = validate::id_ref(&mut p, "division_id", &input.division_id);
    let branch_id = id_ref(&mut p, "branch_id", input.branch_id.as_deref());
    let customer_id = id_ref(&mut p, "customer_id", input.customer_id.as_deref());
    let asset_id = id_ref(&mut p, "asset_id", input.asset_id.as_deref());
    let category_id = validate::id_ref(&mut p, "category_id", &input.category_id);
    let subject = validate::required_text(&mut p, "subject", &input.subject, 200);
    let description = validate::optional_text(&mut p, "description", input.description.as_deref(), 10_000);
    let assignee_id = id_ref(&mut p, "assignee_id", input.assignee_id.as_deref());
    let queue_id = id_ref(&mut p, "queue_id", input.queue_id.as_deref());
    let (external_source, external_id) = match (input.external_source.as_deref(), input.external_id.as_deref()) {
        (Some(s), Some(i)) => (
            Some(validate::code(&mut p, "external_source", s)),
            Some(validate::required_text(&mut p, "external_id", i, 100)),
        ),
        (None, None) => (None, None),
        _ => {
            p.push("external_id", "incomplete", "external_source and external_id go together");
            (None, None)
        }
    };
    p.into_result(())?;
    refs::ensure_division_in_reach(reach, "division_id", &division_id)?;
    refs::ensure_division(conn, "division_id", &division_id)?;
    if let Some(branch) = &branch_id {
        refs::ensure_branch(conn, "branch_id", branch, &division_id)?;
    }
    category::ensure_live(conn, "category_id", &category_id)?;
    let customer_id = linked(conn, customers_reach, customer_id.as_deref(), asset_id.as_deref())?;
    if let Some(assignee) = &assignee_id {
        refs::ensure_division_member(conn, "assignee_id", assignee, &division_id)?;
    }
    ensure_external_free(conn, external_source.as_deref(), external_id.as_deref())?;
    let custom =
        custom_field::validate(conn, Entity::Ticket, std::slice::from_ref(&division_id), &input.custom_fields, true)?;
    let queue_id = queue::destination(conn, &division_id, &category_id, input.channel, queue_id.as_deref())?;
    let priority = input.priority.unwrap_or(Priority::Normal);
    let now = time::now();
    // The calendar the ticket is measured on, fixed now; its SLA clock runs on it too.
    let basis = Basis::for_new_ticket(conn, branch_id.as_deref(), &division_id)?;
    let clock = sla::clock::plan(conn, &division_id, priority, now, basis.known())?;
    // The two row locks of a create, the queue's turn and the division's
    // number, are taken last: on PostgreSQL they are held until commit and
    // make concurrent creates in a queue wait on each other.
    let assignee_id = queue::assignee_in(conn, queue_id.as_deref(), assignee_id.as_deref())?;
    let id = ids::new_id();
    let row = TicketRow {
        id: id.clone(),
        number: next_number(conn, &division_id)?,
        division_id,
        branch_id,
        queue_id,
        customer_id,
        asset_id,
        lead_id: None,
        category_id,
        priority: priority.as_str().to_owned(),
        channel: input.channel.as_str().to_owned(),
        subject,
        description,
        status: TicketStatus::New.as_str().to_owned(),
        assignee_id,
        created_by: actor(reach),
        first_responded_at: None,
        resolved_at: None,
        closed_at: None,
        reopen_count: 0,
        agent_touches: 0,
        first_contact_resolution: None,
        external_source,
        external_id,
        version: 1,
        created_at: now,
        updated_at: now,
        archived_at: None,
        calendar_id: basis.calendar_id,
        business_day_seconds: basis.business_day_seconds,
        first_response_business_seconds: None,
        resolution_business_seconds: None,
    };
    diesel::insert_into(tickets::table).values(&row).execute(conn)?;
    record_status(conn, &id, None, TicketStatus::New, actor(reach), now)?;
    if let Some(clock) = clock {
        sla::clock::start(conn, &id, clock)?;
    }
    custom_field::store(conn, &id, &custom)?;
    let created = reload(conn, &id)?;
    audit::record(conn, ctx, ENTITY, &id, Action::Created, None, Some(&created))?;
    notify_assignee(conn, &created, actor(reach).as_deref())?;
    Ok(created)
}

fn ensure_external_free(conn: &mut Conn, source: Option<&str>, id: Option<&str>) -> Result<()> {
    let (Some(source), Some(id)) = (source, id) else { return Ok(()) };
    let holder: Option<String> = tickets::table
        .filter(tickets::external_source.eq(source))
        .filter(tickets::external_id.eq(id))
        .select(tickets::id)
        .first(conn)
        .optional()?;
    match holder {
        Some(h) => Err(Error::Duplicate(vec![FieldError::new(
            "external_id",
            "duplicate",
            format!("{source} id {id} already belongs to ticket {h}"),
        )])),
        None => Ok(()),
    }
}

/// Applies `changes` to ticket `id` at `version`. A new assignee must work
/// in the ticket's division and is notified.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    customers_reach: Option<&Reach>,
    id: &str,
    version: i64,
    changes: UpdateTicket,
) -> Result<TicketResponse> {
    let row = find_row(conn, reach, id)?;
    let mut p = Problems::new();
    let opt = |p: &mut Problems, field: &str, change: &Option<Option<String>>, current: &Option<String>| match change {
        Some(v) => id_ref(p, field, v.as_deref()),
        None => current.clone(),
    };
    let branch_id = opt(&mut p, "branch_id", &changes.branch_id, &row.branch_id);
    let customer_id = opt(&mut p, "customer_id", &changes.customer_id, &row.customer_id);
    let asset_id = opt(&mut p, "asset_id", &changes.asset_id, &row.asset_id);
    let assignee_id = opt(&mut p, "assignee_id", &changes.assignee_id, &row.assignee_id);
    let category_id = changes.category_id.as_deref().map(|c| validate::id_ref(&mut p, "category_id", c));
    let queue_id = changes.queue_id.as_deref().map(|q| validate::id_ref(&mut p, "queue_id", q));
    let subject = changes.subject.as_deref().map(|s| validate::required_text(&mut p, "subject", s, 200));
    let description = match &changes.description {
        Some(d) => validate::optional_text(&mut p, "description", d.as_deref(), 10_000),
        None => row.description.clone(),
    };
    p.into_result(())?;
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    if branch_id != row.branch_id
        && let Some(branch) = &branch_id
    {
        refs::ensure_branch(conn, "branch_id", branch, &row.division_id)?;
    }
    if let Some(category) = &category_id {
        category::ensure_live(conn, "category_id", category)?;
    }
    let queue_id = match queue_id {
        Some(q) => Some(queue::live_queue_of(conn, &row.division_id, &q)?),
        None => row.queue_id.clone(),
    };
    let customer_id = if customer_id != row.customer_id || asset_id != row.asset_id {
        linked(conn, customers_reach, customer_id.as_deref(), asset_id.as_deref())?
    } else {
        customer_id
    };
    let reassigned = assignee_id != row.assignee_id;
    if reassigned && let Some(assignee) = &assignee_id {
        refs::ensure_division_member(conn, "assignee_id", assignee, &row.division_id)?;
    }
    let custom = match &changes.custom_fields {
        Some(values) => {
            Some(custom_field::validate(conn, Entity::Ticket, std::slice::from_ref(&row.division_id), values, false)?)
        }
        None => None,
    };
    let before = reload(conn, id)?;
    let now = time::now();
    let updated = diesel::update(tickets::table.filter(tickets::id.eq(id)).filter(tickets::version.eq(version)))
        .set((
            tickets::branch_id.eq(branch_id),
            tickets::queue_id.eq(queue_id),
            tickets::customer_id.eq(customer_id),
            tickets::asset_id.eq(asset_id),
            tickets::category_id.eq(category_id.unwrap_or(row.category_id)),
            tickets::priority.eq(changes.priority.map_or(row.priority, |v| v.as_str().to_owned())),
            tickets::subject.eq(subject.unwrap_or(row.subject)),
            tickets::description.eq(description),
            tickets::assignee_id.eq(assignee_id),
            tickets::version.eq(version + 1),
            tickets::updated_at.eq(now),
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
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    if reassigned {
        notify_assignee(conn, &after, actor(reach).as_deref())?;
    }
    Ok(after)
}

/// What a sales ticket hands to the pipeline: the ticket, checked to be a
/// sales inquiry with a customer, within `reach`.
pub fn for_lead_handover(conn: &mut Conn, reach: &Reach, id: &str) -> Result<TicketResponse> {
    let ticket = get(conn, reach, id)?;
    if ticket.lead_id.is_none() {
        let kind = category::get(conn, &ticket.category_id)?.kind;
        if kind != crate::kinds::CategoryKind::Sales {
            return Err(Error::invalid(
                "category_id",
                "not_sales",
                "only a sales inquiry is handed to the pipeline; recategorise the ticket first",
            ));
        }
        if ticket.customer_id.is_none() {
            return Err(Error::invalid("customer_id", "required", "link the customer before handing the inquiry over"));
        }
    }
    Ok(ticket)
}

/// Records that ticket `id` was handed to lead `lead_id` (audited).
pub fn link_lead(conn: &mut Conn, ctx: &WriteContext, id: &str, lead_id: &str) -> Result<TicketResponse> {
    let before = reload(conn, id)?;
    diesel::update(tickets::table.filter(tickets::id.eq(id)))
        .set((
            tickets::lead_id.eq(lead_id),
            tickets::version.eq(before.version + 1),
            tickets::updated_at.eq(time::now()),
        ))
        .execute(conn)?;
    let after = reload(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    Ok(after)
}

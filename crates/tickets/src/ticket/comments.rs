//! Public replies and internal notes on a ticket. The first public reply by
//! an agent is the ticket's first response (and takes a `new` ticket to
//! `open`; its business time is stored with the ticket); every public agent
//! reply is an agent touch, which first-contact resolution counts. Replies
//! move the SLA's response clock: an agent's meets it, a customer's after an
//! agent's starts it again.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::{ticket_comments, tickets};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::principal::Reach;
use rapport_core::{Error, Problems, Result, ids, time, validate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::business_times::{Basis, basis_of};
use super::store::{ENTITY, actor, find_row, record_status, reload};
use crate::kinds::TicketStatus;
use crate::sla;

/// Who can read a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// A reply the customer sees.
    Public,
    /// A note for staff only.
    Internal,
}

/// Who wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    /// Staff.
    Agent,
    /// The customer (e.g. a reply relayed from e-mail or WhatsApp).
    Customer,
}

/// A new comment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"visibility": "public", "body": "We have booked you in for Thursday 10:00."}))]
pub struct CreateComment {
    /// `public` or `internal`.
    pub visibility: Visibility,
    /// The text, at most 20,000 characters.
    pub body: String,
    /// `agent` (default) or `customer`; a customer's comment is public.
    #[serde(default)]
    pub author_kind: Option<AuthorKind>,
}

/// A comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommentResponse {
    /// Id.
    pub id: String,
    /// The ticket.
    pub ticket_id: String,
    /// The writer (none: an integration or the system).
    pub author_id: Option<String>,
    /// Agent or customer.
    pub author_kind: AuthorKind,
    /// Public or internal.
    pub visibility: Visibility,
    /// The text.
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ticket_comments)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct CommentRow {
    id: String,
    ticket_id: String,
    author_id: Option<String>,
    visibility: String,
    author_kind: String,
    body: String,
    created_at: chrono::NaiveDateTime,
}

fn response(row: CommentRow) -> CommentResponse {
    CommentResponse {
        visibility: if row.visibility == "internal" { Visibility::Internal } else { Visibility::Public },
        author_kind: if row.author_kind == "customer" { AuthorKind::Customer } else { AuthorKind::Agent },
        id: row.id,
        ticket_id: row.ticket_id,
        author_id: row.author_id,
        body: row.body,
        created_at: time::utc(row.created_at),
    }
}

/// Adds a comment to ticket `id` within `reach`.
pub fn add(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    input: CreateComment,
) -> Result<CommentResponse> {
    let ticket = find_row(conn, reach, id)?;
    let mut p = Problems::new();
    let body = validate::required_text(&mut p, "body", &input.body, 20_000);
    let author_kind = input.author_kind.unwrap_or(AuthorKind::Agent);
    if author_kind == AuthorKind::Customer && input.visibility == Visibility::Internal {
        p.push("visibility", "not_allowed", "a customer's comment is public");
    }
    p.into_result(())?;
    let status = TicketStatus::parse(&ticket.status)
        .ok_or_else(|| Error::Internal(format!("stored status {}", ticket.status)))?;
    let now = time::now();
    let row = CommentRow {
        id: ids::new_id(),
        ticket_id: id.to_owned(),
        author_id: actor(reach),
        visibility: match input.visibility {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
        }
        .to_owned(),
        author_kind: match author_kind {
            AuthorKind::Agent => "agent",
            AuthorKind::Customer => "customer",
        }
        .to_owned(),
        body,
        created_at: now,
    };
    diesel::insert_into(ticket_comments::table).values(&row).execute(conn)?;
    if author_kind == AuthorKind::Agent && input.visibility == Visibility::Public {
        let before = reload(conn, id)?;
        let opens = status == TicketStatus::New;
        // The first one is the first response, measured on the ticket's
        // calendar (loaded once, for the SLA clock too).
        let first = match ticket.first_responded_at {
            None => Some(basis_of(conn, &ticket.placement())?),
            Some(_) => None,
        };
        let (calendar_id, business_day_seconds, first_response_seconds) = match &first {
            Some(basis) => {
                (basis.calendar_id.clone(), basis.business_day_seconds, Some(basis.seconds(ticket.created_at, now)))
            }
            None => (ticket.calendar_id.clone(), ticket.business_day_seconds, ticket.first_response_business_seconds),
        };
        diesel::update(tickets::table.filter(tickets::id.eq(id)))
            .set((
                tickets::first_responded_at.eq(ticket.first_responded_at.or(Some(now))),
                tickets::first_response_business_seconds.eq(first_response_seconds),
                tickets::calendar_id.eq(calendar_id),
                tickets::business_day_seconds.eq(business_day_seconds),
                tickets::agent_touches.eq(ticket.agent_touches + 1),
                tickets::status.eq(if opens { TicketStatus::Open.as_str() } else { ticket.status.as_str() }),
                tickets::version.eq(ticket.version + 1),
                tickets::updated_at.eq(now),
            ))
            .cached()
            .execute(conn)?;
        if opens {
            record_status(conn, id, Some(status), TicketStatus::Open, actor(reach), now)?;
        }
        sla::clock::agent_replied(conn, id, now, first.as_ref().map(Basis::known))?;
        let after = reload(conn, id)?;
        audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    }
    if author_kind == AuthorKind::Customer {
        sla::clock::customer_replied(conn, id, now)?;
    }
    let created = response(row);
    audit::record(conn, ctx, "ticket_comment", &created.id, Action::Created, None, Some(&created))?;
    Ok(created)
}

/// Every comment on ticket `id`, oldest first (a ticket's thread is read
/// whole; internal notes included for staff).
pub fn list(conn: &mut Conn, reach: &Reach, id: &str) -> Result<Vec<CommentResponse>> {
    find_row(conn, reach, id)?;
    let rows: Vec<CommentRow> = ticket_comments::table
        .filter(ticket_comments::ticket_id.eq(id))
        .order((ticket_comments::created_at.asc(), ticket_comments::id.asc()))
        .select(CommentRow::as_select())
        .limit(5_000)
        .load(conn)?;
    Ok(rows.into_iter().map(response).collect())
}

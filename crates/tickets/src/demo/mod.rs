//! The demo service desk: [`DEMO_TICKETS`] Motors after-sales tickets over
//! the past year at the after-sales branch, for the demo customers and
//! mostly their vehicles, with their threads, status histories, calls,
//! SLA clocks and CSAT surveys; plus a few tickets logged in the last days
//! whose deadlines are near, so the at-risk view has something to show.
//!
//! Like the demo leads, the tickets are written as rows with backdated
//! times rather than through `ticket::store::create` and friends, which
//! stamp "now" and would leave tens of thousands of audit entries claiming
//! every ticket was created, answered and resolved at seeding time. The rows
//! obey the rules those functions enforce: numbers from `ticket_counters`
//! in creation order, gap-free status histories along the allowed flow,
//! the first public agent reply as the first response, `agent_touches` and
//! the first-contact flag as `ticket::status` sets them, the business-time
//! measurements as `ticket::business_times` takes them, and SLA clocks
//! computed by `sla::clock::refresh` from the written history. Not audited.

mod plan;
mod story;
mod text;
mod write;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::db::schema::{divisions, ticket_categories, ticket_counters, ticket_queue_members, tickets, users};
use rapport_core::{Error, Result};

use crate::kinds::{CategoryKind, Priority};
use crate::sla;
use crate::ticket::business_times::Basis;

/// How many tickets the past year holds (besides the at-risk ones of the
/// last days): about eight a working day at one branch.
pub const DEMO_TICKETS: u64 = 2000;

/// Resolved tickets close this long after their resolution, as the desk's
/// default auto-close setting does.
const AUTO_CLOSE_DAYS: i64 = 7;

/// A demo vehicle a ticket can be about.
#[derive(Debug, Clone)]
pub struct DemoAsset {
    /// Asset id.
    pub id: String,
    /// How the customer names it, e.g. "Toyota Corolla LAG 123 AE".
    pub label: String,
    /// Bought on: no ticket is about it before.
    pub purchased_on: Option<NaiveDate>,
}

/// A demo customer who logs tickets.
#[derive(Debug, Clone)]
pub struct DemoCustomer {
    /// Customer id.
    pub id: String,
    /// Companies run fleets and call more often.
    pub company: bool,
    /// Their vehicles.
    pub assets: Vec<DemoAsset>,
}

/// Where the demo tickets go.
#[derive(Debug)]
pub struct Setup<'a> {
    /// The Motors division.
    pub division_id: &'a str,
    /// The after-sales branch (its calendar times the SLAs).
    pub branch_id: &'a str,
    /// The after-sales queue; its active agents get the tickets in turn.
    pub queue_id: &'a str,
    /// Who logs tickets that arrive by phone and messaging (the call centre).
    pub logged_by: Option<&'a str>,
    /// The customers; at least one.
    pub customers: &'a [DemoCustomer],
    /// The seeding instant: tickets are spread over the year before it.
    pub now: NaiveDateTime,
}

/// What the demo needs from the database, read once.
pub(crate) struct Desk {
    pub code: String,
    pub agents: Vec<String>,
    pub categories: Vec<(CategoryKind, String)>,
    /// The branch's calendar: the SLA clocks run on it and the tickets are measured on it.
    pub basis: Basis,
    /// (priority, policy id, first response minutes, resolution minutes, warn percent).
    pub policies: Vec<(Priority, String, i32, i32, i32)>,
}

impl Desk {
    pub(crate) fn category(&self, kind: CategoryKind) -> Option<&str> {
        self.categories.iter().find(|(k, _)| *k == kind).map(|(_, id)| id.as_str())
    }

    pub(crate) fn policy(&self, priority: Priority) -> Option<&(Priority, String, i32, i32, i32)> {
        self.policies.iter().find(|p| p.0 == priority)
    }
}

/// Writes the demo tickets unless the division has tickets already:
/// running it again changes nothing.
pub fn seed(conn: &mut Conn, setup: &Setup<'_>) -> Result<()> {
    let existing: i64 = tickets::table.filter(tickets::division_id.eq(setup.division_id)).count().get_result(conn)?;
    if existing > 0 {
        return Ok(());
    }
    if setup.customers.is_empty() {
        return Err(Error::Internal("demo tickets need the demo customers".to_owned()));
    }
    let desk = desk(conn, setup)?;
    let plans = plan::plans(&desk, setup);
    let mut number: i64 = ticket_counters::table
        .filter(ticket_counters::division_id.eq(setup.division_id))
        .select(ticket_counters::last_number)
        .first(conn)
        .optional()?
        .unwrap_or(0);
    for p in &plans {
        number += 1;
        write::ticket(conn, &desk, setup, p, &format!("{}-{number:06}", desk.code))?;
    }
    rapport_core::per_backend!(&mut *conn, c => diesel::insert_into(ticket_counters::table)
        .values((ticket_counters::division_id.eq(setup.division_id), ticket_counters::last_number.eq(number)))
        .on_conflict(ticket_counters::division_id)
        .do_update()
        .set(ticket_counters::last_number.eq(number))
        .execute(c))?;
    Ok(())
}

fn desk(conn: &mut Conn, setup: &Setup<'_>) -> Result<Desk> {
    let code: String =
        divisions::table.filter(divisions::id.eq(setup.division_id)).select(divisions::code).first(conn)?;
    let agents: Vec<String> = ticket_queue_members::table
        .inner_join(users::table.on(users::id.eq(ticket_queue_members::user_id)))
        .filter(ticket_queue_members::queue_id.eq(setup.queue_id))
        .filter(ticket_queue_members::role.eq("agent"))
        .filter(ticket_queue_members::active.eq(true))
        .filter(users::active.eq(true))
        .order(ticket_queue_members::position)
        .select(ticket_queue_members::user_id)
        .load(conn)?;
    if agents.is_empty() {
        return Err(Error::Internal("the demo queue has no active agent".to_owned()));
    }
    let rows: Vec<(String, String)> = ticket_categories::table
        .filter(ticket_categories::archived_at.is_null())
        .order((ticket_categories::position, ticket_categories::id))
        .select((ticket_categories::kind, ticket_categories::id))
        .load(conn)?;
    let mut categories = Vec::new();
    for (kind, id) in rows {
        if let Some(kind) = CategoryKind::parse(&kind).filter(|k| !categories.iter().any(|(c, _)| c == k)) {
            categories.push((kind, id));
        }
    }
    let basis = Basis::for_new_ticket(conn, Some(setup.branch_id), setup.division_id)?;
    let mut policies = Vec::new();
    for priority in [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent] {
        if let Some(p) = sla::policy::for_ticket(conn, setup.division_id, priority)? {
            policies.push((priority, p.id, p.first_response_minutes, p.resolution_minutes, p.warn_percent));
        }
    }
    Ok(Desk { code, agents, categories, basis, policies })
}

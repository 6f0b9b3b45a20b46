//! The demo service desk's tickets, checked row by row after the demo was
//! seeded (by `operations::demo_data_loads_once`, which seeds it twice).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rapport_core::calendar::business::BusinessCalendar;
use rapport_core::calendar::store::effective_calendar_id;
use rapport_core::db::schema::{
    csat_surveys as cs, interactions, ticket_comments as tc, ticket_counters, ticket_queue_members as qm,
    ticket_slas as sla, ticket_status_history as h, tickets as t,
};
use rapport_tickets::TicketStatus;
use rapport_tickets::ticket::status::first_contact;

use crate::support::TestApp;

type Ticket = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<bool>,
    i32,
    i32,
    NaiveDateTime,
    Option<String>,
);

fn status(s: &str) -> TicketStatus {
    TicketStatus::parse(s).unwrap_or_else(|| panic!("stored status {s}"))
}

/// A year of Motors tickets: numbered in creation order, in the after-sales
/// queue, with histories along the flow, first responses, FCR flags by the
/// rule, SLA clocks, calls and surveys; and some at risk.
pub async fn demo_tickets_are_consistent(app: &TestApp, motors: &str, queue_id: &str) {
    let mut conn = app.db().read().expect("conn");
    let rows: Vec<Ticket> = t::table
        .filter(t::division_id.eq(motors))
        .order((t::created_at, t::number))
        .select((
            t::id,
            t::number,
            t::status,
            t::assignee_id,
            t::queue_id,
            t::first_responded_at,
            t::resolved_at,
            t::first_contact_resolution,
            t::agent_touches,
            t::reopen_count,
            t::created_at,
            t::asset_id,
        ))
        .load(&mut *conn)
        .expect("tickets");
    assert!((1500..=2600).contains(&rows.len()), "{} demo tickets", rows.len());
    let counter: i64 = ticket_counters::table
        .filter(ticket_counters::division_id.eq(motors))
        .select(ticket_counters::last_number)
        .first(&mut *conn)
        .expect("counter");
    assert_eq!(counter, rows.len() as i64, "the counter is at the last number");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.1, format!("MOT-{:06}", i + 1), "numbered in creation order");
    }
    let agents: Vec<String> = qm::table
        .filter(qm::queue_id.eq(queue_id))
        .filter(qm::role.eq("agent"))
        .select(qm::user_id)
        .load(&mut *conn)
        .expect("agents");
    assert!(rows.iter().all(|r| r.4.as_deref() == Some(queue_id)), "all in the after-sales queue");
    assert!(rows.iter().all(|r| r.3.as_ref().is_some_and(|a| agents.contains(a))), "assigned to queue agents");
    let with_asset = rows.iter().filter(|r| r.11.is_some()).count();
    assert!(with_asset * 10 > rows.len() * 6, "mostly about a vehicle ({with_asset})");

    let history: Vec<(String, Option<String>, String, NaiveDateTime)> = h::table
        .inner_join(t::table)
        .filter(t::division_id.eq(motors))
        .select((h::ticket_id, h::from_status, h::to_status, h::changed_at))
        .order((h::ticket_id, h::changed_at, h::id))
        .load(&mut *conn)
        .expect("history");
    let mut by_ticket: HashMap<&str, Vec<_>> = HashMap::new();
    for change in &history {
        by_ticket.entry(change.0.as_str()).or_default().push(change);
    }
    let replies: Vec<(String, NaiveDateTime)> = tc::table
        .inner_join(t::table)
        .filter(t::division_id.eq(motors))
        .filter(tc::visibility.eq("public"))
        .filter(tc::author_kind.eq("agent"))
        .select((tc::ticket_id, tc::created_at))
        .order((tc::ticket_id, tc::created_at))
        .load(&mut *conn)
        .expect("replies");
    let mut first_reply: HashMap<&str, NaiveDateTime> = HashMap::new();
    let mut reply_count: HashMap<&str, i32> = HashMap::new();
    for (id, at) in &replies {
        first_reply.entry(id.as_str()).or_insert(*at);
        *reply_count.entry(id.as_str()).or_default() += 1;
    }
    let calls: Vec<(Option<String>, Option<i32>)> = interactions::table
        .filter(interactions::ticket_id.is_not_null())
        .select((interactions::ticket_id, interactions::duration_seconds))
        .load(&mut *conn)
        .expect("calls");
    assert!(calls.len() > 100 && calls.iter().all(|c| c.1.is_some_and(|d| d > 0)), "{} timed calls", calls.len());
    let mut calls_of: HashMap<&str, i32> = HashMap::new();
    for (id, _) in &calls {
        *calls_of.entry(id.as_deref().unwrap_or_default()).or_default() += 1;
    }

    let (mut resolved, mut fcr, mut reopened, mut resolutions) = (0, 0, 0, 0);
    for (id, number, current, .., first_responded, resolved_at, flag, touches, reopens, created, _) in &rows {
        let changes = by_ticket.get(id.as_str()).expect("every ticket has a history");
        assert_eq!((changes[0].1.as_deref(), changes[0].2.as_str(), changes[0].3), (None, "new", *created), "{number}");
        for pair in changes.windows(2) {
            assert_eq!(pair[1].1.as_deref(), Some(pair[0].2.as_str()), "{number}: gap-free history");
            assert!(pair[0].3 < pair[1].3, "{number}: changes in time order");
            assert!(status(&pair[0].2).may_become(status(&pair[1].2)), "{number}: {} -> {}", pair[0].2, pair[1].2);
        }
        assert_eq!(changes[changes.len() - 1].2, *current, "{number}: the history ends in the status");
        resolutions += changes.iter().filter(|c| c.2 == "resolved").count();
        assert_eq!(*first_responded, first_reply.get(id.as_str()).copied(), "{number}: first response");
        assert_eq!(*touches, reply_count.get(id.as_str()).copied().unwrap_or(0), "{number}: agent touches");
        if matches!(status(current), TicketStatus::Resolved | TicketStatus::Closed) {
            resolved += 1;
            let last_resolution = changes.iter().rev().find(|c| c.2 == "resolved").map(|c| c.3);
            assert_eq!(*resolved_at, last_resolution, "{number}: resolved_at");
            // The same flag whether or not logged calls count as touches.
            let calls = calls_of.get(id.as_str()).copied().unwrap_or(0);
            for with in [*touches, touches + calls] {
                #[allow(clippy::useless_conversion, reason = "i32 today, i64 once calls count as touches")]
                let with = with.into();
                assert_eq!(*flag, Some(first_contact(with, *reopens)), "{number}: FCR flag");
            }
            fcr += usize::from(*flag == Some(true));
            reopened += usize::from(*reopens > 0);
        } else {
            assert_eq!((*resolved_at, *flag), (None, None), "{number}: unresolved");
        }
    }
    assert!(resolved * 10 > rows.len() * 9, "{resolved} of {} resolved", rows.len());
    assert!((resolved / 5..=resolved * 3 / 5).contains(&fcr), "FCR {fcr} of {resolved}");
    assert!(reopened > 10, "{reopened} reopened");

    // Business times on the branch's calendar, as the domain functions
    // measure them: logging to the first response and to the last resolution.
    let branch: Option<String> =
        t::table.filter(t::division_id.eq(motors)).select(t::branch_id).first(&mut *conn).expect("branch");
    let calendar_id = effective_calendar_id(&mut conn, branch.as_deref(), motors).expect("calendar");
    let cal = match &calendar_id {
        Some(id) => BusinessCalendar::load(&mut conn, id).expect("calendar"),
        None => BusinessCalendar::round_the_clock(),
    };
    let day = cal.business_day().map(|d| i32::try_from(d.num_seconds()).expect("seconds"));
    let business = |from: NaiveDateTime, to: NaiveDateTime| cal.between(from.and_utc(), to.and_utc()).num_seconds();
    type Measured = (Option<String>, Option<i32>, Option<i64>, Option<i64>);
    let measured: HashMap<String, Measured> = t::table
        .filter(t::division_id.eq(motors))
        .select((
            t::id,
            (
                t::calendar_id,
                t::business_day_seconds,
                t::first_response_business_seconds,
                t::resolution_business_seconds,
            ),
        ))
        .load::<(String, Measured)>(&mut *conn)
        .expect("measurements")
        .into_iter()
        .collect();
    for (id, number, .., first_responded, resolved_at, _, _, _, created, _) in &rows {
        let expected = (
            calendar_id.clone(),
            day,
            first_responded.map(|at| business(*created, at)),
            resolved_at.map(|at| business(*created, at)),
        );
        assert_eq!(measured[id], expected, "{number}: business times");
    }

    let clocks: Vec<(String, String, Option<NaiveDateTime>, bool)> = sla::table
        .inner_join(t::table)
        .filter(t::division_id.eq(motors))
        .select((sla::ticket_id, sla::clock, sla::resolution_due_at, sla::resolution_breached))
        .load(&mut *conn)
        .expect("clocks");
    assert_eq!(clocks.len(), rows.len(), "every ticket has an SLA clock");
    let status_of: HashMap<&str, &str> = rows.iter().map(|r| (r.0.as_str(), r.2.as_str())).collect();
    for (id, clock, due, _) in &clocks {
        let expected = match status(status_of[id.as_str()]) {
            TicketStatus::New | TicketStatus::Open => "running",
            TicketStatus::Pending => "paused",
            TicketStatus::Resolved | TicketStatus::Closed => "stopped",
        };
        assert_eq!(clock, expected, "ticket {id}: clock");
        assert!(clock == "paused" || due.is_some(), "ticket {id}: a resolution due time");
    }
    let late = clocks.iter().filter(|c| c.3).count();
    assert!(late > 0 && late * 4 < clocks.len(), "{late} resolutions late of {}", clocks.len());

    let surveys: Vec<(Option<i32>, Option<NaiveDateTime>)> = cs::table
        .inner_join(t::table)
        .filter(t::division_id.eq(motors))
        .select((cs::rating, cs::responded_at))
        .load(&mut *conn)
        .expect("surveys");
    drop(conn);
    assert_eq!(surveys.len(), resolutions, "a survey per resolution");
    let answered: Vec<i32> = surveys.iter().filter_map(|s| s.0).collect();
    assert!(surveys.iter().all(|s| s.0.is_some() == s.1.is_some()));
    assert!((surveys.len() * 3 / 10..=surveys.len() / 2).contains(&answered.len()), "{} answered", answered.len());
    let satisfied = answered.iter().filter(|r| **r >= 4).count();
    assert!((answered.len() * 55 / 100..=answered.len() * 75 / 100).contains(&satisfied), "CSAT {satisfied}");

    // Deadlines near now: the at-risk view over the coming week has some.
    let at_risk = app.get(&format!("/api/v1/tickets?division_id={motors}&sla=at_risk&due_within_minutes=10080")).await;
    let listed = at_risk.body["data"].as_array().map_or(0, Vec::len);
    assert!(listed >= 5, "{listed} at risk: {:?}", at_risk.body);
}

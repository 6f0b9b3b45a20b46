//! Synthetic tickets at benchmark scale (200,000 tickets, a million
//! comments), written with set-based SQL as `rapport_leads::synthetic`
//! does: through the domain functions it would take hours. Not audited, and
//! the SLA rows are not computed by `sla::clock`: due times are set in
//! wall-clock minutes so that the at-risk and breached views have a
//! realistic selectivity. Test data for a database that holds no real
//! tickets, not history.
//!
//! Ticket `n` has id [`ticket_id`]`(n)` and the division's next number; its
//! status comes from `n % 10`: 0 `new` (first response owed), 1 `open`,
//! 2 `pending` — those 30 % logged in the ten days before `now` — 3
//! `resolved`, 4–9 `closed`, spread over the year before. The running clocks
//! (`new`, `open`) fall due across the ten days either side of `now`: the
//! past half flagged breached, and about one in 120 due in the next four
//! hours (the at-risk view's default). Each ticket has
//! [`COMMENTS_PER_TICKET`] comments (a first public reply, customer replies,
//! an internal note, a second reply; notes only on `new` tickets) and the
//! status history of its way to its status. Agents take tickets in turn.
//! Every resolved or closed ticket has a CSAT survey sent when it was
//! resolved; six in seven are answered a day later, ratings 1–5 in turn
//! (140k surveys, 120k answers at 200k tickets).
//!
//! The business-time measurements are real: each chunk's first responses
//! and resolutions are measured on the branch's calendar (loaded once) by
//! the same code as the backfill, right after the chunk is written.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::db::schema::{divisions, ticket_counters};
use rapport_core::{Error, Result};

use crate::kinds::Priority;
use crate::sla::policy;
use crate::ticket::business_times::{self, Basis};

/// Comments per synthetic ticket.
pub const COMMENTS_PER_TICKET: u64 = 5;
/// Tickets written per statement.
const CHUNK: u64 = 20_000;
/// Tickets measured per batch (read, measured, then written).
const MEASURE_BATCH: i64 = 5_000;

/// Where the synthetic tickets go.
#[derive(Debug)]
pub struct Setup<'a> {
    /// Their division (numbers continue its counter).
    pub division_id: &'a str,
    /// Their branch.
    pub branch_id: &'a str,
    /// Their queue.
    pub queue_id: &'a str,
    /// Assignees, in turn; at least one.
    pub agent_ids: &'a [String],
    /// Categories, in turn; at least one.
    pub category_ids: &'a [String],
    /// "Now" for creation dates and due times.
    pub now: NaiveDateTime,
}

/// The id of synthetic ticket `n`.
pub fn ticket_id(n: u64) -> String {
    format!("00000000-0000-7000-8009-{n:012}")
}

/// Writes `count` tickets with their comments, status histories and SLA
/// rows, in chunks of [`CHUNK`] tickets per transaction, numbered after the
/// division's last number; `progress` hears how many are written after
/// each chunk.
pub fn generate(conn: &mut Conn, setup: &Setup<'_>, count: u64, mut progress: impl FnMut(u64)) -> Result<()> {
    if setup.agent_ids.is_empty() || setup.category_ids.is_empty() {
        return Err(Error::Internal("synthetic tickets need an agent and a category".to_owned()));
    }
    let postgres = matches!(conn, Conn::Postgres(_));
    let code: String =
        divisions::table.filter(divisions::id.eq(setup.division_id)).select(divisions::code).first(conn)?;
    let base: i64 = ticket_counters::table
        .filter(ticket_counters::division_id.eq(setup.division_id))
        .select(ticket_counters::last_number)
        .first(conn)
        .optional()?
        .unwrap_or(0);
    let mut policies = Vec::new();
    for priority in [Priority::Urgent, Priority::High, Priority::Normal, Priority::Low] {
        let p = policy::for_ticket(conn, setup.division_id, priority)?
            .ok_or_else(|| Error::Internal(format!("no SLA policy for {} tickets", priority.as_str())))?;
        policies.push((p.id, p.first_response_minutes, p.resolution_minutes, p.warn_percent));
    }
    let basis = Basis::for_new_ticket(conn, Some(setup.branch_id), setup.division_id)?;
    let sql = Sql {
        postgres,
        setup,
        code,
        base,
        policies,
        calendar_id: basis.calendar_id.clone(),
        business_day_seconds: basis.business_day_seconds,
    };
    let mut start = 0;
    while start < count {
        let end = (start + CHUNK).min(count);
        conn.transaction(|conn| {
            for statement in sql.statements(start, end) {
                diesel::sql_query(statement).execute(conn)?;
            }
            Ok::<_, Error>(())
        })?;
        business_times::backfill_on(conn, basis.clone(), MEASURE_BATCH)?;
        rapport_core::db::truncate_wal(conn)?;
        progress(end);
        start = end;
    }
    let last = base + i64::try_from(count).map_err(|_| Error::Internal("too many tickets".to_owned()))?;
    rapport_core::per_backend!(&mut *conn, c => diesel::insert_into(ticket_counters::table)
        .values((ticket_counters::division_id.eq(setup.division_id), ticket_counters::last_number.eq(last)))
        .on_conflict(ticket_counters::division_id)
        .do_update()
        .set(ticket_counters::last_number.eq(last))
        .execute(c))?;
    Ok(())
}

fn stamp(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `CASE expr WHEN 0 THEN 'a' WHEN 1 THEN 'b' … END` over `values`.
fn pick(expr: &str, values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
    pick_raw(expr, &quoted)
}

/// [`pick`] over SQL expressions (numbers), unquoted.
fn pick_raw(expr: &str, values: &[String]) -> String {
    let arms: String = values.iter().enumerate().map(|(i, v)| format!(" WHEN {i} THEN {v}")).collect();
    format!("(CASE ({expr}) % {}{arms} END)", values.len().max(1))
}

/// The SQL of one chunk, per backend.
struct Sql<'a> {
    postgres: bool,
    setup: &'a Setup<'a>,
    code: String,
    base: i64,
    /// Policies (id, response and resolution minutes, warn percent): urgent, high, normal, low.
    policies: Vec<(String, i32, i32, i32)>,
    calendar_id: Option<String>,
    business_day_seconds: Option<i32>,
}

impl Sql<'_> {
    /// The calendar id as an SQL literal.
    fn calendar_literal(&self) -> String {
        self.calendar_id.as_deref().map_or_else(|| "NULL".to_owned(), |c| format!("'{c}'"))
    }

    fn series(&self, from: u64, to: u64) -> String {
        if self.postgres {
            // BIGINT: `n * 104729` overflows a 32-bit integer.
            format!("SELECT n FROM generate_series(CAST({from} AS BIGINT), {}) AS s(n)", to - 1)
        } else {
            format!(
                "WITH RECURSIVE s(n) AS (SELECT {from} UNION ALL SELECT n + 1 FROM s WHERE n + 1 < {to}) SELECT n FROM s"
            )
        }
    }

    /// `expr` as text, zero-padded to `width` digits (never cut).
    fn pad(&self, expr: &str, width: u32) -> String {
        if self.postgres {
            format!(
                "(CASE WHEN {expr} >= 1{zeros} THEN CAST({expr} AS TEXT) ELSE lpad(CAST({expr} AS TEXT), {width}, '0') END)",
                zeros = "0".repeat(width as usize)
            )
        } else {
            format!("printf('%0{width}d', {expr})")
        }
    }

    /// `base` plus `minutes` (an SQL expression), as a timestamp.
    fn at(&self, base: NaiveDateTime, minutes: &str) -> String {
        if self.postgres {
            format!("(TIMESTAMP '{}' + ({minutes}) * INTERVAL '1 minute')", stamp(base))
        } else {
            format!("datetime('{}', '+' || ({minutes}) || ' minutes')", stamp(base))
        }
    }

    fn statements(&self, start: u64, end: u64) -> Vec<String> {
        let now = self.setup.now;
        let year_ago = now - Duration::days(365);
        let ten_days_ago = now - Duration::days(10);
        let series = self.series(start, end);
        let id = format!("'00000000-0000-7000-8009-' || {}", self.pad("n", 12));
        // Open tickets (n % 10 < 3) were logged in the ten days before now,
        // at least a day ago; the others over the year before, at least ten
        // days ago, so every step below lies in the past.
        let created_base = |m: &str| {
            format!(
                "(CASE WHEN n % 10 < 3 THEN {} ELSE {} END)",
                self.at(ten_days_ago, &format!("(n * 7919) % 12960 + {m}")),
                self.at(year_ago, &format!("(n * 7919) % 510000 + {m}"))
            )
        };
        let created = created_base("0");
        let first_reply = created_base("60");
        let resolved = created_base("2880 + n % 4000");
        let closed = created_base("12960 + n % 4000");
        let status = "(CASE n % 10 WHEN 0 THEN 'new' WHEN 1 THEN 'open' WHEN 2 THEN 'pending' \
                      WHEN 3 THEN 'resolved' ELSE 'closed' END)";
        // Urgent 10 %, high 20 %, normal 50 %, low 20 %, across every status.
        let priority_index = "(CASE (n / 10) % 10 WHEN 0 THEN 0 WHEN 1 THEN 1 WHEN 2 THEN 1 \
                              WHEN 8 THEN 3 WHEN 9 THEN 3 ELSE 2 END)";
        let priorities: Vec<String> = [Priority::Urgent, Priority::High, Priority::Normal, Priority::Low]
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect();
        let channel = "(CASE n % 7 WHEN 0 THEN 'call' WHEN 1 THEN 'whatsapp' WHEN 2 THEN 'email' WHEN 3 THEN 'walk_in' \
                       WHEN 4 THEN 'web' WHEN 5 THEN 'sms' ELSE 'social' END)";
        let s = self.setup;
        let digits = u32::max(6, (self.base.unsigned_abs() + end + 1).to_string().len() as u32);
        let tickets = format!(
            "INSERT INTO tickets (id, number, division_id, branch_id, queue_id, category_id, priority, channel, subject, \
             description, status, assignee_id, first_responded_at, resolved_at, closed_at, reopen_count, agent_touches, \
             first_contact_resolution, version, created_at, updated_at, calendar_id, business_day_seconds) \
             SELECT {id}, '{code}-' || {number}, '{division}', '{branch}', '{queue}', {category}, {priority}, {channel}, \
             'Synthetic case ' || CAST(n AS TEXT), 'A customer message for synthetic ticket ' || CAST(n AS TEXT), \
             {status}, {agent}, (CASE WHEN n % 10 > 0 THEN {first_reply} END), \
             (CASE WHEN n % 10 >= 3 THEN {resolved} END), (CASE WHEN n % 10 >= 4 THEN {closed} END), 0, \
             (CASE WHEN n % 10 = 0 THEN 0 ELSE 2 END), (CASE WHEN n % 10 >= 3 THEN FALSE END), 4, {created}, \
             (CASE WHEN n % 10 >= 4 THEN {closed} WHEN n % 10 = 3 THEN {resolved} ELSE {created} END), \
             {calendar}, {day} \
             FROM ({series}) AS r",
            code = self.code,
            number = self.pad(&format!("n + {}", self.base + 1), digits),
            division = s.division_id,
            branch = s.branch_id,
            queue = s.queue_id,
            category = pick("n / 10", s.category_ids),
            priority = pick(priority_index, &priorities),
            agent = pick("n", s.agent_ids),
            calendar = self.calendar_literal(),
            day = self.business_day_seconds.map_or_else(|| "NULL".to_owned(), |d| d.to_string()),
        );
        // History: new, then open at the first reply, then pending, or
        // resolved (and closed).
        let rows_for = "(CASE n % 10 WHEN 0 THEN 1 WHEN 1 THEN 2 WHEN 2 THEN 3 WHEN 3 THEN 3 ELSE 4 END)";
        let to_status = "(CASE WHEN k = 0 THEN 'new' WHEN k = 1 THEN 'open' WHEN k = 2 AND n % 10 = 2 THEN 'pending' \
                         WHEN k = 2 THEN 'resolved' ELSE 'closed' END)";
        let from_status =
            "(CASE WHEN k = 0 THEN NULL WHEN k = 1 THEN 'new' WHEN k = 2 THEN 'open' ELSE 'resolved' END)";
        let changed_at = format!(
            "(CASE WHEN k = 0 THEN {created} WHEN k = 1 THEN {first_reply} WHEN k = 2 AND n % 10 = 2 THEN {} \
             WHEN k = 2 THEN {resolved} ELSE {closed} END)",
            created_base("600")
        );
        let ks = |count: u64| (0..count).map(|k| format!("SELECT {k} AS k")).collect::<Vec<_>>().join(" UNION ALL ");
        let history = format!(
            "INSERT INTO ticket_status_history (id, ticket_id, from_status, to_status, changed_by, changed_at) \
             SELECT '00000000-0000-7000-800a-' || {hid}, {id}, {from_status}, {to_status}, \
             (CASE WHEN k > 0 THEN {agent} END), {changed_at} \
             FROM ({series}) AS r CROSS JOIN ({moves}) AS m WHERE k < {rows_for}",
            hid = self.pad("n * 4 + k", 12),
            agent = pick("n", s.agent_ids),
            moves = ks(4),
        );
        // Comments k: 0 and 4 the assignee's public replies (notes on a new
        // ticket, which has no first response yet), 1 and 3 the customer's, 2 a note.
        let agent_public = "(k = 0 OR k = 4) AND n % 10 > 0";
        let comments = format!(
            "INSERT INTO ticket_comments (id, ticket_id, author_id, visibility, author_kind, body, created_at) \
             SELECT '00000000-0000-7000-800b-' || {cid}, {id}, (CASE WHEN k % 2 = 0 THEN {agent} END), \
             (CASE WHEN k % 2 = 1 OR ({agent_public}) THEN 'public' ELSE 'internal' END), \
             (CASE WHEN k % 2 = 1 THEN 'customer' ELSE 'agent' END), \
             'Synthetic comment ' || CAST(k AS TEXT) || ' on ticket ' || CAST(n AS TEXT), {at} \
             FROM ({series}) AS r CROSS JOIN ({ks}) AS m",
            cid = self.pad(&format!("n * {COMMENTS_PER_TICKET} + k"), 12),
            agent = pick("n", s.agent_ids),
            at = created_base("60 * (k + 1)"),
            ks = ks(COMMENTS_PER_TICKET),
        );
        // Running clocks fall due across the ten days either side of now.
        let spread = "((n * 104729) % 28800)";
        let due = self.at(ten_days_ago, spread);
        let response_spread = "((n * 15485863) % 28800)";
        let response_due = self.at(ten_days_ago, response_spread);
        let calendar = self.calendar_literal();
        let slas = format!(
            "INSERT INTO ticket_slas (ticket_id, sla_policy_id, calendar_id, first_response_minutes, resolution_minutes, \
             warn_percent, clock, response_started_at, response_met_at, first_response_due_at, resolution_due_at, \
             response_breached, resolution_breached) \
             SELECT {id}, {policy}, {calendar}, {response}, {resolution}, {warn}, \
             (CASE n % 10 WHEN 0 THEN 'running' WHEN 1 THEN 'running' WHEN 2 THEN 'paused' ELSE 'stopped' END), \
             {created}, (CASE WHEN n % 10 > 0 THEN {first_reply} END), \
             (CASE WHEN n % 10 = 0 THEN {response_due} WHEN n % 10 = 2 THEN NULL ELSE {response_target} END), \
             (CASE WHEN n % 10 IN (0, 1) THEN {due} WHEN n % 10 = 2 THEN NULL ELSE {resolution_target} END), \
             (CASE WHEN n % 10 = 0 AND {response_spread} < 14400 THEN TRUE ELSE FALSE END), \
             (CASE WHEN n % 10 IN (0, 1) AND {spread} < 14400 THEN TRUE \
                   WHEN n % 10 >= 3 AND n % 4000 > 3120 THEN TRUE ELSE FALSE END) \
             FROM ({series}) AS r",
            policy = pick(priority_index, &self.policies.iter().map(|p| p.0.clone()).collect::<Vec<_>>()),
            response = pick_raw(priority_index, &self.policies.iter().map(|p| p.1.to_string()).collect::<Vec<_>>()),
            resolution = pick_raw(priority_index, &self.policies.iter().map(|p| p.2.to_string()).collect::<Vec<_>>()),
            warn = pick_raw(priority_index, &self.policies.iter().map(|p| p.3.to_string()).collect::<Vec<_>>()),
            response_target = created_base("240"),
            resolution_target = created_base("6000"),
        );
        // A CSAT survey per resolved ticket, sent at the resolution and
        // answered a day later by six in seven (ratings 1–5 in turn).
        let surveys = format!(
            "INSERT INTO csat_surveys (id, ticket_id, token_hash, sent_at, expires_at, rating, responded_at) \
             SELECT '00000000-0000-7000-800c-' || {sid}, {id}, 'synthetic-' || {sid}, {resolved}, {expires}, \
             (CASE WHEN n % 10 <> 9 THEN 1 + (n * 31) % 5 END), (CASE WHEN n % 10 <> 9 THEN {answered} END) \
             FROM ({series}) AS r WHERE n % 10 >= 3",
            sid = self.pad("n", 12),
            expires = created_base("2880 + n % 4000 + 20160"),
            answered = created_base("2880 + n % 4000 + 1440"),
        );
        vec![tickets, history, comments, slas, surveys]
    }
}

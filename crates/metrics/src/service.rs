//! Service reports over tickets, their SLA clocks, status history, CSAT
//! surveys and handling interactions (`docs/metrics.md`, "Service").

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use rapport_core::Result;
use rapport_core::db::Conn;
use rust_decimal::Decimal;

use crate::assemble::{self, Additive, Assembly, Bucketed};
use crate::filters::Filters;
use crate::report::{BreakdownRow, Measure, Report, Unit};
use crate::sql::{CountRow, DurationDay, Sql, StatsRow, count_if, ranked_by_bucket};
use crate::{GroupBy, Kpi};

const NO_RESOLVED: &str = "no tickets were resolved in the period";
const NO_RESPONDED: &str = "no tickets had a first response in the period";
const NO_SLA_RESOLVED: &str = "no tickets under an SLA were resolved in the period";
const NO_RESOLUTIONS: &str = "no resolutions in the period";
const NO_RESPONSES: &str = "no CSAT responses in the period";
const NO_SURVEYS: &str = "no CSAT surveys were sent in the period";
const NO_HANDLING: &str = "no handled interactions on tickets in the period";

/// Steps of a stored business-day fraction: micro-days.
const MICRO: i64 = 1_000_000;
/// Seconds in an hour.
const HOUR: i64 = 3_600;

/// The filters on tickets `t` (a user is the assignee).
fn ticket_filters(sql: &mut Sql, filters: &Filters, user_column: &str) {
    sql.push(" AND t.archived_at IS NULL");
    sql.eq_opt("t.division_id", filters.division_id.as_deref());
    sql.eq_opt("t.branch_id", filters.branch_id.as_deref());
    sql.eq_opt("t.queue_id", filters.queue_id.as_deref());
    sql.eq_opt(user_column, filters.user_id.as_deref());
}

/// Per local day of the period, sums of the ticket counts the database
/// keeps (`ticket_daily_counts`, migration 000024) of `basis` under the
/// report's filters: `columns` pairs each alias with the counts column it
/// sums. Only when [`Filters::counts_kept`].
fn kept_per_day<R>(conn: &mut Conn, filters: &Filters, basis: &str, columns: &[(&str, &str)]) -> Result<Vec<R>>
where
    R: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
{
    let mut sql = Sql::new(conn);
    let key = sql.day_key("c.day");
    let sums: Vec<String> =
        columns.iter().map(|(alias, column)| format!("CAST(SUM(c.{column}) AS BIGINT) AS {alias}")).collect();
    sql.push(&format!("SELECT {key} AS bucket, {} FROM ticket_daily_counts c WHERE c.basis = ", sums.join(", ")));
    sql.text(basis).within_days("c.day", &filters.period);
    kept_filters(&mut sql, filters);
    sql.push(" GROUP BY c.day");
    sql.load(conn)
}

/// The filters on the kept ticket counts `c` (a user is the assignee).
fn kept_filters(sql: &mut Sql, filters: &Filters) {
    sql.eq_opt("c.division_id", filters.division_id.as_deref());
    sql.eq_opt("c.branch_id", filters.branch_id.as_deref());
    sql.eq_opt("c.queue_id", filters.queue_id.as_deref());
    sql.eq_opt("c.assignee_id", filters.user_id.as_deref());
}

/// Per local day, tickets of `basis` (`created`, `resolved`) as `n`, and
/// as `hits` those of them resolved at first contact.
fn tickets_per_day(conn: &mut Conn, filters: &Filters, basis: &str) -> Result<Vec<CountRow>> {
    if filters.counts_kept {
        return kept_per_day(conn, filters, basis, &[("n", "tickets"), ("hits", "hits")]);
    }
    let column = if basis == "created" { "t.created_at" } else { "t.resolved_at" };
    let mut sql = Sql::new(conn);
    let day = sql.local_day(column, filters);
    sql.open_per_day(&day, &[("n", "COUNT(*)"), ("hits", &count_if("t.first_contact_resolution"))]);
    sql.push(&format!(" FROM tickets t WHERE {column} IS NOT NULL"));
    ticket_filters(&mut sql, filters, "t.assignee_id");
    sql.within(column, &filters.period).close_per_day();
    sql.load(conn)
}

/// A business-time measure of tickets: which instant dates a ticket into
/// the period, its value per ticket, and how it reads.
struct TicketDuration {
    kpi: Kpi,
    title: &'static str,
    /// The basis of the kept counts that carry its count and sum.
    basis: &'static str,
    /// The instant that dates a ticket into the period.
    at: &'static str,
    /// Its value per ticket, in integer steps (`per_unit` to one `unit`).
    value: &'static str,
    /// When a ticket has a value.
    measured: &'static str,
    unit: Unit,
    per_unit: i64,
    suffix: &'static str,
    empty: &'static str,
    /// The export basis that lists the tickets.
    records: &'static str,
}

/// Business days from logging to the (latest) resolution, tickets
/// resolved in the period, each on its own calendar.
const RESOLUTION_TIME: TicketDuration = TicketDuration {
    kpi: Kpi::ResolutionTime,
    title: "Resolution time in business days",
    basis: "resolved",
    at: "t.resolved_at",
    // Micro-days: MICRO steps to a business day.
    value: "CAST(t.resolution_business_seconds * 1000000 / t.business_day_seconds AS BIGINT)",
    measured: "t.resolution_business_seconds IS NOT NULL AND t.business_day_seconds > 0",
    unit: Unit::BusinessDays,
    per_unit: MICRO,
    suffix: "business_days",
    empty: NO_RESOLVED,
    records: "resolved",
};

/// Business hours from logging to the first public agent reply, tickets
/// first answered in the period.
const FIRST_RESPONSE_TIME: TicketDuration = TicketDuration {
    kpi: Kpi::FirstResponseTime,
    title: "First response time in business hours",
    basis: "responded",
    at: "t.first_responded_at",
    value: "t.first_response_business_seconds",
    measured: "t.first_response_business_seconds IS NOT NULL",
    unit: Unit::BusinessHours,
    per_unit: HOUR,
    suffix: "business_hours",
    empty: NO_RESPONDED,
    records: "first_response",
};

pub(crate) fn resolution_time(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    duration_report(conn, filters, &RESOLUTION_TIME)
}

pub(crate) fn first_response_time(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    duration_report(conn, filters, &FIRST_RESPONSE_TIME)
}

/// The dashboard's resolution time: count and mean.
pub(crate) fn resolution_time_headline(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    duration_headline(conn, filters, &RESOLUTION_TIME)
}

/// The dashboard's first response time: count and mean.
pub(crate) fn first_response_time_headline(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    duration_headline(conn, filters, &FIRST_RESPONSE_TIME)
}

/// Count, mean, median and p90 of `d`, ranked over the tickets.
fn duration_report(conn: &mut Conn, filters: &Filters, d: &TicketDuration) -> Result<Report> {
    let stats = |conn: &mut Conn, group_by: Option<GroupBy>| {
        let mut sql = Sql::new(conn);
        let bucket = group_by.map_or_else(|| "NULL".to_owned(), |g| sql.bucket_start(d.at, filters, g));
        sql.push(&format!("SELECT {bucket} AS bucket, {} AS val FROM tickets t WHERE {}", d.value, d.measured));
        ticket_filters(&mut sql, filters, "t.assignee_id");
        sql.within(d.at, &filters.period);
        ranked_by_bucket(sql, group_by.is_some()).load(conn)
    };
    let measures = |row: Option<&StatsRow>| assemble::duration_stats(row, d.unit, d.per_unit, d.suffix, d.empty);
    let mut a = Assembly::new(d.kpi, d.title, filters, filters.export_link("tickets", d.records));
    a.measure_ranked(conn, stats, measures)?;
    Ok(a.finish())
}

/// Count and mean of `d` (the headline; the order statistics need the
/// report's ranking): from the kept counts where they apply, else summed
/// over the tickets.
fn duration_headline(conn: &mut Conn, filters: &Filters, d: &TicketDuration) -> Result<Report> {
    let days: Vec<DurationDay> = if filters.counts_kept {
        kept_per_day(conn, filters, d.basis, &[("n", "timed"), ("total", "time_sum")])?
    } else {
        let mut sql = Sql::new(conn);
        let day = sql.local_day(d.at, filters);
        let total = format!("CAST(COALESCE(SUM({}), 0) AS BIGINT)", d.value);
        sql.open_per_day(&day, &[("n", "COUNT(*)"), ("total", &total)]);
        sql.push(&format!(" FROM tickets t WHERE {}", d.measured));
        ticket_filters(&mut sql, filters, "t.assignee_id");
        sql.within(d.at, &filters.period).close_per_day();
        sql.load(conn)?
    };
    let measures = |row: Option<&DurationDay>| {
        assemble::duration_means(row.map_or((0, 0), |r| (r.n, r.total)), d.unit, d.per_unit, d.suffix, d.empty)
    };
    let mut a = Assembly::new(d.kpi, d.title, filters, filters.export_link("tickets", d.records));
    a.measure_by_day(&days, measures);
    Ok(a.finish())
}

impl Bucketed for SlaRow {
    fn bucket(&self) -> &String {
        &self.bucket
    }
}

impl Additive for SlaRow {
    fn add(&mut self, other: &Self) {
        self.n += other.n;
        self.resolution_met += other.resolution_met;
        self.response_met += other.response_met;
    }

    fn rekeyed(&self, bucket: String) -> Self {
        SlaRow { bucket, ..self.clone() }
    }
}

#[derive(Debug, Clone, QueryableByName)]
struct SlaRow {
    #[diesel(sql_type = Text)]
    bucket: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    resolution_met: i64,
    #[diesel(sql_type = BigInt)]
    response_met: i64,
}

/// Tickets under an SLA resolved in the period: the share resolved, and
/// the share first answered, without breaching the target.
pub(crate) fn sla_compliance(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let days: Vec<SlaRow> = if filters.counts_kept {
        let columns = [("n", "sla"), ("resolution_met", "resolution_met"), ("response_met", "response_met")];
        kept_per_day(conn, filters, "resolved", &columns)?
    } else {
        let mut sql = Sql::new(conn);
        let day = sql.local_day("t.resolved_at", filters);
        sql.open_per_day(
            &day,
            &[
                ("n", "COUNT(*)"),
                ("resolution_met", &count_if("NOT s.resolution_breached")),
                ("response_met", &count_if("NOT s.response_breached")),
            ],
        );
        sql.push(" FROM tickets t JOIN ticket_slas s ON s.ticket_id = t.id WHERE t.resolved_at IS NOT NULL");
        ticket_filters(&mut sql, filters, "t.assignee_id");
        sql.within("t.resolved_at", &filters.period).close_per_day();
        sql.load(conn)?
    };
    let measures = |row: Option<&SlaRow>| {
        let (n, resolution, response) = row.map_or((0, 0, 0), |r| (r.n, r.resolution_met, r.response_met));
        vec![
            Measure::rate("resolution_compliance", resolution, n, NO_SLA_RESOLVED),
            Measure::rate("response_compliance", response, n, NO_SLA_RESOLVED),
        ]
    };
    let mut a = Assembly::new(
        Kpi::SlaCompliance,
        "SLA compliance (tickets resolved in the period)",
        filters,
        filters.export_link("tickets", "resolved"),
    );
    a.measure_by_day(&days, measures);
    Ok(a.finish())
}

#[derive(Debug, QueryableByName)]
struct StatusCount {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    breached: i64,
}

/// Unresolved tickets now per status, with those past a deadline: flagged
/// breached, or a running clock past its resolution due time. From the
/// kept counts where they apply (the flags kept, the running clocks past
/// due and not flagged yet counted live: the sweeper flags them soon after).
fn unresolved_now(conn: &mut Conn, filters: &Filters) -> Result<Vec<StatusCount>> {
    let now = rapport_core::time::stored(filters.clock.now);
    let mut sql = Sql::new(conn);
    if filters.counts_kept {
        // 'unresolved_' is 11 characters: the status follows.
        sql.push(
            "SELECT status, CAST(SUM(n) AS BIGINT) AS n, CAST(SUM(breached) AS BIGINT) AS breached FROM (\
               SELECT SUBSTR(c.basis, 12) AS status, c.tickets AS n, c.hits AS breached FROM ticket_daily_counts c \
               WHERE c.basis IN ('unresolved_new', 'unresolved_open', 'unresolved_pending')",
        );
        kept_filters(&mut sql, filters);
        // The running clocks past due first (their partial index), each
        // ticket probed by id: a join let both planners walk every ticket
        // of the scope (PostgreSQL estimated thousands of such clocks where
        // there were seven, and hashed the tickets: 140 ms).
        sql.push(
            " UNION ALL SELECT x.status, 0, 1 FROM (SELECT (SELECT t.status FROM tickets t \
               WHERE t.id = s.ticket_id AND t.status IN ('new', 'open', 'pending')",
        );
        ticket_filters(&mut sql, filters, "t.assignee_id");
        sql.push(
            ") AS status FROM ticket_slas s WHERE s.clock = 'running' AND NOT s.resolution_breached \
               AND NOT s.response_breached AND s.resolution_due_at < ",
        );
        sql.instant(now);
        sql.push(") x WHERE x.status IS NOT NULL) u GROUP BY status");
    } else {
        sql.push(
            "SELECT t.status AS status, COUNT(*) AS n, \
                    CAST(COALESCE(SUM(CASE WHEN s.resolution_breached OR s.response_breached \
                                           OR (s.clock = 'running' AND s.resolution_due_at < ",
        );
        sql.instant(now);
        sql.push(
            ") THEN 1 ELSE 0 END), 0) AS BIGINT) AS breached \
             FROM tickets t LEFT JOIN ticket_slas s ON s.ticket_id = t.id WHERE t.status IN ('new', 'open', 'pending')",
        );
        ticket_filters(&mut sql, filters, "t.assignee_id");
        sql.push(" GROUP BY t.status");
    }
    sql.load(conn)
}

/// Unresolved tickets now (by status, with those past a deadline), and
/// the period's inflow (logged) and outflow (resolved).
pub(crate) fn backlog(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let statuses = unresolved_now(conn, filters)?;
    let flow_measures = |logged: Option<&CountRow>, resolved: Option<&CountRow>| {
        vec![
            Measure::count("logged", logged.map_or(0, |r| r.n)),
            Measure::count("resolved", resolved.map_or(0, |r| r.n)),
        ]
    };
    let mut a = Assembly::new(
        Kpi::Backlog,
        "Backlog (now) and flow (period)",
        filters,
        filters.export_link("tickets", "created"),
    );
    let unresolved: i64 = statuses.iter().map(|s| s.n).sum();
    let breached: i64 = statuses.iter().map(|s| s.breached).sum();
    a.measures = vec![Measure::count("unresolved", unresolved), Measure::count("breached", breached)];
    let logged = assemble::fold_days(&tickets_per_day(conn, filters, "created")?, filters.group_by);
    let resolved = assemble::fold_days(&tickets_per_day(conn, filters, "resolved")?, filters.group_by);
    a.measures.extend(flow_measures(logged.total.as_ref(), resolved.total.as_ref()));
    if let Some(g) = filters.group_by {
        a.series(g, |key| flow_measures(logged.buckets.get(key), resolved.buckets.get(key)));
    }
    for status in ["new", "open", "pending"] {
        let row = statuses.iter().find(|s| s.status == status);
        a.breakdown.push(BreakdownRow {
            dimension: "status".into(),
            key: status.into(),
            label: status.into(),
            measures: vec![
                Measure::count("unresolved", row.map_or(0, |r| r.n)),
                Measure::count("breached", row.map_or(0, |r| r.breached)),
            ],
        });
    }
    Ok(a.finish())
}

/// Resolutions in the period that a later reopen undid ÷ resolutions in
/// the period (each resolution counts, so a ticket resolved twice counts
/// twice).
pub(crate) fn reopen_rate(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let days: Vec<CountRow> = if filters.counts_kept {
        kept_per_day(conn, filters, "resolution", &[("n", "tickets"), ("hits", "hits")])?
    } else {
        // A resolution was undone when the ticket's last reopen came after it.
        let mut sql = Sql::new(conn);
        let day = sql.local_day("h.changed_at", filters);
        sql.open_per_day(&day, &[("n", "COUNT(*)"), ("hits", &count_if("r.last_reopen > h.changed_at"))]);
        sql.push(
            " FROM ticket_status_history h JOIN tickets t ON t.id = h.ticket_id \
              LEFT JOIN (SELECT ticket_id, MAX(changed_at) AS last_reopen FROM ticket_status_history \
                         WHERE to_status = 'open' AND from_status IN ('resolved', 'closed') GROUP BY ticket_id) r \
                ON r.ticket_id = h.ticket_id \
              WHERE h.to_status = 'resolved'",
        );
        ticket_filters(&mut sql, filters, "t.assignee_id");
        sql.within("h.changed_at", &filters.period).close_per_day();
        sql.load(conn)?
    };
    let measures = |row: Option<&CountRow>| {
        let (n, reopened) = row.map_or((0, 0), |r| (r.n, r.hits));
        vec![
            Measure::count("resolutions", n),
            Measure::count("reopened", reopened),
            Measure::rate("rate", reopened, n, NO_RESOLUTIONS),
        ]
    };
    let mut a = Assembly::new(
        Kpi::ReopenRate,
        "Reopen rate (resolutions in the period)",
        filters,
        filters.export_link("tickets", "resolved"),
    );
    a.measure_by_day(&days, measures);
    Ok(a.finish())
}

/// Satisfied responses (4 or 5) ÷ responses received in the period, and
/// the response rate of the surveys sent in it.
pub(crate) fn csat(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let (answered, sent) = if filters.counts_kept {
        let ratings = [("r1", "r1"), ("r2", "r2"), ("r3", "r3"), ("r4", "r4"), ("r5", "r5")];
        let answered: Vec<RatingsRow> = kept_per_day(conn, filters, "csat_answered", &ratings)?;
        let sent: Vec<CountRow> = kept_per_day(conn, filters, "csat_sent", &[("n", "tickets"), ("hits", "hits")])?;
        (answered, sent)
    } else {
        csat_per_day(conn, filters)?
    };
    let answered = assemble::fold_days(&answered, filters.group_by);
    let sent = assemble::fold_days(&sent, filters.group_by);
    let measures = |answered: Option<&RatingsRow>, sent: Option<&CountRow>| {
        let (responses, satisfied) = answered.map_or((0, 0), |r| (r.responses(), r.r4 + r.r5));
        let (surveys, responded) = sent.map_or((0, 0), |r| (r.n, r.hits));
        vec![
            Measure::count("responses", responses),
            Measure::rate("rate", satisfied, responses, NO_RESPONSES),
            Measure::rate("response_rate", responded, surveys, NO_SURVEYS),
        ]
    };
    let mut a = Assembly::new(
        Kpi::Csat,
        "CSAT (satisfied = 4 or 5)",
        filters,
        filters.export_link("csat-responses", "responded"),
    );
    a.measures = measures(answered.total.as_ref(), sent.total.as_ref());
    if let Some(g) = filters.group_by {
        a.series(g, |key| measures(answered.buckets.get(key), sent.buckets.get(key)));
    }
    let total = answered.total.unwrap_or_default();
    for (rating, n) in [(1, total.r1), (2, total.r2), (3, total.r3), (4, total.r4), (5, total.r5)] {
        a.breakdown.push(BreakdownRow {
            dimension: "rating".into(),
            key: rating.to_string(),
            label: format!("{rating} of 5"),
            measures: vec![Measure::count("responses", n), Measure::rate("share", n, total.responses(), NO_RESPONSES)],
        });
    }
    Ok(a.finish())
}

/// CSAT from the surveys themselves: answers per local day and rating, and
/// surveys sent per local day with those answered.
fn csat_per_day(conn: &mut Conn, filters: &Filters) -> Result<(Vec<RatingsRow>, Vec<CountRow>)> {
    let mut sql = Sql::new(conn);
    let day = sql.local_day("c.responded_at", filters);
    let ratings: Vec<(String, String)> =
        (1..=5).map(|r| (format!("r{r}"), count_if(&format!("c.rating = {r}")))).collect();
    let columns: Vec<(&str, &str)> = ratings.iter().map(|(alias, expr)| (alias.as_str(), expr.as_str())).collect();
    sql.open_per_day(&day, &columns);
    sql.push(" FROM csat_surveys c JOIN tickets t ON t.id = c.ticket_id WHERE c.rating IS NOT NULL");
    ticket_filters(&mut sql, filters, "t.assignee_id");
    sql.within("c.responded_at", &filters.period).close_per_day();
    let answered = sql.load::<RatingsRow>(conn)?;
    let mut sql = Sql::new(conn);
    let day = sql.local_day("c.sent_at", filters);
    sql.open_per_day(&day, &[("n", "COUNT(*)"), ("hits", &count_if("c.rating IS NOT NULL"))]);
    sql.push(" FROM csat_surveys c JOIN tickets t ON t.id = c.ticket_id WHERE 1 = 1");
    ticket_filters(&mut sql, filters, "t.assignee_id");
    sql.within("c.sent_at", &filters.period).close_per_day();
    Ok((answered, sql.load::<CountRow>(conn)?))
}

/// CSAT answers per rating (1 to 5).
#[derive(Debug, Clone, Default, QueryableByName)]
struct RatingsRow {
    #[diesel(sql_type = Text)]
    bucket: String,
    #[diesel(sql_type = BigInt)]
    r1: i64,
    #[diesel(sql_type = BigInt)]
    r2: i64,
    #[diesel(sql_type = BigInt)]
    r3: i64,
    #[diesel(sql_type = BigInt)]
    r4: i64,
    #[diesel(sql_type = BigInt)]
    r5: i64,
}

impl RatingsRow {
    fn responses(&self) -> i64 {
        self.r1 + self.r2 + self.r3 + self.r4 + self.r5
    }
}

impl Bucketed for RatingsRow {
    fn bucket(&self) -> &String {
        &self.bucket
    }
}

impl Additive for RatingsRow {
    fn add(&mut self, other: &Self) {
        self.r1 += other.r1;
        self.r2 += other.r2;
        self.r3 += other.r3;
        self.r4 += other.r4;
        self.r5 += other.r5;
    }

    fn rekeyed(&self, bucket: String) -> Self {
        RatingsRow { bucket, ..self.clone() }
    }
}

/// Tickets resolved in the period flagged resolved at first contact ÷
/// tickets resolved in the period.
pub(crate) fn fcr(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let days = tickets_per_day(conn, filters, "resolved")?;
    let measures = |row: Option<&CountRow>| {
        let (n, first) = row.map_or((0, 0), |r| (r.n, r.hits));
        vec![Measure::count("resolved", n), Measure::rate("rate", first, n, NO_RESOLVED)]
    };
    let mut a =
        Assembly::new(Kpi::Fcr, "First-contact resolution", filters, filters.export_link("tickets", "resolved"));
    a.measure_by_day(&days, measures);
    Ok(a.finish())
}

impl Bucketed for HandlingRow {
    fn bucket(&self) -> &String {
        &self.bucket
    }
}

#[derive(Debug, QueryableByName)]
struct HandlingRow {
    #[diesel(sql_type = Text)]
    bucket: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = BigInt)]
    tickets: i64,
}

/// Handled interactions on tickets in the period (by `occurred_at`): the
/// mean duration per interaction and per ticket; the agent is the
/// interaction's user.
pub(crate) fn handle_time(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let rows = |conn: &mut Conn, bucket: Option<GroupBy>, by_agent: bool| -> Result<Vec<HandlingRow>> {
        let mut sql = Sql::new(conn);
        let key = if by_agent { "i.user_id".to_owned() } else { sql.bucket("i.occurred_at", filters, bucket) };
        // The handling interactions in the period first (their partial
        // index; CROSS JOIN keeps that order on SQLite), then their tickets.
        sql.push(&format!(
            "SELECT {key} AS bucket, COUNT(*) AS n, CAST(SUM(i.duration_seconds) AS BIGINT) AS total, \
                    COUNT(DISTINCT i.ticket_id) AS tickets \
             FROM interactions i CROSS JOIN tickets t \
             WHERE t.id = i.ticket_id AND i.ticket_id IS NOT NULL AND i.duration_seconds IS NOT NULL"
        ));
        if by_agent {
            sql.push(" AND i.user_id IS NOT NULL");
        }
        ticket_filters(&mut sql, filters, "i.user_id");
        sql.within("i.occurred_at", &filters.period).push(" GROUP BY 1");
        sql.load(conn)
    };
    let measures = |row: Option<&HandlingRow>| {
        let (n, total, tickets) = row.map_or((0, 0, 0), |r| (r.n, r.total, r.tickets));
        let mut per_ticket =
            Measure::mean("mean_seconds_per_ticket", Unit::Seconds, Decimal::from(total), tickets, NO_HANDLING);
        per_ticket.numerator = Some(Decimal::from(total));
        vec![
            Measure::count("interactions", n),
            Measure::count("tickets", tickets),
            Measure::mean("mean_seconds", Unit::Seconds, Decimal::from(total), n, NO_HANDLING),
            per_ticket,
        ]
    };
    let stamp = |at| rapport_core::time::utc(at).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut link = format!(
        "/api/v1/tickets/handle-time?from={}&to={}{}",
        stamp(filters.period.start),
        stamp(filters.period.end),
        filters.list_filters("user_id")
    );
    if let Some(queue) = &filters.queue_id {
        link.push_str(&format!("&queue_id={queue}"));
    }
    let mut a = Assembly::new(Kpi::HandleTime, "Average handle time", filters, Some(link));
    a.measure_by_bucket(conn, |conn, g| rows(conn, g, false), measures)?;
    let agents = rows(conn, None, true)?;
    let names = crate::labels::users(conn, agents.iter().map(|r| r.bucket.as_str()))?;
    let mut breakdown: Vec<BreakdownRow> = agents
        .iter()
        .map(|r| BreakdownRow {
            dimension: "user".into(),
            key: r.bucket.clone(),
            label: names.get(&r.bucket).cloned().unwrap_or_default(),
            measures: measures(Some(r)),
        })
        .collect();
    breakdown.sort_by(|x, y| x.label.cmp(&y.label).then_with(|| x.key.cmp(&y.key)));
    a.breakdown = breakdown;
    Ok(a.finish())
}

//! Each ticket's business-time measurements, stored on the ticket so that
//! the metrics aggregate them in SQL (`docs/metrics.md`): the first response
//! and the resolution in business seconds, and the length of a business day,
//! all on the calendar the ticket was logged on (its branch's, else its
//! division's; none: round the clock in UTC).
//!
//! Measured with `BusinessCalendar::between`, the one implementation, when
//! the ticket changes: on creation (the calendar and the day length), on the
//! first public agent reply (`comments`), on resolution (`status`; a reopen
//! clears it, closing keeps it). Unlike the SLA clock, time spent `pending`
//! counts: this is how long the customer waited. [`backfill_business_times`]
//! measures rows written before the columns existed.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use rapport_core::calendar::business::BusinessCalendar;
use rapport_core::calendar::store::effective_calendar_id;
use rapport_core::db::schema::{ticket_slas, tickets};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::{Error, Result, time};

use super::store::ENTITY;

/// What a ticket is measured on: its calendar, fixed when it was logged,
/// loaded, and the length of one business day there.
#[derive(Debug, Clone)]
pub(crate) struct Basis {
    /// The calendar; none: round the clock.
    pub calendar_id: Option<String>,
    pub calendar: BusinessCalendar,
    /// One business day in seconds; none on a calendar without windows.
    pub business_day_seconds: Option<i32>,
}

impl Basis {
    /// The basis of calendar `calendar_id` (none: round the clock).
    pub(crate) fn load(conn: &mut Conn, calendar_id: Option<&str>) -> Result<Basis> {
        let calendar = match calendar_id {
            Some(id) => BusinessCalendar::load(conn, id)?,
            None => BusinessCalendar::round_the_clock(),
        };
        Ok(Basis::of(calendar_id.map(str::to_owned), calendar))
    }

    /// The basis of `calendar`, already loaded for `calendar_id`.
    pub(crate) fn of(calendar_id: Option<String>, calendar: BusinessCalendar) -> Basis {
        // At most a day (86,400 seconds), so it always fits.
        let business_day_seconds = calendar.business_day().and_then(|day| i32::try_from(day.num_seconds()).ok());
        Basis { calendar_id, calendar, business_day_seconds }
    }

    /// The basis of a ticket logged now in `division_id` at `branch_id`.
    pub(crate) fn for_new_ticket(conn: &mut Conn, branch_id: Option<&str>, division_id: &str) -> Result<Basis> {
        let calendar_id = effective_calendar_id(conn, branch_id, division_id)?;
        Basis::load(conn, calendar_id.as_deref())
    }

    /// The calendar id and calendar, for the SLA clock to reuse.
    pub(crate) fn known(&self) -> (Option<&str>, &BusinessCalendar) {
        (self.calendar_id.as_deref(), &self.calendar)
    }

    /// Business time from `from` to `to` in whole seconds (rounded down;
    /// zero when `to` is not after `from`).
    pub(crate) fn seconds(&self, from: NaiveDateTime, to: NaiveDateTime) -> i64 {
        self.calendar.between(time::utc(from), time::utc(to)).num_seconds()
    }
}

/// The columns a measurement reads.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct MeasuredRow {
    pub id: String,
    pub division_id: String,
    pub branch_id: Option<String>,
    pub calendar_id: Option<String>,
    pub business_day_seconds: Option<i32>,
    pub created_at: NaiveDateTime,
    pub first_responded_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub version: i64,
}

/// The four stored columns.
#[derive(Debug, Clone, PartialEq, Eq, AsChangeset)]
#[diesel(table_name = tickets)]
#[diesel(treat_none_as_null = true)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct Measurements {
    calendar_id: Option<String>,
    business_day_seconds: Option<i32>,
    first_response_business_seconds: Option<i64>,
    resolution_business_seconds: Option<i64>,
}

impl Measurements {
    fn of(basis: &Basis, row: &MeasuredRow) -> Measurements {
        Measurements {
            calendar_id: basis.calendar_id.clone(),
            business_day_seconds: basis.business_day_seconds,
            first_response_business_seconds: row.first_responded_at.map(|at| basis.seconds(row.created_at, at)),
            resolution_business_seconds: row.resolved_at.map(|at| basis.seconds(row.created_at, at)),
        }
    }
}

/// Where a ticket stands, as far as its calendar goes.
pub(crate) struct Placement<'a> {
    pub id: &'a str,
    pub division_id: &'a str,
    pub branch_id: Option<&'a str>,
    pub calendar_id: Option<&'a str>,
    pub business_day_seconds: Option<i32>,
}

impl Placement<'_> {
    /// Whether the ticket's calendar is fixed: every write sets a day length
    /// or a calendar (round the clock has a day length, a calendar without
    /// windows an id), so a row with neither predates the columns.
    fn is_fixed(&self) -> bool {
        self.calendar_id.is_some() || self.business_day_seconds.is_some()
    }
}

impl MeasuredRow {
    fn placement(&self) -> Placement<'_> {
        Placement {
            id: &self.id,
            division_id: &self.division_id,
            branch_id: self.branch_id.as_deref(),
            calendar_id: self.calendar_id.as_deref(),
            business_day_seconds: self.business_day_seconds,
        }
    }
}

/// Looks up the calendars of tickets logged before the columns existed: the
/// one their SLA clock runs on (fixed when they were logged), else their
/// branch's or division's as it is now. Loads each calendar once.
#[derive(Default)]
struct Calendars {
    bases: HashMap<Option<String>, Basis>,
    effective: HashMap<(Option<String>, String), Option<String>>,
}

impl Calendars {
    fn basis(&mut self, conn: &mut Conn, calendar_id: Option<&str>) -> Result<&Basis> {
        let key = calendar_id.map(str::to_owned);
        if !self.bases.contains_key(&key) {
            let basis = Basis::load(conn, calendar_id)?;
            self.bases.insert(key.clone(), basis);
        }
        self.bases.get(&key).ok_or_else(|| Error::Internal("calendar cache lost an entry".to_owned()))
    }

    /// The calendar ticket `at` is measured on, with `sla_calendar` the
    /// calendar of its SLA clock if it has one (only read for a ticket whose
    /// calendar is not fixed yet).
    fn calendar_of(
        &mut self,
        conn: &mut Conn,
        at: &Placement<'_>,
        sla_calendar: Option<Option<String>>,
    ) -> Result<Option<String>> {
        if at.is_fixed() {
            return Ok(at.calendar_id.map(str::to_owned));
        }
        if let Some(calendar_id) = sla_calendar {
            return Ok(calendar_id);
        }
        let key = (at.branch_id.map(str::to_owned), at.division_id.to_owned());
        if let Some(calendar_id) = self.effective.get(&key) {
            return Ok(calendar_id.clone());
        }
        let calendar_id = effective_calendar_id(conn, at.branch_id, at.division_id)?;
        self.effective.insert(key, calendar_id.clone());
        Ok(calendar_id)
    }
}

/// The calendars of the SLA clocks of `ids` that have one.
fn sla_calendars(conn: &mut Conn, ids: &[&str]) -> Result<HashMap<String, Option<String>>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, Option<String>)> = ticket_slas::table
        .filter(ticket_slas::ticket_id.eq_any(ids))
        .select((ticket_slas::ticket_id, ticket_slas::calendar_id))
        .cached_for_short_list(ids.len())
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// The basis of the ticket `at`: its own calendar, or, for a ticket logged
/// before the columns existed, the one its SLA clock runs on, else its
/// branch's or division's.
pub(crate) fn basis_of(conn: &mut Conn, at: &Placement<'_>) -> Result<Basis> {
    let sla = if at.is_fixed() { None } else { sla_calendars(conn, &[at.id])?.remove(at.id) };
    let calendar_id = Calendars::default().calendar_of(conn, at, sla)?;
    Basis::load(conn, calendar_id.as_deref())
}

fn measured_row(conn: &mut Conn, id: &str) -> Result<MeasuredRow> {
    tickets::table
        .filter(tickets::id.eq(id))
        .select(MeasuredRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// Measures ticket `ticket_id` again from its stored instants: the first
/// response and the resolution on its calendar (fixing the calendar first
/// for a ticket logged before the columns existed). For whoever rewrites a
/// ticket's instants, as tests and data repairs do; the status flow and
/// replies measure as they write.
pub fn refresh(conn: &mut Conn, ticket_id: &str) -> Result<()> {
    let row = measured_row(conn, ticket_id)?;
    let basis = basis_of(conn, &row.placement())?;
    let measured = Measurements::of(&basis, &row);
    diesel::update(tickets::table.filter(tickets::id.eq(ticket_id))).set(&measured).cached().execute(conn)?;
    Ok(())
}

/// Rows not measured yet: the predicate of `tickets_unmeasured_idx`, written
/// the same way so that both databases serve it from that partial index.
macro_rules! unmeasured {
    () => {
        tickets::calendar_id
            .is_null()
            .and(tickets::business_day_seconds.is_null())
            .or(tickets::first_responded_at.is_not_null().and(tickets::first_response_business_seconds.is_null()))
            .or(tickets::resolved_at.is_not_null().and(tickets::resolution_business_seconds.is_null()))
    };
}

/// Measures the tickets that are not measured yet, `batch_size` at a time,
/// and returns how many it measured: those written before the columns
/// existed (their calendar is the one their SLA clock runs on, else their
/// branch's or division's now) and any whose first response or resolution
/// lacks its measurement. Each calendar is loaded once. With nothing to do
/// it costs one query on a partial index that is then empty.
///
/// Call it outside a transaction: each batch is read and measured, then
/// written [`WRITE_ROWS`] rows at a time, each write committing on its own
/// (so SQLite's one writer is held briefly, and a write that starts a
/// transaction takes its lock at once rather than failing to upgrade a
/// read). A row is written only if its version is still the one read: a
/// ticket changed meanwhile was measured by that change. Rows are visited in
/// id order once per call, so it always ends.
pub fn backfill_business_times(conn: &mut Conn, batch_size: i64) -> Result<usize> {
    backfill_with(conn, Calendars::default(), batch_size)
}

/// [`backfill_business_times`] with `basis` loaded already.
pub(crate) fn backfill_on(conn: &mut Conn, basis: Basis, batch_size: i64) -> Result<usize> {
    let mut calendars = Calendars::default();
    calendars.bases.insert(basis.calendar_id.clone(), basis);
    backfill_with(conn, calendars, batch_size)
}

/// Rows per [`write`]: on PostgreSQL six parameters each, well within its
/// 65,535.
const WRITE_ROWS: usize = 1_000;

/// A measured row to write: its id, the version it was read at, the values.
type Update<'a> = (&'a str, i64, Measurements);

/// Writes `rows`, each only at the version it was read at; returns how
/// many were written. On PostgreSQL in one statement, `UPDATE … FROM
/// (VALUES …)`, since a round trip per row would cost more than the
/// measuring. On SQLite, in process, one cached prepared update per row in a
/// transaction that begins with a write: its planner ran the portable `UPDATE
/// … FROM` the wrong way round, scanning every ticket for each statement.
fn write(conn: &mut Conn, rows: &[Update<'_>]) -> Result<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    if let Conn::Postgres(pg) = conn {
        let values: Vec<String> = (0..rows.len())
            .map(|i| {
                let p = i * 6;
                format!("(${}, ${}, ${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6)
            })
            .collect();
        let sql = format!(
            "UPDATE tickets SET calendar_id = m.calendar_id, business_day_seconds = m.business_day_seconds, \
             first_response_business_seconds = m.first_response_business_seconds, \
             resolution_business_seconds = m.resolution_business_seconds \
             FROM (VALUES {}) AS m (id, version, calendar_id, business_day_seconds, \
             first_response_business_seconds, resolution_business_seconds) \
             WHERE tickets.id = m.id AND tickets.version = m.version",
            values.join(", ")
        );
        let mut query = diesel::sql_query(sql).into_boxed::<Pg>();
        for (id, version, m) in rows {
            query = query
                .bind::<Text, _>(*id)
                .bind::<BigInt, _>(*version)
                .bind::<Nullable<Text>, _>(m.calendar_id.clone())
                .bind::<Nullable<Integer>, _>(m.business_day_seconds)
                .bind::<Nullable<BigInt>, _>(m.first_response_business_seconds)
                .bind::<Nullable<BigInt>, _>(m.resolution_business_seconds);
        }
        return Ok(query.execute(pg)?);
    }
    conn.transaction(|conn| {
        let mut written = 0;
        for (id, version, values) in rows {
            written += diesel::update(tickets::table.filter(tickets::id.eq(*id)).filter(tickets::version.eq(version)))
                .set(values)
                .execute(conn)?;
        }
        Ok(written)
    })
}

fn backfill_with(conn: &mut Conn, mut calendars: Calendars, batch_size: i64) -> Result<usize> {
    let batch_size = batch_size.max(1);
    let mut after = String::new();
    let mut measured = 0;
    loop {
        let rows: Vec<MeasuredRow> = tickets::table
            .filter(unmeasured!())
            .filter(tickets::id.gt(&after))
            .order(tickets::id.asc())
            .limit(batch_size)
            .select(MeasuredRow::as_select())
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after = last.id.clone();
        let unfixed: Vec<&str> = rows.iter().filter(|r| !r.placement().is_fixed()).map(|r| r.id.as_str()).collect();
        let mut slas = sla_calendars(conn, &unfixed)?;
        let mut updates = Vec::with_capacity(rows.len());
        for row in &rows {
            let calendar_id = calendars.calendar_of(conn, &row.placement(), slas.remove(&row.id))?;
            let basis = calendars.basis(conn, calendar_id.as_deref())?;
            updates.push((row.id.as_str(), row.version, Measurements::of(basis, row)));
        }
        for chunk in updates.chunks(WRITE_ROWS) {
            measured += write(conn, chunk)?;
        }
        if rows.len() < usize::try_from(batch_size).unwrap_or(usize::MAX) {
            break;
        }
    }
    Ok(measured)
}

//! Reading and writing calendars. Callers run writes inside a transaction;
//! each write records its audit entry and change event on the same connection.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::api::{
    CalendarListQuery, CalendarResponse, CalendarSort, CreateCalendar, Holiday, UpdateCalendar, Weekday, WorkingWindow,
};
use super::rows::{CalendarRow, HolidayRow, WindowRow};
use crate::audit::{self, Action, WriteContext};
use crate::db::schema::{branches, calendar_holidays, calendar_windows, calendars, divisions};
use crate::db::{CacheStatement, Conn};
use crate::error::{Error, Problems, Result};
use crate::page::{Page, PageRequest, instant_value};
use crate::removal::{Removal, Target, apply_archive_flag, delete_or_archive};
use crate::{ids, time, validate};

const ENTITY: &str = "calendar";
/// How many calendars a holiday chain may pass through.
const MAX_CHAIN: usize = 5;

/// Creates a calendar.
pub fn create(conn: &mut Conn, ctx: &WriteContext, input: CreateCalendar) -> Result<CalendarResponse> {
    let mut problems = Problems::new();
    let name = validate::required_text(&mut problems, "name", &input.name, 100);
    let time_zone = parse_time_zone(&mut problems, &input.time_zone);
    let windows = parse_windows(&mut problems, &input.working_hours);
    let holidays = parse_holidays(&mut problems, &input.holidays);
    let holidays_from_id =
        input.holidays_from_id.as_deref().map(|id| validate::id_ref(&mut problems, "holidays_from_id", id));
    problems.into_result(())?;
    let id = ids::new_id();
    if let Some(parent) = &holidays_from_id {
        check_holiday_source(conn, &id, parent)?;
    }
    ensure_unique_name(conn, &name, None)?;
    let now = time::now();
    let row = CalendarRow {
        id: id.clone(),
        name,
        time_zone,
        holidays_from_id,
        archived_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(calendars::table).values(&row).execute(conn)?;
    replace_windows(conn, &id, &windows)?;
    replace_holidays(conn, &id, &holidays)?;
    let created = get(conn, &id)?;
    audit::record(conn, ctx, ENTITY, &id, Action::Created, None, Some(&created))?;
    Ok(created)
}

/// One calendar, archived or not.
pub fn get(conn: &mut Conn, id: &str) -> Result<CalendarResponse> {
    let row = find_row(conn, id)?;
    hydrate(conn, vec![row])?.pop().ok_or(Error::NotFound { entity: ENTITY })
}

/// One page of calendars.
pub fn list(conn: &mut Conn, query: &CalendarListQuery) -> Result<Page<CalendarResponse>> {
    let page = PageRequest::<CalendarSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = calendars::table.select(CalendarRow::as_select()).into_boxed();
    if let Some(needle) = query.q.as_deref().filter(|s| !s.trim().is_empty()) {
        q = q.filter(crate::db::lower(calendars::name).like(validate::contains_pattern(needle.trim())).escape('\\'));
    }
    if let Some(tz) = &query.time_zone {
        q = q.filter(calendars::time_zone.eq(tz.clone()));
    }
    if let Some(since) = query.updated_since {
        q = q.filter(calendars::updated_at.ge(time::stored(since)));
    }
    if !query.include_archived.unwrap_or(false) {
        q = q.filter(calendars::archived_at.is_null());
    }
    let direction = page.sort.direction;
    let q = match page.sort.key {
        CalendarSort::Name => {
            crate::keyset!(q, calendars::name, calendars::id, direction, page.after_text())
        }
        CalendarSort::CreatedAt => {
            let after = page.after_instant()?;
            crate::keyset!(q, calendars::created_at, calendars::id, direction, after)
        }
        CalendarSort::UpdatedAt => {
            let after = page.after_instant()?;
            crate::keyset!(q, calendars::updated_at, calendars::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<CalendarRow>(conn)?;
    let page = page.finish(rows, |row| {
        let value = match page.sort.key {
            CalendarSort::Name => row.name.clone(),
            CalendarSort::CreatedAt => instant_value(row.created_at),
            CalendarSort::UpdatedAt => instant_value(row.updated_at),
        };
        (value, row.id.clone())
    });
    let next_cursor = page.next_cursor;
    let items = hydrate(conn, page.items)?;
    Ok(Page { items, next_cursor })
}

/// Applies `changes` if the calendar is still at `expected_version`.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: i64,
    changes: UpdateCalendar,
) -> Result<CalendarResponse> {
    let before = get(conn, id)?;
    if before.version != expected_version {
        return Err(Error::StaleVersion { current: before.version });
    }
    let mut problems = Problems::new();
    let name = changes.name.as_deref().map(|n| validate::required_text(&mut problems, "name", n, 100));
    let time_zone = changes.time_zone.as_deref().map(|tz| parse_time_zone(&mut problems, tz));
    let windows = changes.working_hours.as_deref().map(|w| parse_windows(&mut problems, w));
    let holidays = changes.holidays.as_deref().map(|h| parse_holidays(&mut problems, h));
    let holidays_from_id =
        changes.holidays_from_id.map(|parent| parent.map(|p| validate::id_ref(&mut problems, "holidays_from_id", &p)));
    problems.into_result(())?;
    if let Some(Some(parent)) = &holidays_from_id {
        check_holiday_source(conn, id, parent)?;
    }
    if let Some(name) = &name {
        ensure_unique_name(conn, name, Some(id))?;
    }
    let now = time::now();
    let (archived_at, action) = apply_archive_flag(before.archived_at.map(time::stored), changes.archived, now);
    let updated =
        diesel::update(calendars::table.filter(calendars::id.eq(id)).filter(calendars::version.eq(expected_version)))
            .set((
                calendars::name.eq(name.unwrap_or_else(|| before.name.clone())),
                calendars::time_zone.eq(time_zone.unwrap_or_else(|| before.time_zone.clone())),
                calendars::holidays_from_id.eq(holidays_from_id.unwrap_or_else(|| before.holidays_from_id.clone())),
                calendars::archived_at.eq(archived_at),
                calendars::version.eq(expected_version + 1),
                calendars::updated_at.eq(now),
            ))
            .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: find_row(conn, id)?.version });
    }
    if let Some(windows) = windows {
        replace_windows(conn, id, &windows)?;
    }
    if let Some(holidays) = holidays {
        replace_holidays(conn, id, &holidays)?;
    }
    let after = get(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, action, Some(&before), Some(&after))?;
    Ok(after)
}

/// Deletes the calendar, or archives it when divisions, branches or other
/// calendars still refer to it.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Removal<CalendarResponse>> {
    let before = get(conn, id)?;
    let (version, archived_at) = (before.version, before.archived_at);
    let target = Target { entity: ENTITY, id, before, version };
    delete_or_archive(
        conn,
        ctx,
        target,
        expected_version,
        |conn| {
            diesel::delete(calendars::table.filter(calendars::id.eq(id))).execute(conn)?;
            Ok(())
        },
        |conn| {
            let now = time::now();
            diesel::update(calendars::table.filter(calendars::id.eq(id)))
                .set((
                    calendars::archived_at.eq(archived_at.map_or(now, time::stored)),
                    calendars::version.eq(version + 1),
                    calendars::updated_at.eq(now),
                ))
                .execute(conn)?;
            get(conn, id)
        },
    )
}

/// Every holiday that applies on `calendar_id`: its own and those inherited
/// through `holidays_from_id`, by date (own names win on a shared date).
pub fn effective_holidays(conn: &mut Conn, calendar_id: &str) -> Result<Vec<Holiday>> {
    let calendar = get(conn, calendar_id)?;
    let mut all: BTreeMap<NaiveDate, String> =
        calendar.inherited_holidays.into_iter().map(|h| (h.date, h.name)).collect();
    all.extend(calendar.holidays.into_iter().map(|h| (h.date, h.name)));
    Ok(all.into_iter().map(|(date, name)| Holiday { date, name }).collect())
}

/// Fails with 422 unless `id` names an existing, active calendar. For other
/// resources that point at a calendar.
pub fn ensure_usable(conn: &mut Conn, field: &str, id: &str) -> Result<()> {
    let archived = calendars::table
        .filter(calendars::id.eq(id))
        .select(calendars::archived_at)
        .first::<Option<chrono::NaiveDateTime>>(conn)
        .optional()?;
    match archived {
        Some(None) => Ok(()),
        Some(Some(_)) => Err(Error::invalid(field, "archived", format!("calendar {id} is archived"))),
        None => Err(Error::invalid(field, "not_found", format!("calendar {id} does not exist"))),
    }
}

fn find_row(conn: &mut Conn, id: &str) -> Result<CalendarRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    calendars::table
        .filter(calendars::id.eq(id))
        .select(CalendarRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// Turns rows into responses with three queries for the whole set, plus one
/// per level of holiday inheritance.
fn hydrate(conn: &mut Conn, rows: Vec<CalendarRow>) -> Result<Vec<CalendarResponse>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut windows: HashMap<String, Vec<WorkingWindow>> = HashMap::new();
    for w in calendar_windows::table
        .filter(calendar_windows::calendar_id.eq_any(&ids))
        .order((calendar_windows::weekday.asc(), calendar_windows::start_minute.asc()))
        .select(WindowRow::as_select())
        .cached_for_short_list(ids.len())
        .load(conn)?
    {
        windows.entry(w.calendar_id.clone()).or_default().push(window_from_row(&w)?);
    }
    // Walk up the inheritance chains level by level.
    let mut parent_of: HashMap<String, Option<String>> =
        rows.iter().map(|r| (r.id.clone(), r.holidays_from_id.clone())).collect();
    let mut frontier: Vec<String> = rows.iter().filter_map(|r| r.holidays_from_id.clone()).collect();
    for _ in 0..MAX_CHAIN {
        frontier.retain(|id| !parent_of.contains_key(id));
        if frontier.is_empty() {
            break;
        }
        let found: Vec<(String, Option<String>)> = calendars::table
            .filter(calendars::id.eq_any(&frontier))
            .select((calendars::id, calendars::holidays_from_id))
            .cached_for_short_list(frontier.len())
            .load(conn)?;
        frontier = found.iter().filter_map(|(_, p)| p.clone()).collect();
        parent_of.extend(found);
    }
    let all_ids: Vec<&String> = parent_of.keys().collect();
    let listed = all_ids.len();
    let mut holidays: HashMap<String, Vec<Holiday>> = HashMap::new();
    for h in calendar_holidays::table
        .filter(calendar_holidays::calendar_id.eq_any(all_ids))
        .order(calendar_holidays::on_date.asc())
        .select(HolidayRow::as_select())
        .cached_for_short_list(listed)
        .load(conn)?
    {
        holidays.entry(h.calendar_id).or_default().push(Holiday { date: h.on_date, name: h.name });
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut inherited: BTreeMap<NaiveDate, String> = BTreeMap::new();
            let mut seen = HashSet::from([row.id.clone()]);
            let mut next = row.holidays_from_id.clone();
            while let Some(parent) = next.filter(|p| seen.insert(p.clone())) {
                for h in holidays.get(&parent).into_iter().flatten() {
                    inherited.entry(h.date).or_insert_with(|| h.name.clone());
                }
                next = parent_of.get(&parent).cloned().flatten();
            }
            CalendarResponse {
                working_hours: windows.remove(&row.id).unwrap_or_default(),
                holidays: holidays.get(&row.id).cloned().unwrap_or_default(),
                inherited_holidays: inherited.into_iter().map(|(date, name)| Holiday { date, name }).collect(),
                id: row.id,
                name: row.name,
                time_zone: row.time_zone,
                holidays_from_id: row.holidays_from_id,
                archived_at: row.archived_at.map(time::utc),
                version: row.version,
                created_at: time::utc(row.created_at),
                updated_at: time::utc(row.updated_at),
            }
        })
        .collect())
}

fn window_from_row(w: &WindowRow) -> Result<WorkingWindow> {
    let weekday = Weekday::from_number(w.weekday)
        .ok_or_else(|| Error::Internal(format!("stored weekday {} out of range", w.weekday)))?;
    Ok(WorkingWindow { weekday, start: format_minute(w.start_minute), end: format_minute(w.end_minute) })
}

fn format_minute(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Parses `HH:MM` into minutes after midnight; `24:00` is 1440.
fn parse_minute(raw: &str) -> Option<i32> {
    let (h, m) = raw.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

fn parse_time_zone(problems: &mut Problems, raw: &str) -> String {
    match chrono_tz::Tz::from_str(raw.trim()) {
        Ok(tz) => tz.name().to_owned(),
        Err(_) => {
            problems.push(
                "time_zone",
                "unknown_time_zone",
                format!("`{raw}` is not an IANA time zone, e.g. Africa/Lagos"),
            );
            raw.to_owned()
        }
    }
}

/// (weekday, start minute, end minute), checked for shape and overlaps.
type Window = (i32, i32, i32);

fn parse_windows(problems: &mut Problems, windows: &[WorkingWindow]) -> Vec<Window> {
    let mut parsed = Vec::with_capacity(windows.len());
    for (i, w) in windows.iter().enumerate() {
        let start = parse_minute(&w.start).filter(|m| *m < 1440);
        let end = parse_minute(&w.end).filter(|m| *m > 0);
        if start.is_none() {
            problems.push(
                format!("working_hours[{i}].start"),
                "invalid_time",
                "start must be HH:MM between 00:00 and 23:59",
            );
        }
        if end.is_none() {
            problems.push(
                format!("working_hours[{i}].end"),
                "invalid_time",
                "end must be HH:MM between 00:01 and 24:00",
            );
        }
        if let (Some(start), Some(end)) = (start, end) {
            if start >= end {
                problems.push(format!("working_hours[{i}].end"), "end_before_start", "end must be after start");
            } else {
                parsed.push((i, (w.weekday.number(), start, end)));
            }
        }
    }
    parsed.sort_by_key(|(_, w)| *w);
    for pair in parsed.windows(2) {
        let ((_, a), (j, b)) = (&pair[0], &pair[1]);
        if a.0 == b.0 && b.1 < a.2 {
            problems.push(
                format!("working_hours[{j}]"),
                "overlapping_window",
                "working windows on the same weekday overlap",
            );
        }
    }
    parsed.into_iter().map(|(_, w)| w).collect()
}

fn parse_holidays(problems: &mut Problems, holidays: &[Holiday]) -> Vec<(NaiveDate, String)> {
    let mut seen = HashSet::new();
    holidays
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let name = validate::required_text(problems, &format!("holidays[{i}].name"), &h.name, 100);
            if !seen.insert(h.date) {
                problems.push(format!("holidays[{i}].date"), "duplicate", format!("{} is listed twice", h.date));
            }
            (h.date, name)
        })
        .collect()
}

fn replace_windows(conn: &mut Conn, id: &str, windows: &[Window]) -> Result<()> {
    diesel::delete(calendar_windows::table.filter(calendar_windows::calendar_id.eq(id))).execute(conn)?;
    for &(weekday, start_minute, end_minute) in windows {
        diesel::insert_into(calendar_windows::table)
            .values(WindowRow { calendar_id: id.to_owned(), weekday, start_minute, end_minute })
            .execute(conn)?;
    }
    Ok(())
}

fn replace_holidays(conn: &mut Conn, id: &str, holidays: &[(NaiveDate, String)]) -> Result<()> {
    diesel::delete(calendar_holidays::table.filter(calendar_holidays::calendar_id.eq(id))).execute(conn)?;
    for (on_date, name) in holidays {
        diesel::insert_into(calendar_holidays::table)
            .values(HolidayRow { calendar_id: id.to_owned(), on_date: *on_date, name: name.clone() })
            .execute(conn)?;
    }
    Ok(())
}

/// The proposed holiday source must exist, be active, and not lead back to `id`.
fn check_holiday_source(conn: &mut Conn, id: &str, parent: &str) -> Result<()> {
    ensure_usable(conn, "holidays_from_id", parent)?;
    let mut next = Some(parent.to_owned());
    for _ in 0..MAX_CHAIN {
        let Some(current) = next else { return Ok(()) };
        if current == id {
            return Err(Error::invalid("holidays_from_id", "cycle", "a calendar cannot inherit holidays from itself"));
        }
        next = calendars::table
            .filter(calendars::id.eq(&current))
            .select(calendars::holidays_from_id)
            .first::<Option<String>>(conn)?;
    }
    match next {
        None => Ok(()),
        Some(_) => Err(Error::invalid(
            "holidays_from_id",
            "chain_too_long",
            format!("holidays may be inherited through at most {MAX_CHAIN} calendars"),
        )),
    }
}

fn ensure_unique_name(conn: &mut Conn, name: &str, except: Option<&str>) -> Result<()> {
    let mut q = calendars::table
        .filter(crate::db::lower(calendars::name).eq(name.to_lowercase()))
        .select(calendars::id)
        .into_boxed();
    if let Some(except) = except {
        q = q.filter(calendars::id.ne(except.to_owned()));
    }
    match q.first::<String>(conn).optional()? {
        Some(_) => Err(Error::Duplicate(vec![crate::FieldError::new(
            "name",
            "duplicate",
            format!("a calendar named `{name}` already exists"),
        )])),
        None => Ok(()),
    }
}

/// The calendar business time is measured on for a record of `division_id`
/// at `branch_id`: the branch's own, else its division's; none when neither
/// has one.
pub fn effective_calendar_id(conn: &mut Conn, branch_id: Option<&str>, division_id: &str) -> Result<Option<String>> {
    if let Some(branch_id) = branch_id {
        let own: Option<Option<String>> = branches::table
            .filter(branches::id.eq(branch_id))
            .select(branches::calendar_id)
            .get_result(conn)
            .optional()?;
        if let Some(Some(calendar_id)) = own {
            return Ok(Some(calendar_id));
        }
    }
    let division: Option<Option<String>> = divisions::table
        .filter(divisions::id.eq(division_id))
        .select(divisions::calendar_id)
        .get_result(conn)
        .optional()?;
    Ok(division.flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(weekday: Weekday, start: &str, end: &str) -> WorkingWindow {
        WorkingWindow { weekday, start: start.into(), end: end.into() }
    }

    #[test]
    fn parses_clock_times() {
        assert_eq!(parse_minute("08:30"), Some(510));
        assert_eq!(parse_minute("24:00"), Some(1440));
        for bad in ["8:30", "24:01", "12:60", "noon", "12:5", ""] {
            assert_eq!(parse_minute(bad), None, "{bad}");
        }
    }

    #[test]
    fn rejects_overlapping_and_inverted_windows() {
        let mut p = Problems::new();
        parse_windows(&mut p, &[window(Weekday::Monday, "08:00", "12:00"), window(Weekday::Monday, "13:00", "17:00")]);
        assert!(p.is_empty());
        let mut p = Problems::new();
        parse_windows(&mut p, &[window(Weekday::Monday, "08:00", "12:00"), window(Weekday::Monday, "11:00", "17:00")]);
        assert!(!p.is_empty());
        let mut p = Problems::new();
        parse_windows(&mut p, &[window(Weekday::Friday, "17:00", "08:00")]);
        assert!(!p.is_empty());
        let mut p = Problems::new();
        parse_windows(&mut p, &[window(Weekday::Monday, "08:00", "12:00"), window(Weekday::Tuesday, "08:00", "12:00")]);
        assert!(p.is_empty());
    }
}

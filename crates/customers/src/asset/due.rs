//! Keeps the columns derived from an asset's history current: the latest
//! usage (from its readings), the last scheduled service (from its service
//! records) and the service projection (from those and the matching rule).
//! Lists filter and sort on them, so they are stored, and every write that
//! can move them calls in here.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use rapport_core::Result;
use rapport_core::db::schema::{asset_readings, assets, service_records, service_rules};
use rapport_core::db::{CacheStatement, Conn, lower};

use super::projection::{self, History, Interval, Point, Projection};
use super::rows::{AssetRow, RuleRow};

/// Assets re-projected per query batch when a rule changes.
const BATCH: i64 = 500;

/// Today in Africa/Lagos (UTC+1 all year, no daylight saving), the day the
/// service status and "not in the future" checks are measured against.
pub fn today() -> NaiveDate {
    lagos_date(Utc::now().naive_utc())
}

/// The Lagos calendar day of a stored UTC instant.
pub fn lagos_date(instant: NaiveDateTime) -> NaiveDate {
    (instant + TimeDelta::hours(1)).date()
}

/// The form makes and models are matched in.
pub(crate) fn match_key(raw: Option<&str>) -> String {
    raw.map(|s| s.trim().to_lowercase()).unwrap_or_default()
}

/// The stored projection of a row.
pub(crate) fn stored(row: &AssetRow) -> Projection {
    Projection {
        due_on: row.next_service_due_on,
        due_usage: row.next_service_due_usage,
        soon_on: row.service_due_soon_on,
        soon_usage: row.service_due_soon_usage,
    }
}

/// The rule governing an asset: the one for its model over the make-wide one.
fn pick<'a>(rules: &'a [RuleRow], row: &AssetRow) -> Option<&'a RuleRow> {
    let make = match_key(row.make.as_deref());
    let model = match_key(row.model.as_deref());
    let for_make = |r: &&RuleRow| r.asset_kind == row.kind && r.make_key == make && !make.is_empty();
    rules
        .iter()
        .filter(for_make)
        .find(|r| !model.is_empty() && r.model_key == model)
        .or_else(|| rules.iter().filter(for_make).find(|r| r.model_key.is_empty()))
}

fn interval(rule: &RuleRow) -> Interval {
    Interval {
        usage: rule.interval_usage,
        months: rule.interval_months.and_then(|m| u32::try_from(m).ok()),
        due_soon_days: u32::try_from(rule.due_soon_days).unwrap_or(0),
        due_soon_usage: rule.due_soon_usage,
    }
}

/// The projection for `row` under `rules` with its `readings`.
fn project(row: &AssetRow, rules: &[RuleRow], readings: Vec<Point>) -> Projection {
    let Some(rule) = pick(rules, row) else { return Projection::default() };
    let history = History {
        purchase_date: row.purchase_date,
        last_service_on: row.last_service_on,
        last_service_usage: row.last_service_usage,
        readings,
    };
    projection::project(&interval(rule), &history)
}

fn readings_of(conn: &mut Conn, ids: &[&str]) -> Result<HashMap<String, Vec<Point>>> {
    let rows: Vec<(String, NaiveDateTime, i64)> = asset_readings::table
        .filter(asset_readings::asset_id.eq_any(ids))
        .select((asset_readings::asset_id, asset_readings::read_at, asset_readings::usage))
        .load(conn)?;
    let mut out: HashMap<String, Vec<Point>> = HashMap::new();
    for (asset_id, at, usage) in rows {
        out.entry(asset_id).or_default().push(Point { at, usage });
    }
    Ok(out)
}

fn rules_for(conn: &mut Conn, kind: &str, make_key: &str) -> Result<Vec<RuleRow>> {
    Ok(service_rules::table
        .filter(service_rules::asset_kind.eq(kind))
        .filter(service_rules::make_key.eq(make_key))
        .select(RuleRow::as_select())
        .load(conn)?)
}

/// Recomputes the derived columns of asset `id` from its readings, service
/// records and rule, and stores them. With `bump`, a change also moves the
/// version and `updated_at` (the asset changed as far as clients can see).
/// Returns whether anything changed.
pub(crate) fn sync(conn: &mut Conn, id: &str, bump: bool) -> Result<bool> {
    let before: AssetRow = assets::table.filter(assets::id.eq(id)).select(AssetRow::as_select()).first(conn)?;
    let mut row = before.clone();
    let latest: Option<(NaiveDateTime, i64)> = asset_readings::table
        .filter(asset_readings::asset_id.eq(id))
        .order((asset_readings::read_at.desc(), asset_readings::usage.desc()))
        .select((asset_readings::read_at, asset_readings::usage))
        .first(conn)
        .optional()?;
    (row.last_usage_at, row.last_usage) = (latest.map(|l| l.0), latest.map(|l| l.1));
    let service: Option<(NaiveDate, Option<i64>)> = service_records::table
        .filter(service_records::asset_id.eq(id))
        .filter(service_records::kind.eq("scheduled_service"))
        .order((service_records::performed_on.desc(), service_records::created_at.desc(), service_records::id.desc()))
        .select((service_records::performed_on, service_records::usage))
        .first(conn)
        .optional()?;
    (row.last_service_on, row.last_service_usage) = (service.map(|s| s.0), service.and_then(|s| s.1));
    let rules = rules_for(conn, &row.kind, &match_key(row.make.as_deref()))?;
    let readings = readings_of(conn, &[id])?.remove(id).unwrap_or_default();
    let projection = project(&row, &rules, readings);
    set_projection(&mut row, projection);
    if row == before {
        return Ok(false);
    }
    let (version, updated_at) =
        if bump { (before.version + 1, rapport_core::time::now()) } else { (before.version, before.updated_at) };
    diesel::update(assets::table.filter(assets::id.eq(id)))
        .set((
            assets::last_usage.eq(row.last_usage),
            assets::last_usage_at.eq(row.last_usage_at),
            assets::last_service_on.eq(row.last_service_on),
            assets::last_service_usage.eq(row.last_service_usage),
            assets::next_service_due_on.eq(row.next_service_due_on),
            assets::next_service_due_usage.eq(row.next_service_due_usage),
            assets::service_due_soon_on.eq(row.service_due_soon_on),
            assets::service_due_soon_usage.eq(row.service_due_soon_usage),
            assets::version.eq(version),
            assets::updated_at.eq(updated_at),
        ))
        .cached()
        .execute(conn)?;
    Ok(true)
}

fn set_projection(row: &mut AssetRow, p: Projection) {
    row.next_service_due_on = p.due_on;
    row.next_service_due_usage = p.due_usage;
    row.service_due_soon_on = p.soon_on;
    row.service_due_soon_usage = p.soon_usage;
}

/// Re-projects every asset a rule for `kind` and `make_key` may govern,
/// after that rule was created, changed or deleted: a batch of assets, their
/// rules and their readings per query, and one update per asset whose
/// projection moved. Returns the ids of the assets that changed, with their
/// rows before and after.
pub(crate) fn sync_matching(conn: &mut Conn, kind: &str, make_key: &str) -> Result<Vec<(AssetRow, AssetRow)>> {
    let rules = rules_for(conn, kind, make_key)?;
    let mut changed = Vec::new();
    let mut after_id = String::new();
    loop {
        let mut q = assets::table
            .filter(assets::kind.eq(kind))
            .filter(assets::id.gt(after_id.clone()))
            .select(AssetRow::as_select())
            .order(assets::id)
            .limit(BATCH)
            .into_boxed();
        // SQL lower() is ASCII-only on SQLite: narrow in SQL only when that
        // is exact, and decide in Rust either way.
        q = if make_key.is_ascii() {
            q.filter(lower(assets::make.assume_not_null()).eq(make_key.to_owned()))
        } else {
            q.filter(assets::make.is_not_null())
        };
        let batch: Vec<AssetRow> = q.load(conn)?;
        let Some(last) = batch.last() else { break };
        after_id.clone_from(&last.id);
        let ids: Vec<&str> = batch.iter().map(|r| r.id.as_str()).collect();
        let mut readings = readings_of(conn, &ids)?;
        for row in batch.iter().filter(|r| match_key(r.make.as_deref()) == make_key) {
            let mut next = row.clone();
            set_projection(&mut next, project(row, &rules, readings.remove(&row.id).unwrap_or_default()));
            if next == *row {
                continue;
            }
            next.version += 1;
            next.updated_at = rapport_core::time::now();
            diesel::update(assets::table.filter(assets::id.eq(&row.id)))
                .set((
                    assets::next_service_due_on.eq(next.next_service_due_on),
                    assets::next_service_due_usage.eq(next.next_service_due_usage),
                    assets::service_due_soon_on.eq(next.service_due_soon_on),
                    assets::service_due_soon_usage.eq(next.service_due_soon_usage),
                    assets::version.eq(next.version),
                    assets::updated_at.eq(next.updated_at),
                ))
                .cached()
                .execute(conn)?;
            changed.push((row.clone(), next));
        }
    }
    Ok(changed)
}

/// The status of a stored row as of `today`.
pub(crate) fn status_of(row: &AssetRow, today: NaiveDate) -> projection::Status {
    projection::status(&stored(row), row.last_usage, today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: &str, make: &str, model: &str) -> RuleRow {
        let now = rapport_core::time::now();
        RuleRow {
            id: format!("{kind}/{make}/{model}"),
            asset_kind: kind.into(),
            make: make.into(),
            model: (!model.is_empty()).then(|| model.into()),
            make_key: make.into(),
            model_key: model.into(),
            interval_usage: Some(1),
            interval_months: None,
            due_soon_days: 30,
            due_soon_usage: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn asset(kind: &str, make: Option<&str>, model: Option<&str>) -> AssetRow {
        let now = rapport_core::time::now();
        AssetRow {
            id: "a".into(),
            customer_id: "c".into(),
            division_id: "d".into(),
            kind: kind.into(),
            make: make.map(Into::into),
            model: model.map(Into::into),
            model_year: None,
            serial: None,
            plate: None,
            purchase_date: None,
            warranty_end: None,
            usage_unit: "km".into(),
            last_usage: None,
            last_usage_at: None,
            last_service_on: None,
            last_service_usage: None,
            next_service_due_on: None,
            next_service_due_usage: None,
            service_due_soon_on: None,
            service_due_soon_usage: None,
            external_source: None,
            external_id: None,
            archived_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let rules =
            [rule("vehicle", "toyota", ""), rule("vehicle", "toyota", "corolla"), rule("generator", "toyota", "")];
        let picked = |a: &AssetRow| pick(&rules, a).map(|r| r.id.clone());
        let corolla = asset("vehicle", Some(" TOYOTA "), Some("Corolla"));
        assert_eq!(picked(&corolla).as_deref(), Some("vehicle/toyota/corolla"));
        assert_eq!(picked(&asset("vehicle", Some("Toyota"), Some("Hilux"))).as_deref(), Some("vehicle/toyota/"));
        assert_eq!(picked(&asset("vehicle", Some("Toyota"), None)).as_deref(), Some("vehicle/toyota/"));
        assert_eq!(picked(&asset("generator", Some("toyota"), Some("corolla"))).as_deref(), Some("generator/toyota/"));
        assert_eq!(picked(&asset("vehicle", Some("Kia"), None)), None);
        assert_eq!(picked(&asset("vehicle", None, Some("Corolla"))), None);
    }

    #[test]
    fn lagos_is_an_hour_ahead() {
        let late = NaiveDate::from_ymd_opt(2026, 1, 31).and_then(|d| d.and_hms_opt(23, 30, 0)).expect("instant");
        assert_eq!(lagos_date(late), NaiveDate::from_ymd_opt(2026, 2, 1).expect("date"));
    }
}

//! Usage readings (odometer km or hour-meter hours): recorded by hand, with
//! an asset's `last_usage`, or from a service record's usage. They never go
//! backwards in time order, and they drive the usage-rate projection.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rapport_core::audit::{self, Action, Actor, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::asset_readings;
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::principal::Reach;
use rapport_core::{Error, Problems, Result, ids, time};

use super::api::{CreateReading, ReadingListQuery, ReadingResponse, ReadingSort};
use super::input;
pub(crate) use super::input::MAX_USAGE;
use super::rows::ReadingRow;
use super::store;

const ENTITY: &str = "asset_reading";

/// A reading about to be written.
pub(crate) struct NewReading<'a> {
    /// Its id (a service record's reading takes the record's id).
    pub id: &'a str,
    /// The asset.
    pub asset_id: &'a str,
    /// When.
    pub at: NaiveDateTime,
    /// km or hours.
    pub usage: i64,
    /// `manual`, `asset`, `service_record`, …
    pub source: &'a str,
    /// The field to blame when it does not fit the other readings.
    pub field: &'a str,
}

/// Records a reading taken of asset `asset_id` (404 outside `reach`).
pub fn create(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    asset_id: &str,
    input: CreateReading,
) -> Result<ReadingResponse> {
    store::find_row(conn, reach, asset_id)?;
    let mut problems = Problems::new();
    let usage = input::usage(&mut problems, "usage", input.usage);
    let at = input::read_at(&mut problems, "read_at", input.read_at);
    let source = input::source_name(&mut problems, "source", input.source.as_deref().unwrap_or("manual"));
    problems.into_result(())?;
    let id = ids::new_id();
    let row = insert(conn, ctx, &NewReading { id: &id, asset_id, at, usage, source: &source, field: "usage" })?;
    let created = to_response(row);
    audit::record(conn, ctx, ENTITY, &id, Action::Created, None, Some(&created))?;
    store::touch(conn, ctx, asset_id)?;
    Ok(created)
}

/// One page of an asset's readings (404 when the asset is outside `reach`).
pub fn list(conn: &mut Conn, reach: &Reach, asset_id: &str, query: &ReadingListQuery) -> Result<Page<ReadingResponse>> {
    store::find_row(conn, reach, asset_id)?;
    let page = PageRequest::<ReadingSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let q = asset_readings::table
        .filter(asset_readings::asset_id.eq(asset_id.to_owned()))
        .select(ReadingRow::as_select())
        .into_boxed();
    let after = page.after_instant()?;
    let q = rapport_core::keyset!(q, asset_readings::read_at, asset_readings::id, page.sort.direction, after);
    let rows = q.limit(page.fetch_limit()).load::<ReadingRow>(conn)?;
    Ok(page.finish(rows, |r| (instant_value(r.read_at), r.id.clone())).map(to_response))
}

/// Writes a reading after checking that it fits the asset's other readings:
/// none taken earlier shows more usage, none taken later shows less.
pub(crate) fn insert(conn: &mut Conn, ctx: &WriteContext, new: &NewReading<'_>) -> Result<ReadingRow> {
    ensure_in_order(conn, new)?;
    let row = ReadingRow {
        id: new.id.to_owned(),
        asset_id: new.asset_id.to_owned(),
        read_at: new.at,
        usage: new.usage,
        source: new.source.to_owned(),
        recorded_by: match &ctx.actor {
            Actor::User(id) => Some(id.clone()),
            _ => None,
        },
        created_at: time::now(),
    };
    diesel::insert_into(asset_readings::table).values(&row).execute(conn)?;
    Ok(row)
}

/// Removes the reading `id` (a service record's, when the record changes or goes).
pub(crate) fn remove(conn: &mut Conn, id: &str) -> Result<()> {
    diesel::delete(asset_readings::table.filter(asset_readings::id.eq(id))).execute(conn)?;
    Ok(())
}

fn ensure_in_order(conn: &mut Conn, new: &NewReading<'_>) -> Result<()> {
    let others =
        asset_readings::table.filter(asset_readings::asset_id.eq(new.asset_id)).filter(asset_readings::id.ne(new.id));
    let higher_before: Option<i64> = others
        .filter(asset_readings::read_at.lt(new.at))
        .filter(asset_readings::usage.gt(new.usage))
        .select(diesel::dsl::max(asset_readings::usage))
        .first(conn)?;
    let lower_after: Option<i64> = others
        .filter(asset_readings::read_at.gt(new.at))
        .filter(asset_readings::usage.lt(new.usage))
        .select(diesel::dsl::min(asset_readings::usage))
        .first(conn)?;
    let message = match (higher_before, lower_after) {
        (Some(before), _) => format!("{} is below {before}, read earlier; usage never goes down", new.usage),
        (None, Some(after)) => format!("{} is above {after}, read later; usage never goes down", new.usage),
        (None, None) => return Ok(()),
    };
    Err(Error::invalid(new.field, "usage_decreased", message))
}

pub(crate) fn to_response(row: ReadingRow) -> ReadingResponse {
    ReadingResponse {
        id: row.id,
        asset_id: row.asset_id,
        read_at: time::utc(row.read_at),
        usage: row.usage,
        source: row.source,
        recorded_by: row.recorded_by,
        created_at: time::utc(row.created_at),
    }
}

//! Assets: create, read, update, delete-or-archive, and upsert by external
//! id. Assets are division records: a division-scoped caller reaches the
//! assets of their division, filtered in the query.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::assets;
use rapport_core::db::{CacheStatement, Conn, MultiBackend};
use rapport_core::principal::{Reach, Scope};
use rapport_core::removal::{Removal, Target, apply_archive_flag, delete_or_archive};
use rapport_core::{Error, Problems, Result, ids, time, validate};
use serde_json::Value;

use super::api::{AssetKind, AssetResponse, CreateAsset, ServiceStatus, UpdateAsset, UsageUnit};
use super::due;
use super::input::{self, Fields};
use super::projection::Status;
use super::readings::{self, NewReading};
use super::rows::AssetRow;
use crate::custom_field::{self, Entity};
use crate::customer::{self, store::ensure_reachable};
use crate::refs;

pub(crate) const ENTITY: &str = "asset";

pub(crate) type BoxedAssets<'a> =
    assets::BoxedQuery<'a, MultiBackend, diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<AssetRow, MultiBackend>>>;

/// Assets within `reach`: all, or those of the caller's division.
pub(crate) fn reachable<'a>(reach: &Reach) -> BoxedAssets<'a> {
    let q = assets::table.select(AssetRow::as_select()).into_boxed();
    match reach.scope {
        Scope::All => q,
        Scope::Division => q.filter(assets::division_id.eq(reach.own_division().to_owned())),
        // Assets belong to divisions, not to branches or people.
        Scope::Branch | Scope::Own => q.filter(assets::id.eq("")),
    }
}

/// The stored row of asset `id` within `reach`.
pub(crate) fn find_row(conn: &mut Conn, reach: &Reach, id: &str) -> Result<AssetRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    reachable(reach)
        .filter(assets::id.eq(id.to_owned()))
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// The asset `id` within `reach`.
pub fn get(conn: &mut Conn, reach: &Reach, id: &str) -> Result<AssetResponse> {
    let row = find_row(conn, reach, id)?;
    one(conn, row)
}

pub(super) fn one(conn: &mut Conn, row: AssetRow) -> Result<AssetResponse> {
    responses(conn, vec![row])?.pop().ok_or_else(|| Error::Internal("asset vanished".to_owned()))
}

/// Asset `id` without scope checks, for the writes that follow a scoped read.
pub(crate) fn reload(conn: &mut Conn, id: &str) -> Result<AssetResponse> {
    let row = find_row(conn, &Reach::everything(), id)?;
    one(conn, row)
}

/// The API form of `rows`, custom fields loaded in one query.
pub(crate) fn responses(conn: &mut Conn, rows: Vec<AssetRow>) -> Result<Vec<AssetResponse>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut custom = custom_field::values_for(conn, Entity::Asset, &ids)?;
    let today = due::today();
    rows.into_iter()
        .map(|row| {
            let values = custom.remove(&row.id).unwrap_or_default();
            to_response(row, values, today)
        })
        .collect()
}

/// Re-derives asset `id`'s usage, last service and projection after one of
/// its readings or service records changed; a visible change is a new
/// version with its audit entry and change event.
pub(crate) fn touch(conn: &mut Conn, ctx: &WriteContext, id: &str) -> Result<()> {
    let before = reload(conn, id)?;
    if due::sync(conn, id, true)? {
        let after = reload(conn, id)?;
        audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    }
    Ok(())
}

/// Creates an asset.
pub fn create(conn: &mut Conn, ctx: &WriteContext, reach: &Reach, input: CreateAsset) -> Result<AssetResponse> {
    let mut problems = Problems::new();
    let division_id = match (&input.division_id, reach.scope) {
        (Some(d), _) => validate::id_ref(&mut problems, "division_id", d),
        (None, Scope::Division) => reach.own_division().to_owned(),
        (None, _) => {
            problems.push("division_id", "required", "division_id is required");
            String::new()
        }
    };
    let mut fields = parse(&mut problems, &input, division_id);
    let usage = parse_usage(&mut problems, input.last_usage, input.last_usage_at);
    problems.into_result(())?;
    check_references(conn, reach, &mut fields, None)?;
    let custom = custom_field::validate(
        conn,
        Entity::Asset,
        std::slice::from_ref(&fields.division_id),
        &input.custom_fields,
        true,
    )?;
    let id = ids::new_id();
    let now = time::now();
    let row = AssetRow {
        id: id.clone(),
        customer_id: fields.customer_id.clone(),
        division_id: fields.division_id.clone(),
        kind: fields.kind.as_str().to_owned(),
        make: fields.make,
        model: fields.model,
        model_year: fields.model_year,
        serial: fields.serial,
        plate: fields.plate,
        purchase_date: fields.purchase_date,
        warranty_end: fields.warranty_end,
        usage_unit: fields.usage_unit.as_str().to_owned(),
        last_usage: None,
        last_usage_at: None,
        last_service_on: None,
        last_service_usage: None,
        next_service_due_on: None,
        next_service_due_usage: None,
        service_due_soon_on: None,
        service_due_soon_usage: None,
        external_source: fields.external_source,
        external_id: fields.external_id,
        archived_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(assets::table).values(&row).execute(conn)?;
    customer::link_division(conn, &row.customer_id, &row.division_id)?;
    custom_field::store(conn, &id, &custom)?;
    if let Some((usage, at)) = usage {
        let at = at.unwrap_or(now);
        let reading = NewReading { id: &ids::new_id(), asset_id: &id, at, usage, source: "asset", field: "last_usage" };
        readings::insert(conn, ctx, &reading)?;
    }
    due::sync(conn, &id, false)?;
    let created = reload(conn, &id)?;
    audit::record(conn, ctx, ENTITY, &id, Action::Created, None, Some(&created))?;
    Ok(created)
}

/// Applies `changes` if the asset is still at `expected_version`.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    expected_version: i64,
    changes: UpdateAsset,
) -> Result<AssetResponse> {
    let row = find_row(conn, reach, id)?;
    if row.version != expected_version {
        return Err(Error::StaleVersion { current: row.version });
    }
    let current = fields_of(&row)?;
    let mut problems = Problems::new();
    let pick = |change: Option<Option<String>>, now: &Option<String>| change.unwrap_or_else(|| now.clone());
    let kind = changes.kind.unwrap_or(current.kind);
    let fields = Fields {
        customer_id: changes
            .customer_id
            .map_or(current.customer_id.clone(), |c| validate::id_ref(&mut problems, "customer_id", &c)),
        division_id: changes
            .division_id
            .map_or(current.division_id.clone(), |d| validate::id_ref(&mut problems, "division_id", &d)),
        kind,
        make: input::text(&mut problems, "make", pick(changes.make, &current.make).as_deref(), 60),
        model: input::text(&mut problems, "model", pick(changes.model, &current.model).as_deref(), 60),
        model_year: changes.model_year.unwrap_or(current.model_year),
        serial: match changes.serial {
            Some(s) => input::serial(&mut problems, s.as_deref()),
            None => current.serial.clone(),
        },
        plate: match changes.plate {
            Some(p) => input::plate(&mut problems, p.as_deref()),
            None => current.plate.clone(),
        },
        purchase_date: changes.purchase_date.unwrap_or(current.purchase_date),
        warranty_end: changes.warranty_end.unwrap_or(current.warranty_end),
        usage_unit: changes.usage_unit.unwrap_or(current.usage_unit),
        external_source: match changes.external_source {
            Some(s) => s.map(|s| input::source_name(&mut problems, "external_source", &s)),
            None => current.external_source.clone(),
        },
        external_id: match changes.external_id {
            Some(e) => e.map(|e| input::external_id(&mut problems, "external_id", &e)),
            None => current.external_id.clone(),
        },
    };
    fields.check(&mut problems);
    let usage = parse_usage(&mut problems, changes.last_usage, changes.last_usage_at);
    problems.into_result(())?;
    let before = one(conn, row.clone())?;
    apply(
        conn,
        ctx,
        reach,
        &row,
        before,
        Change { fields, usage, custom: changes.custom_fields, archived: changes.archived },
    )
}

/// What an update or upsert writes over a stored asset.
pub(super) struct Change {
    pub fields: Fields,
    pub usage: GivenUsage,
    pub custom: Option<BTreeMap<String, Value>>,
    pub archived: Option<bool>,
}

/// Writes `change` over `row` (read within reach, version checked; `before`
/// is its API form).
pub(super) fn apply(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    row: &AssetRow,
    before: AssetResponse,
    change: Change,
) -> Result<AssetResponse> {
    let Change { mut fields, usage, custom, archived } = change;
    check_references(conn, reach, &mut fields, Some(row))?;
    let custom = match &custom {
        Some(values) => {
            Some(custom_field::validate(conn, Entity::Asset, std::slice::from_ref(&fields.division_id), values, false)?)
        }
        None => None,
    };
    let now = time::now();
    let (archived_at, action) = apply_archive_flag(row.archived_at, archived, now);
    let updated = diesel::update(assets::table.filter(assets::id.eq(&row.id)).filter(assets::version.eq(row.version)))
        .set((
            assets::customer_id.eq(&fields.customer_id),
            assets::division_id.eq(&fields.division_id),
            assets::kind.eq(fields.kind.as_str()),
            assets::make.eq(&fields.make),
            assets::model.eq(&fields.model),
            assets::model_year.eq(fields.model_year),
            assets::serial.eq(&fields.serial),
            assets::plate.eq(&fields.plate),
            assets::purchase_date.eq(fields.purchase_date),
            assets::warranty_end.eq(fields.warranty_end),
            assets::usage_unit.eq(fields.usage_unit.as_str()),
            assets::external_source.eq(&fields.external_source),
            assets::external_id.eq(&fields.external_id),
            assets::archived_at.eq(archived_at),
            assets::version.eq(row.version + 1),
            assets::updated_at.eq(now),
        ))
        .cached()
        .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: reload(conn, &row.id)?.version });
    }
    if fields.customer_id != row.customer_id || fields.division_id != row.division_id {
        customer::link_division(conn, &fields.customer_id, &fields.division_id)?;
    }
    if let Some(custom) = &custom {
        custom_field::store(conn, &row.id, custom)?;
    }
    // A repeated value (an ERP resending the same mileage) is no new reading.
    let repeated = |(u, at): (i64, Option<chrono::NaiveDateTime>)| {
        Some(u) == row.last_usage && at.is_none_or(|at| Some(at) == row.last_usage_at)
    };
    if let Some((usage, at)) = usage.filter(|u| !repeated(*u)) {
        let at = at.unwrap_or(now);
        let reading =
            NewReading { id: &ids::new_id(), asset_id: &row.id, at, usage, source: "asset", field: "last_usage" };
        readings::insert(conn, ctx, &reading)?;
    }
    due::sync(conn, &row.id, false)?;
    let after = reload(conn, &row.id)?;
    audit::record(conn, ctx, ENTITY, &row.id, action, Some(&before), Some(&after))?;
    Ok(after)
}

/// Deletes the asset, or archives it when other records (service records,
/// purchases) still refer to it. Its readings go with it.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Removal<AssetResponse>> {
    let row = find_row(conn, reach, id)?;
    let (version, archived_at) = (row.version, row.archived_at);
    let before = one(conn, row)?;
    let target = Target { entity: ENTITY, id, before, version };
    delete_or_archive(
        conn,
        ctx,
        target,
        expected_version,
        |conn| {
            custom_field::clear(conn, id)?;
            diesel::delete(assets::table.filter(assets::id.eq(id))).execute(conn)?;
            Ok(())
        },
        |conn| {
            let now = time::now();
            diesel::update(assets::table.filter(assets::id.eq(id)))
                .set((
                    assets::archived_at.eq(archived_at.unwrap_or(now)),
                    assets::version.eq(version + 1),
                    assets::updated_at.eq(now),
                ))
                .cached()
                .execute(conn)?;
            reload(conn, id)
        },
    )
}

/// The stored fields of a create input (PUT semantics for upserts).
pub(super) fn parse(problems: &mut Problems, input: &CreateAsset, division_id: String) -> Fields {
    let fields = Fields {
        customer_id: validate::id_ref(problems, "customer_id", &input.customer_id),
        division_id,
        kind: input.kind,
        make: input::text(problems, "make", input.make.as_deref(), 60),
        model: input::text(problems, "model", input.model.as_deref(), 60),
        model_year: input.model_year,
        serial: input::serial(problems, input.serial.as_deref()),
        plate: input::plate(problems, input.plate.as_deref()),
        purchase_date: input.purchase_date,
        warranty_end: input.warranty_end,
        usage_unit: input.usage_unit.unwrap_or(input.kind.default_unit()),
        external_source: input.external_source.as_deref().map(|s| input::source_name(problems, "external_source", s)),
        external_id: input.external_id.as_deref().map(|e| input::external_id(problems, "external_id", e)),
    };
    fields.check(problems);
    fields
}

/// A usage given with the asset, and when it was read if that was given.
pub(super) type GivenUsage = Option<(i64, Option<chrono::NaiveDateTime>)>;

pub(super) fn parse_usage(
    problems: &mut Problems,
    usage: Option<i64>,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> GivenUsage {
    if usage.is_none() && at.is_some() {
        problems.push("last_usage_at", "incomplete", "last_usage_at needs last_usage");
    }
    let at = at.map(|at| input::read_at(problems, "last_usage_at", Some(at)));
    usage.map(|u| (input::usage(problems, "last_usage", u), at))
}

/// Checks references that changed (all of them on create): the customer is
/// reachable (a merged one is followed to the survivor), the division is
/// active and within reach, the serial and external id are free.
fn check_references(conn: &mut Conn, reach: &Reach, fields: &mut Fields, before: Option<&AssetRow>) -> Result<()> {
    if before.is_none_or(|b| b.customer_id != fields.customer_id) {
        fields.customer_id = ensure_reachable(conn, reach, "customer_id", &fields.customer_id)?;
    }
    if before.is_none_or(|b| b.division_id != fields.division_id) {
        refs::ensure_division(conn, "division_id", &fields.division_id)?;
        refs::ensure_division_in_reach(reach, "division_id", &fields.division_id)?;
    }
    let except = before.map_or("", |b| b.id.as_str());
    let mut problems = Problems::new();
    if let Some(serial) = &fields.serial {
        let taken = diesel::select(diesel::dsl::exists(
            assets::table.filter(assets::serial.eq(serial)).filter(assets::id.ne(except)),
        ))
        .get_result::<bool>(conn)?;
        if taken {
            problems.push("serial", "duplicate", format!("an asset with serial {serial} already exists"));
        }
    }
    if let (Some(source), Some(external_id)) = (&fields.external_source, &fields.external_id) {
        let taken = diesel::select(diesel::dsl::exists(
            assets::table
                .filter(assets::external_source.eq(source))
                .filter(assets::external_id.eq(external_id))
                .filter(assets::id.ne(except)),
        ))
        .get_result::<bool>(conn)?;
        if taken {
            problems.push("external_id", "duplicate", format!("{source} asset {external_id} already exists"));
        }
    }
    problems.into_duplicate_result()
}

fn fields_of(row: &AssetRow) -> Result<Fields> {
    Ok(Fields {
        customer_id: row.customer_id.clone(),
        division_id: row.division_id.clone(),
        kind: AssetKind::parse(&row.kind).ok_or_else(|| Error::Internal(format!("stored asset kind {}", row.kind)))?,
        make: row.make.clone(),
        model: row.model.clone(),
        model_year: row.model_year,
        serial: row.serial.clone(),
        plate: row.plate.clone(),
        purchase_date: row.purchase_date,
        warranty_end: row.warranty_end,
        usage_unit: UsageUnit::parse(&row.usage_unit)
            .ok_or_else(|| Error::Internal(format!("stored usage unit {}", row.usage_unit)))?,
        external_source: row.external_source.clone(),
        external_id: row.external_id.clone(),
    })
}

fn to_response(row: AssetRow, custom_fields: BTreeMap<String, Value>, today: NaiveDate) -> Result<AssetResponse> {
    let service_status = match due::status_of(&row, today) {
        Status::Ok => ServiceStatus::Ok,
        Status::DueSoon => ServiceStatus::DueSoon,
        Status::Overdue => ServiceStatus::Overdue,
        Status::Unknown => ServiceStatus::Unknown,
    };
    let kind = AssetKind::parse(&row.kind).ok_or_else(|| Error::Internal(format!("stored asset kind {}", row.kind)))?;
    let usage_unit = UsageUnit::parse(&row.usage_unit)
        .ok_or_else(|| Error::Internal(format!("stored usage unit {}", row.usage_unit)))?;
    Ok(AssetResponse {
        under_warranty: row.warranty_end.is_some_and(|end| today <= end),
        id: row.id,
        customer_id: row.customer_id,
        division_id: row.division_id,
        kind,
        make: row.make,
        model: row.model,
        model_year: row.model_year,
        serial: row.serial,
        plate: row.plate,
        purchase_date: row.purchase_date,
        warranty_end: row.warranty_end,
        usage_unit,
        last_usage: row.last_usage,
        last_usage_at: row.last_usage_at.map(time::utc),
        last_service_on: row.last_service_on,
        last_service_usage: row.last_service_usage,
        next_service_due_on: row.next_service_due_on,
        next_service_due_usage: row.next_service_due_usage,
        service_due_soon_on: row.service_due_soon_on,
        service_due_soon_usage: row.service_due_soon_usage,
        service_status,
        custom_fields,
        external_source: row.external_source,
        external_id: row.external_id,
        archived_at: row.archived_at.map(time::utc),
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}

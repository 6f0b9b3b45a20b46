//! Service records: create, read, list, update, delete. Each write
//! re-derives the asset's last service and projection in the same
//! transaction; a record's usage is kept as the asset reading with the
//! record's id.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::service_records;
use rapport_core::db::{CacheStatement, Conn, MultiBackend};
use rapport_core::money::{self, Money};
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::principal::{Reach, Scope};
use rapport_core::removal::Removal;
use rapport_core::{Error, FieldError, Problems, Result, ids, time, validate};

use super::api::{
    CreateServiceRecord, ServiceKind, ServiceRecordListQuery, ServiceRecordResponse, ServiceRecordSort,
    UpdateServiceRecord,
};
use super::rows::ServiceRecordRow;
use crate::asset::readings::{self, NewReading};
use crate::asset::{due, store as assets};
use crate::refs;

const ENTITY: &str = "service_record";

type BoxedRecords<'a> = service_records::BoxedQuery<
    'a,
    MultiBackend,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<ServiceRecordRow, MultiBackend>>,
>;

/// Records within `reach`: all, or those of the caller's division.
fn reachable<'a>(reach: &Reach) -> BoxedRecords<'a> {
    let q = service_records::table.select(ServiceRecordRow::as_select()).into_boxed();
    match reach.scope {
        Scope::All => q,
        Scope::Division => q.filter(service_records::division_id.eq(reach.own_division().to_owned())),
        Scope::Branch | Scope::Own => q.filter(service_records::id.eq("")),
    }
}

fn find_row(conn: &mut Conn, reach: &Reach, id: &str) -> Result<ServiceRecordRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    reachable(reach)
        .filter(service_records::id.eq(id.to_owned()))
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// The record `id` within `reach`.
pub fn get(conn: &mut Conn, reach: &Reach, id: &str) -> Result<ServiceRecordResponse> {
    to_response(find_row(conn, reach, id)?)
}

/// The validated, stored values of a record.
struct Valid {
    branch_id: Option<String>,
    performed_on: NaiveDate,
    kind: ServiceKind,
    usage: Option<i64>,
    work_done: String,
    amount: Option<(String, i64)>,
    ticket_id: Option<String>,
    external_source: Option<String>,
    external_id: Option<String>,
}

impl Valid {
    #[expect(clippy::too_many_arguments, reason = "one argument per field, each validated here")]
    fn parse(
        problems: &mut Problems,
        branch_id: Option<&str>,
        performed_on: NaiveDate,
        kind: ServiceKind,
        usage: Option<i64>,
        work_done: &str,
        amount: Option<&Money>,
        ticket_id: Option<&str>,
        external: (Option<&str>, Option<&str>),
    ) -> Valid {
        if performed_on > due::today() {
            problems.push("performed_on", "in_the_future", "performed_on must not be in the future");
        }
        if usage.is_some_and(|u| !(0..=crate::asset::readings::MAX_USAGE).contains(&u)) {
            problems.push("usage", "out_of_range", "usage must be 0 to 100000000");
        }
        let external_source = external.0.map(|s| source_name(problems, s));
        let external_id = external.1.map(|e| validate::required_text(problems, "external_id", e, 100));
        if external_source.is_some() != external_id.is_some() {
            problems.push("external_id", "incomplete", "external_source and external_id are given together");
        }
        Valid {
            branch_id: branch_id.map(|b| validate::id_ref(problems, "branch_id", b)),
            performed_on,
            kind,
            usage,
            work_done: validate::required_text(problems, "work_done", work_done, 5000),
            amount: amount.map(|m| money::parse(problems, "amount", m, false)),
            ticket_id: ticket_id.map(|t| validate::id_ref(problems, "ticket_id", t)),
            external_source,
            external_id,
        }
    }
}

fn source_name(problems: &mut Problems, raw: &str) -> String {
    let source = raw.trim().to_ascii_lowercase();
    let ok = (1..=40).contains(&source.len())
        && source.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !ok {
        problems.push("external_source", "invalid_source", "external_source must be 1-40 of a-z, 0-9, _ or -");
    }
    source
}

/// Records work done on an asset within `reach`.
pub fn create(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    input: CreateServiceRecord,
) -> Result<ServiceRecordResponse> {
    let mut problems = Problems::new();
    let asset_id = validate::id_ref(&mut problems, "asset_id", &input.asset_id);
    let valid = Valid::parse(
        &mut problems,
        input.branch_id.as_deref(),
        input.performed_on,
        input.kind,
        input.usage,
        &input.work_done,
        input.amount.as_ref(),
        input.ticket_id.as_deref(),
        (input.external_source.as_deref(), input.external_id.as_deref()),
    );
    problems.into_result(())?;
    let asset = match assets::find_row(conn, reach, &asset_id) {
        Err(Error::NotFound { .. }) => {
            return Err(Error::invalid("asset_id", "not_found", format!("asset {asset_id} does not exist")));
        }
        other => other?,
    };
    if asset.archived_at.is_some() {
        return Err(Error::invalid("asset_id", "archived", format!("asset {asset_id} is archived")));
    }
    check_references(conn, &valid, &asset.division_id, None)?;
    let now = time::now();
    let row = ServiceRecordRow {
        id: ids::new_id(),
        asset_id: asset.id.clone(),
        customer_id: asset.customer_id.clone(),
        division_id: asset.division_id.clone(),
        branch_id: valid.branch_id,
        performed_on: valid.performed_on,
        kind: valid.kind.as_str().to_owned(),
        usage: valid.usage,
        work_done: valid.work_done,
        currency: valid.amount.as_ref().map(|(c, _)| c.clone()),
        amount_minor: valid.amount.map(|(_, m)| m),
        ticket_id: valid.ticket_id,
        external_source: valid.external_source,
        external_id: valid.external_id,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(service_records::table).values(&row).execute(conn)?;
    write_reading(conn, ctx, &row)?;
    let created = to_response(row)?;
    audit::record(conn, ctx, ENTITY, &created.id, Action::Created, None, Some(&created))?;
    assets::touch(conn, ctx, &created.asset_id)?;
    Ok(created)
}

/// One page of records within `reach`.
pub fn list(conn: &mut Conn, reach: &Reach, query: &ServiceRecordListQuery) -> Result<Page<ServiceRecordResponse>> {
    let page = PageRequest::<ServiceRecordSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = reachable(reach);
    if let Some(asset_id) = &query.asset_id {
        q = q.filter(service_records::asset_id.eq(asset_id.clone()));
    }
    if let Some(customer_id) = &query.customer_id {
        q = q.filter(service_records::customer_id.eq(customer_id.clone()));
    }
    if let Some(division_id) = &query.division_id {
        q = q.filter(service_records::division_id.eq(division_id.clone()));
    }
    if let Some(kind) = query.kind {
        q = q.filter(service_records::kind.eq(kind.as_str()));
    }
    if let Some(from) = query.performed_from {
        q = q.filter(service_records::performed_on.ge(from));
    }
    if let Some(to) = query.performed_to {
        q = q.filter(service_records::performed_on.le(to));
    }
    if let Some(since) = query.updated_since {
        q = q.filter(service_records::updated_at.ge(time::stored(since)));
    }
    let direction = page.sort.direction;
    let q = match page.sort.key {
        ServiceRecordSort::PerformedOn => {
            let after = page.after_text().map(|(v, id)| date_value(&v).map(|d| (d, id))).transpose()?;
            rapport_core::keyset!(q, service_records::performed_on, service_records::id, direction, after)
        }
        ServiceRecordSort::CreatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, service_records::created_at, service_records::id, direction, after)
        }
        ServiceRecordSort::UpdatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, service_records::updated_at, service_records::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<ServiceRecordRow>(conn)?;
    let sort = page.sort.key;
    let page = page.finish(rows, |row| {
        let value = match sort {
            ServiceRecordSort::PerformedOn => row.performed_on.format("%Y-%m-%d").to_string(),
            ServiceRecordSort::CreatedAt => instant_value(row.created_at),
            ServiceRecordSort::UpdatedAt => instant_value(row.updated_at),
        };
        (value, row.id.clone())
    });
    let items = page.items.into_iter().map(to_response).collect::<Result<_>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

fn date_value(raw: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        Error::InvalidQuery(vec![FieldError::new("cursor", "invalid_cursor", "the cursor is not one this API issued")])
    })
}

/// Applies `changes` if the record is still at `expected_version`.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    expected_version: i64,
    changes: UpdateServiceRecord,
) -> Result<ServiceRecordResponse> {
    let row = find_row(conn, reach, id)?;
    if row.version != expected_version {
        return Err(Error::StaleVersion { current: row.version });
    }
    let before = to_response(row.clone())?;
    let mut problems = Problems::new();
    let amount = changes.amount.unwrap_or_else(|| before.amount.clone());
    let valid = Valid::parse(
        &mut problems,
        changes.branch_id.unwrap_or_else(|| row.branch_id.clone()).as_deref(),
        changes.performed_on.unwrap_or(row.performed_on),
        changes.kind.unwrap_or(before.kind),
        changes.usage.unwrap_or(row.usage),
        changes.work_done.as_deref().unwrap_or(&row.work_done),
        amount.as_ref(),
        changes.ticket_id.unwrap_or_else(|| row.ticket_id.clone()).as_deref(),
        (
            changes.external_source.unwrap_or_else(|| row.external_source.clone()).as_deref(),
            changes.external_id.unwrap_or_else(|| row.external_id.clone()).as_deref(),
        ),
    );
    problems.into_result(())?;
    check_references(conn, &valid, &row.division_id, Some(&row))?;
    let updated = diesel::update(
        service_records::table.filter(service_records::id.eq(id)).filter(service_records::version.eq(expected_version)),
    )
    .set((
        service_records::branch_id.eq(&valid.branch_id),
        service_records::performed_on.eq(valid.performed_on),
        service_records::kind.eq(valid.kind.as_str()),
        service_records::usage.eq(valid.usage),
        service_records::work_done.eq(&valid.work_done),
        service_records::currency.eq(valid.amount.as_ref().map(|(c, _)| c.clone())),
        service_records::amount_minor.eq(valid.amount.as_ref().map(|(_, m)| *m)),
        service_records::ticket_id.eq(&valid.ticket_id),
        service_records::external_source.eq(&valid.external_source),
        service_records::external_id.eq(&valid.external_id),
        service_records::version.eq(expected_version + 1),
        service_records::updated_at.eq(time::now()),
    ))
    .cached()
    .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: get(conn, &Reach::everything(), id)?.version });
    }
    let after_row = find_row(conn, &Reach::everything(), id)?;
    if (after_row.usage, after_row.performed_on) != (row.usage, row.performed_on) {
        readings::remove(conn, id)?;
        write_reading(conn, ctx, &after_row)?;
    }
    let after = to_response(after_row)?;
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    assets::touch(conn, ctx, &row.asset_id)?;
    Ok(after)
}

/// Deletes the record and its reading, and re-derives the asset's service state.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Removal<ServiceRecordResponse>> {
    let row = find_row(conn, reach, id)?;
    if expected_version.is_some_and(|v| v != row.version) {
        return Err(Error::StaleVersion { current: row.version });
    }
    let asset_id = row.asset_id.clone();
    let before = to_response(row)?;
    readings::remove(conn, id)?;
    diesel::delete(service_records::table.filter(service_records::id.eq(id))).execute(conn)?;
    audit::record(conn, ctx, ENTITY, id, Action::Deleted, Some(&before), None)?;
    assets::touch(conn, ctx, &asset_id)?;
    Ok(Removal::Deleted)
}

/// A record's usage as an asset reading, taken at midday (Lagos) of the
/// day of the work, with the record's id.
fn write_reading(conn: &mut Conn, ctx: &WriteContext, row: &ServiceRecordRow) -> Result<()> {
    let Some(usage) = row.usage else { return Ok(()) };
    let at: NaiveDateTime = row.performed_on.and_hms_opt(11, 0, 0).unwrap_or_default();
    let reading =
        NewReading { id: &row.id, asset_id: &row.asset_id, at, usage, source: "service_record", field: "usage" };
    readings::insert(conn, ctx, &reading)?;
    Ok(())
}

/// The branch (when it changed) belongs to the asset's division; the
/// external id (when it changed) is free.
fn check_references(
    conn: &mut Conn,
    valid: &Valid,
    division_id: &str,
    before: Option<&ServiceRecordRow>,
) -> Result<()> {
    if let Some(branch_id) = &valid.branch_id
        && before.is_none_or(|b| b.branch_id.as_ref() != Some(branch_id))
    {
        refs::ensure_branch(conn, "branch_id", branch_id, division_id)?;
    }
    if let (Some(source), Some(external_id)) = (&valid.external_source, &valid.external_id) {
        let except = before.map_or("", |b| b.id.as_str());
        let taken = diesel::select(diesel::dsl::exists(
            service_records::table
                .filter(service_records::external_source.eq(source))
                .filter(service_records::external_id.eq(external_id))
                .filter(service_records::id.ne(except)),
        ))
        .get_result::<bool>(conn)?;
        let mut problems = Problems::new();
        if taken {
            problems.push("external_id", "duplicate", format!("{source} service record {external_id} already exists"));
        }
        problems.into_duplicate_result()?;
    }
    Ok(())
}

fn to_response(row: ServiceRecordRow) -> Result<ServiceRecordResponse> {
    let kind =
        ServiceKind::parse(&row.kind).ok_or_else(|| Error::Internal(format!("stored service kind {}", row.kind)))?;
    let amount = match (row.currency.as_deref(), row.amount_minor) {
        (Some(currency), Some(minor)) => Some(Money::from_minor(minor, currency)),
        _ => None,
    };
    Ok(ServiceRecordResponse {
        id: row.id,
        asset_id: row.asset_id,
        customer_id: row.customer_id,
        division_id: row.division_id,
        branch_id: row.branch_id,
        performed_on: row.performed_on,
        kind,
        usage: row.usage,
        work_done: row.work_done,
        amount,
        ticket_id: row.ticket_id,
        external_source: row.external_source,
        external_id: row.external_id,
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}

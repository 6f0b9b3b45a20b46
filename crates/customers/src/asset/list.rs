//! Listing assets: filters (including the service status as of today),
//! custom-field filters, keyset pagination.

use chrono::NaiveDate;
use diesel::prelude::*;
use rapport_core::db::schema::assets;
use rapport_core::db::{Conn, lower};
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::principal::Reach;
use rapport_core::{Error, FieldError, Result, time, validate};

use super::api::{AssetListQuery, AssetResponse, AssetSort, ServiceStatus};
use super::due;
use super::rows::AssetRow;
use super::store::{BoxedAssets, reachable, responses};
use crate::custom_field::FieldFilter;

/// Where assets without a due date sort: after every real date. A four-digit
/// year, so SQLite's text dates still compare in order.
const NO_DATE: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

diesel::define_sql_function! {
    /// SQL `coalesce(date, date)`: a nullable date with a default, the same on both backends.
    fn coalesce(x: diesel::sql_types::Nullable<diesel::sql_types::Date>, y: diesel::sql_types::Date) -> diesel::sql_types::Date;
}

/// One page of assets within `reach`.
pub fn list(
    conn: &mut Conn,
    reach: &Reach,
    query: &AssetListQuery,
    fields: &[FieldFilter],
) -> Result<Page<AssetResponse>> {
    let page = PageRequest::<AssetSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = reachable(reach);
    if let Some(needle) = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let text = validate::contains_pattern(needle);
        let identifier = validate::contains_pattern(&crate::asset_identifier(needle));
        q = q.filter(
            lower(assets::make.assume_not_null())
                .like(text.clone())
                .escape('\\')
                .or(lower(assets::model.assume_not_null()).like(text).escape('\\'))
                .or(lower(assets::plate.assume_not_null()).like(identifier.clone()).escape('\\'))
                .or(lower(assets::serial.assume_not_null()).like(identifier).escape('\\')),
        );
    }
    if let Some(customer_id) = &query.customer_id {
        q = q.filter(assets::customer_id.eq(customer_id.clone()));
    }
    if let Some(division_id) = &query.division_id {
        q = q.filter(assets::division_id.eq(division_id.clone()));
    }
    if let Some(kind) = query.kind {
        q = q.filter(assets::kind.eq(kind.as_str()));
    }
    if let Some(plate) = &query.plate {
        q = q.filter(assets::plate.eq(crate::asset_identifier(plate)));
    }
    if let Some(serial) = &query.serial {
        q = q.filter(assets::serial.eq(crate::asset_identifier(serial)));
    }
    if let Some(status) = query.service_status {
        q = with_status(q, status, due::today());
    }
    if let Some(since) = query.updated_since {
        q = q.filter(assets::updated_at.ge(time::stored(since)));
    }
    if !query.include_archived.unwrap_or(false) {
        q = q.filter(assets::archived_at.is_null());
    }
    for filter in fields {
        q = q.filter(assets::id.eq_any(filter.matching_records()));
    }
    let direction = page.sort.direction;
    let q = match page.sort.key {
        AssetSort::CreatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, assets::created_at, assets::id, direction, after)
        }
        AssetSort::UpdatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, assets::updated_at, assets::id, direction, after)
        }
        AssetSort::NextServiceDueOn => {
            let after = page.after_text().map(|(v, id)| date_value(&v).map(|d| (d, id))).transpose()?;
            rapport_core::keyset!(q, coalesce(assets::next_service_due_on, NO_DATE), assets::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<AssetRow>(conn)?;
    let sort = page.sort.key;
    let page = page.finish(rows, |row| {
        let value = match sort {
            AssetSort::CreatedAt => instant_value(row.created_at),
            AssetSort::UpdatedAt => instant_value(row.updated_at),
            AssetSort::NextServiceDueOn => row.next_service_due_on.unwrap_or(NO_DATE).format("%Y-%m-%d").to_string(),
        };
        (value, row.id.clone())
    });
    let items = responses(conn, page.items)?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

fn date_value(raw: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        Error::InvalidQuery(vec![FieldError::new("cursor", "invalid_cursor", "the cursor is not one this API issued")])
    })
}

/// Filters by the status `projection::status` would give on `today`. Each
/// condition is written to be false, never NULL, when a column is NULL, so
/// negating it is safe.
fn with_status(q: BoxedAssets<'_>, status: ServiceStatus, today: NaiveDate) -> BoxedAssets<'_> {
    use assets::{
        last_usage, next_service_due_on as due_on, next_service_due_usage as due_usage, service_due_soon_on as soon_on,
        service_due_soon_usage as soon_usage,
    };
    let overdue = || {
        due_on
            .is_not_null()
            .and(due_on.lt(today))
            .or(last_usage.is_not_null().and(due_usage.is_not_null()).and(last_usage.ge(due_usage)))
    };
    let due_soon = || {
        soon_on
            .is_not_null()
            .and(soon_on.le(today))
            .or(last_usage.is_not_null().and(soon_usage.is_not_null()).and(last_usage.ge(soon_usage)))
    };
    let unknown = || due_on.is_null().and(due_usage.is_null());
    match status {
        ServiceStatus::Unknown => q.filter(unknown()),
        ServiceStatus::Overdue => q.filter(overdue()),
        ServiceStatus::DueSoon => q.filter(diesel::dsl::not(overdue()).and(due_soon())),
        ServiceStatus::Ok => {
            q.filter(diesel::dsl::not(unknown()).and(diesel::dsl::not(overdue())).and(diesel::dsl::not(due_soon())))
        }
    }
}

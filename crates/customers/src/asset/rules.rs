//! Service rules: create, read, list, update, delete. Every change
//! re-projects the assets the rule governs, in the same transaction.

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::service_rules;
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::removal::Removal;
use rapport_core::{Error, Problems, Result, ids, time, validate};

use super::api::AssetKind;
use super::due::{self, match_key};
use super::projection::Interval;
use super::rows::RuleRow;
use super::rule_api::{
    CreateServiceRule, ServiceRuleListQuery, ServiceRuleResponse, ServiceRuleSort, UpdateServiceRule,
};
use super::store;

const ENTITY: &str = "service_rule";
const MAX_INTERVAL_USAGE: i64 = 10_000_000;

/// A rule's values, validated.
struct Valid {
    kind: AssetKind,
    make: String,
    model: Option<String>,
    interval_usage: Option<i64>,
    interval_months: Option<i32>,
    due_soon_days: i32,
    due_soon_usage: Option<i64>,
}

impl Valid {
    fn check(self, problems: &mut Problems) -> Self {
        if self.interval_usage.is_none() && self.interval_months.is_none() {
            problems.push("interval_usage", "required", "give interval_usage, interval_months or both");
        }
        if self.interval_usage.is_some_and(|u| !(1..=MAX_INTERVAL_USAGE).contains(&u)) {
            problems.push(
                "interval_usage",
                "out_of_range",
                format!("interval_usage must be 1 to {MAX_INTERVAL_USAGE}"),
            );
        }
        if self.interval_months.is_some_and(|m| !(1..=120).contains(&m)) {
            problems.push("interval_months", "out_of_range", "interval_months must be 1 to 120");
        }
        if !(0..=365).contains(&self.due_soon_days) {
            problems.push("due_soon_days", "out_of_range", "due_soon_days must be 0 to 365");
        }
        match (self.due_soon_usage, self.interval_usage) {
            (Some(_), None) => problems.push("due_soon_usage", "incomplete", "due_soon_usage needs interval_usage"),
            (Some(soon), Some(every)) if !(0..every).contains(&soon) => {
                problems.push("due_soon_usage", "out_of_range", "due_soon_usage must be 0 to below interval_usage");
            }
            _ => {}
        }
        self
    }
}

/// Creates a rule and re-projects the assets it now governs.
pub fn create(conn: &mut Conn, ctx: &WriteContext, input: CreateServiceRule) -> Result<ServiceRuleResponse> {
    let mut problems = Problems::new();
    let valid = Valid {
        kind: input.asset_kind,
        make: validate::required_text(&mut problems, "make", &input.make, 60),
        model: validate::optional_text(&mut problems, "model", input.model.as_deref(), 60),
        interval_usage: input.interval_usage,
        interval_months: input.interval_months,
        due_soon_days: input.due_soon_days.unwrap_or(30),
        due_soon_usage: input.due_soon_usage,
    }
    .check(&mut problems);
    problems.into_result(())?;
    ensure_unique(conn, &valid, None)?;
    let now = time::now();
    let row = RuleRow {
        id: ids::new_id(),
        asset_kind: valid.kind.as_str().to_owned(),
        make_key: match_key(Some(&valid.make)),
        model_key: match_key(valid.model.as_deref()),
        make: valid.make,
        model: valid.model,
        interval_usage: valid.interval_usage,
        interval_months: valid.interval_months,
        due_soon_days: valid.due_soon_days,
        due_soon_usage: valid.due_soon_usage,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(service_rules::table).values(&row).execute(conn)?;
    let created = to_response(row.clone())?;
    audit::record(conn, ctx, ENTITY, &row.id, Action::Created, None, Some(&created))?;
    reproject(conn, ctx, &row.asset_kind, &row.make_key)?;
    Ok(created)
}

/// One rule.
pub fn get(conn: &mut Conn, id: &str) -> Result<ServiceRuleResponse> {
    to_response(find_row(conn, id)?)
}

fn find_row(conn: &mut Conn, id: &str) -> Result<RuleRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    service_rules::table
        .filter(service_rules::id.eq(id))
        .select(RuleRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// One page of rules.
pub fn list(conn: &mut Conn, query: &ServiceRuleListQuery) -> Result<Page<ServiceRuleResponse>> {
    let page = PageRequest::<ServiceRuleSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = service_rules::table.select(RuleRow::as_select()).into_boxed();
    if let Some(kind) = query.asset_kind {
        q = q.filter(service_rules::asset_kind.eq(kind.as_str()));
    }
    if let Some(make) = &query.make {
        q = q.filter(service_rules::make_key.eq(match_key(Some(make))));
    }
    if let Some(needle) = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        // The keys are already lower-case (Unicode-aware), so no SQL lower() is needed.
        let pattern = validate::contains_pattern(needle);
        q = q.filter(
            service_rules::make_key
                .like(pattern.clone())
                .escape('\\')
                .or(service_rules::model_key.like(pattern).escape('\\')),
        );
    }
    if let Some(since) = query.updated_since {
        q = q.filter(service_rules::updated_at.ge(time::stored(since)));
    }
    let direction = page.sort.direction;
    let q = match page.sort.key {
        ServiceRuleSort::Make => {
            rapport_core::keyset!(q, service_rules::make_key, service_rules::id, direction, page.after_text())
        }
        ServiceRuleSort::CreatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, service_rules::created_at, service_rules::id, direction, after)
        }
        ServiceRuleSort::UpdatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, service_rules::updated_at, service_rules::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<RuleRow>(conn)?;
    let sort = page.sort.key;
    let page = page.finish(rows, |row| {
        let value = match sort {
            ServiceRuleSort::Make => row.make_key.clone(),
            ServiceRuleSort::CreatedAt => instant_value(row.created_at),
            ServiceRuleSort::UpdatedAt => instant_value(row.updated_at),
        };
        (value, row.id.clone())
    });
    let items = page.items.into_iter().map(to_response).collect::<Result<_>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// Applies `changes` if the rule is still at `expected_version`, and
/// re-projects the assets it governed and now governs.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: i64,
    changes: UpdateServiceRule,
) -> Result<ServiceRuleResponse> {
    let row = find_row(conn, id)?;
    if row.version != expected_version {
        return Err(Error::StaleVersion { current: row.version });
    }
    let before = to_response(row.clone())?;
    let mut problems = Problems::new();
    let valid = Valid {
        kind: changes.asset_kind.unwrap_or(before.asset_kind),
        make: match &changes.make {
            Some(make) => validate::required_text(&mut problems, "make", make, 60),
            None => row.make.clone(),
        },
        model: match &changes.model {
            Some(model) => validate::optional_text(&mut problems, "model", model.as_deref(), 60),
            None => row.model.clone(),
        },
        interval_usage: changes.interval_usage.unwrap_or(row.interval_usage),
        interval_months: changes.interval_months.unwrap_or(row.interval_months),
        due_soon_days: changes.due_soon_days.unwrap_or(row.due_soon_days),
        due_soon_usage: changes.due_soon_usage.unwrap_or(row.due_soon_usage),
    }
    .check(&mut problems);
    problems.into_result(())?;
    ensure_unique(conn, &valid, Some(id))?;
    let (kind, make_key) = (valid.kind.as_str(), match_key(Some(&valid.make)));
    let updated = diesel::update(
        service_rules::table.filter(service_rules::id.eq(id)).filter(service_rules::version.eq(expected_version)),
    )
    .set((
        service_rules::asset_kind.eq(kind),
        service_rules::make_key.eq(&make_key),
        service_rules::model_key.eq(match_key(valid.model.as_deref())),
        service_rules::make.eq(&valid.make),
        service_rules::model.eq(&valid.model),
        service_rules::interval_usage.eq(valid.interval_usage),
        service_rules::interval_months.eq(valid.interval_months),
        service_rules::due_soon_days.eq(valid.due_soon_days),
        service_rules::due_soon_usage.eq(valid.due_soon_usage),
        service_rules::version.eq(expected_version + 1),
        service_rules::updated_at.eq(time::now()),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: get(conn, id)?.version });
    }
    let after = get(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    reproject(conn, ctx, &row.asset_kind, &row.make_key)?;
    if (kind, make_key.as_str()) != (row.asset_kind.as_str(), row.make_key.as_str()) {
        reproject(conn, ctx, kind, &make_key)?;
    }
    Ok(after)
}

/// Deletes the rule (nothing refers to one: assets keep only its
/// projection) and re-projects the assets it governed.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Removal<ServiceRuleResponse>> {
    let row = find_row(conn, id)?;
    if expected_version.is_some_and(|v| v != row.version) {
        return Err(Error::StaleVersion { current: row.version });
    }
    let before = to_response(row.clone())?;
    diesel::delete(service_rules::table.filter(service_rules::id.eq(id))).execute(conn)?;
    audit::record(conn, ctx, ENTITY, id, Action::Deleted, Some(&before), None)?;
    reproject(conn, ctx, &row.asset_kind, &row.make_key)?;
    Ok(Removal::Deleted)
}

/// Re-projects the assets of `kind` and `make_key`, recording each one whose
/// projection moved as an update of that asset.
fn reproject(conn: &mut Conn, ctx: &WriteContext, kind: &str, make_key: &str) -> Result<()> {
    let changed = due::sync_matching(conn, kind, make_key)?;
    for chunk in changed.chunks(200) {
        let (before, after): (Vec<_>, Vec<_>) = chunk.iter().cloned().unzip();
        let before = store::responses(conn, before)?;
        let after = store::responses(conn, after)?;
        for (b, a) in before.iter().zip(&after) {
            audit::record(conn, ctx, store::ENTITY, &a.id, Action::Updated, Some(b), Some(a))?;
        }
    }
    Ok(())
}

fn ensure_unique(conn: &mut Conn, valid: &Valid, except: Option<&str>) -> Result<()> {
    let taken = diesel::select(diesel::dsl::exists(
        service_rules::table
            .filter(service_rules::asset_kind.eq(valid.kind.as_str()))
            .filter(service_rules::make_key.eq(match_key(Some(&valid.make))))
            .filter(service_rules::model_key.eq(match_key(valid.model.as_deref())))
            .filter(service_rules::id.ne(except.unwrap_or_default())),
    ))
    .get_result::<bool>(conn)?;
    let mut problems = Problems::new();
    if taken {
        let (field, what) = match &valid.model {
            Some(model) => ("model", format!("{} {model}", valid.make)),
            None => ("make", format!("{} (any model)", valid.make)),
        };
        problems.push(field, "duplicate", format!("a {} rule for {what} already exists", valid.kind.as_str()));
    }
    problems.into_duplicate_result()
}

fn to_response(row: RuleRow) -> Result<ServiceRuleResponse> {
    let asset_kind = AssetKind::parse(&row.asset_kind)
        .ok_or_else(|| Error::Internal(format!("stored asset kind {}", row.asset_kind)))?;
    let interval =
        Interval { usage: row.interval_usage, months: None, due_soon_days: 0, due_soon_usage: row.due_soon_usage };
    Ok(ServiceRuleResponse {
        id: row.id,
        asset_kind,
        make: row.make,
        model: row.model,
        interval_usage: row.interval_usage,
        interval_months: row.interval_months,
        due_soon_days: row.due_soon_days,
        due_soon_usage: row.due_soon_usage,
        effective_due_soon_usage: interval.effective_due_soon_usage(),
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}

//! Customers: create, read, list and search, update, delete-or-archive,
//! and upsert by external id.

use std::collections::BTreeMap;

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::{
    assets, customer_divisions, customer_emails, customer_external_ids, customer_phones, customer_tags, customers,
};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::principal::{Reach, Scope};
use rapport_core::removal::{Removal, Target, apply_archive_flag, delete_or_archive};
use rapport_core::{Error, Problems, Result, ids, phone, time, upsert, validate};

use super::api::{
    CreateCustomer, CustomerKind, CustomerListQuery, CustomerResponse, CustomerSort, ExternalId, UpdateCustomer,
};
use super::children::{self, link_division};
use super::input::{self, Names};
use super::rows::CustomerRow;
use crate::custom_field::{self, Entity, FieldFilter};
use crate::refs;

const ENTITY: &str = "customer";

type BoxedCustomers<'a> = customers::BoxedQuery<
    'a,
    rapport_core::db::MultiBackend,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<CustomerRow, rapport_core::db::MultiBackend>>,
>;

/// Customers within `reach`, filtered in the query: a division-scoped caller
/// sees the customers dealing with their division.
fn reachable<'a>(reach: &Reach) -> BoxedCustomers<'a> {
    let q = customers::table.select(CustomerRow::as_select()).into_boxed();
    match reach.scope {
        Scope::All => q,
        Scope::Division => q.filter(
            customers::id.eq_any(
                customer_divisions::table
                    .filter(customer_divisions::division_id.eq(reach.own_division().to_owned()))
                    .select(customer_divisions::customer_id),
            ),
        ),
        Scope::Own => q.filter(customers::owner_id.eq(reach.user_id.clone())),
        // No customer belongs to a branch.
        Scope::Branch => q.filter(customers::id.eq("")),
    }
}

/// A customer as found by id: itself, or the survivor it was merged into.
#[derive(Debug, Clone)]
pub enum Found {
    /// The customer.
    Customer(Box<CustomerResponse>),
    /// It was merged; reads should go to `into`.
    Merged {
        /// The id asked for.
        id: String,
        /// The survivor.
        into: String,
    },
}

/// The customer `id` within `reach`, or where it was merged to.
pub fn get(conn: &mut Conn, reach: &Reach, id: &str) -> Result<Found> {
    let row = find_row(conn, reach, id)?;
    if let Some(into) = row.merged_into_id.clone() {
        return Ok(Found::Merged { id: row.id, into });
    }
    Ok(Found::Customer(Box::new(one(conn, row)?)))
}

/// The id of the live customer `id` refers to (following a merge) when it
/// is within `reach`; otherwise a validation error at `field`. For inputs
/// that link a record to a customer.
pub fn ensure_reachable(conn: &mut Conn, reach: &Reach, field: &str, id: &str) -> Result<String> {
    let not_found = || Error::invalid(field, "not_found", format!("customer {id} does not exist"));
    let row = match find_row(conn, reach, id) {
        Err(Error::NotFound { .. }) => return Err(not_found()),
        other => other?,
    };
    let live = match row.merged_into_id {
        Some(into) => match find_row(conn, &Reach::everything(), &into) {
            Err(Error::NotFound { .. }) => return Err(not_found()),
            other => other?,
        },
        None => row,
    };
    if live.archived_at.is_some() {
        return Err(Error::invalid(field, "archived", format!("customer {id} is archived")));
    }
    Ok(live.id)
}

/// The kind of the live (not merged) customer `id` within `reach`.
pub(crate) fn live_kind(conn: &mut Conn, reach: &Reach, id: &str) -> Result<CustomerKind> {
    let row = find_row(conn, reach, id)?;
    if row.merged_into_id.is_some() {
        return Err(Error::NotFound { entity: ENTITY });
    }
    CustomerKind::parse(&row.kind).ok_or_else(|| Error::Internal(format!("stored kind {}", row.kind)))
}

fn find_row(conn: &mut Conn, reach: &Reach, id: &str) -> Result<CustomerRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    reachable(reach)
        .filter(customers::id.eq(id.to_owned()))
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

fn one(conn: &mut Conn, row: CustomerRow) -> Result<CustomerResponse> {
    children::responses(conn, vec![row])?.pop().ok_or_else(|| Error::Internal("customer vanished".to_owned()))
}

/// The live customer `id` without scope checks, for the writes that follow a
/// scoped read.
fn reload(conn: &mut Conn, id: &str) -> Result<CustomerResponse> {
    let row = find_row(conn, &Reach::everything(), id)?;
    one(conn, row)
}

/// Creates a customer. `default_owner` is used when the input names none.
pub fn create(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    input: CreateCustomer,
    default_owner: Option<&str>,
) -> Result<CustomerResponse> {
    let id = ids::new_id();
    let now = time::now();
    let mut problems = Problems::new();
    let valid = Valid::parse(&mut problems, &id, input, now);
    problems.into_result(())?;
    let mut valid = valid;
    if reach.scope == Scope::Division && !valid.division_ids.iter().any(|d| d == reach.own_division()) {
        valid.division_ids.push(reach.own_division().to_owned());
        valid.division_ids.sort();
    }
    let owner_id = valid.owner_id.clone().or_else(|| default_owner.map(str::to_owned));
    valid.check_references(conn, owner_id.as_deref(), None)?;
    let custom = custom_field::validate(conn, Entity::Customer, &valid.division_ids, &valid.custom_fields, true)?;
    let row = CustomerRow {
        id: id.clone(),
        kind: valid.kind.as_str().to_owned(),
        first_name: valid.names.first_name.clone(),
        last_name: valid.names.last_name.clone(),
        company_name: valid.names.company_name.clone(),
        display_name: valid.display_name.clone(),
        search_name: input::search_key(&valid.display_name),
        primary_email: valid.primary_email(),
        primary_phone: valid.primary_phone(),
        address_line: valid.address_line.clone(),
        city: valid.city.clone(),
        state: valid.state.clone(),
        country_code: valid.country_code.clone(),
        source: valid.source.clone(),
        owner_id,
        preferred_channel: valid.preferred_channel.clone(),
        preferred_language: valid.preferred_language.clone(),
        notes: valid.notes.clone(),
        merged_into_id: None,
        erased_at: None,
        archived_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(customers::table).values(&row).execute(conn)?;
    valid.write_children(conn, &id)?;
    custom_field::store(conn, &id, &custom)?;
    let created = reload(conn, &id)?;
    audit::record(conn, ctx, ENTITY, &id, Action::Created, None, Some(&created))?;
    Ok(created)
}

/// One page of customers within `reach`.
pub fn list(
    conn: &mut Conn,
    reach: &Reach,
    query: &CustomerListQuery,
    fields: &[FieldFilter],
) -> Result<Page<CustomerResponse>> {
    let page = PageRequest::<CustomerSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = reachable(reach).filter(customers::merged_into_id.is_null());
    if let Some(needle) = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = search(conn, q, needle)?;
    }
    if let Some(kind) = query.kind {
        q = q.filter(customers::kind.eq(kind.as_str()));
    }
    if let Some(division_id) = &query.division_id {
        q = q.filter(
            customers::id.eq_any(
                customer_divisions::table
                    .filter(customer_divisions::division_id.eq(division_id.clone()))
                    .select(customer_divisions::customer_id),
            ),
        );
    }
    if let Some(tag) = &query.tag {
        q = q.filter(
            customers::id.eq_any(
                customer_tags::table
                    .filter(customer_tags::tag.eq(tag.trim().to_lowercase()))
                    .select(customer_tags::customer_id),
            ),
        );
    }
    if let Some(owner_id) = &query.owner_id {
        q = q.filter(customers::owner_id.eq(owner_id.clone()));
    }
    if let Some(source) = &query.source {
        q = q.filter(customers::source.eq(source.trim().to_owned()));
    }
    match (&query.external_source, &query.external_id) {
        (Some(source), Some(external_id)) => {
            q = q.filter(
                customers::id.eq_any(
                    customer_external_ids::table
                        .filter(customer_external_ids::source.eq(source.trim().to_ascii_lowercase()))
                        .filter(customer_external_ids::external_id.eq(external_id.trim().to_owned()))
                        .select(customer_external_ids::customer_id),
                ),
            );
        }
        (None, None) => {}
        (Some(_), None) | (None, Some(_)) => {
            return Err(Error::InvalidQuery(vec![rapport_core::FieldError::new(
                "external_id",
                "incomplete_filter",
                "external_id and external_source are given together",
            )]));
        }
    }
    if let Some(since) = query.updated_since {
        q = q.filter(customers::updated_at.ge(time::stored(since)));
    }
    if !query.include_archived.unwrap_or(false) {
        q = q.filter(customers::archived_at.is_null());
    }
    for filter in fields {
        q = q.filter(customers::id.eq_any(filter.matching_records()));
    }
    let direction = page.sort.direction;
    let q = match page.sort.key {
        CustomerSort::Name => {
            rapport_core::keyset!(q, customers::search_name, customers::id, direction, page.after_text())
        }
        CustomerSort::CreatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, customers::created_at, customers::id, direction, after)
        }
        CustomerSort::UpdatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, customers::updated_at, customers::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<CustomerRow>(conn)?;
    let sort = page.sort.key;
    let page = page.finish(rows, |row| {
        let value = match sort {
            CustomerSort::Name => row.search_name.clone(),
            CustomerSort::CreatedAt => instant_value(row.created_at),
            CustomerSort::UpdatedAt => instant_value(row.updated_at),
        };
        (value, row.id.clone())
    });
    let items = children::responses(conn, page.items)?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// `q=`: a phone number in any typed format matches that number exactly; an
/// email address matches exactly; anything else matches part of a name, or
/// a plate or VIN/serial of one of the customer's assets.
///
/// Phone and email matches are looked up first and passed as a list of ids:
/// given a subquery, both planners prefer walking the sort index of all
/// customers and probing it per row (seconds at a million customers).
fn search<'a>(conn: &mut Conn, q: BoxedCustomers<'a>, needle: &str) -> Result<BoxedCustomers<'a>> {
    let exact: Option<Vec<String>> = if let Some(e164) = phone::normalize(needle) {
        Some(
            customer_phones::table
                .filter(customer_phones::e164.eq(e164))
                .select(customer_phones::customer_id)
                .load(conn)?,
        )
    } else if needle.contains('@') {
        Some(
            customer_emails::table
                .filter(customer_emails::email.eq(needle.to_lowercase()))
                .select(customer_emails::customer_id)
                .load(conn)?,
        )
    } else {
        None
    };
    if let Some(ids) = exact {
        return Ok(q.filter(customers::id.eq_any(ids)));
    }
    let identifier = crate::asset_identifier(needle);
    let by_asset = assets::table
        .filter(assets::plate.eq(identifier.clone()).or(assets::serial.eq(identifier)))
        .select(assets::customer_id);
    let pattern = validate::contains_pattern(needle);
    Ok(q.filter(customers::search_name.like(pattern).escape('\\').or(customers::id.eq_any(by_asset))))
}

/// Applies `changes` if the customer is still at `expected_version`.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    expected_version: i64,
    changes: UpdateCustomer,
) -> Result<CustomerResponse> {
    let row = find_row(conn, reach, id)?;
    if row.merged_into_id.is_some() {
        return Err(Error::NotFound { entity: ENTITY });
    }
    let before = one(conn, row)?;
    if before.version != expected_version {
        return Err(Error::StaleVersion { current: before.version });
    }
    apply(conn, ctx, reach, before, changes)
}

/// Writes `changes` over `before` (already read within reach, version checked).
fn apply(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    before: CustomerResponse,
    changes: UpdateCustomer,
) -> Result<CustomerResponse> {
    let id = before.id.clone();
    let now = time::now();
    let mut problems = Problems::new();
    let pick = |change: Option<Option<String>>, current: &Option<String>| change.unwrap_or_else(|| current.clone());
    let first = pick(changes.first_name, &before.first_name);
    let last = pick(changes.last_name, &before.last_name);
    let company = pick(changes.company_name, &before.company_name);
    let names = Names::parse(&mut problems, before.kind, first.as_deref(), last.as_deref(), company.as_deref());
    let display_name = names.display_name(before.kind);
    let emails = changes.emails.as_deref().map(|e| input::emails(&mut problems, &id, e));
    let phones = changes.phones.as_deref().map(|p| input::phones(&mut problems, &id, p));
    let text = |problems: &mut Problems, field: &str, change: Option<Option<String>>, current: &Option<String>, max| {
        match change {
            Some(value) => validate::optional_text(problems, field, value.as_deref(), max),
            None => current.clone(),
        }
    };
    let address_line = text(&mut problems, "address_line", changes.address_line, &before.address_line, 300);
    let city = text(&mut problems, "city", changes.city, &before.city, 100);
    let state = text(&mut problems, "state", changes.state, &before.state, 100);
    let source = text(&mut problems, "source", changes.source, &before.source, 60);
    let notes = text(&mut problems, "notes", changes.notes, &before.notes, 5000);
    let country_code = match changes.country_code.as_deref() {
        Some(c) => validate::country_code(&mut problems, c),
        None => before.country_code.clone(),
    };
    let owner_id = match changes.owner_id {
        Some(owner) => owner.map(|o| validate::id_ref(&mut problems, "owner_id", &o)),
        None => before.owner_id.clone(),
    };
    let tags = changes.tags.as_deref().map(|t| input::tags(&mut problems, t));
    let division_ids = changes.division_ids.as_deref().map(|d| input::division_ids(&mut problems, d));
    let external_ids = changes.external_ids.as_deref().map(|e| input::external_ids(&mut problems, e));
    let consents = changes.consents.as_deref().map(|c| input::consents(&mut problems, &id, c, now));
    let preferred_channel = match changes.preferred_channel {
        Some(c) => input::channel_name(c),
        None => input::channel_name(before.preferred_channel),
    };
    let preferred_language = match changes.preferred_language {
        Some(l) => input::language(&mut problems, l.as_deref()),
        None => before.preferred_language.clone(),
    };
    problems.into_result(())?;
    if let Some(division_ids) = &division_ids {
        if reach.scope == Scope::Division && !division_ids.iter().any(|d| d == reach.own_division()) {
            return Err(Error::invalid(
                "division_ids",
                "outside_scope",
                "you may not remove your own division from a customer",
            ));
        }
        let added: Vec<String> = division_ids.iter().filter(|d| !before.division_ids.contains(d)).cloned().collect();
        refs::ensure_divisions(conn, "division_ids", &added)?;
    }
    if let Some(owner) = owner_id.as_deref().filter(|o| Some(*o) != before.owner_id.as_deref()) {
        refs::ensure_user(conn, "owner_id", owner)?;
    }
    if let Some(external_ids) = &external_ids {
        ensure_external_ids_free(conn, external_ids, Some(&id))?;
    }
    let effective_divisions = division_ids.clone().unwrap_or_else(|| before.division_ids.clone());
    let custom = match &changes.custom_fields {
        Some(values) => Some(custom_field::validate(conn, Entity::Customer, &effective_divisions, values, false)?),
        None => None,
    };
    let (archived_at, action) = apply_archive_flag(before.archived_at.map(time::stored), changes.archived, now);
    let primary_email = match &emails {
        Some(rows) => rows.iter().find(|r| r.is_primary).map(|r| r.email.clone()),
        None => before.primary_email.clone(),
    };
    let primary_phone = match &phones {
        Some(rows) => rows.iter().find(|r| r.is_primary).map(|r| r.e164.clone()),
        None => before.primary_phone.clone(),
    };
    let updated =
        diesel::update(customers::table.filter(customers::id.eq(&id)).filter(customers::version.eq(before.version)))
            .set((
                (
                    customers::first_name.eq(&names.first_name),
                    customers::last_name.eq(&names.last_name),
                    customers::company_name.eq(&names.company_name),
                    customers::search_name.eq(input::search_key(&display_name)),
                    customers::display_name.eq(&display_name),
                    customers::primary_email.eq(&primary_email),
                    customers::primary_phone.eq(&primary_phone),
                    customers::address_line.eq(&address_line),
                    customers::city.eq(&city),
                    customers::state.eq(&state),
                ),
                (
                    customers::country_code.eq(&country_code),
                    customers::source.eq(&source),
                    customers::owner_id.eq(&owner_id),
                    customers::preferred_channel.eq(&preferred_channel),
                    customers::preferred_language.eq(&preferred_language),
                    customers::notes.eq(&notes),
                    customers::archived_at.eq(archived_at),
                    customers::version.eq(before.version + 1),
                    customers::updated_at.eq(now),
                ),
            ))
            .cached()
            .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: reload(conn, &id)?.version });
    }
    if let Some(rows) = &emails {
        children::replace_emails(conn, &id, rows)?;
    }
    if let Some(rows) = &phones {
        children::replace_phones(conn, &id, rows)?;
    }
    if let Some(tags) = &tags {
        children::replace_tags(conn, &id, tags)?;
    }
    if let Some(division_ids) = &division_ids {
        children::replace_divisions(conn, &id, division_ids)?;
    }
    if let Some(external_ids) = &external_ids {
        children::replace_external_ids(conn, &id, external_ids)?;
    }
    if let Some(rows) = &consents {
        children::upsert_consents(conn, rows)?;
    }
    if let Some(custom) = &custom {
        custom_field::store(conn, &id, custom)?;
    }
    let after = reload(conn, &id)?;
    audit::record(conn, ctx, ENTITY, &id, action, Some(&before), Some(&after))?;
    Ok(after)
}

/// Creates or updates the customer known as `external_id` in `source`, from
/// a full description (PUT semantics). A repeat with the same body changes
/// nothing: no new version, no audit entry. Returns the customer and whether
/// it was created.
pub fn upsert_by_external_id(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    source: &str,
    external_id: &str,
    mut input: CreateCustomer,
) -> Result<(CustomerResponse, bool)> {
    let mut problems = Problems::new();
    let key = ExternalId {
        source: input::source_name(&mut problems, "source", source),
        external_id: input::external_id(&mut problems, "external_id", external_id),
    };
    problems.into_result(())?;
    if !input.external_ids.iter().any(|e| e.source.trim().eq_ignore_ascii_case(&key.source)) {
        input.external_ids.push(key.clone());
    }
    let holder: Option<String> = customer_external_ids::table
        .filter(customer_external_ids::source.eq(&key.source))
        .filter(customer_external_ids::external_id.eq(&key.external_id))
        .select(customer_external_ids::customer_id)
        .first(conn)
        .optional()?;
    let Some(holder) = holder else {
        return create(conn, ctx, reach, input, None).map(|created| (created, true));
    };
    let row = find_row(conn, reach, &holder)?;
    let before = one(conn, row)?;
    if before.kind != input.kind {
        return Err(Error::invalid("kind", "immutable", "a customer's kind cannot change"));
    }
    let changes = UpdateCustomer {
        first_name: Some(input.first_name),
        last_name: Some(input.last_name),
        company_name: Some(input.company_name),
        emails: Some(input.emails),
        phones: Some(input.phones),
        address_line: Some(input.address_line),
        city: Some(input.city),
        state: Some(input.state),
        country_code: Some(input.country_code.unwrap_or_else(|| "NG".to_owned())),
        source: Some(input.source),
        owner_id: input.owner_id.map(Some),
        tags: Some(input.tags),
        division_ids: Some(merge_divisions(&before.division_ids, input.division_ids)),
        external_ids: Some(input.external_ids),
        consents: Some(input.consents),
        preferred_channel: Some(input.preferred_channel),
        preferred_language: Some(input.preferred_language),
        notes: Some(input.notes),
        custom_fields: Some(input.custom_fields),
        archived: None,
        version: None,
    };
    // A retried upsert is a true no-op: no version, audit entry or event.
    let (after, _) =
        upsert::unless_unchanged(conn, &before, |conn| apply(conn, ctx, reach, before.clone(), changes), same_content)?;
    Ok((after, false))
}

/// An upsert never drops divisions the customer already deals with: other
/// divisions' records still point at them.
fn merge_divisions(current: &[String], given: Vec<String>) -> Vec<String> {
    let mut all: Vec<String> = current.iter().cloned().chain(given).collect();
    all.sort();
    all.dedup();
    all
}

/// Whether two versions of a customer hold the same data.
fn same_content(a: &CustomerResponse, b: &CustomerResponse) -> bool {
    let strip = |c: &CustomerResponse| {
        let mut c = c.clone();
        c.version = 0;
        c.updated_at = c.created_at;
        // Consent timestamps default to "now" when not given; only what was
        // decided counts.
        for consent in &mut c.consents {
            consent.recorded_at = c.created_at;
        }
        c
    };
    strip(a) == strip(b)
}

/// Deletes the customer, or archives it when other records still refer to it.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Removal<CustomerResponse>> {
    let row = find_row(conn, reach, id)?;
    if row.merged_into_id.is_some() {
        return Err(Error::NotFound { entity: ENTITY });
    }
    let before = one(conn, row)?;
    let (version, archived_at) = (before.version, before.archived_at);
    let target = Target { entity: ENTITY, id, before, version };
    delete_or_archive(
        conn,
        ctx,
        target,
        expected_version,
        |conn| {
            custom_field::clear(conn, id)?;
            diesel::delete(customers::table.filter(customers::id.eq(id))).execute(conn)?;
            Ok(())
        },
        |conn| {
            let now = time::now();
            diesel::update(customers::table.filter(customers::id.eq(id)))
                .set((
                    customers::archived_at.eq(archived_at.map_or(now, time::stored)),
                    customers::version.eq(version + 1),
                    customers::updated_at.eq(now),
                ))
                .cached()
                .execute(conn)?;
            reload(conn, id)
        },
    )
}

fn ensure_external_ids_free(conn: &mut Conn, ids: &[ExternalId], except: Option<&str>) -> Result<()> {
    let mut problems = Problems::new();
    for (i, holder) in children::external_id_holders(conn, ids, except)? {
        problems.push(
            format!("external_ids[{i}].external_id"),
            "duplicate",
            format!("{} id {} already belongs to customer {holder}", ids[i].source, ids[i].external_id),
        );
    }
    problems.into_duplicate_result()
}

/// A create input, validated.
struct Valid {
    kind: CustomerKind,
    names: Names,
    display_name: String,
    emails: Vec<super::rows::EmailRow>,
    phones: Vec<super::rows::PhoneRow>,
    address_line: Option<String>,
    city: Option<String>,
    state: Option<String>,
    country_code: String,
    source: Option<String>,
    owner_id: Option<String>,
    tags: Vec<String>,
    division_ids: Vec<String>,
    external_ids: Vec<ExternalId>,
    consents: Vec<super::rows::ConsentRow>,
    preferred_channel: Option<String>,
    preferred_language: Option<String>,
    notes: Option<String>,
    custom_fields: BTreeMap<String, serde_json::Value>,
}

impl Valid {
    fn parse(problems: &mut Problems, id: &str, input: CreateCustomer, now: chrono::NaiveDateTime) -> Valid {
        let names = Names::parse(
            problems,
            input.kind,
            input.first_name.as_deref(),
            input.last_name.as_deref(),
            input.company_name.as_deref(),
        );
        Valid {
            kind: input.kind,
            display_name: names.display_name(input.kind),
            names,
            emails: input::emails(problems, id, &input.emails),
            phones: input::phones(problems, id, &input.phones),
            address_line: validate::optional_text(problems, "address_line", input.address_line.as_deref(), 300),
            city: validate::optional_text(problems, "city", input.city.as_deref(), 100),
            state: validate::optional_text(problems, "state", input.state.as_deref(), 100),
            country_code: validate::country_code(problems, input.country_code.as_deref().unwrap_or("NG")),
            source: validate::optional_text(problems, "source", input.source.as_deref(), 60),
            owner_id: input.owner_id.as_deref().map(|o| validate::id_ref(problems, "owner_id", o)),
            tags: input::tags(problems, &input.tags),
            division_ids: input::division_ids(problems, &input.division_ids),
            external_ids: input::external_ids(problems, &input.external_ids),
            consents: input::consents(problems, id, &input.consents, now),
            preferred_channel: input::channel_name(input.preferred_channel),
            preferred_language: input::language(problems, input.preferred_language.as_deref()),
            notes: validate::optional_text(problems, "notes", input.notes.as_deref(), 5000),
            custom_fields: input.custom_fields,
        }
    }

    fn primary_email(&self) -> Option<String> {
        self.emails.iter().find(|e| e.is_primary).map(|e| e.email.clone())
    }

    fn primary_phone(&self) -> Option<String> {
        self.phones.iter().find(|p| p.is_primary).map(|p| p.e164.clone())
    }

    fn check_references(&self, conn: &mut Conn, owner_id: Option<&str>, except: Option<&str>) -> Result<()> {
        refs::ensure_divisions(conn, "division_ids", &self.division_ids)?;
        if let Some(owner) = owner_id {
            refs::ensure_user(conn, "owner_id", owner)?;
        }
        ensure_external_ids_free(conn, &self.external_ids, except)
    }

    fn write_children(&self, conn: &mut Conn, id: &str) -> Result<()> {
        children::replace_emails(conn, id, &self.emails)?;
        children::replace_phones(conn, id, &self.phones)?;
        children::replace_tags(conn, id, &self.tags)?;
        for division_id in &self.division_ids {
            link_division(conn, id, division_id)?;
        }
        children::replace_external_ids(conn, id, &self.external_ids)?;
        children::upsert_consents(conn, &self.consents)
    }
}

//! Contacts: the people at a company customer (B2B), with title and role.
//! A contact may also be linked to a person customer of their own.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::{customer_contacts, customers};
use rapport_core::page::{Direction, Page, PageRequest, SortKey};
use rapport_core::principal::Reach;
use rapport_core::{Error, Problems, Result, ids, time, validate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api::CustomerKind;
use super::store;

const ENTITY: &str = "customer_contact";

/// A new contact at a company.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Tunde Bakare", "title": "Fleet Manager", "role": "decision_maker", "phone": "0805 555 0101", "primary": true}))]
pub struct CreateContact {
    /// Full name, at most 200 characters.
    pub name: String,
    /// Job title.
    #[serde(default)]
    pub title: Option<String>,
    /// Role in buying or servicing, e.g. `decision_maker`, `billing`, `driver`.
    #[serde(default)]
    pub role: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone in any typed format; stored as E.164.
    #[serde(default)]
    pub phone: Option<String>,
    /// The main contact; marking one unmarks the others.
    #[serde(default)]
    pub primary: bool,
    /// The contact's own person customer record, if they have one.
    #[serde(default)]
    pub person_id: Option<String>,
}

/// Changes to a contact; absent fields stay, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Head of Fleet", "version": 1}))]
pub struct UpdateContact {
    /// Name.
    pub name: Option<String>,
    /// Title.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    /// Role.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub role: Option<Option<String>>,
    /// Email.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// Phone.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// Main contact.
    pub primary: Option<bool>,
    /// Linked person customer.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub person_id: Option<Option<String>>,
    /// The version being changed, when no `If-Match` header is sent.
    pub version: Option<i64>,
}

/// A contact at a company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ContactResponse {
    /// Id.
    pub id: String,
    /// The company.
    pub company_id: String,
    /// Name.
    pub name: String,
    /// Title.
    pub title: Option<String>,
    /// Role.
    pub role: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone (E.164).
    pub phone: Option<String>,
    /// Main contact.
    pub primary: bool,
    /// Linked person customer.
    pub person_id: Option<String>,
    /// Concurrency version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing a company's contacts.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `name`; prefix `-` for descending.
    pub sort: Option<String>,
}

/// Sort keys for contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactSort {
    /// By name.
    Name,
}

impl SortKey for ContactSort {
    const ALL: &'static [(&'static str, Self)] = &[("name", Self::Name)];
    const DEFAULT: (Self, Direction) = (Self::Name, Direction::Asc);
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = customer_contacts)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ContactRow {
    pub id: String,
    pub company_id: String,
    pub person_id: Option<String>,
    pub name: String,
    pub title: Option<String>,
    pub role: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub is_primary: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The company `company_id` within `reach` (404 otherwise; 422 when it is a person).
fn company(conn: &mut Conn, reach: &Reach, company_id: &str) -> Result<String> {
    if store::live_kind(conn, reach, company_id)? != CustomerKind::Company {
        return Err(Error::invalid("company_id", "not_a_company", "only company customers have contacts"));
    }
    Ok(company_id.to_owned())
}

/// Adds a contact to a company.
pub fn create(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    company_id: &str,
    input: CreateContact,
) -> Result<ContactResponse> {
    let company_id = company(conn, reach, company_id)?;
    let mut problems = Problems::new();
    let now = time::now();
    let mut row = ContactRow {
        id: ids::new_id(),
        company_id: company_id.clone(),
        person_id: input.person_id.as_deref().map(|p| validate::id_ref(&mut problems, "person_id", p)),
        name: validate::required_text(&mut problems, "name", &input.name, 200),
        title: validate::optional_text(&mut problems, "title", input.title.as_deref(), 100),
        role: validate::optional_text(&mut problems, "role", input.role.as_deref(), 60),
        email: None,
        phone: None,
        is_primary: input.primary,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    row.email = optional(input.email.as_deref()).map(|e| validate::email(&mut problems, "email", e));
    row.phone = optional(input.phone.as_deref()).map(|p| validate::phone(&mut problems, "phone", p));
    problems.into_result(())?;
    if let Some(person_id) = &row.person_id {
        row.person_id = Some(store::ensure_reachable(conn, reach, "person_id", person_id)?);
    }
    if row.is_primary {
        unmark_primary(conn, &company_id)?;
    }
    diesel::insert_into(customer_contacts::table).values(&row).execute(conn)?;
    let created = to_response(row);
    audit::record(conn, ctx, ENTITY, &created.id, Action::Created, None, Some(&created))?;
    touch_company(conn, &company_id)?;
    Ok(created)
}

/// One page of a company's contacts.
pub fn list(
    conn: &mut Conn,
    reach: &Reach,
    company_id: &str,
    query: &ContactListQuery,
) -> Result<Page<ContactResponse>> {
    let page = PageRequest::<ContactSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let company_id = company(conn, reach, company_id)?;
    let q = customer_contacts::table
        .filter(customer_contacts::company_id.eq(company_id))
        .select(ContactRow::as_select())
        .into_boxed();
    let q = rapport_core::keyset!(
        q,
        customer_contacts::name,
        customer_contacts::id,
        page.sort.direction,
        page.after_text()
    );
    let rows = q.limit(page.fetch_limit()).load::<ContactRow>(conn)?;
    Ok(page.finish(rows, |r| (r.name.clone(), r.id.clone())).map(to_response))
}

/// Changes a contact of a company if it is still at `expected_version`.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    company_id: &str,
    contact_id: &str,
    expected_version: i64,
    changes: UpdateContact,
) -> Result<ContactResponse> {
    let company_id = company(conn, reach, company_id)?;
    let row = find(conn, &company_id, contact_id)?;
    if row.version != expected_version {
        return Err(Error::StaleVersion { current: row.version });
    }
    let before = to_response(row.clone());
    let mut problems = Problems::new();
    let mut after = row;
    if let Some(name) = &changes.name {
        after.name = validate::required_text(&mut problems, "name", name, 200);
    }
    if let Some(title) = changes.title {
        after.title = validate::optional_text(&mut problems, "title", title.as_deref(), 100);
    }
    if let Some(role) = changes.role {
        after.role = validate::optional_text(&mut problems, "role", role.as_deref(), 60);
    }
    if let Some(email) = changes.email {
        after.email = optional(email.as_deref()).map(|e| validate::email(&mut problems, "email", e));
    }
    if let Some(phone) = changes.phone {
        after.phone = optional(phone.as_deref()).map(|p| validate::phone(&mut problems, "phone", p));
    }
    if let Some(person_id) = changes.person_id {
        after.person_id = person_id.map(|p| validate::id_ref(&mut problems, "person_id", &p));
    }
    problems.into_result(())?;
    if let Some(person_id) = after.person_id.clone().filter(|p| Some(p) != before.person_id.as_ref()) {
        after.person_id = Some(store::ensure_reachable(conn, reach, "person_id", &person_id)?);
    }
    if changes.primary == Some(true) && !after.is_primary {
        unmark_primary(conn, &company_id)?;
    }
    after.is_primary = changes.primary.unwrap_or(after.is_primary);
    after.version = expected_version + 1;
    after.updated_at = time::now();
    let updated = diesel::update(
        customer_contacts::table
            .filter(customer_contacts::id.eq(contact_id))
            .filter(customer_contacts::version.eq(expected_version)),
    )
    .set((
        customer_contacts::name.eq(&after.name),
        customer_contacts::title.eq(&after.title),
        customer_contacts::role.eq(&after.role),
        customer_contacts::email.eq(&after.email),
        customer_contacts::phone.eq(&after.phone),
        customer_contacts::person_id.eq(&after.person_id),
        customer_contacts::is_primary.eq(after.is_primary),
        customer_contacts::version.eq(after.version),
        customer_contacts::updated_at.eq(after.updated_at),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: find(conn, &company_id, contact_id)?.version });
    }
    let after = to_response(after);
    audit::record(conn, ctx, ENTITY, contact_id, Action::Updated, Some(&before), Some(&after))?;
    touch_company(conn, &company_id)?;
    Ok(after)
}

/// Removes a contact from a company.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    company_id: &str,
    contact_id: &str,
    expected_version: Option<i64>,
) -> Result<()> {
    let company_id = company(conn, reach, company_id)?;
    let row = find(conn, &company_id, contact_id)?;
    if expected_version.is_some_and(|v| v != row.version) {
        return Err(Error::StaleVersion { current: row.version });
    }
    diesel::delete(customer_contacts::table.filter(customer_contacts::id.eq(contact_id))).execute(conn)?;
    audit::record(conn, ctx, ENTITY, contact_id, Action::Deleted, Some(&to_response(row)), None)?;
    touch_company(conn, &company_id)
}

fn find(conn: &mut Conn, company_id: &str, contact_id: &str) -> Result<ContactRow> {
    if !ids::is_valid_id(contact_id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    customer_contacts::table
        .filter(customer_contacts::id.eq(contact_id))
        .filter(customer_contacts::company_id.eq(company_id))
        .select(ContactRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

fn unmark_primary(conn: &mut Conn, company_id: &str) -> Result<()> {
    diesel::update(
        customer_contacts::table
            .filter(customer_contacts::company_id.eq(company_id))
            .filter(customer_contacts::is_primary.eq(true)),
    )
    .set(customer_contacts::is_primary.eq(false))
    .execute(conn)?;
    Ok(())
}

/// Contacts are part of the company's record: a change to them moves its
/// `updated_at`, so `updated_since` syncs pick the company up.
fn touch_company(conn: &mut Conn, company_id: &str) -> Result<()> {
    diesel::update(customers::table.filter(customers::id.eq(company_id)))
        .set(customers::updated_at.eq(time::now()))
        .execute(conn)?;
    Ok(())
}

fn optional(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|v| !v.is_empty())
}

fn to_response(row: ContactRow) -> ContactResponse {
    ContactResponse {
        id: row.id,
        company_id: row.company_id,
        name: row.name,
        title: row.title,
        role: row.role,
        email: row.email,
        phone: row.phone,
        primary: row.is_primary,
        person_id: row.person_id,
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    }
}

//! `/api/v1/customers`.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::principal::Credential;
use rapport_customers::custom_field::{self, Entity};
use rapport_customers::customer::api::{CreateCustomer, CustomerListQuery, CustomerResponse, UpdateCustomer};
use rapport_customers::customer::contacts::{self, ContactListQuery, ContactResponse, CreateContact, UpdateContact};
use rapport_customers::customer::duplicates::{self, DuplicateListQuery, DuplicatePair};
use rapport_customers::customer::erase;
use rapport_customers::customer::merge::{self, MergeCustomers, MergeResult};
use rapport_customers::customer::store::{self as customers, Found};
use rapport_customers::export::{self, CustomerExport};
use rapport_customers::profile::{self, Profile, ProfileReach};
use serde::Serialize;
use utoipa::ToSchema;

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, WithFieldFilters, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // The literal `by-external-id` path before `{id}`.
    cfg.service(upsert_customer)
        .service(list_duplicates)
        .service(list_customers)
        .service(create_customer)
        .service(get_customer)
        .service(update_customer)
        .service(delete_customer)
        .service(list_contacts)
        .service(create_contact)
        .service(update_contact)
        .service(delete_contact)
        .service(merge_customers)
        .service(erase_customer)
        .service(export_customer)
        .service(get_profile);
}

/// Where a merged customer's id now points.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergedCustomer {
    /// The id asked for.
    pub id: String,
    /// The customer it was merged into; `Location` points there too.
    pub merged_into_id: String,
}

/// List and search customers.
///
/// `q` matches a phone number in any typed format (`0803 123 4567`,
/// `+2348031234567`), an email address, a vehicle plate or VIN, or part of
/// a name. Custom fields filter with `cf.<key>=<value>` (a money value as
/// `NGN 1250.00`, a multi-select matches one option). Merged customers are
/// never listed; archived ones only with `include_archived=true`.
#[utoipa::path(
    tag = "customers",
    params(CustomerListQuery, ("cf.{key}" = Option<String>, Query, description = "Custom field filter, e.g. `cf.fleet_size=12`")),
    responses((status = 200, description = "One page of customers", body = ListResponse<CustomerResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/customers")]
pub async fn list_customers(
    state: web::Data<AppState>,
    caller: Caller,
    params: WithFieldFilters<CustomerListQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Customers, Operation::Read)?;
    let page = state
        .read(move |conn| {
            let fields = custom_field::filters(conn, Entity::Customer, &params.fields)?;
            customers::list(conn, &reach, &params.query, &fields)
        })
        .await?;
    Ok(respond::page(page))
}

/// Create a customer.
///
/// Phones are normalised to E.164 (Nigeria by default); the first email and
/// phone are primary unless one is marked. A division-scoped caller's own
/// division is always among the customer's divisions.
#[utoipa::path(
    tag = "customers",
    request_body = CreateCustomer,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = CustomerResponse,
        headers(("Location" = String, description = "URL of the new customer"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/customers")]
pub async fn create_customer(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateCustomer>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Customers, Operation::Create)?;
    let owner = default_owner(&caller);
    let created =
        state.write(move |conn| customers::create(conn, &caller.ctx, &reach, body.0, owner.as_deref())).await?;
    Ok(respond::created(&created, format!("/api/v1/customers/{}", created.id), created.version))
}

/// Get a customer.
///
/// A customer merged into another answers 308 with `Location` set to the
/// survivor.
#[utoipa::path(
    tag = "customers",
    params(("id" = String, Path, description = "Customer id")),
    responses((status = 200, description = "The customer", body = CustomerResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))),
        (status = 308, description = "Merged into another customer", body = MergedCustomer,
        headers(("Location" = String, description = "URL of the surviving customer"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/customers/{id}")]
pub async fn get_customer(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Customers, Operation::Read)?;
    match state.read(move |conn| customers::get(conn, &reach, &id)).await? {
        Found::Customer(customer) => Ok(respond::one(&customer, customer.version)),
        Found::Merged { id, into } => Ok(HttpResponse::PermanentRedirect()
            .insert_header((header::LOCATION, format!("/api/v1/customers/{into}")))
            .json(MergedCustomer { id, merged_into_id: into })),
    }
}

/// Update a customer.
///
/// Lists given (emails, phones, tags, divisions, external ids) replace the
/// stored ones; consents are set per channel and purpose; custom fields per
/// key. Send the version you read as `If-Match` (or `version`).
#[utoipa::path(
    tag = "customers",
    request_body = UpdateCustomer,
    params(("id" = String, Path, description = "Customer id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated customer", body = CustomerResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/customers/{id}")]
pub async fn update_customer(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateCustomer>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Customers, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| customers::update(conn, &caller.ctx, &reach, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete a customer.
///
/// Answers 204 when the customer was removed; when other records (assets,
/// purchases, interactions…) refer to it, it is archived instead and
/// returned with 200.
#[utoipa::path(
    tag = "customers",
    params(("id" = String, Path, description = "Customer id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"),
        (status = 200, description = "Still referenced, so archived instead", body = CustomerResponse), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/customers/{id}")]
pub async fn delete_customer(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Customers, Operation::Delete)?;
    let removal = state.write(move |conn| customers::delete(conn, &caller.ctx, &reach, &id, if_match.0)).await?;
    Ok(respond::removed(removal, |c| c.version))
}

/// Create or update a customer by its id in another system.
///
/// For ERP integrations: the body describes the whole customer (as for a
/// create); the customer known as `external_id` in `source` is created
/// (201) or brought to that state (200). Repeating the same request changes
/// nothing, not even the version. Divisions are only ever added.
#[utoipa::path(
    tag = "customers",
    request_body = CreateCustomer,
    params(("source" = String, Path, description = "The other system, e.g. `oracle_erp`"),
        ("external_id" = String, Path, description = "The customer's id there")),
    responses((status = 200, description = "Updated, or already in this state", body = CustomerResponse),
        (status = 201, description = "Created", body = CustomerResponse,
        headers(("Location" = String, description = "URL of the new customer"))), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[put("/customers/by-external-id/{source}/{external_id}")]
pub async fn upsert_customer(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: ApiJson<CreateCustomer>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Customers, Operation::Create)?;
    let reach = caller.reach(Resource::Customers, Operation::Update)?;
    let (source, external_id) = path.into_inner();
    let (customer, created) = state
        .write(move |conn| customers::upsert_by_external_id(conn, &caller.ctx, &reach, &source, &external_id, body.0))
        .await?;
    if created {
        Ok(respond::created(&customer, format!("/api/v1/customers/{}", customer.id), customer.version))
    } else {
        Ok(respond::one(&customer, customer.version))
    }
}

/// A person creating a customer owns it unless they name another owner;
/// an integration's customers have no owner until someone takes them.
fn default_owner(caller: &Caller) -> Option<String> {
    matches!(caller.principal.credential, Credential::AccessToken).then(|| caller.principal.user_id.clone())
}

/// List a company's contacts.
#[utoipa::path(
    tag = "customers",
    params(("id" = String, Path, description = "Company customer id"), ContactListQuery),
    responses((status = 200, description = "One page of contacts", body = ListResponse<ContactResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/customers/{id}/contacts")]
pub async fn list_contacts(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: ApiQuery<ContactListQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Customers, Operation::Read)?;
    let page = state.read(move |conn| contacts::list(conn, &reach, &id, &query.0)).await?;
    Ok(respond::page(page))
}

/// Add a contact to a company.
///
/// Only company customers have contacts (422 `not_a_company` otherwise).
/// Marking a contact primary unmarks the company's other contacts.
#[utoipa::path(
    tag = "customers",
    request_body = CreateContact,
    params(("id" = String, Path, description = "Company customer id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = ContactResponse,
        headers(("Location" = String, description = "URL of the new contact"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/customers/{id}/contacts")]
pub async fn create_contact(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<CreateContact>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Customers, Operation::Update)?;
    let created = state.write(move |conn| contacts::create(conn, &caller.ctx, &reach, &id, body.0)).await?;
    let location = format!("/api/v1/customers/{}/contacts/{}", created.company_id, created.id);
    Ok(respond::created(&created, location, created.version))
}

/// Update a contact.
#[utoipa::path(
    tag = "customers",
    request_body = UpdateContact,
    params(("id" = String, Path, description = "Company customer id"),
        ("contact_id" = String, Path, description = "Contact id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated contact", body = ContactResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/customers/{id}/contacts/{contact_id}")]
pub async fn update_contact(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
    body: ApiJson<UpdateContact>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Customers, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let (id, contact_id) = path.into_inner();
    let updated =
        state.write(move |conn| contacts::update(conn, &caller.ctx, &reach, &id, &contact_id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Remove a contact from a company.
#[utoipa::path(
    tag = "customers",
    params(("id" = String, Path, description = "Company customer id"),
        ("contact_id" = String, Path, description = "Contact id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/customers/{id}/contacts/{contact_id}")]
pub async fn delete_contact(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Customers, Operation::Update)?;
    let (id, contact_id) = path.into_inner();
    state.write(move |conn| contacts::delete(conn, &caller.ctx, &reach, &id, &contact_id, if_match.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Duplicate candidates.
///
/// Pairs of live customers (within your scope) that share a phone number
/// (compared in E.164), an email address, or their name (ignoring case),
/// each pair once with every reason that matched. Merge them with
/// `POST /customers/{id}/merge`.
#[utoipa::path(
    tag = "customers",
    params(DuplicateListQuery),
    responses((status = 200, description = "One page of candidate pairs", body = ListResponse<DuplicatePair>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/customers/duplicates")]
pub async fn list_duplicates(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<DuplicateListQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Customers, Operation::Read)?;
    let page = state.read(move |conn| duplicates::list(conn, &reach, &query.0)).await?;
    Ok(respond::page(page))
}

/// Merge a duplicate into this customer.
///
/// In one transaction every record of the duplicate (emails, phones,
/// divisions, tags, external ids, consents, contacts, assets, purchases,
/// service records, interactions, custom field values) moves to this
/// customer, which keeps its own values where both have one (for consent,
/// the most recent decision wins). The duplicate stays as a tombstone: its
/// id answers 308 with `Location` pointing here.
#[utoipa::path(
    tag = "customers",
    request_body = MergeCustomers,
    params(("id" = String, Path, description = "The surviving customer"),
        ("If-Match" = Option<String>, Header, description = "The survivor's ETag"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 200, description = "Merged", body = MergeResult), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/customers/{id}/merge")]
pub async fn merge_customers(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<MergeCustomers>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::CustomerMerges, Operation::Create)?;
    let version = if_match.0.or(body.0.version);
    let merged =
        state.write(move |conn| merge::merge(conn, &caller.ctx, &reach, &id, &body.0.duplicate_id, version)).await?;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, crate::extract::etag(merged.survivor.version))).json(merged))
}

/// Erase a customer's personal data.
///
/// For data-protection requests. Names, contact details, address, notes,
/// tags, consent records, preferences, custom field values, company
/// contacts, vehicle plates and the text of interactions are removed, and
/// scrubbed from the audit log, the change feed and stored responses.
/// Invoices, service history (with personal data scrubbed from its text),
/// and interaction times, channels and durations stay, so reports keep
/// adding up. Repeating it changes nothing. Admins and supervisors only.
#[utoipa::path(
    tag = "customers",
    params(("id" = String, Path, description = "Customer id")),
    responses((status = 200, description = "The customer as it now stands", body = CustomerResponse), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/customers/{id}/erase")]
pub async fn erase_customer(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::CustomerPrivacy, Operation::Delete)?;
    let erased = state.write(move |conn| erase::erase(conn, &caller.ctx, &reach, &id)).await?;
    Ok(respond::one(&erased, erased.version))
}

/// The 360° profile of a customer.
///
/// One response with the customer (contact details, divisions, consent,
/// preferences, custom fields), a company's contacts, assets with their
/// service status, purchases with lifetime value per division, service
/// history and recent interactions. Each section holds what your role may
/// see, capped (50 assets, 20 of the others, most recent first) with the
/// full count in `total`; page through the rest with the section's own
/// list endpoint. Open leads and tickets join when those capabilities
/// arrive. A merged customer answers 308 like `GET /customers/{id}`.
#[utoipa::path(
    tag = "customers",
    params(("id" = String, Path, description = "Customer id")),
    responses((status = 200, description = "The profile", body = Profile),
        (status = 308, description = "Merged into another customer", body = MergedCustomer,
        headers(("Location" = String, description = "URL of the surviving customer's profile"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/customers/{id}/profile")]
pub async fn get_profile(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = ProfileReach {
        customers: caller.reach(Resource::Customers, Operation::Read)?,
        assets: caller.reach(Resource::Assets, Operation::Read)?,
        purchases: caller.reach(Resource::Purchases, Operation::Read)?,
        service_records: caller.reach(Resource::ServiceRecords, Operation::Read)?,
        interactions: caller.reach(Resource::Interactions, Operation::Read)?,
    };
    match state.read(move |conn| profile::profile(conn, &reach, &id)).await? {
        Ok(profile) => Ok(HttpResponse::Ok().json(profile)),
        Err(Found::Merged { id, into }) => Ok(HttpResponse::PermanentRedirect()
            .insert_header((header::LOCATION, format!("/api/v1/customers/{into}/profile")))
            .json(MergedCustomer { id, merged_into_id: into })),
        Err(Found::Customer(_)) => Err(ApiError::Internal("profile lookup returned a bare customer".to_owned())),
    }
}

/// Export everything held on a customer.
///
/// For data-subject requests: the customer, contacts, assets with their
/// readings, purchases, service records, interactions and the customer
/// record's audit trail, complete, in one JSON document. The export is
/// itself audited. Admins and supervisors only.
#[utoipa::path(
    tag = "customers",
    params(("id" = String, Path, description = "Customer id")),
    responses((status = 200, description = "Everything held", body = CustomerExport), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/customers/{id}/export")]
pub async fn export_customer(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::CustomerPrivacy, Operation::Read)?;
    // A write: the export leaves an audit entry.
    let exported = state.write(move |conn| export::export(conn, &caller.ctx, &id)).await?;
    Ok(HttpResponse::Ok().json(exported))
}

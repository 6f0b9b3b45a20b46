//! `/api/v1/interactions` (and, from `setup`, the categories and
//! categorisation rules that classify them).

mod setup;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_auth::policy::{self, Operation, Resource};
use rapport_core::FieldError;
use rapport_core::principal::{Credential, Reach, Scope};
use rapport_customers::interaction::api::{
    BulkInteractions, BulkResponse, BulkStatus, CreateInteraction, InteractionDirection, InteractionListQuery,
    InteractionResponse, UpdateInteraction,
};
use rapport_customers::interaction::bulk::{self, BulkItem};
use rapport_customers::interaction::{self, Author, store as interactions};

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_interactions)
        .service(create_interaction)
        .service(ingest_interactions)
        .service(get_interaction)
        .service(update_interaction)
        .service(delete_interaction);
    setup::routes(cfg);
}

/// Who is writing and what they may touch. The customers a caller may link
/// come from their role's customer read scope, without an API key's
/// `customers:read`: linking by id reveals nothing about the customer.
pub(crate) fn author(caller: &Caller, operation: Operation) -> Result<Author, ApiError> {
    let reach = caller.reach(Resource::Interactions, operation)?;
    let principal = &caller.principal;
    // A role without customer access reaches no customer (a branch scope
    // matches none: customers belong to divisions).
    let customer_scope = policy::rule(principal.role, Resource::Customers, Operation::Read).unwrap_or(Scope::Branch);
    let default_user_id = matches!(principal.credential, Credential::AccessToken).then(|| principal.user_id.clone());
    Ok(Author { reach, customer_reach: Reach::new(principal, customer_scope), default_user_id })
}

/// List interactions (a customer's timeline).
///
/// Newest first by default. A division-scoped caller sees their division's
/// interactions.
#[utoipa::path(
    tag = "interactions",
    params(InteractionListQuery),
    responses((status = 200, description = "One page of interactions", body = ListResponse<InteractionResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/interactions")]
pub async fn list_interactions(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<InteractionListQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Interactions, Operation::Read)?;
    let page = state.read(move |conn| interactions::list(conn, &reach, &query.0)).await?;
    Ok(respond::page(page))
}

/// Record an interaction.
///
/// Without `category_id` the categorisation rules choose one
/// (`category_origin: rule`). The customer is linked to the interaction's
/// division. An `external_source`/`external_id` already stored is a 422
/// `duplicate`.
#[utoipa::path(
    tag = "interactions",
    request_body = CreateInteraction,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = InteractionResponse,
        headers(("Location" = String, description = "URL of the new interaction"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/interactions")]
pub async fn create_interaction(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateInteraction>,
) -> Result<HttpResponse, ApiError> {
    let author = author(&caller, Operation::Create)?;
    // A caller who may not update leads moves no lead's follow-up.
    let lead_reach = caller.reach(Resource::Leads, Operation::Update).ok();
    let created = state
        .write(move |conn| {
            let created = interactions::create(conn, &caller.ctx, &author, body.0)?;
            // The customer reaching out about a ticket, on any channel, is a
            // reply: the ticket's response clock starts again.
            if let (Some(ticket_id), InteractionDirection::Inbound) = (&created.ticket_id, created.direction) {
                rapport_tickets::sla::clock::customer_contacted(conn, ticket_id, created.occurred_at)?;
            }
            // A contact moves the lead's next follow-up forward; done here so
            // the customers crate needs no knowledge of leads.
            if let (Some(lead_id), Some(reach)) = (&created.lead_id, &lead_reach) {
                rapport_leads::lead::touch_follow_up(conn, &caller.ctx, reach, lead_id, created.occurred_at)?;
            }
            Ok(created)
        })
        .await?;
    Ok(respond::created(&created, format!("/api/v1/interactions/{}", created.id), created.version))
}

/// Record up to 1,000 interactions at once.
///
/// For middleware. Each item is checked and stored on its own, as a single
/// create would; the answer (200) lists one result per item in input
/// order: `created` (with the new id), `duplicate` (its external id is
/// stored already, or came earlier in the request; with the stored id) or
/// `invalid` (with the reasons, fields named relative to the item; nothing
/// of it was stored). A retried batch therefore creates nothing twice. More
/// than 1,000 items is a 422 and a body over the size limit a 413; then
/// nothing is stored.
#[utoipa::path(
    tag = "interactions",
    request_body = BulkInteractions,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 200, description = "One result per item", body = BulkResponse), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/interactions/bulk")]
pub async fn ingest_interactions(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<BulkInteractions>,
) -> Result<HttpResponse, ApiError> {
    let author = author(&caller, Operation::Create)?;
    let items = body.0.items;
    if items.len() > bulk::MAX_ITEMS {
        // Refused before parsing thousands of items.
        return Err(ApiError::from(rapport_core::Error::invalid(
            "items",
            "out_of_range",
            format!("items must hold 1 to {} interactions, got {}", bulk::MAX_ITEMS, items.len()),
        )));
    }
    let items: Vec<BulkItem> = items.into_iter().map(parse_item).collect();
    // Checked on a read connection, so that only the writes wait for
    // SQLite's one writer.
    let ctx = caller.ctx.clone();
    let plan = state.read(move |conn| bulk::plan(conn, &author, &ctx, items)).await?;
    let contacts = plan.lead_contacts();
    let lead_reach = caller.reach(Resource::Leads, Operation::Update).ok();
    let ctx = caller.ctx;
    let response = state.with_writer(move |conn| bulk::store(conn, plan)).await?;
    if let Some(reach) = lead_reach {
        let latest = latest_contact_per_lead(&response, contacts);
        if !latest.is_empty() {
            // After the items are stored, in a transaction of its own: a
            // follow-up is derived from the contacts, which stand either way.
            state
                .write(move |conn| {
                    for (lead_id, at) in &latest {
                        rapport_leads::lead::touch_follow_up(conn, &ctx, &reach, lead_id, *at)?;
                    }
                    Ok(())
                })
                .await?;
        }
    }
    Ok(HttpResponse::Ok().json(response))
}

/// The latest contact per lead among the items `response` created.
fn latest_contact_per_lead(
    response: &BulkResponse,
    contacts: Vec<(String, String, chrono::DateTime<chrono::Utc>)>,
) -> std::collections::BTreeMap<String, chrono::DateTime<chrono::Utc>> {
    let created: std::collections::HashSet<&str> =
        response.results.iter().filter(|r| r.status == BulkStatus::Created).filter_map(|r| r.id.as_deref()).collect();
    let mut latest = std::collections::BTreeMap::new();
    for (id, lead, at) in contacts {
        if created.contains(id.as_str()) {
            let slot = latest.entry(lead).or_insert(at);
            *slot = (*slot).max(at);
        }
    }
    latest
}

/// Get an interaction.
#[utoipa::path(
    tag = "interactions",
    params(("id" = String, Path, description = "Interaction id")),
    responses((status = 200, description = "The interaction", body = InteractionResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/interactions/{id}")]
pub async fn get_interaction(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Interactions, Operation::Read)?;
    let found = state.read(move |conn| interactions::get(conn, &reach, &id)).await?;
    Ok(respond::one(&found, found.version))
}

/// Update an interaction.
///
/// Sales, service and call-centre agents may change only their own
/// interactions. A category chosen by a rule is chosen again when the
/// channel, subject or summary changes. Send the version you read as
/// `If-Match` (or `version`).
#[utoipa::path(
    tag = "interactions",
    request_body = UpdateInteraction,
    params(("id" = String, Path, description = "Interaction id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated interaction", body = InteractionResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/interactions/{id}")]
pub async fn update_interaction(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateInteraction>,
) -> Result<HttpResponse, ApiError> {
    let author = author(&caller, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let lead_reach = caller.reach(Resource::Leads, Operation::Update).ok();
    let updated = state
        .write(move |conn| {
            let updated = interaction::update(conn, &caller.ctx, &author, &id, version, body.0)?;
            // Linking a contact to a lead (or re-dating it) may move the
            // lead's follow-up forward; it never moves it back.
            if let (Some(lead_id), Some(reach)) = (&updated.lead_id, &lead_reach) {
                rapport_leads::lead::touch_follow_up(conn, &caller.ctx, reach, lead_id, updated.occurred_at)?;
            }
            Ok(updated)
        })
        .await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete an interaction.
#[utoipa::path(
    tag = "interactions",
    params(("id" = String, Path, description = "Interaction id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/interactions/{id}")]
pub async fn delete_interaction(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Interactions, Operation::Delete)?;
    state.write(move |conn| interactions::delete(conn, &caller.ctx, &reach, &id, if_match.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One bulk item, parsed as strictly as a single create's body; what is
/// wrong with it is reported for the item alone.
fn parse_item(value: serde_json::Value) -> BulkItem {
    serde_path_to_error::deserialize::<_, CreateInteraction>(value).map_err(|err| {
        let path = err.path().to_string();
        vec![item_error(&path, &err.into_inner().to_string())]
    })
}

/// A field error from serde's message, with the codes a body gets
/// (`unknown_field`, `required`, `unknown_value`, `invalid_type`).
fn item_error(path: &str, message: &str) -> FieldError {
    let mut error = crate::extract::field_error(path, message);
    // serde names the item itself `.`; errors about it get an empty field.
    if error.field == "." {
        error.field.clear();
    }
    error
}

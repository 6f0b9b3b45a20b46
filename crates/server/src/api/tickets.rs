//! `/api/v1/tickets`: tickets, their status flow and history, comments.

use actix_web::{HttpResponse, get, patch, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::page::Page;
use rapport_core::principal::Reach;
use rapport_leads::LeadSource;
use rapport_leads::lead::api::{CreateLead, LeadResponse};
use rapport_leads::pipeline::store::default_for_division;
use rapport_tickets::TicketChannel;
use rapport_tickets::csat::{self, IssuedSurvey, SurveyResponse};
use rapport_tickets::handle_time::{self, AgentHandleTime, HandleTimeQuery};
use rapport_tickets::sla::{self, SlaExplanation};
use rapport_tickets::ticket::api::{
    ChangeStatus, CreateTicket, HandToPipeline, StatusChange, TicketListQuery, TicketResponse, UpdateTicket,
};
use rapport_tickets::ticket::attachments::{self, AttachmentResponse, CreateAttachment};
use rapport_tickets::ticket::comments::{self, CommentResponse, CreateComment};
use rapport_tickets::ticket::{list, status, store as tickets};

use super::{CreateProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // Before `/tickets/{id}`, which would otherwise take `handle-time` for an id.
    cfg.service(ticket_handle_time)
        .service(list_tickets)
        .service(create_ticket)
        .service(get_ticket)
        .service(update_ticket)
        .service(change_ticket_status)
        .service(list_ticket_history)
        .service(get_ticket_sla)
        .service(convert_ticket_to_lead)
        .service(list_ticket_comments)
        .service(add_ticket_comment)
        .service(list_ticket_attachments)
        .service(add_ticket_attachment)
        .service(list_ticket_surveys)
        .service(reissue_ticket_survey);
}

/// The caller's reach over customers, for linking one (none: they may link none).
fn customers_reach(caller: &Caller) -> Option<Reach> {
    caller.reach(Resource::Customers, Operation::Read).ok()
}

/// List tickets.
///
/// My tickets (`assignee=me`), a queue (`queue_id`), by customer or asset,
/// by status (`status=new,open`), priority, channel, category, number,
/// created range; sort `created_at` or `updated_at`; keyset pages.
#[utoipa::path(
    tag = "tickets",
    params(TicketListQuery),
    responses((status = 200, description = "One page of tickets", body = ListResponse<TicketResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/tickets")]
pub async fn list_tickets(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<TicketListQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tickets, Operation::Read)?;
    let page = state.read(move |conn| list::list(conn, &reach, &query.0)).await?;
    Ok(respond::page(page))
}

/// Log a ticket.
///
/// In status `new`, numbered in its division (`MOT-000123`). The branch
/// must be of the division, the asset the customer's (an asset needs its
/// customer), the category live, the assignee an active user of the
/// division (who is notified).
#[utoipa::path(
    tag = "tickets",
    request_body = CreateTicket,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = TicketResponse,
        headers(("Location" = String, description = "URL of the new ticket"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/tickets")]
pub async fn create_ticket(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateTicket>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tickets, Operation::Create)?;
    let customers = customers_reach(&caller);
    let created =
        state.write(move |conn| tickets::create(conn, &caller.ctx, &reach, customers.as_ref(), body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/tickets/{}", created.id), created.version))
}

/// Get a ticket.
#[utoipa::path(
    tag = "tickets",
    params(("id" = String, Path, description = "Ticket id")),
    responses((status = 200, description = "The ticket", body = TicketResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/tickets/{id}")]
pub async fn get_ticket(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tickets, Operation::Read)?;
    let found = state.read(move |conn| tickets::get(conn, &reach, &id)).await?;
    Ok(respond::one(&found, found.version))
}

/// Update a ticket.
///
/// Everything but the status (`POST /tickets/{id}/status`) and the
/// division. A new assignee is notified; the change is audited. Send the
/// version you read as `If-Match` (or `version`).
#[utoipa::path(
    tag = "tickets",
    request_body = UpdateTicket,
    params(("id" = String, Path, description = "Ticket id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated ticket", body = TicketResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/tickets/{id}")]
pub async fn update_ticket(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateTicket>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tickets, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let customers = customers_reach(&caller);
    let updated = state
        .write(move |conn| tickets::update(conn, &caller.ctx, &reach, customers.as_ref(), &id, version, body.0))
        .await?;
    Ok(respond::one(&updated, updated.version))
}

/// Change a ticket's status.
///
/// `new → open | pending | resolved`, `open ↔ pending`, `open | pending →
/// resolved`, `resolved → closed`, and a reopen (`resolved | closed →
/// open`, counted). Anything else is a 422 `invalid_transition`. Resolving
/// sets `resolved_at`, `first_contact_resolution` and
/// `resolution_business_seconds`; a reopen clears them. Resolving also
/// issues a CSAT survey: this answer alone carries it in `csat_survey`, with
/// the token for the customer's link.
#[utoipa::path(
    tag = "tickets",
    request_body = ChangeStatus,
    params(("id" = String, Path, description = "Ticket id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The ticket in its new status", body = TicketResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/tickets/{id}/status")]
pub async fn change_ticket_status(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<ChangeStatus>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tickets, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let settings = state.config.desk.clone();
    let changed =
        state.write(move |conn| status::change(conn, &caller.ctx, &reach, &id, version, body.0, &settings)).await?;
    Ok(respond::one(&changed, changed.version))
}

/// A ticket's status history.
///
/// Every change, oldest first, on one page (`next_cursor` is always null).
#[utoipa::path(
    tag = "tickets",
    params(("id" = String, Path, description = "Ticket id")),
    responses((status = 200, description = "The status history", body = ListResponse<StatusChange>), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/tickets/{id}/history")]
pub async fn list_ticket_history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tickets, Operation::Read)?;
    let items = state.read(move |conn| status::history(conn, &reach, &id)).await?;
    Ok(respond::page(Page { items, next_cursor: None }))
}

/// A ticket's comments.
///
/// Public replies and internal notes, oldest first, on one page.
#[utoipa::path(
    tag = "tickets",
    params(("id" = String, Path, description = "Ticket id")),
    responses((status = 200, description = "The thread", body = ListResponse<CommentResponse>), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/tickets/{id}/comments")]
pub async fn list_ticket_comments(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tickets, Operation::Read)?;
    let items = state.read(move |conn| comments::list(conn, &reach, &id)).await?;
    Ok(respond::page(Page { items, next_cursor: None }))
}

/// Comment on a ticket.
///
/// A public reply (the customer sees it) or an internal note. The first
/// public agent reply sets `first_responded_at` and
/// `first_response_business_seconds` and opens a `new` ticket; each public
/// agent reply counts as an agent touch. `author_kind: customer` records a
/// customer's reply relayed by an integration.
#[utoipa::path(
    tag = "tickets",
    request_body = CreateComment,
    params(("id" = String, Path, description = "Ticket id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = CommentResponse), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/tickets/{id}/comments")]
pub async fn add_ticket_comment(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<CreateComment>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tickets, Operation::Update)?;
    let created = state.write(move |conn| comments::add(conn, &caller.ctx, &reach, &id, body.0)).await?;
    Ok(HttpResponse::Created().json(created))
}

/// A ticket's SLA, explained.
///
/// Each deadline (first response, resolution) with its target in business
/// minutes, start, due time, when it was met, business time used and
/// remaining, breach flag, and the segments it was computed from: working
/// time, nights and weekends, holidays (named) and pauses (`pending`,
/// `resolved`, `closed`), on the ticket branch's calendar. 404 when no SLA
/// policy applied to the ticket.
#[utoipa::path(
    tag = "tickets",
    params(("id" = String, Path, description = "Ticket id")),
    responses((status = 200, description = "The SLA explained", body = SlaExplanation), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/tickets/{id}/sla")]
pub async fn get_ticket_sla(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tickets, Operation::Read)?;
    let explained = state.read(move |conn| sla::explain(conn, &reach, &id)).await?;
    Ok(HttpResponse::Ok().json(explained))
}

/// A sales inquiry handed to the pipeline: the ticket and the lead, linked
/// both ways (`ticket.lead_id`; the lead's `external_source` is `ticket`
/// and its `external_id` the ticket number).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Handover {
    /// The ticket, now pointing at the lead.
    pub ticket: TicketResponse,
    /// The lead.
    pub lead: LeadResponse,
}

/// The lead source a ticket's channel stands for.
fn lead_source(channel: TicketChannel) -> LeadSource {
    match channel {
        TicketChannel::Call => LeadSource::Phone,
        TicketChannel::Whatsapp => LeadSource::Whatsapp,
        TicketChannel::Web | TicketChannel::Email => LeadSource::Website,
        TicketChannel::WalkIn | TicketChannel::Visit | TicketChannel::Meeting => LeadSource::WalkIn,
        TicketChannel::Social => LeadSource::Instagram,
        TicketChannel::Sms => LeadSource::Other,
    }
}

/// Hand a sales inquiry to the pipeline.
///
/// For a ticket of a `sales` category with a customer (422 `not_sales` /
/// `required` otherwise): a lead for that customer in the ticket's division
/// and branch, in `pipeline_id` (default the division's oldest pipeline
/// that takes leads), source from the ticket's channel, notes from its
/// subject and description, owned by `owner_id` or by the division's
/// assignment rule. The ticket records the lead (`lead_id`) and the lead the
/// ticket (`external_source: ticket`, `external_id`: its number). Calling it
/// again answers 200 with the same lead. Needs the right to create leads.
#[utoipa::path(
    tag = "tickets",
    request_body = HandToPipeline,
    params(("id" = String, Path, description = "Ticket id")),
    responses((status = 201, description = "Handed over", body = Handover),
        (status = 200, description = "Already handed over", body = Handover), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/tickets/{id}/convert-to-lead")]
pub async fn convert_ticket_to_lead(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<HandToPipeline>,
) -> Result<HttpResponse, ApiError> {
    let ticket_reach = caller.reach(Resource::Tickets, Operation::Update)?;
    let lead_reach = caller.reach(Resource::Leads, Operation::Create)?;
    let customers = customers_reach(&caller);
    let (handover, created) = state
        .write(move |conn| {
            let ticket = tickets::for_lead_handover(conn, &ticket_reach, &id)?;
            if let Some(lead_id) = &ticket.lead_id {
                let lead = rapport_leads::lead::store::get(conn, &Reach::everything(), lead_id)?;
                return Ok((Handover { ticket, lead }, false));
            }
            let input = body.0;
            let pipeline_id = match input.pipeline_id {
                Some(p) => p,
                None => default_for_division(conn, &ticket.division_id)?.ok_or_else(|| {
                    rapport_core::Error::invalid(
                        "pipeline_id",
                        "no_pipeline",
                        "the division has no pipeline that takes leads",
                    )
                })?,
            };
            let mut notes = format!("From ticket {}: {}", ticket.number, ticket.subject);
            for extra in [ticket.description.as_deref(), input.notes.as_deref()].into_iter().flatten() {
                notes.push_str("\n\n");
                notes.push_str(extra);
            }
            let lead = CreateLead {
                customer_id: ticket.customer_id.clone(),
                prospect_name: None,
                prospect_phone: None,
                prospect_email: None,
                source: lead_source(ticket.channel),
                division_id: ticket.division_id.clone(),
                branch_id: ticket.branch_id.clone(),
                product_interest: None,
                expected_value: None,
                expected_close_on: None,
                owner_id: input.owner_id,
                pipeline_id,
                stage_id: None,
                lost_reason_id: None,
                lost_note: None,
                score: None,
                notes: Some(notes.chars().take(5000).collect()),
                follow_up_minutes: None,
                next_follow_up_at: None,
                external_source: Some("ticket".to_owned()),
                external_id: Some(ticket.number.clone()),
                custom_fields: Default::default(),
            };
            let lead =
                rapport_leads::lead::store::create(conn, &caller.ctx, &lead_reach, customers.as_ref(), lead, None)?;
            if lead.owner_id.is_none() {
                rapport_leads::routing::route_unassigned(conn, &caller.ctx, &lead.id)?;
            }
            let ticket = tickets::link_lead(conn, &caller.ctx, &ticket.id, &lead.id)?;
            let lead = rapport_leads::lead::store::get(conn, &Reach::everything(), &lead.id)?;
            Ok((Handover { ticket, lead }, true))
        })
        .await?;
    let status = if created { actix_web::http::StatusCode::CREATED } else { actix_web::http::StatusCode::OK };
    Ok(HttpResponse::build(status).json(handover))
}

/// Handle time per agent.
///
/// From the interactions logged on tickets with a duration (calls, visits,
/// chats), over tickets within the caller's scope: per agent the tickets
/// handled, interactions, total seconds and the averages per interaction
/// and per ticket, most time first. `from`/`to` bound the interactions'
/// `occurred_at`. One row per agent (at most 1,000), so not paged. Per
/// ticket, every ticket carries its own `handle_time`.
#[utoipa::path(
    tag = "tickets",
    params(HandleTimeQuery),
    responses((status = 200, description = "Handle time per agent", body = ListResponse<AgentHandleTime>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/tickets/handle-time")]
pub async fn ticket_handle_time(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<HandleTimeQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tickets, Operation::Read)?;
    let items = state.read(move |conn| handle_time::by_agent(conn, &reach, &query.0)).await?;
    Ok(respond::page(Page { items, next_cursor: None }))
}

/// A ticket's CSAT surveys.
///
/// Newest first, with their state (`waiting`, `answered`, `expired`),
/// rating and comment; never their tokens.
#[utoipa::path(
    tag = "tickets",
    params(("id" = String, Path, description = "Ticket id")),
    responses((status = 200, description = "The surveys", body = ListResponse<SurveyResponse>), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/tickets/{id}/csat")]
pub async fn list_ticket_surveys(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tickets, Operation::Read)?;
    let items = state.read(move |conn| csat::list(conn, &reach, &id)).await?;
    Ok(respond::page(Page { items, next_cursor: None }))
}

/// Issue a fresh CSAT survey.
///
/// For a resolved or closed ticket (422 `not_resolved` otherwise), e.g.
/// when the middleware that sends surveys lost the first link. The answer
/// carries the token once; the ticket's unanswered surveys stop working.
#[utoipa::path(
    tag = "tickets",
    params(("id" = String, Path, description = "Ticket id")),
    responses((status = 201, description = "Issued", body = IssuedSurvey), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/tickets/{id}/csat-survey")]
pub async fn reissue_ticket_survey(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tickets, Operation::Update)?;
    let validity = state.config.desk.csat_validity;
    let issued = state.write(move |conn| csat::reissue(conn, &caller.ctx, &reach, &id, validity)).await?;
    Ok(HttpResponse::Created().json(issued))
}

/// A ticket's attachments.
///
/// Metadata (name, type, size, storage key), oldest first, on one page.
/// The bytes are in object storage under `storage_key` (`docs/tickets.md`).
#[utoipa::path(
    tag = "tickets",
    params(("id" = String, Path, description = "Ticket id")),
    responses((status = 200, description = "The attachments", body = ListResponse<AttachmentResponse>), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/tickets/{id}/attachments")]
pub async fn list_ticket_attachments(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tickets, Operation::Read)?;
    let items = state.read(move |conn| attachments::list(conn, &reach, &id)).await?;
    Ok(respond::page(Page { items, next_cursor: None }))
}

/// Register an attachment.
///
/// After uploading the bytes to object storage, record them on the ticket:
/// file name (no path), media type, size (at most 25 MiB), the storage key
/// (unique: 422 `duplicate` if registered already) and optionally the
/// comment they came with.
#[utoipa::path(
    tag = "tickets",
    request_body = CreateAttachment,
    params(("id" = String, Path, description = "Ticket id")),
    responses((status = 201, description = "Registered", body = AttachmentResponse), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/tickets/{id}/attachments")]
pub async fn add_ticket_attachment(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<CreateAttachment>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tickets, Operation::Update)?;
    let created = state.write(move |conn| attachments::add(conn, &caller.ctx, &reach, &id, body.0)).await?;
    Ok(HttpResponse::Created().json(created))
}

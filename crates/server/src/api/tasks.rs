//! `/api/v1/tasks`: follow-up tasks, reminders and hand-offs.

use actix_web::{HttpResponse, get, patch, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::db::Conn;
use rapport_customers::interaction::api::{CreateInteraction, InteractionChannel, InteractionDirection};
use rapport_customers::interaction::store as interactions;
use rapport_tasks::TaskKind;
use rapport_tasks::task::{
    self, CancelTask, CompleteTask, CreateTask, InteractionToLog, TaskListQuery, TaskResponse, UpdateTask,
};

use super::interactions::author;
use super::{CreateProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_tasks)
        .service(create_task)
        .service(get_task)
        .service(update_task)
        .service(complete_task)
        .service(cancel_task);
}

/// List tasks.
///
/// Soonest due first by default. `assignee=me` is your own list; a manager
/// sees their division's (the team's), a rep or agent the tasks assigned to
/// or created by them. `due=overdue` lists open tasks past their due time;
/// `due_today` and `upcoming` count days in the company time zone.
#[utoipa::path(
    tag = "tasks",
    params(TaskListQuery),
    responses((status = 200, description = "One page of tasks", body = ListResponse<TaskResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/tasks")]
pub async fn list_tasks(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<TaskListQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tasks, Operation::Read)?;
    let tz = state.config.company_time_zone;
    let page = state.read(move |conn| task::list(conn, &reach, &query.0, tz, chrono::Utc::now())).await?;
    Ok(respond::page(page))
}

/// Create a task.
///
/// About a customer, lead, ticket or asset (which gives the task its
/// division, branch and customer) or about nothing in particular (then in
/// the division given, or yours). The assignee (default yourself) must be
/// an active user of that division or of none; they are notified unless
/// they created it. Audited.
#[utoipa::path(
    tag = "tasks",
    request_body = CreateTask,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "The new task", body = TaskResponse), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/tasks")]
pub async fn create_task(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateTask>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tasks, Operation::Create)?;
    let created = state.write(move |conn| task::create(conn, &caller.ctx, &reach, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/tasks/{}", created.id), created.version))
}

/// Get a task.
#[utoipa::path(
    tag = "tasks",
    params(("id" = String, Path, description = "Task id")),
    responses((status = 200, description = "The task", body = TaskResponse), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/tasks/{id}")]
pub async fn get_task(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tasks, Operation::Read)?;
    let found = state.read(move |conn| task::get(conn, &reach, &id)).await?;
    Ok(respond::one(&found, found.version))
}

/// Update an open task.
///
/// Title, kind, priority, due and reminder times, notes, and the assignee
/// (a hand-off: audited, and the new assignee is notified). Done and
/// cancelled tasks answer 409 `not_open`. Send the version you read as
/// `If-Match` (or `version`).
#[utoipa::path(
    tag = "tasks",
    request_body = UpdateTask,
    params(("id" = String, Path, description = "Task id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated task", body = TaskResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/tasks/{id}")]
pub async fn update_task(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateTask>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tasks, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| task::update(conn, &caller.ctx, &reach, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Complete a task.
///
/// With an outcome. A call, callback, visit or service reminder about a
/// record is logged on the timeline as an outbound interaction (linked to
/// the task's customer, and to its lead or ticket) unless
/// `log_interaction` is false; on a lead that moves the lead's next
/// follow-up, as any contact does. All in one transaction. A task no
/// longer open answers 409 `not_open`.
#[utoipa::path(
    tag = "tasks",
    request_body = CompleteTask,
    params(("id" = String, Path, description = "Task id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being completed, e.g. \"3\"")),
    responses((status = 200, description = "The completed task", body = TaskResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/tasks/{id}/complete")]
pub async fn complete_task(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<CompleteTask>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tasks, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let author = author(&caller, Operation::Create)?;
    // A caller who may not update leads moves no lead's follow-up.
    let lead_reach = caller.reach(Resource::Leads, Operation::Update).ok();
    let done = state
        .write(move |conn| {
            let ctx = caller.ctx.clone();
            task::complete(conn, &caller.ctx, &reach, &id, version, body.0, |conn: &mut Conn, contact| {
                let lead_id = contact.lead_id.clone();
                let logged = interactions::create(conn, &ctx, &author, interaction_for(contact))?;
                if let (Some(lead_id), Some(reach)) = (lead_id, &lead_reach) {
                    rapport_leads::lead::touch_follow_up(conn, &ctx, reach, &lead_id, logged.occurred_at)?;
                }
                Ok(logged.id)
            })
        })
        .await?;
    Ok(respond::one(&done, done.version))
}

/// The timeline entry for a completed contact task.
fn interaction_for(contact: InteractionToLog) -> CreateInteraction {
    let channel = match contact.kind {
        TaskKind::Visit => InteractionChannel::Visit,
        TaskKind::FollowUpCall | TaskKind::Callback | TaskKind::ServiceReminder | TaskKind::Other => {
            InteractionChannel::Call
        }
    };
    CreateInteraction {
        channel,
        direction: InteractionDirection::Outbound,
        category_id: None,
        subject: Some(contact.subject),
        summary: contact.summary,
        occurred_at: contact.occurred_at,
        duration_seconds: contact.duration_seconds,
        outcome: Some(contact.outcome),
        user_id: None,
        customer_id: contact.customer_id,
        lead_id: contact.lead_id,
        ticket_id: contact.ticket_id,
        division_id: Some(contact.division_id),
        external_source: None,
        external_id: None,
    }
}

/// Cancel a task.
///
/// With an optional reason (kept as the outcome). A task no longer open
/// answers 409 `not_open`.
#[utoipa::path(
    tag = "tasks",
    request_body = CancelTask,
    params(("id" = String, Path, description = "Task id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being cancelled, e.g. \"3\"")),
    responses((status = 200, description = "The cancelled task", body = TaskResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/tasks/{id}/cancel")]
pub async fn cancel_task(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<CancelTask>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Tasks, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let cancelled = state.write(move |conn| task::cancel(conn, &caller.ctx, &reach, &id, version, body.0)).await?;
    Ok(respond::one(&cancelled, cancelled.version))
}

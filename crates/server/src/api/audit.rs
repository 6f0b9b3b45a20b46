//! `/api/v1/audit`.

use actix_web::{HttpResponse, get, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::audit::{self, AuditEntryResponse, AuditListQuery};

use super::{ListProblems, ListResponse, respond};
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller};
use crate::state::AppState;

/// List audit entries, newest first.
///
/// Every change to a record, and sign-ins, refused sign-ins, sign-outs,
/// refresh-token reuse and password changes, with actor, request id, client
/// address and time.
#[utoipa::path(
    tag = "audit",
    params(AuditListQuery),
    responses((status = 200, description = "One page of audit entries", body = ListResponse<AuditEntryResponse>), ListProblems),
    security(("bearer" = []))
)]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<AuditListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Audit, Operation::Read)?;
    let page = state.read(move |conn| audit::list(conn, &query.0)).await?;
    Ok(respond::page(page))
}

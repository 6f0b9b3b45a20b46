//! `/api/v1/public/csat/{token}`: the customer's side of a CSAT survey, no
//! sign-in. The token (256 random bits, single use, valid for a window) is
//! the only credential; it is issued when a ticket is resolved.

use actix_web::{HttpResponse, get, post, web};
use rapport_tickets::csat::{self, PublicSurvey, SurveyAnswer};

use super::{CreateProblems, GetProblems};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, Visitor};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(show_survey).service(answer_survey);
}

/// See a survey.
///
/// What the customer's survey page shows: the ticket's number and subject,
/// whether it can still be answered and until when. An unknown token is a
/// 404.
#[utoipa::path(
    tag = "csat",
    params(("token" = String, Path, description = "The survey token from the link")),
    responses((status = 200, description = "The survey", body = PublicSurvey), GetProblems),
    security(())
)]
#[get("/public/csat/{token}")]
pub async fn show_survey(state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let survey = state.read(move |conn| csat::show(conn, &token)).await?;
    Ok(HttpResponse::Ok().json(survey))
}

/// Answer a survey.
///
/// A rating from 1 to 5 and an optional comment (at most 2,000
/// characters), once. An unknown token is a 404, an expired one a 410
/// `survey_expired`, a second answer a 409 `already_answered`.
#[utoipa::path(
    tag = "csat",
    request_body = SurveyAnswer,
    params(("token" = String, Path, description = "The survey token from the link")),
    responses((status = 200, description = "Recorded", body = PublicSurvey), CreateProblems,
        (status = 409, description = "Already answered (`already_answered`)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link has expired (`survey_expired`)", body = Problem, content_type = "application/problem+json")),
    security(())
)]
#[post("/public/csat/{token}")]
pub async fn answer_survey(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    body: ApiJson<SurveyAnswer>,
) -> Result<HttpResponse, ApiError> {
    let survey = state.write(move |conn| csat::answer(conn, &visitor.0, &token, body.0)).await?;
    Ok(HttpResponse::Ok().json(survey))
}

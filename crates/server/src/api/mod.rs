//! HTTP handlers, one module per resource, and the route table.

pub mod branches;
pub mod calendars;
pub mod divisions;
pub mod health;
mod problems;
mod respond;

pub use problems::{CreateProblems, DeleteProblems, GetProblems, ListProblems, UpdateProblems};
pub use respond::ListResponse;

/// Every `/api/v1` route. Handlers are registered with `.service()` so each
/// one appears in the OpenAPI spec.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(divisions::list_divisions)
        .service(divisions::create_division)
        .service(divisions::get_division)
        .service(divisions::update_division)
        .service(divisions::delete_division)
        .service(branches::list_branches)
        .service(branches::create_branch)
        .service(branches::get_branch)
        .service(branches::update_branch)
        .service(branches::delete_branch)
        .service(calendars::list_calendars)
        .service(calendars::create_calendar)
        .service(calendars::get_calendar)
        .service(calendars::update_calendar)
        .service(calendars::delete_calendar);
}

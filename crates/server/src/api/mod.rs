//! HTTP handlers, one module per resource, and the route table.

pub mod api_keys;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod automation;
pub mod branches;
pub mod calendars;
pub mod csat;
mod csv;
pub mod custom_fields;
pub mod customers;
pub mod divisions;
pub mod events;
pub mod exports;
pub mod health;
pub mod intake;
pub mod interactions;
pub mod jobs;
pub mod lead_routing;
pub mod leads;
pub mod lost_reasons;
pub mod metrics;
pub mod notifications;
pub mod pipelines;
mod problems;
pub mod purchases;
mod respond;
pub mod service_records;
pub mod sla_policies;
pub mod tasks;
pub mod ticket_categories;
pub mod ticket_queues;
pub mod tickets;
pub mod users;
pub mod webhooks;

pub use problems::{CreateProblems, DeleteProblems, GetProblems, ListProblems, UpdateProblems};
pub use respond::ListResponse;

/// Every `/api/v1` route. Handlers are registered with `.service()` so each
/// one appears in the OpenAPI spec.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(auth::login)
        .service(auth::refresh)
        .service(auth::logout)
        .service(auth::get_me)
        .service(auth::change_password)
        .service(users::list_users)
        .service(users::create_user)
        .service(users::get_user)
        .service(users::update_user)
        .service(api_keys::list_api_keys)
        .service(api_keys::create_api_key)
        .service(api_keys::revoke_api_key)
        .service(audit::list_audit)
        .service(events::read_events)
        .service(divisions::list_divisions)
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
        .service(calendars::delete_calendar)
        .configure(customers::routes)
        .configure(custom_fields::routes)
        .configure(purchases::routes)
        .configure(assets::routes)
        .configure(service_records::routes)
        .configure(interactions::routes)
        .configure(pipelines::routes)
        .configure(lost_reasons::routes)
        .configure(intake::routes)
        .configure(leads::routes)
        .configure(tasks::routes)
        .configure(jobs::routes)
        .configure(automation::routes)
        .configure(webhooks::routes)
        .configure(lead_routing::routes)
        .configure(notifications::routes)
        .configure(ticket_categories::routes)
        .configure(tickets::routes)
        .configure(sla_policies::routes)
        .configure(ticket_queues::routes)
        .configure(csat::routes)
        .configure(metrics::routes)
        .configure(exports::routes);
}

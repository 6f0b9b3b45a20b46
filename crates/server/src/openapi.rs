//! The OpenAPI document: the parts not derived from handlers.

use utoipa::OpenApi;

/// Top-level information, tags and shared schemas. Paths are added as
/// handlers are registered (see `app.rs`).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rapport API",
        description = "API-first CRM backend: sales pipeline, customers, service desk and KPIs.\n\n\
            Conventions: JSON in `snake_case`; RFC 3339 UTC timestamps; errors as RFC 9457 \
            `application/problem+json` with a stable `code`; keyset pagination with `limit` and \
            `cursor`; `sort=key` or `sort=-key`; updates need `If-Match` (or `version`); POSTs \
            accept `Idempotency-Key`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    tags(
        (name = "operations", description = "Health and readiness"),
        (name = "org", description = "Divisions and branches"),
        (name = "calendars", description = "Business calendars: working hours and public holidays")
    ),
    components(schemas(crate::error::Problem, rapport_core::FieldError))
)]
pub struct ApiDoc;

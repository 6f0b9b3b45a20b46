//! The OpenAPI document: the parts not derived from handlers.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
        (name = "auth", description = "Sign-in, token refresh, sign-out, own profile and password"),
        (name = "users", description = "People and integration accounts"),
        (name = "api-keys", description = "API keys for integration accounts"),
        (name = "audit", description = "Who did what, when, from where"),
        (name = "events", description = "The change feed: every change, in order, for ERP middleware"),
        (name = "org", description = "Divisions and branches"),
        (name = "calendars", description = "Business calendars: working hours and public holidays"),
        (name = "customers", description = "People and companies, contacts, consent, the 360° profile, search, merge, privacy"),
        (name = "custom-fields", description = "Admin-defined extra fields on customers and assets"),
        (name = "assets", description = "Vehicles, generators and other assets customers own; readings; service rules"),
        (name = "service", description = "Service records per asset"),
        (name = "purchases", description = "Invoices from the ERP or entered by hand"),
        (name = "interactions", description = "The interaction timeline: calls, emails, meetings, WhatsApp, SMS, visits, social"),
        (name = "pipelines", description = "Sales pipelines per division, their ordered stages and the board"),
        (name = "leads", description = "Leads, stage moves and history, follow-up lists, lost reasons, qualification and routing, conversion"),
        (name = "tickets", description = "The service desk: tickets, their status flow and history, comments, categories"),
        (name = "csat", description = "Customer satisfaction surveys: the public page a customer answers with the token from their link, no sign-in"),
        (name = "tasks", description = "Follow-up tasks and hand-offs: who must do what by when, about which record"),
        (name = "jobs", description = "Background jobs (reminders and other scheduled work): the admin view and redelivery"),
        (name = "automation", description = "Automation rules (trigger, conditions, actions) and the record of what each run did"),
        (name = "webhooks", description = "Webhook subscriptions, signed deliveries of change events, the delivery log and redelivery"),
        (name = "metrics", description = "KPI reports (each with numerator, denominator, target status and a link to its records), the dashboard, targets"),
        (name = "notifications", description = "Your inbox: assignments, hand-overs and (later) SLA warnings and due tasks"),
        (name = "intake", description = "Lead capture from web forms and messaging middleware, and the intake sources (keys) they use")
    ),
    components(schemas(crate::error::Problem, rapport_core::FieldError)),
    modifiers(&SecuritySchemes)
)]
pub struct ApiDoc;

/// Declares the two ways to authenticate.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("Access token from `POST /api/v1/auth/login` (15 minutes)."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("rpk_…")
                    .description(Some(
                        "API key of an integration account (`rpk_…`), sent as `Authorization: Bearer <key>`; \
                         its scopes limit what it may do.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "intake_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Intake-Key",
                "Key of an intake source (`rik_…`), for `POST /api/v1/intake/leads` only; \
                 `Authorization: Bearer rik_…` is accepted too.",
            ))),
        );
    }
}

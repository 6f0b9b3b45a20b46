//! Assembles the actix application: middleware, routes, docs page and the
//! OpenAPI document, from one route table so the spec cannot drift.

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpResponse, ResponseError as _, web};
use utoipa::OpenApi as _;
use utoipa_actix_web::AppExt as _;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::api;
use crate::config::HttpConfig;
use crate::error::ApiError;
use crate::middleware::{idempotency, request_id, security_headers};
use crate::openapi::ApiDoc;
use crate::state::AppState;

/// Where the spec is served.
pub const SPEC_PATH: &str = "/api/v1/openapi.json";

/// The whole application for one worker.
pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let cors = cors(&state.config);
    let spec = web::Data::new(openapi_spec());
    App::new()
        // Before the `/api/v1` scope, which would otherwise claim this path.
        .app_data(spec)
        .route(SPEC_PATH, web::get().to(serve_spec))
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(web::Data::new(state))
        .service(api::health::healthz)
        .service(api::health::readyz)
        .service(utoipa_actix_web::scope("/api/v1").wrap(from_fn(idempotency)).configure(api::routes))
        .into_app()
        .service(SwaggerUi::new("/docs/{_:.*}").config(Config::from(SPEC_PATH).validator_url("none")))
        .service(web::redirect("/docs", "/docs/"))
        .default_service(web::to(route_not_found))
        .wrap(cors)
        .wrap(security_headers())
        .wrap(from_fn(request_id))
}

async fn serve_spec(spec: web::Data<utoipa::openapi::OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(spec.get_ref())
}

/// The OpenAPI document, built from the same route table as the app.
pub fn openapi_spec() -> utoipa::openapi::OpenApi {
    let (_, spec) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(api::health::healthz)
        .service(api::health::readyz)
        .service(utoipa_actix_web::scope("/api/v1").configure(api::routes))
        .split_for_parts();
    spec
}

async fn route_not_found(_req: HttpRequest) -> HttpResponse {
    ApiError::RouteNotFound.error_response()
}

fn cors(config: &HttpConfig) -> Cors {
    let mut cors = Cors::default()
        // A browser on a foreign origin simply gets no CORS headers; the
        // same-origin docs page must keep working.
        .block_on_origin_mismatch(false)
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            "authorization",
            "content-type",
            "if-match",
            "idempotency-key",
            "x-request-id",
            "x-intake-key",
        ])
        .expose_headers(["etag", "location", "x-request-id", "retry-after", "idempotent-replayed"])
        .max_age(3600);
    for origin in &config.cors_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

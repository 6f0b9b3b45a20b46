//! The one place where errors become HTTP responses: RFC 9457
//! `application/problem+json` with a stable snake_case `code`.
//!
//! Every code is listed in `docs/errors.md`; a test checks that none is missing.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use rapport_core::{Error, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

/// The problem+json media type.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:rapport:problem:validation_failed",
    "title": "Validation failed",
    "status": 422,
    "detail": "1 field is invalid",
    "code": "validation_failed",
    "errors": [{"field": "name", "code": "required", "message": "name must not be blank"}]
}))]
pub struct Problem {
    /// `urn:rapport:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// Stable snake_case error code (see docs/errors.md).
    pub code: String,
    /// Per-field problems, for validation and malformed input.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Every error a handler or extractor can answer with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// From the domain and storage layers.
    #[error(transparent)]
    Domain(#[from] Error),
    /// The body is not well-formed JSON.
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// The body is JSON but not of the expected shape (wrong type, unknown or missing field).
    #[error("invalid body")]
    InvalidBody(Vec<FieldError>),
    /// The body is larger than allowed.
    #[error("payload too large")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not `application/json`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A header has an unusable value.
    #[error("invalid header {name}: {message}")]
    InvalidHeader {
        /// Header name.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
    /// An update came without `If-Match` or `version`.
    #[error("precondition required")]
    PreconditionRequired,
    /// The `Idempotency-Key` was used before for a different request.
    #[error("idempotency key reused")]
    IdempotencyKeyReused,
    /// The first request with this `Idempotency-Key` is still running.
    #[error("idempotency key in flight")]
    IdempotencyKeyInFlight,
    /// No such route.
    #[error("route not found")]
    RouteNotFound,
    /// The route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The blocking pool or another part of the server failed.
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        use StatusCode as S;
        match self {
            Self::Domain(e) => match e {
                Error::NotFound { .. } => (S::NOT_FOUND, "not_found", "Not found"),
                Error::Validation(_) => (S::UNPROCESSABLE_ENTITY, "validation_failed", "Validation failed"),
                Error::InvalidQuery(_) => (S::BAD_REQUEST, "invalid_query", "Invalid query parameters"),
                Error::Duplicate(_) => (S::UNPROCESSABLE_ENTITY, "duplicate", "Duplicate value"),
                Error::Conflict { code, .. } => (S::CONFLICT, code, "Conflict"),
                Error::Gone { code, .. } => (S::GONE, code, "Gone"),
                Error::StaleVersion { .. } => (S::PRECONDITION_FAILED, "stale_version", "Stale version"),
                Error::Unauthenticated { code, .. } => (S::UNAUTHORIZED, code, "Unauthenticated"),
                Error::Forbidden(_) => (S::FORBIDDEN, "forbidden", "Forbidden"),
                Error::RateLimited { .. } => (S::TOO_MANY_REQUESTS, "rate_limited", "Too many requests"),
                Error::Unavailable(_) => (S::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable"),
                Error::Db(_) | Error::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal_error", "Internal error"),
            },
            Self::MalformedJson(_) => (S::BAD_REQUEST, "malformed_json", "Malformed JSON"),
            Self::InvalidBody(_) => (S::BAD_REQUEST, "invalid_body", "Invalid request body"),
            Self::PayloadTooLarge { .. } => (S::PAYLOAD_TOO_LARGE, "payload_too_large", "Payload too large"),
            Self::UnsupportedMediaType => {
                (S::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Unsupported media type")
            }
            Self::InvalidHeader { .. } => (S::BAD_REQUEST, "invalid_header", "Invalid header"),
            Self::PreconditionRequired => (S::PRECONDITION_REQUIRED, "precondition_required", "Precondition required"),
            Self::IdempotencyKeyReused => (S::UNPROCESSABLE_ENTITY, "idempotency_key_reused", "Idempotency key reused"),
            Self::IdempotencyKeyInFlight => (S::CONFLICT, "idempotency_key_in_flight", "Request in flight"),
            Self::RouteNotFound => (S::NOT_FOUND, "route_not_found", "Route not found"),
            Self::MethodNotAllowed => (S::METHOD_NOT_ALLOWED, "method_not_allowed", "Method not allowed"),
            Self::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal_error", "Internal error"),
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let (status, code, title) = self.parts();
        let (detail, errors) = match self {
            Self::Domain(Error::Validation(errors)) => (count_fields(errors), errors.clone()),
            Self::Domain(Error::InvalidQuery(errors)) => (first_message(errors), errors.clone()),
            Self::Domain(Error::Duplicate(errors)) => (first_message(errors), errors.clone()),
            Self::Domain(Error::StaleVersion { current }) => (
                format!("the record has changed since you read it; it is now at version {current}: re-read and retry"),
                Vec::new(),
            ),
            Self::InvalidBody(errors) => (first_message(errors), errors.clone()),
            Self::PayloadTooLarge { limit } => (format!("the body exceeds the limit of {limit} bytes"), Vec::new()),
            Self::UnsupportedMediaType => ("send the body as application/json".to_owned(), Vec::new()),
            Self::PreconditionRequired => {
                ("send If-Match with the version you read (or `version` in the body)".to_owned(), Vec::new())
            }
            Self::IdempotencyKeyReused => {
                ("this Idempotency-Key was already used for a different request".to_owned(), Vec::new())
            }
            Self::IdempotencyKeyInFlight => {
                ("a request with this Idempotency-Key is still being processed; retry shortly".to_owned(), Vec::new())
            }
            Self::RouteNotFound => ("no such route; see /api/v1/openapi.json".to_owned(), Vec::new()),
            Self::MethodNotAllowed => ("this route does not accept that method".to_owned(), Vec::new()),
            Self::Domain(Error::Db(_) | Error::Internal(_)) | Self::Internal(_) => {
                ("an unexpected error occurred; it has been logged".to_owned(), Vec::new())
            }
            Self::Domain(Error::Unavailable(_)) => {
                ("the database is not reachable right now; retry shortly".to_owned(), Vec::new())
            }
            other => (other.to_string(), Vec::new()),
        };
        Problem {
            problem_type: format!("urn:rapport:problem:{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            errors,
        }
    }
}

fn count_fields(errors: &[FieldError]) -> String {
    match errors {
        [one] => format!("{}: {}", one.field, one.message),
        many => format!("{} fields are invalid", many.len()),
    }
}

fn first_message(errors: &[FieldError]) -> String {
    errors.first().map(|e| e.message.clone()).unwrap_or_default()
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            // The whole cause chain goes to the log, never to the client.
            let mut chain = self.to_string();
            let mut source = std::error::Error::source(self);
            while let Some(cause) = source {
                chain.push_str(": ");
                chain.push_str(&cause.to_string());
                source = cause.source();
            }
            tracing::error!(error = %chain, "request failed");
        }
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Self::Domain(Error::RateLimited { retry_after_secs }) = self {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"rapport\"")));
        }
        response.body(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        Self::Internal(err.to_string())
    }
}

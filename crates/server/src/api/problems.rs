//! The problem responses each kind of operation declares in the spec.

use utoipa::IntoResponses;

use crate::error::Problem;

/// Problems a list can answer with.
#[derive(IntoResponses)]
pub enum ListProblems {
    /// Unknown or malformed query parameter.
    #[response(
        status = 400,
        description = "Unknown filter or sort key, malformed value, out-of-range limit or foreign cursor (`invalid_query`)",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    /// No valid credential.
    #[response(
        status = 401,
        description = "Missing, invalid, expired or revoked credential (`unauthenticated`, `invalid_token`)",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    /// Role or key scope does not allow it.
    #[response(
        status = 403,
        description = "The caller's role or API-key scope does not allow this (`forbidden`)",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    /// Unexpected failure.
    #[response(
        status = 500,
        description = "Unexpected failure (`internal_error`), logged with the request id",
        content_type = "application/problem+json"
    )]
    Internal(Problem),
    /// Database unreachable.
    #[response(
        status = 503,
        description = "Database not reachable (`unavailable`)",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

/// Problems a read of one record can answer with.
#[derive(IntoResponses)]
pub enum GetProblems {
    /// No such record (or outside the caller's scope).
    #[response(
        status = 404,
        description = "No such record, or not visible to the caller (`not_found`)",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    /// No valid credential.
    #[response(
        status = 401,
        description = "Missing, invalid, expired or revoked credential (`unauthenticated`, `invalid_token`)",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    /// Role or key scope does not allow it.
    #[response(
        status = 403,
        description = "The caller's role or API-key scope does not allow this (`forbidden`)",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    /// Unexpected failure.
    #[response(
        status = 500,
        description = "Unexpected failure (`internal_error`)",
        content_type = "application/problem+json"
    )]
    Internal(Problem),
    /// Database unreachable.
    #[response(
        status = 503,
        description = "Database not reachable (`unavailable`)",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

/// Problems a create can answer with.
#[derive(IntoResponses)]
pub enum CreateProblems {
    /// Unparseable body.
    #[response(
        status = 400,
        description = "Malformed JSON (`malformed_json`), wrong type, unknown or missing field (`invalid_body`), bad header (`invalid_header`)",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    /// Duplicate.
    #[response(
        status = 409,
        description = "A request with the same Idempotency-Key is in flight (`idempotency_key_in_flight`)",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
    /// Too large.
    #[response(
        status = 413,
        description = "Body over the size limit (`payload_too_large`)",
        content_type = "application/problem+json"
    )]
    TooLarge(Problem),
    /// Not JSON.
    #[response(
        status = 415,
        description = "Body is not application/json (`unsupported_media_type`)",
        content_type = "application/problem+json"
    )]
    MediaType(Problem),
    /// Rule broken.
    #[response(
        status = 422,
        description = "A field breaks a rule (`validation_failed`), a unique value is taken (`duplicate`), or the Idempotency-Key was used for another request (`idempotency_key_reused`)",
        content_type = "application/problem+json"
    )]
    Unprocessable(Problem),
    /// No valid credential.
    #[response(
        status = 401,
        description = "Missing, invalid, expired or revoked credential (`unauthenticated`, `invalid_token`)",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    /// Role or key scope does not allow it.
    #[response(
        status = 403,
        description = "The caller's role or API-key scope does not allow this (`forbidden`)",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    /// Unexpected failure.
    #[response(
        status = 500,
        description = "Unexpected failure (`internal_error`)",
        content_type = "application/problem+json"
    )]
    Internal(Problem),
    /// Database unreachable.
    #[response(
        status = 503,
        description = "Database not reachable (`unavailable`)",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

/// Problems an update can answer with.
#[derive(IntoResponses)]
pub enum UpdateProblems {
    /// Unparseable body or header.
    #[response(
        status = 400,
        description = "Malformed JSON, wrong type, unknown field (`invalid_body`), or an unusable If-Match (`invalid_header`)",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    /// No such record.
    #[response(status = 404, description = "No such record (`not_found`)", content_type = "application/problem+json")]
    NotFound(Problem),
    /// Conflict.
    #[response(
        status = 409,
        description = "The change would break a reference (`still_referenced`)",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
    /// Stale version.
    #[response(
        status = 412,
        description = "The record changed since it was read (`stale_version`)",
        content_type = "application/problem+json"
    )]
    Stale(Problem),
    /// Too large.
    #[response(
        status = 413,
        description = "Body over the size limit (`payload_too_large`)",
        content_type = "application/problem+json"
    )]
    TooLarge(Problem),
    /// Not JSON.
    #[response(
        status = 415,
        description = "Body is not application/json (`unsupported_media_type`)",
        content_type = "application/problem+json"
    )]
    MediaType(Problem),
    /// Rule broken.
    #[response(
        status = 422,
        description = "A field breaks a rule (`validation_failed`) or a unique value is taken (`duplicate`)",
        content_type = "application/problem+json"
    )]
    Unprocessable(Problem),
    /// No version given.
    #[response(
        status = 428,
        description = "Neither If-Match nor `version` was sent (`precondition_required`)",
        content_type = "application/problem+json"
    )]
    PreconditionRequired(Problem),
    /// No valid credential.
    #[response(
        status = 401,
        description = "Missing, invalid, expired or revoked credential (`unauthenticated`, `invalid_token`)",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    /// Role or key scope does not allow it.
    #[response(
        status = 403,
        description = "The caller's role or API-key scope does not allow this (`forbidden`)",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    /// Unexpected failure.
    #[response(
        status = 500,
        description = "Unexpected failure (`internal_error`)",
        content_type = "application/problem+json"
    )]
    Internal(Problem),
    /// Database unreachable.
    #[response(
        status = 503,
        description = "Database not reachable (`unavailable`)",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

/// Problems a delete can answer with.
#[derive(IntoResponses)]
pub enum DeleteProblems {
    /// Bad header.
    #[response(
        status = 400,
        description = "An unusable If-Match (`invalid_header`)",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    /// No such record.
    #[response(status = 404, description = "No such record (`not_found`)", content_type = "application/problem+json")]
    NotFound(Problem),
    /// Stale version.
    #[response(
        status = 412,
        description = "If-Match names an old version (`stale_version`)",
        content_type = "application/problem+json"
    )]
    Stale(Problem),
    /// No valid credential.
    #[response(
        status = 401,
        description = "Missing, invalid, expired or revoked credential (`unauthenticated`, `invalid_token`)",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    /// Role or key scope does not allow it.
    #[response(
        status = 403,
        description = "The caller's role or API-key scope does not allow this (`forbidden`)",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    /// Unexpected failure.
    #[response(
        status = 500,
        description = "Unexpected failure (`internal_error`)",
        content_type = "application/problem+json"
    )]
    Internal(Problem),
    /// Database unreachable.
    #[response(
        status = 503,
        description = "Database not reachable (`unavailable`)",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

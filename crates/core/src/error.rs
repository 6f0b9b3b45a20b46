//! The one error type every domain crate returns.
//!
//! It knows nothing of HTTP: the server maps each variant to a status and a
//! problem+json body in exactly one place (`rapport-server`'s `error.rs`).

use serde::Serialize;

/// A result whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem with one input field, as reported to the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Path of the offending field in the request, e.g. `working_hours[2].end`
    /// or a query parameter's name.
    #[schema(example = "name")]
    pub field: String,
    /// Stable snake_case code of the rule that failed, e.g. `required`, `too_long`.
    #[schema(example = "required")]
    pub code: String,
    /// Human-readable explanation.
    #[schema(example = "name must not be blank")]
    pub message: String,
}

impl FieldError {
    /// A field error with the given path, code and message.
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self { field: field.into(), code: code.to_owned(), message: message.into() }
    }
}

/// Everything that can go wrong inside the domain and storage layers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The record does not exist, or lies outside the caller's scope (the two are
    /// deliberately indistinguishable).
    #[error("{entity} not found")]
    NotFound {
        /// What was looked for, e.g. `division`.
        entity: &'static str,
    },
    /// The input breaks one or more rules; nothing was written.
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldError>),
    /// A query parameter is unknown or malformed (filters, `sort`, `limit`,
    /// `cursor`); answered 400, never silently ignored.
    #[error("invalid query: {0:?}")]
    InvalidQuery(Vec<FieldError>),
    /// A unique value (code, name, external id…) is already taken; each
    /// field error names one clashing field. Answered 422 `duplicate`.
    #[error("duplicate: {0:?}")]
    Duplicate(Vec<FieldError>),
    /// The input is well-formed but conflicts with stored state (a duplicate
    /// unique key, a record still referenced, ...).
    #[error("{message}")]
    Conflict {
        /// Stable snake_case code, e.g. `duplicate`.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
    },
    /// The thing existed but can no longer be used (an expired survey
    /// link). Answered 410.
    #[error("{message}")]
    Gone {
        /// Stable snake_case code, e.g. `survey_expired`.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
    },
    /// An update named a version that is no longer current.
    #[error("stale version: the record is now at version {current}")]
    StaleVersion {
        /// The version the record is at now.
        current: i64,
    },
    /// No valid credentials: missing, malformed, expired or revoked token or
    /// key, or a refused sign-in. Answered 401.
    #[error("unauthenticated: {message}")]
    Unauthenticated {
        /// Stable snake_case code, e.g. `invalid_token`.
        code: &'static str,
        /// Human-readable explanation (never says which part of a sign-in was wrong).
        message: String,
    },
    /// The caller may not perform this action at all.
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts; retry after the given number of seconds.
    #[error("rate limited")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// The database failed in a way the caller cannot fix.
    #[error("database error")]
    Db(#[source] diesel::result::Error),
    /// No database connection could be had in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A bug or an impossible state; details are logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A single-field validation error.
    pub fn invalid(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }
}

impl From<diesel::result::Error> for Error {
    /// Classify by error *kind*: SQLite reports no constraint names, so the
    /// caller adds context (which field was a duplicate) where it knows it.
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as Kind, Error as D};
        match err {
            D::NotFound => Self::NotFound { entity: "record" },
            D::DatabaseError(Kind::UniqueViolation, info) => Self::Conflict {
                code: "duplicate",
                message: format!("a record with the same unique value exists ({})", info.message()),
            },
            D::DatabaseError(Kind::ForeignKeyViolation, info) => Self::Conflict {
                code: "still_referenced",
                message: format!("the change would break a reference ({})", info.message()),
            },
            other => Self::Db(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(err.to_string())
    }
}

/// Collects field errors while validating an input, then turns them into one
/// [`Error::Validation`] so the caller sees every problem at once.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one problem.
    pub fn push(&mut self, field: impl Into<String>, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    /// `Ok(value)` when nothing was recorded, else the validation error.
    pub fn into_result<T>(self, value: T) -> Result<T> {
        if self.0.is_empty() { Ok(value) } else { Err(Error::Validation(self.0)) }
    }

    /// `Ok(())` when nothing was recorded, else [`Error::Duplicate`] with them.
    pub fn into_duplicate_result(self) -> Result<()> {
        if self.0.is_empty() { Ok(()) } else { Err(Error::Duplicate(self.0)) }
    }

    /// Whether nothing was recorded yet.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

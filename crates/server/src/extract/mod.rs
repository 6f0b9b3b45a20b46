//! Extractors: turn requests into typed inputs, answering problem+json
//! (never actix's plain-text errors) when they cannot.

mod body;
mod caller;
mod field_filters;
mod intake_key;
mod precondition;
mod query;

pub use body::ApiJson;
pub(crate) use body::field_error;
pub use caller::{Caller, Visitor, bearer, client_addr};
pub use field_filters::WithFieldFilters;
pub use intake_key::{INTAKE_KEY_HEADER, IntakeCaller};
pub use precondition::{IfMatch, etag, expected_version};
pub use query::ApiQuery;

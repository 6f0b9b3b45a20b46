//! `ApiQuery<T>`: query parameters parsed with one strict grammar.

use std::collections::HashSet;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use rapport_core::{Error, FieldError};
use serde::de::DeserializeOwned;

use super::body::field_error;
use crate::error::ApiError;

/// Query parameters of type `T` (which must `deny_unknown_fields`).
///
/// An unknown parameter, a repeated parameter or a malformed value is a 400
/// `invalid_query` naming the parameter: nothing is silently ignored.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(ApiQuery))
    }
}

/// Parses a raw query string as `T`.
pub fn parse_query<T: DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    let mut seen = HashSet::new();
    for (key, _) in form_urlencoded::parse(raw.as_bytes()) {
        if !seen.insert(key.clone()) {
            return Err(invalid(FieldError::new(
                key.as_ref(),
                "repeated_parameter",
                format!("`{key}` is given more than once"),
            )));
        }
    }
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let mut e = field_error(&path, &err.into_inner().to_string());
        if e.code == "unknown_field" {
            e.code = "unknown_parameter".to_owned();
        } else if e.code == "invalid_type" {
            e.code = "invalid_value".to_owned();
            e.message = format!("`{}`: {}", e.field, e.message);
        }
        invalid(e)
    })
}

fn invalid(error: FieldError) -> ApiError {
    ApiError::Domain(Error::InvalidQuery(vec![error]))
}

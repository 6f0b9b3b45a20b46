//! `WithFieldFilters<T>`: list parameters of type `T` plus custom-field
//! filters written `cf.<key>=<value>`.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use super::query::parse_query;
use crate::error::ApiError;

/// The prefix of custom-field filter parameters.
const PREFIX: &str = "cf.";

/// Query parameters `T` (as strict as [`super::ApiQuery`]) and the
/// `cf.<key>=<value>` pairs, which the domain checks against the field
/// definitions (an unknown key is a 400 there).
#[derive(Debug)]
pub struct WithFieldFilters<T> {
    /// The ordinary parameters.
    pub query: T,
    /// `(key, value)` of every `cf.<key>` parameter, in order.
    pub fields: Vec<(String, String)>,
}

impl<T: DeserializeOwned> FromRequest for WithFieldFilters<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let mut rest = form_urlencoded::Serializer::new(String::new());
        let mut fields = Vec::new();
        for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
            match key.strip_prefix(PREFIX) {
                Some(field) => fields.push((field.to_owned(), value.into_owned())),
                None => {
                    rest.append_pair(&key, &value);
                }
            }
        }
        let rest = rest.finish();
        // Repeats among cf. parameters are refused like any other repeat.
        let repeated = fields.iter().enumerate().find(|(i, (k, _))| fields[..*i].iter().any(|(o, _)| o == k));
        if let Some((_, (key, _))) = repeated {
            let error = rapport_core::FieldError::new(
                format!("{PREFIX}{key}"),
                "repeated_parameter",
                format!("`{PREFIX}{key}` is given more than once"),
            );
            return ready(Err(ApiError::from(rapport_core::Error::InvalidQuery(vec![error]))));
        }
        ready(parse_query(&rest).map(|query| WithFieldFilters { query, fields }))
    }
}

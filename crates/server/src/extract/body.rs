//! `ApiJson<T>`: a JSON body parsed strictly, with the failing field named.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt as _;
use futures_util::future::LocalBoxFuture;
use rapport_core::FieldError;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// A JSON request body of type `T`.
///
/// Refuses a non-JSON content type (415), a body over the configured limit
/// (413), malformed JSON (400 `malformed_json`) and JSON of the wrong shape
/// (400 `invalid_body`, naming the field by its path).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<web::Data<AppState>>().map_or(1 << 20, |s| s.config.max_body_bytes);
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
            });
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType);
            }
            if declared_length.is_some_and(|n| n > limit) {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| ApiError::MalformedJson(e.to_string()))?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(ApiJson)
        })
    }
}

/// Parses `body` as `T`, naming the failing field.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => ApiError::InvalidBody(vec![field_error(&path, &inner.to_string())]),
            _ => ApiError::MalformedJson(inner.to_string()),
        }
    })?;
    deserializer.end().map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    Ok(value)
}

/// Builds a field error from serde's message. Unknown, missing and duplicate
/// fields are named in the message itself; the path points at their parent.
pub(crate) fn field_error(path: &str, message: &str) -> FieldError {
    let message = message.split(" at line ").next().unwrap_or(message).to_owned();
    let named = message.split('`').nth(1).map(str::to_owned);
    let join = |name: &str| {
        if path == "." || path.is_empty() {
            name.to_owned()
        } else if path == name || path.ends_with(&format!(".{name}")) {
            path.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let (field, code) = if message.starts_with("unknown field") {
        (join(&named.unwrap_or_default()), "unknown_field")
    } else if message.starts_with("missing field") {
        (join(&named.unwrap_or_default()), "required")
    } else if message.starts_with("duplicate field") {
        (join(&named.unwrap_or_default()), "duplicate_field")
    } else if message.starts_with("unknown variant") {
        (path.to_owned(), "unknown_value")
    } else {
        (path.to_owned(), "invalid_type")
    };
    FieldError { field, code: code.to_owned(), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only parsed")]
    struct Sample {
        name: String,
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[expect(dead_code, reason = "only parsed")]
    struct Item {
        count: u32,
    }

    fn errors(body: &str) -> Vec<FieldError> {
        match parse_json::<Sample>(body.as_bytes()) {
            Err(ApiError::InvalidBody(errors)) => errors,
            other => panic!("expected invalid body, got {other:?}"),
        }
    }

    #[test]
    fn names_the_failing_field() {
        let e = errors(r#"{"name": "x", "items": [{"count": "three"}]}"#);
        assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("items[0].count", "invalid_type"));
        let e = errors(r#"{"name": "x", "items": [], "colour": 1}"#);
        assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("colour", "unknown_field"));
        let e = errors(r#"{"items": []}"#);
        assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("name", "required"));
        let e = errors(r#"{"name": "x", "name": "y", "items": []}"#);
        assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("name", "duplicate_field"));
    }

    #[test]
    fn malformed_json_and_trailing_data_are_refused() {
        assert!(matches!(parse_json::<Sample>(b"{\"name\": "), Err(ApiError::MalformedJson(_))));
        assert!(matches!(parse_json::<Sample>(br#"{"name": "x", "items": []} {}"#), Err(ApiError::MalformedJson(_))));
    }
}

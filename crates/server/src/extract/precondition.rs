//! Optimistic concurrency: the version a write expects, from `If-Match` or
//! the body's `version`.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};

use crate::error::ApiError;

/// The version named by an `If-Match: "<version>"` header, if any.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i64>);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse(req.headers().get(header::IF_MATCH)).map(IfMatch))
    }
}

fn parse(value: Option<&header::HeaderValue>) -> Result<Option<i64>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    let bad = || ApiError::InvalidHeader {
        name: "If-Match",
        message: "expected the ETag of the record, e.g. \"3\"".to_owned(),
    };
    let raw = value.to_str().map_err(|_| bad())?.trim();
    let raw = raw.strip_prefix("W/").unwrap_or(raw);
    let raw = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')).ok_or_else(bad)?;
    raw.parse::<i64>().map(Some).map_err(|_| bad())
}

/// The version an update must match: `If-Match` or the body's `version`
/// (they must agree when both are sent). Updates without either are refused
/// with 428, so no write silently overwrites a change the caller never saw.
pub fn expected_version(if_match: IfMatch, body_version: Option<i64>) -> Result<i64, ApiError> {
    match (if_match.0, body_version) {
        (Some(a), Some(b)) if a != b => Err(ApiError::InvalidHeader {
            name: "If-Match",
            message: format!("If-Match names version {a} but the body names version {b}"),
        }),
        (Some(v), _) | (None, Some(v)) => Ok(v),
        (None, None) => Err(ApiError::PreconditionRequired),
    }
}

/// The `ETag` value for a version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strong_and_weak_etags() {
        let v = |s: &'static str| parse(Some(&header::HeaderValue::from_static(s))).ok().flatten();
        assert_eq!(v("\"3\""), Some(3));
        assert_eq!(v("W/\"12\""), Some(12));
        assert!(parse(Some(&header::HeaderValue::from_static("3"))).is_err());
        assert!(parse(Some(&header::HeaderValue::from_static("\"x\""))).is_err());
    }

    #[test]
    fn header_and_body_versions_must_agree() {
        assert!(expected_version(IfMatch(Some(2)), Some(3)).is_err());
        assert!(matches!(expected_version(IfMatch(None), None), Err(ApiError::PreconditionRequired)));
        assert_eq!(expected_version(IfMatch(None), Some(4)).ok(), Some(4));
    }
}

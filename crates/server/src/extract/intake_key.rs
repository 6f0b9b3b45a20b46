//! `IntakeCaller`: the intake source whose key a request carries, counted
//! against the source's rate limit.
//!
//! The key is read from `X-Intake-Key`, or else from `Authorization: Bearer`
//! when the credential has an intake key's shape (`rik_…`). Missing: 401
//! `unauthenticated`; unknown, rotated or of an inactive source: 401
//! `invalid_intake_key`; over the limit: 429 `rate_limited` with
//! `Retry-After`. All before the body is read.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use rapport_core::Error;
use rapport_core::audit::{Actor, WriteContext};
use rapport_leads::intake::{self, IntakeSource, key, rate};

use super::{bearer, client_addr};
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

/// The header that carries an intake key.
pub const INTAKE_KEY_HEADER: &str = "x-intake-key";

/// An authenticated intake source and the write context of its request
/// (actor: the source, recorded with kind `api_key` and the source's id).
#[derive(Debug, Clone)]
pub struct IntakeCaller {
    /// The source.
    pub source: IntakeSource,
    /// For audit entries and change events.
    pub ctx: WriteContext,
}

/// The intake key a request presents: `Ok(None)` when it presents none.
fn presented(req: &HttpRequest) -> Result<Option<String>, Error> {
    if let Some(value) = req.headers().get(INTAKE_KEY_HEADER) {
        let value = value.to_str().map(str::trim).unwrap_or_default();
        return Ok(Some(value.to_owned()).filter(|v| !v.is_empty()));
    }
    match bearer(req) {
        Some(credential) if key::looks_like_key(&credential) => Ok(Some(credential)),
        Some(_) => Err(Error::Unauthenticated {
            code: "invalid_intake_key",
            message: "this endpoint takes an intake key (X-Intake-Key), not an access token or API key".to_owned(),
        }),
        None => Ok(None),
    }
}

impl FromRequest for IntakeCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let presented = presented(req);
        let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
        let client_addr = Some(client_addr(req));
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal("no application state".to_owned()))?;
            let presented = presented?.ok_or_else(|| Error::Unauthenticated {
                code: "unauthenticated",
                message: "send the intake source's key as X-Intake-Key".to_owned(),
            })?;
            // The count commits on its own, so refused and failing requests
            // count against the limit too.
            let source = state
                .write(move |conn| {
                    let source = intake::authenticate(conn, &presented)?;
                    rate::take(conn, &source.id, source.rate_limit_per_minute)?;
                    Ok(source)
                })
                .await?;
            let ctx = WriteContext { actor: Actor::ApiKey(source.id.clone()), request_id, client_addr };
            Ok(IntakeCaller { source, ctx })
        })
    }
}

//! `Ctx`: who is writing, and under which request id.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use rapport_core::audit::{Actor, WriteContext};

use crate::error::ApiError;
use crate::middleware::RequestId;

/// The write context of this request, for audit entries and change events.
#[derive(Debug, Clone)]
pub struct Ctx(pub WriteContext);

impl FromRequest for Ctx {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
        // Until authentication lands every caller is anonymous.
        ready(Ok(Ctx(WriteContext {
            actor: Actor::Anonymous,
            request_id,
        })))
    }
}

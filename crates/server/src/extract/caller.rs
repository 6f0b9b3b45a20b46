//! `Caller`: the authenticated principal and the write context of a request;
//! `Visitor`: the write context of an unauthenticated request (sign-in).

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use rapport_auth::policy::{self, Operation, Resource};
use rapport_auth::tokens;
use rapport_auth::users::{api_keys, store as users};
use rapport_core::Error;
use rapport_core::audit::{Actor, WriteContext};
use rapport_core::principal::{Credential, Principal, Reach, Scope};

use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

/// An authenticated caller. Extracting it answers 401 when the request has
/// no valid credential.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who is calling.
    pub principal: Principal,
    /// For audit entries and change events.
    pub ctx: WriteContext,
}

impl Caller {
    /// The scope the caller has for `operation` on `resource`, or 403.
    pub fn may(&self, resource: Resource, operation: Operation) -> Result<Scope, ApiError> {
        Ok(policy::authorize(&self.principal, resource, operation)?)
    }

    /// What the caller may reach for `operation` on `resource`, or 403.
    pub fn reach(&self, resource: Resource, operation: Operation) -> Result<Reach, ApiError> {
        Ok(Reach::new(&self.principal, self.may(resource, operation)?))
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let credential = bearer(req);
        let mut ctx = anonymous_context(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal("no application state".to_owned()))?;
            let credential = credential.ok_or_else(|| {
                ApiError::from(Error::Unauthenticated {
                    code: "unauthenticated",
                    message: "send Authorization: Bearer <access token or API key>".to_owned(),
                })
            })?;
            let principal = authenticate(&state, credential).await?;
            ctx.actor = match &principal.credential {
                Credential::AccessToken => Actor::User(principal.user_id.clone()),
                Credential::ApiKey { key_id, .. } => Actor::ApiKey(key_id.clone()),
            };
            Ok(Caller { principal, ctx })
        })
    }
}

/// The write context of an unauthenticated request.
#[derive(Debug, Clone)]
pub struct Visitor(pub WriteContext);

impl FromRequest for Visitor {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Visitor(anonymous_context(req))))
    }
}

/// The client's address: the connection's peer, or, behind a trusted proxy,
/// the first `X-Forwarded-For`/`Forwarded` address.
pub fn client_addr(req: &HttpRequest) -> String {
    let trust_proxy = req.app_data::<web::Data<AppState>>().is_some_and(|s| s.config.trust_proxy);
    if trust_proxy && let Some(addr) = req.connection_info().realip_remote_addr() {
        return addr.to_owned();
    }
    req.peer_addr().map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

fn anonymous_context(req: &HttpRequest) -> WriteContext {
    WriteContext {
        actor: Actor::Anonymous,
        request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
        client_addr: Some(client_addr(req)),
    }
}

/// The bearer credential of a request, if any.
pub fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credential) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !credential.trim().is_empty()).then(|| credential.trim().to_owned())
}

/// Who a credential belongs to: cached for a few seconds, else loaded.
async fn authenticate(state: &AppState, credential: String) -> Result<Principal, ApiError> {
    if api_keys::looks_like_key(&credential) {
        let cache_key = format!("key:{}", tokens::digest(&credential));
        if let Some(principal) = state.principals.get(&cache_key) {
            return Ok(principal);
        }
        let principal = state.write(move |conn| api_keys::authenticate(conn, &credential)).await?;
        state.principals.put(cache_key, principal.clone());
        return Ok(principal);
    }
    let claims = state.keys.verify(&credential)?;
    let cache_key = format!("user:{}", claims.sub);
    if let Some(principal) = state.principals.get(&cache_key) {
        return Ok(principal);
    }
    let subject = claims.sub.clone();
    let principal = state.read(move |conn| users::load_principal(conn, &subject)).await?.ok_or_else(|| {
        ApiError::from(Error::Unauthenticated {
            code: "invalid_token",
            message: "the account is deactivated or no longer exists".to_owned(),
        })
    })?;
    state.principals.put(cache_key, principal.clone());
    Ok(principal)
}

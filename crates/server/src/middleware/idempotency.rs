//! `Idempotency-Key` on POST: the first response is stored and replayed to
//! retries with the same key and body; the same key with a different request
//! is refused (422), and a retry while the first is still running gets 409.

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage as _, HttpResponse, ResponseError as _, web};
use futures_util::StreamExt as _;
use rapport_core::idempotency::{self, Claim, RequestFingerprint, StoredResponse};
use sha2::{Digest, Sha256};

use rapport_auth::tokens;
use rapport_auth::users::api_keys;

use crate::error::ApiError;
use crate::extract::bearer;
use crate::state::AppState;

const HEADER: &str = "idempotency-key";
/// Response headers kept with a stored response.
const REPLAYED_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

/// Middleware for the API scope.
pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let key = req.headers().get(HEADER).map(|v| v.to_str().map(str::to_owned));
    let (Method::POST, Some(key)) = (req.method().clone(), key) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    // Keys are per caller. Without a valid credential the request will be
    // refused anyway (or is a sign-in), so nothing is stored.
    let principal = match bearer(req.request()) {
        Some(key) if api_keys::looks_like_key(&key) => Some(format!("key:{}", tokens::digest(&key))),
        Some(token) => state.keys.verify(&token).ok().map(|claims| format!("user:{}", claims.sub)),
        None => None,
    };
    let Some(principal) = principal else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let key = match key {
        Ok(key) if !key.is_empty() && key.len() <= 255 => key,
        _ => {
            let err =
                ApiError::InvalidHeader { name: "Idempotency-Key", message: "1 to 255 visible characters".into() };
            return Ok(req.into_response(err.error_response()));
        }
    };
    // Read the body once, hash it, and put it back for the handler.
    let limit = state.config.max_body_bytes;
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Ok(req.into_response(ApiError::PayloadTooLarge { limit }.error_response()));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let fingerprint = RequestFingerprint {
        principal,
        key,
        method: req.method().to_string(),
        path: req.uri().path_and_query().map_or_else(|| req.path().to_owned(), ToString::to_string),
        body_hash: hex(&Sha256::digest(&body)),
    };
    req.set_payload(Payload::from(body));

    let claim = {
        let fingerprint = fingerprint.clone();
        state.write(move |conn| idempotency::claim(conn, &fingerprint)).await
    };
    match claim {
        Err(err) => Ok(req.into_response(err.error_response())),
        Ok(Claim::Mismatch) => Ok(req.into_response(ApiError::IdempotencyKeyReused.error_response())),
        Ok(Claim::InFlight) => Ok(req.into_response(ApiError::IdempotencyKeyInFlight.error_response())),
        Ok(Claim::Replay(stored)) => Ok(req.into_response(replay(&stored))),
        Ok(Claim::Fresh) => {
            let res = next.call(req).await?;
            let (req, res) = res.into_parts();
            let status = res.status();
            let headers: serde_json::Map<String, serde_json::Value> = REPLAYED_HEADERS
                .iter()
                .filter_map(|name| {
                    let value = res.headers().get(name)?.to_str().ok()?;
                    Some((name.to_string(), serde_json::Value::from(value)))
                })
                .collect();
            let (res, body) = res.into_parts();
            let bytes = to_bytes(body).await.map_err(|e| ApiError::Internal(e.into().to_string()))?;
            let (principal, key) = (fingerprint.principal, fingerprint.key);
            let outcome = if status.is_server_error() {
                state.write(move |conn| idempotency::release(conn, &principal, &key)).await
            } else {
                let stored = StoredResponse {
                    status: status.as_u16(),
                    headers: serde_json::Value::Object(headers).to_string(),
                    body: bytes.to_vec(),
                };
                state.write(move |conn| idempotency::complete(conn, &principal, &key, &stored)).await
            };
            if let Err(err) = outcome {
                tracing::error!(error = %err, "could not store the idempotent response");
            }
            Ok(ServiceResponse::new(req, res.set_body(BoxBody::new(bytes))))
        }
    }
}

fn replay(stored: &StoredResponse) -> HttpResponse {
    let mut response = HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK));
    if let Ok(serde_json::Value::Object(headers)) = serde_json::from_str::<serde_json::Value>(&stored.headers) {
        for (name, value) in headers {
            if let (Ok(name), Some(Ok(value))) = (HeaderName::try_from(name), value.as_str().map(HeaderValue::from_str))
            {
                response.insert_header((name, value));
            }
        }
    }
    response.insert_header(("Idempotent-Replayed", "true"));
    response.body(stored.body.clone())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

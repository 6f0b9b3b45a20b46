//! Request-wide behaviour: request ids and access logs, idempotent retries,
//! security headers.

mod idempotency;
mod request_id;

pub use idempotency::idempotency;
pub use request_id::{RequestId, request_id};

use actix_web::middleware::DefaultHeaders;

/// Headers sent with every response. The API serves JSON only; `/docs`
/// needs scripts and styles of its own origin.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"))
        .add((
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
             script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        ))
}

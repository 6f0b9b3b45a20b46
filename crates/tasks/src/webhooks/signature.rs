//! Signing deliveries and verifying them on the receiving side.
//!
//! A delivery carries three headers: `Rapport-Webhook-Id` (the delivery id,
//! the same on every retry: receivers dedupe on it),
//! `Rapport-Webhook-Timestamp` (unix seconds of this attempt) and
//! `Rapport-Webhook-Signature: v1=<hex>` where `<hex>` is
//! HMAC-SHA256(secret, `"{id}.{timestamp}.{body}"`). During a secret
//! rotation's grace period the header holds two space-separated `v1=`
//! values, one per secret; a receiver accepts the delivery when any of them
//! matches its secret.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The delivery id header.
pub const ID_HEADER: &str = "Rapport-Webhook-Id";
/// The attempt's unix-seconds timestamp header.
pub const TIMESTAMP_HEADER: &str = "Rapport-Webhook-Timestamp";
/// The signature header.
pub const SIGNATURE_HEADER: &str = "Rapport-Webhook-Signature";
/// How old (or how far in the future) a timestamp [`verify`] accepts by default.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed first), so the
    // error branch cannot be reached; it exists only because the trait is
    // shared with fixed-key MACs.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default()));
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(raw: &str) -> Option<Vec<u8>> {
    if raw.len() % 2 != 0 {
        return None;
    }
    (0..raw.len()).step_by(2).map(|i| raw.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok())).collect()
}

/// `v1=<hex HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    format!("v1={}", hex(&mac(secret, id, timestamp, body).finalize().into_bytes()))
}

/// The signature header's value: one `v1=` per secret, space-separated.
pub fn signature_header(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets.iter().map(|secret| sign(secret, id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

/// Why [`verify`] refused a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    /// The timestamp header is not a number of seconds.
    BadTimestamp,
    /// The timestamp is further from `now` than the tolerance: an old
    /// delivery replayed, or a badly wrong clock.
    TooOld,
    /// No `v1=` value matches the secret.
    BadSignature,
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VerifyError::BadTimestamp => "the timestamp is not unix seconds",
            VerifyError::TooOld => "the timestamp is outside the tolerance",
            VerifyError::BadSignature => "no signature matches the secret",
        })
    }
}

impl std::error::Error for VerifyError {}

/// Checks a delivery as a receiver should: `id`, `timestamp` and
/// `signature` are the three headers' values, `body` the raw request body,
/// `now` the receiver's unix time in seconds and `tolerance_secs` how far
/// apart the two may be ([`DEFAULT_TOLERANCE_SECS`]). The comparison takes
/// the same time wherever the signatures differ.
pub fn verify(
    secret: &str,
    id: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let timestamp: i64 = timestamp.trim().parse().map_err(|_| VerifyError::BadTimestamp)?;
    if (now - timestamp).abs() > tolerance_secs {
        return Err(VerifyError::TooOld);
    }
    let expected = mac(secret, id, timestamp, body);
    let matches = signature
        .split_whitespace()
        .filter_map(|part| part.strip_prefix("v1="))
        .filter_map(unhex)
        .any(|candidate| expected.clone().verify_slice(&candidate).is_ok());
    if matches { Ok(()) } else { Err(VerifyError::BadSignature) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_secret_only_and_only_while_fresh() {
        let body = br#"{"id":"e1","type":"lead.created"}"#;
        let header = sign("whsec_a", "d1", 1_700_000_000, body);
        assert!(header.starts_with("v1=") && header.len() == 3 + 64);
        assert_eq!(verify("whsec_a", "d1", "1700000000", &header, body, 1_700_000_100, 300), Ok(()));
        assert_eq!(
            verify("whsec_b", "d1", "1700000000", &header, body, 1_700_000_100, 300),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify("whsec_a", "d2", "1700000000", &header, body, 1_700_000_100, 300),
            Err(VerifyError::BadSignature),
            "the id is signed"
        );
        assert_eq!(
            verify("whsec_a", "d1", "1700000000", &header, b"{}", 1_700_000_100, 300),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(verify("whsec_a", "d1", "1700000000", &header, body, 1_700_000_301, 300), Err(VerifyError::TooOld));
        assert_eq!(verify("whsec_a", "d1", "soon", &header, body, 0, 300), Err(VerifyError::BadTimestamp));
    }

    #[test]
    fn during_a_rotation_either_secret_verifies() {
        let header = signature_header(&["new", "old"], "d1", 10, b"x");
        assert_eq!(header.split(' ').count(), 2);
        assert_eq!(verify("old", "d1", "10", &header, b"x", 10, 300), Ok(()));
        assert_eq!(verify("new", "d1", "10", &header, b"x", 10, 300), Ok(()));
        assert_eq!(verify("other", "d1", "10", &header, b"x", 10, 300), Err(VerifyError::BadSignature));
    }
}

//! Access tokens (JWT, HS256) and opaque secrets (refresh tokens, API keys).
//!
//! The algorithm is pinned: a token whose header names any other algorithm
//! (including `none`) is refused before its signature is looked at. An
//! access token carries only who the caller is; what they may do is loaded
//! from the database (see the server's principal cache), so a role change or
//! deactivation takes effect without waiting for the token to expire.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rapport_core::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Issuer and audience written into and required of every access token.
pub const ISSUER: &str = "rapport";
/// See [`ISSUER`].
pub const AUDIENCE: &str = "rapport-api";

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Token id.
    pub jti: String,
}

/// Signs and verifies access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Lifetime of an access token.
    pub access_ttl: Duration,
    /// Lifetime of a refresh token.
    pub refresh_ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys").field("access_ttl", &self.access_ttl).finish_non_exhaustive()
    }
}

/// Shortest accepted signing secret, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

impl TokenKeys {
    /// Keys from a shared secret of at least [`MIN_SECRET_BYTES`] bytes.
    pub fn new(secret: &[u8], access_ttl: Duration, refresh_ttl: Duration) -> Result<Self> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(Error::invalid(
                "jwt_secret",
                "too_short",
                format!("the token signing secret must be at least {MIN_SECRET_BYTES} bytes"),
            ));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 30;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
            refresh_ttl,
        })
    }

    /// A new access token for `user_id`, and when it expires.
    pub fn issue(&self, user_id: &str, now: DateTime<Utc>) -> Result<(String, DateTime<Utc>)> {
        let expires = now + self.access_ttl;
        let claims = Claims {
            sub: user_id.to_owned(),
            iat: now.timestamp(),
            exp: expires.timestamp(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            jti: uuid::Uuid::now_v7().to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map(|token| (token, expires))
            .map_err(|e| Error::Internal(format!("token signing failed: {e}")))
    }

    /// The claims of a valid token; any defect is [`Error::Unauthenticated`].
    pub fn verify(&self, token: &str) -> Result<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            let message = match e.kind() {
                ErrorKind::ExpiredSignature => "the access token has expired; refresh it",
                _ => "the access token is not valid",
            };
            Error::Unauthenticated { code: "invalid_token", message: message.to_owned() }
        })
    }
}

/// A random secret: `prefix` + 32 random bytes in URL-safe base64.
pub fn random_secret(prefix: &str) -> String {
    let mut bytes = [0_u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// SHA-256 of a high-entropy secret, hex. Secrets of 256 random bits need no
/// slow hash: nobody can guess them from the digest.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two digests in time independent of where they differ.
pub fn digests_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&[7_u8; 32], Duration::minutes(15), Duration::days(30)).expect("keys")
    }

    #[test]
    fn signs_and_verifies() -> Result<()> {
        let (token, _) = keys().issue("user-1", Utc::now())?;
        assert_eq!(keys().verify(&token)?.sub, "user-1");
        Ok(())
    }

    #[test]
    fn refuses_expired_forged_and_unsigned_tokens() -> Result<()> {
        let (expired, _) = keys().issue("u", Utc::now() - Duration::hours(1))?;
        assert!(keys().verify(&expired).is_err());
        let other = TokenKeys::new(&[8_u8; 32], Duration::minutes(15), Duration::days(30))?;
        let (forged, _) = other.issue("u", Utc::now())?;
        assert!(keys().verify(&forged).is_err());
        let (good, _) = keys().issue("u", Utc::now())?;
        let payload = good.split('.').nth(1).unwrap_or_default();
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(keys().verify(&format!("{none_header}.{payload}.")).is_err());
        assert!(TokenKeys::new(b"short", Duration::minutes(1), Duration::days(1)).is_err());
        Ok(())
    }

    #[test]
    fn digests_compare() {
        assert!(digests_equal(&digest("a"), &digest("a")));
        assert!(!digests_equal(&digest("a"), &digest("b")));
        assert!(random_secret("rrt_").starts_with("rrt_"));
    }
}

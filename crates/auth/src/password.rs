//! Password hashing and the password policy.
//!
//! argon2id with m = 19 MiB, t = 2, p = 1 (the OWASP baseline; ≈ 25 ms per
//! hash on one core in a release build). Hashes are PHC strings, so the
//! parameters can be raised later and old hashes still verify.

use std::sync::{Condvar, Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rapport_core::{Error, Problems, Result};

/// Shortest accepted password.
pub const MIN_LENGTH: usize = 12;
/// Longest accepted password (hashing cost grows with length).
pub const MAX_LENGTH: usize = 128;

/// Common passwords and every demo password: refused by the policy.
const DENIED: &str = include_str!("denied-passwords.txt");

/// Hashes allowed to run at once. Each takes 19 MiB and a core for ~25 ms;
/// bounding them keeps memory flat and leaves cores for other requests
/// during a burst of sign-ins (sign-ins queue instead).
const MAX_CONCURRENT_HASHES: usize = 2;

struct HashPermits {
    in_use: Mutex<usize>,
    freed: Condvar,
}

static PERMITS: HashPermits = HashPermits { in_use: Mutex::new(0), freed: Condvar::new() };

/// Runs `f` once fewer than [`MAX_CONCURRENT_HASHES`] hashes are running.
fn with_permit<T>(f: impl FnOnce() -> T) -> T {
    {
        let mut in_use = PERMITS.in_use.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while *in_use >= MAX_CONCURRENT_HASHES {
            in_use = PERMITS.freed.wait(in_use).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *in_use += 1;
    }
    let result = f();
    let mut in_use = PERMITS.in_use.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    *in_use -= 1;
    PERMITS.freed.notify_one();
    result
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (CPU-heavy: call it off the request workers).
pub fn hash(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    with_permit(|| hasher().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()))
        .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
}

/// Whether `password` matches `stored`. With no stored hash (unknown email,
/// an account without a password) a dummy hash is checked instead, so every
/// refusal costs the same time.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let stored = stored.unwrap_or_else(|| dummy_hash());
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    with_permit(|| hasher().verify_password(password.as_bytes(), &parsed).is_ok()) && stored != dummy_hash()
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash("no account has this password").unwrap_or_default())
}

/// Checks a new password against the policy: 12 to 128 characters, not a
/// common or demo password, not the email address.
pub fn check_policy(problems: &mut Problems, field: &str, password: &str, email: &str) {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        problems.push(field, "too_short", format!("{field} must be at least {MIN_LENGTH} characters"));
    } else if length > MAX_LENGTH {
        problems.push(field, "too_long", format!("{field} must be at most {MAX_LENGTH} characters"));
    }
    let lowered = password.to_lowercase();
    if DENIED.lines().map(str::trim).any(|denied| !denied.is_empty() && denied == lowered) {
        problems.push(field, "too_common", "this password is on the list of common or demo passwords");
    }
    if !email.is_empty() && lowered.contains(&email.to_lowercase()) {
        problems.push(field, "contains_email", "the password must not contain the email address");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() -> Result<()> {
        let a = hash("correct horse battery staple")?;
        let b = hash("correct horse battery staple")?;
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery staple", Some(&a)));
        assert!(!verify("wrong horse battery staple", Some(&a)));
        assert!(!verify("anything", None));
        assert!(!verify("no account has this password", None));
        Ok(())
    }

    #[test]
    fn policy_refuses_short_common_and_demo_passwords() {
        for (password, code) in [
            ("short", "too_short"),
            ("password1234", "too_common"),
            ("Rapport-Demo-2026!", "too_common"),
            ("ada@example.com-and-more", "contains_email"),
        ] {
            let mut p = Problems::new();
            check_policy(&mut p, "password", password, "ada@example.com");
            match p.into_result(()) {
                Err(Error::Validation(errors)) => assert_eq!(errors[0].code, code, "{password}"),
                other => panic!("{password}: {other:?}"),
            }
        }
        let mut p = Problems::new();
        check_policy(&mut p, "password", "a long and unusual sentence", "ada@example.com");
        assert!(p.is_empty());
    }
}

//! Small parsers shared by every input type: they normalise a value and
//! record a precise field error when it is unusable.

use crate::error::Problems;

/// A required, trimmed, non-blank text of at most `max` characters.
pub fn required_text(problems: &mut Problems, field: &str, value: &str, max: usize) -> String {
    let value = value.trim();
    if value.is_empty() {
        problems.push(field, "required", format!("{field} must not be blank"));
    } else if value.chars().count() > max {
        problems.push(field, "too_long", format!("{field} must be at most {max} characters"));
    }
    value.to_owned()
}

/// An optional trimmed text of at most `max` characters; blank becomes `None`.
pub fn optional_text(problems: &mut Problems, field: &str, value: Option<&str>, max: usize) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    if value.chars().count() > max {
        problems.push(field, "too_long", format!("{field} must be at most {max} characters"));
    }
    Some(value.to_owned())
}

/// A short upper-case code: 2 to 12 of `A-Z`, `0-9`, `-`, `_`, starting with a letter.
/// Lower-case input is accepted and upper-cased.
pub fn code(problems: &mut Problems, field: &str, value: &str) -> String {
    let value = value.trim().to_ascii_uppercase();
    let well_formed = (2..=12).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_uppercase())
        && value.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !well_formed {
        problems.push(
            field,
            "invalid_code",
            format!("{field} must be 2-12 characters of A-Z, 0-9, - or _, starting with a letter"),
        );
    }
    value
}

/// A record id reference: must look like an id.
pub fn id_ref(problems: &mut Problems, field: &str, value: &str) -> String {
    if !crate::ids::is_valid_id(value) {
        problems.push(field, "invalid_id", format!("{field} is not a valid id"));
    }
    value.to_owned()
}

/// An email address, trimmed and lower-cased; recorded as `invalid_email`
/// at `field` unless it looks like `name@example.com`.
pub fn email(problems: &mut Problems, field: &str, raw: &str) -> String {
    let email = raw.trim().to_lowercase();
    let well_formed = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace)
        && email.matches('@').count() == 1;
    if !well_formed {
        problems.push(field, "invalid_email", format!("{field} must be an address like name@example.com"));
    }
    email
}

/// A phone number in E.164 (see [`crate::phone`]); recorded as
/// `invalid_phone` at `field` when it cannot be one.
pub fn phone(problems: &mut Problems, field: &str, raw: &str) -> String {
    match crate::phone::normalize(raw) {
        Some(e164) => e164,
        None => {
            problems.push(
                field,
                "invalid_phone",
                format!("{field} must be a Nigerian number (0803 123 4567) or +<country code>…"),
            );
            raw.trim().to_owned()
        }
    }
}

/// An ISO 3166-1 alpha-2 country code, upper-cased; recorded as
/// `invalid_country` at `country_code` otherwise.
pub fn country_code(problems: &mut Problems, raw: &str) -> String {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() != 2 || !code.chars().all(|c| c.is_ascii_uppercase()) {
        problems.push("country_code", "invalid_country", "country_code must be an ISO 3166-1 alpha-2 code such as NG");
    }
    code
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern and wraps it
/// for a case-insensitive "contains" match on a lower-cased column.
pub fn contains_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_upper_cased_and_checked() {
        let mut p = Problems::new();
        assert_eq!(code(&mut p, "code", " mot "), "MOT");
        assert!(p.is_empty());
        for bad in ["M", "1AB", "TOO-LONG-CODE-X", "A B"] {
            let mut p = Problems::new();
            code(&mut p, "code", bad);
            assert!(!p.is_empty(), "{bad}");
        }
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("50%_Off\\"), "%50\\%\\_off\\\\%");
    }
}

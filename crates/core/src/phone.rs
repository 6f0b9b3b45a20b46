//! Phone numbers normalised to E.164, with Nigeria as the default region.
//!
//! Accepts what people type: `0803 123 4567`, `+234 803 123 4567`,
//! `2348031234567`, with spaces, dashes, dots or brackets. Other countries
//! must be given with `+` and their country code.

/// The E.164 form of `raw`, or `None` when it cannot be a phone number.
pub fn normalize(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let plus = trimmed.starts_with('+');
    let mut digits = String::with_capacity(trimmed.len());
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => {}
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    let e164 = if plus {
        digits
    } else if digits.len() == 11 && digits.starts_with('0') {
        format!("234{}", &digits[1..])
    } else if digits.len() == 13 && digits.starts_with("234") {
        digits
    } else {
        return None;
    };
    let valid = (8..=15).contains(&e164.len())
        && !e164.starts_with('0')
        && (!e164.starts_with("234") || (e164.len() == 13 && !e164[3..].starts_with('0')));
    valid.then(|| format!("+{e164}"))
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn nigerian_forms_people_type() {
        for raw in ["0803 123 4567", "08031234567", "+234 803 123 4567", "2348031234567", "(0803) 123-4567"] {
            assert_eq!(normalize(raw).as_deref(), Some("+2348031234567"), "{raw}");
        }
    }

    #[test]
    fn international_numbers_need_a_plus() {
        assert_eq!(normalize("+44 20 7946 0958").as_deref(), Some("+442079460958"));
        assert_eq!(normalize("442079460958"), None);
    }

    #[test]
    fn refuses_garbage() {
        for raw in ["", "abc", "0803123456", "+234 0803 123 4567", "+12", "0803-123-4567 ext 2", "++2348031234567"] {
            assert_eq!(normalize(raw), None, "{raw}");
        }
    }
}

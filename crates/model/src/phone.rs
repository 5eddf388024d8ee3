//! Phone numbers compared regardless of how they were written.
//!
//! `019 718 0171`, `019-718-0171` and `(019) 7180171` are one number. A number written
//! internationally (`+353 19 718 0171` or `00353 19 718 0171`) keys as `+` and its digits
//! (E.164). A national number keys as its digits alone, unless the tenant names its country
//! calling code: then a leading trunk `0` is replaced by `+<code>`, so national and
//! international spellings of one number match.

/// The comparison key of a phone number, or `None` when it has no digits at all.
pub fn normalize(raw: &str, country_code: Option<&str>) -> Option<String> {
    let trimmed = raw.trim_start();
    let international = trimmed.starts_with('+');
    let mut digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    if international {
        return Some(format!("+{digits}"));
    }
    if let Some(rest) = digits.strip_prefix("00") {
        if !rest.is_empty() {
            return Some(format!("+{rest}"));
        }
    }
    if let Some(cc) =
        country_code.filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
    {
        if let Some(rest) = digits.strip_prefix('0') {
            return Some(format!("+{cc}{rest}"));
        }
        if digits.starts_with(cc) && digits.len() > 10 {
            digits.insert(0, '+');
            return Some(digits);
        }
    }
    Some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formatting_does_not_matter() {
        let a = normalize("019 718 0171", None);
        assert_eq!(a.as_deref(), Some("0197180171"));
        assert_eq!(normalize("0197180171", None), a);
        assert_eq!(normalize("(019) 718-0171", None), a);
        assert_eq!(
            normalize("+353 628 9848", None).as_deref(),
            Some("+3536289848")
        );
        assert_eq!(
            normalize("00353 628 9848", None).as_deref(),
            Some("+3536289848")
        );
        assert_eq!(normalize("ext", None), None);
    }

    #[test]
    fn a_known_country_code_makes_national_numbers_international() {
        assert_eq!(
            normalize("019 718 0171", Some("353")),
            normalize("+353 19 718 0171", Some("353"))
        );
        assert_eq!(
            normalize("019 718 0171", Some("353")).as_deref(),
            Some("+353197180171")
        );
    }

    proptest! {
        #[test]
        fn separators_are_ignored(d in "[0-9]{3,12}", sep in "[ .()-]{0,3}") {
            let spaced: String = d.chars().flat_map(|c| std::iter::once(c).chain(sep.chars())).collect();
            prop_assert_eq!(normalize(&spaced, None), normalize(&d, None));
        }
    }
}

//! The rules of Avaya's parameters and bodies, each failure a [`Violation`] naming the field.

use crate::json::Json;
use crate::problem::Violation;
use interlog_model::Timestamp;

pub const ACCOUNT_PATTERN: &str = "^[a-zA-Z]{6}$";
pub const UUID_PATTERN: &str =
    r"^[0-9a-fA-F]{8}\-[0-9a-fA-F]{4}\-[0-9a-fA-F]{4}\-[0-9a-fA-F]{4}\-[0-9a-fA-F]{12}$";

/// Whether `s` is an AXP account id: six ASCII letters.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Whether `s` is a 36-character UUID in either case (Avaya's `engagementId` pattern).
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

pub fn account_id(s: &str) -> Result<(), Violation> {
    if is_account_id(s) {
        Ok(())
    } else {
        Err(Violation::invalid(
            "accountId",
            format!("must match \"{ACCOUNT_PATTERN}\""),
        ))
    }
}

pub fn uuid_field(field: &str, s: &str) -> Result<(), Violation> {
    if is_uuid(s) {
        Ok(())
    } else {
        Err(Violation::invalid(
            field,
            format!("must match \"{UUID_PATTERN}\""),
        ))
    }
}

/// Characters, as Avaya's `minLength`/`maxLength` count them.
pub fn chars(s: &str) -> usize {
    s.chars().count()
}

pub fn length_message(min: usize, max: usize) -> String {
    if min == max {
        format!("size must be exactly {min}")
    } else {
        format!("size must be between {min} and {max}")
    }
}

/// An RFC 3339 date-time (`Z` or an offset, 0–9 fractional digits).
pub fn parse_date_time(s: &str) -> Option<Timestamp> {
    interlog_model::time::parse_instant(s).ok()
}

/// Collects the violations of one request.
#[derive(Debug, Default)]
pub struct Check {
    pub violations: Vec<Violation>,
}

impl Check {
    pub fn push(&mut self, v: Violation) {
        // A hostile body could name thousands of bad fields; the first fifty say enough.
        if self.violations.len() < 50 {
            self.violations.push(v);
        }
    }

    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }

    /// A required string of `min..=max` characters.
    pub fn string(
        &mut self,
        body: &Json,
        field: &str,
        path: &str,
        min: usize,
        max: usize,
    ) -> Option<String> {
        match body.field(field) {
            None => {
                self.push(Violation::missing(path));
                None
            }
            Some(v) => self.string_value(v, path, min, max),
        }
    }

    /// An optional string of `min..=max` characters (absent or null is fine).
    pub fn optional_string(
        &mut self,
        body: &Json,
        field: &str,
        path: &str,
        min: usize,
        max: usize,
    ) -> Option<String> {
        body.field(field)
            .and_then(|v| self.string_value(v, path, min, max))
    }

    pub fn string_value(&mut self, v: &Json, path: &str, min: usize, max: usize) -> Option<String> {
        match v.as_str() {
            None => {
                self.push(Violation::invalid(
                    path,
                    format!("must be a string, not {}", v.kind()),
                ));
                None
            }
            Some(s) => {
                let n = chars(s);
                if n < min || n > max {
                    self.push(Violation::invalid(path, length_message(min, max)));
                    None
                } else {
                    Some(s.to_owned())
                }
            }
        }
    }

    /// A required date-time.
    pub fn date_time(&mut self, body: &Json, field: &str, path: &str) -> Option<Timestamp> {
        match body.field(field) {
            None => {
                self.push(Violation::missing(path));
                None
            }
            Some(v) => self.date_time_value(v, path),
        }
    }

    /// An optional (nullable) date-time.
    pub fn optional_date_time(
        &mut self,
        body: &Json,
        field: &str,
        path: &str,
    ) -> Option<Timestamp> {
        body.field(field)
            .and_then(|v| self.date_time_value(v, path))
    }

    fn date_time_value(&mut self, v: &Json, path: &str) -> Option<Timestamp> {
        let t = v.as_str().and_then(parse_date_time);
        if t.is_none() {
            self.push(Violation::invalid(
                path,
                "must be a date-time in ISO 8601 format, e.g. 2019-07-23T17:45:21.002Z",
            ));
        }
        t
    }

    /// A required UUID string.
    pub fn uuid(&mut self, body: &Json, field: &str, path: &str) -> Option<String> {
        let s = self.string(body, field, path, 0, usize::MAX)?;
        match uuid_field(path, &s) {
            Ok(()) => Some(s),
            Err(v) => {
                self.push(v);
                None
            }
        }
    }

    /// An optional list of `min_items..=max_items` strings of `min..=max` characters each.
    pub fn string_list(
        &mut self,
        body: &Json,
        field: &str,
        items: (usize, usize),
        chars_range: (usize, usize),
    ) -> Option<Vec<String>> {
        let v = body.field(field)?;
        let Some(list) = v.as_array() else {
            self.push(Violation::invalid(
                field,
                format!("must be an array, not {}", v.kind()),
            ));
            return None;
        };
        if list.len() < items.0 || list.len() > items.1 {
            self.push(Violation::invalid(field, length_message(items.0, items.1)));
            return None;
        }
        let mut out = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            if let Some(s) =
                self.string_value(item, &format!("{field}[{i}]"), chars_range.0, chars_range.1)
            {
                out.push(s);
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn account_ids_are_six_letters_and_uuids_take_either_case() {
        assert!(is_account_id("ABCDEF"));
        assert!(is_account_id("abcDEF"));
        assert!(!is_account_id("ABCDE"));
        assert!(!is_account_id("ABCDE1"));
        assert!(!is_account_id("ÄBCDEF"));
        assert!(is_uuid("8e557fd6-580a-43b3-8cf9-db8169f4af5a"));
        assert!(is_uuid("8E557FD6-580A-43B3-8CF9-DB8169F4AF5A"));
        assert!(!is_uuid("8e557fd6580a43b38cf9db8169f4af5a"));
        assert!(!is_uuid("8e557fd6-580a-43b3-8cf9-db8169f4af5g"));
        assert!(!is_uuid("8e557fd6-580a-43b3-8cf9-db8169f4af5"));
    }

    #[test]
    fn date_times_take_any_fraction_and_offset() {
        for ok in [
            "2019-07-23T17:45:21.002Z",
            "2021-04-09T17:00:00.1Z",
            "2018-11-13T20:20:39+00:00",
            "2018-11-13T20:20:39.123456789-05:30",
        ] {
            assert!(parse_date_time(ok).is_some(), "{ok}");
        }
        for bad in ["2019-07-23", "2019-07-23T17:45:21", "yesterday", ""] {
            assert!(parse_date_time(bad).is_none(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn uuid_check_agrees_with_the_uuid_crate_on_hyphenated_forms(s in "[0-9a-fA-Fg-]{30,40}") {
            let ours = is_uuid(&s);
            let theirs = s.len() == 36 && uuid::Uuid::try_parse(&s).is_ok() && s.as_bytes()[8] == b'-';
            prop_assert_eq!(ours, theirs);
        }
    }
}

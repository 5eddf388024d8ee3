//! Query strings as clients send them: repeated keys, comma-separated lists, and names the
//! endpoint does not know (an error, so typos do not silently widen a query).

use crate::error::{ApiError, ApiResult};
use std::str::FromStr;

/// Most values a repeatable parameter (or parameter family, like `data.*`) takes.
pub const MAX_VALUES: usize = interlog_store::MAX_FILTER_VALUES;

/// The decoded pairs of a query string, in order.
#[derive(Debug, Default, Clone)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn parse(query: Option<&str>) -> Self {
        Params {
            pairs: form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    /// Fails on the first parameter that is neither in `known` nor starts with one of
    /// `prefixes`.
    pub fn reject_unknown(&self, known: &[&str], prefixes: &[&str]) -> ApiResult<()> {
        for (k, _) in &self.pairs {
            if !known.contains(&k.as_str()) && !prefixes.iter().any(|p| k.starts_with(p)) {
                return Err(ApiError::parameter(
                    k,
                    format!("unknown parameter; accepted: {}", known.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// The single value of `name`; an error when it is given more than once.
    pub fn one(&self, name: &str) -> ApiResult<Option<&str>> {
        let mut it = self.pairs.iter().filter(|(k, _)| k == name);
        let first = it.next().map(|(_, v)| v.as_str());
        if it.next().is_some() {
            return Err(ApiError::parameter(name, "may be given only once"));
        }
        Ok(first)
    }

    /// Every value of `name`, from repeated keys and comma-separated lists, empty ones
    /// dropped.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Every value of `name` as a whole (repeated keys, no comma splitting).
    pub fn repeated(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Pairs whose key starts with `prefix`, with the prefix removed.
    pub fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.pairs
            .iter()
            .filter_map(move |(k, v)| Some((k.strip_prefix(prefix)?, v.as_str())))
    }

    /// Every value of `name` parsed as `T`, naming the parameter and the bad value.
    pub fn all_parsed<T: FromStr>(&self, name: &str) -> ApiResult<Vec<T>>
    where
        T::Err: std::fmt::Display,
    {
        let values = self.all(name);
        if values.len() > MAX_VALUES {
            return Err(ApiError::parameter(
                name,
                format!("at most {MAX_VALUES} values"),
            ));
        }
        values
            .into_iter()
            .map(|v| {
                v.parse::<T>()
                    .map_err(|e| ApiError::parameter(name, e.to_string()))
            })
            .collect()
    }

    /// The single value of `name` parsed as a whole number in `min..=max`.
    pub fn number(&self, name: &str, min: u64, max: u64) -> ApiResult<Option<u64>> {
        let Some(v) = self.one(name)? else {
            return Ok(None);
        };
        match v.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::parameter(
                name,
                format!("must be a whole number from {min} to {max}, not {v:?}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn repeated_and_comma_separated_values_combine() {
        let p = Params::parse(Some("a=1,2&a=3&b=x%20y&c=&a="));
        assert_eq!(p.all("a"), ["1", "2", "3"]);
        assert_eq!(p.one("b").unwrap(), Some("x y"));
        assert!(p.one("a").is_err());
        assert!(p.reject_unknown(&["a", "b"], &[]).is_err());
        assert!(p.reject_unknown(&["a", "b", "c"], &[]).is_ok());
        assert_eq!(
            p.number("b", 0, 10).unwrap_err().parameter.as_deref(),
            Some("b")
        );
    }

    proptest! {
        #[test]
        fn any_query_string_parses_without_panicking(q in "\\PC{0,200}") {
            let p = Params::parse(Some(&q));
            let _ = p.number("limit", 1, 1000);
            let _ = p.all_parsed::<interlog_model::Direction>("direction");
        }
    }
}

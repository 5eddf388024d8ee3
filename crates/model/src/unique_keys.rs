//! JSON objects whose keys are unique. Serde refuses a struct field given twice, but a map
//! or a `serde_json::Value` silently keeps the last of two equal keys; Interlog refuses
//! every duplicate key the same way, naming it (`duplicate key "k"`), wherever it is.

use indexmap::IndexMap;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;
use std::marker::PhantomData;

/// A JSON value in which no object has a key twice.
#[derive(Debug, Clone, PartialEq)]
pub struct UniqueKeys(pub Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor).map(UniqueKeys)
    }
}

/// For `#[serde(deserialize_with = "...")]` on a `serde_json::Value` field.
pub fn value<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    UniqueKeys::deserialize(d).map(|v| v.0)
}

/// For `#[serde(deserialize_with = "...")]` on a map of JSON values (key order kept).
pub fn map<'de, D: Deserializer<'de>>(d: D) -> Result<IndexMap<String, Value>, D::Error> {
    let m: IndexMap<String, UniqueKeys> = d.deserialize_map(MapVisitor(PhantomData))?;
    Ok(m.into_iter().map(|(k, v)| (k, v.0)).collect())
}

/// For `#[serde(deserialize_with = "...")]` on a map of lists of strings (key order kept).
pub fn string_lists<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<IndexMap<String, Vec<String>>, D::Error> {
    d.deserialize_map(MapVisitor(PhantomData))
}

struct MapVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for MapVisitor<T> {
    type Value = IndexMap<String, T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut out = IndexMap::with_capacity(m.size_hint().unwrap_or(0).min(256));
        while let Some(key) = m.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            let value = m.next_value::<T>()?;
            out.insert(key, value);
        }
        Ok(out)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number must be finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        value(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(s.size_hint().unwrap_or(0).min(256));
        while let Some(UniqueKeys(v)) = s.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = m.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            let UniqueKeys(v) = m.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_key_given_twice_is_refused_at_any_depth_and_named() {
        let e = serde_json::from_str::<UniqueKeys>(r#"{"a": {"b": 1, "b": 2}}"#).unwrap_err();
        assert!(e.to_string().contains(r#"duplicate key "b""#), "{e}");
        assert!(serde_json::from_str::<UniqueKeys>(r#"[{"x": 1}, {"x": 2}]"#).is_ok());
        let v = serde_json::from_str::<UniqueKeys>(r#"{"n": 1.5, "s": "t", "l": [null, true]}"#)
            .unwrap();
        assert_eq!(
            v.0,
            serde_json::json!({"n": 1.5, "s": "t", "l": [null, true]})
        );
    }

    proptest! {
        #[test]
        fn documents_without_duplicates_read_as_serde_json_reads_them(v in arb_json()) {
            let text = v.to_string();
            let ours: UniqueKeys = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(ours.0, v);
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| Value::Number(n.into())),
            "[a-z ]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-c]{1,2}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}

//! The parameters of the history requests, from a query string (the GET form) or a JSON
//! body (the POST operations). Names are GWS's, matched exactly; a name the request does
//! not know is refused (status 2) so that a typo never silently widens a search. Values
//! are checked here, before anything runs, so a bad request fails on its HTTP response.

use crate::dates::{parse_date_param, DateParam};
use crate::envelope::{GwsError, GwsResult};
use interlog_http::params::Params;
use interlog_model::unique_keys::UniqueKeys;
use interlog_store::SortDir;
use serde_json::{Map, Value};

/// Most names in `customAttributes`, and most pairs in `searchCustomAttributes`.
pub const MAX_ATTRIBUTE_NAMES: usize = 100;
pub const MAX_SEARCH_PAIRS: usize = 20;
const MAX_TEXT: usize = 256;

/// Where to look: UCS's main database or its archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    #[default]
    Main,
    Archive,
}

/// A history search as asked for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistoryParams {
    pub from: Option<DateParam>,
    pub to: Option<DateParam>,
    /// As given (compared case-insensitively).
    pub media_type: Option<String>,
    pub sort: Option<SortDir>,
    pub max_size: Option<u32>,
    pub source: Source,
    pub user_id: Option<String>,
    pub contact_id: Option<String>,
    pub custom_attributes: Vec<String>,
    pub search: Vec<(String, String)>,
}

/// The history operations of `POST /api/v2/ucs/…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    RetrieveInteractionHistory,
    RetrieveAgentHistory,
    RetrieveContactHistory,
    GetInteractionContent,
}

impl Operation {
    pub fn of(name: &str) -> Option<Operation> {
        Some(match name {
            "RetrieveInteractionHistory" => Operation::RetrieveInteractionHistory,
            "RetrieveAgentHistory" => Operation::RetrieveAgentHistory,
            "RetrieveContactHistory" => Operation::RetrieveContactHistory,
            "GetInteractionContent" => Operation::GetInteractionContent,
            _ => return None,
        })
    }

    /// The body members the operation takes besides `operationName`.
    fn accepts(self) -> &'static [&'static str] {
        match self {
            Operation::GetInteractionContent => &["source"],
            _ => &[
                "fromDate",
                "toDate",
                "mediaType",
                "sort",
                "maxSize",
                "source",
                "userId",
                "customAttributes",
                "searchCustomAttributes",
            ],
        }
    }
}

fn text(name: &str, v: &str) -> GwsResult<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(GwsError::out_of_range(format!("{name} must not be empty")));
    }
    if v.len() > MAX_TEXT {
        return Err(GwsError::out_of_range(format!(
            "{name} is longer than {MAX_TEXT} characters"
        )));
    }
    Ok(v.to_owned())
}

fn date(name: &str, v: &str) -> GwsResult<DateParam> {
    parse_date_param(v).map_err(|e| GwsError::out_of_range(format!("{name}: {e}")))
}

fn sort(v: &str) -> GwsResult<SortDir> {
    either("sort", v, [("asc", SortDir::Asc), ("desc", SortDir::Desc)])
}

fn source(v: &str) -> GwsResult<Source> {
    either(
        "source",
        v,
        [("main", Source::Main), ("archive", Source::Archive)],
    )
}

/// The value of the one of two words `v` is, in any case.
fn either<T>(name: &str, v: &str, [(a, ta), (b, tb)]: [(&str, T); 2]) -> GwsResult<T> {
    match v.trim().to_ascii_lowercase() {
        w if w == a => Ok(ta),
        w if w == b => Ok(tb),
        _ => Err(GwsError::out_of_range(format!(
            "{name} must be \"{a}\" or \"{b}\", not {v:?}"
        ))),
    }
}

fn media(v: &str) -> GwsResult<String> {
    let v = text("mediaType", v)?;
    if v.len() > 64
        || !v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(GwsError::out_of_range(format!(
            "mediaType {v:?} is not a media type name"
        )));
    }
    Ok(v)
}

fn max_size(v: &str, limit: u32) -> GwsResult<u32> {
    match v.trim().parse::<u64>() {
        Ok(n) if (1..=u64::from(limit)).contains(&n) => Ok(n as u32),
        _ => Err(GwsError::out_of_range(format!(
            "maxSize must be a whole number from 1 to {limit}, not {v:?}"
        ))),
    }
}

fn attribute_names(names: impl IntoIterator<Item = String>) -> GwsResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let n = text("customAttributes", &n)?;
        if !out.contains(&n) {
            out.push(n);
        }
        if out.len() > MAX_ATTRIBUTE_NAMES {
            return Err(GwsError::out_of_range(format!(
                "customAttributes may name at most {MAX_ATTRIBUTE_NAMES} attributes"
            )));
        }
    }
    Ok(out)
}

/// A searched value as the store compares it: strings as they are, numbers and booleans
/// as their JSON text.
fn search_value(name: &str, v: &Value) -> GwsResult<String> {
    match v {
        Value::String(s) if s.len() <= 8192 => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(GwsError::out_of_range(format!(
            "searchCustomAttributes.{name} must be a string, number or boolean"
        ))),
    }
}

fn search_pairs(pairs: Vec<(String, String)>) -> GwsResult<Vec<(String, String)>> {
    if pairs.len() > MAX_SEARCH_PAIRS {
        return Err(GwsError::out_of_range(format!(
            "searchCustomAttributes may hold at most {MAX_SEARCH_PAIRS} attributes"
        )));
    }
    pairs
        .into_iter()
        .map(|(k, v)| Ok((text("searchCustomAttributes", &k)?, v)))
        .collect()
}

fn search_object(o: &Map<String, Value>) -> GwsResult<Vec<(String, String)>> {
    search_pairs(
        o.iter()
            .map(|(k, v)| Ok((k.clone(), search_value(k, v)?)))
            .collect::<GwsResult<_>>()?,
    )
}

/// The GET form's query string: the POST parameters plus `contactId`. `customAttributes`
/// is a comma-separated (or repeated) list; `searchCustomAttributes` is a JSON object, or
/// repeated `name:value` pairs.
pub fn from_query(raw: Option<&str>, limit: u32) -> GwsResult<HistoryParams> {
    let p = Params::parse(raw);
    p.reject_unknown(
        &[
            "fromDate",
            "toDate",
            "mediaType",
            "sort",
            "maxSize",
            "source",
            "userId",
            "contactId",
            "customAttributes",
            "searchCustomAttributes",
        ],
        &[],
    )
    .map_err(|e| GwsError::invalid(e.detail))?;
    let one = |name: &str| p.one(name).map_err(|e| GwsError::invalid(e.detail));
    let mut out = HistoryParams {
        from: one("fromDate")?.map(|v| date("fromDate", v)).transpose()?,
        to: one("toDate")?.map(|v| date("toDate", v)).transpose()?,
        media_type: one("mediaType")?.map(media).transpose()?,
        sort: one("sort")?.map(sort).transpose()?,
        max_size: one("maxSize")?.map(|v| max_size(v, limit)).transpose()?,
        source: one("source")?.map(source).transpose()?.unwrap_or_default(),
        user_id: one("userId")?.map(|v| text("userId", v)).transpose()?,
        contact_id: one("contactId")?
            .map(|v| text("contactId", v))
            .transpose()?,
        custom_attributes: attribute_names(
            p.all("customAttributes").into_iter().map(str::to_owned),
        )?,
        search: Vec::new(),
    };
    let mut pairs = Vec::new();
    for v in p.repeated("searchCustomAttributes") {
        let v = v.trim();
        if v.starts_with('{') {
            let Value::Object(o) = serde_json::from_str::<UniqueKeys>(v)
                .map_err(|_| {
                    GwsError::out_of_range(
                        "searchCustomAttributes is not a JSON object without repeated keys",
                    )
                })?
                .0
            else {
                return Err(GwsError::out_of_range(
                    "searchCustomAttributes is not a JSON object",
                ));
            };
            pairs.extend(search_object(&o)?);
        } else {
            let (k, val) = v.split_once(':').ok_or_else(|| {
                GwsError::out_of_range("searchCustomAttributes must be a JSON object or name:value")
            })?;
            pairs.push((k.to_owned(), val.to_owned()));
        }
    }
    out.search = search_pairs(pairs)?;
    Ok(out)
}

fn string_member<'a>(o: &'a Map<String, Value>, name: &str) -> GwsResult<Option<&'a str>> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(GwsError::out_of_range(format!("{name} must be a string"))),
    }
}

/// A POST body: the operation it names (one of `allowed`, the operations of the URL it was
/// sent to) and its parameters.
pub fn from_body(
    body: &[u8],
    allowed: &[Operation],
    limit: u32,
) -> GwsResult<(Operation, HistoryParams)> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(GwsError::missing("operationName"));
    }
    let value: Value = serde_json::from_slice::<UniqueKeys>(body)
        .map_err(|e| match e.classify() {
            serde_json::error::Category::Data => GwsError::invalid(e.to_string()),
            _ => GwsError::invalid("the request body is not valid JSON"),
        })?
        .0;
    let Value::Object(o) = value else {
        return Err(GwsError::invalid("the request body must be a JSON object"));
    };
    let name =
        string_member(&o, "operationName")?.ok_or_else(|| GwsError::missing("operationName"))?;
    let op = Operation::of(name)
        .filter(|op| allowed.contains(op))
        .ok_or_else(|| {
            let names: Vec<String> = allowed.iter().map(|o| format!("{o:?}")).collect();
            GwsError::invalid(format!(
                "operationName {name:?} is not an operation of this resource; accepted: {}",
                names.join(", ")
            ))
        })?;
    let accepted = op.accepts();
    if let Some(unknown) = o
        .keys()
        .find(|k| k.as_str() != "operationName" && !accepted.contains(&k.as_str()))
    {
        return Err(GwsError::invalid(format!(
            "{unknown} is not a parameter of {name}; accepted: {}",
            accepted.join(", ")
        )));
    }
    let max = match o.get("maxSize") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(max_size(&n.to_string(), limit)?),
        Some(Value::String(s)) => Some(max_size(s, limit)?),
        Some(_) => return Err(GwsError::out_of_range("maxSize must be a number")),
    };
    let names = match o.get("customAttributes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            if items.len() > MAX_ATTRIBUTE_NAMES {
                return Err(GwsError::out_of_range(format!(
                    "customAttributes may name at most {MAX_ATTRIBUTE_NAMES} attributes"
                )));
            }
            let mut names = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(s) => names.push(s.clone()),
                    _ => {
                        return Err(GwsError::out_of_range(
                            "customAttributes must be an array of names",
                        ))
                    }
                }
            }
            attribute_names(names)?
        }
        Some(Value::String(s)) => attribute_names(
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        )?,
        Some(_) => {
            return Err(GwsError::out_of_range(
                "customAttributes must be an array of names",
            ))
        }
    };
    let search = match o.get("searchCustomAttributes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(s)) => search_object(s)?,
        Some(_) => {
            return Err(GwsError::out_of_range(
                "searchCustomAttributes must be an object of names and values",
            ))
        }
    };
    let params = HistoryParams {
        from: string_member(&o, "fromDate")?
            .map(|v| date("fromDate", v))
            .transpose()?,
        to: string_member(&o, "toDate")?
            .map(|v| date("toDate", v))
            .transpose()?,
        media_type: string_member(&o, "mediaType")?.map(media).transpose()?,
        sort: string_member(&o, "sort")?.map(sort).transpose()?,
        max_size: max,
        source: string_member(&o, "source")?
            .map(source)
            .transpose()?
            .unwrap_or_default(),
        user_id: string_member(&o, "userId")?
            .map(|v| text("userId", v))
            .transpose()?,
        contact_id: None,
        custom_attributes: names,
        search,
    };
    Ok((op, params))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::code;
    use proptest::prelude::*;

    const HISTORY: &[Operation] = &[
        Operation::RetrieveInteractionHistory,
        Operation::RetrieveAgentHistory,
    ];

    #[test]
    fn the_documented_sample_body_reads() {
        let body = br#"{"operationName":"RetrieveInteractionHistory","fromDate":"2015-10-01","toDate":"2015-10-05","userId":"cc9016eee9c84dfeb266c642d9fd92c5","sort":"asc","searchCustomAttributes":{"SearchId":"123456"},"customAttributes":["SearchId","CustomerId"]}"#;
        let (op, p) = from_body(body, HISTORY, 1000).unwrap();
        assert_eq!(op, Operation::RetrieveInteractionHistory);
        assert_eq!(p.sort, Some(SortDir::Asc));
        assert_eq!(
            p.user_id.as_deref(),
            Some("cc9016eee9c84dfeb266c642d9fd92c5")
        );
        assert_eq!(p.search, [("SearchId".to_owned(), "123456".to_owned())]);
        assert_eq!(p.custom_attributes, ["SearchId", "CustomerId"]);
        assert!(matches!(p.from, Some(DateParam::Day(_))));
    }

    #[test]
    fn bad_bodies_get_the_documented_codes() {
        let err = |b: &str| from_body(b.as_bytes(), HISTORY, 1000).unwrap_err().code;
        assert_eq!(err(""), code::MISSING_PARAMETER);
        assert_eq!(err("{}"), code::MISSING_PARAMETER);
        assert_eq!(err("[1]"), code::INVALID_PARAMETER);
        assert_eq!(err("{"), code::INVALID_PARAMETER);
        assert_eq!(err(r#"{"operationName":"Nope"}"#), code::INVALID_PARAMETER);
        assert_eq!(
            err(r#"{"operationName":"RetrieveContactHistory"}"#),
            code::INVALID_PARAMETER
        );
        assert_eq!(
            err(r#"{"operationName":"RetrieveAgentHistory","frmDate":"2015-10-01"}"#),
            code::INVALID_PARAMETER
        );
        for bad in [
            r#""maxSize":0"#,
            r#""maxSize":1001"#,
            r#""maxSize":"ten""#,
            r#""maxSize":1.5"#,
            r#""sort":"up""#,
            r#""source":"cold""#,
            r#""fromDate":"01/10/2015""#,
            r#""mediaType":"ch at""#,
            r#""customAttributes":[1]"#,
            r#""searchCustomAttributes":{"a":[1]}"#,
            r#""userId":5"#,
        ] {
            let body = format!(r#"{{"operationName":"RetrieveAgentHistory",{bad}}}"#);
            assert_eq!(err(&body), code::OUT_OF_RANGE, "{bad}");
        }
        let (_, p) = from_body(
            br#"{"operationName":"RetrieveAgentHistory","maxSize":"25","customAttributes":"a, b"}"#,
            HISTORY,
            1000,
        )
        .unwrap();
        assert_eq!(p.max_size, Some(25));
        assert_eq!(p.custom_attributes, ["a", "b"]);
    }

    #[test]
    fn the_get_form_takes_lists_and_both_search_spellings() {
        let p = from_query(
            Some("customAttributes=a,b&customAttributes=c&searchCustomAttributes=SearchId:1&searchCustomAttributes=%7B%22X%22%3A2%7D&maxSize=5&contactId=C1"),
            1000,
        )
        .unwrap();
        assert_eq!(p.custom_attributes, ["a", "b", "c"]);
        assert_eq!(
            p.search,
            [
                ("SearchId".to_owned(), "1".to_owned()),
                ("X".to_owned(), "2".to_owned())
            ]
        );
        assert_eq!(p.max_size, Some(5));
        assert_eq!(p.contact_id.as_deref(), Some("C1"));
        assert_eq!(
            from_query(Some("limit=5"), 1000).unwrap_err().code,
            code::INVALID_PARAMETER
        );
        assert_eq!(
            from_query(Some("sort=asc&sort=desc"), 1000)
                .unwrap_err()
                .code,
            code::INVALID_PARAMETER
        );
        assert_eq!(
            from_query(Some("maxSize=0"), 1000).unwrap_err().code,
            code::OUT_OF_RANGE
        );
    }

    proptest! {
        #[test]
        fn any_query_or_body_is_answered_without_panicking(q in "\\PC{0,120}") {
            let _ = from_query(Some(&q), 1000);
            let _ = from_body(q.as_bytes(), HISTORY, 1000);
        }

        #[test]
        fn max_size_accepts_exactly_its_range(n in 0u64..3000, as_string in any::<bool>()) {
            let v = if as_string { format!("\"{n}\"") } else { n.to_string() };
            let body = format!(r#"{{"operationName":"RetrieveAgentHistory","maxSize":{v}}}"#);
            let r = from_body(body.as_bytes(), HISTORY, 1000);
            prop_assert_eq!(r.is_ok(), (1..=1000).contains(&n));
            let q = from_query(Some(&format!("maxSize={n}")), 1000).ok().and_then(|p| p.max_size);
            prop_assert_eq!(q, (1..=1000).contains(&n).then_some(n as u32));
        }
    }
}

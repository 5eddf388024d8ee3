//! Content negotiation on `Accept`: JSON (the default), `application/xml` or `text/xml`.

use axum::http::{header, HeaderMap};

/// The representation a response is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    Json,
    /// XML, labelled with the type the client asked for (`application/xml` or `text/xml`).
    Xml(&'static str),
}

impl Media {
    pub const APPLICATION_XML: Media = Media::Xml("application/xml");
    pub const TEXT_XML: Media = Media::Xml("text/xml");

    /// The `Content-Type` of a response in this representation.
    pub fn content_type(self) -> &'static str {
        match self {
            Media::Json => "application/json",
            Media::Xml(t) => t,
        }
    }

    pub fn is_xml(self) -> bool {
        matches!(self, Media::Xml(_))
    }
}

/// The types this dialect writes, in order of preference when a client likes several
/// equally.
const OFFERED: [(&str, &str, Media); 3] = [
    ("application", "json", Media::Json),
    ("application", "xml", Media::APPLICATION_XML),
    ("text", "xml", Media::TEXT_XML),
];

/// One media range of an `Accept` header.
struct Range<'a> {
    kind: &'a str,
    sub: &'a str,
    q: u16,
}

/// Reads a quality value (`0`, `0.5`, `1.000`) as thousandths; `None` when malformed.
fn quality(v: &str) -> Option<u16> {
    let v = v.trim();
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let mut thousandths = 0u16;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    let q = whole + thousandths;
    (q <= 1000).then_some(q)
}

fn ranges(accept: &str) -> Vec<Range<'_>> {
    accept
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let (kind, sub) = pieces.next()?.trim().split_once('/')?;
            let mut q = 1000;
            for p in pieces {
                if let Some((k, v)) = p.split_once('=') {
                    if k.trim().eq_ignore_ascii_case("q") {
                        // A malformed weight makes the range unusable rather than preferred.
                        q = quality(v).unwrap_or(0);
                    }
                }
            }
            Some(Range {
                kind: kind.trim(),
                sub: sub.trim(),
                q,
            })
        })
        .collect()
}

/// How well a client likes an offered type: weight, specificity of the range that gave it,
/// and (reversed) that range's position in the header.
type Score = (u16, u8, std::cmp::Reverse<usize>);

/// The representation for a request with this `Accept` value (`None`: no header). `None`
/// when the client accepts nothing this dialect writes.
pub fn choose(accept: Option<&str>) -> Option<Media> {
    let accept = match accept.map(str::trim) {
        None | Some("") => return Some(Media::Json),
        Some(a) => a,
    };
    let ranges = ranges(accept);
    // RFC 9110 §12.5.1: the most specific range that matches an offered type gives its
    // weight; between equal weights the more specific and then the earlier range wins.
    let mut best: Option<(Score, Media)> = None;
    for (kind, sub, media) in OFFERED {
        let mut found: Option<(u8, usize, u16)> = None;
        for (pos, r) in ranges.iter().enumerate() {
            let specificity =
                if r.kind.eq_ignore_ascii_case(kind) && r.sub.eq_ignore_ascii_case(sub) {
                    2
                } else if r.kind.eq_ignore_ascii_case(kind) && r.sub == "*" {
                    1
                } else if r.kind == "*" && r.sub == "*" {
                    0
                } else {
                    continue;
                };
            if found.is_none_or(|(s, _, _)| specificity > s) {
                found = Some((specificity, pos, r.q));
            }
        }
        let Some((specificity, pos, q)) = found else {
            continue;
        };
        if q == 0 {
            continue;
        }
        let score = (q, specificity, std::cmp::Reverse(pos));
        if best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, media));
        }
    }
    best.map(|(_, m)| m)
}

/// The representation the request asks for, from its headers.
pub fn from_headers(headers: &HeaderMap) -> Option<Media> {
    let values: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        return choose(None);
    }
    choose(Some(&values.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_the_default_and_xml_is_chosen_when_preferred() {
        assert_eq!(choose(None), Some(Media::Json));
        assert_eq!(choose(Some("")), Some(Media::Json));
        assert_eq!(choose(Some("*/*")), Some(Media::Json));
        assert_eq!(choose(Some("application/json")), Some(Media::Json));
        assert_eq!(
            choose(Some("application/xml")),
            Some(Media::APPLICATION_XML)
        );
        assert_eq!(choose(Some("TEXT/XML")), Some(Media::TEXT_XML));
        assert_eq!(choose(Some("text/*")), Some(Media::TEXT_XML));
        assert_eq!(
            choose(Some("application/json;q=0.5, application/xml")),
            Some(Media::APPLICATION_XML)
        );
        assert_eq!(
            choose(Some("application/xml, */*")),
            Some(Media::APPLICATION_XML)
        );
        assert_eq!(
            choose(Some("text/xml;q=0.9, application/json;q=0.8")),
            Some(Media::TEXT_XML)
        );
        assert_eq!(
            choose(Some("application/json;q=0, */*")),
            Some(Media::APPLICATION_XML)
        );
    }

    #[test]
    fn types_it_cannot_write_are_refused() {
        assert_eq!(choose(Some("text/html")), None);
        assert_eq!(choose(Some("image/png, text/plain;q=0.5")), None);
        assert_eq!(choose(Some("application/json;q=0")), None);
        assert_eq!(choose(Some("application/json;q=2")), None);
        assert_eq!(choose(Some("garbage")), None);
    }

    #[test]
    fn quality_values_read_as_thousandths() {
        assert_eq!(quality("1"), Some(1000));
        assert_eq!(quality("0.25"), Some(250));
        assert_eq!(quality("1.000"), Some(1000));
        assert_eq!(quality("1.5"), None);
        assert_eq!(quality("0.1234"), None);
        assert_eq!(quality("x"), None);
    }
}

//! XML plumbing: escaping for the writers, and a small, bounded tree reader (over quick-xml)
//! for the ingest decoder.

use quick_xml::events::Event;
use quick_xml::Reader;

/// The declaration every XML body starts with.
pub const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

/// Deepest nesting a document may have: `engagementListV1/engagements/users/uri` is four.
const MAX_DEPTH: usize = 16;

/// Appends `s` as XML character data. Characters XML 1.0 cannot carry at all (C0 controls
/// other than tab, newline and carriage return) become U+FFFD; a carriage return is written
/// as a reference so that parsers do not fold it into a newline.
pub fn push_text(out: &mut String, s: &str) {
    let clean = s
        .bytes()
        .all(|b| !matches!(b, b'&' | b'<' | b'>' | 0..=0x1f) || matches!(b, b'\t' | b'\n'));
    if clean {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// Appends `<name>text</name>`.
pub fn push_element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    push_text(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// An element of a parsed document: its local name (namespace prefixes dropped), its text
/// and its child elements in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
    /// `xsi:nil="true"`: the element stands for an absent value.
    pub nil: bool,
}

fn open(e: &quick_xml::events::BytesStart<'_>) -> Element {
    let name = e.local_name().into_inner().to_owned();
    let mut nil = false;
    for a in e.attributes().flatten() {
        if a.key.local_name().as_ref() == "nil" && a.value.as_ref() == "true" {
            nil = true;
        }
    }
    Element {
        name,
        nil,
        ..Element::default()
    }
}

/// Parses a whole document into its root element.
pub fn parse(document: &[u8]) -> Result<Element, String> {
    let text = std::str::from_utf8(document).map_err(|_| "the document is not UTF-8".to_owned())?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let at = |r: &Reader<&[u8]>| r.buffer_position();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("malformed XML at byte {}: {e}", at(&reader)))?;
        match event {
            Event::Start(e) => {
                if root.is_some() {
                    return Err("the document has more than one root element".into());
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("elements are nested deeper than {MAX_DEPTH}"));
                }
                stack.push(open(&e));
            }
            Event::Empty(e) => {
                let el = open(&e);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err("the document has more than one root element".into()),
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| "an end tag closes no element".to_owned())?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let s = t.xml10_content();
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err("text outside the root element".into()),
                }
            }
            Event::CData(t) => {
                let s: &str = &t;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(s),
                    None => return Err("text outside the root element".into()),
                }
            }
            Event::GeneralRef(r) => {
                let resolved: String = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.xml10_content();
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| format!("unknown entity &{name};"))?
                            .to_owned()
                    }
                    Err(e) => return Err(format!("bad character reference: {e}")),
                };
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&resolved),
                    None => return Err("text outside the root element".into()),
                }
            }
            Event::DocType(_) => {
                return Err("document type declarations are not accepted".into());
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err("the document ends inside an element".into());
    }
    root.ok_or_else(|| "the document has no root element".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_unrepresentable_characters_replaced() {
        let mut s = String::new();
        push_text(&mut s, "a<b & c>\r\n\u{1}\"'");
        assert_eq!(s, "a&lt;b &amp; c&gt;&#13;\n\u{FFFD}\"'");
        let doc = format!("<r>{s}</r>");
        assert_eq!(
            parse(doc.as_bytes()).unwrap().text,
            "a<b & c>\r\n\u{FFFD}\"'"
        );
    }

    #[test]
    fn documents_become_trees_with_local_names() {
        let doc = br#"<?xml version="1.0"?><!-- c --><ns:a xmlns:ns="urn:x"><b>1 &amp; &#50;</b><c/><b><![CDATA[<x>]]></b><d xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/></ns:a>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "a");
        let names: Vec<_> = root.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["b", "c", "b", "d"]);
        assert_eq!(root.children[0].text, "1 & 2");
        assert_eq!(root.children[2].text, "<x>");
        assert!(root.children[3].nil);
    }

    #[test]
    fn malformed_documents_are_refused() {
        for bad in [
            &b""[..],
            b"<a>",
            b"<a></b>",
            b"<a/><b/>",
            b"text",
            b"<a>&bogus;</a>",
            b"<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
            b"\xff<a/>",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(parse(deep.as_bytes()).is_err());
    }
}

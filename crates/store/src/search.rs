//! Full-text search (the native `q`): the one tokenizer that makes an engagement's words and
//! a query's words, the typed query the framework parses and every backend compiles, and
//! the in-memory evaluation that says what a backend must answer.
//!
//! Backends index the token stream [`words`] makes, as it is: SQLite gives it to FTS5 with a
//! tokenizer that only splits on spaces, PostgreSQL stores it as a `tsvector` built here (no
//! text-search configuration is involved, so nothing about the server's settings can change
//! what is found, and the GIN index is always usable).

use interlog_model::Engagement;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Characters that join letters and digits into one identifier-like token (`CS-005562`,
/// `ana@x.com`, `v1.2`), kept whole as well as split into its words.
// SQLite's full-text index lists these (and `:`, its tenant scope) as token characters of its
// tokenizer (store-sqlite migration 14): a change here changes that table too.
const JOINERS: &[char] = &['-', '_', '.', '@', '/'];

/// The longest token kept, in bytes: longer runs (base64, hashes) are not words anyone types.
pub const MAX_TOKEN_BYTES: usize = 64;

/// Most tokens of one engagement that are indexed (PostgreSQL keeps positions up to 16,383),
/// and most bytes of them: text past either is not searchable, on every backend alike.
pub const MAX_INDEXED_TOKENS: usize = 16_000;
pub const MAX_INDEXED_BYTES: usize = 512 * 1024;

/// Case and accents folded away: `Crème` and `CREME` are `creme`.
fn fold(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            'ß' => out.push_str("ss"),
            'ø' | 'Ø' => out.push('o'),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
            'þ' | 'Þ' => out.push_str("th"),
            _ => decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    out.extend(d.to_lowercase());
                }
            }),
        }
    }
}

/// One run of text split into tokens: its words in order, and the identifier-like tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokens {
    /// Runs of letters and digits, in order.
    pub words: Vec<String>,
    /// Words joined by [`JOINERS`], whole (their words are in `words` too).
    pub identifiers: Vec<String>,
}

/// Splits `text` into tokens, case and accents folded.
pub fn tokenize(text: &str) -> Tokens {
    let mut folded = String::with_capacity(text.len());
    fold(text, &mut folded);
    let mut out = Tokens::default();
    let is_part = |c: char| c.is_alphanumeric() || JOINERS.contains(&c);
    for chunk in folded.split(|c: char| !is_part(c)) {
        let chunk = chunk.trim_matches(|c| JOINERS.contains(&c));
        if chunk.is_empty() {
            continue;
        }
        let mut parts = 0;
        for w in chunk
            .split(|c| JOINERS.contains(&c))
            .filter(|w| !w.is_empty())
        {
            parts += 1;
            if w.len() <= MAX_TOKEN_BYTES {
                out.words.push(w.to_owned());
            }
        }
        if parts > 1 && chunk.len() <= MAX_TOKEN_BYTES {
            out.identifiers.push(chunk.to_owned());
        }
    }
    out
}

/// Every text of an engagement that is searched, in a fixed order: subject, topics,
/// attributes, dispositions' names, notes, messages, participants' names, `data` values.
fn texts(e: &Engagement) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    out.extend(e.subject.as_deref());
    out.extend(e.topics.iter().map(String::as_str));
    out.extend(e.attributes.iter().map(String::as_str));
    out.extend(e.dispositions.iter().filter_map(|d| d.name.as_deref()));
    out.extend(e.notes.iter().map(|n| n.text.as_str()));
    out.extend(e.messages.iter().filter_map(|m| m.text.as_deref()));
    for p in &e.participants {
        out.extend(
            [&p.display_name, &p.first_name, &p.last_name]
                .into_iter()
                .filter_map(|s| s.as_deref()),
        );
    }
    fn values<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::String(s) => out.push(s),
            serde_json::Value::Array(xs) => xs.iter().for_each(|x| values(x, out)),
            serde_json::Value::Object(m) => m.values().for_each(|x| values(x, out)),
            _ => {}
        }
    }
    e.data.values().for_each(|v| values(v, &mut out));
    out
}

/// The tokens an engagement is found by, as backends index them: its words in order, then
/// its identifiers, at most [`MAX_INDEXED_TOKENS`] and [`MAX_INDEXED_BYTES`]. A phrase is
/// words at consecutive places of this stream; an identifier never is a word, so the two
/// parts never make a phrase together.
pub fn words(e: &Engagement) -> Vec<String> {
    let mut all = Tokens::default();
    for t in texts(e) {
        let Tokens { words, identifiers } = tokenize(t);
        all.words.extend(words);
        all.identifiers.extend(identifiers);
    }
    let mut out = Vec::new();
    let mut bytes = 0;
    for t in all.words.into_iter().chain(all.identifiers) {
        bytes += t.len() + 1;
        if out.len() == MAX_INDEXED_TOKENS || bytes > MAX_INDEXED_BYTES {
            break;
        }
        out.push(t);
    }
    out
}

/// The `tsvector` literal of a token stream (positions from 1), for PostgreSQL.
pub fn tsvector_literal(words: &[String]) -> String {
    let mut at: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, w) in words.iter().enumerate() {
        at.entry(w).or_default().push(i + 1);
    }
    let mut out = String::new();
    for (w, positions) in at {
        if !out.is_empty() {
            out.push(' ');
        }
        quote_lexeme(w, &mut out);
        out.push(':');
        // PostgreSQL keeps at most 256 positions of a lexeme.
        let ps: Vec<String> = positions.iter().take(256).map(usize::to_string).collect();
        out.push_str(&ps.join(","));
    }
    out
}

fn quote_lexeme(w: &str, out: &mut String) {
    out.push('\'');
    for c in w.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

/// One thing a query looks for, in folded tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TextTerm {
    /// A word or an identifier, whole.
    Word(String),
    /// Any word or identifier starting with this.
    Prefix(String),
    /// Words at consecutive places (two or more).
    Phrase(Vec<String>),
}

/// A full-text query: every group must match (a group matches when any of its terms does),
/// and none of `none` may. `all` is never empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TextQuery {
    pub all: Vec<Vec<TextTerm>>,
    pub none: Vec<TextTerm>,
}

/// Most terms one query holds, and most words in all its phrases.
pub const MAX_TEXT_TERMS: usize = 32;
pub const MAX_TEXT_WORDS: usize = 64;

impl TextQuery {
    /// Whether the query is past [`MAX_TEXT_TERMS`] or [`MAX_TEXT_WORDS`], or empty.
    pub fn oversized(&self) -> bool {
        let terms = || self.all.iter().flatten().chain(&self.none);
        let words: usize = terms()
            .map(|t| match t {
                TextTerm::Phrase(ws) => ws.len(),
                _ => 1,
            })
            .sum();
        self.all.is_empty()
            || self.all.iter().any(Vec::is_empty)
            || terms().count() > MAX_TEXT_TERMS
            || words > MAX_TEXT_WORDS
    }

    /// Whether the token stream of an engagement ([`words`]) matches.
    pub fn matches(&self, words: &[String]) -> bool {
        let term = |t: &TextTerm| match t {
            TextTerm::Word(w) => words.iter().any(|x| x == w),
            TextTerm::Prefix(p) => words.iter().any(|x| x.starts_with(p.as_str())),
            TextTerm::Phrase(ws) => words.windows(ws.len()).any(|x| x == ws.as_slice()),
        };
        self.all.iter().all(|g| g.iter().any(term)) && !self.none.iter().any(term)
    }

    /// The query as an FTS5 match expression (every token quoted, so no token is syntax),
    /// each token written `scope` first: an index whose tokens carry their scope (a tenant)
    /// is asked for that scope's tokens only.
    pub fn fts5(&self, scope: &str) -> String {
        let term = |t: &TextTerm| match t {
            TextTerm::Word(w) => fts5_string(&format!("{scope}{w}")),
            TextTerm::Prefix(p) => format!("{}*", fts5_string(&format!("{scope}{p}"))),
            TextTerm::Phrase(ws) => {
                let scoped: Vec<String> = ws.iter().map(|w| format!("{scope}{w}")).collect();
                fts5_string(&scoped.join(" "))
            }
        };
        let any = |g: &[TextTerm]| {
            let parts: Vec<String> = g.iter().map(term).collect();
            format!("({})", parts.join(" OR "))
        };
        let all: Vec<String> = self.all.iter().map(|g| any(g)).collect();
        let mut out = format!("({})", all.join(" AND "));
        if !self.none.is_empty() {
            out.push_str(" NOT ");
            out.push_str(&any(&self.none));
        }
        out
    }

    /// The query as a `tsquery` literal for PostgreSQL.
    pub fn tsquery(&self) -> String {
        fn term(t: &TextTerm) -> String {
            let mut out = String::new();
            match t {
                TextTerm::Word(w) => quote_lexeme(w, &mut out),
                TextTerm::Prefix(p) => {
                    quote_lexeme(p, &mut out);
                    out.push_str(":*");
                }
                TextTerm::Phrase(ws) => {
                    out.push('(');
                    for (i, w) in ws.iter().enumerate() {
                        if i > 0 {
                            out.push_str(" <-> ");
                        }
                        quote_lexeme(w, &mut out);
                    }
                    out.push(')');
                }
            }
            out
        }
        let any = |g: &[TextTerm]| {
            let parts: Vec<String> = g.iter().map(term).collect();
            format!("({})", parts.join(" | "))
        };
        let mut parts: Vec<String> = self.all.iter().map(|g| any(g)).collect();
        if !self.none.is_empty() {
            parts.push(format!("!{}", any(&self.none)));
        }
        parts.join(" & ")
    }
}

fn fts5_string(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_and_identifiers_kept_whole_and_split() {
        let t = tokenize("Crème BRÛLÉE, ticket CS-005562; mail Ana@X.com. Straße ørsted");
        assert_eq!(
            t.words,
            [
                "creme", "brulee", "ticket", "cs", "005562", "mail", "ana", "x", "com", "strasse",
                "orsted"
            ]
        );
        assert_eq!(t.identifiers, ["cs-005562", "ana@x.com"]);
    }

    #[test]
    fn queries_match_the_token_stream() {
        let ws: Vec<String> = "late delivery fee cs 005562 cs-005562"
            .split(' ')
            .map(str::to_owned)
            .collect();
        let q = |all: Vec<Vec<TextTerm>>, none| TextQuery { all, none };
        let w = |s: &str| TextTerm::Word(s.into());
        let phrase = |s: &str| TextTerm::Phrase(s.split(' ').map(str::to_owned).collect());
        assert!(q(vec![vec![phrase("delivery fee")]], vec![]).matches(&ws));
        assert!(!q(vec![vec![phrase("fee delivery")]], vec![]).matches(&ws));
        assert!(q(vec![vec![w("cs-005562")], vec![w("late")]], vec![]).matches(&ws));
        assert!(q(vec![vec![TextTerm::Prefix("deliv".into())]], vec![]).matches(&ws));
        assert!(!q(vec![vec![w("late")]], vec![w("fee")]).matches(&ws));
        assert!(q(vec![vec![w("refund"), w("fee")]], vec![]).matches(&ws));
    }

    #[test]
    fn backends_get_quoted_tokens_only() {
        let q = TextQuery {
            all: vec![
                vec![TextTerm::Word("a'b".into()), TextTerm::Prefix("ref".into())],
                vec![TextTerm::Phrase(vec!["late".into(), "fee".into()])],
            ],
            none: vec![TextTerm::Word("x".into())],
        };
        assert_eq!(
            q.fts5(""),
            r#"(("a'b" OR "ref"*) AND ("late fee")) NOT ("x")"#
        );
        assert_eq!(
            q.fts5("7:"),
            r#"(("7:a'b" OR "7:ref"*) AND ("7:late 7:fee")) NOT ("7:x")"#
        );
        assert_eq!(
            q.tsquery(),
            "('a''b' | 'ref':*) & (('late' <-> 'fee')) & !('x')"
        );
        assert_eq!(
            tsvector_literal(&["b".into(), "a".into(), "b".into()]),
            "'a':2 'b':1,3"
        );
    }
}

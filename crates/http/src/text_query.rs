//! The full-text query language of `q`: words that must all be found, `"quoted phrases"`,
//! `word*` prefixes, `-word` exclusions and `OR` between terms. One parser for every peer;
//! the store gets a typed [`TextQuery`] in the tokens of [`interlog_store::search`], the
//! tokenizer that indexes engagements, so a query word is split and folded as text is.
//!
//! ```text
//! query = item { item }
//! item  = "-" term | term { "OR" term }       (OR, in capitals, binds two terms)
//! term  = '"' words '"' | word ["*"]
//! ```
//!
//! A word that is several words to the tokenizer (`don't`, `a+b`) is their phrase; an
//! identifier-like word (`CS-005562`, `ana@x.com`) is found whole, and inside a phrase by
//! its words. A query of exclusions alone is refused: it would list nearly everything.

use interlog_store::search::{tokenize, TextQuery, TextTerm, MAX_TEXT_TERMS, MAX_TEXT_WORDS};

pub use crate::filter_expr::ExprError as TextQueryError;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 1024;

type Parsed<T> = Result<T, TextQueryError>;

fn error(at: usize, message: impl Into<String>) -> TextQueryError {
    TextQueryError {
        position: at + 1,
        message: message.into(),
    }
}

/// One lexical piece of a query, with the character index it starts at.
enum Piece {
    Or,
    Term { negated: bool, term: TextTerm },
}

/// Parses a query; `None` for one that is empty or only spaces.
pub fn parse(text: &str) -> Parsed<Option<TextQuery>> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() > MAX_QUERY_CHARS {
        return Err(error(
            MAX_QUERY_CHARS,
            format!("the query is longer than {MAX_QUERY_CHARS} characters"),
        ));
    }
    let pieces = pieces(&chars)?;
    if pieces.is_empty() {
        return Ok(None);
    }
    let mut q = TextQuery {
        all: Vec::new(),
        none: Vec::new(),
    };
    let mut i = 0;
    let (mut terms, mut words) = (0, 0);
    while i < pieces.len() {
        let (at, piece) = &pieces[i];
        let count = |t: &TextTerm, at: usize, terms: &mut usize, words: &mut usize| {
            *terms += 1;
            *words += match t {
                TextTerm::Phrase(ws) => ws.len(),
                _ => 1,
            };
            if *terms > MAX_TEXT_TERMS {
                return Err(error(at, format!("more than {MAX_TEXT_TERMS} terms")));
            }
            if *words > MAX_TEXT_WORDS {
                return Err(error(at, format!("more than {MAX_TEXT_WORDS} words")));
            }
            Ok(())
        };
        match piece {
            Piece::Or => return Err(error(*at, "OR needs a term before it")),
            Piece::Term {
                negated: true,
                term,
            } => {
                count(term, *at, &mut terms, &mut words)?;
                if matches!(pieces.get(i + 1), Some((_, Piece::Or))) {
                    return Err(error(
                        pieces[i + 1].0,
                        "an excluded term cannot be part of OR",
                    ));
                }
                q.none.push(term.clone());
                i += 1;
            }
            Piece::Term {
                negated: false,
                term,
            } => {
                count(term, *at, &mut terms, &mut words)?;
                let mut group = vec![term.clone()];
                i += 1;
                while let Some((or_at, Piece::Or)) = pieces.get(i) {
                    match pieces.get(i + 1) {
                        Some((
                            at,
                            Piece::Term {
                                negated: false,
                                term,
                            },
                        )) => {
                            count(term, *at, &mut terms, &mut words)?;
                            group.push(term.clone());
                            i += 2;
                        }
                        Some((at, Piece::Term { negated: true, .. })) => {
                            return Err(error(*at, "an excluded term cannot be part of OR"))
                        }
                        _ => return Err(error(*or_at, "OR needs a term after it")),
                    }
                }
                q.all.push(group);
            }
        }
    }
    if q.all.is_empty() {
        return Err(error(
            0,
            "the query excludes words but looks for none: add a word to look for",
        ));
    }
    Ok(Some(q))
}

/// Splits the query into `OR`s and terms.
fn pieces(chars: &[char]) -> Parsed<Vec<(usize, Piece)>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        if chars[at].is_whitespace() {
            at += 1;
            continue;
        }
        let start = at;
        let negated = chars[at] == '-';
        if negated {
            at += 1;
            if at == chars.len() || chars[at].is_whitespace() {
                return Err(error(start, "`-` needs a word right after it"));
            }
        }
        if chars[at] == '"' {
            let open = at;
            let Some(len) = chars[open + 1..].iter().position(|&c| c == '"') else {
                return Err(error(open, "a phrase's `\"` is not closed"));
            };
            let inner: String = chars[open + 1..open + 1 + len].iter().collect();
            at = open + len + 2;
            if chars.get(at).is_some_and(|c| !c.is_whitespace()) {
                return Err(error(
                    at,
                    "expected a space after the phrase's closing `\"`",
                ));
            }
            let words = tokenize(&inner).words;
            let term = match words.len() {
                0 => return Err(error(open, "the phrase has no letters or digits")),
                1 => TextTerm::Word(words.into_iter().next().expect("one word")),
                _ => TextTerm::Phrase(words),
            };
            out.push((start, Piece::Term { negated, term }));
            continue;
        }
        let word_at = at;
        while at < chars.len() && !chars[at].is_whitespace() {
            if chars[at] == '"' {
                return Err(error(
                    at,
                    "a `\"` inside a word: put a space before a phrase",
                ));
            }
            at += 1;
        }
        let word: String = chars[word_at..at].iter().collect();
        if word == "OR" && !negated {
            out.push((start, Piece::Or));
            continue;
        }
        let (stem, prefix) = match word.strip_suffix('*') {
            Some(stem) => (stem, true),
            None => (word.as_str(), false),
        };
        if let Some(star) = stem.find('*') {
            let pos = word_at + stem[..star].chars().count();
            return Err(error(pos, "`*` only ends a word (a prefix)"));
        }
        let tokens = tokenize(stem);
        let term = match (tokens.identifiers.as_slice(), tokens.words.len()) {
            (_, 0) if tokens.identifiers.is_empty() => {
                return Err(error(
                    word_at,
                    format!("`{word}` has no letters or digits to look for"),
                ))
            }
            // One identifier-like token: found as written.
            ([one], _) if tokenize(one).words == tokens.words => {
                if prefix {
                    TextTerm::Prefix(one.clone())
                } else {
                    TextTerm::Word(one.clone())
                }
            }
            ([], 1) => {
                let w = tokens.words.into_iter().next().expect("one word");
                if prefix {
                    TextTerm::Prefix(w)
                } else {
                    TextTerm::Word(w)
                }
            }
            _ if prefix => {
                return Err(error(
                    word_at,
                    format!("`{word}` is several words: a prefix is one word"),
                ))
            }
            _ => TextTerm::Phrase(tokens.words),
        };
        out.push((start, Piece::Term { negated, term }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TextTerm::*;

    fn ok(text: &str) -> TextQuery {
        parse(text).unwrap().unwrap()
    }

    fn w(s: &str) -> TextTerm {
        Word(s.into())
    }

    #[test]
    fn every_form() {
        assert_eq!(
            ok(r#"Refund "late  Delivery fee" ref* -Spam"#),
            TextQuery {
                all: vec![
                    vec![w("refund")],
                    vec![Phrase(vec!["late".into(), "delivery".into(), "fee".into()])],
                    vec![Prefix("ref".into())],
                ],
                none: vec![w("spam")],
            }
        );
        assert_eq!(
            ok("refund OR chargeback OR \"money back\" crème"),
            TextQuery {
                all: vec![
                    vec![
                        w("refund"),
                        w("chargeback"),
                        Phrase(vec!["money".into(), "back".into()])
                    ],
                    vec![w("creme")],
                ],
                none: vec![],
            }
        );
        assert_eq!(ok("CS-005562").all, vec![vec![w("cs-005562")]]);
        assert_eq!(ok("cs-00*").all, vec![vec![Prefix("cs-00".into())]]);
        assert_eq!(
            ok("\"ticket CS-005562\"").all,
            vec![vec![Phrase(vec![
                "ticket".into(),
                "cs".into(),
                "005562".into()
            ])]]
        );
        assert_eq!(
            ok("don't").all,
            vec![vec![Phrase(vec!["don".into(), "t".into()])]]
        );
        assert_eq!(ok("or").all, vec![vec![w("or")]]);
        assert_eq!(parse("   ").unwrap(), None);
    }

    #[test]
    fn errors_name_the_position() {
        let cases = [
            ("refund \"late fee", 8),
            ("OR refund", 1),
            ("refund OR", 8),
            ("refund -", 8),
            ("-spam", 1),
            ("a -b OR c", 6),
            ("a OR -b", 6),
            ("!!!", 1),
            ("re*und", 3),
            ("a\"b\"", 2),
            ("late-fee* x", 0),
        ];
        for (text, position) in cases {
            match parse(text) {
                Err(e) if position > 0 => assert_eq!(e.position, position, "{text}: {e}"),
                Err(e) => panic!("{text}: {e}"),
                Ok(q) if position == 0 => assert!(q.is_some()),
                Ok(q) => panic!("{text}: accepted as {q:?}"),
            }
        }
        let long = "a ".repeat(MAX_TEXT_TERMS + 1);
        assert_eq!(parse(&long).unwrap_err().position, 2 * MAX_TEXT_TERMS + 1);
        let huge = "a".repeat(MAX_QUERY_CHARS + 1);
        assert_eq!(parse(&huge).unwrap_err().position, MAX_QUERY_CHARS + 1);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_stays_within_limits(text in "[a-zA-Z\"*() ORé-]{0,80}") {
            match parse(&text) {
                Ok(Some(q)) => proptest::prop_assert!(!q.oversized()),
                Ok(None) => {}
                Err(e) => proptest::prop_assert!(
                    e.position >= 1 && e.position <= text.chars().count() + 1,
                    "{e}"
                ),
            }
        }
    }
}

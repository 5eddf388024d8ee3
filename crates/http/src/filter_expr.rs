//! The `filter=` expression language: `field:value` terms over the native listing's filter
//! fields, combined with `AND`, `OR`, `NOT` and parentheses, with comparisons for times and
//! durations. One parser for every peer; the store gets a typed [`Expr`] and compiles it.
//!
//! ```text
//! expr    = or
//! or      = and { "OR" and }
//! and     = unary { ["AND"] unary }          (juxtaposition is AND)
//! unary   = "NOT" unary | "(" expr ")" | term
//! term    = field op value
//! field   = started_at | ended_at | updated_at | duration_ms | state | outcome | direction
//!         | channel_type | channel_source | queue_id | queue | team | agent | participant_email
//!         | customer | disposition | data.KEY
//! op      = ":" | "=" | ">=" | ">" | "<=" | "<"   (comparisons: times and duration_ms)
//! value   = bare (up to a space or a parenthesis) | "quoted, with \" and \\"
//! ```
//!
//! Keywords are case-insensitive. Times are RFC 3339 instants compared to the millisecond;
//! `started_at:T` is the millisecond `T`. Each term means what the same plain parameter
//! means, so `NOT outcome:unsuccessful` also matches engagements without an outcome, and
//! `queue:Billing` (`queue` is `queue_id`'s other name), `agent:"Niall Campbell"`, `team`,
//! `disposition` and `customer` take names and phone ends (resolved by [`crate::names`]).

use interlog_model::time::parse_instant;
use interlog_model::{ChannelType, Direction, Outcome, State as LifeState, Timestamp};
use interlog_store::{Expr, Filter, TimeRange, MAX_EXPR_LEAVES};
use std::fmt;
use std::str::FromStr;

/// Longest expression accepted, in characters.
pub const MAX_EXPR_CHARS: usize = 4096;
/// Most parentheses and `NOT`s nested inside each other (the tree this makes stays within
/// the store's [`interlog_store::MAX_EXPR_DEPTH`]).
pub const MAX_NESTING: usize = 12;
/// Longest value of one term, in characters (as for the plain parameters).
const MAX_VALUE_CHARS: usize = 1024;

/// Why an expression was refused, and where: `position` counts characters from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at position {}: {}", self.position, self.message)
    }
}

impl std::error::Error for ExprError {}

type Parsed<T> = Result<T, ExprError>;

/// Parses an expression; `None` for one that is empty or only spaces.
pub fn parse(text: &str) -> Parsed<Option<Expr>> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() > MAX_EXPR_CHARS {
        return Err(ExprError {
            position: MAX_EXPR_CHARS + 1,
            message: format!("the expression is longer than {MAX_EXPR_CHARS} characters"),
        });
    }
    let mut p = Parser {
        chars,
        at: 0,
        nesting: 0,
        leaves: 0,
    };
    p.skip_spaces();
    if p.at == p.chars.len() {
        return Ok(None);
    }
    let x = p.or()?;
    p.skip_spaces();
    if p.at < p.chars.len() {
        let what = if p.peek() == Some(')') {
            "a `)` without its `(`".to_owned()
        } else {
            "expected AND, OR or the end of the expression".to_owned()
        };
        return Err(p.error_here(what));
    }
    Ok(Some(x))
}

struct Parser {
    chars: Vec<char>,
    at: usize,
    nesting: usize,
    leaves: usize,
}

/// How a term compares its field with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => ":",
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Lt => "<",
        }
    }
}

fn is_field_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

fn ends_bare_value(c: char) -> bool {
    c.is_whitespace() || c == '(' || c == ')'
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn error_at(&self, at: usize, message: impl Into<String>) -> ExprError {
        ExprError {
            position: at + 1,
            message: message.into(),
        }
    }

    fn error_here(&self, message: impl Into<String>) -> ExprError {
        self.error_at(self.at, message)
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    /// Whether a keyword (case-insensitive, followed by a space, a parenthesis or the end)
    /// starts here; consumes it when it does.
    fn keyword(&mut self, word: &str) -> bool {
        let n = word.len();
        let Some(slice) = self.chars.get(self.at..self.at + n) else {
            return false;
        };
        let matches = slice
            .iter()
            .zip(word.chars())
            .all(|(a, b)| a.eq_ignore_ascii_case(&b));
        let bounded = self
            .chars
            .get(self.at + n)
            .is_none_or(|c| ends_bare_value(*c));
        if matches && bounded {
            self.at += n;
        }
        matches && bounded
    }

    /// Enters a parenthesis or `NOT` that starts at `at`.
    fn nest(&mut self, at: usize) -> Parsed<()> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(self.error_at(
                at,
                format!("parentheses and NOT nest deeper than {MAX_NESTING}"),
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Parsed<Expr> {
        let mut parts = vec![self.and()?];
        loop {
            self.skip_spaces();
            if !self.keyword("OR") {
                break;
            }
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Parsed<Expr> {
        let mut parts = vec![self.unary()?];
        loop {
            self.skip_spaces();
            let before = self.at;
            match self.peek() {
                None | Some(')') => break,
                _ if self.keyword("OR") => {
                    self.at = before;
                    break;
                }
                _ => {
                    self.keyword("AND");
                }
            }
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn unary(&mut self) -> Parsed<Expr> {
        self.skip_spaces();
        match self.peek() {
            None => Err(self.error_here("expected a term, NOT or `(`, found the end")),
            Some('(') => {
                let open = self.at;
                self.at += 1;
                self.nest(open)?;
                self.skip_spaces();
                if self.peek() == Some(')') {
                    return Err(self.error_here("empty parentheses"));
                }
                let x = self.or()?;
                self.skip_spaces();
                if self.peek() != Some(')') {
                    return Err(self.error_at(open, "this `(` is never closed"));
                }
                self.at += 1;
                self.nesting -= 1;
                Ok(x)
            }
            Some(')') => Err(self.error_here("expected a term, NOT or `(`, found `)`")),
            _ if self.keyword("NOT") => {
                self.nest(self.at - 3)?;
                let x = self.unary()?;
                self.nesting -= 1;
                Ok(Expr::Not(Box::new(x)))
            }
            _ if self.keyword("AND") || self.keyword("OR") => {
                let word = self.chars[..self.at]
                    .iter()
                    .rev()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .count();
                Err(self.error_at(
                    self.at - word,
                    "expected a term, NOT or `(` before this operator",
                ))
            }
            _ => self.term(),
        }
    }

    fn term(&mut self) -> Parsed<Expr> {
        let start = self.at;
        self.leaves += 1;
        if self.leaves > MAX_EXPR_LEAVES {
            return Err(self.error_here(format!("more than {MAX_EXPR_LEAVES} terms")));
        }
        while self.peek().is_some_and(is_field_char) {
            self.at += 1;
        }
        let field: String = self.chars[start..self.at].iter().collect();
        if field.is_empty() {
            return Err(self.error_here("expected a field name such as queue_id"));
        }
        let op_at = self.at;
        let (op, width) = match (self.peek(), self.chars.get(self.at + 1).copied()) {
            (Some(':' | '='), _) => (Op::Eq, 1),
            (Some('>'), Some('=')) => (Op::Ge, 2),
            (Some('>'), _) => (Op::Gt, 1),
            (Some('<'), Some('=')) => (Op::Le, 2),
            (Some('<'), _) => (Op::Lt, 1),
            _ => {
                return Err(self.error_here(format!(
                    "expected `:` or a comparison after the field `{field}`"
                )))
            }
        };
        self.at += width;
        let value_at = self.at;
        let value = self.value()?;
        let leaf = leaf(&field, op, &value).map_err(|(blame, message)| {
            let at = match blame {
                Blame::Field => start,
                Blame::Operator => op_at,
                Blame::Value => value_at,
            };
            self.error_at(at, message)
        })?;
        Ok(leaf)
    }

    fn value(&mut self) -> Parsed<String> {
        let start = self.at;
        let mut out = String::new();
        if self.peek() == Some('"') {
            self.at += 1;
            loop {
                match self.peek() {
                    None => return Err(self.error_at(start, "this quote is never closed")),
                    Some('"') => {
                        self.at += 1;
                        break;
                    }
                    Some('\\') => {
                        match self.chars.get(self.at + 1) {
                            Some(c @ ('"' | '\\')) => out.push(*c),
                            _ => {
                                return Err(
                                    self.error_here("only \\\" and \\\\ are escapes inside quotes")
                                )
                            }
                        }
                        self.at += 2;
                    }
                    Some(c) => {
                        out.push(c);
                        self.at += 1;
                    }
                }
            }
        } else {
            while let Some(c) = self.peek().filter(|c| !ends_bare_value(*c) && *c != '"') {
                out.push(c);
                self.at += 1;
            }
        }
        if out.is_empty() {
            return Err(self.error_at(start, "expected a value"));
        }
        if out.chars().count() > MAX_VALUE_CHARS {
            return Err(self.error_at(
                start,
                format!("a value is at most {MAX_VALUE_CHARS} characters"),
            ));
        }
        Ok(out)
    }
}

/// The part of a term an error is about.
enum Blame {
    Field,
    Operator,
    Value,
}

type TermError = (Blame, String);

fn equality_only(field: &str, op: Op) -> Result<(), TermError> {
    if op == Op::Eq {
        return Ok(());
    }
    Err((
        Blame::Operator,
        format!(
            "`{}` compares only times and duration_ms; use `{field}:value`",
            op.symbol()
        ),
    ))
}

fn one<T: FromStr>(value: &str) -> Result<Vec<T>, TermError>
where
    T::Err: fmt::Display,
{
    value
        .parse::<T>()
        .map(|t| vec![t])
        .map_err(|e| (Blame::Value, e.to_string()))
}

/// The leaf of one term: a filter of that one field, with the plain parameter's meaning.
fn leaf(field: &str, op: Op, value: &str) -> Result<Expr, TermError> {
    let mut f = Filter::default();
    match field {
        "started_at" | "ended_at" | "updated_at" => {
            let t = parse_instant(value).map_err(|e| (Blame::Value, e.to_string()))?;
            let Some(range) = time_range(t, op) else {
                return Ok(Expr::nothing());
            };
            match field {
                "started_at" => f.started = range,
                "ended_at" => f.ended = range,
                _ => f.updated = range,
            }
        }
        "duration_ms" => {
            let n: u64 = value
                .parse()
                .ok()
                .filter(|n| *n <= i64::MAX as u64)
                .ok_or_else(|| {
                    (
                        Blame::Value,
                        format!("must be a whole number of milliseconds, not {value:?}"),
                    )
                })?;
            let (min, max) = match op {
                Op::Eq => (Some(n), Some(n)),
                Op::Ge => (Some(n), None),
                Op::Gt => (Some(n + 1), None),
                Op::Le => (None, Some(n)),
                Op::Lt if n == 0 => return Ok(Expr::nothing()),
                Op::Lt => (None, Some(n - 1)),
            };
            f.min_duration_ms = min;
            f.max_duration_ms = max;
        }
        _ => {
            let known = FIELDS.contains(&field)
                || field.strip_prefix("data.").is_some_and(|k| !k.is_empty());
            if !known {
                return Err((
                    Blame::Field,
                    format!(
                        "unknown field `{field}`; accepted: {}, data.KEY",
                        FIELDS.join(", ")
                    ),
                ));
            }
            equality_only(field, op)?;
            let v = || vec![value.to_owned()];
            match field {
                "state" => f.states = one::<LifeState>(value)?,
                "outcome" => f.outcomes = one::<Outcome>(value)?,
                "direction" => f.directions = one::<Direction>(value)?,
                "channel_type" => f.channel_types = one::<ChannelType>(value)?,
                "channel_source" => f.channel_sources = v(),
                "queue_id" | "queue" => f.queue_ids = v(),
                "team" => f.teams = v(),
                "agent" => f.agents = v(),
                "participant_email" => f.participant_emails = v(),
                "customer" => f.customer = v(),
                "disposition" => f.dispositions = v(),
                data => f.data = vec![(data["data.".len()..].to_owned(), value.to_owned())],
            }
        }
    }
    Ok(Expr::leaf(f))
}

/// The fields a term may name (besides `data.KEY`).
pub const FIELDS: &[&str] = &[
    "started_at",
    "ended_at",
    "updated_at",
    "duration_ms",
    "state",
    "outcome",
    "direction",
    "channel_type",
    "channel_source",
    "queue_id",
    "queue",
    "team",
    "agent",
    "participant_email",
    "customer",
    "disposition",
];

/// The half-open range of instants `op t` selects, to the millisecond; `None` when none.
fn time_range(t: Timestamp, op: Op) -> Option<TimeRange> {
    let ms = t.as_millisecond();
    let at = |ms: i64| Timestamp::from_millisecond(ms).ok();
    let (from, to) = match op {
        Op::Eq => (at(ms), Some(at(ms + 1)?)),
        Op::Ge => (at(ms), None),
        Op::Gt => (Some(at(ms + 1)?), None),
        Op::Le => (None, Some(at(ms + 1)?)),
        Op::Lt => (None, at(ms)),
    };
    Some(TimeRange { from, to })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(text: &str) -> Expr {
        parse(text)
            .unwrap_or_else(|e| panic!("{text:?}: {e}"))
            .unwrap_or_else(|| panic!("{text:?} is empty"))
    }

    fn err(text: &str) -> (usize, String) {
        let e = parse(text).expect_err(text);
        (e.position, e.message)
    }

    fn queue(q: &str) -> Expr {
        Expr::leaf(Filter {
            queue_ids: vec![q.into()],
            ..Filter::default()
        })
    }

    fn agent(a: &str) -> Expr {
        Expr::leaf(Filter {
            agents: vec![a.into()],
            ..Filter::default()
        })
    }

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn and_binds_tighter_than_or_and_not_tighter_than_and() {
        let unsuccessful = Expr::leaf(Filter {
            outcomes: vec![Outcome::Unsuccessful],
            ..Filter::default()
        });
        assert_eq!(
            ok("(queue_id:Q1 OR agent:ana@x.com) AND NOT outcome:unsuccessful"),
            Expr::And(vec![
                Expr::Or(vec![queue("Q1"), agent("ana@x.com")]),
                Expr::Not(Box::new(unsuccessful.clone())),
            ])
        );
        assert_eq!(
            ok("queue_id:Q1 or agent:a and not outcome=unsuccessful"),
            Expr::Or(vec![
                queue("Q1"),
                Expr::And(vec![agent("a"), Expr::Not(Box::new(unsuccessful))]),
            ])
        );
        // Juxtaposition is AND.
        assert_eq!(
            ok("queue_id:Q1 agent:a"),
            Expr::And(vec![queue("Q1"), agent("a")])
        );
    }

    #[test]
    fn quoted_values_keep_spaces_parentheses_and_escapes() {
        assert_eq!(
            ok(r#"disposition:"No answer (left \"vm\")""#),
            Expr::leaf(Filter {
                dispositions: vec![r#"No answer (left "vm")"#.into()],
                ..Filter::default()
            })
        );
        assert_eq!(
            ok("data.region:emea"),
            Expr::leaf(Filter {
                data: vec![("region".into(), "emea".into())],
                ..Filter::default()
            })
        );
        // A keyword as a value is a value.
        assert_eq!(ok("queue_id:OR"), queue("OR"));
    }

    #[test]
    fn times_and_durations_compare_to_the_millisecond() {
        let at = t("2026-11-01T00:00:00Z");
        let next = t("2026-11-01T00:00:00.001Z");
        let started = |from, to| {
            Expr::leaf(Filter {
                started: TimeRange { from, to },
                ..Filter::default()
            })
        };
        assert_eq!(
            ok("started_at>=2026-11-01T00:00:00Z"),
            started(Some(at), None)
        );
        assert_eq!(
            ok("started_at>2026-11-01T00:00:00Z"),
            started(Some(next), None)
        );
        assert_eq!(
            ok("started_at<2026-11-01T00:00:00Z"),
            started(None, Some(at))
        );
        assert_eq!(
            ok("started_at<=2026-11-01T00:00:00Z"),
            started(None, Some(next))
        );
        assert_eq!(
            ok("started_at:2026-11-01T00:00:00Z"),
            started(Some(at), Some(next))
        );
        let duration = |min, max| {
            Expr::leaf(Filter {
                min_duration_ms: min,
                max_duration_ms: max,
                ..Filter::default()
            })
        };
        assert_eq!(ok("duration_ms>60000"), duration(Some(60_001), None));
        assert_eq!(ok("duration_ms<=60000"), duration(None, Some(60_000)));
        assert_eq!(ok("duration_ms:5"), duration(Some(5), Some(5)));
        assert_eq!(ok("duration_ms<0"), Expr::nothing());
    }

    #[test]
    fn errors_name_the_position() {
        assert_eq!(err("queue_id:").0, 10);
        assert_eq!(err("nope:1").0, 1);
        assert!(err("nope:1").1.contains("unknown field `nope`"));
        assert_eq!(err("state>active").0, 6);
        assert_eq!(err("state:bogus").0, 7);
        assert_eq!(err("duration_ms>soon").0, 13);
        assert_eq!(err("started_at>=2026-11-01").0, 13);
        assert_eq!(err("queue_id:a OR").0, 14);
        assert_eq!(err("queue_id:a AND AND team:b").0, 16);
        assert_eq!(err("OR team:b").0, 1);
        assert_eq!(err("  (queue_id:a").0, 3);
        assert_eq!(err("queue_id:a)").0, 11);
        assert_eq!(err("()").0, 2);
        assert_eq!(err(r#"team:"open"#).0, 6);
        assert_eq!(
            err("team"),
            (
                5,
                "expected `:` or a comparison after the field `team`".into()
            )
        );
        assert_eq!(parse("  ").unwrap(), None);
    }

    #[test]
    fn size_and_nesting_are_bounded() {
        let deep = format!(
            "{}team:a{}",
            "(".repeat(MAX_NESTING),
            ")".repeat(MAX_NESTING)
        );
        assert!(!ok(&deep).oversized());
        let deeper = format!("{}team:a", "NOT (".repeat(MAX_NESTING));
        assert_eq!(err(&deeper).0, MAX_NESTING * 5 / 2 + 1);
        let many = vec!["team:a"; MAX_EXPR_LEAVES].join(" OR ");
        assert!(!ok(&many).oversized());
        let too_many = vec!["team:a"; MAX_EXPR_LEAVES + 1].join(" OR ");
        assert_eq!(err(&too_many).0, MAX_EXPR_LEAVES * 10 + 1);
        assert_eq!(err(&"a".repeat(MAX_EXPR_CHARS + 1)).0, MAX_EXPR_CHARS + 1);
        assert!(err(&format!("team:{}", "a".repeat(1025)))
            .1
            .contains("at most 1024"));
    }

    proptest! {
        #[test]
        fn any_text_parses_or_fails_without_panicking(text in "\\PC{0,300}") {
            let _ = parse(&text);
        }

        #[test]
        fn what_parses_is_never_past_the_stores_limits(
            text in "((NOT |\\(|team:a|duration_ms>1| OR | AND |\\)) ){0,200}"
        ) {
            if let Ok(Some(x)) = parse(&text) {
                prop_assert!(!x.oversized(), "{text:?} → {x:?}");
            }
        }

        #[test]
        fn errors_point_inside_the_text_or_just_past_it(text in "[a-z_:()\" <>=NOTAD.0-9]{0,60}") {
            if let Err(e) = parse(&text) {
                prop_assert!(e.position >= 1 && e.position <= text.chars().count() + 1, "{e}");
            }
        }
    }
}

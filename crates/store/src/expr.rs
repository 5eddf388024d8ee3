//! A boolean expression over filters (the native `filter=` parameter): what the framework
//! parses and every backend compiles, with no SQL on this side.

use crate::Filter;

/// Most leaves one expression may hold, and how deeply it may nest. A backend refuses a
/// larger expression with [`crate::StoreError::Invalid`]; the parser stops earlier, naming
/// the position.
pub const MAX_EXPR_LEAVES: usize = crate::MAX_FILTER_VALUES;
pub const MAX_EXPR_DEPTH: usize = 32;

/// `AND`, `OR` and `NOT` over leaves that are plain filters. A leaf means exactly what the
/// same [`Filter`] means as plain parameters (so `NOT outcome:unsuccessful` matches the
/// engagements without an outcome too); a leaf's own [`Filter::expr`] is ignored.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Match(Box<Filter>),
    /// Every part matches; empty: everything.
    And(Vec<Expr>),
    /// Any part matches; empty: nothing.
    Or(Vec<Expr>),
    Not(Box<Expr>),
}

impl Expr {
    /// A leaf.
    pub fn leaf(filter: Filter) -> Expr {
        Expr::Match(Box::new(filter))
    }

    /// The expression that matches nothing.
    pub fn nothing() -> Expr {
        Expr::Or(Vec::new())
    }

    /// The number of leaves and the deepest nesting (a leaf alone is depth 1).
    pub fn size(&self) -> (usize, usize) {
        match self {
            Expr::Match(_) => (1, 1),
            Expr::Not(x) => {
                let (n, d) = x.size();
                (n, d + 1)
            }
            Expr::And(xs) | Expr::Or(xs) => xs.iter().fold((0, 1), |(n, d), x| {
                let (xn, xd) = x.size();
                (n + xn, d.max(xd + 1))
            }),
        }
    }

    /// Whether the expression, or a leaf of it, is past the limits.
    pub fn oversized(&self) -> bool {
        let (leaves, depth) = self.size();
        leaves > MAX_EXPR_LEAVES
            || depth > MAX_EXPR_DEPTH
            || self.leaves().any(|f| f.oversized().is_some())
    }

    /// Every leaf's filter, in order.
    pub fn leaves(&self) -> Box<dyn Iterator<Item = &Filter> + '_> {
        match self {
            Expr::Match(f) => Box::new(std::iter::once(f.as_ref())),
            Expr::Not(x) => x.leaves(),
            Expr::And(xs) | Expr::Or(xs) => Box::new(xs.iter().flat_map(|x| x.leaves())),
        }
    }

    /// Every leaf's filter, in order, to change.
    pub fn leaves_mut(&mut self) -> Vec<&mut Filter> {
        let mut out = Vec::new();
        fn walk<'a>(x: &'a mut Expr, out: &mut Vec<&'a mut Filter>) {
            match x {
                Expr::Match(f) => out.push(f.as_mut()),
                Expr::Not(x) => walk(x, out),
                Expr::And(xs) | Expr::Or(xs) => xs.iter_mut().for_each(|x| walk(x, out)),
            }
        }
        walk(self, &mut out);
        out
    }

    /// Evaluates the expression with `leaf` deciding each leaf.
    pub fn eval(&self, leaf: &mut impl FnMut(&Filter) -> bool) -> bool {
        match self {
            Expr::Match(f) => leaf(f),
            Expr::Not(x) => !x.eval(leaf),
            Expr::And(xs) => xs.iter().all(|x| x.eval(leaf)),
            Expr::Or(xs) => xs.iter().any(|x| x.eval(leaf)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_counts_leaves_and_nesting() {
        let leaf = || Expr::leaf(Filter::default());
        let e = Expr::And(vec![
            leaf(),
            Expr::Not(Box::new(Expr::Or(vec![leaf(), leaf()]))),
        ]);
        assert_eq!(e.size(), (3, 4));
        assert_eq!(e.leaves().count(), 3);
        let mut e = e;
        e.leaves_mut()[2].teams.push("t".into());
        assert_eq!(e.leaves().last().unwrap().teams, ["t"]);
        assert!(!Expr::nothing().eval(&mut |_| true));
        assert!(Expr::And(vec![]).eval(&mut |_| false));
    }
}

//! Checking that a store is whole, and rebuilding what is derived from the engagements
//! (`interlog check [--repair]`). A backend owns its SQL: it says what it found in words,
//! and rebuilds every table it derives from the bodies (search terms, figures, day counts…)
//! in one place, so a new derived table adds one case there.

use crate::Result;
use async_trait::async_trait;
use std::hash::{Hash, Hasher};

/// What [`Upkeep::check`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Engagements read.
    pub engagements: u64,
    /// What is wrong, each in words; empty when the store is whole.
    pub problems: Vec<String>,
}

/// What [`Upkeep::rebuild_derived`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rebuilt {
    /// Engagements whose derived rows were written again.
    pub engagements: u64,
    /// Engagements left out because their bodies do not decode (their derived rows are gone).
    pub unreadable: u64,
    /// Each derived table rebuilt, in words, and how many rows it holds now.
    pub tables: Vec<(&'static str, u64)>,
}

/// Verifying and mending a store.
#[async_trait]
pub trait Upkeep: Send + Sync {
    /// Verifies that the store is whole as of one moment, while it may be in use: the
    /// backend's own consistency check, every body decodes and agrees with its columns,
    /// every derived table agrees with the bodies, and the change feed's positions are
    /// unique and within each tenant's head.
    async fn check(&self) -> Result<CheckReport>;

    /// Writes every derived table again from the engagement bodies, in one transaction
    /// (writes wait for it).
    async fn rebuild_derived(&self) -> Result<Rebuilt>;
}

/// An order-independent digest of a multiset of rows: two tables hold the same rows (with
/// the same multiplicities) when their digests are equal, whatever order they were read in,
/// with the memory of two numbers. Rows are hashed as tuples of their columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Digest {
    rows: i64,
    sum: (u64, u64),
}

impl Digest {
    /// Adds one row.
    pub fn add(&mut self, row: impl Hash) {
        self.add_n(row, 1);
    }

    /// Adds `n` copies of a row (a row of counts adds its key `n` times).
    pub fn add_n(&mut self, row: impl Hash, n: i64) {
        let hash = |seed: u8| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            seed.hash(&mut h);
            row.hash(&mut h);
            h.finish()
        };
        let times = n as u64;
        self.rows += n;
        self.sum.0 = self.sum.0.wrapping_add(hash(1).wrapping_mul(times));
        self.sum.1 = self.sum.1.wrapping_add(hash(2).wrapping_mul(times));
    }

    /// How many rows it holds.
    pub fn rows(&self) -> i64 {
        self.rows
    }

    /// Says in words how `stored` (what the table `table` holds) differs from `expected`
    /// (what the bodies make), when it does.
    pub fn disagreement(table: &str, stored: &Digest, expected: &Digest) -> Option<String> {
        (stored != expected).then(|| {
            format!(
                "{table} disagree with the engagement bodies: {} rows stored, {} expected{} \
                 (interlog check --repair writes them again)",
                stored.rows,
                expected.rows,
                if stored.rows == expected.rows {
                    ", with different contents"
                } else {
                    ""
                }
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_compare_rows_whatever_their_order_and_count_copies() {
        let mut a = Digest::default();
        a.add((1, "x"));
        a.add((2, "y"));
        a.add((2, "y"));
        let mut b = Digest::default();
        b.add_n((2, "y"), 2);
        b.add((1, "x"));
        assert_eq!(a, b);
        assert_eq!(Digest::disagreement("search terms", &a, &b), None);
        b.add((3, "z"));
        let said = Digest::disagreement("search terms", &a, &b).unwrap();
        assert!(said.contains("3 rows stored, 4 expected"), "{said}");
        let mut c = Digest::default();
        c.add((1, "x"));
        c.add((2, "y"));
        c.add((2, "w"));
        assert!(Digest::disagreement("t", &a, &c)
            .unwrap()
            .contains("different contents"));
    }
}

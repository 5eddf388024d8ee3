-- The full-text index with every token under its tenant (`7:refund`) and each row's tenant
-- marker (`7:`), see words.rs: a query is asked with the tenant's tokens, so it reads that
-- tenant's matches only (a count of a word no longer looks each match up in engagements to
-- learn its tenant). Made anew, as migration 12 made it; the Rust part of this migration
-- writes the words of the engagements already stored, under their tenants.
DROP TABLE engagement_words;
CREATE VIRTUAL TABLE engagement_words USING fts5(
    words,
    content = '',
    tokenize = "unicode61 remove_diacritics 0 categories 'L* N* M* P* S* Co'"
);
INSERT INTO engagement_words (engagement_words, rank) VALUES ('secure-delete', 1);

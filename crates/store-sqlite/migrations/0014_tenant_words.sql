-- The full-text index with every token under its tenant (`7:refund`) and each row's tenant
-- marker (`7:`), see words.rs: a query is asked with the tenant's tokens, so it reads that
-- tenant's matches only (a count of a word no longer looks each match up in engagements to
-- learn its tenant). Made anew, as migration 12 made it but for the tokenizer; the Rust part
-- of this migration writes the words of the engagements already stored, under their tenants.
--
-- The tokenizer: the text FTS5 is given is tokens of interlog_store::search::tokenize (folded,
-- ASCII letters and digits, `- _ . @ /`, and characters past ASCII) and the tenant's `:`,
-- joined by spaces, and so are the queries. FTS5's ascii tokenizer with those joiners as token
-- characters splits such text exactly where unicode61 did (at the spaces), for less of the
-- writer's time than unicode61's per-character class look-ups.
DROP TABLE engagement_words;
CREATE VIRTUAL TABLE engagement_words USING fts5(
    words,
    content = '',
    tokenize = "ascii tokenchars '-_.@/:'"
);
INSERT INTO engagement_words (engagement_words, rank) VALUES ('secure-delete', 1);

-- Full-text search (the native `q`): each engagement's words as a tsvector built in Rust by
-- interlog_store::search (folded, identifiers kept whole, positions in the engagement's
-- token stream). No text-search configuration makes or reads them: queries are tsquery
-- values built the same way, so what is found never depends on the server's settings and
-- the GIN index always serves the match. The Rust part of this migration writes the words
-- of the engagements already stored; every write writes them in its transaction, and
-- derived::forget removes them with the engagement.
CREATE TABLE engagement_words (
    tenant_id bigint NOT NULL,
    id        text COLLATE "C" NOT NULL,
    words     tsvector NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX engagement_words_match ON engagement_words USING gin (words);

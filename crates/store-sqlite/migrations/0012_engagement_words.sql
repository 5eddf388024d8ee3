-- Full-text search (the native `q`): each engagement's words, as the tokenizer of
-- interlog_store::search makes them (folded, identifiers kept whole), under the
-- engagement's row number. The words are joined by spaces; FTS5's tokenizer here only
-- splits on spaces (every other character is part of a token), so FTS5 indexes exactly
-- those tokens and a query's tokens, quoted, are looked up as they are. Contentless: the
-- text is not kept twice; a row's words are removed (derived::forget) by giving FTS5 the
-- words again, made from the stored body, and in secure-delete mode, so that an erased
-- engagement's words leave the index in the same commit rather than at a later merge. The
-- Rust part of this migration writes the words of the engagements already stored.
CREATE VIRTUAL TABLE engagement_words USING fts5(
    words,
    content = '',
    tokenize = "unicode61 remove_diacritics 0 categories 'L* N* M* P* S* Co'"
);
INSERT INTO engagement_words (engagement_words, rank) VALUES ('secure-delete', 1);

-- Term values no engagement refers to any more are removed with the last reference (an
-- erased customer's identifiers must not stay in the file). Each removal bumps the
-- tenant's `pruned` count, so a writer in another process that remembers value numbers
-- forgets the tenant's before it uses one again.
ALTER TABLE term_value_ids ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0;

-- Values earlier versions left behind, unless a killed bulk load still has terms to merge
-- (they may refer to any value; the next deletion of each value's last reference
-- removes it then).
DELETE FROM term_values
WHERE NOT EXISTS (SELECT 1 FROM terms_pending)
  AND NOT EXISTS (
      SELECT 1 FROM terms t WHERE t.tenant_id = term_values.tenant_id AND t.value = term_values.id
  );
UPDATE term_value_ids SET pruned = pruned + 1;

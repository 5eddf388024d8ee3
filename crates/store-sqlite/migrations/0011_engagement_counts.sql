-- How many of a tenant's engagements started on each UTC day with each combination of
-- state, outcome, direction and channel types (see interlog_store::counting): a total over
-- those columns is summed from here, a few thousand rows for a million engagements, rather
-- than counted row by row. An absent outcome or direction is -1. The triggers below keep it
-- in the transaction of every write, whichever statement writes.
CREATE TABLE engagement_counts (
    tenant_id INTEGER NOT NULL,
    day       INTEGER NOT NULL,
    state     INTEGER NOT NULL,
    outcome   INTEGER NOT NULL,
    direction INTEGER NOT NULL,
    channels  INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day, state, outcome, direction, channels)
) WITHOUT ROWID;

INSERT INTO engagement_counts (tenant_id, day, state, outcome, direction, channels, n)
SELECT tenant_id, started - ((started % 86400000) + 86400000) % 86400000, state,
       coalesce(outcome, -1), coalesce(direction, -1), channels, count(*)
FROM engagements
GROUP BY 1, 2, 3, 4, 5, 6;

CREATE TRIGGER engagement_counts_insert AFTER INSERT ON engagements BEGIN
    INSERT INTO engagement_counts (tenant_id, day, state, outcome, direction, channels, n)
    VALUES (new.tenant_id, new.started - ((new.started % 86400000) + 86400000) % 86400000,
            new.state, coalesce(new.outcome, -1), coalesce(new.direction, -1), new.channels, 1)
    ON CONFLICT (tenant_id, day, state, outcome, direction, channels) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER engagement_counts_delete AFTER DELETE ON engagements BEGIN
    UPDATE engagement_counts SET n = n - 1
    WHERE tenant_id = old.tenant_id
      AND day = old.started - ((old.started % 86400000) + 86400000) % 86400000
      AND state = old.state AND outcome = coalesce(old.outcome, -1)
      AND direction = coalesce(old.direction, -1) AND channels = old.channels;
    DELETE FROM engagement_counts
    WHERE tenant_id = old.tenant_id
      AND day = old.started - ((old.started % 86400000) + 86400000) % 86400000
      AND state = old.state AND outcome = coalesce(old.outcome, -1)
      AND direction = coalesce(old.direction, -1) AND channels = old.channels AND n <= 0;
END;

CREATE TRIGGER engagement_counts_update
AFTER UPDATE OF tenant_id, started, state, outcome, direction, channels ON engagements
WHEN old.tenant_id IS NOT new.tenant_id
  OR old.started - ((old.started % 86400000) + 86400000) % 86400000
     IS NOT new.started - ((new.started % 86400000) + 86400000) % 86400000
  OR old.state IS NOT new.state OR old.outcome IS NOT new.outcome
  OR old.direction IS NOT new.direction OR old.channels IS NOT new.channels
BEGIN
    UPDATE engagement_counts SET n = n - 1
    WHERE tenant_id = old.tenant_id
      AND day = old.started - ((old.started % 86400000) + 86400000) % 86400000
      AND state = old.state AND outcome = coalesce(old.outcome, -1)
      AND direction = coalesce(old.direction, -1) AND channels = old.channels;
    INSERT INTO engagement_counts (tenant_id, day, state, outcome, direction, channels, n)
    VALUES (new.tenant_id, new.started - ((new.started % 86400000) + 86400000) % 86400000,
            new.state, coalesce(new.outcome, -1), coalesce(new.direction, -1), new.channels, 1)
    ON CONFLICT (tenant_id, day, state, outcome, direction, channels) DO UPDATE SET n = n + 1;
END;

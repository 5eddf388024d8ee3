-- How many of a tenant's engagements started on each UTC day with each combination of
-- state, outcome, direction and channel types (see interlog_store::counting): a total over
-- those columns is summed from here rather than counted row by row. An absent outcome or
-- direction is -1. Statement-level triggers keep it in the transaction of every write: one
-- grouped change per statement, its rows taken in key order. Every writer runs those
-- statements only once it holds the tenant's row of tenant_heads (see changes.rs), so a
-- tenant's counts are locked in one order and never contended.
CREATE TABLE engagement_counts (
    tenant_id bigint NOT NULL,
    day       bigint NOT NULL,
    state     smallint NOT NULL,
    outcome   smallint NOT NULL,
    direction smallint NOT NULL,
    channels  integer NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (tenant_id, day, state, outcome, direction, channels)
);

INSERT INTO engagement_counts (tenant_id, day, state, outcome, direction, channels, n)
SELECT tenant_id, started - ((started % 86400000) + 86400000) % 86400000, state,
       coalesce(outcome, -1), coalesce(direction, -1), channels, count(*)
FROM engagements
GROUP BY 1, 2, 3, 4, 5, 6;

CREATE FUNCTION engagement_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO engagement_counts AS c (tenant_id, day, state, outcome, direction, channels, n)
    SELECT tenant_id, started - ((started % 86400000) + 86400000) % 86400000, state,
           coalesce(outcome, -1), coalesce(direction, -1), channels, count(*)
    FROM new_rows
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (tenant_id, day, state, outcome, direction, channels)
    DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$;

CREATE FUNCTION engagement_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO engagement_counts AS c (tenant_id, day, state, outcome, direction, channels, n)
    SELECT tenant_id, started - ((started % 86400000) + 86400000) % 86400000, state,
           coalesce(outcome, -1), coalesce(direction, -1), channels, -count(*)
    FROM old_rows
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (tenant_id, day, state, outcome, direction, channels)
    DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$;

CREATE FUNCTION engagement_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO engagement_counts AS c (tenant_id, day, state, outcome, direction, channels, n)
    SELECT tenant_id, day, state, outcome, direction, channels, sum(k)
    FROM (
        SELECT tenant_id, started - ((started % 86400000) + 86400000) % 86400000 AS day, state,
               coalesce(outcome, -1) AS outcome, coalesce(direction, -1) AS direction,
               channels, 1 AS k
        FROM new_rows
        UNION ALL
        SELECT tenant_id, started - ((started % 86400000) + 86400000) % 86400000, state,
               coalesce(outcome, -1), coalesce(direction, -1), channels, -1
        FROM old_rows
    ) AS moved
    GROUP BY 1, 2, 3, 4, 5, 6
    HAVING sum(k) <> 0
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (tenant_id, day, state, outcome, direction, channels)
    DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$;

CREATE TRIGGER engagement_counts_insert AFTER INSERT ON engagements
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION engagement_counts_inserted();
CREATE TRIGGER engagement_counts_delete AFTER DELETE ON engagements
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION engagement_counts_deleted();
CREATE TRIGGER engagement_counts_update AFTER UPDATE ON engagements
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION engagement_counts_updated();

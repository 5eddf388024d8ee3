-- Analytics (interlog_store::Analytics). One row per queue visit of each engagement, and
-- one of the engagement's own when its handling is not carried by an answered visit (see
-- interlog_store::analytics::Facts), written in the engagement's own transaction. Keyed by
-- tenant and start time, so a range of time is one slice of the key; `row_no` numbers an
-- engagement's rows (its visits in order, then its own row).
CREATE TABLE figures (
    tenant_id    bigint NOT NULL,
    started      bigint NOT NULL,
    id           text COLLATE "C" NOT NULL,
    row_no       smallint NOT NULL,
    queue        text COLLATE "C",
    agent        text COLLATE "C",
    team         text COLLATE "C",
    channel_type smallint,
    direction    smallint,
    source       smallint,
    disposition  text COLLATE "C",
    -- The visit's status (0 waiting, 1 answered, 2 abandoned) and wait; NULL on the
    -- engagement's own row.
    status       smallint,
    wait_ms      bigint NOT NULL,
    -- The engagement's handling, on the one row that carries it (else false and 0).
    handled      boolean NOT NULL,
    talk_ms      bigint NOT NULL,
    hold_ms      bigint NOT NULL,
    wrap_up_ms   bigint NOT NULL,
    transferred  boolean NOT NULL,
    PRIMARY KEY (tenant_id, started, id, row_no)
);

-- The name each value figures are grouped by was last written with (`kind`: 1 queue,
-- 2 agent, 4 disposition).
CREATE TABLE figure_names (
    tenant_id bigint NOT NULL,
    kind      smallint NOT NULL,
    key       text COLLATE "C" NOT NULL,
    name      text NOT NULL,
    PRIMARY KEY (tenant_id, kind, key)
);

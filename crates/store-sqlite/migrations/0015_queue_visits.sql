-- Every queue visit of the engagements in `figures`, keyed by queue, status and start time,
-- so that a queue's visits per day are counted from slices of this key (`count(*)` of a
-- range, no row read or decoded) rather than from every engagement's facts: the overview
-- of a queue and `Analytics::queue_visits`. `queue` is the queue's `figure_keys` id (kind
-- 1); `status` 0 waiting, 1 answered, 2 abandoned; `visit` the visit's place in the
-- engagement's queues. Written and removed with the engagement's `figures` row (the
-- migration's Rust step, upgrade.rs, fills it from the stored facts).
CREATE TABLE queue_visits (
    tenant_id INTEGER NOT NULL,
    queue     INTEGER NOT NULL,
    status    INTEGER NOT NULL,
    started   INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    visit     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, queue, status, started, seq, visit)
) WITHOUT ROWID;

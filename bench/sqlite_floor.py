#!/usr/bin/env python3
"""SQLite's own floor for Interlog's schema: the rows of a loaded store copied with pure SQL
into a fresh file with the same schema, the way Interlog's bulk load writes them (rows with
the id and change-feed indexes live, then the other indexes built, then the search terms in
key order), with no fsync and a 1 GiB page cache. Prints the time of each step and the total.

    python3 bench/sqlite_floor.py SOURCE_DB SCRATCH_DB
"""
import sqlite3
import sys
import time

src, dst = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(dst, isolation_level=None)
conn.executescript(
    """
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = OFF;
    PRAGMA cache_size = -1048576;
    """
)
conn.execute("ATTACH DATABASE ? AS old", (src,))
schema = [
    sql
    for (sql,) in conn.execute(
        "SELECT sql FROM old.sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    )
]
tables = [s for s in schema if s.startswith("CREATE TABLE")]
indexes = [s for s in schema if s.startswith("CREATE INDEX") or s.startswith("CREATE UNIQUE INDEX")]
for s in tables:
    conn.execute(s)
steps = []


def step(name, sql):
    t0 = time.time()
    conn.execute("BEGIN")
    for s in sql if isinstance(sql, list) else [sql]:
        conn.execute(s)
    conn.execute("COMMIT")
    steps.append((name, time.time() - t0))
    print(f"{name}: {steps[-1][1]:.2f}s", flush=True)


n = conn.execute("SELECT count(*) FROM old.engagements").fetchone()[0]
step("small tables", [
    f"INSERT INTO main.{t} SELECT * FROM old.{t}"
    for t in ["schema_migrations", "tenants", "tenant_aliases", "clients", "users",
              "term_value_ids", "tenant_heads", "tombstones"]
])
step("term values", "INSERT INTO main.term_values SELECT * FROM old.term_values ORDER BY tenant_id, value")
# The indexes a bulk load keeps live: the unique ones and the change feed's (see
# KEPT_DURING_BULK_LOAD in crates/store-sqlite/src/schema.rs); it builds the others after.
live = [s for s in indexes if "UNIQUE" in s or "engagements_by_position" in s]
step("id and feed indexes", live)
step("engagement rows (id and feed indexes live)", "INSERT INTO main.engagements SELECT * FROM old.engagements ORDER BY seq")
step("deferred indexes", [s for s in indexes if s not in live and " ON engagements " in s])
step("search terms in key order", "INSERT INTO main.terms SELECT * FROM old.terms ORDER BY tenant_id, value, started, seq")
total = sum(t for _, t in steps)
print(f"FLOOR {n} engagements in {total:.2f}s = {n / total:.0f}/s")

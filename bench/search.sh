#!/usr/bin/env bash
# Full-text `q` on the BENCH_N data set (SQLite; PostgreSQL too with BENCH_SEARCH_PG=1):
#   word:    GET .../engagements?limit=20&q=WORD              (newest first; target p50 <= 20 ms
#            SQLite, <= 40 ms PostgreSQL)
#   phrase:  GET .../engagements?limit=20&q="PHRASE"          (target p50 <= 50 ms)
#   count:   GET .../engagements?limit=1&count=exact&q=WORD   (target p50 <= 150 ms)
# each asked SEARCH_REPEAT (20) times in turn over one connection (curl's time to the first
# byte; bench_latency); the count again on a copy where another tenant has an engagement
# (the count then reads each match's row). Then the size of the full-text index against the store's bytes
# (SQLite: dbstat; target <= 35%), and the import rate with the index: a fresh
# `interlog import` of the data set, against the same import by BENCH_BASELINE_BIN (an
# interlog binary without the index, e.g. main's release build) when it is given (target
# >= 85% of it). WORD (SEARCH_WORD, default "refund") and PHRASE (SEARCH_PHRASE, default
# "goodwill credit") are words of the generator's notes, subjects and transcripts.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

repeat="${SEARCH_REPEAT:-20}"
word="${SEARCH_WORD:-refund}"
phrase="${SEARCH_PHRASE:-goodwill credit}"
list="/api/v1/tenants/$TENANT/engagements"
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
declare -A path=(
    [word]="$list?limit=20&q=$(enc "$word")"
    [phrase]="$list?limit=20&q=$(enc "\"$phrase\"")"
    [count]="$list?limit=1&count=exact&q=$(enc "$word")"
)

# The count=exact answer of the server at BASE: the total, or ">=N" when its budget ran out
# ("total_at_least").
count_answer() {
    api_get "${path[count]}" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["total"] if "total" in d else ">=%d (the count budget ran out)" % d["total_at_least"])'
}

# Measures the three searches against the server at BASE; BACKEND names the figures.
measure() {
    local backend="$1" run total
    total=$(count_answer)
    log "$backend: q=$word matches $total of $BENCH_N; uptime: $(uptime)"
    for run in word phrase count; do
        bench_latency "search-$backend-$run" "$BASE${path[$run]}" "$repeat" \
            -H "Authorization: Bearer $TOKEN"
        n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["engagements"]))' \
            "$WORK/search-$backend-$run.out")
        figure "search_${run}_${backend} p50 ${LAT_P50} ms, p95 ${LAT_P95} ms, max ${LAT_MAX} ms, ${LAT_CPU} ms CPU a request ($n on the page; q=$word, phrase \"$phrase\"; load: $(cut -d' ' -f1-3 /proc/loadavg))"
    done
}

# --- SQLite --------------------------------------------------------------------------------
dir=$(bench_dataset "$BENCH_N")
bench_serve "$dir"
bench_token "$dir"
measure sqlite
bench_stop_server "$SERVER_PID"

read -r index_bytes store_bytes < <(python3 - "$dir/interlog.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
idx = db.execute("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'engagement_words%'").fetchone()[0]
total = db.execute("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()").fetchone()[0]
print(idx, total)
PY
) || die "reading the index size (python3's sqlite3 needs dbstat)"
figure "search_index_share_sqlite $(calc "$index_bytes * 100 / $store_bytes" %.1f)% ($index_bytes of $store_bytes bytes; target <= 35%)"

# --- the count when other tenants have engagements -----------------------------------------
# A count of a query alone is read from the full-text index alone while the tenant is the only
# one with engagements (the index has no tenant column); once another tenant has one, each
# match's row is read for its tenant. The same count on a copy with one more tenant.
bench_scratch_copy search-two-tenants
"$BIN" tenant create "$TENANT-other" --data "$SCRATCH_DIR" > /dev/null || die "tenant create"
"$BIN" generate --tenant "$TENANT-other" --count 1 --seed 7 > "$SCRATCH_DIR/other.ndjson" || die "generate"
"$BIN" import --tenant "$TENANT-other" --data "$SCRATCH_DIR" "$SCRATCH_DIR/other.ndjson" 2> /dev/null \
    || die "import the other tenant's engagement"
bench_serve "$SCRATCH_DIR"
bench_token "$SCRATCH_DIR"
total=$(count_answer)
bench_latency "search-sqlite-count-two-tenants" "$BASE${path[count]}" "$repeat" \
    -H "Authorization: Bearer $TOKEN"
figure "search_count_sqlite_two_tenants p50 ${LAT_P50} ms, p95 ${LAT_P95} ms, max ${LAT_MAX} ms, ${LAT_CPU} ms CPU a request (q=$word: $total; another tenant holds 1 engagement; load: $(cut -d' ' -f1-3 /proc/loadavg))"
bench_stop_server "$SERVER_PID"
rm -rf "$SCRATCH_DIR"

# --- import rate with the index ------------------------------------------------------------
file=$(bench_ndjson "$BENCH_N")
scratch="$WORK/search-import-$BENCH_N"
on_exit "rm -rf '$scratch'"
bench_fresh_dir "$scratch"
read -r secs created cpu < <(bench_import "$scratch" "$file" "$BENCH_N")
rate=$(calc "$created / $secs")
cpu_us=$(calc "$cpu * 1000000 / $created" %.0f)
rm -rf "$scratch"
if [[ -n "${BENCH_BASELINE_BIN:-}" ]]; then
    bench_fresh_dir "$scratch"
    read -r base_secs base_created base_cpu < <(BIN="$BENCH_BASELINE_BIN" bench_import "$scratch" "$file" "$BENCH_N")
    base_rate=$(calc "$base_created / $base_secs")
    base_cpu_us=$(calc "$base_cpu * 1000000 / $base_created" %.0f)
    rm -rf "$scratch"
    figure "search_import_rate $rate engagements/s with the index ($cpu_us µs CPU each), $base_rate with BENCH_BASELINE_BIN ($base_cpu_us µs CPU each): $(calc "$rate * 100 / $base_rate" %.1f)% of its rate, $(calc "$base_cpu * 100 / $cpu" %.1f)% by CPU (target >= 85% of the rate without the index; load: $(cut -d' ' -f1-3 /proc/loadavg))"
else
    figure "search_import_rate $rate engagements/s with the index, $cpu_us µs CPU each (set BENCH_BASELINE_BIN to compare; load: $(cut -d' ' -f1-3 /proc/loadavg))"
fi

# --- PostgreSQL ----------------------------------------------------------------------------
if [[ "${BENCH_SEARCH_PG:-0}" == 1 ]]; then
    bench_pg_start "$WORK/pg"
    pgdata="$WORK/search-pgdata-$BENCH_N"
    rm -rf "$pgdata"
    mkdir -p "$pgdata"
    on_exit "rm -rf '$pgdata'"
    "$BIN" tenant create "$TENANT" --data "$pgdata" --store "$PG_URL" > /dev/null || die "tenant create"
    "$BIN" client create --tenant "$TENANT" --role admin --data "$pgdata" --store "$PG_URL" \
        > "$pgdata/bench-client.json" || die "client create"
    "$BIN" import --tenant "$TENANT" --data "$pgdata" --store "$PG_URL" "$file" 2> "$pgdata/import.log" \
        || { cat "$pgdata/import.log" >&2; die "interlog import"; }
    psql "$PG_URL" -qc "VACUUM ANALYZE" || die "vacuum analyze"
    read -r pg_index pg_total < <(psql "$PG_URL" -Atc \
        "SELECT pg_total_relation_size('engagement_words'), pg_database_size(current_database())" | tr '|' ' ')
    figure "search_index_share_postgres $(calc "$pg_index * 100 / $pg_total" %.1f)% ($pg_index of $pg_total bytes)"
    port=$(free_port)
    BASE="http://127.0.0.1:$port"
    "$BIN" serve --listen "127.0.0.1:$port" --data "$pgdata" --store "$PG_URL" > "$WORK/server-search-pg.log" 2>&1 &
    SERVER_PID=$!
    on_exit "bench_stop_server $SERVER_PID"
    for ((i = 0; i < 600; i++)); do
        [[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz" 2> /dev/null || true)" == 200 ]] && break
        kill -0 "$SERVER_PID" 2> /dev/null || die "the PostgreSQL server exited during start-up"
        sleep 0.1
    done
    bench_token "$pgdata"
    measure postgres
fi

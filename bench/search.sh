#!/usr/bin/env bash
# Full-text `q` on the BENCH_N data set (SQLite; PostgreSQL too with BENCH_SEARCH_PG=1):
#   word:    GET .../engagements?limit=20&q=WORD              (newest first; target p50 <= 20 ms
#            SQLite, <= 40 ms PostgreSQL)
#   phrase:  GET .../engagements?limit=20&q="PHRASE"          (target p50 <= 50 ms)
#   count:   GET .../engagements?limit=1&count=exact&q=WORD   (target p50 <= 150 ms)
#   rare:    GET .../engagements?limit=20&q=RARE              (a word found nowhere: what a
#            page costs when no engagement has the words; no target of its own)
# each asked SEARCH_REPEAT (20) times in turn over one connection (curl's time to the first
# byte; bench_latency); the count again on a copy where another tenant holds BENCH_N / 10
# engagements with the same vocabulary (each tenant's words are its own in the index, so
# the count should not move). Then the size of the full-text index against the store's
# bytes (SQLite: dbstat; target <= 35%), and the import rate with the index: a fresh
# `interlog import` of the data set, against the same import without the index (the same
# binary into a store whose `engagement_words` is a plain table that drops every insert,
# or BENCH_BASELINE_BIN, a binary without the index, when it is given; target >= 85%). WORD (SEARCH_WORD, default "refund") and PHRASE (SEARCH_PHRASE, default
# "goodwill credit") are words of the generator's notes, subjects and transcripts.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

repeat="${SEARCH_REPEAT:-20}"
word="${SEARCH_WORD:-refund}"
phrase="${SEARCH_PHRASE:-goodwill credit}"
rare="${SEARCH_RARE:-quokka}"
list="/api/v1/tenants/$TENANT/engagements"
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
declare -A path=(
    [word]="$list?limit=20&q=$(enc "$word")"
    [phrase]="$list?limit=20&q=$(enc "\"$phrase\"")"
    [count]="$list?limit=1&count=exact&q=$(enc "$word")"
    [rare]="$list?limit=20&q=$(enc "$rare")"
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
    for run in word phrase count rare; do
        bench_latency "search-$backend-$run" "$BASE${path[$run]}" "$repeat" \
            -H "Authorization: Bearer $TOKEN"
        n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["engagements"]))' \
            "$WORK/search-$backend-$run.out")
        figure "search_${run}_${backend} p50 ${LAT_P50} ms, p95 ${LAT_P95} ms, max ${LAT_MAX} ms, ${LAT_CPU} ms CPU a request ($n on the page; q=$word, phrase \"$phrase\", rare $rare; load: $(cut -d' ' -f1-3 /proc/loadavg))"
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

# --- the count when another tenant has engagements with the same words --------------------
# The index holds each tenant's tokens under the tenant (words.rs): a count of a query alone
# reads the tenant's matches only, however many the other tenants have. The same count on a
# copy where another tenant holds a tenth as many engagements of the same generator.
other_n=$((BENCH_N / 10))
bench_scratch_copy search-two-tenants
"$BIN" tenant create "$TENANT-other" --data "$SCRATCH_DIR" > /dev/null || die "tenant create"
"$BIN" generate --tenant "$TENANT-other" --count "$other_n" --seed 7 > "$SCRATCH_DIR/other.ndjson" || die "generate"
"$BIN" import --tenant "$TENANT-other" --data "$SCRATCH_DIR" "$SCRATCH_DIR/other.ndjson" 2> /dev/null \
    || die "import the other tenant's engagement"
bench_serve "$SCRATCH_DIR"
bench_token "$SCRATCH_DIR"
total=$(count_answer)
bench_latency "search-sqlite-count-two-tenants" "$BASE${path[count]}" "$repeat" \
    -H "Authorization: Bearer $TOKEN"
figure "search_count_sqlite_two_tenants p50 ${LAT_P50} ms, p95 ${LAT_P95} ms, max ${LAT_MAX} ms, ${LAT_CPU} ms CPU a request (q=$word: $total; another tenant holds $other_n engagements; load: $(cut -d' ' -f1-3 /proc/loadavg))"
bench_stop_server "$SERVER_PID"
rm -rf "$SCRATCH_DIR"

# --- import rate with the index ------------------------------------------------------------
# Without the index: BENCH_BASELINE_BIN when given, else the same binary into a fresh store
# whose engagement_words is a plain table with a trigger that drops every insert (the words
# are still made, on the preparing threads; nothing is indexed). Imported alternately,
# SEARCH_IMPORT_ROUNDS (1) times each; the CPU time an engagement is steadier than the rate
# when other work shares the machine.
file=$(bench_ndjson "$BENCH_N")
scratch="$WORK/search-import-$BENCH_N"
on_exit "rm -rf '$scratch'"
without_index() {
    python3 - "$scratch/interlog.db" <<'PY' || die "switching the index off"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("""
    DROP TABLE engagement_words;
    CREATE TABLE engagement_words (words);
    CREATE TRIGGER engagement_words_dropped BEFORE INSERT ON engagement_words
    BEGIN SELECT RAISE(IGNORE); END;
""")
PY
}
import_once() { # with|without -> "SECONDS CREATED CPU"
    bench_fresh_dir "$scratch"
    if [[ "$1" == without && -n "${BENCH_BASELINE_BIN:-}" ]]; then
        BIN="$BENCH_BASELINE_BIN" bench_import "$scratch" "$file" "$BENCH_N"
    else
        [[ "$1" == with ]] || without_index
        bench_import "$scratch" "$file" "$BENCH_N"
    fi
    rm -rf "$scratch"
}
declare -A secs=([with]=0 [without]=0) cpu=([with]=0 [without]=0)
for ((round = 0; round < ${SEARCH_IMPORT_ROUNDS:-1}; round++)); do
    for kind in with without; do
        read -r s created c < <(import_once "$kind")
        secs[$kind]=$(calc "${secs[$kind]} + $s" %.3f)
        cpu[$kind]=$(calc "${cpu[$kind]} + $c" %.3f)
    done
done
n=$(calc "$BENCH_N * ${SEARCH_IMPORT_ROUNDS:-1}" %.0f)
rate=$(calc "$n / ${secs[with]}")
base_rate=$(calc "$n / ${secs[without]}")
baseline="${BENCH_BASELINE_BIN:-the same binary, index dropped}"
figure "search_import_rate $rate engagements/s with the index ($(calc "${cpu[with]} * 1000000 / $n" %.0f) µs CPU each), $base_rate without ($baseline; $(calc "${cpu[without]} * 1000000 / $n" %.0f) µs CPU each): $(calc "$rate * 100 / $base_rate" %.1f)% of its rate, $(calc "${cpu[without]} * 100 / ${cpu[with]}" %.1f)% by CPU (target >= 85% of the rate without the index; ${SEARCH_IMPORT_ROUNDS:-1} round(s) each; load: $(cut -d' ' -f1-3 /proc/loadavg))"

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
    # The import timed, then the same into a second database whose engagement_words drops
    # every insert (a BEFORE INSERT trigger returning NULL): the index's cost on PostgreSQL.
    pg_import() { # URL DIR -> "SECONDS CPU"
        local t0 t1
        t0=$(now)
        /usr/bin/time -f "%U %S" -o "$2/import.cpu" \
            "$BIN" import --tenant "$TENANT" --data "$2" --store "$1" "$file" 2> "$2/import.log" \
            || { cat "$2/import.log" >&2; die "interlog import"; }
        t1=$(now)
        grep -q " $BENCH_N created" "$2/import.log" || { cat "$2/import.log" >&2; die "import created too few"; }
        printf '%s %s\n' "$(calc "$t1 - $t0" %.3f)" "$(awk '{ printf "%.2f", $1 + $2 }' "$2/import.cpu")"
    }
    read -r pg_secs pg_cpu < <(pg_import "$PG_URL" "$pgdata")
    psql "$PG_URL" -qc "CREATE DATABASE nowords" || die "create database"
    nowords_url="${PG_URL%/*}/nowords"
    nowords="$WORK/search-pgdata-nowords"
    rm -rf "$nowords"
    mkdir -p "$nowords"
    on_exit "rm -rf '$nowords'"
    "$BIN" tenant create "$TENANT" --data "$nowords" --store "$nowords_url" > /dev/null || die "tenant create"
    psql "$nowords_url" -q <<'SQL' || die "switching the index off"
CREATE FUNCTION words_dropped() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';
CREATE TRIGGER engagement_words_dropped BEFORE INSERT ON engagement_words
    FOR EACH ROW EXECUTE FUNCTION words_dropped();
SQL
    read -r pg_base_secs pg_base_cpu < <(pg_import "$nowords_url" "$nowords")
    figure "search_import_rate_postgres $(calc "$BENCH_N / $pg_secs") engagements/s with the index ($(calc "$pg_cpu * 1000000 / $BENCH_N" %.0f) µs CPU of interlog each), $(calc "$BENCH_N / $pg_base_secs") without ($(calc "$pg_base_cpu * 1000000 / $BENCH_N" %.0f) µs): $(calc "$pg_base_secs * 100 / $pg_secs" %.1f)% of its rate (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    psql "$PG_URL" -qc "DROP DATABASE nowords" || die "drop database"
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

#!/usr/bin/env bash
# The PostgreSQL backend at BENCH_N engagements, against the SQLite backend in the same
# run (the same binary, data and load generator, one after the other):
#
#   1. import:  `interlog import --store postgres://…` of the BENCH_N generated engagements
#               into an empty database (wall time of the command). Target >= 25,000/s.
#   2. list/get through one instance, SQLite then PostgreSQL: the list.lua and get.lua
#               loads of list.sh and get.sh. Target: PostgreSQL >= 0.5x SQLite.
#   3. list/get through two instances on the one database: two wrk runs at once, each at
#               half the connections, one per instance; the total.
#   4. deep page: the first page vs the page after 100,000 rows by cursor, on PostgreSQL.
#               Target: within 1.5x.
#   5. upserts: durable single PUTs from BENCH_CONNECTIONS clients (upsert.lua), new ids,
#               on PostgreSQL; the count grows by exactly the 201s, also after the server is
#               killed (SIGKILL) and restarted. Target >= 3,000/s.
#   6. the change feed: `interlog export --changes-after 0` of the imported tenant (the
#               BENCH_N changes of step 1, read 1,000 at a time), wall time of the command.
#               Target >= 50,000 changes/s.
#
# PostgreSQL 15 runs in a throw-away cluster under bench/.work/pg (scripts/pg-cluster),
# removed at the end, with settings for a bulk-loading server on this machine (below).
# BENCH_PG_COPY=text measures the import with COPY's text format instead of binary.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

bench_pg_start "$WORK/pg"
pg_url=$PG_URL
copy="${BENCH_PG_COPY:-binary}"
store="$pg_url?copy=$copy"
log "store: $store; machine: $(uptime)"

# The SQLite data set and the sampled ids (cached; made first, since making them is not
# measured here).
sqdir=$(bench_dataset "$BENCH_N")
bench_sample "$sqdir"

# --- 1. import ----------------------------------------------------------------------------
file=$(bench_ndjson "$BENCH_N")
log "machine before the import: $(uptime)"
pgdata="$WORK/pgdata-$BENCH_N"
rm -rf "$pgdata"
mkdir -p "$pgdata"
on_exit "rm -rf '$pgdata'"
"$BIN" tenant create "$TENANT" --data "$pgdata" --store "$store" > /dev/null || die "tenant create"
"$BIN" client create --tenant "$TENANT" --role admin --data "$pgdata" --store "$store" \
    > "$pgdata/bench-client.json" || die "client create"
log "importing $BENCH_N engagements into PostgreSQL (COPY $copy)"
t0=$(now)
"$BIN" import --tenant "$TENANT" --data "$pgdata" --store "$store" "$file" 2> "$pgdata/import.log" \
    || { cat "$pgdata/import.log" >&2; die "interlog import"; }
t1=$(now)
summary=$(grep '^imported ' "$pgdata/import.log" | tail -n 1)
log "$summary"
created=$(sed -E 's/.* ([0-9]+) created.*/\1/' <<< "$summary")
[[ "$created" == "$BENCH_N" ]] || die "import created $created, expected $BENCH_N"
import_secs=$(calc "$t1 - $t0" %.3f)
import_rate=$(calc "$BENCH_N / $import_secs")
psql_size=$(psql "$pg_url" -Atc "SELECT pg_size_pretty(pg_database_size(current_database()))")
log "database size after the import: $psql_size"
psql "$pg_url" -qc "VACUUM ANALYZE" || die "vacuum analyze"

# --- 6. the change feed (measured here, while it holds exactly the import) ----------------
log "reading the change feed from the beginning (export --changes-after 0)"
t0=$(now)
feed_lines=$("$BIN" export --tenant "$TENANT" --data "$pgdata" --store "$store" \
    --changes-after 0 | wc -l) || die "interlog export --changes-after 0"
t1=$(now)
[[ "$feed_lines" == "$BENCH_N" ]] || die "the feed held $feed_lines changes, expected $BENCH_N"
feed_secs=$(calc "$t1 - $t0" %.3f)
feed_rate=$(calc "$BENCH_N / $feed_secs")

# --- 2. one instance, SQLite then PostgreSQL -----------------------------------------------
export TENANT IDS="$SAMPLE_IDS"
list="/api/v1/tenants/$TENANT/engagements"
declare -A rps p99

one_instance() {
    local name="$1"
    bench_probe "$list?limit=10"
    bench_probe "$list/$(head -n 1 "$SAMPLE_IDS")"
    bench_warmup list.lua "$BASE$list?limit=10"
    bench_wrk "list_$name" list.lua "$BASE$list?limit=10"
    bench_check_errors "list_$name"
    rps[list_$name]=$R_RPS p99[list_$name]=$R_P99_MS
    bench_warmup get.lua "$BASE"
    bench_wrk "get_$name" get.lua "$BASE"
    bench_check_errors "get_$name"
    rps[get_$name]=$R_RPS p99[get_$name]=$R_P99_MS
}

log "machine before the SQLite runs: $(uptime)"
bench_serve "$sqdir"
bench_token "$sqdir"
one_instance sqlite
bench_stop_server "$SERVER_PID"

log "machine before the PostgreSQL runs: $(uptime)"
INTERLOG_STORE="$store" bench_serve "$pgdata"
first_pid=$SERVER_PID first_base=$BASE
bench_token "$pgdata"
one_instance postgres

# --- 3. two instances ---------------------------------------------------------------------
INTERLOG_STORE="$store" bench_serve "$pgdata"
second_base=$BASE
BASE=$first_base

# Runs SCRIPT against both instances at once, half the connections each; sets TWO_RPS.
two_instances() {
    local name="$1" script="$2" path="$3" half=$((BENCH_CONNECTIONS / 2)) i out
    log "wrk $name on two instances: -c$half each"
    local pids=()
    for i in 1 2; do
        local base=$first_base
        [[ $i == 2 ]] && base=$second_base
        BENCH_LUA_DIR="$LUA_DIR" wrk -t1 -c"$half" -d"${BENCH_SECONDS}s" --timeout 10s --latency \
            -s "$LUA_DIR/$script" "$base$path" > "$WORK/wrk-$name-$i.txt" 2>&1 &
        pids+=($!)
    done
    wait "${pids[@]}"
    TWO_RPS=0
    for i in 1 2; do
        out=$(grep '^BENCH_RESULT ' "$WORK/wrk-$name-$i.txt" | tail -n 1) || die "no result from wrk $name $i"
        local r
        r=$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<< "$out")
        local bad
        bad=$(sed -E 's/.* non2xx=([0-9]+).*/\1/' <<< "$out")
        (( bad == 0 )) || log "WARNING: $name instance $i had $bad non-2xx responses"
        log "  instance $i: $r req/s"
        TWO_RPS=$(calc "$TWO_RPS + $r")
    done
}
two_instances list_two list.lua "$list?limit=10"
rps[list_two]=$TWO_RPS
two_instances get_two get.lua ""
rps[get_two]=$TWO_RPS
bench_stop_server "$SERVER_PID"
SERVER_PID=$first_pid BASE=$first_base

# --- 4. deep page -------------------------------------------------------------------------
pages="${BENCH_DEEP_PAGES:-100}"
max_pages=$((BENCH_N / 1000 - 1))
(( pages <= max_pages )) || pages=$max_pages
log "paging $pages x limit=1000 for a cursor $((pages * 1000)) rows deep"
cursor=$(python3 - "$BASE$list" "$TOKEN" "$pages" <<'PY'
import json, sys, urllib.parse, urllib.request
url, token, pages = sys.argv[1], sys.argv[2], int(sys.argv[3])
cursor = None
for _ in range(pages):
    q = {"limit": "1000"}
    if cursor:
        q["cursor"] = cursor
    req = urllib.request.Request(url + "?" + urllib.parse.urlencode(q),
                                 headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req) as r:
        cursor = json.load(r)["next_cursor"]
print(cursor)
PY
) || die "paging for the deep cursor"
deep="$list?limit=10&cursor=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$cursor")"
bench_probe "$deep"
bench_wrk deep_first list.lua "$BASE$list?limit=10"
rps[deep_first]=$R_RPS p99[deep_first]=$R_P99_MS
bench_wrk deep list.lua "$BASE$deep"
bench_check_errors deep
rps[deep]=$R_RPS p99[deep]=$R_P99_MS

# --- 5. upserts ---------------------------------------------------------------------------
before=$(bench_count)
export RUN_TAG="r$(date +%s)p$$" PUT_SECONDS="$BENCH_SECONDS"
grace=5
log "machine before the upserts: $(uptime)"
BENCH_SECONDS=$((BENCH_SECONDS + grace)) bench_wrk upserts_pg upsert.lua "$BASE"
after=$(bench_count)
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2> /dev/null || true
INTERLOG_STORE="$store" bench_serve "$pgdata"
bench_token "$pgdata"
after_restart=$(bench_count)
ok=1
(( after - before == R_CREATED )) || { ok=0; log "MISMATCH: grew by $((after - before)), $R_CREATED answered 201"; }
(( after_restart == after )) || { ok=0; log "MISMATCH: $after before the kill, $after_restart after"; }
(( R_PUT_FAILED == 0 && R_PUT_UNANSWERED == 0 )) || { ok=0; log "PROBLEM: failed $R_PUT_FAILED, unanswered $R_PUT_UNANSWERED"; }
check=$([[ $ok == 1 ]] && echo "count check ok" || echo "CHECK FAILED")
upsert_rate=$(calc "$R_CREATED / $R_PUT_SECONDS")

ratio() { calc "$1 / $2" %.2f; }
log "machine at the end: $(uptime)"
figure "pg_import_rate $import_rate engagements/s (target >= 25000; $BENCH_N in ${import_secs}s, COPY $copy; database $psql_size)"
figure "pg_list_rps ${rps[list_postgres]} req/s vs sqlite ${rps[list_sqlite]}: $(ratio "${rps[list_postgres]}" "${rps[list_sqlite]}")x (target >= 0.5; p99 ${p99[list_postgres]} vs ${p99[list_sqlite]} ms)"
figure "pg_get_rps ${rps[get_postgres]} req/s vs sqlite ${rps[get_sqlite]}: $(ratio "${rps[get_postgres]}" "${rps[get_sqlite]}")x (target >= 0.5; p99 ${p99[get_postgres]} vs ${p99[get_sqlite]} ms)"
figure "pg_list_rps_two_instances ${rps[list_two]} req/s in total (one instance: ${rps[list_postgres]})"
figure "pg_get_rps_two_instances ${rps[get_two]} req/s in total (one instance: ${rps[get_postgres]})"
figure "pg_deep_slowdown $(ratio "${rps[deep_first]}" "${rps[deep]}")x throughput, $(ratio "${p99[deep]}" "${p99[deep_first]}")x p99 (target <= 1.5; first ${rps[deep_first]} vs after $((pages * 1000)) rows ${rps[deep]} req/s)"
figure "pg_feed_read_rate $feed_rate changes/s (target >= 50000; $BENCH_N from position 0 in ${feed_secs}s, export --changes-after)"
figure "pg_upsert_rate $upsert_rate upserts/s (target >= 3000; $R_CREATED in ${R_PUT_SECONDS}s at $BENCH_CONNECTIONS connections; $check)"
(( ok == 1 ))

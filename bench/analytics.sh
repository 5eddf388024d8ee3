#!/usr/bin/env bash
# Analytics (GET /api/v1/tenants/bench/analytics) and the explorer's dashboard at BENCH_N
# engagements: the cached SQLite data set, then (ANALYTICS_PG=1, the default) the same
# engagements imported into a throw-away PostgreSQL 15 cluster (as postgres.sh does).
#
# Each request is asked ANALYTICS_REPEAT (20) times in turn over one keep-alive connection,
# after 3 unmeasured asks; the figure is curl's time to the first byte (loopback), p50/p95/
# max, and the server's CPU time a request (user + system from /proc/PID/stat). The range
# ends at the midnight (UTC, the tenant's zone) after the newest engagement:
#   day_queue_30d    30 days by day and queue               target p50 <= 50 ms (SQLite),
#                                                           <= 100 ms (PostgreSQL)
#   week_180d        180 days by week, every metric         target p50 <= 300 ms
#   week_queue_180d  180 days by week and queue             (for comparison)
#   dashboard_7d     /ui/dashboard, the last 7 days of the data by day, AHT by queue
#   dashboard_30d    /ui/dashboard, 30 days by day          target <= 150 ms each
#   one_queue_90d    90 days by day and queue of the most mentioned queue (queue_id=)
#   overview_queue   /ui?queue=NAME, the explorer's chart of that queue's visits per day
#                    over the same 90 days                  target <= 50 ms
# `uptime`'s load is printed beside each figure: other work on the machine slows them.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init
REPEAT="${ANALYTICS_REPEAT:-20}"
PG="${ANALYTICS_PG:-1}"

dir=$(bench_dataset "$BENCH_N")
"$BIN" user create --tenant "$TENANT" --username uibench --password uibench-pass --role reader \
    --data "$dir" > /dev/null 2>&1 || true

# Signs in to the explorer as uibench; sets JAR.
sign_in() {
    JAR="$WORK/analytics-cookies.txt"
    rm -f "$JAR"
    local page csrf code
    page=$(curl -sS -c "$JAR" -b "$JAR" "$BASE/ui/login") || die "GET /ui/login"
    csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' <<< "$page" | head -n 1)
    code=$(curl -sS -o /dev/null -w '%{http_code}' -c "$JAR" -b "$JAR" -X POST "$BASE/ui/login" \
        --data-urlencode "csrf=$csrf" --data-urlencode tenant="$TENANT" \
        --data-urlencode username=uibench --data-urlencode password=uibench-pass)
    [[ "$code" == 303 ]] || die "sign-in answered $code"
}

# The instants and dates the requests ask about, from the newest engagement.
range_of_data() {
    local newest
    newest=$(api_get "/api/v1/tenants/$TENANT/engagements?limit=1" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["engagements"][0]["started_at"])')
    read -r QUEUE_ID QUEUE_NAME < <(api_get "/api/v1/tenants/$TENANT/names?kind=queue&limit=1" \
        | python3 -c 'import json,sys; n = json.load(sys.stdin)["names"][0]; print(n["id"], n["name"])')
    read -r TO FROM30 FROM90 FROM180 DAY_LAST DAY_7 DAY_30 DAY_90 < <(python3 -c '
import sys, datetime as d
t = d.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
end = d.datetime(t.year, t.month, t.day, tzinfo=d.timezone.utc) + d.timedelta(days=1)
z = lambda x: x.strftime("%Y-%m-%dT%H:%M:%SZ")
day = lambda x: x.strftime("%Y-%m-%d")
print(z(end), z(end - d.timedelta(days=30)), z(end - d.timedelta(days=90)),
      z(end - d.timedelta(days=180)), day(end - d.timedelta(days=1)),
      day(end - d.timedelta(days=7)), day(end - d.timedelta(days=30)),
      day(end - d.timedelta(days=90)))
' "$newest")
    log "the data ends $newest: asking up to $TO"
}

# measure STORE NAME PATH TARGET: the figure of one request (with the token, or the
# explorer's cookie for /ui paths).
measure() {
    local store="$1" name="$2" path="$3" target="$4" auth=()
    if [[ "$path" == /ui* ]]; then auth=(-b "$JAR"); else auth=(-H "Authorization: Bearer $TOKEN"); fi
    bench_latency "analytics-$store-$name" "$BASE$path" "$REPEAT" "${auth[@]}"
    local p50=$LAT_P50 p95=$LAT_P95 max=$LAT_MAX cpu=$LAT_CPU
    log "$(printf '%-8s %-16s p50 %7s ms  p95 %7s ms  max %7s ms  server CPU %6s ms/request  (%s)' "$store" "$name" "$p50" "$p95" "$max" "$cpu" "$path")"
    figure "analytics_${store}_${name}_ms p50 $p50 p95 $p95 max $max (target $target; server CPU $cpu ms a request; $REPEAT requests, N=$BENCH_N, load $(cut -d' ' -f1 /proc/loadavg))"
}

run_all() {
    local store="$1" api="/api/v1/tenants/$TENANT/analytics"
    local fast="<= 50 ms"
    [[ "$store" == postgres ]] && fast="<= 100 ms"
    measure "$store" day_queue_30d "$api?from=$FROM30&to=$TO&interval=day&group_by=queue" "p50 $fast"
    measure "$store" week_180d "$api?from=$FROM180&to=$TO&interval=week" "p50 <= 300 ms"
    measure "$store" week_queue_180d "$api?from=$FROM180&to=$TO&interval=week&group_by=queue" "none"
    measure "$store" dashboard_7d "/ui/dashboard?from=$DAY_7&to=$DAY_LAST&interval=day&group=queue" "<= 150 ms"
    measure "$store" dashboard_30d "/ui/dashboard?from=$DAY_30&to=$DAY_LAST&interval=day&group=queue" "<= 150 ms"
    measure "$store" one_queue_90d "$api?from=$FROM90&to=$TO&interval=day&group_by=queue&queue_id=$QUEUE_ID" "none"
    local name
    name=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$QUEUE_NAME")
    measure "$store" overview_queue "/ui?queue=$name&from=$DAY_90&to=$DAY_LAST" "<= 50 ms"
}

# --- SQLite ---------------------------------------------------------------------------------
bench_serve "$dir"
bench_token "$dir"
sign_in
range_of_data
log "machine: $(uptime)"
run_all sqlite
bench_stop_server "$SERVER_PID"

[[ "$PG" == 1 ]] || exit 0

# --- PostgreSQL -----------------------------------------------------------------------------
bench_pg_start "$WORK/pg-analytics"
pg_url=$PG_URL
pgdata="$WORK/pgdata-analytics"
rm -rf "$pgdata"
mkdir -p "$pgdata"
on_exit "rm -rf '$pgdata'"
"$BIN" tenant create "$TENANT" --data "$pgdata" --store "$pg_url" > /dev/null || die "tenant create"
"$BIN" client create --tenant "$TENANT" --role admin --data "$pgdata" --store "$pg_url" \
    > "$pgdata/bench-client.json" || die "client create"
"$BIN" user create --tenant "$TENANT" --username uibench --password uibench-pass --role reader \
    --data "$pgdata" --store "$pg_url" > /dev/null || die "user create"
file=$(bench_ndjson "$BENCH_N")
log "importing $BENCH_N engagements into PostgreSQL; machine: $(uptime)"
t0=$(now)
"$BIN" import --tenant "$TENANT" --data "$pgdata" --store "$pg_url" "$file" 2> "$pgdata/import.log" \
    || { cat "$pgdata/import.log" >&2; die "interlog import"; }
t1=$(now)
log "$(grep '^imported ' "$pgdata/import.log" | tail -n 1) in $(calc "$t1 - $t0" %.1f) s"
psql "$pg_url" -qc "VACUUM ANALYZE" || die "vacuum analyze"
log "figures: $(psql "$pg_url" -Atc "SELECT count(*) || ' rows, ' || pg_size_pretty(pg_total_relation_size('figures')) FROM figures"); database: $(psql "$pg_url" -Atc "SELECT pg_size_pretty(pg_database_size(current_database()))")"
port=$(free_port)
BASE="http://127.0.0.1:$port"
SERVER_LOG="$WORK/server-analytics-pg.log"
"$BIN" serve --listen "127.0.0.1:$port" --data "$pgdata" --store "$pg_url" > "$SERVER_LOG" 2>&1 &
SERVER_PID=$!
on_exit "bench_stop_server $SERVER_PID"
for ((i = 0; i < 600; i++)); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz" 2> /dev/null || true)" == 200 ]] && break
    kill -0 "$SERVER_PID" 2> /dev/null || { tail -n 20 "$SERVER_LOG" >&2; die "the server exited"; }
    sleep 0.1
done
bench_token "$pgdata"
sign_in
log "machine: $(uptime)"
run_all postgres

#!/usr/bin/env bash
# A connector's backfill from a local Zoom: the cached BENCH_N data set served by one
# `interlog serve` with its Zoom dialect's rate limits off (the vendor), and a second server
# on an empty data directory (the puller) with a `zoom_cc` connector created through the API
# that reads it from `start_from` (the data set's first day) to now. Both servers and the
# script share the machine's cores.
#
#   1. server: the connector created, then its status polled every 2 s until `live`; the rate
#      is engagements created / seconds from creation to live; the puller's VmRSS sampled
#      all along (bench_rss_*), and the CPU time each server spent (/proc/PID/stat).
#   2. cli: the same backfill with `interlog sync --once` into another empty data directory
#      while no server runs on it (a migration), wall time and CPU of the command.
#
# Targets: >= 10,000 engagements/s end to end, RSS of the pulling server <= 200 MB.
# Both puller directories are removed at the end (the data set stays cached).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

vendor_dir=$(bench_dataset "$BENCH_N")
# The data set's history: `interlog generate`'s fixed end and 180 days before it.
start_from="${CONNECTOR_START_FROM:-2026-05-04T00:00:00Z}"

pid_cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; }

export INTERLOG_ZOOM_CC_RATE_LIMITS=off
bench_serve "$vendor_dir"
VENDOR="$BASE"
VENDOR_PID=$SERVER_PID
unset INTERLOG_ZOOM_CC_RATE_LIMITS
vendor_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_id"])' "$vendor_dir/bench-client.json")
vendor_secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_secret"])' "$vendor_dir/bench-client.json")
connector_body() {
    python3 - "$VENDOR" "$vendor_id" "$vendor_secret" "$start_from" <<'EOF'
import json, sys
vendor, cid, secret, start = sys.argv[1:5]
print(json.dumps({"kind": "zoom_cc", "base_url": vendor + "/v2", "token_url": vendor + "/oauth/token",
    "account_id": "bench", "client_id": cid, "client_secret": secret, "start_from": start,
    "poll_interval_secs": 3600}))
EOF
}

# --- 1. through the server ------------------------------------------------------------------
pull_dir="$WORK/connector-puller"
on_exit "rm -rf '$pull_dir'"
bench_fresh_dir "$pull_dir"
export INTERLOG_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true
bench_serve "$pull_dir"
PULLER_PID=$SERVER_PID
bench_token "$pull_dir"
bench_rss_start "$PULLER_PID" "$WORK/rss-connector.txt"
vendor_cpu0=$(pid_cpu "$VENDOR_PID")
puller_cpu0=$(pid_cpu "$PULLER_PID")
log "machine load before the backfill: $(uptime | sed 's/.*load average/load average/')"
t0=$(now)
view=$(curl -sS --fail-with-body -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "$(connector_body)" "$BASE/api/v1/tenants/$TENANT/connectors") || die "create the connector: $view"
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<< "$view")
log "connector $id created; waiting until it is live"
while :; do
    status=$(api_get "/api/v1/tenants/$TENANT/connectors/$id")
    read -r state created cursor <<< "$(python3 -c '
import json, sys
s = json.load(sys.stdin)["status"]
run = s.get("current_run") or s.get("last_run") or {"counts": {"created": 0}}
print(s["state"], run["counts"]["created"], s.get("cursor", "-"))' <<< "$status")"
    [[ "$state" == live ]] && break
    [[ "$state" == failing ]] && die "the connector is failing: $status"
    if (( $(calc "(($(now) - ${last_log:-0}) >= 10)" %d) )); then
        log "  $state: cursor $cursor, $created created so far ($(calc "$created / ($(now) - $t0)") /s); $(uptime | sed 's/.*load average/load average/')"
        last_log=$(now)
    fi
    sleep 0.5
done
# The end: when the run that went live ended (the polling above is coarser).
t1=$(python3 -c '
import datetime, json, sys
e = json.load(sys.stdin)["status"]["last_run"]["ended_at"]
print(datetime.datetime.fromisoformat(e.replace("Z", "+00:00")).timestamp())' <<< "$status")
bench_rss_stop "$WORK/rss-connector.txt"
vendor_cpu=$(calc "$(pid_cpu "$VENDOR_PID") - $vendor_cpu0" %.1f)
puller_cpu=$(calc "$(pid_cpu "$PULLER_PID") - $puller_cpu0" %.1f)
totals=$(python3 -c 'import json,sys; s = json.load(sys.stdin)["status"]; print(json.dumps(s["totals"]), json.dumps(s["last_run"]))' <<< "$status")
log "live: $totals"
created=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["totals"]["created"])' <<< "$status")
count=$(bench_count)
[[ "$count" == "$created" ]] || die "the puller holds $count engagements, the connector created $created"
secs=$(calc "$t1 - $t0" %.1f)
rate=$(calc "$created / ($t1 - $t0)")
log "server: $created engagements in ${secs}s = $rate/s; CPU: vendor ${vendor_cpu}s, puller ${puller_cpu}s ($(calc "$puller_cpu * 1000000 / $created") µs an engagement); puller RSS max ${RSS_MAX_MB} MB"
bench_stop_server "$PULLER_PID"
rm -rf "$pull_dir"

# --- 2. interlog sync --once ---------------------------------------------------------------
cli_dir="$WORK/connector-cli"
on_exit "rm -rf '$cli_dir'"
bench_fresh_dir "$cli_dir"
added=$("$BIN" connector add --tenant "$TENANT" --data "$cli_dir" --kind zoom_cc --start-from "$start_from" \
    --base-url "$VENDOR/v2" --token-url "$VENDOR/oauth/token" --set account_id=bench \
    --set "client_id=$vendor_id" --set "client_secret=$vendor_secret" --poll-interval-secs 3600) \
    || die "interlog connector add"
cli_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<< "$added")
log "machine load before sync --once: $(uptime | sed 's/.*load average/load average/')"
c0=$(now)
/usr/bin/time -f "%U %S %M" -o "$WORK/sync.cpu" "$BIN" sync --tenant "$TENANT" --data "$cli_dir" \
    --connector "$cli_id" --once 2> "$WORK/sync.log" || { cat "$WORK/sync.log" >&2; die "interlog sync"; }
c1=$(now)
tail -n 1 "$WORK/sync.log" >&2
cli_created=$(grep -oE 'created [0-9]+' "$WORK/sync.log" | tail -n 1 | cut -d' ' -f2)
read -r u s maxrss < "$WORK/sync.cpu"
cli_rate=$(calc "$cli_created / ($c1 - $c0)")
log "sync --once: $cli_created in $(calc "$c1 - $c0" %.1f)s = $cli_rate/s; CPU $(calc "$u + $s" %.1f)s; max RSS $(calc "$maxrss / 1024" %.0f) MB"
rm -rf "$cli_dir"

figure "connector_backfill_rate $rate engagements/s (target >= 10000; $created in ${secs}s through a server; CPU vendor ${vendor_cpu}s, puller ${puller_cpu}s)"
figure "connector_backfill_rss ${RSS_MAX_MB} MB (target <= 200; max VmRSS of the pulling server)"
figure "connector_sync_once_rate $cli_rate engagements/s (interlog sync --once, $cli_created in $(calc "$c1 - $c0" %.1f)s, max RSS $(calc "$maxrss / 1024" %.0f) MB)"

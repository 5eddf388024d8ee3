#!/usr/bin/env bash
# The change feed read from the beginning: GET /api/v1/tenants/bench/changes?after=P&limit=1000
# page after page over one keep-alive connection until its end, on the BENCH_N data set
# (every engagement is one change); changes per second. For comparison, the same feed
# written by `interlog export --changes-after 0` (offline, to /dev/null).
# Target: >= 50,000 changes/s at 1,000,000.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

dir=$(bench_dataset "$BENCH_N")
bench_serve "$dir"
bench_token "$dir"
bench_probe "/api/v1/tenants/$TENANT/changes?limit=1"

log "reading the feed over HTTP (once unmeasured, to warm the caches)"
python3 "$BENCH_DIR/lifecycle.py" feed "$BASE" "$TENANT" > /dev/null || die "feed warm-up"
read -r changes secs < <(python3 "$BENCH_DIR/lifecycle.py" feed "$BASE" "$TENANT") || die "feed"
(( changes >= BENCH_N )) || die "the feed held $changes changes, expected at least $BENCH_N"
rate=$(calc "$changes / $secs")
log "HTTP: $changes changes in ${secs}s"
bench_stop_server "$SERVER_PID"

t0=$(now)
"$BIN" export --tenant "$TENANT" --data "$dir" --changes-after 0 2> "$WORK/export-changes.log" > /dev/null \
    || { cat "$WORK/export-changes.log" >&2; die "interlog export --changes-after 0"; }
t1=$(now)
export_rate=$(calc "$changes / ($t1 - $t0)")

figure "changes_feed_rate $rate changes/s (target >= 50000; $changes changes from position 0 in ${secs}s, pages of 1000, one connection)"
figure "changes_export_rate $export_rate changes/s (interlog export --changes-after 0, offline)"

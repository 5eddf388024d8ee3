#!/usr/bin/env bash
# A live connector's lag: a vendor server (an empty tenant, its Zoom dialect with Zoom's Pro
# rate limits) and a puller with a `zoom_cc` connector polling every LIVE_POLL_SECS (10)
# seconds with the default lookback (900 s). Once the connector is live,
# `connector_live.py` writes LIVE_N (1,000) completed engagements to the vendor, LIVE_RATE
# (5) a second, and follows the puller's change feed: the lag of one arrival is from the
# moment the vendor answered its write to the moment the puller committed it.
#
# Target: p99 lag <= poll interval + 5 s.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

n="${LIVE_N:-1000}"
rate="${LIVE_RATE:-5}"
poll="${LIVE_POLL_SECS:-10}"

vendor_dir="$WORK/connector-live-vendor"
pull_dir="$WORK/connector-live-puller"
on_exit "rm -rf '$vendor_dir' '$pull_dir'"
bench_fresh_dir "$vendor_dir"
bench_serve "$vendor_dir"
VENDOR="$BASE"
bench_token "$vendor_dir"
VENDOR_TOKEN="$TOKEN"
vendor_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_id"])' "$vendor_dir/bench-client.json")
vendor_secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_secret"])' "$vendor_dir/bench-client.json")

bench_fresh_dir "$pull_dir"
export INTERLOG_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true
bench_serve "$pull_dir"
bench_token "$pull_dir"
start_from=$(date -u -d '-10 minutes' +%Y-%m-%dT%H:%M:%SZ)
body=$(python3 -c '
import json, sys
vendor, cid, secret, start, poll = sys.argv[1:6]
print(json.dumps({"kind": "zoom_cc", "base_url": vendor + "/v2", "token_url": vendor + "/oauth/token",
    "account_id": "bench", "client_id": cid, "client_secret": secret, "start_from": start,
    "poll_interval_secs": int(poll)}))' "$VENDOR" "$vendor_id" "$vendor_secret" "$start_from" "$poll")
view=$(curl -sS --fail-with-body -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "$body" "$BASE/api/v1/tenants/$TENANT/connectors") || die "create the connector: $view"
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<< "$view")
for ((i = 0; i < 300; i++)); do
    state=$(api_get "/api/v1/tenants/$TENANT/connectors/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["state"])')
    [[ "$state" == live ]] && break
    sleep 0.2
done
[[ "$state" == live ]] || die "the connector did not go live"
log "connector $id live; $n arrivals at $rate/s, polled every ${poll}s; $(uptime | sed 's/.*load average/load average/')"
result=$(python3 "$BENCH_DIR/connector_live.py" "$VENDOR" "$VENDOR_TOKEN" "$BASE" "$TOKEN" "$TENANT" "$n" "$rate") \
    || die "connector_live.py"
log "$result; $(uptime | sed 's/.*load average/load average/')"
status=$(api_get "/api/v1/tenants/$TENANT/connectors/$id")
log "status: $(python3 -c 'import json,sys; s = json.load(sys.stdin)["status"]; print(json.dumps({"state": s["state"], "totals": s["totals"], "last_run": s["last_run"]}))' <<< "$status")"
p99=$(sed -E 's/.*p99=([0-9.]+).*/\1/' <<< "$result")
p50=$(sed -E 's/.*p50=([0-9.]+).*/\1/' <<< "$result")
max=$(sed -E 's/.*max=([0-9.]+).*/\1/' <<< "$result")
missing=$(sed -E 's/.*missing=([0-9]+).*/\1/' <<< "$result")
figure "connector_live_lag_p99 ${p99}s (target <= $((poll + 5))s = poll interval ${poll}s + 5; p50 ${p50}s, max ${max}s over $n arrivals at ${rate}/s, missing $missing)"

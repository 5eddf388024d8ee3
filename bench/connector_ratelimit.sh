#!/usr/bin/env bash
# A connector's backfill against Zoom's real rate limits: the cached RL_N (50,000) data set
# served with the Zoom dialect's Pro limits (the list endpoint is Medium: 10 requests a
# second per account), and a puller with a `zoom_cc` connector reading it all. Reported: the
# list requests a second the backfill made (vs the 10 allowed), the requests the vendor
# refused with 429 (its `interlog_rate_limit_rejections_total`, and the connector's own
# `throttled` count), and the windows it read.
#
# Target: the backfill runs at the limit, with zero refused requests beyond the first 429 of
# each window.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

n="${RL_N:-50000}"
vendor_dir=$(bench_dataset "$n")
start_from="${CONNECTOR_START_FROM:-2026-05-04T00:00:00Z}"

export INTERLOG_ZOOM_CC_RATE_LIMITS=pro
bench_serve "$vendor_dir"
VENDOR="$BASE"
unset INTERLOG_ZOOM_CC_RATE_LIMITS
rejections() {
    curl -sS "$VENDOR/metrics" | awk '/^interlog_rate_limit_rejections_total\{api="zoom_cc"/ { s += $NF } END { print s + 0 }'
}
refused0=$(rejections)
vendor_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_id"])' "$vendor_dir/bench-client.json")
vendor_secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_secret"])' "$vendor_dir/bench-client.json")

pull_dir="$WORK/connector-rl-puller"
on_exit "rm -rf '$pull_dir'"
bench_fresh_dir "$pull_dir"
export INTERLOG_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true
bench_serve "$pull_dir"
bench_token "$pull_dir"
body=$(python3 -c '
import json, sys
vendor, cid, secret, start = sys.argv[1:5]
print(json.dumps({"kind": "zoom_cc", "base_url": vendor + "/v2", "token_url": vendor + "/oauth/token",
    "account_id": "bench", "client_id": cid, "client_secret": secret, "start_from": start,
    "poll_interval_secs": 3600}))' "$VENDOR" "$vendor_id" "$vendor_secret" "$start_from")
log "machine load: $(uptime | sed 's/.*load average/load average/')"
t0=$(now)
view=$(curl -sS --fail-with-body -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "$body" "$BASE/api/v1/tenants/$TENANT/connectors") || die "create the connector: $view"
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<< "$view")
while :; do
    status=$(api_get "/api/v1/tenants/$TENANT/connectors/$id")
    state=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["state"])' <<< "$status")
    [[ "$state" == live ]] && break
    [[ "$state" == failing ]] && die "the connector is failing: $status"
    sleep 1
done
t1=$(now)
refused=$(( $(rejections) - refused0 ))
read -r requests throttled created <<< "$(python3 -c '
import json, sys
s = json.load(sys.stdin)["status"]
r = s["last_run"]
print(r["requests"], r["throttled"], s["totals"]["created"])' <<< "$status")"
secs=$(calc "$t1 - $t0" %.1f)
# One request is the token's (Zoom's OAuth endpoint has no label).
rps=$(calc "($requests - 1) / ($t1 - $t0)" %.2f)
log "$created engagements in ${secs}s: $requests requests ($rps/s), $throttled answered 429, vendor refused $refused; $(uptime | sed 's/.*load average/load average/')"
figure "connector_ratelimited_requests_per_second $rps (Zoom Medium limit 10/s; $requests requests, $created engagements in ${secs}s)"
figure "connector_ratelimited_refused $refused (target: at most one a window; the vendor's 429s during the backfill; the connector counted $throttled)"

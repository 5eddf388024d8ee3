#!/usr/bin/env bash
# AXP journey search: POST /api/journey/v1/accounts/BENCHX/journeys:search for one phone
# number (written in another spelling than stored) whose customer has exactly 50
# engagements, in an account of BENCH_N generated engagements plus those 50; the answer is
# the customer's whole journey (pageSize 50). Median latency at BENCH_CONNECTIONS
# connections and at one connection (no queueing), with the AXP token endpoint's token and
# the client's application key.
# Target: <= 2 ms median, independent of the account's size.
# Its data set is its own (data-axp-N-seedS: the tenant needs an avaya_axp alias, which
# the shared data set's tenant has not), made from the same generated NDJSON.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

ACCOUNT=BENCHX
STORED_PHONE="099 555 0199"
SEARCHED_PHONE="+353 (99) 555-0199"

dir="$WORK/data-axp-$BENCH_N-seed$BENCH_SEED"
if [[ ! -f "$dir/.complete" ]]; then
    file=$(bench_ndjson "$BENCH_N")
    log "preparing the AXP data set of $BENCH_N + 50 engagements in $dir"
    rm -rf "$dir" "$dir.tmp"
    mkdir -p "$dir.tmp"
    "$BIN" tenant create "$TENANT" --alias "avaya_axp=$ACCOUNT" --country-code 353 --data "$dir.tmp" > /dev/null \
        || die "interlog tenant create $TENANT --alias avaya_axp=$ACCOUNT"
    "$BIN" client create --tenant "$TENANT" --role reader --app-key --data "$dir.tmp" > "$dir.tmp/axp-client.json" \
        || die "interlog client create --app-key"
    bench_import "$dir.tmp" "$file" "$BENCH_N" > /dev/null
    python3 - "$STORED_PHONE" > "$dir.tmp/customer.ndjson" <<'PY'
import json, sys, uuid, random
from datetime import datetime, timedelta, timezone
phone = sys.argv[1]
rnd = random.Random(7)
now = datetime(2026, 6, 1, tzinfo=timezone.utc)
for i in range(50):
    start = now - timedelta(days=rnd.randint(0, 179), seconds=rnd.randint(0, 86399))
    fmt = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    end = start + timedelta(seconds=rnd.randint(60, 1800))
    agent = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
    print(json.dumps({
        "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
        "status": "COMPLETED", "direction": "INBOUND",
        "startDate": fmt(start), "updateDate": fmt(end), "endDate": fmt(end),
        "channels": [{"id": "Voice", "type": "VOICE"}],
        "identifiers": {"phoneNumbers": [phone], "emailAddresses": [f"bench.customer{i % 3}@example.org"]},
        "participants": [
            {"id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)), "joinedAt": fmt(start), "leftAt": fmt(end), "type": "EXTERNAL", "channelId": "Voice", "channelType": "VOICE", "callingNumber": phone, "dialledNumber": "1590 12345", "dialogId": str(uuid.uuid4())},
            {"id": agent, "agentDisplayName": "John Smith", "joinedAt": fmt(start), "leftAt": fmt(end), "type": "AGENT", "channelId": "Voice", "channelType": "VOICE", "extension": "ext/1234", "dialogId": str(uuid.uuid4())},
        ],
        "conversations": ["Mortgage Application"],
        "data": {"referenceNumber": f"ref-{i}"},
        "queues": [{"queueId": "a12d14a2-99ad-4aed-8f55-5e87d18e9b9c", "channelId": "Voice", "queueName": "Default", "priority": 1, "queuedAt": fmt(start), "agentId": agent, "acceptedAt": fmt(start)}],
    }))
PY
    "$BIN" import --tenant "$TENANT" --format avaya_axp --data "$dir.tmp" "$dir.tmp/customer.ndjson" 2> "$dir.tmp/customer.log" \
        || { cat "$dir.tmp/customer.log" >&2; die "interlog import --format avaya_axp"; }
    echo "$BENCH_N" > "$dir.tmp/.complete"
    mv "$dir.tmp" "$dir"
fi

bench_serve "$dir"
client_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_id"])' "$dir/axp-client.json")
secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_secret"])' "$dir/axp-client.json")
APPKEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["app_key"])' "$dir/axp-client.json")
body=$(curl -sS --fail-with-body -X POST "$BASE/api/auth/v1/$ACCOUNT/protocol/openid-connect/token" \
    -H "appkey: $APPKEY" --data-urlencode grant_type=client_credentials \
    --data-urlencode "client_id=$client_id" --data-urlencode "client_secret=$secret") \
    || die "AXP token request failed: $body"
TOKEN=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' <<< "$body") \
    || die "no access_token in: $body"
AXP_BODY=$(python3 -c 'import json,sys; print(json.dumps({"identifiers": {"phoneNumbers": [sys.argv[1]]}}))' "$SEARCHED_PHONE")
export TOKEN APPKEY AXP_BODY
url="$BASE/api/journey/v1/accounts/$ACCOUNT/journeys:search"

code=$(curl -s -o "$WORK/probe-axp.json" -w '%{http_code}' -X POST "$url" -H "Authorization: Bearer $TOKEN" \
    -H "appkey: $APPKEY" -H 'Content-Type: application/json' -d "$AXP_BODY")
[[ "$code" == 200 ]] || { head -c 600 "$WORK/probe-axp.json" >&2; echo >&2; die "journeys:search answered $code"; }
python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert d["pagination"]["total"] == 50 and len(d["engagements"]) == 50, d["pagination"]' \
    "$WORK/probe-axp.json" || die "the journey does not hold the customer's 50 engagements"

bench_warmup axp_search.lua "$url"
bench_wrk axp_search axp_search.lua "$url"
bench_check_errors axp_search
loaded_p50=$R_P50_MS loaded_p99=$R_P99_MS loaded_rps=$R_RPS loaded_non2xx=$R_NON2XX
BENCH_CONNECTIONS=1 BENCH_THREADS=1 bench_wrk axp_search_1 axp_search.lua "$url"
bench_check_errors axp_search_1

figure "axp_search_p50_1conn $R_P50_MS ms (target <= 2; one connection, no queueing; p99 $R_P99_MS ms; $R_RPS req/s; $BENCH_N + 50 engagements; 50 in the journey; non-2xx $R_NON2XX)"
figure "axp_search_p50 $loaded_p50 ms ($BENCH_CONNECTIONS connections; p99 $loaded_p99 ms; $loaded_rps req/s; non-2xx $loaded_non2xx)"

#!/usr/bin/env bash
# Webhook delivery to a local receiver (bench/lifecycle.py receiver: asyncio, answers 204 at
# once), on a copy of the BENCH_N data set, one webhook for every event:
#  1. sustained: WEBHOOK_PACED_N (40,000) new engagements POSTed to /ingest at WEBHOOK_RATE
#     (2,000) a second (`lifecycle.py paced`: RATE/20 lines every 50 ms) while the receiver
#     is up; events delivered a second (first to last arrival) and the latency from each
#     write (the event's `timestamp`) to its arrival, p50/p99;
#  2. capacity: WEBHOOK_N (50,000) more in one POST, as fast as the server ingests them;
#     events a second from the first arrival to the last (and the latency, which here is
#     the backlog's when ingest outruns delivery);
#  3. receiver down: it is stopped, WEBHOOK_DOWN_N (20,000) more engagements are ingested,
#     it stays down WEBHOOK_DOWN_SECS (60) s, comes back; every event must arrive (distinct
#     positions counted), and the backlog's drain rate is reported.
# Targets: >= 2,000 events/s sustained, p99 from commit to delivery <= 1 s; every event
# delivered after the receiver was down for a minute.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

n0="${WEBHOOK_PACED_N:-40000}"
pace="${WEBHOOK_RATE:-2000}"
n1="${WEBHOOK_N:-50000}"
n2="${WEBHOOK_DOWN_N:-20000}"
down="${WEBHOOK_DOWN_SECS:-60}"
file0=$(bench_ndjson "$n0" $((BENCH_SEED + 4)))
file1=$(bench_ndjson "$n1" $((BENCH_SEED + 2)))
file2=$(bench_ndjson "$n2" $((BENCH_SEED + 3)))
bench_scratch_copy webhooks
export INTERLOG_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true
bench_serve "$SCRATCH_DIR"
bench_token "$SCRATCH_DIR"

rport=$(free_port)
RECEIVER_PID=
start_receiver() {
    python3 "$BENCH_DIR/lifecycle.py" receiver "$rport" "$1" &
    RECEIVER_PID=$!
    on_exit "kill $RECEIVER_PID 2>/dev/null || true"
    local i
    for ((i = 0; i < 100; i++)); do
        python3 "$BENCH_DIR/lifecycle.py" count "$rport" > /dev/null 2>&1 && return
        sleep 0.1
    done
    die "the receiver did not start"
}
stop_receiver() { kill -TERM "$RECEIVER_PID"; wait "$RECEIVER_PID" || true; }
# Waits until the receiver holds N distinct events (at most LIMIT seconds).
await_events() {
    local want="$1" limit="$2" t0 got=0
    t0=$(now)
    while :; do
        got=$(python3 "$BENCH_DIR/lifecycle.py" count "$rport")
        (( got >= want )) && return
        [[ $(calc "($(now) - $t0 > $limit)" %d) == 1 ]] && die "only $got of $want events arrived within ${limit}s"
        sleep 0.5
    done
}
ingest() {
    curl -sS --fail-with-body -X POST --data-binary "@$1" -H 'Expect:' \
        -H 'Content-Type: application/x-ndjson' -H "Authorization: Bearer $TOKEN" \
        "$BASE/api/v1/tenants/$TENANT/ingest" > "$WORK/webhook-ingest.json" || die "ingest $1"
    grep -q "\"created\":$2" "$WORK/webhook-ingest.json" || die "ingest: $(cat "$WORK/webhook-ingest.json")"
}

# events, rate, p50, p99 of a receiver's statistics file
receiver_stats() {
    python3 - "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
span = s["last"] - s["first"]
print(s["distinct_positions"], round(s["events"] / span), round(s["latency_p50_s"] * 1000), round(s["latency_p99_s"] * 1000))
PY
}

start_receiver "$WORK/webhook-stats-0.json"
hook=$(curl -sS --fail-with-body -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"url\":\"http://127.0.0.1:$rport/hook\",\"events\":[\"engagement.upserted\",\"engagement.deleted\"]}" \
    "$BASE/api/v1/tenants/$TENANT/webhooks") || die "webhook registration: $hook"
log "webhook: $hook"

log "1. $n0 engagements ingested at $pace/s while the receiver is up"
read -r lines0 secs0 < <(python3 "$BENCH_DIR/lifecycle.py" paced "$BASE" "$TENANT" "$file0" "$pace") \
    || die "paced ingest"
(( lines0 == n0 )) || die "paced ingest: $lines0 of $n0 lines"
await_events "$n0" 600
stop_receiver
read -r events0 rate0 p50_0 p99_0 < <(receiver_stats "$WORK/webhook-stats-0.json")
log "paced ingest took ${secs0}s ($(calc "$n0 / $secs0")/s); $events0 events, $rate0/s, latency p50 ${p50_0} ms p99 ${p99_0} ms"

log "2. $n1 engagements in one POST while the receiver is up"
start_receiver "$WORK/webhook-stats-1.json"
t0=$(now)
ingest "$file1" "$n1"
t1=$(now)
await_events "$n1" 600
stop_receiver
read -r events rate p50 p99 < <(receiver_stats "$WORK/webhook-stats-1.json")
log "ingest took $(calc "$t1 - $t0" %.1f)s ($(calc "$n1 / ($t1 - $t0)")/s); $events events, $rate/s, latency p50 ${p50} ms p99 ${p99} ms"

log "3. the receiver is down; $n2 more engagements"
t2=$(now)
ingest "$file2" "$n2"
rest=$(calc "$down - ($(now) - $t2)" %.0f)
(( rest > 0 )) && { log "receiver stays down ${rest}s more"; sleep "$rest"; }
start_receiver "$WORK/webhook-stats-2.json"
t3=$(now)
await_events "$n2" 900
t4=$(now)
stop_receiver
read -r events2 drain < <(python3 - "$WORK/webhook-stats-2.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(s["distinct_positions"], round(s["events"] / max(s["last"] - s["first"], 1e-3)))
PY
)
curl -sS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/tenants/$TENANT/webhooks" > "$WORK/webhook-after.json"

figure "webhook_sustained_rate $rate0 events/s (target >= 2000; $events0 events while $n0 engagements were ingested at $pace/s, in ${secs0}s)"
figure "webhook_latency_p99 $p99_0 ms (target <= 1000; p50 $p50_0 ms; from each write's timestamp to its arrival, at $pace engagements/s)"
figure "webhook_capacity $rate events/s ($events events while $n1 engagements were ingested in one POST in $(calc "$t1 - $t0" %.1f)s; latency p50 $p50 ms p99 $p99 ms, the backlog's)"
figure "webhook_after_outage $events2 of $n2 events delivered (receiver down ${down}s; all in $(calc "$t4 - $t3" %.1f)s after it came back; drain $drain events/s)"

#!/usr/bin/env bash
# Genesys Web Services dialect: CometD notification latency and idle-client memory, on the
# BENCH_N data set.
#  1. POST-to-notification latency: a session of the official CometD JavaScript client
#     (crates/dialect-genesys-gws/tests/js/bench.mjs) subscribed to /v2/ucs/interactions
#     POSTs RetrieveInteractionHistory (maxSize 100, the sampled busiest month) GWS_LATENCY_N
#     times, one after another, and times each from the POST to its notification's arrival.
#  2. Idle clients: GWS_IDLE_CLIENTS CometD clients (16 per session) handshake, subscribe
#     and hold long polls on a freshly started server (their sessions opened beforehand,
#     on the first one); its resident memory (VmRSS) is read before they come and once
#     they all hold a connect.
# Targets: median latency <= 10 ms; 1,000 idle clients cost <= 50 MB.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

GWS_LATENCY_N="${GWS_LATENCY_N:-100}"
GWS_IDLE_CLIENTS="${GWS_IDLE_CLIENTS:-1000}"
JS_DIR="$ROOT/crates/dialect-genesys-gws/tests/js"
GWS_USER=gwsbench
GWS_PASSWORD=gwsbench-password

command -v node > /dev/null 2>&1 || die "node (Node.js 20 or later) is needed for this benchmark"
if [[ ! -d "$JS_DIR/node_modules/cometd-nodejs-client" ]]; then
    log "installing the CometD JavaScript client (npm ci in $JS_DIR)"
    (cd "$JS_DIR" && npm ci --no-audit --no-fund > "$WORK/npm-ci.log" 2>&1) \
        || { cat "$WORK/npm-ci.log" >&2; die "npm ci"; }
fi
# 1,000 long polls and as many sockets on each side.
ulimit -n 65536 2> /dev/null || ulimit -n "$(ulimit -Hn)" 2> /dev/null || true

dir=$(bench_dataset "$BENCH_N")
bench_sample "$dir"
out=$("$BIN" user create --tenant "$TENANT" --username "$GWS_USER" --password "$GWS_PASSWORD" \
    --role reader --data "$dir" 2>&1) || grep -q "already exists" <<< "$out" \
    || { printf '%s\n' "$out" >&2; die "interlog user create"; }

# The data set's dates are fixed; keep them all in the main source whatever the clock says.
export INTERLOG_GWS_HOT_WINDOW_DAYS=36500
bench_serve "$dir"
login="$TENANT/$GWS_USER"

log "latency: $GWS_LATENCY_N history requests (maxSize 100, $SAMPLE_FROM .. $SAMPLE_TO)"
node "$JS_DIR/bench.mjs" latency "$BASE" "$login" "$GWS_PASSWORD" 5 "$SAMPLE_FROM" "$SAMPLE_TO" > /dev/null \
    || die "latency warm-up"
result=$(node "$JS_DIR/bench.mjs" latency "$BASE" "$login" "$GWS_PASSWORD" "$GWS_LATENCY_N" "$SAMPLE_FROM" "$SAMPLE_TO") \
    || { printf '%s\n' "$result" >&2; die "latency run"; }
log "$result"
read -r median p90 max < <(python3 -c 'import json,sys; d = json.loads(sys.stdin.read().strip().splitlines()[-1]); print("%.2f %.2f %.2f" % (d["median_ms"], d["p90_ms"], d["max_ms"]))' <<< "$result") \
    || die "no latency figures in: $result"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }

# The idle clients' sessions are opened first, on this server: each login runs argon2,
# whose transient memory (and what the allocator keeps of it) is not the clients'. The
# clients then connect to a fresh server on the same store, which honours those sessions
# (they live in the store), so its memory before and after is the clients' alone.
log "idle: opening the sessions of $GWS_IDLE_CLIENTS CometD clients"
fifo="$WORK/gws-idle.stdin"
rm -f "$fifo"
mkfifo "$fifo"
node "$JS_DIR/bench.mjs" idle "$BASE" "$login" "$GWS_PASSWORD" "$GWS_IDLE_CLIENTS" < "$fifo" > "$WORK/gws-idle.out" 2>&1 &
idle_pid=$!
exec 9> "$fifo"
on_exit "exec 9>&-; kill $idle_pid 2>/dev/null || true; rm -f '$fifo'"
wait_for() {
    local what="$1" i
    for ((i = 0; i < 1200; i++)); do
        grep -q "\"event\":\"$what\"" "$WORK/gws-idle.out" 2> /dev/null && return 0
        kill -0 "$idle_pid" 2> /dev/null || { cat "$WORK/gws-idle.out" >&2; die "the idle clients failed"; }
        sleep 0.1
    done
    cat "$WORK/gws-idle.out" >&2
    die "no '$what' from the idle clients within 120 s"
}
wait_for sessions
bench_stop_server "$SERVER_PID"
bench_serve "$dir"
sleep 1
before=$(rss_kb)
log "idle: $GWS_IDLE_CLIENTS CometD clients to a fresh server; its VmRSS before: $((before / 1024)) MB"
echo "$BASE" >&9
wait_for ready
sleep 2
held=$(ss -Htn state established "( sport = :${BASE##*:} )" 2> /dev/null | wc -l || echo "?")
after=$(rss_kb)
cost=$(calc "($after - $before) / 1024" %.1f)
per_client=$(calc "($after - $before) / $GWS_IDLE_CLIENTS" %.1f)
log "server VmRSS with $GWS_IDLE_CLIENTS idle clients: $((after / 1024)) MB ($held connections established; $per_client kB a client)"
kill "$idle_pid" 2> /dev/null || true
wait "$idle_pid" 2> /dev/null || true
exec 9>&-

# For comparison: as many plain keep-alive connections (one /healthz each) to another fresh
# server: what the HTTP stack costs per connection, CometD or not.
bench_stop_server "$SERVER_PID"
bench_serve "$dir"
sleep 1
plain_before=$(rss_kb)
node "$JS_DIR/bench.mjs" conns "$BASE" - - "$GWS_IDLE_CLIENTS" < /dev/null > "$WORK/gws-conns.out" 2>&1 &
conns_pid=$!
on_exit "kill $conns_pid 2>/dev/null || true"
for ((i = 0; i < 300; i++)); do
    grep -q '"event":"ready"' "$WORK/gws-conns.out" 2> /dev/null && break
    sleep 0.1
done
grep -q '"event":"ready"' "$WORK/gws-conns.out" || { cat "$WORK/gws-conns.out" >&2; die "the plain connections did not all get answers"; }
sleep 2
plain=$(calc "($(rss_kb) - $plain_before) / 1024" %.1f)
kill "$conns_pid" 2> /dev/null || true
log "$GWS_IDLE_CLIENTS plain keep-alive connections cost the server $plain MB"

figure "gws_notification_median $median ms (target <= 10; POST to CometD notification, 100 interactions, $GWS_LATENCY_N requests; p90 $p90 ms, max $max ms)"
figure "gws_idle_clients_memory $cost MB (target <= 50; $GWS_IDLE_CLIENTS idle CometD clients holding long polls; server VmRSS $((before / 1024)) -> $((after / 1024)) MB, $per_client kB a client; $GWS_IDLE_CLIENTS plain keep-alive connections alone: $plain MB)"

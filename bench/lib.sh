# Shared functions of the Interlog benchmark scripts. Sourced, not run:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Knobs (environment):
#   BENCH_N            engagements in the data set (default 1000000)
#   BENCH_SECONDS      duration of each load run in seconds (default 20)
#   BENCH_CONNECTIONS  concurrent HTTP connections (default 64)
#   BENCH_THREADS      wrk threads (default 2: the machine has 2 cores)
#   BENCH_SEED         generator seed of the data set (default 42)
#   BENCH_WARMUP       seconds of unmeasured load before each measured read run (default 3)
#   BENCH_SKIP_BUILD   1: use the existing target/release/interlog as is
#   BENCH_BIN          another interlog binary to measure (e.g. a copy of an earlier build;
#                      implies BENCH_SKIP_BUILD=1)
#   BENCH_KEEP_NDJSON  0: delete a generated NDJSON file once it has been imported
#   INTERLOG_LOG       server log filter (the server's default, info, when unset)

set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
WORK="$BENCH_DIR/.work"
LUA_DIR="$BENCH_DIR/lua"
BIN="${BENCH_BIN:-$ROOT/target/release/interlog}"
TENANT=bench

BENCH_N="${BENCH_N:-1000000}"
BENCH_SECONDS="${BENCH_SECONDS:-20}"
BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-64}"
BENCH_THREADS="${BENCH_THREADS:-2}"
BENCH_SEED="${BENCH_SEED:-42}"
BENCH_WARMUP="${BENCH_WARMUP:-3}"
BENCH_SKIP_BUILD="${BENCH_SKIP_BUILD:-0}"
[[ -z "${BENCH_BIN:-}" ]] || BENCH_SKIP_BUILD=1
BENCH_KEEP_NDJSON="${BENCH_KEEP_NDJSON:-1}"
export BENCH_N BENCH_SECONDS BENCH_CONNECTIONS BENCH_THREADS BENCH_SEED BENCH_WARMUP

for v in BENCH_N BENCH_SECONDS BENCH_CONNECTIONS BENCH_THREADS BENCH_SEED; do
    [[ "${!v}" =~ ^[0-9]+$ ]] && (( ${!v} > 0 )) || { echo "bench: $v must be a positive integer, got '${!v}'" >&2; exit 2; }
done
[[ "$BENCH_WARMUP" =~ ^[0-9]+$ ]] || { echo "bench: BENCH_WARMUP must be a whole number of seconds" >&2; exit 2; }
(( BENCH_CONNECTIONS >= BENCH_THREADS )) || BENCH_THREADS=$BENCH_CONNECTIONS

mkdir -p "$WORK"
cd "$ROOT"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[bench] FAILED: %s\n' "$*" >&2; exit 1; }

# Runs the cleanups registered with on_exit (last registered first) when the script ends,
# however it ends.
_BENCH_CLEANUPS=()
on_exit() { _BENCH_CLEANUPS+=("$1"); }
_bench_exit() {
    local rc=$? i
    trap - EXIT INT TERM
    for ((i = ${#_BENCH_CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${_BENCH_CLEANUPS[$i]}" || true
    done
    exit "$rc"
}
trap _bench_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Seconds since the epoch with nanoseconds, for timing.
now() { date +%s.%N; }
# Arithmetic on decimals: calc 'EXPR' (awk syntax), printed with the given format.
calc() { awk "BEGIN { printf \"${2:-%.0f}\", $1 }"; }

# Prints a figure: always the last line of a benchmark script.
figure() { printf 'FIGURE %s\n' "$*"; }

# --- tools ------------------------------------------------------------------------------

bench_build() {
    if [[ "$BENCH_SKIP_BUILD" == 1 ]]; then
        [[ -x "$BIN" ]] || die "BENCH_SKIP_BUILD=1 but $BIN does not exist"
        return
    fi
    log "building the release binary (cargo build --release -p interlog)"
    local out
    if ! out="$(cargo build --release -p interlog 2>&1)"; then
        printf '%s\n' "$out" >&2
        die "cargo build --release -p interlog"
    fi
    [[ -x "$BIN" ]] || die "the build did not produce $BIN"
}

bench_ensure_tools() {
    local missing=()
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    [[ -x /usr/bin/time ]] || missing+=(time)
    if ((${#missing[@]})); then
        log "installing ${missing[*]} (apt-get)"
        local out
        out="$( (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") 2>&1)" \
            || { printf '%s\n' "$out" >&2; die "apt-get install ${missing[*]}"; }
    fi
    for t in wrk curl python3; do command -v "$t" >/dev/null 2>&1 || die "$t is not installed"; done
}

# Build and tools: what every script does first.
bench_init() {
    bench_ensure_tools
    bench_build
    log "N=$BENCH_N seconds=$BENCH_SECONDS connections=$BENCH_CONNECTIONS threads=$BENCH_THREADS ($(nproc) cores; wrk shares the machine)"
}

# --- data -------------------------------------------------------------------------------

# The NDJSON of `interlog generate` for N engagements with SEED, cached under .work.
# Prints its path.
bench_ndjson() {
    local n="$1" seed="${2:-$BENCH_SEED}"
    local file="$WORK/gen-$n-seed$seed.ndjson"
    if [[ ! -s "$file" ]]; then
        log "generating $n engagements (seed $seed) -> $file"
        "$BIN" generate --tenant "$TENANT" --count "$n" --seed "$seed" > "$file.tmp" \
            || die "interlog generate"
        local lines
        lines=$(wc -l < "$file.tmp")
        [[ "$lines" == "$n" ]] || die "generate wrote $lines lines, expected $n"
        mv "$file.tmp" "$file"
    fi
    printf '%s\n' "$file"
}

# A new, empty data directory with tenant `bench` and an admin client, whose credentials
# are kept in DIR/bench-client.json.
bench_fresh_dir() {
    local dir="$1"
    rm -rf "$dir"
    mkdir -p "$dir"
    "$BIN" tenant create "$TENANT" --data "$dir" > /dev/null || die "interlog tenant create $TENANT"
    "$BIN" client create --tenant "$TENANT" --role admin --data "$dir" > "$dir/bench-client.json" \
        || die "interlog client create"
    grep -q '"client_secret"' "$dir/bench-client.json" || die "no client_secret in $dir/bench-client.json"
}

# The path of the cached data set of N engagements (it may not exist yet).
bench_dataset_path() { printf '%s\n' "$WORK/data-${1:-$BENCH_N}-seed$BENCH_SEED"; }

# Imports an NDJSON file into DIR; prints "SECONDS CREATED CPU_SECONDS" (wall time of the
# whole command, engagements created, user + system CPU time of the process). Fails if any
# line is rejected or not created.
bench_import() {
    local dir="$1" file="$2" expect="$3"
    local t0 t1 summary cpu
    log "machine load before the import: $(uptime | sed 's/.*load average/load average/')"
    t0=$(now)
    /usr/bin/time -f "%U %S" -o "$dir/import.cpu" \
        "$BIN" import --tenant "$TENANT" --data "$dir" "$file" 2> "$dir/import.log" \
        || { cat "$dir/import.log" >&2; die "interlog import"; }
    t1=$(now)
    cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$dir/import.cpu")
    summary=$(grep '^imported ' "$dir/import.log" | tail -n 1)
    [[ -n "$summary" ]] || { cat "$dir/import.log" >&2; die "no summary from interlog import"; }
    log "$summary"
    local created
    created=$(sed -E 's/.* ([0-9]+) created.*/\1/' <<< "$summary")
    [[ "$created" == "$expect" ]] || die "import created $created engagements, expected $expect"
    log "import CPU time (user + system): ${cpu}s, $(calc "$cpu * 1000000 / $created") µs an engagement"
    printf '%s %s %s\n' "$(calc "$t1 - $t0" %.3f)" "$created" "$cpu"
}

# Makes sure the cached data set of N engagements exists; prints its path.
bench_dataset() {
    local n="${1:-$BENCH_N}"
    local dir
    dir=$(bench_dataset_path "$n")
    if [[ -f "$dir/.complete" ]]; then
        if [[ "$(cat "$dir/.provenance" 2> /dev/null)" != "$(bench_provenance)" ]]; then
            log "WARNING: the cached data set $dir was made with other migrations or search terms than the current source; remove it (rm -rf $dir*) to rebuild"
        fi
        printf '%s\n' "$dir"
        return
    fi
    local file
    file=$(bench_ndjson "$n")
    log "preparing the data set of $n engagements in $dir"
    bench_fresh_dir "$dir.tmp"
    bench_import "$dir.tmp" "$file" "$n" > /dev/null
    bench_adopt_dataset "$dir.tmp" "$n"
    printf '%s\n' "$dir"
}

# What made a data set: the schema's migrations and the store's search terms decide what a
# cached store holds, so a change to them makes a cache stale (warned about, not rebuilt).
bench_provenance() {
    cat "$ROOT"/crates/store-sqlite/migrations/*.sql "$ROOT"/crates/store/src/terms.rs 2> /dev/null \
        | sha256sum | cut -c1-16
}

# Makes a directory just loaded with N engagements the cached data set.
bench_adopt_dataset() {
    local src="$1" n="$2" dir
    dir=$(bench_dataset_path "$n")
    rm -rf "$dir" "$dir.ids" "$dir.filter"
    bench_provenance > "$src/.provenance"
    echo "$n" > "$src/.complete"
    mv "$src" "$dir"
    [[ "$BENCH_KEEP_NDJSON" == 1 ]] || rm -f "$WORK/gen-$n-seed$BENCH_SEED.ndjson"
}

# A scratch copy of the cached data set, for benchmarks that write; sets SCRATCH_DIR (removed
# when the script ends).
bench_scratch_copy() {
    local name="$1" src
    src=$(bench_dataset "$BENCH_N")
    SCRATCH_DIR="$WORK/scratch-$name"
    rm -rf "$SCRATCH_DIR"
    on_exit "rm -rf '$SCRATCH_DIR'"
    log "copying the data set ($(du -sh "$src" | cut -f1)) to $SCRATCH_DIR"
    cp -a --reflink=auto "$src" "$SCRATCH_DIR"
    rm -f "$SCRATCH_DIR/.complete" "$SCRATCH_DIR/.provenance"
}

# Ids, an agent and a month window drawn from the cached data set (see sample.py), cached
# beside it. Sets SAMPLE_IDS (a file of ids, one a line), SAMPLE_AGENT, SAMPLE_FROM,
# SAMPLE_TO.
bench_sample() {
    local dir="$1" n every
    n=$(cat "$dir/.complete" 2> /dev/null || echo "$BENCH_N")
    every=$(( n / 20000 > 1 ? n / 20000 : 1 ))
    if [[ ! -s "$dir.ids" || ! -s "$dir.filter" ]]; then
        log "sampling ids and a filter from the data set (interlog export)"
        "$BIN" export --tenant "$TENANT" --data "$dir" 2> "$WORK/export.log" \
            | python3 "$BENCH_DIR/sample.py" --every "$every" --ids "$dir.ids.tmp" --filter "$dir.filter.tmp" \
            || { cat "$WORK/export.log" >&2; die "export/sample"; }
        mv "$dir.ids.tmp" "$dir.ids"
        mv "$dir.filter.tmp" "$dir.filter"
    fi
    SAMPLE_IDS="$dir.ids"
    # shellcheck disable=SC1090
    source "$dir.filter"
    [[ -n "${SAMPLE_AGENT:-}" && -n "${SAMPLE_FROM:-}" && -n "${SAMPLE_TO:-}" ]] \
        || die "bad filter sample $dir.filter"
}

# --- the server ---------------------------------------------------------------------------

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts `interlog serve` on DIR on a free port and waits for /readyz. Sets SERVER_PID,
# BASE (http://127.0.0.1:PORT) and SERVER_LOG; the server is stopped when the script ends.
_BENCH_SERVERS=0
bench_serve() {
    local dir="$1" port
    port=$(free_port)
    BASE="http://127.0.0.1:$port"
    _BENCH_SERVERS=$((_BENCH_SERVERS + 1))
    SERVER_LOG="$WORK/server-$(basename "$0" .sh)-$_BENCH_SERVERS.log"
    "$BIN" serve --listen "127.0.0.1:$port" --data "$dir" > "$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    on_exit "bench_stop_server $SERVER_PID"
    local i
    for ((i = 0; i < 600; i++)); do
        kill -0 "$SERVER_PID" 2> /dev/null \
            || { tail -n 20 "$SERVER_LOG" >&2; die "the server exited during start-up"; }
        if [[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz" 2> /dev/null || true)" == 200 ]]; then
            log "server pid $SERVER_PID ready on $BASE (log: $SERVER_LOG)"
            return
        fi
        sleep 0.1
    done
    die "the server did not become ready within 60 s (log: $SERVER_LOG)"
}

# Stops a server gracefully (SIGTERM), then for good after 30 s.
bench_stop_server() {
    local pid="$1" i
    kill -0 "$pid" 2> /dev/null || return 0
    kill -TERM "$pid" 2> /dev/null || true
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2> /dev/null || { wait "$pid" 2> /dev/null || true; return 0; }
        sleep 0.1
    done
    log "server $pid did not stop within 30 s; killing it"
    kill -KILL "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
}

# A bearer token for the admin client of DIR; sets TOKEN.
bench_token() {
    local dir="$1" id secret body
    id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_id"])' "$dir/bench-client.json")
    secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_secret"])' "$dir/bench-client.json")
    body=$(curl -sS --fail-with-body -X POST "$BASE/api/v1/oauth/token" \
        --data-urlencode grant_type=client_credentials \
        --data-urlencode "client_id=$id" --data-urlencode "client_secret=$secret") \
        || die "token request failed: $body"
    TOKEN=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' <<< "$body") \
        || die "no access_token in: $body"
    export TOKEN
}

# GET with the token; prints the body, fails on a non-2xx status.
api_get() {
    curl -sS --fail-with-body -H "Authorization: Bearer $TOKEN" "$BASE$1" || die "GET $1"
}

# The tenant's engagement count (count=exact on a one-row page).
bench_count() {
    api_get "/api/v1/tenants/$TENANT/engagements?limit=1&count=exact" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'
}

# Checks a GET answers 200 before it is benchmarked (a benchmark of 4xx answers would
# measure nothing).
bench_probe() {
    local path="$1" code
    code=$(curl -s -o "$WORK/probe.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE$path")
    [[ "$code" == 200 ]] || { head -c 600 "$WORK/probe.json" >&2; echo >&2; die "GET $path answered $code"; }
}

# --- memory -------------------------------------------------------------------------------

# Samples VmRSS and VmHWM (kB) of PID every 0.2 s into FILE until stopped with
# bench_rss_stop. Sets RSS_SAMPLER.
bench_rss_start() {
    local pid="$1" file="$2"
    : > "$file"
    (
        while [[ -r "/proc/$pid/status" ]]; do
            awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { if (r) print r, h }' \
                "/proc/$pid/status" >> "$file" 2> /dev/null || true
            sleep 0.2
        done
    ) &
    RSS_SAMPLER=$!
    on_exit "kill $RSS_SAMPLER 2>/dev/null || true"
}

# Stops the sampler; sets RSS_MAX_MB (largest VmRSS sampled) and HWM_MB (last VmHWM).
bench_rss_stop() {
    local file="$1"
    kill "$RSS_SAMPLER" 2> /dev/null || true
    wait "$RSS_SAMPLER" 2> /dev/null || true
    [[ -s "$file" ]] || die "no memory samples in $file"
    RSS_MAX_MB=$(awk '$1 > m { m = $1 } END { printf "%.1f", m / 1024 }' "$file")
    HWM_MB=$(awk '{ h = $2 } END { printf "%.1f", h / 1024 }' "$file")
    RSS_SAMPLES=$(wc -l < "$file")
}

# --- load -----------------------------------------------------------------------------------

# Runs wrk with a Lua script (its done() prints a BENCH_RESULT line, see lua/common.lua)
# and sets R_REQUESTS, R_RPS, R_P50_MS, R_P99_MS, R_MAX_MS, R_NON2XX, R_SOCKET_ERRORS and
# the other keys of that line as R_<KEY>. Usage: bench_wrk NAME SCRIPT URL [extra wrk args]
# The machine's CPU time so far, all cores, in clock ticks: "TOTAL STEAL" (/proc/stat).
cpu_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9 }' /proc/stat; }

bench_wrk() {
    local name="$1" script="$2" url="$3"
    shift 3
    local out="$WORK/wrk-$name.txt"
    log "wrk $name: -t$BENCH_THREADS -c$BENCH_CONNECTIONS -d${BENCH_SECONDS}s $url"
    local before after t0 s0 t1 s1
    before=$(cpu_ticks)
    BENCH_LUA_DIR="$LUA_DIR" wrk -t"$BENCH_THREADS" -c"$BENCH_CONNECTIONS" -d"${BENCH_SECONDS}s" \
        --timeout 10s --latency -s "$LUA_DIR/$script" "$@" "$url" > "$out" 2>&1 \
        || { cat "$out" >&2; die "wrk $name"; }
    after=$(cpu_ticks)
    sed 's/^/    /' "$out" >&2
    # On a virtual machine the host may take CPU time from this one ("steal"); runs that
    # lost much are not comparable with runs that did not.
    read -r t0 s0 <<< "$before"
    read -r t1 s1 <<< "$after"
    R_STEAL_PCT=$(calc "100 * ($s1 - $s0) / (($t1 - $t0) > 0 ? ($t1 - $t0) : 1)" %.0f)
    log "wrk $name: CPU time stolen by the host during the run: ${R_STEAL_PCT}%"
    local line
    line=$(grep '^BENCH_RESULT ' "$out" | tail -n 1)
    [[ -n "$line" ]] || die "no BENCH_RESULT from wrk $name"
    local kv k v
    for kv in ${line#BENCH_RESULT }; do
        k=${kv%%=*}
        v=${kv#*=}
        k=$(tr '[:lower:]' '[:upper:]' <<< "$k")
        printf -v "R_$k" '%s' "$v"
    done
    (( R_REQUESTS > 0 )) || die "wrk $name completed no request"
}

# An unmeasured run of the same load, so caches are warm: bench_warmup SCRIPT URL
bench_warmup() {
    local script="$1" url="$2"
    (( BENCH_WARMUP > 0 )) || return 0
    log "warm-up: ${BENCH_WARMUP}s"
    BENCH_LUA_DIR="$LUA_DIR" wrk -t"$BENCH_THREADS" -c"$BENCH_CONNECTIONS" -d"${BENCH_WARMUP}s" \
        --timeout 10s -s "$LUA_DIR/$script" "$url" > "$WORK/wrk-warmup.txt" 2>&1 \
        || { cat "$WORK/wrk-warmup.txt" >&2; die "wrk warm-up"; }
}

# Warns loudly when a run had failed requests; the figure is still printed, with the
# count beside it.
bench_check_errors() {
    local name="$1"
    if (( R_NON2XX > 0 || R_SOCKET_ERRORS > 0 )); then
        log "WARNING: $name had $R_NON2XX non-2xx responses and $R_SOCKET_ERRORS socket errors (see $WORK/wrk-$name.txt and $SERVER_LOG)"
    fi
}

# --- latency of single requests -----------------------------------------------------------

# Asks URL REPEAT times in turn over one keep-alive connection, after 3 unmeasured asks,
# with the curl options after REPEAT (credentials); the times go to $WORK/NAME.times. Sets
# LAT_P50, LAT_P95, LAT_MAX (ms, curl's time to the first byte) and LAT_CPU (the CPU time of
# the server SERVER_PID a request, ms: steadier than the latency when other work shares the
# machine). Fails unless the URL answers 200.
bench_latency() {
    local name="$1" url="$2" repeat="$3"
    shift 3
    local code args=() i t0 t1
    code=$(curl -sS -o "$WORK/$name.out" -w '%{http_code}' "$@" "$url")
    [[ "$code" == 200 ]] || { head -c 400 "$WORK/$name.out" >&2; echo >&2; die "$name answered $code"; }
    for ((i = 0; i < repeat + 3; i++)); do args+=(-o /dev/null "$url"); done
    t0=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
    curl -sS "$@" -w '%{time_starttransfer}\n' "${args[@]}" | tail -n "$repeat" > "$WORK/$name.times"
    t1=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
    LAT_CPU=$(calc "($t1 - $t0) * 1000 / $(getconf CLK_TCK) / ($repeat + 3)" %.1f)
    read -r LAT_P50 LAT_P95 LAT_MAX < <(python3 -c '
import sys
t = sorted(float(x) * 1000 for x in open(sys.argv[1]))
q = lambda p: t[min(len(t) - 1, int(p * len(t)))]
print(f"{q(0.5):.1f} {q(0.95):.1f} {t[-1]:.1f}")' "$WORK/$name.times")
}

# --- PostgreSQL -----------------------------------------------------------------------------

# Starts a throw-away PostgreSQL 15 cluster in DIR (scripts/pg-cluster) with settings for a
# bulk-loading server on this machine; it is stopped and DIR removed when the script ends.
# Sets PG_URL (not printed: the cleanup must be registered by the script's own shell).
bench_pg_start() {
    local dir="$1" cluster="$ROOT/scripts/pg-cluster"
    "$cluster" stop "$dir" 2> /dev/null || true
    rm -rf "$dir"
    log "starting a PostgreSQL 15 cluster in $dir"
    PG_URL=$("$cluster" start "$dir" \
        -c shared_buffers=2GB -c max_wal_size=16GB -c checkpoint_timeout=30min \
        -c wal_compression=lz4 -c effective_cache_size=8GB -c maintenance_work_mem=512MB) \
        || die "pg-cluster start"
    on_exit "'$cluster' stop '$dir'; rm -rf '$dir'"
}

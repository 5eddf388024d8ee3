#!/usr/bin/env bash
# Overload: does a mix of ordinary but costly requests starve the cheapest ones? On a copy of
# the BENCH_N data set (SQLite), or on PostgreSQL with BENCH_STORE=postgres (a throw-away
# cluster under bench/.work/pg, the BENCH_N engagements imported into it first):
#
#   1. idle:     the plain list of 10 (list.lua, `?limit=10`) and get by id (get.lua) alone,
#                each from BENCH_CHEAP_CONNECTIONS (16) connections;
#   2. mix:      the nine requests of the mix (below) in turn from BENCH_CONNECTIONS (64)
#                connections, alone: requests a second in all, p99, how the answers split
#                (2xx, 429, 503), the server's peak RSS;
#   3. starved?: the list, then the get, from 16 connections while BENCH_MIX_CONNECTIONS (48)
#                others send the mix (started 3 s before, stopped after);
#   4. the same with a bulk ingest running as well (one POST /ingest streaming new
#                engagements, generated with seed+1, for the whole run);
#   5. totals:   `count=exact` (with limit=1) for each of a set of filters, one request at a
#                time on the otherwise idle server, BENCH_COUNT_REPEAT (7) times each, each
#                time with a started_to one millisecond later (the same engagements, another
#                query, so no answer can be reused): p50 and max of each filter.
#
# The mix (the issue's "nine ordinary requests"): two filtered lists with count=exact, two
# pages of 1,000, two by duration, the change feed from 0 with limit=1000, a month's page
# of 100 with count=exact, the plain list. Its clients honour Retry-After on 429 and 503
# (lua/mix.lua). Peak RSS is the largest VmRSS sampled every 0.2 s over phases 2-4.
# Targets: in 3 and 4 the list and the get keep >= 50% of their idle throughput with p99
# <= 50 ms; peak RSS <= 200 MB; every filter's count p50 <= 100 ms. After each phase the
# server's resident memory is logged by what holds it (rss_breakdown.py: glibc's heap, which
# SQLite and zstd use; mimalloc's, which Rust code uses; mapped files; the rest).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

BENCH_STORE="${BENCH_STORE:-sqlite}"
MIX_C="${BENCH_MIX_CONNECTIONS:-48}"
CHEAP_C="${BENCH_CHEAP_CONNECTIONS:-16}"
COUNT_REPEAT="${BENCH_COUNT_REPEAT:-7}"
LEAD=3
PHASES=" ${BENCH_OVERLOAD_PHASES:-idle mix cheap ingest totals} "
phase() { [[ "$PHASES" == *" $1 "* ]]; }
[[ "$BENCH_STORE" == sqlite || "$BENCH_STORE" == postgres ]] \
    || die "BENCH_STORE must be sqlite or postgres, not $BENCH_STORE"

src=$(bench_dataset "$BENCH_N")
bench_sample "$src"

# The ingest's engagements, in two halves (one for each run with ingest).
ingest_n="${BENCH_INGEST_N:-200000}"
(( ingest_n <= BENCH_N )) || ingest_n=$BENCH_N
ingest_file=$(bench_ndjson "$ingest_n" $((BENCH_SEED + 1)))
half=$((ingest_n / 2))
head -n "$half" "$ingest_file" > "$WORK/overload-ingest-1.ndjson"
tail -n +"$((half + 1))" "$ingest_file" > "$WORK/overload-ingest-2.ndjson"
on_exit "rm -f '$WORK/overload-ingest-1.ndjson' '$WORK/overload-ingest-2.ndjson'"

if [[ "$BENCH_STORE" == sqlite ]]; then
    bench_scratch_copy overload
    dir=$SCRATCH_DIR
    bench_serve "$dir"
else
    PG_CLUSTER="$ROOT/scripts/pg-cluster"
    pgdir="$WORK/pg"
    "$PG_CLUSTER" stop "$pgdir" 2> /dev/null || true
    rm -rf "$pgdir"
    log "starting a PostgreSQL 15 cluster in $pgdir"
    pg_url=$("$PG_CLUSTER" start "$pgdir" \
        -c shared_buffers=2GB -c max_wal_size=16GB -c checkpoint_timeout=30min \
        -c wal_compression=lz4 -c effective_cache_size=8GB -c maintenance_work_mem=512MB) \
        || die "pg-cluster start"
    on_exit "'$PG_CLUSTER' stop '$pgdir'; rm -rf '$pgdir'"
    export INTERLOG_STORE="$pg_url"
    dir="$WORK/pgdata-overload"
    rm -rf "$dir"
    mkdir -p "$dir"
    on_exit "rm -rf '$dir'"
    "$BIN" tenant create "$TENANT" --data "$dir" > /dev/null || die "tenant create"
    "$BIN" client create --tenant "$TENANT" --role admin --data "$dir" > "$dir/bench-client.json" \
        || die "client create"
    log "importing $BENCH_N engagements into PostgreSQL (machine: $(uptime))"
    "$BIN" import --tenant "$TENANT" --data "$dir" "$(bench_ndjson "$BENCH_N")" 2> "$dir/import.log" \
        || { cat "$dir/import.log" >&2; die "interlog import"; }
    psql "$pg_url" -qc "VACUUM ANALYZE" || die "vacuum analyze"
    bench_serve "$dir"
fi
bench_token "$dir"
export TENANT IDS="$SAMPLE_IDS"
list="/api/v1/tenants/$TENANT/engagements"

enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
month="started_from=$(enc "$SAMPLE_FROM")&started_to=$(enc "$SAMPLE_TO")"
paths="$WORK/overload-mix.txt"
cat > "$paths" <<EOF
$list?direction=inbound&outcome=unsuccessful&count=exact&limit=100
$list?channel_type=voice&count=exact&limit=10
$list?limit=1000
$list?outcome=successful&limit=1000
$list?sort=duration&limit=50
$list?sort=-duration&channel_type=chat&limit=100
/api/v1/tenants/$TENANT/changes?after=0&limit=1000
$list?$month&count=exact&limit=100
$list?limit=10
EOF
while read -r p; do bench_probe "$p"; done < "$paths"
bench_probe "$list?limit=10"
bench_probe "$list/$(head -n 1 "$SAMPLE_IDS")"

# Starts wrk in the background: wrk_start NAME SCRIPT CONNECTIONS SECONDS URL; sets WRK_PID.
wrk_start() {
    local name="$1" script="$2" conns="$3" secs="$4" url="$5"
    log "wrk $name: -t1 -c$conns -d${secs}s $url"
    BENCH_LUA_DIR="$LUA_DIR" PATHS="$paths" wrk -t1 -c"$conns" -d"${secs}s" --timeout 30s \
        --latency -s "$LUA_DIR/$script" "$url" > "$WORK/wrk-$name.txt" 2>&1 &
    WRK_PID=$!
}

# Waits for a wrk started with wrk_start and reads its BENCH_RESULT line into R_<KEY>.
wrk_wait() {
    local name="$1" pid="$2" line kv k v
    unset R_OK R_THROTTLED R_UNAVAILABLE R_OTHER
    wait "$pid" || { cat "$WORK/wrk-$name.txt" >&2; die "wrk $name"; }
    line=$(grep '^BENCH_RESULT ' "$WORK/wrk-$name.txt" | tail -n 1)
    [[ -n "$line" ]] || { cat "$WORK/wrk-$name.txt" >&2; die "no BENCH_RESULT from wrk $name"; }
    for kv in ${line#BENCH_RESULT }; do
        k=${kv%%=*}
        v=${kv#*=}
        k=$(tr '[:lower:]' '[:upper:]' <<< "$k")
        printf -v "R_$k" '%s' "$v"
    done
    log "  $name: ${R_RPS} req/s, p50 ${R_P50_MS} ms, p99 ${R_P99_MS} ms, max ${R_MAX_MS} ms, non-2xx ${R_NON2XX}, socket errors ${R_SOCKET_ERRORS}${R_OK:+, ok $R_OK throttled $R_THROTTLED unavailable $R_UNAVAILABLE other $R_OTHER}"
}

declare -A rps p99 note
rss_peak=0
rss_note() {
    log "  server VmRSS peak ${RSS_MAX_MB} MB (VmHWM ${HWM_MB} MB); at the end, in MB: $(python3 "$BENCH_DIR/rss_breakdown.py" "$SERVER_PID")"
    rss_peak=$(awk -v a="$rss_peak" -v b="$RSS_MAX_MB" 'BEGIN { print (b > a ? b : a) }')
}

# Cheap listings the server has moved to the heavy lane so far (they ran past 100 ms):
# under the mix, each of them waits behind heavy reads.
moved_to_heavy() {
    curl -s "$BASE/metrics" | awk '$1 == "interlog_store_reads_moved_to_heavy_total" { print $2 }' | tail -n 1
}

cheap_url() { [[ "$1" == list ]] && echo "$BASE$list?limit=10" || echo "$BASE"; }

# Waits until the server has let go of the killed ingest stream: it stores the batch it
# holds before it notices the client is gone, and until then the tenant's share of
# bulk_streams is taken (a new stream would get 429). An empty stream is admitted (200,
# nothing stored) once it is free.
await_stream_released() {
    local i code
    for ((i = 0; i < 600; i++)); do
        code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary '' \
            -H 'Content-Type: application/x-ndjson' -H "Authorization: Bearer $TOKEN" \
            "$BASE/api/v1/tenants/$TENANT/ingest")
        [[ "$code" == 200 ]] && return
        sleep 0.2
    done
    die "the server kept the killed ingest stream for 120 s"
}

# --- 1. idle ------------------------------------------------------------------------------
log "machine before the idle runs: $(uptime)"
phase idle || { phase cheap || phase ingest; } && for kind in list get; do
    BENCH_CONNECTIONS=$CHEAP_C BENCH_THREADS=1 bench_warmup "$kind.lua" "$(cheap_url "$kind")"
    wrk_start "idle-$kind" "$kind.lua" "$CHEAP_C" "$BENCH_SECONDS" "$(cheap_url "$kind")"
    wrk_wait "idle-$kind" "$WRK_PID"
    rps[idle_$kind]=$R_RPS p99[idle_$kind]=$R_P99_MS
done

# --- 2. the mix alone ---------------------------------------------------------------------
mix_alone="(not run)"
if phase mix; then
    log "machine before the mix: $(uptime)"
    bench_rss_start "$SERVER_PID" "$WORK/rss-overload-mix.txt"
    wrk_start mix mix.lua "$BENCH_CONNECTIONS" "$BENCH_SECONDS" "$BASE"
    wrk_wait mix "$WRK_PID"
    bench_rss_stop "$WORK/rss-overload-mix.txt"
    rss_note
    mix_alone="$R_RPS req/s, p99 $R_P99_MS ms (2xx $R_OK, 429 $R_THROTTLED, 503 $R_UNAVAILABLE, other $R_OTHER)"
fi

# --- 3. and 4. the cheap requests under the mix, without and with ingest --------------------
for ingest in 0 1; do
    if ((ingest)); then phase ingest || continue; else phase cheap || continue; fi
    for kind in list get; do
        run="${kind}_mix$( ((ingest)) && echo _ingest || true)"
        log "machine before $run: $(uptime)"
        bench_rss_start "$SERVER_PID" "$WORK/rss-overload-$run.txt"
        curl_pid=
        if [[ $ingest == 1 ]]; then
            part=$([[ $kind == list ]] && echo 1 || echo 2)
            before=$(bench_count)
            curl -sS -o "$WORK/overload-ingest-$part.json" -X POST -T "$WORK/overload-ingest-$part.ndjson" \
                -H 'Expect:' -H 'Content-Type: application/x-ndjson' -H "Authorization: Bearer $TOKEN" \
                "$BASE/api/v1/tenants/$TENANT/ingest" 2> /dev/null &
            curl_pid=$!
            sleep 1
        fi
        wrk_start "$run-mix" mix.lua "$MIX_C" $((BENCH_SECONDS + 2 * LEAD)) "$BASE"
        mix_pid=$WRK_PID
        sleep "$LEAD"
        moved_before=$(moved_to_heavy)
        wrk_start "$run" "$kind.lua" "$CHEAP_C" "$BENCH_SECONDS" "$(cheap_url "$kind")"
        wrk_wait "$run" "$WRK_PID"
        log "  reads moved to the heavy lane during $run: $(($(moved_to_heavy) - ${moved_before:-0}))"
        rps[$run]=$R_RPS p99[$run]=$R_P99_MS
        bench_check_errors "$run"
        wrk_wait "$run-mix" "$mix_pid"
        note[$run]="mix $R_RPS req/s, 2xx $R_OK, 429 $R_THROTTLED, 503 $R_UNAVAILABLE"
        if [[ -n "$curl_pid" ]]; then
            if kill -0 "$curl_pid" 2> /dev/null; then
                kill "$curl_pid" 2> /dev/null || true
                wait "$curl_pid" 2> /dev/null || true
            else
                wait "$curl_pid" 2> /dev/null || true
                log "WARNING: the ingest ended before the run did"
            fi
            after=$(bench_count)
            note[$run]="${note[$run]}; ingest +$((after - before)) engagements"
            await_stream_released
        fi
        bench_rss_stop "$WORK/rss-overload-$run.txt"
        rss_note
    done
done

# --- 5. totals ----------------------------------------------------------------------------
phase totals || COUNT_REPEAT=0
log "machine before the totals: $(uptime)"
# @TO@: the sampled month's end, one millisecond later on each repeat.
month_at="started_from=$(enc "$SAMPLE_FROM")&started_to=@TO@"
filters=(
    ""
    "direction=inbound&outcome=unsuccessful"
    "channel_type=voice"
    "state=completed&channel_type=chat&direction=outbound"
    "$month_at"
    "$month_at&channel_type=voice&outcome=successful"
    "agent=$(enc "$SAMPLE_AGENT")"
    "agent=$(enc "$SAMPLE_AGENT")&channel_type=voice"
    "min_duration_ms=600000"
    "sort=duration&max_duration_ms=30000&direction=outbound"
)
count_worst=0
count_lines=()
for f in "${filters[@]}"; do
    ((COUNT_REPEAT > 0)) || break
    times=()
    for ((i = 0; i < COUNT_REPEAT; i++)); do
        # started_to one millisecond later each time: the same matches, another query.
        if [[ "$f" == *@TO@* ]]; then
            q="count=exact&limit=1&${f//@TO@/$(enc "${SAMPLE_TO%Z}.$(printf %03d "$i")Z")}"
        else
            q="count=exact&limit=1&${f:+$f&}started_to=$(enc "$(printf '2100-01-01T00:00:00.%03dZ' "$i")")"
        fi
        t=$(curl -sS -o "$WORK/count.json" -w '%{http_code} %{time_total}' \
            -H "Authorization: Bearer $TOKEN" "$BASE$list?${q%&}")
        [[ "${t%% *}" == 200 ]] || { head -c 400 "$WORK/count.json" >&2; die "count with '$f' answered ${t%% *}"; }
        times+=("${t#* }")
    done
    total=$(python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); print(d["total"] if "total" in d else "at least %s" % d.get("total_at_least"))' "$WORK/count.json")
    read -r p50 worst < <(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f %.1f\n", a[int((NR + 1) / 2)] * 1000, a[NR] * 1000 }')
    name=${f:-no filter}
    log "  count $name: total $total, p50 $p50 ms, max $worst ms"
    count_lines+=("$name: p50 $p50 ms (max $worst; total $total)")
    count_worst=$(awk -v a="$count_worst" -v b="$p50" 'BEGIN { print (b > a ? b : a) }')
done

pct() { calc "100 * $1 / $2" %.0f; }
log "machine at the end: $(uptime)"
for line in "${count_lines[@]}"; do log "  count $line"; done
figure "overload_mix_alone[$BENCH_STORE] $mix_alone at $BENCH_CONNECTIONS connections"
for kind in list get; do
    for run in "${kind}_mix" "${kind}_mix_ingest"; do
        [[ -n "${rps[$run]:-}" ]] || continue
        figure "overload_${run}[$BENCH_STORE] ${rps[$run]} req/s = $(pct "${rps[$run]}" "${rps[idle_$kind]}")% of idle ${rps[idle_$kind]} (target >= 50%), p99 ${p99[$run]} ms (target <= 50; idle ${p99[idle_$kind]}); ${note[$run]}"
    done
done
figure "overload_rss_peak[$BENCH_STORE] $rss_peak MB (target <= 200; largest VmRSS sampled under the mix)"
figure "overload_count_p50_worst[$BENCH_STORE] $count_worst ms (target <= 100; the slowest filter's p50 of ${#filters[@]} filters)"

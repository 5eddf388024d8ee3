#!/usr/bin/env bash
# Export jobs on the BENCH_N data set: POST /api/v1/tenants/bench/exports of everything as
# Parquet, polled every 0.1 s until completed, timed from the POST to the first poll that
# sees it completed; the server's resident memory sampled meanwhile. Then the same as
# NDJSON, for the size ratio. Then the native list (limit=10) under wrk for BENCH_SECONDS
# idle, and again during a second Parquet export (wrk runs as long as the first export
# took), for the ratio of list throughput during an export to idle. The files go to a
# directory under bench/.work (INTERLOG_EXPORT_DIR), removed at the end. First, before the
# server starts, the same Parquet file written offline by `interlog export` (no HTTP, no
# job): the path to profile (`perf record -g` on that command), and its CPU time an
# engagement (user + system), which the machine's load leaves alone. BENCH_PROFILE=1 runs
# that command once more under `perf record` and prints where its CPU went.
# Targets: >= 100,000 engagements/s to Parquet; RSS <= 300 MB during it; the Parquet file
# <= 0.15x the NDJSON bytes; list throughput during a full export >= 70% of idle.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

dir=$(bench_dataset "$BENCH_N")
export INTERLOG_EXPORT_DIR="$WORK/exports-bench"
rm -rf "$INTERLOG_EXPORT_DIR"
on_exit "rm -rf '$INTERLOG_EXPORT_DIR'"
mkdir -p "$INTERLOG_EXPORT_DIR"
load_offline=$(uptime | sed 's/.*load average: //')
t0=$(now)
/usr/bin/time -f "%U %S %F %R" -o "$WORK/export-offline.cpu" \
    "$BIN" export --data "$dir" --tenant "$TENANT" --format parquet \
    --output "$INTERLOG_EXPORT_DIR/offline.parquet" 2>> "$WORK/export-offline.log" \
    || die "interlog export --format parquet (see $WORK/export-offline.log)"
offline_secs=$(calc "$(now) - $t0" %.3f)
offline_rate=$(calc "$BENCH_N / $offline_secs")
# CPU time (user + system) an engagement: what the machine's load does not change.
read -r offline_user offline_sys offline_faults < <(awk '{ print $1, $2, $3 + $4 }' "$WORK/export-offline.cpu")
offline_cpu_us=$(calc "($offline_user + $offline_sys) * 1000000 / $BENCH_N" %.1f)
log "interlog export --format parquet: $BENCH_N engagements in ${offline_secs}s (load: $load_offline)"
rm -f "$INTERLOG_EXPORT_DIR/offline.parquet"
if [[ "${BENCH_PROFILE:-0}" == 1 ]]; then
    # The same command under `perf record`: each thread's share of the CPU (the snapshot
    # reader, export-build decoding bodies into columns, export-encode writing pages), then
    # the hottest symbols.
    command -v perf > /dev/null || die "BENCH_PROFILE=1 needs perf (Debian's linux-perf)"
    perf record -q -F 499 -g -o "$WORK/export.perf.data" \
        "$BIN" export --data "$dir" --tenant "$TENANT" --format parquet \
        --output "$INTERLOG_EXPORT_DIR/offline.parquet" 2>> "$WORK/export-offline.log" \
        || die "perf record of interlog export (see $WORK/export-offline.log)"
    rm -f "$INTERLOG_EXPORT_DIR/offline.parquet"
    perf report -i "$WORK/export.perf.data" --no-children --sort comm --stdio -g none 2> /dev/null \
        | awk '!/^#/ && NF && ++n <= 5' >&2
    perf report -i "$WORK/export.perf.data" --no-children --sort dso,symbol --stdio -g none 2> /dev/null \
        | awk '!/^#/ && NF && ++n <= 25 { print substr($0, 1, 150) }' >&2
    log "profile: $WORK/export.perf.data (perf report -i it)"
fi
bench_serve "$dir"
bench_token "$dir"

# Starts an export of FORMAT and waits for it; sets EX_ID, EX_SECS, EX_ROWS, EX_BYTES.
export_run() {
    local format="$1" t0 view state
    t0=$(now)
    view=$(curl -sS --fail-with-body -X POST -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' -d "{\"format\":\"$format\"}" \
        "$BASE/api/v1/tenants/$TENANT/exports") || die "POST exports: $view"
    EX_ID=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<< "$view")
    while :; do
        view=$(api_get "/api/v1/tenants/$TENANT/exports/$EX_ID")
        state=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' <<< "$view")
        case "$state" in
            completed) break ;;
            queued|running) sleep 0.1 ;;
            *) die "export $EX_ID ended $state: $view" ;;
        esac
    done
    EX_SECS=$(calc "$(now) - $t0" %.3f)
    read -r EX_ROWS EX_BYTES < <(python3 -c 'import json,sys; v = json.load(sys.stdin); print(v["rows"], v["bytes"])' <<< "$view")
    [[ "$EX_ROWS" == "$BENCH_N" ]] || die "export $EX_ID holds $EX_ROWS engagements, expected $BENCH_N"
    log "export $format: $EX_ROWS engagements, $EX_BYTES bytes in ${EX_SECS}s (load: $(uptime | sed 's/.*load average: //'))"
}

bench_rss_start "$SERVER_PID" "$WORK/rss-export.txt"
load_parquet=$(uptime | sed 's/.*load average: //')
export_run parquet
bench_rss_stop "$WORK/rss-export.txt"
parquet_secs=$EX_SECS parquet_bytes=$EX_BYTES
rate=$(calc "$EX_ROWS / $EX_SECS")
export_run ndjson
ratio=$(calc "$parquet_bytes / $EX_BYTES" %.3f)

url="$BASE/api/v1/tenants/$TENANT/engagements?limit=10"
bench_probe "${url#"$BASE"}"
bench_warmup list.lua "$url"
bench_wrk list-idle list.lua "$url"
idle_rps=$R_RPS
load_idle=$(uptime | sed 's/.*load average: //')
during_secs=$(calc "$parquet_secs < 1 ? 1 : $parquet_secs" %.0f)
export_run parquet &
exporter=$!
BENCH_SECONDS=$during_secs bench_wrk list-during list.lua "$url"
wait "$exporter" || die "the second export"
during_rps=$R_RPS
share=$(calc "100 * $during_rps / $idle_rps" %.0f)

figure "export_parquet_rate $rate engagements/s (target >= 100000; $BENCH_N in ${parquet_secs}s, POST to completed; load $load_parquet)"
figure "export_parquet_offline_rate $offline_rate engagements/s (interlog export --format parquet, $BENCH_N in ${offline_secs}s; load $load_offline)"
figure "export_parquet_offline_cpu $offline_cpu_us µs of CPU an engagement (interlog export --format parquet: user ${offline_user}s + system ${offline_sys}s, $offline_faults page faults)"
figure "export_server_rss $RSS_MAX_MB MB (target <= 300; max VmRSS during the Parquet export; VmHWM $HWM_MB MB)"
figure "export_parquet_size $ratio x NDJSON (target <= 0.15; $parquet_bytes vs $EX_BYTES bytes)"
figure "list_during_export $share % of idle (target >= 70; $during_rps vs $idle_rps req/s over ${during_secs}s; load $load_idle)"

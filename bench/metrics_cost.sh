#!/usr/bin/env bash
# The cost of the metrics layer on the list benchmark: the native first page
# (GET /api/v1/tenants/bench/engagements?limit=10, as list.sh) served with metrics on (the
# default) and off (INTERLOG_METRICS=false), METRICS_ROUNDS (3) rounds alternating
# off/on, one server at a time on the same data set. Reports the best and the median
# req/s of each and the server's CPU time a request (user + system from /proc/PID/stat
# over the measured run), which other work on the machine disturbs less.
# Target: metrics cost <= 3% of list throughput.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init
ROUNDS="${METRICS_ROUNDS:-3}"

dir=$(bench_dataset "$BENCH_N")
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
declare -A all_rps all_cpu
for ((round = 1; round <= ROUNDS; round++)); do
    for mode in off on; do
        if [[ "$mode" == off ]]; then export INTERLOG_METRICS=false; else export INTERLOG_METRICS=true; fi
        bench_serve "$dir"
        bench_token "$dir"
        url="$BASE/api/v1/tenants/$TENANT/engagements?limit=10"
        bench_probe "${url#"$BASE"}"
        if [[ "$mode" == on ]]; then
            exposition=$(curl -sS "$BASE/metrics") || die "GET /metrics"
            grep -q '^interlog_http_requests_total' <<< "$exposition" || die "metrics on, but /metrics has no request counts"
        else
            [[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/metrics")" == 404 ]] || die "metrics off, but /metrics answers"
        fi
        bench_warmup list.lua "$url"
        t0=$(cpu_ticks)
        bench_wrk "metrics-$mode-$round" list.lua "$url"
        t1=$(cpu_ticks)
        bench_check_errors "metrics-$mode-$round"
        cpu=$(calc "($t1 - $t0) * 1000000 / $hz / $R_REQUESTS" %.1f)
        log "round $round metrics $mode: $R_RPS req/s, p99 $R_P99_MS ms, server CPU $cpu us/request, load $(cut -d' ' -f1-3 /proc/loadavg)"
        all_rps[$mode]+="$R_RPS "
        all_cpu[$mode]+="$cpu "
        bench_stop_server "$SERVER_PID"
    done
done
unset INTERLOG_METRICS
stats() { python3 -c '
import statistics, sys
v = [float(x) for x in sys.argv[1].split()]
print(f"{max(v):.0f} {statistics.median(v):.0f} {min(v):.1f} {statistics.median(v):.1f}")' "$1"; }
read -r off_best off_med _ _ < <(stats "${all_rps[off]}")
read -r on_best on_med _ _ < <(stats "${all_rps[on]}")
read -r _ _ off_cpu_min off_cpu_med < <(stats "${all_cpu[off]}")
read -r _ _ on_cpu_min on_cpu_med < <(stats "${all_cpu[on]}")
cost_best=$(calc "(1 - $on_best / $off_best) * 100" %.1f)
cost_med=$(calc "(1 - $on_med / $off_med) * 100" %.1f)
cost_cpu=$(calc "($on_cpu_med / $off_cpu_med - 1) * 100" %.1f)
log "req/s off: ${all_rps[off]}; on: ${all_rps[on]}; CPU us/request off: ${all_cpu[off]}; on: ${all_cpu[on]}"
figure "metrics_cost_list_throughput ${cost_best}% (target <= 3; best of $ROUNDS: $on_best req/s with metrics, $off_best without; medians $on_med vs $off_med, ${cost_med}%)"
figure "metrics_cost_list_cpu ${cost_cpu}% (median server CPU $on_cpu_med vs $off_cpu_med us/request)"

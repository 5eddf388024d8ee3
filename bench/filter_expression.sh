#!/usr/bin/env bash
# `filter=` expressions against the unfiltered first page, on the BENCH_N data set, each at
# BENCH_CONNECTIONS connections for BENCH_SECONDS:
#   first:     GET .../engagements?limit=10
#   composed:  GET .../engagements?limit=10&filter=(channel_type:voice OR channel_type:chat)
#              AND NOT outcome:unsuccessful AND duration_ms>60000
#   agent:     GET .../engagements?limit=10&agent=A&filter=NOT outcome:unsuccessful AND
#              (channel_type:voice OR duration_ms>600000)   (A: the sampled agent)
# Then `count=exact` of the composed filter, and of it without its duration term (counted
# from the per-day counts), each asked BENCH_COUNT_REPEAT (5) times over one connection
# after one unmeasured ask: curl's time to the last byte, median and max.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

dir=$(bench_dataset "$BENCH_N")
bench_sample "$dir"
bench_serve "$dir"
bench_token "$dir"
list="/api/v1/tenants/$TENANT/engagements"
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

composed="(channel_type:voice OR channel_type:chat) AND NOT outcome:unsuccessful AND duration_ms>60000"
agent="NOT outcome:unsuccessful AND (channel_type:voice OR duration_ms>600000)"
declare -A path=(
    [first]="$list?limit=10"
    [composed]="$list?limit=10&filter=$(enc "$composed")"
    [agent]="$list?limit=10&agent=$(enc "$SAMPLE_AGENT")&filter=$(enc "$agent")"
)
for run in first composed agent; do
    bench_probe "${path[$run]}"
    n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["engagements"]))' "$WORK/probe.json")
    (( n == 10 )) || log "WARNING: $run returns $n engagements, not 10"
done

log "uptime before the runs: $(uptime)"
bench_warmup list.lua "$BASE${path[first]}"
declare -A rps p50 p99
for run in first composed agent; do
    bench_wrk "fx-$run" list.lua "$BASE${path[$run]}"
    bench_check_errors "fx-$run"
    rps[$run]=$R_RPS p50[$run]=$R_P50_MS p99[$run]=$R_P99_MS
done

repeat="${BENCH_COUNT_REPEAT:-5}"
# Sets COUNT_TOTAL, COUNT_P50 and COUNT_MAX (ms) for count=exact of expression $1.
count_exact() {
    local url times
    url="$BASE$list?limit=1&count=exact&filter=$(enc "$1")"
    # A count whose budget ran out says at least how many ("total_at_least"): shown as ">=N".
    COUNT_TOTAL=$(api_get "${url#"$BASE"}" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["total"] if "total" in d else ">=%d (budget ran out)" % d["total_at_least"])')
    times=$(for ((i = 0; i < repeat; i++)); do
        curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$url"
    done | sort -n)
    COUNT_P50=$(calc "$(sed -n "$(( (repeat + 1) / 2 ))p" <<< "$times") * 1000" %.1f)
    COUNT_MAX=$(calc "$(tail -n 1 <<< "$times") * 1000" %.1f)
}
count_exact "$composed"
total=$COUNT_TOTAL count_p50=$COUNT_P50 count_max=$COUNT_MAX
# The same expression without its duration term: every term is one the per-day counts hold.
by_days="(channel_type:voice OR channel_type:chat) AND NOT outcome:unsuccessful"
count_exact "$by_days"
log "uptime after the runs: $(uptime)"

for run in first composed agent; do
    log "$(printf '%-9s %10s req/s  p50 %8s ms  p99 %8s ms' "$run" "${rps[$run]}" "${p50[$run]}" "${p99[$run]}")"
done
figure "filter_expression_rps composed ${rps[composed]} req/s (p50 ${p50[composed]} ms, p99 ${p99[composed]} ms); agent+expression ${rps[agent]} req/s (p50 ${p50[agent]} ms, p99 ${p99[agent]} ms); first page ${rps[first]} req/s (p50 ${p50[first]} ms, p99 ${p99[first]} ms)"
figure "filter_expression_count composed count=exact p50 ${count_p50} ms, max ${count_max} ms of $repeat ($total matches of $BENCH_N)"
figure "filter_expression_count by-days (no duration term) count=exact p50 ${COUNT_P50} ms, max ${COUNT_MAX} ms of $repeat ($COUNT_TOTAL matches of $BENCH_N)"

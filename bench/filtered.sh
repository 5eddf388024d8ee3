#!/usr/bin/env bash
# Filtered and deep listings against the unfiltered first page, on the BENCH_N data set,
# each at BENCH_CONNECTIONS connections for BENCH_SECONDS:
#   first:    GET .../engagements?limit=10
#   filtered: GET .../engagements?limit=10&agent=A&channel_type=voice&started_from=M&started_to=M+1
#             (A: the agent with the most voice engagements in the busiest month M of a
#             sample of the data, see bench/sample.py)
#   deep:     GET .../engagements?limit=10&cursor=C, C positioned BENCH_DEEP_PAGES (100) pages
#             of limit=1000 deep, i.e. after 100,000 rows (fewer when BENCH_N is small)
# Targets: filtered within 2x of the first page, deep within 1.5x, in throughput and latency.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

dir=$(bench_dataset "$BENCH_N")
bench_sample "$dir"
bench_serve "$dir"
bench_token "$dir"
list="/api/v1/tenants/$TENANT/engagements"

filter=$(python3 -c '
import sys, urllib.parse
print(urllib.parse.urlencode([("agent", sys.argv[1]), ("channel_type", "voice"),
                              ("started_from", sys.argv[2]), ("started_to", sys.argv[3])]))' \
    "$SAMPLE_AGENT" "$SAMPLE_FROM" "$SAMPLE_TO")
matching=$(api_get "$list?$filter&limit=1&count=exact" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
log "filter: agent=$SAMPLE_AGENT channel_type=voice started $SAMPLE_FROM .. $SAMPLE_TO: $matching engagements match"
(( matching >= 10 )) || log "WARNING: fewer than 10 engagements match the filter; its page is not full"

# A cursor after PAGES pages of limit=1000.
pages="${BENCH_DEEP_PAGES:-100}"
[[ "$pages" =~ ^[0-9]+$ ]] && (( pages >= 1 )) || die "BENCH_DEEP_PAGES must be a positive integer"
max_pages=$((BENCH_N / 1000 - 1))
(( max_pages >= 1 )) || die "BENCH_N=$BENCH_N is too small for a deep page (needs > 2000)"
(( pages <= max_pages )) || { log "BENCH_N=$BENCH_N: the deep page is after $max_pages pages, not $pages"; pages=$max_pages; }
log "paging $pages x limit=1000 for a cursor $((pages * 1000)) rows deep"
t0=$(now)
cursor=$(python3 - "$BASE$list" "$TOKEN" "$pages" <<'PY'
import json, sys, urllib.parse, urllib.request
url, token, pages = sys.argv[1], sys.argv[2], int(sys.argv[3])
cursor, rows = None, 0
for _ in range(pages):
    q = {"limit": "1000"}
    if cursor:
        q["cursor"] = cursor
    req = urllib.request.Request(url + "?" + urllib.parse.urlencode(q),
                                 headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req) as r:
        page = json.load(r)
    rows += len(page["engagements"])
    cursor = page["next_cursor"]
    if not cursor:
        sys.exit(f"the listing ended after {rows} rows")
print(f"{rows} rows paged", file=sys.stderr)
print(cursor)
PY
) || die "paging for the deep cursor"
log "cursor obtained in $(calc "$(now) - $t0" %.1f)s (${#cursor} characters)"
deep="$list?limit=10&cursor=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$cursor")"

for p in "$list?limit=10" "$list?limit=10&$filter" "$deep"; do
    bench_probe "$p"
    n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["engagements"]))' "$WORK/probe.json")
    (( n == 10 )) || log "WARNING: $p returns $n engagements, not 10"
done

bench_warmup list.lua "$BASE$list?limit=10"
declare -A rps p50 p99 bad
for run in first filtered deep; do
    case $run in
        first) path="$list?limit=10" ;;
        filtered) path="$list?limit=10&$filter" ;;
        deep) path=$deep ;;
    esac
    bench_wrk "$run" list.lua "$BASE$path"
    bench_check_errors "$run"
    rps[$run]=$R_RPS p50[$run]=$R_P50_MS p99[$run]=$R_P99_MS bad[$run]=$R_NON2XX
done

for run in first filtered deep; do
    log "$(printf '%-8s %10s req/s  p50 %8s ms  p99 %8s ms  non-2xx %s' "$run" "${rps[$run]}" "${p50[$run]}" "${p99[$run]}" "${bad[$run]}")"
done
ratio() { calc "$1 / $2" %.2f; }
figure "filtered_rps ${rps[filtered]} req/s vs first page ${rps[first]} req/s"
figure "deep_rps ${rps[deep]} req/s vs first page ${rps[first]} req/s ($((pages * 1000)) rows deep)"
figure "filtered_slowdown_throughput $(ratio "${rps[first]}" "${rps[filtered]}")x (target <= 2; first rps / filtered rps)"
figure "filtered_slowdown_p99 $(ratio "${p99[filtered]}" "${p99[first]}")x (target <= 2; filtered p99 / first p99; p50 ratio $(ratio "${p50[filtered]}" "${p50[first]}")x)"
figure "deep_slowdown_throughput $(ratio "${rps[first]}" "${rps[deep]}")x (target <= 1.5; first rps / deep rps)"
figure "deep_slowdown_p99 $(ratio "${p99[deep]}" "${p99[first]}")x (target <= 1.5; deep p99 / first p99; p50 ratio $(ratio "${p50[deep]}" "${p50[first]}")x)"

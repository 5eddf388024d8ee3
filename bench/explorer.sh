#!/usr/bin/env bash
# The web explorer's pages on the BENCH_N data set: each page is asked for
# EXPLORER_REPEAT (20) times in turn over one keep-alive connection (after 3 unmeasured
# asks), and the server time is curl's time to the response's first byte on loopback.
# Pages: the overview (/ui: 90 days by channel and outcome), the overview of the most
# mentioned queue (/ui?queue=NAME: its visits per day over 90 days), the search's first page (all
# engagements, with the total), a filtered search (an agent's voice engagements in a
# month, with the total), the search's next page (a cursor), an engagement's page, and a
# customer's journey (the customer of a sampled engagement).
# Also the server's CPU time a request (user + system from /proc/PID/stat over the asks),
# which other work on the machine disturbs less than the latency.
# Target: every page <= 50 ms server time at 1,000,000 engagements.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init
REPEAT="${EXPLORER_REPEAT:-20}"

dir=$(bench_dataset "$BENCH_N")
bench_sample "$dir"
# A reader who signs in to the explorer (the admin commands work beside a running server).
"$BIN" user create --tenant "$TENANT" --username uibench --password uibench-pass --role reader \
    --data "$dir" > /dev/null 2>&1 || true
bench_serve "$dir"
bench_token "$dir"

jar="$WORK/explorer-cookies.txt"
rm -f "$jar"
login_page=$(curl -sS -c "$jar" -b "$jar" "$BASE/ui/login") || die "GET /ui/login"
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' <<< "$login_page" | head -n 1)
[[ -n "$csrf" ]] || die "no csrf field on the sign-in page"
code=$(curl -sS -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" -X POST "$BASE/ui/login" \
    --data-urlencode "csrf=$csrf" --data-urlencode tenant="$TENANT" \
    --data-urlencode username=uibench --data-urlencode password=uibench-pass)
[[ "$code" == 303 ]] || die "sign-in answered $code"

# What the pages are asked about: a sampled engagement, its customer, the sampled filter.
id=$(sed -n '1p' "$SAMPLE_IDS")
customer=$(api_get "/api/v1/tenants/$TENANT/engagements/$id" | python3 -c '
import json, sys
c = json.load(sys.stdin).get("customer", {})
v = (c.get("phones") or c.get("emails") or c.get("account_ids") or [c.get("contact_id", "")])[0]
print(v)')
[[ -n "$customer" ]] || die "engagement $id has no customer identifier"
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
first_search="$BASE/ui/engagements?limit=50"
next_link=$(curl -sS -b "$jar" "$first_search" | sed -n 's/.*href="\([^"]*\)" id="next-page".*/\1/p' | head -n 1 | sed 's/&#38;/\&/g')
[[ -n "$next_link" ]] || die "the first search page has no next page link"

queue_name=$(api_get "/api/v1/tenants/$TENANT/names?kind=queue&limit=1" | python3 -c '
import json, sys
print(json.load(sys.stdin)["names"][0]["name"])')
[[ -n "$queue_name" ]] || die "the data set has no queue names"
declare -A pages=(
    [overview]="$BASE/ui"
    [overview_queue]="$BASE/ui?queue=$(enc "$queue_name")"
    [search_all]="$first_search"
    [search_filtered]="$BASE/ui/engagements?agent=$(enc "$SAMPLE_AGENT")&channel_type=voice&started_from=$(enc "$SAMPLE_FROM")&started_to=$(enc "$SAMPLE_TO")&limit=50"
    [search_next]="$BASE$next_link"
    [engagement]="$BASE/ui/engagements/$(enc "$id")"
    [journey]="$BASE/ui/journey?customer=$(enc "$customer")"
)
order=(overview overview_queue search_all search_filtered search_next engagement journey)
worst=0
for name in "${order[@]}"; do
    url="${pages[$name]}"
    bench_latency "explorer-$name" "$url" "$REPEAT" -b "$jar"
    p50=$LAT_P50 p95=$LAT_P95 max=$LAT_MAX cpu=$LAT_CPU
    log "$(printf '%-16s p50 %7s ms  p95 %7s ms  max %7s ms  server CPU %6s ms/request  (%s)' "$name" "$p50" "$p95" "$max" "$cpu" "${url#"$BASE"}")"
    figure "explorer_${name}_ms p50 $p50 p95 $p95 max $max (target <= 50 ms; server CPU $cpu ms a request; $REPEAT requests, N=$BENCH_N, load $(cut -d' ' -f1 /proc/loadavg))"
    worst=$(python3 -c "print(max($worst, $p95))")
done
figure "explorer_worst_page_p95_ms $worst (target <= 50)"

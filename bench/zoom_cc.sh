#!/usr/bin/env bash
# Zoom Contact Center dialect against the native listing, on the BENCH_N data set: paging
# through the busiest month (bench/sample.py) at 100 per page, each at BENCH_CONNECTIONS
# connections for BENCH_SECONDS:
#   zoom_pages:   GET /v2/contact_center/engagements?from=M-01&to=M-last&page_size=100
#                 [&next_page_token=T], the first page and the pages after it, drawn at
#                 random from the first BENCH_ZOOM_PAGES (200) pages, total_records included
#                 (counted once on the first page, carried in the token)
#   native_pages: GET /api/v1/tenants/bench/engagements?started_from=M&started_to=M+1
#                 &state=completed&sort=started_at&limit=100[&cursor=C], the same pages
#   zoom_first / native_first: the first page only, the native one with count=exact (the
#                 Zoom first page counts the window)
# The server runs with INTERLOG_ZOOM_CC_RATE_LIMITS=off (Zoom's 10 requests/s would be
# measured otherwise) and one-hour page tokens (collecting the pages may take minutes).
# Also the server's CPU time a request (user + system from /proc/PID/stat over each run).
# The four runs are repeated BENCH_ZOOM_ROUNDS (3) times, alternating, and each keeps its
# best round (highest req/s, lowest p50 and p99): on a machine shared with other work, the
# best round is the closest to the cost of the request itself.
# Target: each Zoom page within 1.5x of the native page's latency (p50 and p99).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

PAGES="${BENCH_ZOOM_PAGES:-200}"
[[ "$PAGES" =~ ^[0-9]+$ ]] && (( PAGES >= 1 )) || die "BENCH_ZOOM_PAGES must be a positive integer"
ROUNDS="${BENCH_ZOOM_ROUNDS:-3}"
[[ "$ROUNDS" =~ ^[0-9]+$ ]] && (( ROUNDS >= 1 )) || die "BENCH_ZOOM_ROUNDS must be a positive integer"

dir=$(bench_dataset "$BENCH_N")
bench_sample "$dir"
export INTERLOG_ZOOM_CC_RATE_LIMITS=off INTERLOG_ZOOM_CC_PAGE_TOKEN_TTL_SECS=3600
bench_serve "$dir"
bench_token "$dir"
NATIVE_TOKEN=$TOKEN

# A Zoom token: server-to-server OAuth with the bench client's credentials.
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_id"])' "$dir/bench-client.json")
secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_secret"])' "$dir/bench-client.json")
body=$(curl -sS --fail-with-body -u "$id:$secret" -X POST \
    "$BASE/oauth/token?grant_type=account_credentials&account_id=$TENANT") || die "Zoom token request failed: $body"
ZOOM_TOKEN=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' <<< "$body") \
    || die "no access_token in: $body"

read -r zfrom zto < <(python3 -c '
import datetime, sys
a = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ")
b = datetime.datetime.strptime(sys.argv[2], "%Y-%m-%dT%H:%M:%SZ") - datetime.timedelta(days=1)
print(a.strftime("%Y-%m-%d"), b.strftime("%Y-%m-%d"))' "$SAMPLE_FROM" "$SAMPLE_TO")
zoom_first="/v2/contact_center/engagements?from=$zfrom&to=$zto&page_size=100"
native_list="/api/v1/tenants/$TENANT/engagements"
native_first="$native_list?started_from=$SAMPLE_FROM&started_to=$SAMPLE_TO&state=completed&sort=started_at&limit=100"
log "window: $SAMPLE_FROM .. $SAMPLE_TO (Zoom from=$zfrom to=$zto)"

# Collects the first PAGES pages of both listings, checking that they hold the same
# engagements in the same order; writes the paths to $WORK/zoom-paths.txt and
# $WORK/native-paths.txt and prints "PAGES ROWS TOTAL".
t0=$(now)
read -r pages rows total < <(python3 - "$BASE" "$ZOOM_TOKEN" "$NATIVE_TOKEN" "$zoom_first" "$native_first" "$PAGES" "$WORK" <<'PY'
import json, sys, urllib.parse, urllib.request
base, ztoken, ntoken, zfirst, nfirst, limit, work = sys.argv[1:8]
limit = int(limit)

def fetch(path, token):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req) as r:
        return json.load(r)

zpaths, npaths, zids, nids = [], [], [], []
path, total = zfirst, None
while path and len(zpaths) < limit:
    page = fetch(path, ztoken)
    zpaths.append(path)
    zids += [e["engagement_id"] for e in page["engagements"]]
    total = page["total_records"] if total is None else total
    if page["total_records"] != total:
        sys.exit("total_records changed between pages")
    t = page["next_page_token"]
    path = zfirst + "&next_page_token=" + urllib.parse.quote(t, safe="") if t else None
path = nfirst
while path and len(npaths) < len(zpaths):
    page = fetch(path, ntoken)
    npaths.append(path)
    nids += [e["id"] for e in page["engagements"]]
    c = page["next_cursor"]
    path = nfirst + "&cursor=" + urllib.parse.quote(c, safe="") if c else None
if zids != nids:
    sys.exit(f"the listings differ: {len(zids)} Zoom rows, {len(nids)} native rows")
if len(zids) != len(set(zids)):
    sys.exit("the Zoom pages repeat an engagement")
open(work + "/zoom-paths.txt", "w").write("\n".join(zpaths) + "\n")
open(work + "/native-paths.txt", "w").write("\n".join(npaths) + "\n")
print(len(zpaths), len(zids), total)
PY
) || die "collecting the pages"
log "collected $pages pages of each listing ($rows engagements; the window holds $total) in $(calc "$(now) - $t0" %.1f)s"
(( rows >= 100 )) || log "WARNING: the window holds fewer than 100 engagements; the pages are not full"

export PATHS
declare -A rps p50 p99 bad cpu
TICK_US=$(( 1000000 / $(getconf CLK_TCK) ))
# The server's CPU time so far (user + system), in microseconds.
server_cpu_us() { awk -v t="$TICK_US" '{ print ($14 + $15) * t }' "/proc/$SERVER_PID/stat"; }
best() { awk -v a="$1" -v b="$2" -v hi="$3" 'BEGIN { if (a == "" || (hi ? b > a : b < a)) print b; else print a }'; }
run() {
    local name="$1" token="$2" script="$3" url="$4" c0 c1
    c0=$(server_cpu_us)
    TOKEN=$token bench_wrk "$name" "$script" "$url"
    c1=$(server_cpu_us)
    bench_check_errors "$name"
    cpu[$name]=$(best "${cpu[$name]:-}" "$(calc "($c1 - $c0) / $R_REQUESTS" %.0f)" 0)
    rps[$name]=$(best "${rps[$name]:-}" "$R_RPS" 1)
    p50[$name]=$(best "${p50[$name]:-}" "$R_P50_MS" 0)
    p99[$name]=$(best "${p99[$name]:-}" "$R_P99_MS" 0)
    bad[$name]=$(( ${bad[$name]:-0} + R_NON2XX ))
}
TOKEN=$ZOOM_TOKEN bench_probe "$zoom_first"
TOKEN=$NATIVE_TOKEN bench_probe "$native_first&count=exact"
PATHS="$WORK/zoom-paths.txt" TOKEN=$ZOOM_TOKEN bench_warmup paths.lua "$BASE"
for ((round = 1; round <= ROUNDS; round++)); do
    log "round $round of $ROUNDS"
    PATHS="$WORK/zoom-paths.txt"
    run zoom_pages "$ZOOM_TOKEN" paths.lua "$BASE"
    PATHS="$WORK/native-paths.txt"
    run native_pages "$NATIVE_TOKEN" paths.lua "$BASE"
    run zoom_first "$ZOOM_TOKEN" list.lua "$BASE$zoom_first"
    run native_first "$NATIVE_TOKEN" list.lua "$BASE$native_first&count=exact"
done

for r in zoom_pages native_pages zoom_first native_first; do
    log "$(printf '%-13s %10s req/s  p50 %8s ms  p99 %8s ms  server CPU %6s us/request  non-2xx %s' "$r" "${rps[$r]}" "${p50[$r]}" "${p99[$r]}" "${cpu[$r]}" "${bad[$r]}")"
done
ratio() { calc "$1 / $2" %.2f; }
figure "zoom_cc_pages ${rps[zoom_pages]} req/s, p50 ${p50[zoom_pages]} ms, p99 ${p99[zoom_pages]} ms vs native ${rps[native_pages]} req/s, p50 ${p50[native_pages]} ms, p99 ${p99[native_pages]} ms ($pages pages of 100 from a window of $total; best of $ROUNDS rounds; non-2xx ${bad[zoom_pages]})"
figure "zoom_cc_page_latency_p50 $(ratio "${p50[zoom_pages]}" "${p50[native_pages]}")x (target <= 1.5; Zoom page p50 / native page p50)"
figure "zoom_cc_page_latency_p99 $(ratio "${p99[zoom_pages]}" "${p99[native_pages]}")x (target <= 1.5; Zoom page p99 / native page p99)"
figure "zoom_cc_page_cpu $(ratio "${cpu[zoom_pages]}" "${cpu[native_pages]}")x (server CPU a request, steadier than latency when other work shares the machine: Zoom page ${cpu[zoom_pages]} us / native page ${cpu[native_pages]} us)"
figure "zoom_cc_first_page_latency_p50 $(ratio "${p50[zoom_first]}" "${p50[native_first]}")x (target <= 1.5; Zoom first page with total_records / native first page with count=exact; ${p50[zoom_first]} vs ${p50[native_first]} ms)"
figure "zoom_cc_first_page_latency_p99 $(ratio "${p99[zoom_first]}" "${p99[native_first]}")x (target <= 1.5; ${p99[zoom_first]} vs ${p99[native_first]} ms)"

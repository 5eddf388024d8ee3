#!/usr/bin/env bash
# The Oracle Live Experience dialect against the native listing, on the BENCH_N data set,
# each at BENCH_CONNECTIONS connections for BENCH_SECONDS, in one server:
#   native:   GET /api/v1/tenants/bench/engagements?limit=10
#   native_ok: the same with outcome=successful, the filter the dialect's default status
#             applies (for reading the figures: it skips the engagements still active at the
#             head of the data set, as the dialect must)
#   json:     GET /v1/engagements/bench?limit=10                      (Accept: application/json)
#   xml:      GET /v1/engagements/bench?limit=10                      (Accept: application/xml)
#   offset0:  GET /v1/engagements/bench?limit=10&offset=0
#   deep:     GET /v1/engagements/bench?limit=10&offset=10000         (fewer rows deep when the
#             data set has fewer than 10,010 successful engagements)
# The token comes from the dialect's own GET /v1/auth/bench (credentials = base64 of
# clientId:clientSecret) and serves every run, the native one included.
# Targets: JSON within 1.3x of the native list's throughput, XML within 1.6x; offset 10,000
# within 2x of offset 0.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

dir=$(bench_dataset "$BENCH_N")
bench_serve "$dir"

# A token from the dialect's token resource.
creds=$(python3 -c '
import base64, json, sys
c = json.load(open(sys.argv[1]))
print(base64.b64encode((c["client_id"] + ":" + c["client_secret"]).encode()).decode())' "$dir/bench-client.json")
body=$(curl -sS --fail-with-body -G "$BASE/v1/auth/$TENANT" \
    --data-urlencode grant_type=password --data-urlencode domain_name=live.oraclecloud.com \
    --data-urlencode "credentials=$creds") || die "GET /v1/auth/$TENANT failed: $body"
TOKEN=$(python3 -c 'import json,sys; d = json.load(sys.stdin); assert d["expires_in"] == 1200, d; print(d["access_token"])' <<< "$body") \
    || die "no access_token in: $body"
export TOKEN

native="/api/v1/tenants/$TENANT/engagements?limit=10"
lx="/v1/engagements/$TENANT"
successful=$(api_get "/v1/engagements/count/$TENANT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
deep_offset=10000
if (( successful < deep_offset + 10 )); then
    deep_offset=$(( successful > 10 ? successful - 10 : 0 ))
    log "only $successful successful engagements: the deep page is at offset $deep_offset, not 10000"
fi
log "$successful successful engagements (the dialect's default status filter)"

# Every URL answers a full page before it is measured.
check_page() {
    local path="$1" accept="$2" code
    code=$(curl -s -o "$WORK/probe-lx.out" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H "Accept: $accept" "$BASE$path")
    [[ "$code" == 200 ]] || { head -c 600 "$WORK/probe-lx.out" >&2; echo >&2; die "GET $path ($accept) answered $code"; }
    python3 - "$WORK/probe-lx.out" "$accept" <<'PY' || die "GET $path ($accept) does not hold 10 engagements"
import json, sys, xml.etree.ElementTree as ET
text = open(sys.argv[1], encoding="utf-8").read()
if "xml" in sys.argv[2]:
    n = len(ET.fromstring(text).findall("engagements"))
else:
    d = json.loads(text)
    n = len(d["engagements"])
sys.exit(0 if n == 10 else 1)
PY
}
check_page "$native" application/json
check_page "$native&outcome=successful" application/json
check_page "$lx?limit=10" application/json
check_page "$lx?limit=10" application/xml
check_page "$lx?limit=10&offset=0" application/json
check_page "$lx?limit=10&offset=$deep_offset" application/json

# CPU time the server spends on a run (user + system, in clock ticks), so that a figure can be
# read per request even when other work shares the machine and blurs the throughput.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
hz=$(getconf CLK_TCK)

bench_warmup list.lua "$BASE$native"
declare -A rps p50 p99 bad cpu
runs=(native native_ok json xml offset0 deep)
for run in "${runs[@]}"; do
    accept=application/json
    case $run in
        native) path=$native ;;
        native_ok) path="$native&outcome=successful" ;;
        json) path="$lx?limit=10" ;;
        xml) path="$lx?limit=10" accept=application/xml ;;
        offset0) path="$lx?limit=10&offset=0" ;;
        deep) path="$lx?limit=10&offset=$deep_offset" ;;
    esac
    t0=$(cpu_ticks)
    bench_wrk "lx_$run" list.lua "$BASE$path" -H "Accept: $accept"
    t1=$(cpu_ticks)
    bench_check_errors "lx_$run"
    rps[$run]=$R_RPS p50[$run]=$R_P50_MS p99[$run]=$R_P99_MS bad[$run]=$R_NON2XX
    cpu[$run]=$(calc "($t1 - $t0) * 1000000 / $hz / $R_REQUESTS" %.0f)
done

for run in "${runs[@]}"; do
    log "$(printf '%-9s %10s req/s  p50 %8s ms  p99 %8s ms  server CPU %6s us/request  non-2xx %s' "$run" "${rps[$run]}" "${p50[$run]}" "${p99[$run]}" "${cpu[$run]}" "${bad[$run]}")"
done
ratio() { calc "$1 / $2" %.2f; }
figure "oracle_lx_json_rps ${rps[json]} req/s vs native ${rps[native]} req/s, native with outcome=successful ${rps[native_ok]} req/s (p99 ${p99[json]} ms vs ${p99[native]} ms)"
figure "oracle_lx_xml_rps ${rps[xml]} req/s vs native ${rps[native]} req/s (p99 ${p99[xml]} ms)"
figure "oracle_lx_json_slowdown $(ratio "${rps[native]}" "${rps[json]}")x (target <= 1.3; native rps / JSON rps; $(ratio "${rps[native_ok]}" "${rps[json]}")x against native with outcome=successful; server CPU ${cpu[json]} vs ${cpu[native]} us/request)"
figure "oracle_lx_xml_slowdown $(ratio "${rps[native]}" "${rps[xml]}")x (target <= 1.6; native rps / XML rps; $(ratio "${rps[native_ok]}" "${rps[xml]}")x against native with outcome=successful; server CPU ${cpu[xml]} vs ${cpu[native]} us/request)"
figure "oracle_lx_offset_slowdown $(ratio "${rps[offset0]}" "${rps[deep]}")x (target <= 2; offset 0 rps ${rps[offset0]} / offset $deep_offset rps ${rps[deep]}; p99 ${p99[offset0]} vs ${p99[deep]} ms; server CPU ${cpu[offset0]} vs ${cpu[deep]} us/request)"

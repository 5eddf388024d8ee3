#!/usr/bin/env bash
# Names on the BENCH_N data set, each at BENCH_CONNECTIONS connections for BENCH_SECONDS:
#   suggest:  GET .../names?kind=agent&prefix=P&limit=10   (P: the first 3 letters of the
#             most mentioned agent's name, as a picker asks while one types)
#   by_id:    GET .../engagements?limit=10&agent=ID         (that agent, by id)
#   by_name:  GET .../engagements?limit=10&agent=NAME       (the same agent, by name)
#   phone:    GET .../engagements?limit=10&customer=DIGITS  (the last 7 digits of a phone
#             number of the data set)
#   expr_id:  GET .../engagements?limit=10&filter=agent:ID OR queue_id:QID  (that agent or
#             the most mentioned queue, by ids, in a filter= expression)
#   expr_name: the same expression by their names (agent:"NAME" OR queue:"QNAME")
# Targets: a suggestion within the first page's latency class (p99 <= 20 ms); a listing by
# name within 1.2x of the same listing by id, in throughput and p99; the same for an
# expression.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

dir=$(bench_dataset "$BENCH_N")
bench_serve "$dir"
bench_token "$dir"
names="/api/v1/tenants/$TENANT/names"
list="/api/v1/tenants/$TENANT/engagements"

read -r agent_id agent_name <<< "$(api_get "$names?kind=agent&limit=1" | python3 -c '
import json, sys
n = json.load(sys.stdin)["names"][0]
print(n["id"], n["name"])')"
[[ -n "$agent_name" ]] || die "the data set has no agent names"
log "most mentioned agent: $agent_name ($agent_id)"
read -r queue_id queue_name <<< "$(api_get "$names?kind=queue&limit=1" | python3 -c '
import json, sys
n = json.load(sys.stdin)["names"][0]
print(n["id"], n["name"])')"
[[ -n "$queue_name" ]] || die "the data set has no queue names"
log "most mentioned queue: $queue_name ($queue_id)"
for kind in queue agent team disposition; do
    log "$kind names: $(api_get "$names?kind=$kind&limit=100" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["names"]))') (at most 100 asked)"
done
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
prefix=$(enc "${agent_name:0:3}")
phone=$(api_get "$list?limit=1&channel_type=voice" | python3 -c '
import json, re, sys
e = json.load(sys.stdin)["engagements"][0]
numbers = e.get("customer", {}).get("phones", []) + [p["calling_number"] for p in e.get("participants", []) if p.get("role") == "customer" and p.get("calling_number")]
print(re.sub(r"\D", "", numbers[0])[-7:] if numbers else "")')
[[ -n "$phone" ]] || die "no customer phone number in the data set's newest voice engagement"

suggest="$names?kind=agent&prefix=$prefix&limit=10"
by_id="$list?limit=10&agent=$(enc "$agent_id")"
by_name="$list?limit=10&agent=$(enc "$agent_name")"
by_phone="$list?limit=10&customer=$phone"
expr_id="$list?limit=10&filter=$(enc "agent:\"$agent_id\" OR queue_id:\"$queue_id\"")"
expr_name="$list?limit=10&filter=$(enc "agent:\"$agent_name\" OR queue:\"$queue_name\"")"
for p in "$suggest" "$by_id" "$by_name" "$by_phone" "$expr_id" "$expr_name"; do
    bench_probe "$p"
done
# "yes" when the two listings hold the same engagements, and some.
same_listing() {
    python3 - "$BASE" "$TOKEN" "$1" "$2" <<'PY'
import json, sys, urllib.request
base, token, a, b = sys.argv[1:]
def ids(path):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req) as r:
        return [e["id"] for e in json.load(r)["engagements"]]
print("yes" if ids(a) == ids(b) and ids(a) else "no")
PY
}
[[ "$(same_listing "$by_id" "$by_name")" == yes ]] \
    || log "WARNING: the listing by name is not the listing by id (another agent has the same name?)"
[[ "$(same_listing "$expr_id" "$expr_name")" == yes ]] \
    || log "WARNING: the expression by names is not the expression by ids (or finds nothing)"

bench_warmup list.lua "$BASE$by_id"
declare -A rps p50 p99
for run in suggest by_id by_name phone expr_id expr_name; do
    case $run in
        suggest) path=$suggest ;;
        by_id) path=$by_id ;;
        by_name) path=$by_name ;;
        phone) path=$by_phone ;;
        expr_id) path=$expr_id ;;
        expr_name) path=$expr_name ;;
    esac
    bench_wrk "names-$run" list.lua "$BASE$path"
    bench_check_errors "names-$run"
    rps[$run]=$R_RPS p50[$run]=$R_P50_MS p99[$run]=$R_P99_MS
done
for run in suggest by_id by_name phone expr_id expr_name; do
    log "$(printf '%-9s %10s req/s  p50 %8s ms  p99 %8s ms' "$run" "${rps[$run]}" "${p50[$run]}" "${p99[$run]}")"
done
ratio() { calc "$1 / $2" %.2f; }
figure "names_suggest_rps ${rps[suggest]} req/s (p50 ${p50[suggest]} ms, p99 ${p99[suggest]} ms; target p99 <= 20 ms; kind=agent&prefix=${agent_name:0:3})"
figure "names_filter_slowdown_throughput $(ratio "${rps[by_id]}" "${rps[by_name]}")x (target <= 1.2; agent by id ${rps[by_id]} req/s / by name ${rps[by_name]} req/s)"
figure "names_filter_slowdown_p99 $(ratio "${p99[by_name]}" "${p99[by_id]}")x (target <= 1.2; by name p99 ${p99[by_name]} ms / by id ${p99[by_id]} ms)"
figure "phone_end_rps ${rps[phone]} req/s (p50 ${p50[phone]} ms, p99 ${p99[phone]} ms; customer=<last 7 digits>)"
figure "names_expr_slowdown_throughput $(ratio "${rps[expr_id]}" "${rps[expr_name]}")x (target <= 1.2; filter=agent OR queue by ids ${rps[expr_id]} req/s / by names ${rps[expr_name]} req/s)"
figure "names_expr_slowdown_p99 $(ratio "${p99[expr_name]}" "${p99[expr_id]}")x (target <= 1.2; by names p99 ${p99[expr_name]} ms / by ids ${p99[expr_id]} ms)"

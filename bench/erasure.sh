#!/usr/bin/env bash
# Erasing one customer with ERASURE_N (1,000) engagements from a copy of the BENCH_N data set:
# the customer's engagements (generated, then given one phone number and new ids) are
# imported, the server started, and POST /api/v1/tenants/bench/erasures
# {"identifier": PHONE} timed by curl (the whole request: resolving the identifier through
# its links, deleting the engagements with their tombstones, the receipt). Checked: the
# receipt counts ERASURE_N, and a search by the phone finds nothing afterwards.
# Target: <= 1 s for 1,000 engagements at 1,000,000.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

n="${ERASURE_N:-1000}"
phone="+353 1 555 0100"
src=$(bench_ndjson "$n" $((BENCH_SEED + 4)))
bench_scratch_copy erasure
python3 "$BENCH_DIR/lifecycle.py" customer "$src" "$WORK/erasure-customer.ndjson" "$n" "$phone" \
    || die "preparing the customer's engagements"
bench_import "$SCRATCH_DIR" "$WORK/erasure-customer.ndjson" "$n" > /dev/null
bench_serve "$SCRATCH_DIR"
bench_token "$SCRATCH_DIR"
q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$phone")
before=$(api_get "/api/v1/tenants/$TENANT/engagements?customer=$q&limit=1&count=exact" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
[[ "$before" == "$n" ]] || die "the customer has $before engagements, expected $n"

secs=$(curl -sS --fail-with-body -o "$WORK/erasure-receipt.json" -w '%{time_total}' -X POST \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"identifier\":\"$phone\"}" "$BASE/api/v1/tenants/$TENANT/erasures") \
    || die "erasure: $(cat "$WORK/erasure-receipt.json")"
erased=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["engagements_erased"])' "$WORK/erasure-receipt.json")
[[ "$erased" == "$n" ]] || die "the receipt says $erased erased, expected $n: $(cat "$WORK/erasure-receipt.json")"
after=$(api_get "/api/v1/tenants/$TENANT/engagements?customer=$q&limit=1&count=exact" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
[[ "$after" == 0 ]] || die "$after engagements of the customer are left"

figure "erasure_seconds $(calc "$secs" %.3f) s (target <= 1; $n engagements of one customer among $BENCH_N, the whole POST /erasures)"

#!/usr/bin/env bash
# Offline import into a store already holding the data set: `interlog import` of BENCH_N new
# engagements (generated with seed+1) into a copy of the BENCH_N data set, timed from start
# to exit. Target: >= 25,000/s at N = 1,000,000.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

n=$BENCH_N
file=$(bench_ndjson "$n" $((BENCH_SEED + 1)))
bench_scratch_copy import-existing
dir=$SCRATCH_DIR
log "importing $n new engagements into a copy of the data set ($n engagements)"
result=$(bench_import "$dir" "$file" "$n")
read -r secs created cpu <<< "$result"
rate=$(calc "$created / $secs")
log "imported $created engagements in ${secs}s; store: $(du -sh "$dir" | cut -f1)"
figure "import_existing_rate $rate engagements/s (target >= 25000; $created new engagements into a store of $n in ${secs}s; $(calc "$cpu * 1000000 / $created") µs of CPU an engagement)"

#!/usr/bin/env bash
# Offline import: `interlog import` of BENCH_N generated engagements into an empty store,
# timed from start to exit (wall clock of the whole command). Target: >= 50,000/s.
# The store it fills becomes the cached data set of the other scripts when there is none.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

n=$BENCH_N
file=$(bench_ndjson "$n")
dir="$WORK/import-$n"
on_exit "rm -rf '$dir'"
bench_fresh_dir "$dir"
log "importing $n engagements ($(du -h "$file" | cut -f1) of NDJSON) into an empty store"
result=$(bench_import "$dir" "$file" "$n")
read -r secs created cpu <<< "$result"
rate=$(calc "$created / $secs")
log "imported $created engagements in ${secs}s; store: $(du -sh "$dir" | cut -f1)"

# The database file and its log (checkpointed and truncated when the import closed).
bytes=$(du -cb "$dir"/interlog.db* | tail -n 1 | cut -f1)
per=$(calc "$bytes / $created")

if [[ ! -f "$(bench_dataset_path "$n")/.complete" ]]; then
    log "keeping this store as the cached data set $(bench_dataset_path "$n")"
    bench_adopt_dataset "$dir" "$n"
fi

figure "store_bytes_per_engagement $per B (target <= 1200; $bytes bytes of interlog.db and its log for $created engagements)"
figure "import_rate $rate engagements/s (target >= 50000; $created engagements in ${secs}s; $(calc "$cpu * 1000000 / $created") µs of CPU an engagement)"

#!/usr/bin/env bash
# Runs every benchmark in turn and prints all their FIGURE lines at the end.
#   bash bench/all.sh                 # everything
#   bash bench/all.sh list get        # some of them (names of the scripts, without .sh)
# Each script's full output goes to bench/.work/logs/NAME.log (and to the terminal).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init
export BENCH_SKIP_BUILD=1   # built once, above

scripts=("$@")
((${#scripts[@]})) || scripts=(import bulk_ingest upserts list get filtered filter_expression search names changes webhooks erasure export retention explorer metrics_cost)
logs="$WORK/logs"
mkdir -p "$logs"
failed=()
started=$(now)
for s in "${scripts[@]}"; do
    [[ -f "$BENCH_DIR/$s.sh" ]] || die "no benchmark bench/$s.sh"
    log "=== $s ==="
    if ! bash "$BENCH_DIR/$s.sh" 2>&1 | tee "$logs/$s.log"; then
        failed+=("$s")
        log "=== $s FAILED (see $logs/$s.log) ==="
    fi
done

echo
echo "== Interlog benchmarks: N=$BENCH_N, ${BENCH_SECONDS}s runs, $BENCH_CONNECTIONS connections, $(nproc) cores shared with wrk; $(calc "$(now) - $started" %.0f)s in all"
for s in "${scripts[@]}"; do
    grep -h '^FIGURE ' "$logs/$s.log" || echo "FIGURE $s (no figure: the script failed)"
done
if ((${#failed[@]})); then
    echo "FAILED: ${failed[*]}"
    exit 1
fi

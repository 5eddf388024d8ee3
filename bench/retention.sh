#!/usr/bin/env bash
# A retention sweep removing RETENTION_N (100,000) engagements from a copy of the BENCH_N data
# set while the list benchmark runs. The retention period is chosen so that about
# RETENTION_N engagements started before it (found by counting); the server runs with
# maintenance every second. First the list load alone (`list.lua`, BENCH_SECONDS), then the
# period is set with `interlog tenant update --retention-days` and the same load runs during
# the sweep, and alone again once the sweep is over; the sweep's duration is when the count
# reached its target.
# Target: list throughput during the sweep >= 80% of the idle figure.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

want="${RETENTION_N:-100000}"
bench_scratch_copy retention
export INTERLOG_MAINTENANCE_INTERVAL_SECS=1
bench_serve "$SCRATCH_DIR"
bench_token "$SCRATCH_DIR"
url="$BASE/api/v1/tenants/$TENANT/engagements?limit=10"
total=$(bench_count)

count_before_days() {
    local to
    to=$(date -u -d "-$1 days" +%Y-%m-%dT%H:%M:%SZ)
    api_get "/api/v1/tenants/$TENANT/engagements?limit=1&count=exact&started_to=$to" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'
}
# The smallest number of days whose horizon leaves at most `want` engagements before it.
lo=1 hi=3650
while (( lo < hi )); do
    mid=$(( (lo + hi) / 2 ))
    if (( $(count_before_days "$mid") <= want )); then hi=$mid; else lo=$((mid + 1)); fi
done
days=$lo
expect=$(count_before_days "$days")
(( expect > 0 )) || die "no engagement is older than $days days"
log "retention of $days days removes $expect of $total engagements"

bench_warmup list.lua "$url"
bench_wrk retention-idle list.lua "$url"
idle=$R_RPS

"$BIN" tenant update "$TENANT" --retention-days "$days" --data "$SCRATCH_DIR" > /dev/null \
    || die "interlog tenant update --retention-days"
rm -f "$WORK/retention-done"
t0=$(now)
(
    while (( $(bench_count) > total - expect )); do sleep 0.2; done
    now > "$WORK/retention-done"
) &
watcher=$!
on_exit "kill $watcher 2>/dev/null || true"
bench_wrk retention-sweep list.lua "$url"
during=$R_RPS
t1=$(now)
wait "$watcher" || die "the sweep watcher failed"
sweep=$(calc "$(cat "$WORK/retention-done") - $t0" %.1f)
# The horizon moves on while the benchmark runs, so an engagement or two more may have aged
# out by the time the sweep ends; more than a few hundred would be a sweep gone wrong.
removed=$((total - $(bench_count)))
(( removed >= expect && removed <= expect + 500 )) \
    || die "the sweep removed $removed engagements, expected $expect (a few more as the horizon moves)"
overlap=$(calc "($(cat "$WORK/retention-done") - $t0) / ($t1 - $t0) * 100" %.0f)
(( overlap > 100 )) && overlap=100
# Idle again now the sweep is over: the machine's speed drifts (other guests of the host),
# so the sweep's run is compared with the mean of one idle run before and one after.
bench_wrk retention-idle-after list.lua "$url"
idle=$(calc "($idle + $R_RPS) / 2" %.1f)

figure "retention_list_ratio $(calc "$during / $idle * 100" %.1f)% (target >= 80; list $during req/s during the sweep vs $idle idle (mean of before and after); the sweep of $removed engagements took ${sweep}s, ${overlap}% of the measured run)"

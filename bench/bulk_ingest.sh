#!/usr/bin/env bash
# HTTP bulk ingest: one POST /api/v1/tenants/bench/ingest whose body is BENCH_INGEST_N new
# engagements as NDJSON (generated with another seed), streamed from a file by curl, into a
# copy of the BENCH_N data set. Rate = engagements created / wall time of the request.
# Target: >= 20,000/s.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

ingest_n="${BENCH_INGEST_N:-200000}"
(( ingest_n <= BENCH_N )) || ingest_n=$BENCH_N
file=$(bench_ndjson "$ingest_n" $((BENCH_SEED + 1)))
bench_scratch_copy ingest
dir=$SCRATCH_DIR
bench_serve "$dir"
bench_token "$dir"
before=$(bench_count)

log "POST /ingest: $ingest_n engagements, $(du -h "$file" | cut -f1)"
bench_rss_start "$SERVER_PID" "$WORK/rss-ingest.txt"
out="$WORK/ingest-response.json"
log "machine load before the ingest: $(uptime | sed 's/.*load average/load average/')"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
c0=$(cpu_ticks)
t0=$(now)
code=$(curl -sS -o "$out" -w '%{http_code}' -X POST -T "$file" \
    -H 'Expect:' -H 'Content-Type: application/x-ndjson' -H "Authorization: Bearer $TOKEN" \
    "$BASE/api/v1/tenants/$TENANT/ingest") || die "the ingest request failed"
t1=$(now)
c1=$(cpu_ticks)
bench_rss_stop "$WORK/rss-ingest.txt"
[[ "$code" == 200 ]] || { head -c 1000 "$out" >&2; die "ingest answered $code"; }
secs=$(calc "$t1 - $t0" %.3f)
summary=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["lines"], s["created"], s["updated"], s["stale"], s["rejected"])' "$out") \
    || { head -c 1000 "$out" >&2; die "cannot read the ingest summary"; }
read -r lines created updated stale rejected <<< "$summary"
log "summary: lines=$lines created=$created updated=$updated stale=$stale rejected=$rejected in ${secs}s"
log "server memory during the ingest: max VmRSS ${RSS_MAX_MB} MB, VmHWM ${HWM_MB} MB"
after=$(bench_count)
log "count: $before before, $after after (+$((after - before)))"
(( created == ingest_n && after - before == created )) \
    || die "expected $ingest_n created and the count to grow by as many"

rate=$(calc "$created / $secs")
cpu_us=$(calc "($c1 - $c0) * 1000000 / $(getconf CLK_TCK) / $created")
figure "server_rss_ingest $RSS_MAX_MB MB (no target of its own; max VmRSS during the ingest; VmHWM $HWM_MB MB)"
figure "bulk_ingest_rate $rate engagements/s (target >= 20000; $created engagements in ${secs}s; server CPU $cpu_us µs an engagement)"

#!/usr/bin/env bash
# Single upserts: PUT /api/v1/tenants/bench/engagements/{id}, each with a new id and a
# small voice engagement as its JSON body, from BENCH_CONNECTIONS concurrent connections for
# BENCH_SECONDS, into a copy of the BENCH_N data set. Target: >= 5,000/s at 64 connections.
#
# Checks: every PUT sent is answered (the Lua script stops sending PUTs at the cut-off and
# wrk runs a few seconds longer); the engagement count grows by exactly the number of 201
# responses; and it still does after the server is killed with SIGKILL and restarted, so
# every acknowledged upsert had been stored by the process before its answer.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

bench_scratch_copy upserts
dir=$SCRATCH_DIR
bench_serve "$dir"
bench_token "$dir"
before=$(bench_count)

export TENANT RUN_TAG="r$(date +%s)p$$" PUT_SECONDS="$BENCH_SECONDS"
grace=5
log "PUT for ${BENCH_SECONDS}s (then /healthz only for ${grace}s so every PUT is answered)"
# bench_wrk runs for BENCH_SECONDS; this run needs the grace period on top.
BENCH_SECONDS=$((BENCH_SECONDS + grace)) bench_wrk upserts upsert.lua "$BASE"

after=$(bench_count)
growth=$((after - before))
log "PUTs sent $R_PUTS_SENT: 201 created $R_CREATED, 200 updated $R_UPDATED, failed $R_PUT_FAILED, unanswered $R_PUT_UNANSWERED; socket errors $R_SOCKET_ERRORS"
log "count: $before before, $after after: grew by $growth; 2xx responses: $((R_CREATED + R_UPDATED))"

log "killing the server (SIGKILL) and restarting it on the same data"
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2> /dev/null || true
bench_serve "$dir"
bench_token "$dir"
after_restart=$(bench_count)
log "count after the restart: $after_restart (grew by $((after_restart - before)))"

ok=1
(( growth == R_CREATED )) || { ok=0; log "MISMATCH: the count grew by $growth but $R_CREATED PUTs answered 201"; }
(( after_restart == after )) || { ok=0; log "MISMATCH: $after engagements before the kill, $after_restart after the restart"; }
(( R_UPDATED == 0 && R_PUT_FAILED == 0 && R_PUT_UNANSWERED == 0 && R_SOCKET_ERRORS == 0 )) \
    || { ok=0; log "PROBLEM: every PUT should have answered 201 (ids are new)"; }
check=$([[ $ok == 1 ]] && echo "count check ok" || echo "CHECK FAILED")

rate=$(calc "$R_CREATED / $R_PUT_SECONDS")
echo "VERIFY upserts 2xx=$((R_CREATED + R_UPDATED)) created=$R_CREATED count_growth=$growth count_growth_after_kill=$((after_restart - before)) sent=$R_PUTS_SENT failed=$R_PUT_FAILED unanswered=$R_PUT_UNANSWERED"
figure "upsert_rate $rate upserts/s (target >= 5000; $R_CREATED in ${R_PUT_SECONDS}s at $BENCH_CONNECTIONS connections; $check)"
(( ok == 1 ))

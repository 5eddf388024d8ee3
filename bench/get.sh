#!/usr/bin/env bash
# Get by id: GET /api/v1/tenants/bench/engagements/{id}, ids drawn at random from 10,000
# ids sampled uniformly from the BENCH_N data set (bench/sample.py over `interlog export`),
# at BENCH_CONNECTIONS connections for BENCH_SECONDS. Target: >= 25,000 req/s.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

dir=$(bench_dataset "$BENCH_N")
bench_sample "$dir"
log "$(wc -l < "$SAMPLE_IDS") ids in $SAMPLE_IDS"
bench_serve "$dir"
bench_token "$dir"
bench_probe "/api/v1/tenants/$TENANT/engagements/$(head -n 1 "$SAMPLE_IDS")"

export TENANT IDS="$SAMPLE_IDS"
bench_warmup get.lua "$BASE"
bench_rss_start "$SERVER_PID" "$WORK/rss-get.txt"
bench_wrk get get.lua "$BASE"
bench_rss_stop "$WORK/rss-get.txt"
bench_check_errors get
log "server memory: max VmRSS ${RSS_MAX_MB} MB during the load; VmHWM ${HWM_MB} MB"

figure "get_rps $R_RPS req/s (target >= 25000; $BENCH_CONNECTIONS connections; p99 $R_P99_MS ms; non-2xx $R_NON2XX)"
figure "server_rss_get $RSS_MAX_MB MB (no target of its own, for comparison with server_rss; max VmRSS during the get load; VmHWM $HWM_MB MB)"

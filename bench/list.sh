#!/usr/bin/env bash
# Native listing, first page: GET /api/v1/tenants/bench/engagements?limit=10 (newest
# first, the default sort) at BENCH_CONNECTIONS connections for BENCH_SECONDS, on the
# BENCH_N data set; throughput and p99 latency from wrk, and the server's resident memory
# (VmRSS, VmHWM from /proc) sampled during the load.
# Targets: >= 15,000 req/s, p99 <= 20 ms at 64 connections; resident memory <= 200 MB.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init

dir=$(bench_dataset "$BENCH_N")
bench_serve "$dir"
bench_token "$dir"
url="$BASE/api/v1/tenants/$TENANT/engagements?limit=10"
bench_probe "${url#"$BASE"}"
python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert len(d["engagements"]) == 10, d' \
    "$WORK/probe.json" || die "the first page does not hold 10 engagements"

bench_warmup list.lua "$url"
bench_rss_start "$SERVER_PID" "$WORK/rss-list.txt"
bench_wrk list list.lua "$url"
bench_rss_stop "$WORK/rss-list.txt"
bench_check_errors list
log "server memory: max VmRSS ${RSS_MAX_MB} MB over $RSS_SAMPLES samples during the load; VmHWM ${HWM_MB} MB"

figure "list_rps $R_RPS req/s (target >= 15000; $BENCH_CONNECTIONS connections; non-2xx $R_NON2XX)"
figure "list_p99 $R_P99_MS ms (target <= 20; p50 $R_P50_MS ms)"
figure "server_rss $RSS_MAX_MB MB (target <= 200; max VmRSS during the list load; VmHWM $HWM_MB MB)"

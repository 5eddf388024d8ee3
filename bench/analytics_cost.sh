#!/usr/bin/env bash
# What the analytics rows add to an offline import and to the store: the BENCH_N generated
# engagements imported into an empty store (SQLite) by the binary of the commit before
# analytics and by this one, alternately, ANALYTICS_COST_ROUNDS (1) times each; wall time and
# CPU time (user + system) of each import, and the store's bytes once it has closed
# (interlog.db and its log, checkpointed by the import). Prints the differences.
# Target: the analytics rows add at most 15% to import time and to disk.
#
# ANALYTICS_BEFORE: the commit before analytics (default: the merge base with main). Its
# source is exported with `git archive` and built into bench/.work/before-target (the first
# run builds the workspace's crates, over a copy of this worktree's release dependencies);
# the binary is kept as bench/.work/interlog-before-COMMIT.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init
ROUNDS="${ANALYTICS_COST_ROUNDS:-1}"
before_commit="${ANALYTICS_BEFORE:-$(git merge-base HEAD main)}"
before_bin="$WORK/interlog-before-${before_commit:0:12}"
if [[ ! -x "$before_bin" ]]; then
    src="$WORK/before-src"
    rm -rf "$src"
    mkdir -p "$src"
    log "building the binary of $before_commit (git archive, cargo build --release)"
    git archive "$before_commit" | tar -x -C "$src"
    # The dependencies are this worktree's: a copy of its release artifacts leaves only the
    # workspace's crates to build (a build from nothing takes ten minutes or more on 2 cores).
    if [[ ! -d "$WORK/before-target/release" && -d "$ROOT/target/release/deps" ]]; then
        mkdir -p "$WORK/before-target"
        cp -a --reflink=auto "$ROOT/target/release" "$WORK/before-target/release"
        rm -f "$WORK/before-target/release/interlog"
    fi
    out="$(CARGO_INCREMENTAL=0 cargo build --release -p interlog --manifest-path "$src/Cargo.toml" \
        --target-dir "$WORK/before-target" 2>&1)" || { printf '%s\n' "$out" >&2; die "build of $before_commit"; }
    cp "$WORK/before-target/release/interlog" "$before_bin"
    rm -rf "$src"
fi

file=$(bench_ndjson "$BENCH_N")
store_bytes() { du -cb "$1"/interlog.db* | tail -n 1 | cut -f1; }
declare -A wall cpu bytes
for ((r = 1; r <= ROUNDS; r++)); do
    for which in before after; do
        bin="$BIN"
        [[ "$which" == before ]] && bin="$before_bin"
        d="$WORK/scratch-cost-$which"
        rm -rf "$d"
        on_exit "rm -rf '$d'"
        BIN="$bin" bench_fresh_dir "$d"
        read -r secs created cpus < <(BIN="$bin" bench_import "$d" "$file" "$BENCH_N")
        b=$(store_bytes "$d")
        log "round $r $which: $secs s wall, $cpus s CPU, $b bytes ($(calc "$b / $created") B an engagement); load $(cut -d' ' -f1 /proc/loadavg)"
        wall[$which]="${wall[$which]:-} $secs"
        cpu[$which]="${cpu[$which]:-} $cpus"
        bytes[$which]=$b
        if [[ "$which" == after ]]; then
            log "figures table: $(python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
n = c.execute("SELECT count(*) FROM figures").fetchone()[0]
k = c.execute("SELECT count(*) FROM figure_keys").fetchone()[0]
try:
    size = c.execute("SELECT sum(pgsize) FROM dbstat WHERE name IN (\"figures\", \"figure_keys\", \"figure_keys_by_id\")").fetchone()[0]
except sqlite3.OperationalError:
    size = None
print(f"{n} rows, {k} keys, {size} bytes" if size else f"{n} rows, {k} keys")' "$d/interlog.db")"
        fi
        rm -rf "$d"
    done
done
median() { tr ' ' '\n' <<< "$1" | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
wb=$(median "${wall[before]}"); wa=$(median "${wall[after]}")
cb=$(median "${cpu[before]}"); ca=$(median "${cpu[after]}")
bb=${bytes[before]}; ba=${bytes[after]}
figure "analytics_import_time wall +$(calc "($wa - $wb) * 100 / $wb" %.1f)% ($wb s -> $wa s), CPU +$(calc "($ca - $cb) * 100 / $cb" %.1f)% ($cb s -> $ca s) (target <= 15%; N=$BENCH_N, $ROUNDS round(s), before = ${before_commit:0:12}, load $(cut -d' ' -f1 /proc/loadavg))"
figure "analytics_store_bytes +$(calc "($ba - $bb) * 100 / $bb" %.1f)% ($(calc "$bb / $BENCH_N") -> $(calc "$ba / $BENCH_N") B an engagement) (target <= 15%)"

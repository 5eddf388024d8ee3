#!/usr/bin/env bash
# Trains the zstd dictionary of the stored engagement body (crates/store/dict/), from
# engagements of `interlog generate` (seed 7, not the benchmarks' 42). A dictionary that has
# shipped must never change: stored bodies name the dictionary they were written with. To
# train a better one, add it as a new file with the next number and teach
# interlog_store::codec to write it (and still read the old ones).
#
#   bash bench/train-dictionary.sh OUT_FILE [BINARY]
#
# Needs the `zstd` command (apt-get install zstd).
set -euo pipefail
out="${1:?usage: train-dictionary.sh OUT_FILE [BINARY]}"
bin="${2:-$(dirname "$0")/../target/release/interlog}"
command -v zstd > /dev/null || { apt-get update -qq && apt-get install -y -qq zstd > /dev/null; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" generate --tenant acme --count 20000 --seed 7 > "$work/gen.ndjson"
mkdir "$work/samples"
# One sample a file, as the store encodes them: one engagement's canonical JSON.
split -l 1 -a 6 "$work/gen.ndjson" "$work/samples/e"
for f in "$work"/samples/*; do truncate -s -1 "$f"; done
zstd -q --train "$work"/samples/* --maxdict=112640 -3 -o "$out"
ls -l "$out"

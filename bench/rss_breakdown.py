#!/usr/bin/env python3
"""What holds a running interlog's resident memory, from /proc/PID/smaps, in MB:

- c_heap: glibc's malloc (SQLite's page caches and statements, zstd's contexts): the main
  heap ([heap]) and the other arenas (anonymous mappings starting on a 64 MiB boundary,
  glibc's arena alignment);
- rust_heap: mimalloc's arenas (anonymous mappings of 256 MiB or more; it reserves 1 GiB);
- files: the binary and the shared libraries (and any mapped file);
- other: the rest (thread stacks, large blocks glibc maps one by one).

Usage: rss_breakdown.py PID  ->  one line: total=… c_heap=… rust_heap=… files=… other=…
"""
import re
import sys

ARENA_ALIGN = 64 << 20


def main(pid):
    sums = {"c_heap": 0, "rust_heap": 0, "files": 0, "other": 0}
    kind = "other"
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)", line)
            if m:
                start, end, name = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
                if name == "[heap]":
                    kind = "c_heap"
                elif name.startswith("/"):
                    kind = "files"
                elif name:
                    kind = "other"
                elif end - start >= 256 << 20:
                    kind = "rust_heap"
                elif start % ARENA_ALIGN == 0:
                    kind = "c_heap"
                else:
                    kind = "other"
            elif line.startswith("Rss:"):
                sums[kind] += int(line.split()[1])
    mb = {k: v / 1024 for k, v in sums.items()}
    print("total=%.0f " % sum(mb.values()) + " ".join("%s=%.0f" % kv for kv in mb.items()))


if __name__ == "__main__":
    main(sys.argv[1])

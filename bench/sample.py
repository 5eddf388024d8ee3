#!/usr/bin/env python3
"""Reads a tenant's engagements as NDJSON (`interlog export`) on stdin and writes what the
read benchmarks query with:

  --ids FILE     up to --count ids drawn uniformly from the whole data set (one a line,
                 shuffled; the same data and seed give the same ids);
  --filter FILE  shell assignments SAMPLE_AGENT, SAMPLE_FROM, SAMPLE_TO, SAMPLE_VOICE_SHARE:
                 the calendar month with the most voice engagements, and the agent (email)
                 with the most voice engagements in it, from every --every-th line.
"""

import argparse
import collections
import json
import random
import shlex
import sys


def agent_emails(e):
    for p in e.get("participants") or []:
        if p.get("role") == "agent" and p.get("email"):
            yield p["email"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ids", required=True)
    ap.add_argument("--filter", required=True)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--every", type=int, default=1, help="parse every k-th line")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    reservoir = []
    months = collections.Counter()
    pairs = collections.Counter()
    voice = parsed = 0
    n = 0
    every = max(1, args.every)
    for raw in sys.stdin.buffer:
        if not raw.strip():
            continue
        n += 1
        if not raw.startswith(b'{"id":"'):
            sys.exit(f"line {n} does not start with an id: {raw[:80]!r}")
        end = raw.index(b'"', 7)
        eid = raw[7:end].decode()
        if len(reservoir) < args.count:
            reservoir.append(eid)
        else:
            j = rng.randrange(n)
            if j < args.count:
                reservoir[j] = eid
        if n % every:
            continue
        e = json.loads(raw)
        parsed += 1
        if not any(c.get("type") == "voice" for c in e.get("channels") or []):
            continue
        voice += 1
        month = e["started_at"][:7]
        months[month] += 1
        for a in set(agent_emails(e)):
            pairs[(month, a)] += 1

    if n == 0:
        sys.exit("no engagements on stdin")
    if not pairs:
        sys.exit("no voice engagement with an agent email in the sample")
    month = months.most_common(1)[0][0]
    agent = max(((c, a) for (m, a), c in pairs.items() if m == month))[1]
    y, m = int(month[:4]), int(month[5:7])
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    rng.shuffle(reservoir)
    with open(args.ids, "w") as f:
        f.write("\n".join(reservoir) + "\n")
    with open(args.filter, "w") as f:
        f.write(f"SAMPLE_AGENT={shlex.quote(agent)}\n")
        f.write(f"SAMPLE_FROM={y:04d}-{m:02d}-01T00:00:00Z\n")
        f.write(f"SAMPLE_TO={ny:04d}-{nm:02d}-01T00:00:00Z\n")
        f.write(f"SAMPLE_VOICE_SHARE={voice / max(parsed, 1):.3f}\n")
    print(
        f"sample.py: {n} engagements read, {parsed} parsed ({voice} voice); "
        f"{len(reservoir)} ids; month {month}, agent {agent}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()

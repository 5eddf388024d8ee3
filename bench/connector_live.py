#!/usr/bin/env python3
"""The connector live-lag benchmark's load (connector_live.sh).

  connector_live.py VENDOR VENDOR_TOKEN PULLER PULLER_TOKEN TENANT N RATE

Writes N new completed engagements to the vendor (PUT /api/v1/tenants/TENANT/engagements/ID,
one keep-alive connection), RATE a second; each started 20 s to 5 min before it is written
and ends when it is written (so it becomes visible to a Zoom client at that moment: only
completed engagements are listed). Meanwhile it follows the puller's change feed from its
head (long polls, wait=30) and notes when each of those engagements was committed there
(the change's `at`). The lag of one arrival is that commit time minus the moment its PUT was
answered. Prints "LAG n=N p50=S p99=S max=S" (seconds), after every arrival is seen or
after 10 minutes (then the missing ones are counted as "missing=M").
"""

import datetime
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse


def connect(base):
    u = urllib.parse.urlparse(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=120)


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def main():
    vendor, vtoken, puller, ptoken, tenant, n, rate = sys.argv[1:8]
    n, rate = int(n), float(rate)
    written = {}
    committed = {}
    done = threading.Event()

    # The puller's feed, from its head now.
    conn = connect(puller)
    headers = {"Authorization": "Bearer " + ptoken}
    conn.request("GET", f"/api/v1/tenants/{tenant}/changes?after=0&limit=1", headers=headers)
    head = json.loads(conn.getresponse().read())
    after = head.get("next_after", 0)
    # Jump to the head: every later change is one of ours or a re-read.
    while True:
        conn.request("GET", f"/api/v1/tenants/{tenant}/changes?after={after}&limit=1000", headers=headers)
        page = json.loads(conn.getresponse().read())
        if not page["changes"]:
            break
        after = page["next_after"]

    def follow():
        nonlocal after
        c = connect(puller)
        deadline = time.time() + 600 + n / rate
        while not done.is_set() and time.time() < deadline:
            c.request("GET", f"/api/v1/tenants/{tenant}/changes?after={after}&limit=1000&wait=30", headers=headers)
            page = json.loads(c.getresponse().read())
            for ch in page["changes"]:
                if ch["id"].startswith("live-") and ch["id"] not in committed:
                    committed[ch["id"]] = parse(ch["at"])
            after = page["next_after"]
            if len(committed) >= n:
                done.set()

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()

    w = connect(vendor)
    wh = {"Authorization": "Bearer " + vtoken, "Content-Type": "application/json"}
    started = time.time()
    rnd = random.Random(19)
    for i in range(n):
        due = started + i / rate
        pause = due - time.time()
        if pause > 0:
            time.sleep(pause)
        now = time.time()
        eid = f"live-{i:05d}"
        body = {
            "id": eid,
            "started_at": iso(now - rnd.uniform(20, 300)),
            "ended_at": iso(now),
            "state": "completed",
            "direction": "inbound",
            "channels": [{"type": "voice"}],
            "participants": [{"role": "agent", "id": "agent-1", "display_name": "Ann"}],
        }
        w.request("PUT", f"/api/v1/tenants/{tenant}/engagements/{eid}", body=json.dumps(body), headers=wh)
        r = w.getresponse()
        r.read()
        if r.status not in (200, 201):
            sys.exit(f"PUT {eid}: {r.status}")
        written[eid] = time.time()
    done.wait(timeout=600 + 60)
    lags = sorted(committed[i] - written[i] for i in written if i in committed)
    missing = n - len(lags)
    if not lags:
        sys.exit("no arrival was seen at the puller")
    pick = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))]
    print(f"LAG n={len(lags)} p50={pick(0.5):.2f} p99={pick(0.99):.2f} max={lags[-1]:.2f} missing={missing}")


if __name__ == "__main__":
    main()

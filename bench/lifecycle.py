#!/usr/bin/env python3
"""Helpers of the data-lifecycle benchmarks (changes.sh, webhooks.sh, erasure.sh).

  lifecycle.py feed BASE TENANT
      Reads the tenant's change feed from the beginning (limit=1000 a page, one keep-alive
      connection, $TOKEN) to its end; prints "CHANGES SECONDS".
  lifecycle.py receiver PORT STATS_FILE
      A webhook receiver: answers every POST 204 at once and records, per event, when it
      arrived and the event's `timestamp` (the write's time); `GET /count` answers the
      number of distinct positions received; on SIGTERM (or SIGINT) writes one JSON object of
      statistics to STATS_FILE. Asyncio, HTTP/1.1 keep-alive.
  lifecycle.py paced BASE TENANT FILE RATE
      POSTs the NDJSON FILE to the tenant's /ingest at RATE engagements a second ($TOKEN),
      in requests of RATE/20 lines every 50 ms over one keep-alive connection (a request
      that takes longer delays the next, never skips it); prints "LINES SECONDS".
  lifecycle.py count PORT
      Asks a receiver how many distinct events it has.
  lifecycle.py customer IN OUT N PHONE
      Rewrites the first N engagements of an NDJSON file so that their customer is the one
      with phone number PHONE (new ids), for the erasure benchmark.
"""

import asyncio
import datetime
import http.client
import json
import signal
import sys
import time
import urllib.parse


def feed(base, tenant):
    import os

    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    headers = {"Authorization": "Bearer " + os.environ["TOKEN"]}
    after, total = 0, 0
    started = time.monotonic()
    while True:
        conn.request("GET", f"/api/v1/tenants/{tenant}/changes?after={after}&limit=1000", headers=headers)
        res = conn.getresponse()
        body = res.read()
        if res.status != 200:
            sys.exit(f"GET changes after {after}: {res.status} {body[:300]!r}")
        # The engagements are not parsed (the client would be the bottleneck): every change
        # starts with its position, and next_after is the body's last member but one.
        n = body.count(b'{"position":')
        tail = body[body.rindex(b'"next_after":') + 13 :]
        nxt = int(tail[: tail.index(b",")])
        total += n
        if n == 0 or nxt == after:
            break
        after = nxt
    print(total, f"{time.monotonic() - started:.3f}")


def parse_ts(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def receiver(port, stats_file):
    arrivals = []  # (arrival, written at)
    positions = set()

    async def serve(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = await reader.readexactly(length) if length else b""
                now = time.time()
                if head.startswith(b"GET /count"):
                    n = str(len(positions)).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(n), n))
                    continue
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                if body:
                    # Only the head of the event is needed: type, timestamp, id, position.
                    i = body.index(b'"timestamp":"') + 13
                    at = body[i : body.index(b'"', i)].decode()
                    j = body.index(b'"position":') + 11
                    k = j
                    while body[k : k + 1].isdigit():
                        k += 1
                    positions.add(int(body[j:k]))
                    arrivals.append((now, at))
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def main():
        server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=256)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for s in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(s, stop.set)
        async with server:
            await stop.wait()
        lat = sorted(now - parse_ts(at) for now, at in arrivals)
        times = sorted(now for now, _ in arrivals)

        def pct(p):
            return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else None

        stats = {
            "events": len(arrivals),
            "distinct_positions": len(positions),
            "first": times[0] if times else None,
            "last": times[-1] if times else None,
            "latency_p50_s": pct(0.50),
            "latency_p99_s": pct(0.99),
            "latency_max_s": lat[-1] if lat else None,
        }
        with open(stats_file, "w") as f:
            json.dump(stats, f)

    asyncio.run(main())


def paced(base, tenant, path, rate):
    import os

    rate = int(rate)
    chunk = max(1, rate // 20)
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    headers = {
        "Authorization": "Bearer " + os.environ["TOKEN"],
        "Content-Type": "application/x-ndjson",
    }
    with open(path, "rb") as f:
        lines = f.readlines()
    started = time.monotonic()
    for i in range(0, len(lines), chunk):
        due = started + i / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        part = lines[i : i + chunk]
        conn.request("POST", f"/api/v1/tenants/{tenant}/ingest", body=b"".join(part), headers=headers)
        res = conn.getresponse()
        body = res.read()
        if res.status != 200 or f'"created":{len(part)}'.encode() not in body:
            sys.exit(f"POST ingest: {res.status} {body[:300]!r}")
    print(len(lines), f"{time.monotonic() - started:.3f}")


def count(port):
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
    conn.request("GET", "/count")
    print(conn.getresponse().read().decode())


def customer(src, dst, n, phone):
    n = int(n)
    with open(src) as fin, open(dst, "w") as fout:
        for i, line in enumerate(fin):
            if i >= n:
                break
            e = json.loads(line)
            e["id"] = f"erasure-bench-{i}"
            e["customer"] = {"phones": [phone]}
            for p in e.get("participants", []):
                if p.get("role") == "customer":
                    p.pop("email", None)
                    if "calling_number" in p:
                        p["calling_number"] = phone
            fout.write(json.dumps(e, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"feed": feed, "receiver": receiver, "paced": paced, "count": count, "customer": customer}[cmd](*args)

-- PUT /api/v1/tenants/$TENANT/engagements/{id}: single upserts, each with a new id
-- (run tag, thread number and a counter), for $PUT_SECONDS seconds. After that each
-- connection only asks GET /healthz, so that every PUT sent gets its answer before wrk stops
-- (run wrk a few seconds longer than PUT_SECONDS); done() then reports exactly how many
-- PUTs were sent and how each was answered:
--   BENCH_RESULT ... puts_sent=N created=N updated=N put_failed=N put_unanswered=N put_seconds=S
-- (the latency figures mix in the /healthz requests of the tail and are not used).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec[1]")
local function clock()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts[0].tv_sec) + tonumber(ts[0].tv_nsec) / 1e9
end

local tenant = common.env("TENANT", "bench")
local run = common.env("RUN_TAG")
local put_seconds = tonumber(common.env("PUT_SECONDS"))
local prefix = "/api/v1/tenants/" .. tenant .. "/engagements/"
wrk.headers["Content-Type"] = "application/json"

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_no", #threads)
  -- wrk 4.1 calls request() once in the first thread only to inspect what it returns
  -- (script_verify_request), and never sends that request: answer that call with /healthz
  -- so that it is not counted as a PUT sent. Were the call sent after all, it would be
  -- counted as a /healthz answer, so the counts stay exact either way.
  thread:set("first_call", #threads == 1)
end

-- Per thread; globals, so that done() can read them with thread:get().
t0, last_put_at = nil, nil
sent, created, updated, failed, health = 0, 0, 0, 0, 0

-- Start times spread over a day in October 2026, the newest month of the generated data.
local agents = {
  { "a7d1c0de-0000-4000-8000-000000000001", "aoife.byrne@bench.example.com", "Aoife Byrne" },
  { "a7d1c0de-0000-4000-8000-000000000002", "tomas.novak@bench.example.com", "Tomas Novak" },
  { "a7d1c0de-0000-4000-8000-000000000003", "grace.okafor@bench.example.com", "Grace Okafor" },
}

local function engagement(id, n)
  local start = 1790812800 + (n * 7919) % 86400 -- 2026-10-01T00:00:00Z + up to a day
  local dur = 30 + (n * 31) % 900
  local function iso(t) return os.date("!%Y-%m-%dT%H:%M:%SZ", t) end
  local a = agents[(n % #agents) + 1]
  return string.format(
    '{"id":"%s","source":"native","started_at":"%s","ended_at":"%s","state":"completed",' ..
    '"outcome":"successful","direction":"inbound",' ..
    '"channels":[{"type":"voice","id":"Voice","source":"pstn","media":"audio"}],' ..
    '"participants":[{"role":"customer","display_name":"Bench Customer %d",' ..
    '"calling_number":"+353 87 %03d %04d","channel_id":"Voice","channel_type":"voice"},' ..
    '{"role":"agent","id":"%s","email":"%s","display_name":"%s","channel_id":"Voice",' ..
    '"channel_type":"voice","owner":true}],' ..
    '"customer":{"phones":["+353 87 %03d %04d"]},' ..
    '"queues":[{"id":"q-billing","name":"Billing","channel_id":"Voice"}],"team":"Billing",' ..
    '"timings":{"wait_ms":%d,"talk_ms":%d},"topics":["Billing"],"data":{"bench":"upsert"}}',
    id, iso(start), iso(start + dur), n, n % 1000, n % 10000, a[1], a[2], a[3],
    n % 1000, n % 10000, (n * 13) % 60000, dur * 1000)
end

function init(args)
  t0 = clock()
end

function request()
  if first_call then
    first_call = false
    return wrk.format("GET", "/healthz")
  end
  if clock() - t0 < put_seconds then
    sent = sent + 1
    local id = string.format("bench-%s-t%d-%d", run, thread_no, sent)
    return wrk.format("PUT", prefix .. id, nil, engagement(id, sent))
  end
  return wrk.format("GET", "/healthz")
end

-- A connection has one request in flight at a time, so every response that is not the
-- "ok" of /healthz answers a PUT.
function response(status, headers, body)
  if body == "ok" and status == 200 then
    health = health + 1
    return
  end
  last_put_at = clock()
  if status == 201 then
    created = created + 1
  elseif status == 200 then
    updated = updated + 1
  else
    failed = failed + 1
    if failed <= 5 then
      io.stderr:write(string.format("PUT answered %d: %s\n", status, body:sub(1, 300)))
    end
  end
end

function done(summary, latency, requests)
  local s, c, u, f, last = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("sent")
    c = c + t:get("created")
    u = u + t:get("updated")
    f = f + t:get("failed")
    local l = t:get("last_put_at")
    local st = t:get("t0")
    if l and st and l - st > last then last = l - st end
  end
  common.report(summary, latency, string.format(
    "puts_sent=%d created=%d updated=%d put_failed=%d put_unanswered=%d put_seconds=%.3f",
    s, c, u, f, s - c - u - f, last))
end

-- The mixed load of bench/overload.sh: GET the paths of the file $PATHS (one path with its
-- query string a line) in turn, each thread starting at a different one, with the bearer
-- token. A client that is answered 429 or 503 waits what `Retry-After` says before its
-- next request (as a well-behaved integration does; without it the load would measure how
-- fast the server refuses). done() adds to the BENCH_RESULT line how the answers split:
--   ok=N (2xx) throttled=N (429) unavailable=N (503) other=N
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local paths = common.lines(common.env("PATHS"))

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_no", #threads)
end

-- Per thread; globals, so that done() can read them with thread:get().
ok, throttled, unavailable, other = 0, 0, 0, 0
local next_path, wait_ms = 0, 0

function init(args)
  next_path = (thread_no or 0) * 3
end

function request()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path])
end

function delay()
  local d = wait_ms
  wait_ms = 0
  return d
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status == 429 or status == 503 then
    if status == 429 then throttled = throttled + 1 else unavailable = unavailable + 1 end
    local after = tonumber(headers["Retry-After"] or headers["retry-after"] or "1") or 1
    wait_ms = math.max(wait_ms, after * 1000)
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local o, t, u, x = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    o = o + thread:get("ok")
    t = t + thread:get("throttled")
    u = u + thread:get("unavailable")
    x = x + thread:get("other")
  end
  common.report(summary, latency,
    string.format("ok=%d throttled=%d unavailable=%d other=%d", o, t, u, x))
end

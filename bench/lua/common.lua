-- Shared by the benchmark's wrk scripts: `dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")`.
--
-- Sets the bearer token from $TOKEN and, when the run ends, prints one line that
-- bench/lib.sh reads:
--   BENCH_RESULT requests=N seconds=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..
--                non2xx=N socket_errors=N
-- non2xx counts responses with a status of 400 or more (wrk's "status" errors); socket
-- errors are connect, read, write and timeout errors.

local token = os.getenv("TOKEN")
if token == nil or token == "" then
  error("TOKEN is not set")
end
wrk.headers["Authorization"] = "Bearer " .. token

common = {}

function common.env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then
    if default == nil then error(name .. " is not set") end
    return default
  end
  return v
end

-- Lines of a file, as a list.
function common.lines(path)
  local list = {}
  local f = assert(io.open(path, "r"), "cannot open " .. path)
  for line in f:lines() do
    if line ~= "" then list[#list + 1] = line end
  end
  f:close()
  assert(#list > 0, path .. " is empty")
  return list
end

-- The summary line; `extra` is a string of more key=value pairs.
function common.report(summary, latency, extra)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d%s\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout,
    extra and (" " .. extra) or ""))
end

function done(summary, latency, requests)
  common.report(summary, latency)
end

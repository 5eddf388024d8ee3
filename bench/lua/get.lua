-- GET /api/v1/tenants/$TENANT/engagements/{id}, each id drawn at random from the file
-- $IDS (one id a line).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local tenant = common.env("TENANT", "bench")
local ids = common.lines(common.env("IDS"))
local prefix = "/api/v1/tenants/" .. tenant .. "/engagements/"

-- setup() runs in the main Lua state and numbers the threads; init() in each thread.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

function init(args)
  -- A different sequence in each thread, the same from run to run.
  math.randomseed(1000 + (thread_no or 0))
end

function request()
  return wrk.format("GET", prefix .. ids[math.random(#ids)])
end

-- GET paths drawn at random from the file $PATHS (one path with its query string a line),
-- with the bearer token: the pages of a listing, collected beforehand.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local paths = common.lines(common.env("PATHS"))

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

function init(args)
  -- A different sequence in each thread, the same from run to run.
  math.randomseed(2000 + (thread_no or 0))
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

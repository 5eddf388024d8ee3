-- GET the URL given to wrk (a listing, with its query string) with the bearer token.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

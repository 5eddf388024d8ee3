-- POST an AXP journey search (Search Journeys) to the URL given to wrk, with the bearer
-- token, the application key from $APPKEY and the JSON body from $AXP_BODY.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

wrk.method = "POST"
wrk.body = common.env("AXP_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["appkey"] = common.env("APPKEY")

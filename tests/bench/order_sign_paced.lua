-- wrk script: as order_sign.lua, each connection waiting DELAY_MS between
-- an answer and its next call, to hold a rate below the highest one
-- (tests/bench/run.sh: SUSTAINED).
local path = os.getenv("BODY_FILE")
local file = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Connection"] = "keep-alive"
local pause = tonumber(os.getenv("DELAY_MS") or "0")

function delay()
  return pause
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d duration_us=%d p50_us=%d p99_us=%d p999_us=%d\n",
    summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status +
      summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end

-- wrk script: as order_sign.lua, with a CDS Hooks client JWT per call, each
-- used once (TOKENS_FILE, one per line, from crdex_bench_client_tokens).
-- When the tokens run out they are reused, and crdex refuses the replays:
-- they show as errors, so give enough tokens for the run.
local path = os.getenv("BODY_FILE")
local file = assert(io.open(path, "rb"))
local body = file:read("*a")
file:close()
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
local next_token = 0

function request()
  next_token = next_token % #tokens + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Connection"] = "keep-alive",
    ["Authorization"] = "Bearer " .. tokens[next_token],
  }, body)
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d duration_us=%d p50_us=%d p99_us=%d p999_us=%d\n",
    summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status +
      summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end

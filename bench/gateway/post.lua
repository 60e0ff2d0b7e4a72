-- wrk script for bench/gateway: POST the benchmark operation; count GraphQL errors.
-- Env BODY_FILE: the JSON request body. A response counts as failed when its status is not
-- 200 or its body contains the substring "errors" (as The Guild's k6 check does).
local f = assert(io.open(os.getenv("BODY_FILE") or "body.json", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  failed = 0
  responses = 0
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local failed_total, responses_total = 0, 0
  for _, thread in ipairs(threads) do
    failed_total = failed_total + thread:get("failed")
    responses_total = responses_total + thread:get("responses")
  end
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"responses":%d,"failed":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, responses_total, failed_total,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end

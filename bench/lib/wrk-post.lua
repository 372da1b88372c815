-- wrk script for bench/: POSTs the JSON body in $WRK_BODY on every request and, at the end, prints
-- the summary as one JSON line (latencies in microseconds) so that bench/ never parses wrk's text.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("WRK_BODY")
-- A client key, when the router requires one ($WRK_AUTHORIZATION, e.g. "Bearer sk-...").
if os.getenv("WRK_AUTHORIZATION") then
  wrk.headers["Authorization"] = os.getenv("WRK_AUTHORIZATION")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"errors":%d,"non_2xx":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end

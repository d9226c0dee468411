-- wrk script of bench/load.py: `wrk ... -s bench/wrk.lua URL -- TARGETS METHOD BODY START`.
--
-- TARGETS is a file of lines "path<TAB>token" (the token may be empty: no Authorization header).
-- Each wrk thread builds one request per line and sends them round-robin from line START + 1 (thread n
-- further on by its own offset), so the requests in flight go to distinct aggregates; bench/load.py
-- passes as START where the previous run on the same table stopped, past what it may have left in flight. Statuses are counted in `response`,
-- and `done` prints one line "WRK-RESULT {json}" that bench/load.py parses.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local method, body = args[2], args[3]
  if body == "" then body = nil end
  requests = {}
  for line in io.lines(args[1]) do
    local path, token = line:match("^([^\t]*)\t?(.*)$")
    local headers = {}
    if token ~= nil and token ~= "" then headers["Authorization"] = "Bearer " .. token end
    if body ~= nil then headers["Content-Type"] = "application/json" end
    table.insert(requests, wrk.format(method, path, headers, body))
  end
  statuses = {}
  next_index = (tonumber(args[4]) + id * 7919) % #requests  -- threads spread over the table (a prime stride)
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests_)
  local counted = {}
  for _, thread in ipairs(threads) do
    local seen = thread:get("statuses")
    for status, n in pairs(seen) do counted[status] = (counted[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counted) do table.insert(parts, string.format('"%s": %d', status, n)) end
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ", ")))
end

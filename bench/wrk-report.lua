-- wrk script: rotate through the request paths in the file named by PATHS (one per line) and
-- print a JSON summary (requests/s, latency percentiles, errors) at the end.
local paths, i = {}, 0
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local accept = os.getenv("ACCEPT") or "*/*"

request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Accept"] = accept })
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
                 + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '\nJSON {"requests": %d, "seconds": %.2f, "rps": %.1f, "p50_ms": %.2f, "p99_ms": %.2f, "errors": %d}\n',
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors))
end

-- wrk script: rotate through the request paths in the file named by PATHS (one per line) and
-- print a JSON summary (requests/s, latency percentiles, errors) at the end.
-- With ONCE=1 no path is asked twice (first visits): thread k of THREADS asks paths k, k+THREADS,
-- ...; a thread that runs out stops, and the summary says the list was exhausted.
local paths, i = {}, 0
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local accept = os.getenv("ACCEPT") or "*/*"
local once, threads, made = os.getenv("ONCE") == "1", tonumber(os.getenv("THREADS") or "1"), {}
ran_out = false

setup = function(thread)
  thread:set("offset", #made)
  made[#made + 1] = thread
end

request = function()
  if once then
    local at = offset + i * threads + 1
    i = i + 1
    if at > #paths then
      ran_out = true
      wrk.thread:stop()
      at = #paths
    end
    return wrk.format("GET", paths[at], { ["Accept"] = accept })
  end
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Accept"] = accept })
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local exhausted = false
  for _, thread in ipairs(made) do exhausted = exhausted or thread:get("ran_out") end
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
                 + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '\nJSON {"requests": %d, "seconds": %.2f, "rps": %.1f, "p50_ms": %.2f, "p99_ms": %.2f, "errors": %d, "exhausted": %s}\n',
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors, tostring(exhausted)))
end

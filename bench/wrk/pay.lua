-- POST /api/v1/payments/process: each request a buyer of its own (from buyers.tsv), its own key.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  buyers = {}
  for line in io.lines(args[1]) do
    local tab = string.find(line, "\t")
    table.insert(buyers, {string.sub(line, 1, tab - 1), string.sub(line, tab + 1)})
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  offset = math.random(1, #buyers)
  n = 0
  codes = {}
end
local function uuid4()
  return (string.gsub('xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx', '[xy]', function(c)
    local v = (c == 'x') and math.random(0, 15) or math.random(8, 11)
    return string.format('%x', v) end))
end
function request()
  n = n + 1
  local b = buyers[(offset + n) % #buyers + 1]
  return wrk.format("POST", "/api/v1/payments/process", {
    ["Authorization"] = "Bearer " .. b[1], ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = uuid4() }, b[2])
end
function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
  if status ~= 200 and not first then first = body end
end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("codes")) do total[k] = (total[k] or 0) + v end
    local f = t:get("first")
    if f then io.write("first non-200: " .. string.sub(f, 1, 200) .. "\n") end
  end
  for k, v in pairs(total) do io.write(string.format("status %d: %d\n", k, v)) end
  io.write(string.format("p50 %.0f ms  p99 %.0f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

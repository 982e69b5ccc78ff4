-- wrk script: POST the same JSON body again and again (bench/auth.sh uses it
-- for POST /api/v1/auth/login) and count the responses by HTTP status.
--
-- The body (JSON, e.g. {"email": "...", "password": "..."}) is read from the
-- file named by the first script argument:
--
--   wrk -t2 -c8 -d10s --latency -s bench/login.lua http://127.0.0.1:18080/api/v1/auth/login -- body.json
--
-- After the run, done() prints one line per status, e.g.
--
--   Status 200: 1234
--   Status 503: 5
--
-- which bench/auth.sh parses (wrk itself only reports "Non-2xx or 3xx
-- responses" as one number). The response() hook makes wrk parse every
-- response, which is negligible next to a password hash.

local threads = {}

-- Runs in the main Lua state once per thread: keep each thread so done() can
-- collect its counts.
function setup(thread)
  threads[#threads + 1] = thread
end

local request_bytes

function init(args)
  local file = args[1]
  assert(file, "login.lua: pass a JSON body file after `--`")
  local f = assert(io.open(file, "rb"))
  local body = f:read("*a")
  f:close()
  assert(body and #body > 0, "login.lua: empty body file " .. file)
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
  request_bytes = wrk.format()
end

function request()
  return request_bytes
end

-- Per-thread counts, keyed by status code; read by done() through thread:get.
statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for status, n in pairs(counts) do
      total[status] = (total[status] or 0) + n
    end
  end
  local codes = {}
  for status in pairs(total) do
    codes[#codes + 1] = status
  end
  table.sort(codes)
  for _, status in ipairs(codes) do
    io.write(string.format("Status %d: %d\n", status, total[status]))
  end
end

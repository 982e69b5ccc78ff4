-- wrk script: cycle GET requests through a list of paths.
--
-- The paths (already percent-encoded, one per line, e.g.
-- "/api/v1/courses/intro-to-marketing") are read from the file named by the
-- first script argument:
--
--   wrk -t2 -c32 -d10s --latency -s bench/cycle.lua http://127.0.0.1:18080 -- paths.txt
--
-- bench/run.sh writes those files itself (course slugs, search terms).

local thread_count = 0

-- Runs in the main Lua state once per thread: give each thread an id so the
-- threads start at different places in the list.
function setup(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
end

local paths = {}
local i = 0

function init(args)
  local file = args[1]
  assert(file, "cycle.lua: pass a paths file after `--`")
  local f = assert(io.open(file, "r"))
  for line in f:lines() do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  f:close()
  assert(#paths > 0, "cycle.lua: no paths in " .. file)
  i = ((thread_id or 0) * 7919) % #paths
end

function request()
  i = (i % #paths) + 1
  return wrk.format("GET", paths[i])
end

-- wrk script: each request logs a ticket (POST /api/v1/tickets) in the
-- division, without a queue or assignee, so the division's routing rule
-- picks the queue, the queue's round-robin the agent, and the priority's
-- SLA policy starts the clock on the branch calendar. Categories,
-- channels and priorities vary per request. Environment: DIVISION_ID,
-- BRANCH_ID, CATEGORY_IDS (comma-separated).
local division = os.getenv("DIVISION_ID")
local branch = os.getenv("BRANCH_ID")
local categories = {}
for id in string.gmatch(os.getenv("CATEGORY_IDS") or "", "[^,]+") do table.insert(categories, id) end
local channels = {"call", "whatsapp", "email", "walk_in", "web", "sms"}
local priorities = {"low", "normal", "normal", "normal", "high", "urgent"}
local subjects = {"Book the 10,000 km service", "Air conditioning not cooling", "Brake noise",
                  "Invoice query", "Vehicle not ready as promised", "Warning light on dashboard"}
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  math.randomseed(os.time() + tid * 7919)
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"division_id":"%s","branch_id":"%s","category_id":"%s","channel":"%s","priority":"%s",' ..
    '"subject":"%s (bench %d-%d)","description":"Logged by the benchmark."}',
    division, branch, categories[math.random(#categories)], channels[math.random(#channels)],
    priorities[math.random(#priorities)], subjects[math.random(#subjects)], tid, counter)
  -- wrk.format replaces wrk.headers (the -H token) when given a table: copy them.
  local headers = {["Content-Type"] = "application/json"}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  return wrk.format("POST", "/api/v1/tickets", headers, body)
end

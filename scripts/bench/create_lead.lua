-- wrk script: each request creates a prospect lead (POST /api/v1/leads) with
-- a body of its own: a new name and Nigerian mobile number typed the way
-- people type them, one of the sources and models, a price around the
-- model's. Environment: DIVISION_ID and PIPELINE_ID (the lead goes into the
-- pipeline's first open stage).
local division = os.getenv("DIVISION_ID")
local pipeline = os.getenv("PIPELINE_ID")
local sources = {"walk_in", "phone", "whatsapp", "instagram", "website", "referral", "event"}
local models = {{"Toyota Corolla", 24500000}, {"Toyota Hilux", 38500000}, {"Toyota RAV4", 41000000},
                {"Toyota Camry", 33000000}, {"Toyota Land Cruiser", 95000000}, {"Toyota Fortuner", 52000000}}
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
  -- Unique per thread and request: 0909 + thread digit + 6-digit counter.
  local n = (tid % 10) * 1000000 + counter % 1000000
  local model = models[math.random(#models)]
  local body = string.format(
    '{"prospect_name":"Bench Prospect %d-%d","prospect_phone":"0909 %03d %04d","source":"%s",' ..
    '"division_id":"%s","pipeline_id":"%s","product_interest":"%s",' ..
    '"expected_value":{"amount":"%d.00","currency":"NGN"},"score":%d}',
    tid, counter, math.floor(n / 10000), n % 10000, sources[math.random(#sources)],
    division, pipeline, model[1], model[2] - math.random(0, 20) * 100000, math.random(0, 100))
  -- wrk.format replaces wrk.headers (the -H token) when given a table: copy them.
  local headers = {["Content-Type"] = "application/json"}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  return wrk.format("POST", "/api/v1/leads", headers, body)
end

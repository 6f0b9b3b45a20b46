-- wrk script: each request addresses a random synthetic customer (see
-- rapport_customers::synthetic). Environment: CUSTOMERS (how many were
-- seeded) and MODE: "profile" (GET /customers/{id}/profile) or "phone"
-- (search by the customer's phone, typed the Nigerian way with spaces).
local n = tonumber(os.getenv("CUSTOMERS") or "1000")
local mode = os.getenv("MODE") or "profile"

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(os.time() + (seed or 0))
end

request = function()
  local i = math.random(0, n - 1)
  local path
  if mode == "phone" then
    local digits = string.format("%08d", i)
    path = string.format("/api/v1/customers?q=080%s%%20%s%%20%s", digits:sub(1, 1), digits:sub(2, 4), digits:sub(5, 8))
  else
    path = string.format("/api/v1/customers/00000000-0000-7000-8000-%012d/profile", i)
  end
  return wrk.format("GET", path)
end

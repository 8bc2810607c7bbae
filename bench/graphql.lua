-- wrk script for `make bench` (bench/run.py drives it through environment variables).
--
-- BENCH_MODE=static   the same request every time: BENCH_METHOD (POST|GET), BENCH_PATH,
--                     BENCH_BODY_FILE (a JSON body for POST)
-- BENCH_MODE=cart     per connection, forever, a cart flow of five requests:
--                     addToCart (a new cart), addToCart on that cart (a second variant),
--                     addToCart on that cart (a third variant), cartShippingAddressUpdate,
--                     then cart(id). BENCH_CART_FILE holds the five JSON bodies, one a line,
--                     in that order, with @CART@ where the cart id goes (run.py fills in the
--                     variant ids and the address). Each request carries an X-Bench-Kind
--                     header (add-new, add, add, address, read) that the bench server
--                     records with its own timing of the request.
-- BENCH_MODE=checkout per connection: checkout(pm_card_visa) of the next cart of its own from
--                     BENCH_CARTS_FILE (one cart id a line, prepared beforehand); a thread
--                     stops when its carts run out. BENCH_RUN makes idempotency keys unique.
--
-- Run it with one connection per thread for cart and checkout (-t16 -c16): the flow's state
-- lives in the thread's Lua state. A response is an error when its status is not 200, or it
-- has top-level `errors`, or non-empty `userErrors`, or a checkout did not end PAID.
-- done() prints one line, `BENCH_JSON {...}`, that bench/run.py reads.

local mode = os.getenv("BENCH_MODE") or "static"

local function read_file(path)
  local file = assert(io.open(path, "rb"))
  local text = file:read("*a")
  file:close()
  return text
end

local function headers_for(kind)
  return { ["Content-Type"] = "application/json", ["Accept"] = "application/json", ["X-Bench-Kind"] = kind }
end

-- main state --------------------------------------------------------------------------
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_index", counter)
  table.insert(threads, thread)
end

-- thread state --------------------------------------------------------------------------
bad = 0          -- responses that were errors (read in done())
flows = 0        -- completed cart flows / paid checkouts
local state = 0
local cart = nil
local carts = nil
local next_cart = 0
local sequence = 0
local stopping = false

local CART_KINDS = { "add-new", "add", "add", "address", "read" }
local cart_bodies = {}
local cart_headers = {}
local checkout_headers = headers_for("checkout")

local CHECKOUT = '{"query":"mutation($input: CheckoutInput!) { checkout(input: $input) { '
  .. 'order { id number status total { amount currencyCode } payment { status cardBrand cardLast4 } } '
  .. 'paymentAction { type clientSecret } userErrors { field message code } } }",'
  .. '"variables":{"input":{"cartId":"%s","email":"bench@example.com","paymentToken":"pm_card_visa",'
  .. '"idempotencyKey":"%s"}}}'

function init(args)
  if mode == "static" then
    wrk.method = os.getenv("BENCH_METHOD") or "POST"
    wrk.path = os.getenv("BENCH_PATH") or "/graphql"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Accept"] = "application/json"
    local kind = os.getenv("BENCH_KIND")
    if kind then wrk.headers["X-Bench-Kind"] = kind end
    local body_file = os.getenv("BENCH_BODY_FILE")
    if wrk.method == "POST" and body_file then
      wrk.body = read_file(body_file)
    end
  elseif mode == "cart" then
    for line in io.lines(os.getenv("BENCH_CART_FILE")) do
      if line ~= "" then table.insert(cart_bodies, line) end
    end
    assert(#cart_bodies == #CART_KINDS, "BENCH_CART_FILE needs one body per step of the flow")
    for i, kind in ipairs(CART_KINDS) do cart_headers[i] = headers_for(kind) end
  elseif mode == "checkout" then
    carts = {}
    local index, threads_total = 0, tonumber(os.getenv("BENCH_THREADS") or "16")
    for line in io.lines(os.getenv("BENCH_CARTS_FILE")) do
      if line ~= "" then
        if index % threads_total == thread_index - 1 then
          table.insert(carts, line)
        end
        index = index + 1
      end
    end
  end
end

if mode == "cart" then
  function request()
    local step = state + 1
    local body = cart_bodies[step]
    if step > 1 then
      body = body:gsub("@CART@", function() return cart end)
    end
    return wrk.format("POST", "/graphql", cart_headers[step], body)
  end
elseif mode == "checkout" then
  function request()
    next_cart = next_cart + 1
    if next_cart > #carts then
      wrk.thread:stop()
      stopping = true  -- this last request is sent before the thread stops: a harmless read
      return wrk.format("POST", "/graphql", headers_for("stop"), '{"query":"{ __typename }"}')
    end
    sequence = sequence + 1
    local key = string.format("%s-%d-%d", os.getenv("BENCH_RUN") or "bench", thread_index, sequence)
    return wrk.format("POST", "/graphql", checkout_headers, string.format(CHECKOUT, carts[next_cart], key))
  end
end

local function failed(status, body)
  return status ~= 200 or body:find('"errors"', 1, true) ~= nil
    or body:find('"userErrors":%s*%[%s*{') ~= nil
end

function response(status, headers, body)
  if mode == "static" then
    if failed(status, body) then bad = bad + 1 end
    return
  end
  if mode == "checkout" then
    if stopping then return end
    if failed(status, body) or not body:find('"status":%s*"PAID"') then
      bad = bad + 1
    else
      flows = flows + 1
    end
    return
  end
  -- cart flow: on any error, start again with a new cart
  if failed(status, body) then
    bad = bad + 1
    state = 0
    return
  end
  if state == 0 then
    cart = body:match('"cart":%s*{%s*"id":%s*"([^"]+)"')
    if not cart then
      bad = bad + 1
      return
    end
  end
  if state == #CART_KINDS - 1 then flows = flows + 1 end
  state = (state + 1) % #CART_KINDS
end

function done(summary, latency, requests)
  local bad_total, flows_total = 0, 0
  for _, thread in ipairs(threads) do
    bad_total = bad_total + (thread:get("bad") or 0)
    flows_total = flows_total + (thread:get("flows") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
      .. '"max_us":%d,"mean_us":%.1f,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,'
      .. '"bad":%d,"flows":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout,
    bad_total, flows_total))
end

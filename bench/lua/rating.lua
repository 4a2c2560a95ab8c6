-- wrk script for the rating flow, as a resident's browser does it: GET /r/<code> (the
-- address of the household's QR code), read the CSRF cookie and the form's token, then
-- POST the questionnaire to the same address; a 302 to /receipts/thanks/ with the receipt in its handover cookie is an
-- answered submit. Every code is used once. Run with as many threads as connections
-- (one connection a thread), so that each thread's GET and POST follow each other.
--
-- Environment: BENCH_CODES (file of plain codes, one a line), BENCH_THREADS,
-- BENCH_CRITERIA (criterion ids, comma-separated), BENCH_RATING_OUT (result file).

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local codes = {}
local index = 0
local current = nil
local last = nil          -- "get" or "post": what the last request sent was
local cookie, token = nil, nil
local suffixes = {}
sent = {}                 -- codes whose POST was sent
answered = {}             -- "code receipt" of each POST answered with a receipt
gets, gets_failed, posts, posts_failed, exhausted = 0, 0, 0, 0, 0

function init(args)
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  local i = 0
  for line in io.lines(os.getenv("BENCH_CODES")) do
    if line ~= "" then
      if i % nthreads == id then codes[#codes + 1] = line end
      i = i + 1
    end
  end
  local answers = {"satisfied", "satisfied", "satisfied", "basically_satisfied", "unsatisfied"}
  for k = 1, #answers do
    local parts = {"overall=" .. answers[k]}
    local j = 0
    for criterion in string.gmatch(os.getenv("BENCH_CRITERIA"), "%d+") do
      parts[#parts + 1] = "criterion_" .. criterion .. "=" .. answers[((k + j) % #answers) + 1]
      j = j + 1
    end
    parts[#parts + 1] = "comment="
    suffixes[k] = table.concat(parts, "&")
  end
end

function request()
  if last == "get" and token ~= nil then
    last = "post"
    sent[#sent + 1] = current
    local body = "csrfmiddlewaretoken=" .. token .. "&" .. suffixes[(index % #suffixes) + 1]
    token = nil
    return wrk.format("POST", "/r/" .. current, {
      ["Cookie"] = "csrftoken=" .. cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body)
  end
  index = index + 1
  current = codes[index]
  if current == nil then
    -- Out of codes (never in a normal run: far more are issued than can be used).
    exhausted = exhausted + 1
    index = 0
    current = codes[1]
  end
  last = "get"
  token = nil
  return wrk.format("GET", "/r/" .. current)
end

function response(status, headers, body)
  if last == "get" then
    gets = gets + 1
    local set_cookie = headers["Set-Cookie"] or headers["set-cookie"] or ""
    local c = string.match(set_cookie, "csrftoken=([^;]+)")
    local t = string.match(body, 'name="csrfmiddlewaretoken" value="([^"]+)"')
    if status == 200 and c and t then
      cookie, token = c, t
    else
      gets_failed = gets_failed + 1
      token = nil
    end
  elseif last == "post" then
    posts = posts + 1
    local location = headers["Location"] or headers["location"] or ""
    -- The receipt is never in the address (issue 11): it comes in the signed
    -- handover cookie of the thank-you page, "manyi_receipt=<receipt>:<ts>:<sig>".
    local cookie = headers["Set-Cookie"] or headers["set-cookie"] or ""
    local receipt = string.match(cookie, "manyi_receipt=\"?(R%w+):")
    if status == 302 and string.find(location, "/receipts/thanks/", 1, true) and receipt then
      answered[#answered + 1] = current .. " " .. receipt
    else
      posts_failed = posts_failed + 1
    end
    last = "answered"
  end
end

function done(summary, latency, requests)
  local out = assert(io.open(os.getenv("BENCH_RATING_OUT"), "w"))
  local totals = {gets = 0, gets_failed = 0, posts = 0, posts_failed = 0, exhausted = 0}
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do totals[key] = totals[key] + (thread:get(key) or 0) end
    for _, line in ipairs(thread:get("answered") or {}) do out:write("answered ", line, "\n") end
    for _, code in ipairs(thread:get("sent") or {}) do out:write("sent ", code, "\n") end
  end
  out:close()
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, '
    .. '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, '
    .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, '
    .. '"gets": %d, "gets_failed": %d, "posts": %d, "posts_failed": %d, "exhausted": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, totals.gets, totals.gets_failed,
    totals.posts, totals.posts_failed, totals.exhausted))
end

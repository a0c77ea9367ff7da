-- wrk script for the collector benchmark: POSTs records with ids unique across threads and runs
-- (so every one is stored, none is a duplicate). BATCH (env, default 1) records per request:
-- 1 sends one JSON object, more send NDJSON. REPEAT=1 (env) sends the same ids over and over:
-- every record is then a duplicate, which measures HTTP, parsing and validation without the
-- store's inserts.
local threads = 0
function setup(thread)
   threads = threads + 1
   thread:set("tid", threads)
end

local counter = 0
local prefix
local batch
function init(args)
   prefix = string.format("bench-%d-%d-%d", os.time(), math.random(1000000), tid or 0)
   batch = tonumber(os.getenv("BATCH") or "1")
   if os.getenv("REPEAT") == "1" then
      prefix = "bench-repeat"
   end
end

local template = '{"interaction_id":"%s-%d","timestamp":"2026-01-05T10:00:00.000Z",' ..
   '"user_id":"bench-user","session_id":"bench-session-%d","request":{"system_prompt":' ..
   '"You are a helpful assistant.","prompt":"Summarise the attached policy in two sentences.",' ..
   '"parameters":{"model":"gpt-4o","temperature":0.2}},"response":{"content":"The policy ' ..
   'requires enhanced due diligence for high-risk customers. Documents must be refreshed ' ..
   'yearly.","finish_reason":"stop","completion_tokens":21},"metrics":{"prompt_tokens":412,' ..
   '"total_tokens":433,"latency_ms":812}}'

request = function()
   if os.getenv("REPEAT") == "1" then
      counter = 0
   end
   if batch == 1 then
      counter = counter + 1
      return wrk.format("POST", "/v1/interactions", {["Content-Type"] = "application/json"},
         string.format(template, prefix, counter, counter % 100))
   end
   local lines = {}
   for i = 1, batch do
      counter = counter + 1
      lines[i] = string.format(template, prefix, counter, counter % 100)
   end
   return wrk.format("POST", "/v1/interactions", {["Content-Type"] = "application/x-ndjson"},
      table.concat(lines, "\n"))
end

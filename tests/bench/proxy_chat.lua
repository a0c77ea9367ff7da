-- wrk script: one non-streamed OpenAI chat completion per request (PROXY_PREFIX, env, is put
-- before /v1/chat/completions: "" for the fake LLM server directly, "/proxy/openai" through
-- the collector).
local prefix = os.getenv("PROXY_PREFIX") or ""
request = function()
   return wrk.format("POST", prefix .. "/v1/chat/completions",
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer sk-bench"},
      '{"model":"fake-gpt","messages":[{"role":"user","content":"one two three four"}]}')
end

// Real clients against a running `llmaudit serve` (COLLECTOR, its URL) whose OpenAI upstream is
// llmaudit-fakellm: the OpenTelemetry JS SDK exports GenAI spans with its OTLP/HTTP JSON
// exporter, and the OpenAI SDK calls the fake LLM through the recording proxy (plain and
// streamed). Prints what it sent as JSON on the last line for run-collector-sdk-test.sh.
import { trace, SpanKind, context } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import OpenAI from "openai";
import assert from "node:assert/strict";

const collector = process.env.COLLECTOR;
assert.ok(collector, "COLLECTOR is not set");

// --- OTLP -------------------------------------------------------------------------------------
const exporter = new OTLPTraceExporter({ url: `${collector}/v1/traces` });
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ "service.name": "collector-sdk-test" }),
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
const tracer = provider.getTracer("llmaudit-test");
const parent = tracer.startSpan("POST /ask", { kind: SpanKind.SERVER });
const ctx = trace.setSpan(context.active(), parent);
const chat = tracer.startSpan(
  "chat fake-gpt",
  {
    kind: SpanKind.CLIENT,
    attributes: {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "fake-gpt",
      "gen_ai.request.temperature": 0.3,
      "gen_ai.request.max_tokens": 64,
      "gen_ai.response.model": "fake-gpt-0001",
      "gen_ai.response.id": "chatcmpl-sdk-1",
      "gen_ai.response.finish_reasons": ["stop"],
      "gen_ai.usage.input_tokens": 9,
      "gen_ai.usage.output_tokens": 4,
      "gen_ai.conversation.id": "sdk-conversation",
      "user.id": "sdk-user",
      "gen_ai.input.messages": JSON.stringify([
        { role: "user", parts: [{ type: "text", content: "Name a colour" }] },
      ]),
      "gen_ai.output.messages": JSON.stringify([
        { role: "assistant", parts: [{ type: "text", content: "Blue." }], finish_reason: "stop" },
      ]),
    },
  },
  ctx,
);
chat.end();
parent.end();
await provider.forceFlush();
await provider.shutdown();
const chatContext = chat.spanContext();

// --- the recording proxy, through the OpenAI SDK ----------------------------------------------
const client = new OpenAI({
  apiKey: "sk-sdk-test-never-stored-5a4b3c2d1e",
  baseURL: `${collector}/proxy/openai/v1`,
  defaultHeaders: { "X-Session-Id": "sdk-proxy-session", "X-User-Id": "sdk-proxy-user" },
});
const plain = await client.chat.completions.create({
  model: "fake-gpt",
  messages: [{ role: "user", content: "alpha beta gamma" }],
});
assert.match(plain.choices[0].message.content, /^Echo: alpha beta gamma/);
let streamed = "";
const stream = await client.chat.completions.create({
  model: "fake-gpt",
  stream: true,
  stream_options: { include_usage: true },
  messages: [{ role: "user", content: "delta epsilon" }],
});
for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? "";
assert.match(streamed, /^Echo: delta epsilon/);

console.log(
  JSON.stringify({
    span: `otel:${chatContext.traceId}:${chatContext.spanId}`,
    plain: plain.choices[0].message.content,
    streamed,
  }),
);

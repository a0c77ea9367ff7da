#pragma once

// The value types of one chat call to an LLM provider: what to send (ChatRequest) and
// everything that came back (ChatResult), a failure included, for the replay record.

#include "result.h"

#include <QMetaType>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llmaudit {

struct ChatMessage
{
    std::string role; // "user", "assistant", "system", ...
    std::string content;

    friend bool operator==(const ChatMessage &, const ChatMessage &) = default;
};

struct ChatRequest
{
    std::string model;  // empty: the provider's default model
    std::string system; // the system prompt; empty: none
    std::vector<ChatMessage> messages;
    std::optional<double> temperature;
    std::optional<double> topP;
    std::optional<int64_t> maxTokens;
    std::optional<int64_t> seed;
    std::vector<std::string> stop;
    // Any other parameter, passed to the provider as it is (for Ollama: into "options",
    // except its top-level keys format, keep_alive, tools, think). A key the typed fields above
    // also set is dropped with a warning; model, messages and stream cannot be given here.
    nlohmann::json extra = nlohmann::json::object();
    bool stream = false;
};

enum class FailureKind {
    Configuration,     // the call could not be made as configured (no key in the environment)
    Unreachable,       // connection refused, host not found, network down
    Tls,               // TLS handshake or certificate failure
    Timeout,           // connect_timeout_ms or timeout_ms ran out
    Cancelled,         // ChatCall::cancel()
    Unauthorized,      // 401, 403
    NotFound,          // 404: the model, or nothing at the endpoint
    RateLimited,       // 429 after the retries
    ServerError,       // 5xx (and 529) after the retries
    Refused,           // any other 4xx: the provider refused the request
    MalformedResponse, // not the protocol's JSON
    TruncatedStream,   // the connection or stream ended before the response was complete
    StreamError,       // the provider reported an error inside the stream
};

struct ProviderFailure
{
    FailureKind kind = FailureKind::Configuration;
    int httpStatus = 0; // 0 when no HTTP response came
    // where: "openai-local (http://127.0.0.1:8080/v1)"; message: what happened, in words a
    // user can act on ("401 Unauthorized — the API key in $OPENAI_API_KEY was rejected").
    Error error;

    QString toString() const { return error.toString(); }
};

struct ChatUsage
{
    std::optional<int64_t> promptTokens;
    std::optional<int64_t> completionTokens;
    std::optional<int64_t> totalTokens;
};

struct ChatResult
{
    std::optional<ProviderFailure> failure; // set when the call failed
    bool ok() const { return !failure.has_value(); }

    std::string provider; // the configured provider's name
    std::string content;  // the answer; what had arrived when a stream broke
    // "stop", "length", "tool_calls" or "content_filter" whatever the provider's words for them
    // (Anthropic's end_turn, max_tokens, ...); other values as the provider sent them.
    std::string finishReason;
    std::string rawFinishReason; // as the provider sent it
    ChatUsage usage;
    std::string responseId; // empty when the provider gives none (Ollama)
    std::string model;      // as the response names it
    std::string systemFingerprint;

    int64_t latencyMs = 0; // the last attempt: request sent to response complete
    std::optional<int64_t> timeToFirstTokenMs; // streaming: request sent to the first text
    int64_t elapsedMs = 0;                     // the whole call, retries and waits included
    int attempts = 0;
    int httpStatus = 0; // of the last response, 0 when none came

    std::string requestUrl;
    std::string requestBody;           // the exact bytes sent; API keys only ever go in headers
    std::string rawResponse;           // the body as received (the whole stream when streaming)
    std::vector<std::string> warnings; // parameters the protocol cannot carry, and the like
};

} // namespace llmaudit

Q_DECLARE_METATYPE(llmaudit::ChatResult)

#pragma once

// The recording proxy's record of one call: the vendor request it forwarded and the answer it
// passed back (JSON or SSE) become a log-format document. Pure functions, so the mapping is
// tested on its own. Headers are not part of the exchange: the caller's API key never gets
// near a record.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace llmaudit {

enum class ProxyVendor { OpenAI, Anthropic };

struct ProxyExchange
{
    ProxyVendor vendor = ProxyVendor::OpenAI;
    std::string method;       // "POST"
    std::string path;         // the upstream path, "/v1/chat/completions"
    std::string requestBody;  // as the caller sent it
    std::string sessionId;    // X-Session-Id, when given
    std::string userId;       // X-User-Id, when given
    int status = 0;           // the upstream's HTTP status, 0 when it never answered
    std::string contentType;  // the upstream's
    std::string responseBody; // as passed back (an SSE stream included)
    bool responseTruncated = false;
    int64_t startedMs = 0; // when the request arrived, ms since the epoch
    int64_t latencyMs = 0; // to the end of the answer
    std::string error;     // why the call failed or was cut (transport, client gone), if it did
};

// Whether the call is one the proxy records (a chat completion or a message), as opposed to
// the other endpoints it only forwards (models lists and the like).
bool isRecordedCall(ProxyVendor vendor, const std::string &method, const std::string &path);

// The log-format document of a recorded call.
nlohmann::json proxyRecord(const ProxyExchange &exchange, const std::string &interactionId);

} // namespace llmaudit

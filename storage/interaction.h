#pragma once

// The record type of the standard log format (v1): the whole document, kept losslessly, plus
// the fields the store extracts for indexing, filtering and full-text search.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace llmaudit {

enum class Sensitivity { Public = 0, Internal = 1, Confidential = 2, Restricted = 3 };

std::optional<Sensitivity> sensitivityFromString(std::string_view text);
std::string_view toString(Sensitivity sensitivity);

struct Interaction
{
    std::string interactionId;
    std::string timestamp;   // as written in the record (ISO 8601)
    int64_t timestampMs = 0; // the same instant, milliseconds since the epoch, UTC
    std::string userId;
    std::string sessionId;
    std::string model; // response.model, else request.parameters.model
    std::optional<int64_t> promptTokens;
    std::optional<int64_t> completionTokens;
    std::optional<int64_t> totalTokens;
    std::optional<int64_t> latencyMs;
    std::string finishReason;
    bool flagged = false;
    std::optional<Sensitivity> sensitivity;
    std::string replayOf;

    // The text the full-text index covers.
    std::string prompt;
    std::string systemPrompt;
    std::string contextText; // the context documents' contents, one after another
    std::string response;

    nlohmann::json document; // the whole record, unknown fields included
};

} // namespace llmaudit

#pragma once

// JSON text to nlohmann::json, faster than nlohmann's own parser and with exactly its result:
// simdjson reads the text where it gives the same value, nlohmann::json::parse does the rest.

#include <nlohmann/json.hpp>

#include <string_view>

namespace llmaudit {

// The value nlohmann::json::parse(text) returns, or the exception it throws (same type, same
// message): errors, and the few inputs simdjson reads differently, go to nlohmann itself.
nlohmann::json parseJson(std::string_view text);

} // namespace llmaudit

#pragma once

// Validation of records against the standard log format's JSON Schema (draft-07), with errors
// that name the JSON Pointer and the reason in a reviewer's words.

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace llmaudit {

struct ValidationError
{
    std::string pointer; // JSON Pointer (RFC 6901) of the offending value, "" for the record
    std::string reason;  // e.g. "expected integer, got string"

    std::string toString() const
    {
        return (pointer.empty() ? std::string("/") : pointer) + ": " + reason;
    }
};

class LogSchema
{
public:
    // The v1 schema compiled into the program (resources/schema/llm-interaction.v1.schema.json).
    static const LogSchema &v1();

    // Thread-safe: one LogSchema validates from any number of threads.
    std::vector<ValidationError> validate(const nlohmann::json &record) const;

    const nlohmann::json &document() const { return m_document; }

    // Strict RFC 3339 date-time (the schema's "format": "date-time"): yyyy-mm-ddThh:mm:ss[.frac]
    // followed by Z or ±hh:mm. Returns milliseconds since the epoch, UTC.
    static std::optional<int64_t> parseDateTime(std::string_view text);
    static std::string formatDateTime(int64_t msSinceEpoch); // 2026-01-05T10:00:00.123Z

    explicit LogSchema(nlohmann::json schema);
    ~LogSchema();

private:
    struct Compiled;
    nlohmann::json m_document;
    std::unique_ptr<Compiled> m_compiled;
    std::vector<std::string> m_dateTimePaths; // schema paths with format date-time
};

} // namespace llmaudit

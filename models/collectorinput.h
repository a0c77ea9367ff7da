#pragma once

// Turns what the collector receives into records for the store: a body of interactions (one
// JSON object, a JSON array of them, or NDJSON), an OTLP/HTTP JSON trace export whose GenAI
// spans become interactions. Every item of the input gets an entry saying which record it
// became or why it was refused. Pure functions: the collector calls them on its connection
// threads, the tests call them directly.

#include "result.h"
#include "store.h"

#include <string>
#include <string_view>
#include <vector>

namespace llmaudit {

struct CollectorItem
{
    int record = -1;                     // index into CollectorBatch::records, -1 when rejected
    std::string interactionId;           // when known
    std::vector<ValidationError> errors; // why it was rejected (JSON Pointers into the record)
};

struct CollectorBatch
{
    std::vector<IncomingRecord> records;
    std::vector<QuarantinedRecord> rejects;
    std::vector<CollectorItem> items; // one per input item, in order
    qint64 ignoredSpans = 0;          // OTLP spans without gen_ai.* attributes
};

enum class BodyFormat { Json, Ndjson };

// Records from a body. A body that is not JSON at all (or a JSON scalar) is an error naming
// the byte offset; a bad NDJSON line or a bad array element is a rejected item. `source` is
// where the body came from ("collector 127.0.0.1"); each record's source adds its index.
Result<CollectorBatch> parseInteractions(std::string_view body, BodyFormat format,
                                         const std::string &source);

// Interactions from an OTLP/HTTP JSON export (ExportTraceServiceRequest). Spans carrying
// OpenTelemetry GenAI semantic-convention attributes become interactions whose id is
// "otel:TRACEID:SPANID" (so a re-sent export stores nothing twice); other spans are counted in
// ignoredSpans.
Result<CollectorBatch> parseOtlpTraces(std::string_view body, const std::string &source);

// The log-format document for one GenAI span (the attributes already flattened to JSON values,
// resource attributes included). Exposed for tests.
nlohmann::json interactionFromSpan(const nlohmann::json &span, const nlohmann::json &attributes);

} // namespace llmaudit

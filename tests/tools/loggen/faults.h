#pragma once

// The ways a record goes bad in real logs, applied deterministically to a chosen fraction of
// the generated records: cut lines, invalid JSON, missing or mistyped fields, values out of
// range, and for BSON dumps corrupted lengths. Every faulty record is invalid against the
// standard log format (schema and JSON syntax), so an importer must reject exactly those.

#include "value.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace llmaudit::loggen {

enum class OutputFormat { Jsonl, Json, MongoRelaxed, MongoCanonical, MongoArray, Bson };

bool isLineFormat(OutputFormat format);  // one record per line, blank lines possible
bool isMongoFormat(OutputFormat format); // carries _id and Extended JSON types
bool isPythonJson(OutputFormat format);  // written like Python's json.dumps

enum class Fault {
    None,
    Truncated,    // the line or document is cut short
    InvalidJson,  // trailing comma, NaN, a Python repr, a raw control character, a stray quote
    MissingField, // one of the required fields is absent
    WrongType,    // "latency_ms": "1200ms", the request as a JSON string, ...
    OutOfRange,   // a score of 1.7
    BadEnum,      // "sensitivity_level": "secret"
    BadTimestamp, // "yesterday"
    Corrupt,      // BSON: a wrong inner length, a bad terminator, an unknown element type
};

std::string_view faultName(Fault fault);

struct FaultPlan
{
    Fault fault = Fault::None;
    uint64_t variant = 0;
    bool blankLineBefore = false; // an empty line before the record (not a record itself)
};

// Which fault, if any, record `index` gets. Depends only on the seed, the index, the rate and
// the format, never on the record's content.
FaultPlan planFault(uint64_t seed, int64_t index, double rate, OutputFormat format, bool last);

// The faults that live in the document (before it is written).
void applyToDocument(const FaultPlan &plan, Value &document, OutputFormat format);
// The faults that live in the written text of one record (no trailing newline).
void applyToText(const FaultPlan &plan, std::string &text, const Value &document,
                 OutputFormat format);
// The faults that live in the BSON bytes of one document.
void applyToBson(const FaultPlan &plan, std::string &bytes);

} // namespace llmaudit::loggen

#pragma once

// The one JSON codec of the standard log format: record text in, a validated Interaction (with
// the text to store and its content hash) or the reasons it was refused out.

#include "interaction.h"
#include "logschema.h"

#include <array>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace llmaudit {

enum class Dialect {
    Standard,     // plain JSON in the standard log format
    ExtendedJson, // MongoDB Extended JSON v2, mapped onto the standard format
};

using ContentHash = std::array<unsigned char, 32>; // SHA-256

struct DecodedRecord
{
    Interaction interaction;
    // The record as stored: the text as received when it was one line of standard JSON (the
    // most faithful form), otherwise canonical JSON (keys sorted, compact).
    std::string document;
    ContentHash hash{};   // SHA-256 of `document`
    std::string original; // the source text when it was not already the standard format
};

// Parses, maps Extended JSON when asked, validates against the v1 schema and extracts. Errors
// name JSON Pointers; the caller adds the file and line.
std::expected<DecodedRecord, std::vector<ValidationError>> decodeRecord(std::string_view text,
                                                                        Dialect dialect);

// The same, for a document already parsed (the collector, tests). `document` must be an object.
std::expected<DecodedRecord, std::vector<ValidationError>> decodeDocument(nlohmann::json document);

// decodeRecord(text, Dialect::Standard) for a caller that has parsed `text` already into
// `document` (the collector, which has to know whether a body is one object or an array).
std::expected<DecodedRecord, std::vector<ValidationError>>
decodeParsedRecord(std::string_view text, nlohmann::json document);

// Whether two stored documents hold the same record, whatever their key order and spacing.
bool sameContent(std::string_view a, std::string_view b);

// Extracts the indexed fields from a schema-valid document.
Interaction interactionFromDocument(nlohmann::json document);

// Log text made safe to show on one line of a terminal or a dialog: control characters and
// bidirectional overrides become <U+XXXX>.
std::string visible(std::string_view text);

ContentHash sha256(std::string_view bytes);
std::string toHex(const ContentHash &hash);

} // namespace llmaudit

#pragma once

// MongoDB Extended JSON v2 (relaxed and canonical, as mongoexport and libbson write it) mapped
// onto plain JSON values of the standard log format.

#include <nlohmann/json.hpp>

namespace llmaudit {

// True when the document carries a top-level "_id" or an Extended JSON wrapper anywhere.
bool looksLikeExtendedJson(const nlohmann::json &document);

// $oid -> hex string, $date -> ISO 8601 UTC string, $numberInt/$numberLong -> integer,
// $numberDouble/$numberDecimal -> number (non-finite doubles stay strings); other wrappers are
// left as they are. In place.
void convertExtendedJson(nlohmann::json &document);

} // namespace llmaudit

#pragma once

// Writes the stored interactions out: JSONL in the standard log format (it validates and
// round-trips through import) or CSV for spreadsheets.

#include "result.h"
#include "store.h"

#include <QIODevice>

#include <atomic>

namespace llmaudit {

enum class ExportFormat { Jsonl, Csv };

std::optional<ExportFormat> exportFormatFromName(QStringView name);

// Writes the interactions `filter` selects (all by default) in ingest order. Returns how many
// were written.
Result<qint64> exportInteractions(Store &store, ExportFormat format, QIODevice &out,
                                  const std::atomic<bool> *cancel = nullptr,
                                  const FilterExpr &filter = {});

// Writes activity log entries: JSONL (each entry's canonical JSON with its id) or CSV (id, time,
// kind, actor, what, interaction_ids separated by spaces, filter, count).
Result<void> exportActivity(const std::vector<ActivityEntry> &entries, ExportFormat format,
                            QIODevice &out);

// One CSV field, quoted per RFC 4180. Text that a spreadsheet would run as a formula
// (=, +, -, @, tab, CR first) is prefixed with ' so that it shows as text.
std::string csvField(std::string_view text, bool isText = true);

} // namespace llmaudit

#pragma once

// Writes the stored interactions out: JSONL in the standard log format (it validates and
// round-trips through import) or CSV for spreadsheets.

#include "result.h"
#include "store.h"

#include <QIODevice>

#include <atomic>
#include <span>
#include <string>
#include <vector>

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
// A number's field; empty when there is none.
std::string csvNumber(const std::optional<int64_t> &value);

// A CSV table of records of type T (the export's Interaction, the report's rows): each column is
// its header and the function that writes its field (through csvField). One writer for both
// tables, so that a column means the same and is quoted the same in each.
template<typename T>
struct CsvColumn
{
    const char *name;
    std::string (*field)(const T &);
};

// The header line, and one record's line, each ending in CRLF (RFC 4180).
template<typename T>
std::string csvHeader(std::span<const CsvColumn<T>> columns)
{
    std::string line;
    for (const CsvColumn<T> &column : columns) {
        if (!line.empty())
            line += ',';
        line += column.name;
    }
    return line + "\r\n";
}

template<typename T>
std::string csvRow(std::span<const CsvColumn<T>> columns, const T &record)
{
    std::string line;
    bool first = true;
    for (const CsvColumn<T> &column : columns) {
        if (!first)
            line += ',';
        line += column.field(record);
        first = false;
    }
    return line + "\r\n";
}

// The columns of `llmaudit export --format csv`, for any record type with Interaction's field
// names (Interaction itself, the report's ReportRow): interaction_id, timestamp, user_id,
// session_id, model, prompt_tokens, completion_tokens, total_tokens, latency_ms, finish_reason,
// flagged, sensitivity_level, replay_of, prompt, response.
template<typename T>
std::vector<CsvColumn<T>> interactionCsvColumns()
{
    using F = std::string (*)(const T &);
    return {
        {"interaction_id", F([](const T &r) { return csvField(r.interactionId); })},
        {"timestamp", F([](const T &r) { return csvField(r.timestamp); })},
        {"user_id", F([](const T &r) { return csvField(r.userId); })},
        {"session_id", F([](const T &r) { return csvField(r.sessionId); })},
        {"model", F([](const T &r) { return csvField(r.model); })},
        {"prompt_tokens", F([](const T &r) { return csvNumber(r.promptTokens); })},
        {"completion_tokens", F([](const T &r) { return csvNumber(r.completionTokens); })},
        {"total_tokens", F([](const T &r) { return csvNumber(r.totalTokens); })},
        {"latency_ms", F([](const T &r) { return csvNumber(r.latencyMs); })},
        {"finish_reason", F([](const T &r) { return csvField(r.finishReason); })},
        {"flagged", F([](const T &r) { return csvField(r.flagged ? "true" : "false", false); })},
        {"sensitivity_level", F([](const T &r) {
             return csvField(r.sensitivity ? std::string(toString(*r.sensitivity)) : std::string());
         })},
        {"replay_of", F([](const T &r) { return csvField(r.replayOf); })},
        {"prompt", F([](const T &r) { return csvField(r.prompt); })},
        {"response", F([](const T &r) { return csvField(r.response); })},
    };
}

} // namespace llmaudit

#include "exporter.h"

#include "logschema.h"

namespace llmaudit {

using nlohmann::json;

namespace {

const char *const CsvColumns[] = {
    "interaction_id", "timestamp",         "user_id",      "session_id", "model",
    "prompt_tokens",  "completion_tokens", "total_tokens", "latency_ms", "finish_reason",
    "flagged",        "sensitivity_level", "replay_of",    "prompt",     "response",
};

std::string number(const std::optional<int64_t> &value)
{
    return value ? std::to_string(*value) : std::string();
}

std::string csvRow(const Interaction &r)
{
    const std::string fields[] = {
        csvField(r.interactionId),
        csvField(r.timestamp),
        csvField(r.userId),
        csvField(r.sessionId),
        csvField(r.model),
        csvField(number(r.promptTokens), false),
        csvField(number(r.completionTokens), false),
        csvField(number(r.totalTokens), false),
        csvField(number(r.latencyMs), false),
        csvField(r.finishReason),
        csvField(r.flagged ? "true" : "false", false),
        csvField(r.sensitivity ? std::string(toString(*r.sensitivity)) : std::string()),
        csvField(r.replayOf),
        csvField(r.prompt),
        csvField(r.response),
    };
    std::string row;
    for (const auto &field : fields) {
        if (!row.empty())
            row += ',';
        row += field;
    }
    return row + "\r\n";
}

} // namespace

std::optional<ExportFormat> exportFormatFromName(QStringView name)
{
    if (name == u"jsonl")
        return ExportFormat::Jsonl;
    if (name == u"csv")
        return ExportFormat::Csv;
    return std::nullopt;
}

std::string csvField(std::string_view text, bool isText)
{
    std::string value(text);
    if (isText && !value.empty() &&
        (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@' ||
         value[0] == '\t' || value[0] == '\r'))
        value.insert(value.begin(), '\'');
    if (value.find_first_of(",\"\r\n") == std::string::npos)
        return value;
    std::string quoted = "\"";
    for (char c : value) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    return quoted + '"';
}

Result<qint64> exportInteractions(Store &store, ExportFormat format, QIODevice &out,
                                  const std::atomic<bool> *cancel, const FilterExpr &filter)
{
    qint64 written = 0;
    std::optional<Error> error;
    std::string buffer;
    auto flush = [&]() {
        if (out.write(buffer.data(), static_cast<qint64>(buffer.size())) != qint64(buffer.size()))
            error = Error{QStringLiteral("cannot write the export: %1").arg(out.errorString()), {}};
        buffer.clear();
    };
    if (format == ExportFormat::Csv) {
        for (const char *column : CsvColumns)
            buffer += std::string(buffer.empty() ? "" : ",") + column;
        buffer += "\r\n";
    }
    auto walked =
        store.forEachInteraction(filter,
                                 [&](const StoredInteraction &item) {
                                     if (cancel && cancel->load())
                                         return false;
                                     if (format == ExportFormat::Jsonl) {
                                         buffer += item.document;
                                         buffer += '\n';
                                     } else {
                                         auto document = json::parse(item.document, nullptr, false);
                                         buffer +=
                                             csvRow(interactionFromDocument(std::move(document)));
                                     }
                                     ++written;
                                     if (buffer.size() > 1024 * 1024)
                                         flush();
                                     return !error;
                                 },
                                 {SortColumn::Ingested, Qt::AscendingOrder});
    if (!walked)
        return std::unexpected(walked.error());
    if (!error)
        flush();
    if (error)
        return std::unexpected(*error);
    if (cancel && cancel->load())
        return fail(QStringLiteral("export cancelled after %1 interactions").arg(written));
    return written;
}

Result<void> exportActivity(const std::vector<ActivityEntry> &entries, ExportFormat format,
                            QIODevice &out)
{
    auto write = [&](const std::string &line) {
        return out.write(line.data(), qint64(line.size())) == qint64(line.size());
    };
    if (format == ExportFormat::Csv &&
        !write("id,time,kind,actor,what,interaction_ids,filter,count\r\n"))
        return fail(QStringLiteral("cannot write: %1").arg(out.errorString()));
    for (const ActivityEntry &e : entries) {
        std::string line;
        if (format == ExportFormat::Jsonl) {
            nlohmann::json j = nlohmann::json::parse(canonicalJson(e));
            j["id"] = e.id;
            j["time"] = LogSchema::formatDateTime(e.timeMs);
            line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        } else {
            std::string ids;
            for (const auto &id : e.interactionIds)
                ids += (ids.empty() ? "" : " ") + id;
            line = std::to_string(e.id) + "," + csvField(LogSchema::formatDateTime(e.timeMs)) +
                   "," + csvField(toString(e.kind)) + "," + csvField(e.actor) + "," +
                   csvField(e.what) + "," + csvField(ids) + "," + csvField(e.filter) + "," +
                   (e.count ? std::to_string(*e.count) : std::string()) + "\r\n";
        }
        if (!write(line))
            return fail(QStringLiteral("cannot write: %1").arg(out.errorString()));
    }
    return {};
}

} // namespace llmaudit

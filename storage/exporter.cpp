#include "exporter.h"

#include "logschema.h"

namespace llmaudit {

using nlohmann::json;

namespace {

const std::vector<CsvColumn<Interaction>> &exportColumns()
{
    static const std::vector<CsvColumn<Interaction>> columns = interactionCsvColumns<Interaction>();
    return columns;
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

std::string csvNumber(const std::optional<int64_t> &value)
{
    return value ? std::to_string(*value) : std::string();
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
        buffer += csvHeader<Interaction>(exportColumns());
    }
    auto walked = store.forEachInteraction(
        filter,
        [&](const StoredInteraction &item) {
            if (cancel && cancel->load())
                return false;
            if (format == ExportFormat::Jsonl) {
                buffer += item.document;
                buffer += '\n';
            } else {
                auto document = json::parse(item.document, nullptr, false);
                buffer += csvRow<Interaction>(exportColumns(),
                                              interactionFromDocument(std::move(document)));
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

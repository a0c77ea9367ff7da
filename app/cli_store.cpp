// The store commands: import, export, stats, validate, rejects, conflicts.

#include "clicommon.h"
#include "exporter.h"
#include "importer.h"
#include "logschema.h"
#include "recordreader.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <cstdio>
#include <unistd.h>

namespace llmaudit::cli {

namespace {

using nlohmann::json;

// One line per error; pointers and reasons quote log content, so they are made visible text.
QString reasons(const QuarantinedRecord &reject)
{
    QString text;
    for (const auto &e : reject.errors)
        text += QStringLiteral("%1 %2: %3\n")
                    .arg(QString::fromStdString(visible(reject.source)),
                         QString::fromStdString(visible(e.pointer.empty() ? "/" : e.pointer)),
                         QString::fromStdString(visible(e.reason)));
    return text;
}

json countsJson(qint64 read, const WriteCounts &counts)
{
    return {{"read", read},
            {"stored", counts.stored},
            {"duplicates", counts.duplicates},
            {"conflicts", counts.conflicts},
            {"rejected", counts.rejected}};
}

} // namespace

int runImport(const QStringList &args, const QString &description)
{
    Command command(QStringLiteral("import"), description, args);
    command.addStoreOption();
    command.parser.addOption({QStringLiteral("format"),
                              QStringLiteral("Input format: auto (detected from the content), "
                                             "jsonl, json, mongo or bson."),
                              QStringLiteral("FORMAT"), QStringLiteral("auto")});
    command.parser.addOption({QStringLiteral("strict"),
                              QStringLiteral("Exit with status 1 when any record is rejected.")});
    command.addJsonOption(QStringLiteral("Print the summary as one JSON object."));
    addPolicyOptions(command);
    command.parser.addPositionalArgument(
        QStringLiteral("FILE"), QStringLiteral("Log files to import."), QStringLiteral("FILE..."));
    if (auto stop = command.parse())
        return *stop;
    const auto format = inputFormatFromName(command.parser.value(QStringLiteral("format")));
    if (!format)
        return usageError(command.name,
                          QStringLiteral("unknown format '%1' (auto, jsonl, json, mongo, bson)")
                              .arg(command.parser.value(QStringLiteral("format"))));
    const QStringList files = command.parser.positionalArguments();
    if (files.isEmpty())
        return usageError(command.name, QStringLiteral("no files given"));
    const bool asJson = command.parser.isSet(QStringLiteral("json"));
    auto store = openStore(command, Store::Access::ReadWrite);
    if (!store)
        return Failed;

    Importer importer(*store);
    importer.setFormat(*format);
    // With policy options the policy becomes the store's (so that later imports, the workbench
    // and the collector apply it too); without, the importer applies the store's own.
    std::optional<RedactionPolicy> policy;
    bool policyGiven = false;
    if (auto stop = readPolicyOptions(command, store->location(), policy, policyGiven))
        return *stop;
    if (policyGiven) {
        auto redactor = Redactor::create(*policy); // reads or creates the key first
        if (!redactor) {
            err(QStringLiteral("llmaudit import: %1\n").arg(redactor.error().toString()));
            return Failed;
        }
        auto previous = loadStorePolicy(store->location());
        policy->redact = true;
        // The store's retention settings live in the same file: a policy without any keeps them.
        if (previous && *previous && policy->retention.isEmpty())
            policy->retention = (*previous)->retention;
        if (!previous || !*previous || !(**previous == *policy)) {
            if (auto saved = saveStorePolicy(store->location(), *policy); !saved) {
                err(QStringLiteral("llmaudit import: %1\n").arg(saved.error().toString()));
                return Failed;
            }
            err(QStringLiteral("llmaudit import: the store's redaction policy is now '%1' (%2)\n")
                    .arg(policy->name, storePolicyPath(store->location())));
        }
        importer.setRedactor(*redactor);
    }
    const bool terminal = isatty(STDERR_FILENO);
    constexpr int RejectsShown = 50;
    qint64 rejectsSeen = 0;
    importer.setRejectHandler([&](const QuarantinedRecord &reject) {
        if (++rejectsSeen <= RejectsShown) {
            if (terminal)
                err(QStringLiteral("\r\033[K"));
            err(reasons(reject));
        }
    });
    QElapsedTimer sincePrint;
    sincePrint.start();
    if (terminal) {
        importer.setProgressHandler([&](const ImportProgress &p) {
            if (sincePrint.elapsed() < 100)
                return;
            sincePrint.restart();
            const int percent = p.bytesTotal > 0 ? int(100 * p.bytesDone / p.bytesTotal) : 100;
            err(QStringLiteral("\r\033[K%1 (%2/%3) %4%  %5 read, %6 stored, %7 rejected")
                    .arg(fileName(p.file))
                    .arg(p.fileNumber)
                    .arg(p.fileCount)
                    .arg(percent)
                    .arg(p.read)
                    .arg(p.counts.stored)
                    .arg(p.counts.rejected));
        });
    }
    ImportReport report;
    {
        const Interruption interruption; // Ctrl-C stops the import after its current commit
        importer.setCancelFlag(&Interruption::flag());
        report = importer.importFiles(files);
    }
    if (terminal)
        err(QStringLiteral("\r\033[K"));
    if (rejectsSeen > RejectsShown)
        err(QStringLiteral("... and %1 more rejected records: 'llmaudit rejects' lists them all\n")
                .arg(rejectsSeen - RejectsShown));
    for (const auto &file : report.files)
        if (file.error)
            err(QStringLiteral("llmaudit import: %1\n").arg(file.error->toString()));
    if (report.storeError)
        err(QStringLiteral("llmaudit import: %1\n").arg(report.storeError->toString()));
    if (report.cancelled)
        err(QStringLiteral("llmaudit import: interrupted; what was committed stays, and running "
                           "the same import again completes it\n"));

    if (asJson) {
        json summary = countsJson(report.read, report.counts);
        summary["store"] = store->location().toStdString();
        summary["complete"] = report.complete();
        json perFile = json::array();
        for (const auto &file : report.files) {
            json entry = countsJson(file.read, file.counts);
            entry["path"] = file.path.toStdString();
            entry["format"] = inputFormatName(file.format).toStdString();
            entry["extended_json"] = file.dialect == Dialect::ExtendedJson;
            if (file.error)
                entry["error"] = file.error->toString().toStdString();
            perFile.push_back(std::move(entry));
        }
        summary["files"] = std::move(perFile);
        if (report.redaction) {
            json counts = json::object();
            for (const auto &[type, count] : report.redaction->counts)
                counts[type.toStdString()] = count;
            summary["redaction"] = {{"policy", report.redaction->policy.toStdString()},
                                    {"counts", std::move(counts)},
                                    {"pseudonymized", report.redaction->pseudonymized}};
        }
        printJson(summary);
    } else {
        out(QStringLiteral(
                "read %1, stored %2, duplicates %3, conflicts %4, rejected %5  (store: %6)\n")
                .arg(report.read)
                .arg(report.counts.stored)
                .arg(report.counts.duplicates)
                .arg(report.counts.conflicts)
                .arg(report.counts.rejected)
                .arg(store->location()));
        if (report.redaction) {
            QStringList counts;
            for (const auto &[type, count] : report.redaction->counts)
                counts << QStringLiteral("%1 %2").arg(type).arg(count);
            out(QStringLiteral("redacted by policy '%1': %2%3\n")
                    .arg(report.redaction->policy,
                         counts.isEmpty() ? QStringLiteral("nothing found") : counts.join(u", "),
                         report.redaction->pseudonymized > 0
                             ? QStringLiteral("; %1 user ids pseudonymized")
                                   .arg(report.redaction->pseudonymized)
                             : QString()));
        }
    }
    if (report.cancelled)
        return Interrupted;
    if (!report.complete())
        return Failed;
    if (command.parser.isSet(QStringLiteral("strict")) && report.counts.rejected > 0)
        return Failed;
    return Ok;
}

namespace {

// Opens `-o FILE` (written atomically) or standard output.
struct Output
{
    std::unique_ptr<QIODevice> device;
    QString error;

    explicit Output(const QString &path)
    {
        if (path.isEmpty() || path == u"-") {
            auto file = std::make_unique<QFile>();
            if (!file->open(stdout, QIODevice::WriteOnly))
                error = QStringLiteral("cannot write to standard output");
            device = std::move(file);
        } else {
            auto file = std::make_unique<QSaveFile>(path);
            if (!file->open(QIODevice::WriteOnly))
                error = QStringLiteral("cannot write %1: %2").arg(path, file->errorString());
            device = std::move(file);
        }
    }

    bool commit()
    {
        if (auto *save = qobject_cast<QSaveFile *>(device.get())) {
            if (!save->commit()) {
                error = QStringLiteral("cannot write %1: %2")
                            .arg(save->fileName(), save->errorString());
                return false;
            }
        }
        return true;
    }
};

} // namespace

int runExport(const QStringList &args, const QString &description)
{
    Command command(QStringLiteral("export"), description, args);
    command.addStoreOption();
    command.parser.addOption(
        {QStringLiteral("format"), QStringLiteral("jsonl or csv."), QStringLiteral("FORMAT")});
    command.parser.addOption({{QStringLiteral("o"), QStringLiteral("output")},
                              QStringLiteral("Write to FILE instead of standard output."),
                              QStringLiteral("FILE")});
    command.addFilterOption(QStringLiteral("Export only the interactions EXPR selects."));
    if (auto stop = command.parse(Command::Positional::None))
        return *stop;
    if (!command.parser.isSet(QStringLiteral("format")))
        return usageError(command.name,
                          QStringLiteral("--format jsonl or --format csv is required"));
    const auto format = exportFormatFromName(command.parser.value(QStringLiteral("format")));
    if (!format)
        return usageError(command.name, QStringLiteral("unknown format '%1' (jsonl, csv)")
                                            .arg(command.parser.value(QStringLiteral("format"))));
    FilterExpr filter;
    if (auto stop = command.readFilter(filter))
        return *stop;
    auto store = openStore(command, Store::Access::ReadOnly);
    if (!store)
        return Failed;
    Output output(command.parser.value(QStringLiteral("output")));
    if (!output.error.isEmpty()) {
        err(QStringLiteral("llmaudit export: %1\n").arg(output.error));
        return Failed;
    }
    auto written = exportInteractions(*store, *format, *output.device, nullptr, filter);
    if (!written) {
        err(QStringLiteral("llmaudit export: %1\n").arg(written.error().toString()));
        return Failed;
    }
    if (!output.commit()) {
        err(QStringLiteral("llmaudit export: %1\n").arg(output.error));
        return Failed;
    }
    ActivityEntry entry;
    entry.kind = ActivityKind::Export;
    entry.what = QStringLiteral("exported %1 to %2")
                     .arg(command.parser.value(QStringLiteral("format")),
                          command.parser.isSet(QStringLiteral("output"))
                              ? command.parser.value(QStringLiteral("output"))
                              : QStringLiteral("standard output"))
                     .toStdString();
    entry.filter = filter.matchesAll() ? std::string() : toString(filter);
    entry.count = *written;
    logActivity(command, std::move(entry));
    if (command.parser.isSet(QStringLiteral("output")))
        err(QStringLiteral("%1 interactions written to %2\n")
                .arg(*written)
                .arg(command.parser.value(QStringLiteral("output"))));
    return Ok;
}

int runStats(const QStringList &args, const QString &description)
{
    Command command(QStringLiteral("stats"), description, args);
    command.addStoreOption();
    command.addJsonOption(QStringLiteral("Print one JSON object."));
    command.addFilterOption(QStringLiteral("Count only the interactions EXPR selects (rejected "
                                           "and conflicts stay the store's totals)."));
    if (auto stop = command.parse())
        return *stop;
    FilterExpr filter;
    if (auto stop = command.readFilter(filter))
        return *stop;
    auto store = openStore(command, Store::Access::ReadOnly);
    if (!store)
        return Failed;
    auto stats = store->stats(filter);
    if (!stats) {
        err(QStringLiteral("llmaudit stats: %1\n").arg(stats.error().toString()));
        return Failed;
    }
    if (command.parser.isSet(QStringLiteral("json"))) {
        auto time = [](std::optional<int64_t> ms) {
            return ms ? json(LogSchema::formatDateTime(*ms)) : json(nullptr);
        };
        json summary = {{"interactions", stats->interactions},
                        {"sessions", stats->sessions},
                        {"users", stats->users},
                        {"flagged", stats->flagged},
                        {"rejected", stats->rejected},
                        {"conflicts", stats->conflicts},
                        {"first", time(stats->firstMs)},
                        {"last", time(stats->lastMs)}};
        if (!filter.matchesAll())
            summary["filter"] = command.parser.value(QStringLiteral("filter")).toStdString();
        printJson(summary);
        return Ok;
    }
    if (!filter.matchesAll())
        out(QStringLiteral("filter        %1\n")
                .arg(QString::fromStdString(
                    visible(command.parser.value(QStringLiteral("filter")).toStdString()))));
    out(QStringLiteral("store         %1\n"
                       "interactions  %2\n"
                       "sessions      %3\n"
                       "users         %4\n"
                       "flagged       %5\n"
                       "rejected      %6\n"
                       "conflicts     %7\n"
                       "first         %8\n"
                       "last          %9\n")
            .arg(store->location())
            .arg(stats->interactions)
            .arg(stats->sessions)
            .arg(stats->users)
            .arg(stats->flagged)
            .arg(stats->rejected)
            .arg(stats->conflicts)
            .arg(stats->firstMs ? isoTime(stats->firstMs) : QStringLiteral("-"))
            .arg(stats->lastMs ? isoTime(stats->lastMs) : QStringLiteral("-")));
    return Ok;
}

int runValidate(const QStringList &args, const QString &description)
{
    Command command(QStringLiteral("validate"), description, args);
    command.parser.addOption({QStringLiteral("format"),
                              QStringLiteral("Input format: auto, jsonl, json, mongo or bson."),
                              QStringLiteral("FORMAT"), QStringLiteral("auto")});
    command.parser.addPositionalArgument(
        QStringLiteral("FILE"), QStringLiteral("Log files to check."), QStringLiteral("FILE..."));
    if (auto stop = command.parse())
        return *stop;
    const auto format = inputFormatFromName(command.parser.value(QStringLiteral("format")));
    if (!format)
        return usageError(command.name, QStringLiteral("unknown format '%1'")
                                            .arg(command.parser.value(QStringLiteral("format"))));
    const QStringList files = command.parser.positionalArguments();
    if (files.isEmpty())
        return usageError(command.name, QStringLiteral("no files given"));
    qint64 records = 0;
    qint64 invalid = 0;
    bool unreadable = false;
    for (const QString &path : files) {
        auto reader = RecordReader::open(path, *format);
        if (!reader) {
            err(QStringLiteral("llmaudit validate: %1\n").arg(reader.error().toString()));
            unreadable = true;
            continue;
        }
        RawRecord raw;
        while ((*reader)->next(raw)) {
            ++records;
            std::vector<ValidationError> errors;
            if (!raw.frameError.empty()) {
                errors.push_back({"", raw.frameError});
            } else if (auto decoded = decodeRecord(raw.text, (*reader)->dialect()); !decoded) {
                errors = std::move(decoded.error());
            }
            if (errors.empty())
                continue;
            ++invalid;
            err(reasons({(*reader)->location(raw).toStdString(), std::move(errors), {}}));
        }
        if ((*reader)->ioError()) {
            err(QStringLiteral("llmaudit validate: %1\n").arg((*reader)->ioError()->toString()));
            unreadable = true;
        }
    }
    out(QStringLiteral("%1 records, %2 valid, %3 invalid\n")
            .arg(records)
            .arg(records - invalid)
            .arg(invalid));
    return invalid > 0 || unreadable ? Failed : Ok;
}

int runRejects(const QStringList &args, const QString &description)
{
    Command command(QStringLiteral("rejects"), description, args);
    command.addStoreOption();
    command.addJsonOption(QStringLiteral("Print a JSON array, raw records included."));
    command.parser.addOption({{QStringLiteral("o"), QStringLiteral("output")},
                              QStringLiteral("Save the rejected records verbatim, one per line, to "
                                             "FILE (fix them, then import that file)."),
                              QStringLiteral("FILE")});
    if (auto stop = command.parse())
        return *stop;
    auto store = openStore(command, Store::Access::ReadOnly);
    if (!store)
        return Failed;
    auto rejects = store->rejects();
    if (!rejects) {
        err(QStringLiteral("llmaudit rejects: %1\n").arg(rejects.error().toString()));
        return Failed;
    }
    if (command.parser.isSet(QStringLiteral("output"))) {
        Output output(command.parser.value(QStringLiteral("output")));
        for (const auto &r : *rejects) {
            output.device->write(r.raw.data(), qint64(r.raw.size()));
            output.device->write("\n", 1);
        }
        if (!output.error.isEmpty() || !output.commit()) {
            err(QStringLiteral("llmaudit rejects: %1\n").arg(output.error));
            return Failed;
        }
        err(QStringLiteral("%1 rejected records written to %2\n")
                .arg(rejects->size())
                .arg(command.parser.value(QStringLiteral("output"))));
        return Ok;
    }
    if (command.parser.isSet(QStringLiteral("json"))) {
        json list = json::array();
        for (const auto &r : *rejects) {
            json errors = json::array();
            for (const auto &e : r.errors)
                errors.push_back({{"pointer", e.pointer}, {"reason", e.reason}});
            list.push_back({{"id", r.id},
                            {"received", LogSchema::formatDateTime(r.receivedMs)},
                            {"source", r.source},
                            {"errors", errors},
                            {"raw", r.raw}});
        }
        printJson(list);
        return Ok;
    }
    for (const auto &r : *rejects) {
        out(reasons({r.source, r.errors, {}}));
        const std::string preview = visible(std::string_view(r.raw).substr(0, 160));
        out(QStringLiteral("    %1%2\n")
                .arg(QString::fromStdString(preview),
                     r.raw.size() > 160 ? QStringLiteral("…") : QString()));
    }
    out(QStringLiteral("%1 rejected records\n").arg(rejects->size()));
    return Ok;
}

int runConflicts(const QStringList &args, const QString &description)
{
    Command command(QStringLiteral("conflicts"), description, args);
    command.addStoreOption();
    command.addJsonOption(QStringLiteral("Print a JSON array with the incoming documents."));
    if (auto stop = command.parse())
        return *stop;
    auto store = openStore(command, Store::Access::ReadOnly);
    if (!store)
        return Failed;
    auto conflicts = store->conflicts();
    if (!conflicts) {
        err(QStringLiteral("llmaudit conflicts: %1\n").arg(conflicts.error().toString()));
        return Failed;
    }
    if (command.parser.isSet(QStringLiteral("json"))) {
        json list = json::array();
        for (const auto &c : *conflicts)
            list.push_back({{"id", c.id},
                            {"interaction_id", c.interactionId},
                            {"received", LogSchema::formatDateTime(c.receivedMs)},
                            {"source", c.source},
                            {"stored_sha256", c.storedHash},
                            {"incoming_sha256", c.incomingHash},
                            {"incoming", json::parse(c.document, nullptr, false)}});
        printJson(list);
        return Ok;
    }
    for (const auto &c : *conflicts)
        out(QStringLiteral("%1  %2  stored %3…  incoming %4…\n")
                .arg(QString::fromStdString(c.interactionId), QString::fromStdString(c.source),
                     QString::fromStdString(c.storedHash.substr(0, 12)),
                     QString::fromStdString(c.incomingHash.substr(0, 12))));
    out(QStringLiteral("%1 conflicts\n").arg(conflicts->size()));
    return Ok;
}

} // namespace llmaudit::cli

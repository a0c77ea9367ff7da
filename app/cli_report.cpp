// llmaudit report: an audit report (PDF, HTML or CSV) of the interactions a filter selects or
// of a list of interaction ids.

#include "clicommon.h"
#include "reportbuilder.h"
#include "reportrenderer.h"

#include <QElapsedTimer>
#include <QFileInfo>

#include <cstdio>

namespace llmaudit::cli {

int runReport(const QStringList &args, const QString &description)
{
    Command command(QStringLiteral("report"), description, args);
    command.addStoreOption();
    command.addFilterOption(QStringLiteral("Report on the interactions EXPR selects."));
    command.parser.addOption(
        {QStringLiteral("ids-from"),
         QStringLiteral("Report on the interactions whose ids FILE lists, one a line ('-': "
                        "standard input); each is shown in full."),
         QStringLiteral("FILE")});
    command.parser.addOption({QStringLiteral("format"),
                              QStringLiteral("pdf, html or csv (default: from the output file's "
                                             "extension)."),
                              QStringLiteral("FORMAT")});
    command.parser.addOption(
        {QStringLiteral("title"), QStringLiteral("The report's title."), QStringLiteral("TITLE")});
    command.parser.addOption({{QStringLiteral("o"), QStringLiteral("output")},
                              QStringLiteral("Write the report to FILE (required)."),
                              QStringLiteral("FILE")});
    command.parser.addOption(
        {QStringLiteral("no-verify"),
         QStringLiteral("Do not verify the store's integrity chains (verifying reads every "
                        "record of the store, not only those reported on).")});
    if (auto stop = command.parse(Command::Positional::None))
        return *stop;
    const QString output = command.parser.value(QStringLiteral("output"));
    if (output.isEmpty())
        return usageError(command.name, QStringLiteral("-o FILE is required"));
    std::optional<ReportFormat> format;
    if (command.parser.isSet(QStringLiteral("format"))) {
        format = reportFormatFromName(command.parser.value(QStringLiteral("format")));
        if (!format)
            return usageError(command.name,
                              QStringLiteral("unknown format '%1' (pdf, html, csv)")
                                  .arg(command.parser.value(QStringLiteral("format"))));
    } else {
        format = reportFormatFromPath(output);
        if (!format)
            return usageError(command.name,
                              QStringLiteral("cannot tell the format from '%1': use --format pdf, "
                                             "html or csv, or a .pdf, .html or .csv file")
                                  .arg(output));
    }
    if (command.parser.isSet(QStringLiteral("filter")) &&
        command.parser.isSet(QStringLiteral("ids-from")))
        return usageError(command.name,
                          QStringLiteral("--filter and --ids-from cannot be used together"));

    ReportRequest request;
    request.title = command.parser.value(QStringLiteral("title"));
    request.keepRows = *format == ReportFormat::Csv; // only a CSV lists every interaction
    if (auto stop = command.readFilter(request.filter))
        return *stop;
    request.filterText = command.parser.value(QStringLiteral("filter"));
    request.verify = !command.parser.isSet(QStringLiteral("no-verify"));
    if (command.parser.isSet(QStringLiteral("ids-from"))) {
        const QString idsPath = command.parser.value(QStringLiteral("ids-from"));
        auto ids = readIdsFile(idsPath);
        if (!ids || ids->empty()) {
            err(QStringLiteral("llmaudit report: %1\n")
                    .arg(ids ? QStringLiteral("%1: no interaction ids in the file").arg(idsPath)
                             : ids.error().toString()));
            return Failed;
        }
        request.interactionIds = std::move(*ids);
    }

    // Read-write when the file allows it, so that the report is recorded in the activity log;
    // never creating a store that is not there (read-only says so).
    std::unique_ptr<Store> store;
    if (QFileInfo::exists(command.storePath()))
        if (auto writable = openShowingUpgrade(command.storePath(), Store::Access::ReadWrite))
            store = std::move(*writable);
    if (!store)
        store = openStore(command, Store::Access::ReadOnly);
    if (!store)
        return Failed;
    QElapsedTimer timer;
    timer.start();
    auto data = buildReport(*store, request);
    if (!data) {
        err(QStringLiteral("llmaudit report: %1\n").arg(data.error().toString()));
        return Failed;
    }
    for (const std::string &id : data->missingIds)
        err(QStringLiteral("llmaudit report: not in the store: %1\n")
                .arg(QString::fromStdString(visible(id))));
    auto pages = writeReport(*data, *format, output);
    if (!pages) {
        err(QStringLiteral("llmaudit report: %1\n").arg(pages.error().toString()));
        return Failed;
    }
    if (auto logged = store->logActivity(reportActivity(
            *data, *format, QFileInfo(output).absoluteFilePath(), data->generatedBy));
        !logged)
        err(QStringLiteral("note: the report was not recorded in the activity log: %1\n")
                .arg(logged.error().toString()));
    if (!data->verified())
        err(QStringLiteral("llmaudit report: %1\n").arg(data->verification));
    err(QStringLiteral("Report of %1 written to %2%3 in %4 s\n")
            .arg(data->summary.interactions == 1
                     ? QStringLiteral("1 interaction")
                     : QStringLiteral("%1 interactions").arg(data->summary.interactions),
                 output,
                 *format == ReportFormat::Pdf ? QStringLiteral(" (%1 pages)").arg(*pages)
                                              : QString())
            .arg(double(timer.elapsed()) / 1000.0, 0, 'f', 2));
    return Ok;
}

} // namespace llmaudit::cli

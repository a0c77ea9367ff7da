// Audit report speed (issue 7: a report of 1,000 interactions in under 15 s):
//   bench_report [COUNT]
// generates COUNT interactions (default 1000) with llmaudit-loggen (--hostile), imports them,
// reviews one in ten of them (a status; a flag and a note on every other one of those), then
// times building the report (with the integrity verification, timed alone too) and writing it
// as PDF, HTML and CSV in this process, a
// selection report of the most interactions shown in full, and `llmaudit report -o X.pdf` end
// to end. Prints figures; asserts nothing.

#include "importer.h"
#include "reportbuilder.h"
#include "reportrenderer.h"
#include "store.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QGuiApplication>
#include <QProcess>
#include <QTemporaryDir>

#include <cstdio>

using namespace llmaudit;

namespace {

double seconds(const QElapsedTimer &timer)
{
    return double(timer.nsecsElapsed()) / 1e9;
}

bool runTool(const QString &program, const QStringList &args)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    process.start(program, args);
    return process.waitForFinished(600000) && process.exitCode() == 0;
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication app(argc, argv);
    const int count = argc > 1 ? std::atoi(argv[1]) : 1000;
    QTemporaryDir dir;
    const QString log = dir.filePath(QStringLiteral("bench.jsonl"));
    const QString storePath = dir.filePath(QStringLiteral("bench.sqlite"));
    if (!runTool(QStringLiteral(LLMAUDIT_LOGGEN),
                 {QStringLiteral("--count"), QString::number(count), QStringLiteral("--seed"),
                  QStringLiteral("7"), QStringLiteral("--hostile"), QStringLiteral("-o"), log})) {
        std::fprintf(stderr, "llmaudit-loggen failed\n");
        return 1;
    }
    {
        auto store = Store::open(storePath);
        if (!store) {
            std::fprintf(stderr, "%s\n", qPrintable(store.error().toString()));
            return 1;
        }
        Importer(**store).importFiles({log});
        auto ids = (*store)->rowIds(FilterExpr{}, {SortColumn::Ingested, Qt::AscendingOrder});
        if (!ids)
            return 1;
        std::vector<qint64> approved, issues;
        for (size_t i = 0; i < ids->size(); i += 10)
            (i % 20 ? approved : issues).push_back((*ids)[i]);
        const std::string reviewer = "Bench Reviewer";
        if (!(*store)->setReview(approved, {ReviewStatus::Approved, {}, false, reviewer}) ||
            !(*store)->setReview(issues, {ReviewStatus::Issue, "bench flag", false, reviewer}) ||
            !(*store)->addNote(issues, reviewer, "A reviewer's note of a few words."))
            return 1;
    }
    auto store = Store::open(storePath, Store::Access::ReadOnly);
    if (!store)
        return 1;

    std::printf("report of %d generated interactions\n", count);
    QElapsedTimer timer;
    timer.start();
    auto data = buildReport(**store, {});
    if (!data) {
        std::fprintf(stderr, "%s\n", qPrintable(data.error().toString()));
        return 1;
    }
    std::printf("  build (read, summarize, compare,\n"
                "    review, verify):                 %6.2f s  (%lld interactions, %lld flagged, "
                "%lld listed, %zu in full, %zu replays, %s)\n",
                seconds(timer), qint64(data->summary.interactions), qint64(data->summary.flagged),
                qint64(data->listedTotal), data->fullInteractions.size(), data->replays.size(),
                data->verified() ? "verified" : "NOT verified");
    timer.restart();
    auto verified = (*store)->verify();
    std::printf("  Store::verify() alone:             %6.2f s\n", seconds(timer));
    if (!verified)
        return 1;
    for (ReportFormat format : {ReportFormat::Pdf, ReportFormat::Html, ReportFormat::Csv}) {
        const QString out = dir.filePath(QStringLiteral("report.") + reportFormatName(format));
        timer.restart();
        auto pages = writeReport(*data, format, out);
        if (!pages) {
            std::fprintf(stderr, "%s\n", qPrintable(pages.error().toString()));
            return 1;
        }
        std::printf(
            "  write %-4s                        %6.2f s  (%s%lld KiB)\n",
            qPrintable(reportFormatName(format)), seconds(timer),
            format == ReportFormat::Pdf ? qPrintable(QStringLiteral("%1 pages, ").arg(*pages)) : "",
            QFileInfo(out).size() / 1024);
    }

    // A selection with the most interactions a report shows in full.
    ReportRequest chosen;
    for (size_t i = 0; i < data->rows.size() && int(i) < ReportData::MaxFullSelection; ++i)
        chosen.interactionIds.push_back(data->rows[i].interactionId);
    timer.restart();
    auto selection = buildReport(**store, chosen);
    if (!selection)
        return 1;
    auto pages = writeReport(*selection, ReportFormat::Pdf, dir.filePath(QStringLiteral("s.pdf")));
    if (!pages)
        return 1;
    std::printf("  selection of %zu in full, PDF:     %6.2f s  (%d pages)\n",
                chosen.interactionIds.size(), seconds(timer), *pages);

    std::fflush(stdout);
    timer.restart();
    const bool ok = runTool(QStringLiteral(LLMAUDIT_CLI),
                            {QStringLiteral("report"), QStringLiteral("--store"), storePath,
                             QStringLiteral("-o"), dir.filePath(QStringLiteral("cli.pdf"))});
    std::printf("  llmaudit report -o X.pdf (whole):  %6.2f s%s\n", seconds(timer),
                ok ? "" : "  FAILED");
    return ok ? 0 : 1;
}

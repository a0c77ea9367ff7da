#include "cli.h"

#include "clicommon.h"

#include <QCoreApplication>
#include <QGuiApplication>

#include <memory>

namespace llmaudit {

namespace {

using namespace cli;

struct CommandEntry
{
    const char *name;
    const char *summary;
    int (*run)(const QStringList &args, const QString &description);
};

const CommandEntry Commands[] = {
    {"import", "Import log files (JSONL, JSON array, MongoDB exports, BSON) into a store",
     runImport},
    {"export", "Write the stored interactions as JSONL (standard log format) or CSV", runExport},
    {"stats", "Count interactions, sessions, users, flagged, rejects and conflicts", runStats},
    {"validate", "Check log files against the log format without storing anything", runValidate},
    {"rejects", "List (or save) the records an import quarantined, with the reasons", runRejects},
    {"conflicts", "List records that arrived with a known id but different content", runConflicts},
    {"diff", "Compare two interactions: scores, deltas and the responses' diff", runDiff},
    {"replay", "Replay interactions against an LLM provider and compare the answers", runReplay},
    {"report", "Write an audit report (PDF, HTML or CSV) of a filter or of chosen interactions",
     runReport},
    {"serve", "Run the live collector and recording proxy (HTTP) into a store", runServe},
    {"redact", "Show what a redaction policy would do to log files (--dry-run)", runRedact},
    {"review", "Set the review status, flag or a note of interactions", runReview},
    {"activity", "List the activity log: imports, exports, replays, reviews, verifications",
     runActivity},
    {"verify", "Check the integrity chains over the records and the activity log", runVerify},
    {"hold", "Put interactions on legal hold (never purged), release them, list the holds",
     runHold},
    {"purge", "Remove what the store's retention policy says has expired (--dry-run lists it)",
     runPurge},
    {"backup", "Copy the store consistently (also while it is written to) and verify the copy",
     runBackup},
};

QString overview()
{
    QString text = QStringLiteral("Usage: llmaudit COMMAND [OPTIONS]\n\n"
                                  "Audit and replay LLM interactions from the terminal.\n\n"
                                  "Commands:\n");
    for (const auto &command : Commands)
        text += QStringLiteral("  %1  %2\n")
                    .arg(QString::fromUtf8(command.name).leftJustified(10),
                         QString::fromUtf8(command.summary));
    text +=
        QStringLiteral("\nOptions:\n  -h, --help     Show this help; 'llmaudit COMMAND --help' for "
                       "a command.\n"
                       "  -v, --version  Show the version.\n\n"
                       "The default store is %1 (set LLMAUDIT_STORE or --store to use another).\n")
            .arg(Store::defaultLocation());
    return text;
}

} // namespace

int runCli(int argc, char **argv)
{
    // `report` lays out text and draws charts, which needs fonts and so a QGuiApplication; the
    // other commands stay a QCoreApplication. Without a display (a terminal over ssh, CI) the
    // offscreen platform is used, which needs nothing from the machine's graphics.
    const bool needsGui = argc > 1 && qstrcmp(argv[1], "report") == 0;
    if (needsGui && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") &&
        qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    std::unique_ptr<QCoreApplication> application =
        needsGui ? std::make_unique<QGuiApplication>(argc, argv)
                 : std::make_unique<QCoreApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("llmaudit"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LLMAUDIT_VERSION));
    const QStringList args = QCoreApplication::arguments();
    if (args.size() < 2) {
        err(overview());
        return Usage;
    }
    const QString command = args.at(1);
    QStringList rest = args;
    rest.removeAt(1); // the parser wants the program name first
    if (command == u"--version" || command == u"-v" || command == u"version") {
        out(QStringLiteral("llmaudit %1\n").arg(QCoreApplication::applicationVersion()));
        return Ok;
    }
    if (command == u"--help" || command == u"-h" || command == u"help") {
        out(overview());
        return Ok;
    }
    for (const auto &entry : Commands)
        if (command == QLatin1StringView(entry.name))
            return entry.run(rest, QString::fromUtf8(entry.summary));
    err(QStringLiteral("llmaudit: unknown command '%1' (see 'llmaudit --help')\n").arg(command));
    return Usage;
}

} // namespace llmaudit
